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
from typing import Any

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
    nxt = _dict(data.get("pages")).get("next")
    if isinstance(nxt, dict):
        cursor = nxt.get("starting_after")
        return str(cursor) if cursor else None
    if isinstance(nxt, str) and nxt:  # older API versions sent a URL or cursor string
        return nxt
    return None


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's 1e999 is inf
        return None


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _dict(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
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
            name=_str(data.get("name")),
            email=_str(data.get("email")),
            away_mode_enabled=bool(data.get("away_mode_enabled")),
            team_ids=tuple(t for t in map(norm_id, _list(data.get("team_ids"))) if t),
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
        app = _dict(data.get("app"))
        return cls(
            admin=Admin.from_api(data),
            workspace_id=_str(app.get("id_code")),
            workspace_name=_str(app.get("name")),
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
            name=_str(data.get("name")),
            admin_ids=tuple(a for a in map(norm_id, _list(data.get("admin_ids"))) if a),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class Tag:
    id: str
    name: str
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Tag:
        return cls(id=norm_id(data.get("id")) or "", name=_str(data.get("name")), raw=dict(data))


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
            name=_str(data.get("name")),
            email=_str(data.get("email")),
            role=_str(data.get("role") or data.get("type") or "user"),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a part: ``type`` is admin, user, lead, contact, bot or team."""

    type: str
    id: str
    name: str = ""
    email: str = ""

    @classmethod
    def from_api(cls, data: Any) -> Author:
        data = _dict(data)
        return cls(
            type=_str(data.get("type")),
            id=norm_id(data.get("id")) or "",
            name=_str(data.get("name")),
            email=_str(data.get("email")),
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    url: str
    content_type: str = ""
    filesize: int | None = None

    @classmethod
    def from_api(cls, data: Any) -> Attachment:
        data = _dict(data)
        return cls(
            name=_str(data.get("name")),
            url=_str(data.get("url")),
            content_type=_str(data.get("content_type")),
            filesize=_int(data.get("filesize")),
        )


@dataclass(frozen=True, slots=True)
class Part:
    """One conversation part: a message, a note, or a system event (assignment, close, ...)."""

    id: str
    part_type: str
    body: str
    created_at: int
    author: Author
    updated_at: int | None = None
    attachments: tuple[Attachment, ...] = ()
    assigned_to: str | None = None
    redacted: bool = False
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Part:
        assigned = data.get("assigned_to")
        if isinstance(assigned, dict):
            assigned = assigned.get("id")
        return cls(
            id=norm_id(data.get("id")) or "",
            part_type=_str(data.get("part_type")),
            body=_str(data.get("body")),
            created_at=_int(data.get("created_at")) or 0,
            author=Author.from_api(data.get("author")),
            updated_at=_int(data.get("updated_at")),
            attachments=tuple(map(Attachment.from_api, _list(data.get("attachments")))),
            assigned_to=norm_assignee(assigned),
            redacted=bool(data.get("redacted")),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class Source:
    """The message that opened the conversation."""

    type: str
    id: str
    delivered_as: str
    subject: str
    body: str
    author: Author
    url: str | None = None
    attachments: tuple[Attachment, ...] = ()
    redacted: bool = False

    @classmethod
    def from_api(cls, data: Any) -> Source:
        data = _dict(data)
        return cls(
            type=_str(data.get("type")),
            id=norm_id(data.get("id")) or "",
            delivered_as=_str(data.get("delivered_as")),
            subject=_str(data.get("subject")),
            body=_str(data.get("body")),
            author=Author.from_api(data.get("author")),
            url=data.get("url") if isinstance(data.get("url"), str) else None,
            attachments=tuple(map(Attachment.from_api, _list(data.get("attachments")))),
            redacted=bool(data.get("redacted")),
        )


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation; ``parts`` is filled only by ``GET /conversations/{id}``.

    Optional nested objects (rating, statistics, SLA, AI agent, ...) are kept as plain
    dicts: the sidebar shows whatever keys they hold, so new Intercom fields appear
    without a code change.
    """

    id: str
    title: str
    created_at: int
    updated_at: int
    state: str
    open: bool
    read: bool
    priority: bool
    admin_assignee_id: str | None
    team_assignee_id: str | None
    waiting_since: int | None
    snoozed_until: int | None
    source: Source
    tags: tuple[Tag, ...] = ()
    contact_ids: tuple[str, ...] = ()
    teammate_ids: tuple[str, ...] = ()
    custom_attributes: JSON = field(default_factory=dict)
    conversation_rating: JSON = field(default_factory=dict)
    first_contact_reply: JSON = field(default_factory=dict)
    sla_applied: JSON = field(default_factory=dict)
    statistics: JSON = field(default_factory=dict)
    linked_objects: JSON = field(default_factory=dict)
    ai_agent_participated: bool = False
    ai_agent: JSON = field(default_factory=dict)
    parts: tuple[Part, ...] = ()
    parts_total: int = 0
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Conversation:
        parts_obj = _dict(data.get("conversation_parts"))
        parts = tuple(Part.from_api(p) for p in _list(parts_obj.get("conversation_parts")))
        tags = tuple(Tag.from_api(t) for t in _list(_dict(data.get("tags")).get("tags")))
        contacts = _list(_dict(data.get("contacts")).get("contacts"))
        teammates = _list(_dict(data.get("teammates")).get("teammates"))
        state = _str(data.get("state")) or ("open" if data.get("open") else "closed")
        return cls(
            id=norm_id(data.get("id")) or "",
            title=_str(data.get("title")),
            created_at=_int(data.get("created_at")) or 0,
            updated_at=_int(data.get("updated_at")) or 0,
            state=state,
            open=bool(data.get("open", state != "closed")),
            read=bool(data.get("read")),
            priority=data.get("priority") == "priority",
            admin_assignee_id=norm_assignee(data.get("admin_assignee_id")),
            team_assignee_id=norm_assignee(data.get("team_assignee_id")),
            waiting_since=_int(data.get("waiting_since")),
            snoozed_until=_int(data.get("snoozed_until")),
            source=Source.from_api(data.get("source")),
            tags=tags,
            contact_ids=tuple(c for c in (norm_id(_dict(x).get("id")) for x in contacts) if c),
            teammate_ids=tuple(t for t in (norm_id(_dict(x).get("id")) for x in teammates) if t),
            custom_attributes=_dict(data.get("custom_attributes")),
            conversation_rating=_dict(data.get("conversation_rating")),
            first_contact_reply=_dict(data.get("first_contact_reply")),
            sla_applied=_dict(data.get("sla_applied")),
            statistics=_dict(data.get("statistics")),
            linked_objects=_dict(data.get("linked_objects")),
            ai_agent_participated=bool(data.get("ai_agent_participated")),
            ai_agent=_dict(data.get("ai_agent")),
            parts=parts,
            parts_total=_int(parts_obj.get("total_count")) or len(parts),
            raw=dict(data),
        )

    @property
    def tag_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.tags)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of ``GET /conversations`` or ``POST /conversations/search``.

    ``items`` keeps the raw JSON of each conversation (what the cache stores);
    ``conversations`` parses them on demand.
    """

    items: tuple[JSON, ...]
    total_count: int | None
    next_cursor: str | None
    page: int | None = None
    total_pages: int | None = None
    per_page: int | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Page:
        pages = _dict(data.get("pages"))
        items = tuple(c for c in _list(data.get("conversations")) if isinstance(c, dict))
        return cls(
            items=items,
            total_count=_int(data.get("total_count")),
            next_cursor=next_cursor(data),
            page=_int(pages.get("page")),
            total_pages=_int(pages.get("total_pages")),
            per_page=_int(pages.get("per_page")),
        )

    @property
    def conversations(self) -> list[Conversation]:
        return [Conversation.from_api(c) for c in self.items]
