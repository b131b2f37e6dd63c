"""The inbox views: named filters over the cache, built from who "me" is and the workspace.

A view is data (a store ``Filter`` plus a ``Sort``), so switching views is a new query
over indexed columns, never a reload from the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from intercom_tui.api.models import Tag, Team
from intercom_tui.render.safe import clean_line
from intercom_tui.store.cache import Filter, Sort


class View(NamedTuple):
    """One inbox view. ``key`` is stable (used in the palette and for number keys)."""

    key: str
    name: str
    filter: Filter
    sort: Sort = Sort.UPDATED
    group: str = "Inbox"

    def with_text(self, text: str) -> View:
        return self._replace(filter=self.filter._replace(text=text))

    def with_sort(self, sort: Sort) -> View:
        return self._replace(sort=sort)


def standard_views(
    me_id: str | None,
    teams: Iterable[Team] = (),
    tags: Iterable[Tag] = (),
    saved_searches: Mapping[str, str] | None = None,
) -> list[View]:
    """Open, Mine, Unassigned, Snoozed, Closed, All, then one per team, tag and saved search."""
    views = [View("open", "Open", Filter(state="open"))]
    if me_id:
        views.append(View("mine", "Mine", Filter(state="open", admin_assignee_id=me_id)))
    views += [
        View("unassigned", "Unassigned", Filter(state="open", unassigned=True)),
        View("snoozed", "Snoozed", Filter(state="snoozed")),
        View("closed", "Closed", Filter(state="closed")),
        View("all", "All", Filter()),
    ]
    views += [
        View(f"team:{t.id}", clean_line(t.name, 40), Filter(team_assignee_id=t.id), group="Teams")
        for t in teams
    ]
    views += [
        View(f"tag:{t.id}", clean_line(t.name, 40), Filter(tag_id=t.id), group="Tags") for t in tags
    ]
    views += [
        View(f"search:{name}", clean_line(name, 40), Filter(text=query), group="Saved searches")
        for name, query in (saved_searches or {}).items()
    ]
    return views
