"""Sending queued actions: exactly once, in order, through flaky networks and restarts.

Every entry is marked "sending" (committed) before its request leaves, so a crash leaves
evidence. A reply whose fate is unknown (timeout after sending, dropped connection,
crash) is never resent blindly: the conversation is re-read first and the reply is only
sent again if it is not there. Idempotent actions are simply retried.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from intercom_tui.service import actions as A
from intercom_tui.store.cache import Cache
from intercom_tui.store.outbox import AMBIGUOUS, Outbox, OutboxEntry

if TYPE_CHECKING:
    from intercom_tui.api.client import IntercomClient
    from intercom_tui.api.errors import ApiError

BASE_DELAY = 2.0
MAX_DELAY = 300.0
#: Most unsettled entries looked at per batch (far more than a person queues).
MAX_QUEUE = 10_000
#: 4xx answers that say "not now" rather than "no".
_TRANSIENT_4XX = frozenset({408, 425, 429})
#: A reply counts as landed if an identical part appears no earlier than this before sending.
REPLY_MATCH_SKEW = 120


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What happened to one entry; the service turns it into screen updates."""

    entry: OutboxEntry
    ok: bool
    final: bool
    message: str = ""
    conversation: dict[str, Any] | None = None


class OutboxSender:
    def __init__(
        self,
        cache: Cache,
        outbox: Outbox,
        client: IntercomClient,
        admin_id: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cache = cache
        self.outbox = outbox
        self.client = client
        self.admin_id = admin_id
        self._clock = clock
        #: Why the last batch stopped early (a rejected token); None if it did not.
        self.stopped: ApiError | None = None

    async def send_due(self) -> list[SendOutcome]:
        """Send every due entry once, oldest first; returns what happened to each.

        One conversation's entries go in the order they were queued: an entry waiting for
        a retry holds back the later ones (an undo must not overtake what it undoes). A
        rejected token stops the batch (``stopped``): every other entry would fail too.
        """
        now = self._clock()
        held: set[str] = set()
        outcomes = []
        for entry in self.outbox.due(float("inf"), MAX_QUEUE):
            cid = entry.conversation_id
            if self.stopped is not None or cid in held or entry.next_attempt_at > now:
                held.add(cid)
                continue
            outcome = await self.send(entry)
            if outcome is None:
                continue
            outcomes.append(outcome)
            if not outcome.ok and not outcome.final:
                held.add(cid)
        return outcomes

    async def send(self, entry: OutboxEntry) -> SendOutcome | None:
        from intercom_tui.api import errors as E

        action = A.Action(entry.kind, entry.conversation_id, entry.payload.get("params", {}))
        if not self.outbox.claim(entry):
            return None  # another instance on this cache took it first
        try:
            if entry.kind in A.NON_IDEMPOTENT and entry.state == AMBIGUOUS:
                landed = await self._find_landed_reply(entry, action)
                if landed is not None:
                    self.outbox.mark_done(entry.id)
                    return SendOutcome(entry, True, True, conversation=landed)
            conversation = await self._perform(action, entry)
        except E.AuthenticationError as e:
            # The token, not the action, is wrong: keep it queued for after `login`.
            self.stopped = e
            self._retry_later(entry, e, ambiguous=entry.state == AMBIGUOUS)
            return SendOutcome(entry, False, False, e.user_message)
        except E.AmbiguousWriteError as e:
            self._retry_later(entry, e, ambiguous=entry.kind in A.NON_IDEMPOTENT)
            return SendOutcome(entry, False, False, e.user_message)
        except E.ApiError as e:
            if _refused(e):
                self.outbox.mark_failed(entry.id, e.user_message)
                return SendOutcome(entry, False, True, e.user_message)
            # 429, 5xx, network, bad response: all worth another try.
            self._retry_later(entry, e, ambiguous=entry.state == AMBIGUOUS)
            return SendOutcome(entry, False, False, e.user_message)
        except (KeyError, TypeError, ValueError) as e:
            # A malformed entry (e.g. queued by another version) can never be sent; failing
            # it keeps it from stopping the queue at every start.
            message = f"the queued {entry.kind!r} action is malformed ({type(e).__name__})"
            self.outbox.mark_failed(entry.id, message)
            return SendOutcome(entry, False, True, message)
        self.outbox.mark_done(entry.id)
        return SendOutcome(entry, True, True, conversation=conversation)

    def _retry_later(self, entry: OutboxEntry, error: ApiError, *, ambiguous: bool) -> None:
        """Back off exponentially, and never sooner than the server asked (``Retry-After``)."""
        delay = min(MAX_DELAY, BASE_DELAY * 2 ** min(entry.attempts, 8))
        delay = random.uniform(delay / 2, delay)
        if error.retry_after:
            delay = max(delay, min(error.retry_after, MAX_DELAY))
        self.outbox.reschedule(entry.id, delay, error.user_message, ambiguous=ambiguous)

    async def _perform(self, action: A.Action, entry: OutboxEntry) -> dict[str, Any] | None:
        c, cid, p, me = self.client, action.conversation_id, action.params, self.admin_id
        match action.kind:
            case "tag":
                await c.attach_tag(cid, p["tag_id"], admin_id=me)
                return None
            case "untag":
                await c.detach_tag(cid, p["tag_id"], admin_id=me)
                return None
            case "close":
                conv = await c.close(cid, admin_id=me)
            case "open":
                conv = await c.reopen(cid, admin_id=me)
            case "snooze":
                conv = await c.snooze(cid, admin_id=me, until=int(p["until"]))
            case "assign":
                conv = await c.assign(
                    cid,
                    admin_id=me,
                    assignee_id=p.get("assignee_id") or None,
                    assignee_type=p.get("assignee_type", "admin"),
                )
            case "read":
                conv = await c.update_conversation(cid, read=bool(p.get("read", True)))
            case "reply" | "note":
                conv = await c.reply(
                    cid,
                    admin_id=me,
                    body=p["body"],
                    message_type="comment" if action.kind == "reply" else "note",
                )
            case _:
                raise ValueError(f"unknown action {action.kind!r}")
        return conv.raw

    async def _find_landed_reply(
        self, entry: OutboxEntry, action: A.Action
    ) -> dict[str, Any] | None:
        conversation = await self.client.get_conversation(action.conversation_id)
        part = self.client.find_reply(
            conversation,
            admin_id=self.admin_id,
            body=action.params["body"],
            message_type="comment" if action.kind == "reply" else "note",
            since=int(entry.created_at) - REPLY_MATCH_SKEW,
        )
        return conversation.raw if part is not None else None


def _refused(error: ApiError) -> bool:
    """The server said no to this action (asking again gets the same answer)."""
    status = error.status or 0
    return 400 <= status < 500 and status not in _TRANSIENT_4XX


async def wait_or_wake(event: asyncio.Event, timeout: float) -> None:
    """Sleep until ``timeout`` or until someone sets ``event`` (new work queued)."""
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        pass
    event.clear()
