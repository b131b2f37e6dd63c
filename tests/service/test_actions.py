"""Optimistic actions, the outbox and undo, checked against the emulator's own state.

Every test performs through ``InboxService.perform`` (what the UI calls), looks at the
cache at once (the optimistic change), flushes the outbox, and reads the server's truth
from the emulator's workspace. Faults come from the emulator's fault injection; retries
and backoff run on a virtual clock, so nothing waits.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from intercom_tui.api.errors import AuthenticationError
from intercom_tui.emulator.faults import Fault
from intercom_tui.service import actions as A
from intercom_tui.service.inbox import ActionFailed, OutboxChanged, RowsChanged
from intercom_tui.service.sender import MAX_DELAY
from intercom_tui.store.outbox import AMBIGUOUS, DONE, FAILED, PENDING, SENDING
from tests.conftest import TOKEN
from tests.service.support import Env

JSON = dict[str, Any]
REFUND = "9120439"  # tag "Refund" in the seed-11 workspace
VIP = "9120426"
OTHER_ADMIN = "7463837"
TEAM = "5017709"
ASSIGNEES = ("admin_assignee_id", "team_assignee_id")
#: Anything a terminal could act on, in an event message.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def is_open(c: JSON) -> bool:
    return c["state"] == "open"


def unassigned(c: JSON) -> bool:
    return not c.get("admin_assignee_id") and not c.get("team_assignee_id")


def tagged(tag_id: str) -> Callable[[JSON], bool]:
    return lambda c: tag_id in {str(t["id"]) for t in c["tags"]["tags"]}


def untagged(tag_id: str) -> Callable[[JSON], bool]:
    return lambda c: not tagged(tag_id)(c)


def outbox_states(env: Env) -> list[str]:
    with env.svc.cache.read_transaction() as conn:
        return [r[0] for r in conn.execute("SELECT state FROM outbox ORDER BY id")]


def only_entry(env: Env) -> Any:
    with env.svc.cache.read_transaction() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM outbox")]
    assert len(ids) == 1
    return env.svc.outbox.get(ids[0])


def soon() -> int:
    """A snooze time the emulator accepts (it checks against the real clock)."""
    return int(time.time()) + 3600


# ------------------------------------------------------------------ every kind of action
@dataclass(frozen=True)
class Case:
    name: str
    want: Callable[[JSON], bool]  # which conversation to act on (server JSON)
    actions: Callable[[str], list[A.Action]]
    local: Callable[[Env, str], bool]  # the cache, right after perform
    server: Callable[[Env, str], bool]  # the emulator, after flush


def row(env: Env, cid: str) -> Any:
    return env.svc.cache.get_row(cid)


SNOOZE_UNTIL = soon()

CASES = [
    Case(
        "tag",
        lambda c: is_open(c) and untagged(REFUND)(c),
        lambda cid: [A.tag_action(cid, REFUND, "Refund", on=True)],
        lambda e, cid: REFUND in row(e, cid).tag_ids,
        lambda e, cid: REFUND in e.server_tags(cid),
    ),
    Case(
        "untag",
        tagged(REFUND),
        lambda cid: [A.tag_action(cid, REFUND, "Refund", on=False)],
        lambda e, cid: REFUND not in row(e, cid).tag_ids,
        lambda e, cid: REFUND not in e.server_tags(cid),
    ),
    Case(
        "close",
        is_open,
        lambda cid: [A.Action(A.CLOSE, cid)],
        lambda e, cid: row(e, cid).state == "closed",
        lambda e, cid: e.conversation(cid)["state"] == "closed" and len(e.parts(cid, "close")) > 0,
    ),
    Case(
        "open",
        lambda c: c["state"] == "closed",
        lambda cid: [A.Action(A.OPEN, cid)],
        lambda e, cid: row(e, cid).state == "open",
        lambda e, cid: e.conversation(cid)["state"] == "open" and e.conversation(cid)["open"],
    ),
    Case(
        "snooze",
        is_open,
        lambda cid: [A.Action(A.SNOOZE, cid, {"until": SNOOZE_UNTIL})],
        lambda e, cid: row(e, cid).state == "snoozed" and row(e, cid).snoozed_until == SNOOZE_UNTIL,
        lambda e, cid: (
            e.conversation(cid)["snoozed_until"] == SNOOZE_UNTIL
            and e.conversation(cid)["state"] == "snoozed"
        ),
    ),
    Case(
        "assign admin",
        lambda c: is_open(c) and str(c.get("admin_assignee_id")) != OTHER_ADMIN,
        lambda cid: [A.assign_action(cid, "admin", OTHER_ADMIN)],
        lambda e, cid: row(e, cid).admin_assignee_id == OTHER_ADMIN,
        lambda e, cid: str(e.conversation(cid)["admin_assignee_id"]) == OTHER_ADMIN,
    ),
    Case(
        "assign team",
        lambda c: is_open(c) and c.get("team_assignee_id") != TEAM,
        lambda cid: [A.assign_action(cid, "team", TEAM)],
        lambda e, cid: row(e, cid).team_assignee_id == TEAM,
        lambda e, cid: str(e.conversation(cid)["team_assignee_id"]) == TEAM,
    ),
    Case(
        "unassign both",
        lambda c: all(c[k] for k in ASSIGNEES),
        A.unassign_all,
        lambda e, cid: (
            row(e, cid).admin_assignee_id is None and row(e, cid).team_assignee_id is None
        ),
        lambda e, cid: unassigned(e.conversation(cid)),
    ),
    Case(
        "mark unread",
        lambda c: c["read"],
        lambda cid: [A.Action(A.READ, cid, {"read": False})],
        lambda e, cid: not row(e, cid).read,
        lambda e, cid: e.conversation(cid)["read"] is False,
    ),
    Case(
        "mark read",
        lambda c: not c["read"],
        lambda cid: [A.Action(A.READ, cid, {"read": True})],
        lambda e, cid: row(e, cid).read,
        lambda e, cid: e.conversation(cid)["read"] is True,
    ),
    Case(
        "reply",
        lambda c: is_open(c) and bool(c.get("waiting_since")),
        lambda cid: [A.Action(A.REPLY, cid, {"body": "<p>Fixed in 4.2, sorry!</p>"})],
        lambda e, cid: row(e, cid).waiting_since is None,
        lambda e, cid: (
            [p["body"] for p in e.parts(cid, "comment")][-1:] == ["<p>Fixed in 4.2, sorry!</p>"]
        ),
    ),
    Case(
        "note",
        is_open,
        lambda cid: [A.Action(A.NOTE, cid, {"body": "<p>Customer is on the old plan</p>"})],
        lambda e, cid: True,  # a note changes nothing in the list
        lambda e, cid: (
            [p["body"] for p in e.parts(cid, "note")][-1:] == ["<p>Customer is on the old plan</p>"]
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_every_action_is_shown_at_once_then_applied_on_the_server(
    synced: Env, case: Case
) -> None:
    env = synced
    (cid,) = env.pick(case.want)
    assert not case.server(env, cid)  # the precondition: nothing to see yet

    queued = env.svc.perform(case.actions(cid))

    assert queued == len(case.actions(cid))
    assert case.local(env, cid), "the cache did not change before sending"
    assert env.requests() == []  # nothing sent yet: perform never waits on the network
    assert RowsChanged((cid,) * queued) in env.events

    outcomes = await env.svc.flush_outbox()

    assert [o.ok for o in outcomes] == [True] * queued
    assert case.server(env, cid)
    assert case.local(env, cid), "the server's answer undid the change locally"
    assert outbox_states(env) == [DONE] * queued
    assert env.events[-1] == OutboxChanged(0)


async def test_requests_carry_our_admin_id_and_the_ids_the_api_wants(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: is_open(c) and untagged(REFUND)(c))
    env.svc.perform(
        [A.tag_action(cid, REFUND, "Refund", on=True), A.assign_action(cid, "team", TEAM)]
    )
    await env.svc.flush_outbox()
    tag, assign = env.requests("POST")
    assert (tag.path, tag.body) == (
        f"/conversations/{cid}/tags",
        {"id": REFUND, "admin_id": env.ws.me_id},
    )
    assert assign.path == f"/conversations/{cid}/parts"
    assert assign.body == {
        "message_type": "assignment",
        "type": "team",
        "admin_id": env.ws.me_id,
        "assignee_id": TEAM,
    }


async def test_bulk_tag_and_close_of_fifty_apply_once_each(synced: Env) -> None:
    env = synced
    ids = env.pick(untagged(VIP), n=50)
    assert env.svc.perform([A.tag_action(cid, VIP, "VIP", on=True) for cid in ids]) == 50
    assert env.svc.perform([A.Action(A.CLOSE, cid) for cid in ids]) == 50
    assert all(row(env, cid).state == "closed" and VIP in row(env, cid).tag_ids for cid in ids)

    outcomes = await env.svc.flush_outbox()

    assert len(outcomes) == 100 and all(o.ok for o in outcomes)
    for cid in ids:
        assert len(env.requests("POST", f"/conversations/{cid}/tags")) == 1
        assert len(env.requests("POST", f"/conversations/{cid}/parts")) == 1
        assert VIP in env.server_tags(cid)
        assert env.conversation(cid)["state"] == "closed"
    assert len(env.requests()) == 100
    assert await env.svc.flush_outbox() == []  # nothing left, nothing sent twice
    assert len(env.requests()) == 100


# ------------------------------------------------------------------ undo
async def test_undo_tag_removes_it_on_the_server(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(untagged(REFUND))
    env.svc.perform([A.tag_action(cid, REFUND, "Refund", on=True)])
    await env.svc.flush_outbox()
    assert REFUND in env.server_tags(cid)

    assert env.svc.undo() == "tag Refund"
    assert REFUND not in row(env, cid).tag_ids
    await env.svc.flush_outbox()

    assert REFUND not in env.server_tags(cid)
    assert [r.method for r in env.requests(path=f"/conversations/{cid}/tags/{REFUND}")] == [
        "DELETE"
    ]
    assert env.svc.undo() is None  # the undo itself is not undoable


async def test_undo_close_reopens(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    env.svc.perform([A.Action(A.CLOSE, cid)])
    assert env.svc.undo() == "close"
    assert row(env, cid).state == "open"
    await env.svc.flush_outbox()
    conversation = env.conversation(cid)
    assert (conversation["state"], conversation["open"]) == ("open", True)
    assert [r.body["message_type"] for r in env.requests("POST")] == ["close", "open"]


async def test_undo_snooze_of_an_open_conversation_reopens_it(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    env.svc.perform([A.Action(A.SNOOZE, cid, {"until": soon()})])
    await env.svc.flush_outbox()
    assert env.conversation(cid)["state"] == "snoozed"

    env.svc.undo()
    await env.svc.flush_outbox()

    conversation = env.conversation(cid)
    assert (conversation["state"], conversation["snoozed_until"]) == ("open", None)


async def test_undo_reopen_of_a_snoozed_conversation_snoozes_it_again(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: c["state"] == "closed")
    until = soon()
    snooze = {"message_type": "snoozed", "admin_id": env.ws.me_id, "snoozed_until": until}
    env.ws.manage(cid, snooze)
    await env.svc.sync()
    env.svc.perform([A.Action(A.OPEN, cid)])
    env.svc.undo()
    await env.svc.flush_outbox()
    assert (env.conversation(cid)["state"], env.conversation(cid)["snoozed_until"]) == (
        "snoozed",
        until,
    )


async def test_undo_assign_restores_the_previous_assignee(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(
        lambda c: (
            is_open(c) and c.get("admin_assignee_id") and str(c["admin_assignee_id"]) != OTHER_ADMIN
        )
    )
    previous = str(env.conversation(cid)["admin_assignee_id"])
    env.svc.perform([A.assign_action(cid, "admin", OTHER_ADMIN)])
    await env.svc.flush_outbox()
    assert str(env.conversation(cid)["admin_assignee_id"]) == OTHER_ADMIN

    assert env.svc.undo() == "assign"
    assert row(env, cid).admin_assignee_id == previous
    await env.svc.flush_outbox()
    assert str(env.conversation(cid)["admin_assignee_id"]) == previous


async def test_undo_unassign_restores_admin_and_team(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: not unassigned(c) and all(c[k] for k in ASSIGNEES))
    before = env.conversation(cid)
    env.svc.perform(A.unassign_all(cid))
    env.svc.undo()
    await env.svc.flush_outbox()
    after = env.conversation(cid)
    assert str(after["admin_assignee_id"]) == str(before["admin_assignee_id"])
    assert str(after["team_assignee_id"]) == str(before["team_assignee_id"])


async def test_a_reply_cannot_be_undone_and_undo_says_so(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(untagged(REFUND))
    env.svc.perform([A.tag_action(cid, REFUND, "Refund", on=True)])
    env.svc.perform([A.Action(A.REPLY, cid, {"body": "<p>On it</p>"})])

    assert env.svc.undo() is None
    failed = [e for e in env.events if isinstance(e, ActionFailed)]
    assert len(failed) == 1 and "Cannot undo reply" in failed[0].message
    assert REFUND in row(env, cid).tag_ids  # the older tag step was not undone instead

    await env.svc.flush_outbox()
    assert len(env.parts(cid, "comment")) >= 1
    assert REFUND in env.server_tags(cid)
    assert env.svc.undo() == "tag Refund"  # pressed again: the step before the reply


async def test_undo_of_a_bulk_tag_leaves_conversations_that_already_had_it(synced: Env) -> None:
    env = synced
    had = env.pick(tagged(REFUND), n=3)
    fresh = env.pick(untagged(REFUND), n=3)
    env.svc.perform([A.tag_action(cid, REFUND, "Refund", on=True) for cid in had + fresh])
    env.svc.undo()
    await env.svc.flush_outbox()

    assert all(REFUND in env.server_tags(cid) for cid in had)
    assert all(REFUND not in env.server_tags(cid) for cid in fresh)
    assert all(REFUND in row(env, cid).tag_ids for cid in had)
    assert len(env.requests("DELETE")) == 3


# ------------------------------------------------------------------ definite failures
@pytest.mark.parametrize("status", [404, 422])
async def test_a_refused_close_is_rolled_back_with_a_plain_message(
    synced: Env, status: int
) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    env.server.faults.add(Fault("status", "POST", rf"^/conversations/{cid}/parts$", status=status))
    env.svc.perform([A.Action(A.CLOSE, cid)])
    assert row(env, cid).state == "closed"

    (outcome,) = await env.svc.flush_outbox()

    assert not outcome.ok and outcome.final
    assert row(env, cid).state == "open"
    assert env.conversation(cid)["state"] == "open"
    assert only_entry(env).state == FAILED
    (failed,) = [e for e in env.events if isinstance(e, ActionFailed)]
    assert failed.ids == (cid,)
    assert failed.message.startswith(f"Could not close on #{cid}: ")
    assert str(status) in failed.message
    assert not CONTROL.search(failed.message) and TOKEN not in failed.message
    assert "Traceback" not in failed.message and "Error(" not in failed.message
    assert len(env.requests("POST")) == 1  # a refusal is not retried


async def test_a_refused_tag_is_rolled_back_but_a_tag_that_was_there_stays(synced: Env) -> None:
    env = synced
    had = env.pick(tagged(REFUND))[0]
    fresh = env.pick(untagged(REFUND))[0]
    env.server.faults.add(Fault("status", "POST", r"/tags$", times=2, status=422))
    env.svc.perform([A.tag_action(cid, REFUND, "Refund", on=True) for cid in (had, fresh)])

    outcomes = await env.svc.flush_outbox()

    assert [o.final and not o.ok for o in outcomes] == [True, True]
    assert REFUND in row(env, had).tag_ids
    assert REFUND not in row(env, fresh).tag_ids


async def test_a_refused_assignment_restores_the_assignee(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: is_open(c) and bool(c.get("admin_assignee_id")))
    previous = row(env, cid).admin_assignee_id
    env.svc.perform([A.assign_action(cid, "admin", "999999")])  # no such admin: 404
    assert row(env, cid).admin_assignee_id == "999999"
    (outcome,) = await env.svc.flush_outbox()
    assert outcome.final and "not found" in outcome.message.lower()
    assert row(env, cid).admin_assignee_id == previous


async def test_rollback_keeps_changes_made_after_the_failed_action(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: is_open(c) and untagged(REFUND)(c))
    env.server.faults.add(Fault("status", "POST", rf"^/conversations/{cid}/parts$", status=422))
    env.svc.perform([A.Action(A.CLOSE, cid)])
    env.svc.perform([A.tag_action(cid, REFUND, "Refund", on=True)])
    await env.svc.flush_outbox()
    assert row(env, cid).state == "open"
    assert REFUND in row(env, cid).tag_ids and REFUND in env.server_tags(cid)


async def test_another_4xx_is_final_too_not_retried_forever(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    env.server.faults.add(Fault("status", "POST", rf"^/conversations/{cid}/parts$", status=409))
    env.svc.perform([A.Action(A.CLOSE, cid)])
    (outcome,) = await env.svc.flush_outbox()
    assert outcome.final and only_entry(env).state == FAILED
    assert row(env, cid).state == "open"


async def test_a_deleted_conversation_fails_its_actions_and_leaves_the_cache(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    # The emulator cannot delete; Intercom answers 404 for a deleted conversation.
    gone = Fault("status", "*", rf"^/conversations/{cid}(/.*)?$", times=3, status=404)
    env.server.faults.add(gone)
    env.svc.perform([A.Action(A.CLOSE, cid)])
    (outcome,) = await env.svc.flush_outbox()
    assert outcome.final and not outcome.ok
    with pytest.raises(Exception, match="not found"):
        await env.svc.fetch_conversation(cid)
    assert env.svc.cache.get_row(cid) is None
    assert env.svc.cached_conversation(cid) is None


# ------------------------------------------------------------------ transient failures
async def test_429_reschedules_no_sooner_than_retry_after_then_applies_once(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    closes = len(env.parts(cid, "close"))
    env.server.faults.add(
        Fault(
            "status",
            "POST",
            rf"^/conversations/{cid}/parts$",
            times=env.attempts,
            status=429,
            headers={"Retry-After": "120"},
        )
    )
    env.svc.perform([A.Action(A.CLOSE, cid)])

    (outcome,) = await env.svc.flush_outbox()

    assert not outcome.ok and not outcome.final
    entry = only_entry(env)
    assert (entry.state, entry.attempts) == (PENDING, 1)
    assert entry.next_attempt_at >= env.clock() + 120
    assert "rate limiting" in (entry.last_error or "")
    assert row(env, cid).state == "closed"  # still shown as done: it will be
    assert [e for e in env.events if isinstance(e, ActionFailed)] == []

    env.clock.advance(60)
    assert await env.svc.flush_outbox() == []  # not due yet
    env.clock.advance(MAX_DELAY)
    (outcome,) = await env.svc.flush_outbox()

    assert outcome.ok
    assert env.conversation(cid)["state"] == "closed"
    assert len(env.parts(cid, "close")) == closes + 1
    assert [r.status for r in env.requests("POST")] == [429, 429, 200]


@pytest.mark.parametrize(
    ("kind", "status", "client_retries"),
    [("status", 503, True), ("drop", 500, True), ("html", 502, True), ("non_json", 200, False)],
)
async def test_transient_failures_retry_later_and_apply_once(
    synced: Env, kind: str, status: int, client_retries: bool
) -> None:
    env = synced
    (cid,) = env.pick(lambda c: is_open(c) and untagged(REFUND)(c))
    path = rf"^/conversations/{cid}/tags$"
    times = env.attempts if client_retries else 1  # enough for one flush to give up
    env.server.faults.add(Fault(kind, "POST", path, times=times, status=status))
    env.svc.perform([A.tag_action(cid, REFUND, "Refund", on=True)])

    (outcome,) = await env.svc.flush_outbox()
    assert not outcome.final
    entry = only_entry(env)
    assert entry.state == PENDING and entry.attempts == 1
    assert REFUND not in env.server_tags(cid)

    env.clock.advance(MAX_DELAY)
    (outcome,) = await env.svc.flush_outbox()
    assert outcome.ok and only_entry(env).state == DONE
    assert REFUND in env.server_tags(cid)
    assert REFUND in row(env, cid).tag_ids


async def test_a_retrying_entry_holds_back_later_ones_of_its_conversation(synced: Env) -> None:
    """Undo right after a close that failed for now: the reopen must not overtake it."""
    env = synced
    (cid, other) = env.pick(is_open, n=2)
    env.server.faults.add(
        Fault("status", "POST", rf"^/conversations/{cid}/parts$", times=env.attempts, status=503)
    )
    env.svc.perform([A.Action(A.CLOSE, cid)])
    await env.svc.flush_outbox()
    env.svc.undo()  # queues "open" for cid
    env.svc.perform([A.Action(A.CLOSE, other)])

    outcomes = await env.svc.flush_outbox()
    assert [o.entry.conversation_id for o in outcomes] == [other]  # cid waits its turn

    env.clock.advance(MAX_DELAY)
    outcomes = await env.svc.flush_outbox()
    assert [o.entry.kind for o in outcomes] == ["close", "open"]
    assert env.conversation(cid)["state"] == "open"
    assert row(env, cid).state == "open"


async def test_a_rejected_token_keeps_everything_queued_and_stops(synced: Env) -> None:
    env = synced
    (a, b) = env.pick(is_open, n=2)
    env.server.faults.add(Fault("status", "*", ".*", times=1, status=401))
    env.svc.perform([A.Action(A.CLOSE, a), A.Action(A.CLOSE, b)])

    with pytest.raises(AuthenticationError):
        await env.svc.flush_outbox()

    assert outbox_states(env) == [PENDING, PENDING]
    assert row(env, a).state == row(env, b).state == "closed"  # nothing rolled back
    assert [e for e in env.events if isinstance(e, ActionFailed)] == []
    assert len(env.requests()) == 1  # b was not tried with the same bad token

    env.clock.advance(MAX_DELAY)
    assert len(await env.svc.flush_outbox()) == 2
    assert env.conversation(a)["state"] == env.conversation(b)["state"] == "closed"


async def test_a_malformed_entry_fails_without_stopping_the_queue(synced: Env) -> None:
    env = synced
    (a, b) = env.pick(is_open, n=2)
    env.svc.outbox.add("snooze", a, {"params": {}})  # no "until": e.g. an older version
    env.svc.perform([A.Action(A.CLOSE, b)])
    outcomes = await env.svc.flush_outbox()
    assert [(o.ok, o.final) for o in outcomes] == [(False, True), (True, True)]
    assert "malformed" in outcomes[0].message
    assert env.conversation(b)["state"] == "closed"


# ------------------------------------------------------------------ replies: exactly once
def replies(env: Env, cid: str, body: str) -> list[JSON]:
    return [p for p in env.parts(cid, "comment") if p["body"] == body]


async def test_reply_whose_answer_is_lost_after_it_landed_is_not_sent_again(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    body = "<p>Refund issued.</p>"
    env.server.faults.add(Fault("drop_after_apply", "POST", rf"^/conversations/{cid}/reply$"))
    env.svc.perform([A.Action(A.REPLY, cid, {"body": body})])

    for _ in range(3):
        await env.svc.flush_outbox()
        env.clock.advance(MAX_DELAY)

    assert len(replies(env, cid, body)) == 1
    assert len(env.requests("POST", f"/conversations/{cid}/reply")) == 1
    assert only_entry(env).state == DONE
    thread = env.svc.cached_conversation(cid)
    assert thread is not None and body in [p.body for p in thread.parts]


async def test_reply_dropped_before_it_landed_is_sent_once_later(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    body = "<p>Could you send a screenshot?</p>"
    env.server.faults.add(Fault("drop", "POST", rf"^/conversations/{cid}/reply$"))
    env.svc.perform([A.Action(A.REPLY, cid, {"body": body})])

    (outcome,) = await env.svc.flush_outbox()
    assert not outcome.ok and not outcome.final
    assert only_entry(env).state == AMBIGUOUS
    assert replies(env, cid, body) == []
    assert [a.params["body"] for a in env.svc.pending_messages(cid)] == [body]

    env.clock.advance(MAX_DELAY)
    (outcome,) = await env.svc.flush_outbox()
    assert outcome.ok
    await env.svc.flush_outbox()

    assert len(replies(env, cid, body)) == 1
    assert len(env.requests("POST", f"/conversations/{cid}/reply")) == 2  # dropped + sent
    assert env.svc.pending_messages(cid) == []


async def test_reply_answered_503_is_checked_then_sent_once(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    body = "<p>Looking into it</p>"
    env.server.faults.add(Fault("status", "POST", rf"^/conversations/{cid}/reply$", status=503))
    env.svc.perform([A.Action(A.REPLY, cid, {"body": body})])
    await env.svc.flush_outbox()
    env.clock.advance(MAX_DELAY)
    await env.svc.flush_outbox()
    assert len(replies(env, cid, body)) == 1


async def run_outbox_until_settled(env: Env) -> None:
    """Run the UI's outbox worker until nothing is pending, then stop it."""
    settled = asyncio.Event()
    env.svc.listeners.append(
        lambda e: settled.set() if isinstance(e, OutboxChanged) and e.pending == 0 else None
    )
    worker = asyncio.create_task(env.svc.run_outbox(idle=60))
    try:
        await asyncio.wait_for(settled.wait(), 10)
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "not-landed"])
async def test_crash_while_sending_a_reply_checks_the_server_first(
    synced: Env, landed: bool
) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    text = "Your account is unlocked."
    body = f"<p>{text}</p>"
    env.svc.perform([A.Action(A.REPLY, cid, {"body": body})])
    entry = only_entry(env)
    assert env.svc.outbox.claim(entry)  # the request left...
    if landed:  # ...and Intercom applied it before the process died
        reply = {"message_type": "comment", "type": "admin", "admin_id": env.ws.me_id}
        env.ws.reply(cid, {**reply, "body": text})
    await env.close()  # killed: nothing else recorded

    env.open()
    assert outbox_states(env) == [SENDING]
    env.forget_requests()
    await run_outbox_until_settled(env)

    assert len(replies(env, cid, body)) == 1
    assert env.requests("GET", f"/conversations/{cid}")  # looked before sending
    sent = env.requests("POST", f"/conversations/{cid}/reply")
    assert len(sent) == (0 if landed else 1)
    assert outbox_states(env) == [DONE]


