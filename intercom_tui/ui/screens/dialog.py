"""The base of every dialog: a modal screen over a tinted copy of the screen below."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from textual.screen import ModalScreen

from intercom_tui.ui.styles import DIALOGS_CSS
from intercom_tui.ui.widgets.backdrop import Backdrop

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.app import App
    from textual.visual import Visual

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """Pickers, the tag editor, help and confirmations.

    The screen below shows through, dimmed. Textual draws that by pushing the whole screen
    through Rich whenever anything below changes (a sync page, a toggled tag); ``Backdrop``
    tints the strips the screen below already has instead.
    """

    CSS_PATH = DIALOGS_CSS

    @classmethod
    def shared(cls, app: App[Any]) -> Self:
        """The app's one instance of this dialog, installed so that it outlives each use.

        Textual removes a screen that is not installed once it is dismissed, and that
        removal lands in the frame that shows the user's choice (the snooze's frame at
        1,000,000 cached: median ~18 ms, ~13 ms installed). Installed, a dialog is also
        composed once. Such a dialog takes no arguments: each use calls its ``prepare``.
        """
        name = f"dialog:{cls.__qualname__}"
        if not app.is_screen_installed(name):
            app.install_screen(cls(), name)
        screen = app.get_screen(name)
        assert isinstance(screen, cls)
        return screen

    def render(self) -> Visual | RenderableType:
        stack = self.app.screen_stack
        if len(stack) < 2 or stack[-1] is not self or self.styles.background.a == 1:
            return super().render()
        return Backdrop(stack[-2], self.styles.background)
