"""Typed views of Intercom 2.11 objects.

Intercom adds fields often and its own examples mix integer and string ids
(``admin_assignee_id: 0`` next to ``team_assignee_id: "5017691"``), so every model is
built by a tolerant ``from_api`` that ignores unknown keys, defaults missing ones and
normalises ids to ``str``. The original JSON is kept in ``raw`` so that export and the
cache stay faithful to what the server sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

JSON = dict[str, Any]

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


@dataclass(frozen=True, slots=True)
class Admin:
    id: str
    name: str
    email: str = ""
    away_mode_enabled: bool = False
    team_ids: tuple[str, ...] = ()
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

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


@dataclass(frozen=True, slots=True)
class Me:
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


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    admin_ids: tuple[str, ...] = ()
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Team:
        return cls(
            id=norm_id(data.get("id")) or "",
            name=as_str(data.get("name")),
            admin_ids=tuple(a for a in map(norm_id, as_list(data.get("admin_ids"))) if a),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class Tag:
    id: str
    name: str
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Tag:
        return cls(id=norm_id(data.get("id")) or "", name=as_str(data.get("name")), raw=dict(data))


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact as the cache knows it (from ``GET /contacts`` or a conversation's authors)."""

    id: str
    name: str = ""
    email: str = ""
    role: str = "user"
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Contact:
        return cls(
            id=norm_id(data.get("id")) or "",
            name=as_str(data.get("name")),
            email=as_str(data.get("email")),
            role=as_str(data.get("role") or data.get("type") or "user"),
            raw=dict(data),
        )


# The conversation models live in ``api.conversations``: defining their dataclasses costs
# ~5 ms, and the inbox's first frame (which reads list rows from the cache) needs none.
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
