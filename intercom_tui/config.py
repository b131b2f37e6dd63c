"""Settings, profiles, token lookup and every path the app uses.

One TOML file (``config.toml`` in the platformdirs config folder, so XDG variables move
it) read with ``tomllib`` and written with ``tomli-w``. Named tuples rather than a
validation library or dataclasses (~0.2 ms each to define, against ~0.8 ms) keep start-up
fast, which matters for our first-frame target.

The token is looked up, in order: ``INTERCOM_ACCESS_TOKEN``, the profile's
``token_command`` (e.g. a password manager call), the profile's ``token``. It is never
printed, logged or written anywhere but this file, which is kept at mode 0600.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import platformdirs

from intercom_tui.api.regions import REGION_URLS

APP_NAME = "intercom-tui"
TOKEN_ENV = "INTERCOM_ACCESS_TOKEN"
DEFAULT_THEME = "intercom-dark"


class ConfigError(Exception):
    """A settings problem the user can fix; the message says how, in one line."""


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME)


def config_path() -> Path:
    return config_dir() / "config.toml"


def cache_dir() -> Path:
    return platformdirs.user_cache_path(APP_NAME)


def user_themes_dir() -> Path:
    """Where users drop their own ``*.toml`` themes."""
    return config_dir() / "themes"


class Profile(NamedTuple):
    """One workspace connection."""

    name: str = "default"
    #: Explicit API root; wins over ``region``.
    base_url: str | None = None
    #: ``us``, ``eu`` or ``au``: picks Intercom's regional API host.
    region: str = "us"
    #: The access token itself (kept in a 0600 file), or ...
    token: str | None = None
    #: ... a command whose stdout is the token, e.g. ``pass show intercom``.
    token_command: str | None = None

    def __repr__(self) -> str:  # never the token
        return (
            f"Profile(name={self.name!r}, base_url={self.base_url!r}, region={self.region!r}, "
            f"token_command={self.token_command!r})"
        )

    @property
    def api_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        try:
            return REGION_URLS[self.region]
        except KeyError:
            raise ConfigError(
                f"Unknown region {self.region!r}; use one of: {', '.join(REGION_URLS)}."
            ) from None

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.base_url:
            data["base_url"] = self.base_url
        if self.region != "us":
            data["region"] = self.region
        if self.token_command:
            data["token_command"] = self.token_command
        elif self.token:
            data["token"] = self.token
        return data


class Settings(NamedTuple):
    """Everything ``config.toml`` can hold; every field has a safe default (an empty
    mapping is read-only: a named tuple's default is shared by every instance)."""

    #: Theme name: one of ours (``themes/``), a user theme, or a Textual built-in.
    theme: str = DEFAULT_THEME
    #: Seconds between background syncs while the app is open.
    poll_interval: float = 30.0
    #: Profile used when ``--profile`` is not given.
    default_profile: str = "default"
    profiles: Mapping[str, Profile] = MappingProxyType({})
    #: Binding id -> keys, e.g. ``{"inbox.close": "c,ctrl+w"}``.
    keymap: Mapping[str, str] = MappingProxyType({})
    #: Saved searches shown as views: name -> query text.
    saved_searches: Mapping[str, str] = MappingProxyType({})
    #: Problems found while reading the file, shown once at start-up.
    warnings: tuple[str, ...] = ()

    def profile(self, name: str | None = None) -> Profile:
        name = name or self.default_profile
        if name in self.profiles:
            return self.profiles[name]
        if name == "default" or (name == self.default_profile and not self.profiles):
            return Profile(name=name)
        known = ", ".join(sorted(self.profiles)) or "none"
        raise ConfigError(f"No profile named {name!r} in {config_path()} (known: {known}).")

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "theme": self.theme,
            "poll_interval": self.poll_interval,
            "default_profile": self.default_profile,
        }
        if self.profiles:
            data["profiles"] = {name: p.to_toml() for name, p in self.profiles.items()}
        if self.keymap:
            data["keymap"] = dict(self.keymap)
        if self.saved_searches:
            data["saved_searches"] = dict(self.saved_searches)
        return data


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; a missing file is the defaults, a broken one is a warning."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        return Settings(warnings=(f"Could not read {path}: {exc.strerror}; using defaults.",))
    warnings: list[str] = []
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.append(
            f"{path} is readable by other users; run `chmod 600 {path}` to protect your token."
        )
    try:
        data = tomllib.loads(raw.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as exc:
        return Settings(warnings=(*warnings, f"{path} is not valid TOML ({exc}); using defaults."))
    return _settings_from_dict(data, warnings)


def _settings_from_dict(data: dict[str, Any], warnings: list[str]) -> Settings:
    def table(name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if isinstance(value, dict):
            return value
        warnings.append(f"[{name}] in config.toml must be a table; ignored.")
        return {}

    profiles: dict[str, Profile] = {}
    for name, body in table("profiles").items():
        if not isinstance(body, dict):
            warnings.append(f"Profile {name!r} must be a table; ignored.")
            continue
        profiles[name] = Profile(
            name=name,
            base_url=_opt_str(body.get("base_url")),
            region=str(body.get("region", "us")),
            token=_opt_str(body.get("token")),
            token_command=_opt_str(body.get("token_command")),
        )
    poll = data.get("poll_interval", 30.0)
    if not isinstance(poll, int | float) or isinstance(poll, bool) or poll < 5:
        warnings.append("poll_interval must be a number of seconds >= 5; using 30.")
        poll = 30.0
    return Settings(
        theme=str(data.get("theme", DEFAULT_THEME)),
        poll_interval=float(poll),
        default_profile=str(data.get("default_profile", "default")),
        profiles=profiles,
        keymap={str(k): str(v) for k, v in table("keymap").items()},
        saved_searches={str(k): str(v) for k, v in table("saved_searches").items()},
        warnings=tuple(warnings),
    )


def _opt_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically with mode 0600 from the first byte (the file may hold a token)."""
    import tomli_w

    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        tomli_w.dump(settings.to_toml(), fh)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def with_profile(settings: Settings, profile: Profile, *, make_default: bool = False) -> Settings:
    profiles = {**settings.profiles, profile.name: profile}
    default = profile.name if make_default or not settings.profiles else settings.default_profile
    return settings._replace(profiles=profiles, default_profile=default)


def resolve_token(profile: Profile, environ: dict[str, str] | None = None) -> str | None:
    """The token for ``profile``, or ``None``; a failing token command is a ConfigError."""
    env = os.environ if environ is None else environ
    if env.get(TOKEN_ENV):
        return env[TOKEN_ENV].strip()
    if profile.token_command:
        import shlex  # rare: not worth its import on every start

        try:
            done = subprocess.run(
                shlex.split(profile.token_command),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"token_command of profile {profile.name!r} failed: {exc}") from None
        if done.returncode != 0 or not done.stdout.strip():
            raise ConfigError(
                f"token_command of profile {profile.name!r} exited with {done.returncode} "
                "and printed no token."
            )
        return done.stdout.strip()
    return profile.token


def check_base_url(url: str, *, insecure: bool = False) -> str:
    """Only https leaves the machine; plain http is for loopback (the emulator) or --insecure."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{url!r} is not an http(s) URL.")
    if parts.scheme == "http" and not insecure and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"Refusing to send the token over plain http to {parts.hostname}; "
            "use https, a loopback address, or --insecure."
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
