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

    Otherwise this does for ``view`` what Textual's layout would do for it
    (``_scroll_update``: the scrollbars' numbers, the scroll offset clamped), and no more.
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
        view._scroll_update(size)
    else:
        view.refresh(layout=True)
