"""The tinted screen behind a dialog, drawn from the strips the screen already has.

Textual draws a translucent modal's background by rendering the whole screen below
through Rich (strips to segments, segments to lines, a colour blend per segment, back to
strips) every time anything below changes. The tag editor stays open while the row it
tags changes under it, so each toggle paid that round trip (~30% of the frame at 120x36).
This does the same blend on the compositor's strips directly, each style's blend cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.color import Color
from textual.strip import Strip
from textual.visual import Visual

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.screen import Screen
    from textual.style import Style
    from textual.visual import RenderOptions

_PLAIN = RichStyle()


@lru_cache(maxsize=4096)
def tinted(style: RichStyle | None, tint: Color) -> RichStyle:
    """``style`` seen through ``tint`` (what Textual's BackgroundScreen computes)."""
    style = _PLAIN if style is None else style.clear_meta_and_links()
    if tint.a == 0:
        return style
    color = (Color.from_rich_color(style.color) + tint).rich_color if style.color else None
    bgcolor = (Color.from_rich_color(style.bgcolor) + tint).rich_color if style.bgcolor else None
    return style + RichStyle.from_color(color, bgcolor)


class Backdrop(Visual):
    """``screen`` as it is now, tinted: what a translucent dialog shows around itself."""

    def __init__(self, screen: Screen[object], tint: Color) -> None:
        self.screen = screen
        self.tint = tint

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        tint = self.tint
        return [
            Strip(
                [
                    segment
                    if segment.control
                    else Segment(segment.text, tinted(segment.style, tint))
                    for segment in strip
                ],
                strip.cell_length,
            )
            for strip in self.screen._compositor.render_strips()
        ]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.screen.size.height
