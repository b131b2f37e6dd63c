"""Conversations, their parts and list pages (see ``api.models`` for the conventions).

Apart from the reference models because the inbox's first frame needs none of these:
``api.models`` loads this module at the first use of any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import quote

from intercom_tui.api.errors import build_checked
from intercom_tui.api.models import (
    EMPTY,
    JSON,
    Tag,
    as_dict,
    as_int,
    as_list,
    as_str,
    compare_without_raw,
    next_cursor,
    norm_assignee,
    norm_id,
)


class Author(NamedTuple):
    """Who wrote a part: ``type`` is admin, user, lead, contact, bot or team."""

    type: str
    id: str
    name: str = ""
    email: str = ""

    @classmethod
    def from_api(cls, data: Any) -> Author:
        data = as_dict(data)
        return cls(
            type=as_str(data.get("type")),
            id=norm_id(data.get("id")) or "",
            name=as_str(data.get("name")),
            email=as_str(data.get("email")),
        )


class Attachment(NamedTuple):
    name: str
    url: str
    content_type: str = ""
    filesize: int | None = None

    @classmethod
    def from_api(cls, data: Any) -> Attachment:
        data = as_dict(data)
        return cls(
            name=as_str(data.get("name")),
            url=as_str(data.get("url")),
            content_type=as_str(data.get("content_type")),
            filesize=as_int(data.get("filesize")),
        )


@compare_without_raw
class Part(NamedTuple):
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
    raw: Mapping[str, Any] = EMPTY

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Part:
        assigned = data.get("assigned_to")
        if isinstance(assigned, dict):
            assigned = assigned.get("id")
        return cls(
            id=norm_id(data.get("id")) or "",
            part_type=as_str(data.get("part_type")),
            body=as_str(data.get("body")),
            created_at=as_int(data.get("created_at")) or 0,
            author=Author.from_api(data.get("author")),
            updated_at=as_int(data.get("updated_at")),
            attachments=tuple(map(Attachment.from_api, as_list(data.get("attachments")))),
            assigned_to=norm_assignee(assigned),
            redacted=bool(data.get("redacted")),
            raw=dict(data),
        )


class Source(NamedTuple):
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
        data = as_dict(data)
        return cls(
            type=as_str(data.get("type")),
            id=norm_id(data.get("id")) or "",
            delivered_as=as_str(data.get("delivered_as")),
            subject=as_str(data.get("subject")),
            body=as_str(data.get("body")),
            author=Author.from_api(data.get("author")),
            url=data.get("url") if isinstance(data.get("url"), str) else None,
            attachments=tuple(map(Attachment.from_api, as_list(data.get("attachments")))),
            redacted=bool(data.get("redacted")),
        )


@compare_without_raw
class Conversation(NamedTuple):
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
    custom_attributes: Mapping[str, Any] = EMPTY
    conversation_rating: Mapping[str, Any] = EMPTY
    first_contact_reply: Mapping[str, Any] = EMPTY
    sla_applied: Mapping[str, Any] = EMPTY
    statistics: Mapping[str, Any] = EMPTY
    linked_objects: Mapping[str, Any] = EMPTY
    ai_agent_participated: bool = False
    ai_agent: Mapping[str, Any] = EMPTY
    parts: tuple[Part, ...] = ()
    parts_total: int = 0
    raw: Mapping[str, Any] = EMPTY

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Conversation:
        parts_obj = as_dict(data.get("conversation_parts"))
        parts = tuple(Part.from_api(p) for p in as_list(parts_obj.get("conversation_parts")))
        tags = tuple(Tag.from_api(t) for t in as_list(as_dict(data.get("tags")).get("tags")))
        contacts = as_list(as_dict(data.get("contacts")).get("contacts"))
        teammates = as_list(as_dict(data.get("teammates")).get("teammates"))
        state = as_str(data.get("state")) or ("open" if data.get("open") else "closed")
        return cls(
            id=norm_id(data.get("id")) or "",
            title=as_str(data.get("title")),
            created_at=as_int(data.get("created_at")) or 0,
            updated_at=as_int(data.get("updated_at")) or 0,
            state=state,
            open=bool(data.get("open", state != "closed")),
            read=bool(data.get("read")),
            priority=data.get("priority") == "priority",
            admin_assignee_id=norm_assignee(data.get("admin_assignee_id")),
            team_assignee_id=norm_assignee(data.get("team_assignee_id")),
            waiting_since=as_int(data.get("waiting_since")),
            snoozed_until=as_int(data.get("snoozed_until")),
            source=Source.from_api(data.get("source")),
            tags=tags,
            contact_ids=tuple(c for c in (norm_id(as_dict(x).get("id")) for x in contacts) if c),
            teammate_ids=tuple(t for t in (norm_id(as_dict(x).get("id")) for x in teammates) if t),
            custom_attributes=as_dict(data.get("custom_attributes")),
            conversation_rating=as_dict(data.get("conversation_rating")),
            first_contact_reply=as_dict(data.get("first_contact_reply")),
            sla_applied=as_dict(data.get("sla_applied")),
            statistics=as_dict(data.get("statistics")),
            linked_objects=as_dict(data.get("linked_objects")),
            ai_agent_participated=bool(data.get("ai_agent_participated")),
            ai_agent=as_dict(data.get("ai_agent")),
            parts=parts,
            parts_total=as_int(parts_obj.get("total_count")) or len(parts),
            raw=dict(data),
        )

    @property
    def tag_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.tags)


class Page(NamedTuple):
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
        pages = as_dict(data.get("pages"))
        items = tuple(c for c in as_list(data.get("conversations")) if isinstance(c, dict))
        return cls(
            items=items,
            total_count=as_int(data.get("total_count")),
            next_cursor=next_cursor(data),
            page=as_int(pages.get("page")),
            total_pages=as_int(pages.get("total_pages")),
            per_page=as_int(pages.get("per_page")),
        )

    @property
    def conversations(self) -> list[Conversation]:
        return [Conversation.from_api(c) for c in self.items]


def path_segment(value: str | int) -> str:
    """One path segment; ids come from the API and are untrusted (``../`` must not escape)."""
    return quote(str(value), safe="")


def conversation_path(conversation_id: str | int) -> str:
    """``/conversations/{id}``."""
    return f"/conversations/{path_segment(conversation_id)}"


def conversation_from_api(data: JSON, conversation_id: str | int) -> Conversation:
    """The model of ``GET /conversations/{id}``'s answer; a body of the wrong shape is a
    ``BadResponseError``, as from the client."""
    path = conversation_path(conversation_id)
    return build_checked("GET", path, lambda: Conversation.from_api(data))
