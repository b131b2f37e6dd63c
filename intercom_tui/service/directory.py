"""Names for ids: admins, teams, tags and contacts, and the rows the list draws.

The list shows names, the cache stores ids. ``Directory`` holds the (small) reference
tables in memory so turning a window of cached rows into ``ListItem``s costs a few dict
lookups, and every string is passed through ``clean_line`` exactly once, here, on its
way to the screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from intercom_tui.api.models import Admin, Contact, Tag, Team
from intercom_tui.render.safe import clean_line
from intercom_tui.store.cache import ConversationRow


class ListItem(NamedTuple):
    """Everything one inbox line shows, already made safe for the terminal.

    A named tuple, not a dataclass: it is defined in 0.1 ms rather than ~0.8 ms, on the
    path to the first frame (as are the other row types).
    """

    id: str
    read: bool
    priority: bool
    state: str
    updated_at: int
    waiting_since: int | None
    snoozed_until: int | None
    assignee: str
    contact: str
    subject: str
    tags: tuple[str, ...]


#: Rows whose ``ListItem`` is kept; a screen of rows, a few times over.
ITEM_MEMO = 1024


class Directory:
    """Id -> name lookups, refreshed whenever sync brings new reference data."""

    def __init__(self) -> None:
        self.admins: dict[str, Admin] = {}
        self.teams: dict[str, Team] = {}
        self.tags: dict[str, Tag] = {}
        self.contacts: dict[str, Contact] = {}
        # Each action and sync page re-reads the window, nearly all of it unchanged.
        self._items: dict[ConversationRow, ListItem] = {}

    def load(
        self,
        *,
        admins: Iterable[Admin] | None = None,
        teams: Iterable[Team] | None = None,
        tags: Iterable[Tag] | None = None,
        contacts: Iterable[Contact] | None = None,
    ) -> None:
        """Replace the tables given; None leaves a table as it is (an empty list empties it)."""
        if admins is not None:
            self.admins = {a.id: a for a in admins}
        if teams is not None:
            self.teams = {t.id: t for t in teams}
        if tags is not None:
            self.tags = {t.id: t for t in tags}
        if contacts is not None:
            self.contacts = {c.id: c for c in contacts}
        # A new memo after the new names: an item being made from the old ones meanwhile
        # (a filter's worker thread) lands in the memo that is dropped here.
        self._items = {}

    # NameResolver protocol used by the thread view and sidebar.
    def admin_name(self, admin_id: str | None) -> str | None:
        admin = self.admins.get(admin_id or "")
        return admin.name if admin else None

    def team_name(self, team_id: str | None) -> str | None:
        team = self.teams.get(team_id or "")
        return team.name if team else None

    def contact_name(self, contact_id: str | None) -> str | None:
        contact = self.contacts.get(contact_id or "")
        return (contact.name or contact.email) if contact else None

    def tag_name(self, tag_id: str) -> str:
        tag = self.tags.get(tag_id)
        return tag.name if tag else f"#{tag_id}"

    def assignee_label(self, admin_id: str | None, team_id: str | None) -> str:
        """Admin name if any, else team name, else empty (unassigned)."""
        if admin_id:
            return self.admin_name(admin_id) or f"admin {admin_id}"
        if team_id:
            return self.team_name(team_id) or f"team {team_id}"
        return ""

    def item(self, row: ConversationRow) -> ListItem:
        items = self._items  # before any name is read: see ``load``
        item = items.get(row)
        if item is None:
            if len(items) >= ITEM_MEMO:
                items.clear()
            item = items[row] = self._make_item(row)
        return item

    def _make_item(self, row: ConversationRow) -> ListItem:
        return ListItem(
            id=row.id,
            read=row.read,
            priority=row.priority,
            state=clean_line(row.state, 20),
            updated_at=row.updated_at,
            waiting_since=row.waiting_since,
            snoozed_until=row.snoozed_until,
            assignee=clean_line(self.assignee_label(row.admin_assignee_id, row.team_assignee_id)),
            contact=clean_line(row.contact_name, 60),
            subject=clean_line(row.title or row.preview, 300),
            tags=tuple(clean_line(self.tag_name(t), 40) for t in row.tag_ids),
        )
