"""The base of every dialog: a modal screen over a tinted copy of the screen below."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from textual.screen import ModalScreen

from intercom_tui.ui.screens.shared import shared_screen
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
        """The app's one instance of this dialog (see ``ui/screens/shared.py``): the
        snooze's frame at 1,000,000 cached took ~18 ms with the dismissed picker removed
        in it, ~13 ms with the picker kept. Each use calls the dialog's ``prepare``."""
        return shared_screen(app, cls)

    def render(self) -> Visual | RenderableType:
        stack = self.app.screen_stack
        if len(stack) < 2 or stack[-1] is not self or self.styles.background.a == 1:
            return super().render()
        return Backdrop(stack[-2], self.styles.background)
