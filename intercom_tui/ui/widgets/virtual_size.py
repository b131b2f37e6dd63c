"""Setting a scroll view's virtual size without laying out the whole screen.

``virtual_size`` is a layout reactive: each change re-lays out every widget on the screen.
A Line-API view changes it often (a closed row, a view switch, a batch of thread parts),
and unless a scrollbar comes or goes, nothing but its own scrollbars needs to know.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Give ``view`` a new virtual size; lay out the screen only if a scrollbar comes or goes.

    Otherwise this does for ``view`` what Textual's layout would do for it, and no more:
    the scroll offset is clamped at once, and ``_scroll_update`` gives the scrollbars their
    new numbers after this frame. Redrawing a bar (every line of it) was ~1 ms of the frame
    that shows a snoozed row; a thumb a frame late is not seen.
    """
    if size == view.virtual_size:
        return
    bars = (view.show_horizontal_scrollbar, view.show_vertical_scrollbar)
    view.set_reactive(Widget.virtual_size, size)
    view._refresh_scrollbars()
    if view.container_size and bars == (
        view.show_horizontal_scrollbar,
        view.show_vertical_scrollbar,
    ):
        view.scroll_x = view.validate_scroll_x(view.scroll_x)
        view.scroll_y = view.validate_scroll_y(view.scroll_y)
        view.call_after_refresh(_update_scrollbars, view)
    else:
        view.refresh(layout=True)


def _update_scrollbars(view: ScrollView) -> None:
    view._scroll_update(view.virtual_size)
