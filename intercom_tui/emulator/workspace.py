"""The emulator's state: one Intercom workspace in memory, and the API operations on it.

Every public method takes the one lock, so the threaded server may call them from any
thread. Operations return fresh JSON (deep copies) that the caller may keep or send, and
raise :class:`EmulatorError` with Intercom's status, code and message for anything the
real API would refuse.

Generated workspaces are lazy: the timeline of every conversation exists from the start,
but a conversation's JSON is drawn only when asked for (and kept once changed), and its
parts only when first read. A small LRU keeps recently drawn, untouched conversations, so
a large demo workspace costs memory only for what is used.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import mimetypes
import threading
import time
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intercom_tui.emulator import search
from intercom_tui.emulator.generator import BIG_PARTS, Catalog, DemoGenerator, Plan

JSON = dict[str, Any]

DEMO_TOKEN = "demo-token"
#: Intercom's page sizes for conversations: 20 unless asked, at most 150.
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 150
#: Untouched generated conversations kept ready; the rest are drawn again when needed.
LRU_SIZE = 20_000
#: Recent search results kept for paging through them.
SEARCH_CACHE_SIZE = 16
#: Part ids of replies start above every generated part id.
_PART_ID_FLOOR = 9_000_000_000


@dataclass
class EmulatorError(Exception):
    """A refusal the server turns into an Intercom ``error.list`` body."""

    status: int
    code: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def not_found(message: str = "Resource Not Found", code: str = "not_found") -> EmulatorError:
    return EmulatorError(404, code, message)


def _copy(value: Any) -> Any:
    """A deep copy of JSON data (several times faster than ``copy.deepcopy``)."""
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy(item) for item in value]
    return value


def _id_key(cid: str) -> tuple[int, str]:
    """Orders numeric string ids numerically (and any other string consistently)."""
    return (len(cid), cid)


def _int_id(value: str) -> int | str:
    """``admin_assignee_id`` is an integer in Intercom's responses when the id is numeric."""
    return int(value) if value.isdigit() else value


def _html(text: str) -> str:
    """Plain text as Intercom stores it (paragraphs); HTML is kept as sent."""
    if "<" in text and ">" in text:
        return text
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())


