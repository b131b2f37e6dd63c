"""Typed views of Intercom 2.11 objects.

Intercom adds fields often and its own examples mix integer and string ids
(``admin_assignee_id: 0`` next to ``team_assignee_id: "5017691"``), so every model is
built by a tolerant ``from_api`` that ignores unknown keys, defaults missing ones and
normalises ids to ``str``. The original JSON is kept in ``raw`` so that export and the
cache stay faithful to what the server sent.

The models are named tuples, not dataclasses: a frozen slotted dataclass costs ~0.8 ms to
define at import, a named tuple ~0.2 ms, and the reference models are on the path to the
inbox's first frame. ``raw`` still takes no part in equality, hashing or repr
(``compare_without_raw``), and mapping defaults are read-only (``EMPTY``) so that no two
records share a dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

JSON = dict[str, Any]
#: The default of every mapping field: empty and read-only (a named tuple's default is
#: shared by every record that uses it).
EMPTY: Mapping[str, Any] = MappingProxyType({})

#: Values Intercom uses for "nobody": ``0``, ``"0"``, ``null`` and the empty string.
_UNASSIGNED = (None, 0, "0", "")


def norm_id(value: Any) -> str | None:
    """An id as ``str``; ``None`` for a missing id. ``0`` stays ``"0"`` (use ``norm_assignee``)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):  # bool is an int subclass; never a valid id
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def norm_assignee(value: Any) -> str | None:
    """An assignee id as ``str``, or ``None`` when unassigned (``0``, ``"0"``, ``null``)."""
    if value in _UNASSIGNED or isinstance(value, bool):
        return None
    return norm_id(value)


def next_cursor(data: Mapping[str, Any]) -> str | None:
    """The ``starting_after`` cursor in a list answer's ``pages.next``; ``None`` when last."""
    nxt = as_dict(data.get("pages")).get("next")
    if isinstance(nxt, dict):
        cursor = nxt.get("starting_after")
        return str(cursor) if cursor else None
    if isinstance(nxt, str) and nxt:  # older API versions sent a URL or cursor string
        return nxt
    return None


def as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's 1e999 is inf
        return None


def as_str(value: Any) -> str:
    return "" if value is None else str(value)


def as_dict(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_Record = TypeVar("_Record", bound=tuple[Any, ...])


def compare_without_raw(cls: type[_Record]) -> type[_Record]:
    """Make a named tuple whose last field is ``raw`` compare, hash and print without it.

    ``raw`` is whatever the server sent: two reads of one object are the same record even
    when the JSON holds keys we do not model, and a repr need not print the whole JSON
    (what ``field(compare=False, repr=False)`` did for the dataclasses these were).
    """
    cls.__eq__ = _eq_without_raw  # type: ignore[assignment,method-assign]
    cls.__ne__ = _ne_without_raw  # type: ignore[assignment,method-assign]
    cls.__hash__ = _hash_without_raw  # type: ignore[assignment,method-assign]
    cls.__repr__ = _repr_without_raw  # type: ignore[assignment,method-assign]
    return cls


def _eq_without_raw(self: tuple[Any, ...], other: object) -> bool:
    if type(other) is not type(self):
        return NotImplemented
    return self[:-1] == other[:-1]  # type: ignore[index]


def _ne_without_raw(self: tuple[Any, ...], other: object) -> bool:
    equal = _eq_without_raw(self, other)
    return equal if equal is NotImplemented else not equal


def _hash_without_raw(self: tuple[Any, ...]) -> int:
    return hash(self[:-1])


def _repr_without_raw(self: Any) -> str:
    shown = ", ".join(
        f"{name}={value!r}" for name, value in zip(self._fields[:-1], self[:-1], strict=True)
    )
    return f"{type(self).__qualname__}({shown})"


@compare_without_raw
class Admin(NamedTuple):
    id: str
    name: str
    email: str = ""
    away_mode_enabled: bool = False
    team_ids: tuple[str, ...] = ()
    raw: Mapping[str, Any] = EMPTY

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Admin:
        return cls(
            id=norm_id(data.get("id")) or "",
            name=as_str(data.get("name")),
            email=as_str(data.get("email")),
            away_mode_enabled=bool(data.get("away_mode_enabled")),
            team_ids=tuple(t for t in map(norm_id, as_list(data.get("team_ids"))) if t),
            raw=dict(data),
        )


class Me(NamedTuple):
    """``GET /me``: the admin the token belongs to and its workspace."""

    admin: Admin
    workspace_id: str
    workspace_name: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Me:
        app = as_dict(data.get("app"))
        return cls(
            admin=Admin.from_api(data),
            workspace_id=as_str(app.get("id_code")),
            workspace_name=as_str(app.get("name")),
        )


@compare_without_raw
class Team(NamedTuple):
    id: str
    name: str
    admin_ids: tuple[str, ...] = ()
    raw: Mapping[str, Any] = EMPTY

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Team:
        return cls(
            id=norm_id(data.get("id")) or "",
            name=as_str(data.get("name")),
            admin_ids=tuple(a for a in map(norm_id, as_list(data.get("admin_ids"))) if a),
            raw=dict(data),
        )


@compare_without_raw
class Tag(NamedTuple):
    id: str
    name: str
    raw: Mapping[str, Any] = EMPTY

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Tag:
        return cls(id=norm_id(data.get("id")) or "", name=as_str(data.get("name")), raw=dict(data))


@compare_without_raw
class Contact(NamedTuple):
    """A contact as the cache knows it (from ``GET /contacts`` or a conversation's authors)."""

    id: str
    name: str = ""
    email: str = ""
    role: str = "user"
    raw: Mapping[str, Any] = EMPTY

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Contact:
        return cls(
            id=norm_id(data.get("id")) or "",
            name=as_str(data.get("name")),
            email=as_str(data.get("email")),
            role=as_str(data.get("role") or data.get("type") or "user"),
            raw=dict(data),
        )


# The conversation models live in ``api.conversations``: defining them costs ~1.5 ms, and
# the inbox's first frame (which reads list rows from the cache) needs none.
# They stay importable from here; the first access loads them.
_CONVERSATION_MODELS = frozenset({"Author", "Attachment", "Part", "Source", "Conversation", "Page"})

if TYPE_CHECKING:  # what type checkers see; at run time ``__getattr__`` below
    from intercom_tui.api.conversations import (  # noqa: F401
        Attachment,
        Author,
        Conversation,
        Page,
        Part,
        Source,
    )


def __getattr__(name: str) -> Any:
    if name in _CONVERSATION_MODELS:
        from intercom_tui.api import conversations

        return getattr(conversations, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
