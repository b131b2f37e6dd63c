"""Screens made once and kept: each use prepares the same instance again.

Textual removes a screen that is not installed once it is popped, and that removal (with
the re-layout of the screen below that it asks for) lands in the frame that shows what
the user chose, or the inbox they went back to. An installed screen is also composed and
mounted only once. Such a screen takes no constructor arguments; a ``prepare``-style
method gives each use its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from textual.screen import Screen

if TYPE_CHECKING:
    from textual.app import App

ScreenType = TypeVar("ScreenType", bound=Screen[Any])


def shared_screen(app: App[Any], cls: type[ScreenType]) -> ScreenType:
    """The app's one instance of ``cls``, installed the first time it is asked for."""
    name = f"shared:{cls.__module__}.{cls.__qualname__}"
    if not app.is_screen_installed(name):
        app.install_screen(cls(), name)
    screen = app.get_screen(name)
    assert isinstance(screen, cls)
    return screen
