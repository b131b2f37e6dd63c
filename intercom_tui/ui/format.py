"""Human formatting shared by every widget: times, durations, sizes, people's names.

One place so the inbox row, the thread header and the sidebar say "3h" the same way.
Month names are spelled here rather than with ``strftime("%b")`` so the output does not
depend on the machine's locale (screenshots and tests stay stable).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple, Protocol

from intercom_tui.render.safe import clean_line

if TYPE_CHECKING:
    from intercom_tui.api.models import Author

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY

#: Longest name a header or the sidebar will show (a hostile 10 kB name must not wrap a screen).
NAME_MAX = 60


def _date(moment: time.struct_time, now: time.struct_time) -> str:
    day = f"{_MONTHS[moment.tm_mon - 1]} {moment.tm_mday}"
    return day if moment.tm_year == now.tm_year else f"{day} {moment.tm_year}"


def relative_time(ts: float, now: float) -> str:
    """Compact age of ``ts``: "now", "5m", "3h", "2d", then the local date ("Mar 4").

    Future times (snoozes) read "in 5m". Dates from another year than ``now`` carry it
    ("Mar 4 2024") so an old thread is never mistaken for this year's.
    """
    delta = int(now - ts)
    if delta < 0:
        ahead = -delta
        if ahead < _MINUTE:
            return "now"
        if ahead < _WEEK:
            return f"in {relative_time(now - ahead, now)}"
        return _date(time.localtime(ts), time.localtime(now))
    if delta < _MINUTE:
        return "now"
    if delta < _HOUR:
        return f"{delta // _MINUTE}m"
    if delta < _DAY:
        return f"{delta // _HOUR}h"
    if delta < _WEEK:
        return f"{delta // _DAY}d"
    return _date(time.localtime(ts), time.localtime(now))


def time_ago(ts: float, now: float) -> str:
    """``relative_time`` as a phrase: "just now", "3h ago", "in 2h", or a plain date."""
    rel = relative_time(ts, now)
    if rel == "now":
        return "just now"
    if rel[-1].isdigit() or rel.startswith("in "):  # a date ("Mar 4") or a future time
        return rel
    return f"{rel} ago"


def absolute_time(ts: float, *, now: float | None = None) -> str:
    """Local date and time: "Jan 15 09:12"; the year is added when it is not ``now``'s."""
    moment = time.localtime(ts)
    current = time.localtime(time.time() if now is None else now)
    return f"{_date(moment, current)} {moment.tm_hour:02d}:{moment.tm_min:02d}"


def duration(seconds: float) -> str:
    """A span of time in its two largest units: "45s", "38m", "2h 5m", "3d 4h"."""
    total = max(0, int(seconds))
    if total < _MINUTE:
        return f"{total}s"
    if total < _HOUR:
        return f"{total // _MINUTE}m"
    if total < _DAY:
        hours, rest = divmod(total, _HOUR)
        minutes = rest // _MINUTE
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, rest = divmod(total, _DAY)
    hours = rest // _HOUR
    return f"{days}d {hours}h" if hours else f"{days}d"


def filesize(n: int) -> str:
    """Bytes in binary units with at most one decimal: "512 B", "12 KB", "1.5 MB"."""
    if n < 1024:
        return f"{max(n, 0)} B"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"


class NameResolver(Protocol):
    """Turns ids into display names (from the cache); ``None`` when unknown."""

    def admin_name(self, id: str) -> str | None: ...

    def team_name(self, id: str) -> str | None: ...

    def contact_name(self, id: str) -> str | None: ...


_NONE: Mapping[str, str] = MappingProxyType({})


class NameMap(NamedTuple):
    """A ``NameResolver`` over plain dicts: for tests, snapshots and small callers."""

    admins: Mapping[str, str] = _NONE
    teams: Mapping[str, str] = _NONE
    contacts: Mapping[str, str] = _NONE

    def admin_name(self, id: str) -> str | None:
        return self.admins.get(id)

    def team_name(self, id: str) -> str | None:
        return self.teams.get(id)

    def contact_name(self, id: str) -> str | None:
        return self.contacts.get(id)


#: Author ``type`` values and the kind a reader cares about.
_KINDS = {"user": "contact", "lead": "contact", "contact": "contact", "visitor": "contact"}


def author_kind(author: Author) -> str:
    """ "admin", "contact", "bot", "team" (or the cleaned raw type for anything new)."""
    kind = author.type.lower()
    return _KINDS.get(kind, clean_line(kind, max_len=20) or "unknown")


def author_name(author: Author, names: NameResolver) -> str:
    """Who wrote something, cleaned: the cached name, the name on the part, then "Unknown"."""
    kind = author_kind(author)
    resolved: str | None = None
    if author.id:
        if kind in ("admin", "bot"):
            resolved = names.admin_name(author.id)
        elif kind == "team":
            resolved = names.team_name(author.id)
        elif kind == "contact":
            resolved = names.contact_name(author.id)
    for candidate in (resolved, author.name, author.email):
        if candidate and (name := clean_line(candidate, max_len=NAME_MAX)):
            return name
    return "Unknown"
