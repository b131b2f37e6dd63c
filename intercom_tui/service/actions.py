"""Triage actions as data: what each does to a conversation, locally and on the server.

An ``Action`` is applied to the cached JSON at once (optimistic), queued in the durable
outbox, and sent later by ``OutboxSender``. Each action knows its ``restore`` patch (how
to put the conversation back if the server says no) and its ``inverse`` (what ctrl+z
sends). Patching the JSON and letting the cache derive its indexed columns from it keeps
one source of truth for what a conversation looks like.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

JSON = dict[str, Any]

#: Fields a state-changing action may touch; saved before the change for rollback.
STATE_FIELDS = ("state", "open", "snoozed_until")
ASSIGN_FIELDS = ("admin_assignee_id", "team_assignee_id")

TAG = "tag"
UNTAG = "untag"
CLOSE = "close"
OPEN = "open"
SNOOZE = "snooze"
ASSIGN = "assign"
READ = "read"
REPLY = "reply"
NOTE = "note"

#: Replies and notes are the only actions that are not idempotent.
NON_IDEMPOTENT = frozenset({REPLY, NOTE})
#: Key of a tag action's restore patch: whether the conversation had the tag before.
HAD_TAG = "had_tag"


class Action(NamedTuple):
    """One change to one conversation. ``params`` holds what the kind needs."""

    kind: str
    conversation_id: str
    params: Mapping[str, Any] = MappingProxyType({})

    def describe(self) -> str:
        """Plain words for notifications: "tag Refund", "snooze", ..."""
        p = self.params
        match self.kind:
            case "tag":
                return f"tag {p.get('tag_name') or p.get('tag_id')}"
            case "untag":
                return f"remove tag {p.get('tag_name') or p.get('tag_id')}"
            case "assign":
                return "unassign" if not p.get("assignee_id") else "assign"
            case "read":
                return "mark read" if p.get("read", True) else "mark unread"
            case _:
                return self.kind


def tag_action(cid: str, tag_id: str, tag_name: str, *, on: bool) -> Action:
    return Action(TAG if on else UNTAG, cid, {"tag_id": tag_id, "tag_name": tag_name})


def assign_action(cid: str, assignee_type: str, assignee_id: str | None) -> Action:
    return Action(ASSIGN, cid, {"assignee_type": assignee_type, "assignee_id": assignee_id})


def has_tag(conversation: Mapping[str, Any], tag_id: str) -> bool:
    return any(str(t.get("id")) == tag_id for t in _tags(conversation))


def _tags(conversation: Mapping[str, Any]) -> list[JSON]:
    tags = conversation.get("tags")
    if isinstance(tags, dict) and isinstance(tags.get("tags"), list):
        return [t for t in tags["tags"] if isinstance(t, dict)]
    return []


def _set_tags(conversation: JSON, tags: list[JSON]) -> None:
    conversation["tags"] = {"type": "tag.list", "tags": tags}


def apply(action: Action, conversation: Mapping[str, Any]) -> JSON:
    """The conversation as it will be once the server has applied ``action``."""
    out = copy.deepcopy(dict(conversation))
    p = action.params
    match action.kind:
        case "tag":
            if not has_tag(out, p["tag_id"]):
                tag = {"type": "tag", "id": p["tag_id"], "name": p.get("tag_name", "")}
                _set_tags(out, [*_tags(out), tag])
        case "untag":
            _set_tags(out, [t for t in _tags(out) if str(t.get("id")) != p["tag_id"]])
        case "close":
            out.update(state="closed", open=False, snoozed_until=None)
        case "open":
            out.update(state="open", open=True, snoozed_until=None)
        case "snooze":
            out.update(state="snoozed", open=True, snoozed_until=int(p["until"]))
        case "assign":
            assignee = p.get("assignee_id") or None
            if p.get("assignee_type") == "team":
                out["team_assignee_id"] = assignee
            else:
                out["admin_assignee_id"] = assignee
        case "read":
            out["read"] = bool(p.get("read", True))
        case "reply" | "note":
            if action.kind == "reply":
                out["waiting_since"] = None
    return out


def restore_patch(action: Action, before: Mapping[str, Any]) -> JSON:
    """What to put back if the server refuses ``action`` (fields as they were before).

    For tags only whether the tag was there: rolling back "tag X" on a conversation that
    already had X must keep X.
    """
    match action.kind:
        case "tag" | "untag":
            return {HAD_TAG: has_tag(before, action.params["tag_id"])}
        case "close" | "open" | "snooze":
            return {k: before.get(k) for k in STATE_FIELDS}
        case "assign":
            return {k: before.get(k) for k in ASSIGN_FIELDS}
        case "read":
            return {"read": before.get("read")}
        case "reply":
            return {"waiting_since": before.get("waiting_since")}
        case _:
            return {}


def rollback(action: Action, current: Mapping[str, Any], restore: Mapping[str, Any]) -> JSON:
    """Undo ``action`` on ``current`` without clobbering later, unrelated changes."""
    out = copy.deepcopy(dict(current))
    match action.kind:
        case "tag" | "untag":
            had = bool(restore.get(HAD_TAG, action.kind == UNTAG))
            return apply(Action(TAG if had else UNTAG, action.conversation_id, action.params), out)
        case _:
            out.update(restore)
            return out


def inverse(action: Action, before: Mapping[str, Any]) -> list[Action] | None:
    """The actions that undo ``action`` on the server; None when it cannot be undone.

    An action that changed nothing (tagging a conversation that had the tag, closing a
    closed one) has nothing to undo: ``[]``. Otherwise undoing a bulk tag would strip the
    tag from conversations that had it before.
    """
    cid = action.conversation_id
    if action.kind not in NON_IDEMPOTENT and _visible(apply(action, before)) == _visible(before):
        return []
    match action.kind:
        case "tag":
            return [Action(UNTAG, cid, action.params)]
        case "untag":
            return [Action(TAG, cid, action.params)]
        case "close" | "open" | "snooze":
            state = before.get("state")
            if state == "snoozed" and before.get("snoozed_until"):
                return [Action(SNOOZE, cid, {"until": before["snoozed_until"]})]
            return [Action(CLOSE if state == "closed" else OPEN, cid, {})]
        case "assign":
            field_name = (
                "team_assignee_id"
                if action.params.get("assignee_type") == "team"
                else "admin_assignee_id"
            )
            previous = before.get(field_name)
            previous = None if previous in (None, 0, "0", "") else str(previous)
            return [assign_action(cid, action.params.get("assignee_type", "admin"), previous)]
        case "read":
            return [Action(READ, cid, {"read": bool(before.get("read"))})]
        case _:
            return None


def _visible(conversation: Mapping[str, Any]) -> tuple[Any, ...]:
    """What actions change, as the app reads it (ids normalised: ``0``, ``"0"`` and None)."""
    head = {k: v for k, v in conversation.items() if k != "conversation_parts"}
    from intercom_tui.api.models import Conversation

    c = Conversation.from_api(head)
    return (
        c.state,
        c.open,
        c.snoozed_until,
        c.admin_assignee_id,
        c.team_assignee_id,
        c.read,
        c.waiting_since,
        frozenset(c.tag_ids),
    )


def unassign_all(cid: str) -> list[Action]:
    """ "Unassign" clears the admin and the team assignee."""
    return [assign_action(cid, "admin", None), assign_action(cid, "team", None)]
