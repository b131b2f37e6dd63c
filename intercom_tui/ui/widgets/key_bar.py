"""The key hints line at the bottom of a screen: one widget drawing one line.

Textual's ``Footer`` mounts a widget per key and recomposes all of them whenever the
screen's bindings change, which includes every return from a picker or the tag editor:
that cost ~8 ms of the frame that shows a snoozed or tagged row. This bar draws the same
hints as one ``Content`` and redraws only when the text actually changes, so closing a
modal (same bindings as before it opened) costs nothing here.
"""

from __future__ import annotations

from typing import NamedTuple

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget

#: Below this width the hints drop their spacing and the command palette hint.
NARROW = 100


class KeyHint(NamedTuple):
    key: str
    display: str
    description: str
    action: str


class KeyBar(Widget):
    """What the keys of the current screen do, in the order the screen binds them.

    The line is worked out when the bar is drawn, not when the bindings change: a screen
    changes its bindings several times before its first frame (mount, then focus), and
    only the last of them is ever seen.
    """

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hints: list[KeyHint] = []
        self._spans: list[tuple[int, int, KeyHint]] = []
        self._drawn: tuple[tuple[KeyHint, ...], int] | None = None
        self._stale = True  # the screen's bindings changed since the hints were read
        self._line = Content("")

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self.refresh()

    def _bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        if self._drawn is None:  # not drawn yet: read them when it is
            self._stale = True
            self.refresh()
            return
        hints = self._read_hints(screen)
        if hints != self.hints:  # a modal closing leaves them as they were: no redraw
            self.hints = hints
            self.refresh()

    def render(self) -> Content:
        self._update()
        return self._line

    @property
    def line(self) -> Content:
        """The line as drawn (or as it will be drawn next)."""
        self._update()
        return self._line

    def _update(self) -> None:
        if self._stale and self.is_attached:
            self._stale = False
            self.hints = self._read_hints(self.screen)
        width = self.size.width or self.app.size.width
        state = (tuple(self.hints), width)
        if state == self._drawn:
            return  # the common case after a modal closes: nothing to do
        self._drawn = state
        narrow = width < NARROW
        hints = list(self.hints)
        palette = self._palette_hint() if not narrow else None
        content, spans = _render([*hints, palette] if palette else hints, gap=1 if narrow else 2)
        if content.cell_length > width and palette is not None:  # the palette hint goes first
            content, spans = _render(hints, gap=1 if narrow else 2)
        # Too long even when tight: drop hints from the right, but keep the last (help).
        while content.cell_length > width and len(hints) > 1:
            del hints[-2]
            content, spans = _render(hints, gap=1)
        self._spans = spans
        self._line = content

    def _read_hints(self, screen: Screen) -> list[KeyHint]:
        hints: list[KeyHint] = []
        actions: set[str] = set()
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.show or not enabled or binding.action in actions:
                continue
            actions.add(binding.action)
            hints.append(self._hint(binding))
        return hints

    def _palette_hint(self) -> KeyHint | None:
        if not self.app.ENABLE_COMMAND_PALETTE:
            return None
        found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if found is None or not found.enabled:
            return None
        return self._hint(found.binding)

    def _hint(self, binding: Binding) -> KeyHint:
        return KeyHint(
            binding.key, self.app.get_key_display(binding), binding.description, binding.action
        )

    def on_click(self, event: events.Click) -> None:
        """A click on a hint presses its key, as Textual's Footer does."""
        for start, end, hint in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(hint.key)
                return

    def offset_of(self, action: str) -> int | None:
        """Where the hint for ``action`` starts on the line (None when it is not shown)."""
        self._update()
        return next((start for start, _, hint in self._spans if hint.action == action), None)

    @property
    def shown(self) -> list[KeyHint]:
        """The hints that fit on the line (what tests and the help screen can check)."""
        self._update()
        return [hint for _, _, hint in self._spans]


def _render(hints: list[KeyHint], *, gap: int) -> tuple[Content, list[tuple[int, int, KeyHint]]]:
    parts: list[Content] = []
    spans: list[tuple[int, int, KeyHint]] = []
    x = 0
    for hint in hints:
        piece = Content.assemble(
            (f" {hint.display}", "bold $footer-key-foreground"),
            (f" {hint.description}", "$footer-description-foreground"),
        )
        spans.append((x, x + piece.cell_length, hint))
        parts.append(piece)
        x += piece.cell_length + gap
    return Content(" " * gap).join(parts), spans