async def test_actions_queued_offline_survive_a_restart_and_apply(synced: Env) -> None:
    env = synced
    (a, b) = env.pick(lambda c: is_open(c) and untagged(REFUND)(c), n=2)
    await env.reopen(online=False)
    env.svc.perform([A.Action(A.CLOSE, a), A.tag_action(b, REFUND, "Refund", on=True)])
    env.svc.perform([A.Action(A.NOTE, b, {"body": "<p>queued offline</p>"})])
    assert await env.svc.flush_outbox() == []
    assert env.svc.outbox.pending_count() == 3

    await env.reopen(online=True)
    assert row(env, a).state == "closed"  # the optimistic state was saved too
    await env.svc.flush_outbox()

    assert env.conversation(a)["state"] == "closed"
    assert REFUND in env.server_tags(b)
    assert [p["body"] for p in env.parts(b, "note")][-1] == "<p>queued offline</p>"
    assert env.svc.outbox.pending_count() == 0


# ------------------------------------------------------------------ idempotent actions
async def test_close_after_a_503_is_applied_exactly_once(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(is_open)
    before = len(env.parts(cid, "close"))
    env.server.faults.add(Fault("status", "POST", rf"^/conversations/{cid}/parts$", status=503))
    env.svc.perform([A.Action(A.CLOSE, cid)])
    (outcome,) = await env.svc.flush_outbox()  # the client's own retry gets through
    assert outcome.ok
    assert env.conversation(cid)["state"] == "closed"
    assert len(env.parts(cid, "close")) == before + 1
    assert env.retry_sleeps.delays  # it backed off (virtually) before the retry


async def test_close_whose_answer_was_lost_may_apply_twice_with_the_same_end_state(
    synced: Env,
) -> None:
    """Close, open, snooze and assign are retried blindly: applying one twice leaves the
    same state (Intercom's timeline shows a second "closed" line, nothing worse). Only a
    reply or note would be a visible duplicate, and those are checked before resending."""
    env = synced
    (cid,) = env.pick(is_open)
    before = len(env.parts(cid, "close"))
    env.server.faults.add(Fault("drop_after_apply", "POST", rf"^/conversations/{cid}/parts$"))
    env.svc.perform([A.Action(A.CLOSE, cid)])
    (outcome,) = await env.svc.flush_outbox()
    assert outcome.ok
    assert env.conversation(cid)["state"] == "closed"
    assert len(env.parts(cid, "close")) == before + 2


# ------------------------------------------------------------------ local state
async def test_a_sync_keeps_queued_changes_on_screen(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: is_open(c) and untagged(REFUND)(c))
    env.svc.perform([A.Action(A.CLOSE, cid)])
    env.ws.attach_tag(cid, {"id": REFUND, "admin_id": OTHER_ADMIN})  # a teammate, meanwhile

    result = await env.svc.sync()

    assert cid in result.changed_ids
    assert row(env, cid).state == "closed"  # not reverted by the server's older copy
    assert REFUND in row(env, cid).tag_ids  # and the teammate's change is there


async def test_an_action_on_an_opened_conversation_keeps_what_sync_brought(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: is_open(c) and untagged(REFUND)(c))
    await env.svc.fetch_conversation(cid)  # the thread is cached
    env.ws.attach_tag(cid, {"id": REFUND, "admin_id": OTHER_ADMIN})
    await env.svc.sync()  # refreshes the list copy only

    env.svc.perform([A.Action(A.CLOSE, cid)])

    assert row(env, cid).state == "closed"
    assert REFUND in row(env, cid).tag_ids
    cached = env.svc.cached_conversation(cid)
    assert cached is not None and REFUND in cached.tag_ids and cached.parts


async def test_perform_on_an_unknown_conversation_queues_nothing(synced: Env) -> None:
    assert synced.svc.perform([A.Action(A.CLOSE, "does-not-exist")]) == 0
    assert synced.svc.outbox.pending_count() == 0
    assert synced.svc.undo() is None


async def test_send_message_queues_html_and_sends_it(synced: Env) -> None:
    pytest.importorskip("intercom_tui.render.compose")
    env = synced
    (cid,) = env.pick(is_open)
    env.svc.send_message(cid, A.NOTE, "line one\nline <two>")
    (pending,) = env.svc.pending_messages(cid)
    assert "&lt;two&gt;" in pending.params["body"]
    await env.svc.flush_outbox()
    assert env.parts(cid, "note")[-1]["body"] == pending.params["body"]
