"""Themes as data: TOML files turned into Textual ``Theme``s.

Ours ship in the top-level ``themes/`` folder (packaged into the wheel as
``intercom_tui/_themes``); users add their own in ``<config dir>/themes``. Every bad file
is reported in one notice and skipped, never a crash.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import NamedTuple

from textual.theme import Theme

_PACKAGE = Path(__file__).resolve().parents[1]
#: Installed wheel first, then the source checkout (editable installs, tests).
BUILTIN_DIRS = (_PACKAGE / "_themes", _PACKAGE.parent / "themes")
_COLOURS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


class ThemeLoad(NamedTuple):
    themes: list[Theme]
    problems: list[str]


def load_theme_file(path: Path) -> Theme:
    """One theme; raises ValueError with a plain reason for a bad file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    if not isinstance(data.get("primary"), str):
        raise ValueError(f'{path.name}: a theme needs at least `primary = "#rrggbb"`')
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{path.name}: [variables] must be a table")
    try:
        theme = Theme(
            name=str(data.get("name") or path.stem),
            dark=bool(data.get("dark", True)),
            variables={str(k): str(v) for k, v in variables.items()},
            **{k: str(data[k]) for k in _COLOURS if k in data},  # type: ignore[arg-type]
        )
        theme.to_color_system()  # validates every colour now, not at first paint
    except Exception as exc:  # Textual raises several kinds for a bad colour
        raise ValueError(f"{path.name}: {exc}") from None
    return theme


def load_themes(*folders: Path) -> ThemeLoad:
    """All themes in ``folders`` (later folders override earlier names)."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            themes[theme.name] = theme
    return ThemeLoad(list(themes.values()), problems)


def builtin_theme_dir() -> Path | None:
    return next((d for d in BUILTIN_DIRS if d.is_dir()), None)