def _encode_cursor(key: Iterable[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> EmulatorError:
    return EmulatorError(
        400, "parameter_invalid", "starting_after is not a valid cursor", "starting_after"
    )


def _decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        value = None
    if not isinstance(value, list):
        raise _bad_cursor()
    return tuple(value)


def _per_page(value: Any, default: int = DEFAULT_PER_PAGE) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or isinstance(value, bool | float):
        raise EmulatorError(
            400, "parameter_invalid", "per_page must be a positive integer", "per_page"
        )
    return min(number, MAX_PER_PAGE)


def _required(body: JSON, key: str) -> Any:
    value = body.get(key)
    if value is None or value == "":
        raise EmulatorError(400, "parameter_not_found", f"{key} is required", key)
    return value


def _author(person: JSON, kind: str | None = None) -> JSON:
    return {
        "type": kind or person.get("role") or person.get("type") or "admin",
        "id": person["id"],
        "name": person.get("name"),
        "email": person.get("email") or "",
    }


def _page(
    keys: list[Any], cursor: str | None, per_page: int, descending: bool
) -> tuple[list[Any], JSON]:
    """One keyset page over ``keys`` (ascending); returns (page keys, pages JSON)."""

    def position(find: Callable[[list[Any], Any], int]) -> int:
        try:
            return find(keys, _decode_cursor(cursor or ""))
        except TypeError as exc:  # a cursor from another listing
            raise _bad_cursor() from exc

    total = len(keys)
    if descending:
        end = position(bisect_left) if cursor else total
        chosen = keys[max(0, end - per_page) : end][::-1]
        before, more = total - end, end > len(chosen)
    else:
        start = position(bisect_right) if cursor else 0
        chosen = keys[start : start + per_page]
        before, more = start, start + len(chosen) < total
    pages: JSON = {
        "type": "pages",
        "page": before // per_page + 1,
        "per_page": per_page,
        "total_pages": -(-total // per_page),
    }
    if more and chosen:
        pages["next"] = {"per_page": per_page, "starting_after": _encode_cursor(chosen[-1])}
    return chosen, pages


class Workspace:
    """A stateful Intercom workspace: admins, teams, tags, contacts and conversations."""

    def __init__(self, catalog: Catalog, generator: DemoGenerator | None = None) -> None:
        self._lock = threading.RLock()
        self._app = dict(catalog.workspace)
        self._admins = {str(a["id"]): a for a in catalog.admins}
        self._teams = {str(t["id"]): t for t in catalog.teams}
        self._tags = {str(t["id"]): t for t in catalog.tags}
        self._contacts = {str(c["id"]): c for c in catalog.contacts}
        self.me_id: str = catalog.me_id
        self.big_conversation_id: str | None = None
        self._generator = generator
        #: Generated conversations: id -> the (created_at, updated_at) their JSON is drawn from.
        self._born: dict[str, tuple[int, int]] = {}
        self._heads: dict[str, JSON] = {}  # conversations held in full (changed or loaded)
        self._parts: dict[str, list[JSON]] = {}
        self._recent: OrderedDict[str, JSON] = OrderedDict()  # drawn, untouched
        #: (updated_at, id key) of every conversation, ascending: the list order, reversed.
        self._order: list[tuple[int, int, str]] = []
        self._updated: dict[str, int] = {}
        self._clock = 0
        self._version = 0
        self._searches: OrderedDict[tuple[Any, ...], list[Any]] = OrderedDict()
        self._next_part_id = _PART_ID_FLOOR
        self._next_conversation_id = 1

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def generate(
        cls, *, seed: int = 1, conversations: int = 2000, now: int | None = None
    ) -> Workspace:
        """The demo workspace for ``seed`` as of ``now``: same arguments, same data."""
        now = int(time.time()) if now is None else now
        generator = DemoGenerator(seed, now)
        workspace = cls(generator.catalog, generator)
        timeline = generator.timeline(conversations)
        for cid, created, updated in zip(
            timeline.ids, timeline.created, timeline.updated, strict=True
        ):
            workspace._born[cid] = (created, updated)
            workspace._updated[cid] = updated
        workspace._order = sorted((u, *_id_key(c)) for c, u in workspace._updated.items())
        workspace.big_conversation_id = timeline.big_id
        workspace._clock = max([now, *timeline.updated])
        workspace._next_conversation_id = int(timeline.ids[-1]) + 1 if timeline.ids else 1
        return workspace

    @classmethod
    def from_fixture(cls, path: str | Path) -> Workspace:
        with Path(path).open(encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    @classmethod
    def from_dict(cls, data: JSON) -> Workspace:
        """A workspace from fixture JSON (see :meth:`to_dict`)."""
        data = _copy(data)
        admins = [dict(a, id=str(a["id"])) for a in data.get("admins", [])]
        if not admins:
            raise ValueError("a workspace needs at least one admin")
        app = {
            "type": "app",
            "id_code": "fixture",
            "name": "Fixture workspace",
            "region": "US",
            "timezone": "UTC",
            "created_at": 0,
            "identity_verification": False,
            **data.get("workspace", {}),
        }
        catalog = Catalog(
            workspace=app,
            admins=admins,
            teams=[dict(t, id=str(t["id"])) for t in data.get("teams", [])],
            tags=[dict(t, id=str(t["id"])) for t in data.get("tags", [])],
            contacts=[dict(c, id=str(c["id"])) for c in data.get("contacts", [])],
            me_id=str(data.get("me") or admins[0]["id"]),
        )
        workspace = cls(catalog)
        for conversation in data.get("conversations", []):
            head = conversation
            head["id"] = cid = str(head["id"])
            parts = (head.pop("conversation_parts", None) or {}).get("conversation_parts") or []
            workspace._heads[cid] = head
            workspace._parts[cid] = parts
            workspace._updated[cid] = int(head.get("updated_at") or 0)
            if workspace.big_conversation_id is None and len(parts) == BIG_PARTS:
                workspace.big_conversation_id = cid
        workspace._order = sorted((u, *_id_key(c)) for c, u in workspace._updated.items())
        workspace._clock = max([0, *workspace._updated.values()])
        numeric = [int(c) for c in workspace._updated if c.isdigit()]
        workspace._next_conversation_id = max(numeric, default=0) + 1
        part_ids = [
            int(p["id"])
            for parts in workspace._parts.values()
            for p in parts
            if str(p.get("id", "")).isdigit()
        ]
        workspace._next_part_id = max([_PART_ID_FLOOR, *(i + 1 for i in part_ids)])
        return workspace

    def to_dict(self) -> JSON:
        """Fixture JSON of the whole workspace; :meth:`from_dict` reads it back."""
        with self._lock:
            conversations = []
            for cid in sorted(self._updated, key=_id_key):
                full = dict(self._head_view(cid))
                full["conversation_parts"] = self._parts_json(self._parts_view(cid), None)
                conversations.append(full)
            return _copy(
                {
                    "workspace": {k: v for k, v in self._app.items() if k != "type"},
                    "me": self.me_id,
                    "admins": list(self._admins.values()),
                    "teams": list(self._teams.values()),
                    "tags": list(self._tags.values()),
                    "contacts": list(self._contacts.values()),
                    "conversations": conversations,
                }
            )

    # -- read helpers ----------------------------------------------------------------------

    def conversation_ids(self) -> list[str]:
        """Every conversation id, oldest first."""
        with self._lock:
            return sorted(self._updated, key=_id_key)

    def conversation(self, cid: str) -> JSON:
        """The conversation as ``GET /conversations/{id}`` returns it; KeyError if unknown."""
        with self._lock:
            if str(cid) not in self._updated:
                raise KeyError(cid)
            return self._full(str(cid))

    # -- workspace objects -----------------------------------------------------------------

    def me(self) -> JSON:
        with self._lock:
            return _copy({**self._admins[self.me_id], "app": self._app})

    def admins(self) -> JSON:
        with self._lock:
            return _copy({"type": "admin.list", "admins": list(self._admins.values())})

    def teams(self) -> JSON:
        with self._lock:
            return _copy({"type": "team.list", "teams": list(self._teams.values())})

    def tags(self) -> JSON:
        with self._lock:
            return _copy({"type": "list", "data": list(self._tags.values())})

    def create_tag(self, body: JSON) -> JSON:
        """Create a tag, or return the one with that name (names are case-insensitive)."""
        name = _required(body, "name")
        if not isinstance(name, str) or not name.strip():
            raise EmulatorError(422, "parameter_invalid", "name must be a non-empty string", "name")
        with self._lock:
            for tag in self._tags.values():
                if tag["name"].casefold() == name.strip().casefold():
                    return _copy(tag)
            numeric = [int(t) for t in self._tags if t.isdigit()]
            tag = {"type": "tag", "id": str(max(numeric, default=0) + 13), "name": name.strip()}
            self._tags[tag["id"]] = tag
            return _copy(tag)

    def contacts(self, per_page: Any = None, starting_after: str | None = None) -> JSON:
        with self._lock:
            values = list(self._contacts.values())
            keys = [(i,) for i in range(len(values))]
            chosen, pages = _page(keys, starting_after, _per_page(per_page, 50), False)
            if "next" in pages:  # contact pages name the next page, not its size
                pages["next"] = {"page": pages["page"] + 1, **pages["next"]}
                del pages["next"]["per_page"]
            return _copy(
                {
                    "type": "list",
                    "data": [values[i] for (i,) in chosen],
                    "total_count": len(values),
                    "pages": pages,
                }
            )

    # -- listing and search ----------------------------------------------------------------

    def list_conversations(self, per_page: Any = None, starting_after: str | None = None) -> JSON:
        """``GET /conversations``: newest ``updated_at`` first, keyset cursor."""
        with self._lock:
            size = _per_page(per_page)
            chosen, pages = _page(self._order, starting_after, size, True)
            return self._conversation_list(chosen, pages, len(self._order))

    def search_conversations(self, body: JSON) -> JSON:
        """``POST /conversations/search``."""
        if "query" not in body:
            raise EmulatorError(400, "parameter_not_found", "query is required", "query")
        query = body["query"]
        pagination = body.get("pagination") or {}
        sort = body.get("sort") or {}
        if not isinstance(pagination, dict) or not isinstance(sort, dict):
            raise EmulatorError(400, "parameter_invalid", "pagination and sort must be objects")
        try:
            predicate = search.compile_query(query)
            sort_field = sort.get("field", "updated_at")
            key = None if sort_field == "updated_at" else search.sort_key(sort_field)
        except search.QueryError as exc:
            raise EmulatorError(400, "parameter_invalid", str(exc), exc.field) from exc
        order = str(sort.get("order", "descending")).lower()
        if order not in ("ascending", "descending", "asc", "desc"):
            raise EmulatorError(
                400, "parameter_invalid", "sort order must be ascending or descending", "sort"
            )
        size = _per_page(pagination.get("per_page"))
        with self._lock:
            keys = self._matches(query, predicate, sort_field, key)
            chosen, pages = _page(
                keys, pagination.get("starting_after"), size, order.startswith("desc")
            )
            return self._conversation_list(chosen, pages, len(keys))

    def _matches(
        self,
        query: JSON,
        predicate: search.Predicate,
        sort_field: str,
        key: Callable[[JSON], tuple[Any, ...]] | None,
    ) -> list[Any]:
        """Sort keys of every match, ascending; cached until the workspace changes."""
        cache_key = (json.dumps(query, sort_keys=True), sort_field, self._version)
        if cache_key in self._searches:
            self._searches.move_to_end(cache_key)
            return self._searches[cache_key]
        candidates = self._order
        since = search.min_updated_at(query)
        if since is not None:
            candidates = candidates[bisect_left(candidates, (since,)) :]
        matched = []
        for entry in candidates:
            head = self._head_view(entry[2])
            if predicate(head):
                matched.append(entry if key is None else key(head))
        if key is not None:
            matched.sort()
        self._searches[cache_key] = matched
        while len(self._searches) > SEARCH_CACHE_SIZE:
            self._searches.popitem(last=False)
        return matched

    def _conversation_list(self, chosen: list[Any], pages: JSON, total: int) -> JSON:
        return {
            "type": "conversation.list",
            "pages": pages,
            "total_count": total,
            "conversations": [self._head(entry[-1]) for entry in chosen],
        }

    # -- one conversation ------------------------------------------------------------------

    def get_conversation(self, cid: str) -> JSON:
        with self._lock:
            self._check(cid)
            return self._full(cid)

    def update_conversation(self, cid: str, body: JSON) -> JSON:
        """``PUT /conversations/{id}``: read, title, custom_attributes."""
        read = body.get("read")
        attributes = body.get("custom_attributes")
        if read is not None and not isinstance(read, bool):
            raise EmulatorError(422, "parameter_invalid", "read must be a boolean", "read")
        if attributes is not None and not isinstance(attributes, dict):
            raise EmulatorError(
                422, "parameter_invalid", "custom_attributes must be an object", "custom_attributes"
            )
        if "title" in body and not isinstance(body["title"], str | None):
            raise EmulatorError(422, "parameter_invalid", "title must be a string", "title")
        with self._lock:
            self._check(cid)
            head = self._own(cid)
            if read is not None:
                head["read"] = read
            if "title" in body:
                head["title"] = body["title"]
            if attributes:
                head["custom_attributes"] = {**(head.get("custom_attributes") or {}), **attributes}
            # Reading is not activity: a read receipt must not move a conversation to the
            # top of every "newest first" list (opening one would reshuffle the inbox).
            if "title" in body or attributes:
                self._touch(cid)
            return self._full(cid)

    def reply(self, cid: str, body: JSON) -> JSON:
        """``POST /conversations/{id}/reply`` as an admin (comment, note) or a contact."""
        message_type = body.get("message_type")
        kind = _required(body, "type")
        text = body.get("body")
        urls = body.get("attachment_urls") or []
        allowed = ("comment", "note") if kind == "admin" else ("comment",)
        if kind not in ("admin", "user", "lead", "contact"):
            raise EmulatorError(422, "parameter_invalid", "type must be admin or user", "type")
        if message_type not in allowed:
            raise EmulatorError(
                422,
                "parameter_invalid",
                f"message_type must be one of {', '.join(allowed)}",
                "message_type",
            )
        if not isinstance(text, str) or not text.strip():
            raise EmulatorError(422, "parameter_invalid", "Body is required", "body")
        if not isinstance(urls, list) or len(urls) > 10:
            raise EmulatorError(
                422, "parameter_invalid", "attachment_urls takes up to 10 URLs", "attachment_urls"
            )
        with self._lock:
            self._check(cid)
            head = self._own(cid)
            if kind == "admin":
                admin = self._admin(body)
                t = self._touch(cid)
                self._add_part(cid, message_type, _author(admin, "admin"), t, _html(text), urls)
                self._add_teammate(head, admin["id"])
                if message_type == "comment":
                    head["waiting_since"] = None
                    self._count(head, t, last_admin_reply_at=t, first_admin_reply_at=t)
                return self._full(cid)
            contact = self._replying_contact(head, body)
            t = self._touch(cid)
            reopens = head.get("state") == "closed"
            part_type = "open" if reopens else "comment"
            self._add_part(cid, part_type, _author(contact), t, _html(text), urls)
            head.update(state="open", open=True, snoozed_until=None, read=False)
            if head.get("waiting_since") is None:
                head["waiting_since"] = t
            self._count(head, t, last_contact_reply_at=t, count_reopens=1 if reopens else 0)
            return self._full(cid)

    def manage(self, cid: str, body: JSON) -> JSON:
        """``POST /conversations/{id}/parts``: close, open, snooze or assign."""
        message_type = _required(body, "message_type")
        if message_type not in ("close", "open", "snoozed", "assignment"):
            raise EmulatorError(
                422,
                "parameter_invalid",
                "message_type must be close, open, snoozed or assignment",
                "message_type",
            )
        text = body.get("body")
        if text is not None and not isinstance(text, str):
            raise EmulatorError(422, "parameter_invalid", "body must be a string", "body")
        with self._lock:
            self._check(cid)
            admin = self._admin(body)
            author = _author(admin, "admin")
            part_body = _html(text) if text and text.strip() else None
            if message_type == "snoozed":
                until = self._snooze_time(body)
                head = self._own(cid)
                t = self._touch(cid)
                head.update(state="snoozed", open=True, snoozed_until=until)
                self._add_part(cid, "snoozed", author, t, part_body)
            elif message_type == "assignment":
                self._assign(cid, body, author, part_body)
            else:
                head = self._own(cid)
                t = self._touch(cid)
                closing = message_type == "close"
                head.update(
                    state="closed" if closing else "open", open=not closing, snoozed_until=None
                )
                if closing:
                    head["waiting_since"] = None
                    self._count(
                        head, t, last_close_at=t, first_close_at=t, last_closed_by_id=admin["id"]
                    )
                self._add_part(cid, message_type, author, t, part_body)
            self._add_teammate(self._heads[cid], admin["id"])
            return self._full(cid)

    def _assign(self, cid: str, body: JSON, author: JSON, part_body: str | None) -> None:
        kind = _required(body, "type")
        if kind not in ("admin", "team"):
            raise EmulatorError(422, "parameter_invalid", "type must be admin or team", "type")
        if "assignee_id" not in body or body["assignee_id"] in (None, ""):
            raise EmulatorError(
                400, "parameter_not_found", "assignee_id is required", "assignee_id"
            )
        assignee = str(body["assignee_id"])
        nobody = assignee == "0"
        known = self._admins if kind == "admin" else self._teams
        if not nobody and assignee not in known:
            raise not_found("Assignee not found", "assignee_not_found")
        head = self._own(cid)
        t = self._touch(cid)
        if kind == "admin":
            head["admin_assignee_id"] = None if nobody else _int_id(assignee)
        else:
            head["team_assignee_id"] = None if nobody else assignee
        target = {"type": "nobody_admin", "id": None} if nobody else {"type": kind, "id": assignee}
        self._add_part(cid, "assignment", author, t, part_body, assigned_to=target)
        self._count(head, t, last_assignment_at=t, first_assignment_at=t, count_assignments=1)

    def attach_tag(self, cid: str, body: JSON) -> JSON:
        """``POST /conversations/{id}/tags``; attaching an attached tag changes nothing."""
        tag_id = str(_required(body, "id"))
        with self._lock:
            self._check(cid)
            admin = self._admin(body)
            if tag_id not in self._tags:
                raise not_found("Tag not found", "tag_not_found")
            head = self._own(cid)
            tags = head.setdefault("tags", {"type": "tag.list", "tags": []})["tags"]
            for tag in tags:
                if str(tag["id"]) == tag_id:
                    return _copy(tag)
            tag = {
                **self._tags[tag_id],
                "applied_at": None,
                "applied_by": {"type": "admin", "id": admin["id"]},
            }
            tag["applied_at"] = self._touch(cid)
            tags.append(tag)
            return _copy(tag)

    def detach_tag(self, cid: str, tag_id: str, body: JSON) -> JSON:
        """``DELETE /conversations/{id}/tags/{tag_id}``; detaching twice is fine."""
        with self._lock:
            self._check(cid)
            self._admin(body)
            if tag_id not in self._tags:
                raise not_found("Tag not found", "tag_not_found")
            head = self._head_view(cid)
            attached = [t for t in head.get("tags", {}).get("tags", []) if str(t["id"]) == tag_id]
            if not attached:
                return _copy({**self._tags[tag_id], "applied_at": None, "applied_by": None})
            head = self._own(cid)
            head["tags"]["tags"] = [t for t in head["tags"]["tags"] if str(t["id"]) != tag_id]
            self._touch(cid)
            return _copy(attached[0])

    def create_conversation(self, body: JSON) -> JSON:
        """``POST /conversations`` from a contact; returns Intercom's message object."""
        sender = body.get("from")
        if not isinstance(sender, dict) or not sender.get("id"):
            raise EmulatorError(400, "parameter_not_found", "from is required", "from")
        if sender.get("type") not in ("user", "lead", "contact"):
            raise EmulatorError(
                422, "parameter_invalid", "from.type must be user, lead or contact", "from"
            )
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise EmulatorError(400, "parameter_invalid", "Body is required", "body")
        with self._lock:
            contact = self._contacts.get(str(sender["id"]))
            if contact is None:
                raise not_found("User Not Found")
            cid = str(self._next_conversation_id)
            self._next_conversation_id += 1
            t = self._tick()
            message_id = str(400_000_000 + int(cid) * 3)
            self._heads[cid] = _new_conversation(cid, message_id, t, contact, _html(text))
            self._parts[cid] = []
            self._updated[cid] = t
            insort(self._order, (t, *_id_key(cid)))
            self._version += 1
            return {
                "type": "user_message",
                "id": message_id,
                "created_at": t,
                "body": text,
                "message_type": "inapp",
                "conversation_id": cid,
            }

    # -- internals -------------------------------------------------------------------------

    def _tick(self) -> int:
        """Now, but always later than any earlier change: ``updated_at > x`` never misses."""
        self._clock = max(self._clock + 1, int(time.time()))
        return self._clock

    def _check(self, cid: str) -> None:
        if cid not in self._updated:
            raise not_found()

    def _admin(self, body: JSON) -> JSON:
        admin_id = str(_required(body, "admin_id"))
        if admin_id not in self._admins:
            raise not_found("Admin not found", "admin_not_found")
        return self._admins[admin_id]

    def _replying_contact(self, head: JSON, body: JSON) -> JSON:
        """The contact a ``type: user`` reply speaks for (the conversation's, if unnamed)."""
        for key, attr in (
            ("intercom_user_id", "id"),
            ("user_id", "external_id"),
            ("email", "email"),
        ):
            wanted = body.get(key)
            if wanted:
                for contact in self._contacts.values():
                    if contact.get(attr) == wanted:
                        return contact
                raise not_found("User Not Found")
        for ref in head.get("contacts", {}).get("contacts", []):
            if str(ref.get("id")) in self._contacts:
                return self._contacts[str(ref["id"])]
        raise EmulatorError(
            400, "parameter_not_found", "intercom_user_id is required", "intercom_user_id"
        )

    def _snooze_time(self, body: JSON) -> int:
        until = body.get("snoozed_until")
        if isinstance(until, str) and until.isdigit():
            until = int(until)
        if not isinstance(until, int) or isinstance(until, bool):
            raise EmulatorError(
                422, "parameter_invalid", "snoozed_until must be a Unix time", "snoozed_until"
            )
        if until <= int(time.time()):
            raise EmulatorError(
                422, "parameter_invalid", "snoozed_until must be in the future", "snoozed_until"
            )
        return until

    def _touch(self, cid: str) -> int:
        """Give a changed conversation a new, strictly later ``updated_at``."""
        old = self._updated[cid]
        t = self._tick()
        del self._order[bisect_left(self._order, (old, *_id_key(cid)))]
        insort(self._order, (t, *_id_key(cid)))
        self._updated[cid] = t
        self._heads[cid]["updated_at"] = t
        self._version += 1
        return t

    def _add_part(
        self,
        cid: str,
        part_type: str,
        author: JSON,
        t: int,
        body: str | None,
        urls: list[str] | None = None,
        assigned_to: JSON | None = None,
    ) -> None:
        self._parts_of(cid).append(
            {
                "type": "conversation_part",
                "id": str(self._next_part_id),
                "part_type": part_type,
                "body": body,
                "created_at": t,
                "updated_at": t,
                "notified_at": t,
                "assigned_to": assigned_to,
                "author": author,
                "attachments": [_attachment(str(url)) for url in urls or []],
                "external_id": None,
                "redacted": False,
            }
        )
        self._next_part_id += 1
        self._count(self._heads[cid], t, count_conversation_parts=1)

    def _add_teammate(self, head: JSON, admin_id: str) -> None:
        teammates = head.get("teammates") or {"type": "admin.list", "teammates": []}
        if all(str(t.get("id")) != admin_id for t in teammates["teammates"]):
            teammates["teammates"].append({"type": "admin", "id": admin_id})
        head["teammates"] = teammates

    @staticmethod
    def _count(head: JSON, t: int, **changes: Any) -> None:
        """Keep the statistics object (when there is one) roughly in step with changes."""
        stats = head.get("statistics")
        if not isinstance(stats, dict):
            return
        for key, value in changes.items():
            if key.startswith("count_"):
                stats[key] = int(stats.get(key) or 0) + value
            elif key.startswith("first_"):
                stats.setdefault(key, value)
            else:
                stats[key] = value

    def _head_view(self, cid: str) -> JSON:
        """The conversation without parts, for reading only (never handed out)."""
        if cid in self._heads:
            return self._heads[cid]
        if cid in self._recent:
            self._recent.move_to_end(cid)
            return self._recent[cid]
        assert self._generator is not None  # every other conversation is in _heads
        head = self._generator.head(self._plan(cid))
        self._recent[cid] = head
        if len(self._recent) > LRU_SIZE:
            self._recent.popitem(last=False)
        return head

    def _plan(self, cid: str) -> Plan:
        assert self._generator is not None
        created, updated = self._born[cid]
        return self._generator.plan(cid, created, updated, cid == self.big_conversation_id)

    def _head(self, cid: str) -> JSON:
        return _copy(self._head_view(cid))

    def _own(self, cid: str) -> JSON:
        """The conversation's head, held for good so that changes to it persist."""
        if cid not in self._heads:
            head = self._head_view(cid)
            self._recent.pop(cid, None)
            self._heads[cid] = head
        self._parts_of(cid)
        return self._heads[cid]

    def _parts_view(self, cid: str) -> list[JSON]:
        if cid in self._parts:
            return self._parts[cid]
        assert self._generator is not None
        return self._generator.parts(self._plan(cid))

    def _parts_of(self, cid: str) -> list[JSON]:
        if cid not in self._parts:
            self._parts[cid] = self._parts_view(cid)
        return self._parts[cid]

    @staticmethod
    def _parts_json(parts: list[JSON], limit: int | None) -> JSON:
        shown = parts[-limit:] if limit else parts
        return {
            "type": "conversation_part.list",
            "conversation_parts": shown,
            "total_count": len(parts),
        }

    def _full(self, cid: str) -> JSON:
        """``GET /conversations/{id}``: the head plus its latest 500 parts."""
        full = dict(self._head_view(cid))
        full["conversation_parts"] = self._parts_json(self._parts_of(cid), BIG_PARTS)
        return _copy(full)


def _attachment(url: str) -> JSON:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "attachment"
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return {
        "type": "upload",
        "name": name,
        "url": url,
        "content_type": kind,
        "filesize": 0,
        "width": 0,
        "height": 0,
    }


def _new_conversation(cid: str, message_id: str, t: int, contact: JSON, body: str) -> JSON:
    """A conversation a contact has just started from the messenger."""
    ref = {"type": "contact", "id": contact["id"], "external_id": contact.get("external_id")}
    return {
        "type": "conversation",
        "id": cid,
        "title": None,
        "created_at": t,
        "updated_at": t,
        "waiting_since": t,
        "snoozed_until": None,
        "open": True,
        "state": "open",
        "read": False,
        "priority": "not_priority",
        "admin_assignee_id": None,
        "team_assignee_id": None,
        "tags": {"type": "tag.list", "tags": []},
        "conversation_rating": None,
        "source": {
            "type": "conversation",
            "id": message_id,
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": body,
            "author": _author(contact),
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {"type": "contact.list", "contacts": [ref]},
        "teammates": {"type": "admin.list", "teammates": []},
        "custom_attributes": {},
        "topics": {"type": "topic.list", "topics": [], "total_count": 0},
        "first_contact_reply": {"created_at": t, "type": "conversation", "url": None},
        "sla_applied": None,
        "statistics": None,
        "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []},
        "ai_agent_participated": False,
        "ai_agent": None,
        "ticket": None,
    }
