"""The durable outbox: ordering, retries, crash recovery, and surviving a restart."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from intercom_tui.store.cache import Cache
from intercom_tui.store.outbox import Outbox, OutboxEntry
from tests.conftest import FIXED_NOW


class Clock:
    def __init__(self) -> None:
        self.now = float(FIXED_NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    c = Cache.open(tmp_path / "cache.sqlite3")
    yield c
    c.close()


@pytest.fixture
def outbox(cache: Cache, clock: Clock) -> Outbox:
    return Outbox(cache, clock=clock)


def ids(entries: list[OutboxEntry]) -> list[int]:
    return [e.id for e in entries]


def test_add_queues_a_pending_entry(outbox: Outbox, clock: Clock) -> None:
    payload = {"params": {"body": "<p>Thanks — ✓</p>", "nested": [1, {"a": None}]}}
    entry = outbox.add("reply", "123", payload)
    assert (entry.kind, entry.conversation_id, entry.payload) == ("reply", "123", payload)
    assert (entry.state, entry.attempts, entry.last_error) == ("pending", 0, None)
    assert entry.created_at == entry.next_attempt_at == clock.now
    assert uuid.UUID(entry.key).version == 4
    assert outbox.get(entry.id) == entry and outbox.get(999) is None


def test_due_is_oldest_first_and_skips_settled_and_later_ones(outbox: Outbox, clock: Clock) -> None:
    a, b, c, d = (outbox.add("close", str(i), {}) for i in range(4))
    outbox.mark_done(b.id)
    outbox.mark_failed(c.id, "Conversation not found")
    assert ids(outbox.due(clock.now)) == [a.id, d.id]
    assert ids(outbox.due(clock.now, limit=1)) == [a.id]
    assert outbox.get(c.id).last_error == "Conversation not found"  # type: ignore[union-attr]
    assert outbox.due(clock.now - 1) == []


def test_sending_entries_are_not_due_until_settled(outbox: Outbox, clock: Clock) -> None:
    entry = outbox.add("tag", "1", {"params": {"tag_id": "5"}})
    assert outbox.claim(entry)
    sending = outbox.get(entry.id)
    assert sending is not None and (sending.state, sending.attempts) == ("sending", 1)
    assert outbox.due(clock.now + 3600) == []
    assert outbox.pending_count() == 1
    outbox.mark_done(entry.id)
    assert outbox.pending_count() == 0 and outbox.get(entry.id).state == "done"  # type: ignore[union-attr]


def test_reschedule_backs_off_and_keeps_creation_order(outbox: Outbox, clock: Clock) -> None:
    first, second = outbox.add("open", "1", {}), outbox.add("open", "2", {})
    assert outbox.claim(first)
    outbox.reschedule(first.id, 10.0, "503 Service Unavailable")
    retried = outbox.get(first.id)
    assert retried is not None
    assert (retried.state, retried.next_attempt_at, retried.last_error, retried.attempts) == (
        "pending", clock.now + 10, "503 Service Unavailable", 1)  # fmt: skip
    assert ids(outbox.due(clock.now)) == [second.id]
    clock.now += 10
    assert ids(outbox.due(clock.now)) == [first.id, second.id]


def test_an_ambiguous_entry_is_due_and_says_so(outbox: Outbox, clock: Clock) -> None:
    entry = outbox.add("reply", "1", {"params": {"body": "hi"}})
    assert outbox.claim(entry)
    outbox.reschedule(entry.id, 2.0, "timed out after sending", ambiguous=True)
    assert outbox.due(clock.now) == []
    clock.now += 2
    (due,) = outbox.due(clock.now)
    assert (due.id, due.state) == (entry.id, "ambiguous")
    assert outbox.pending_count() == 1


def test_pending_count_counts_unsettled_entries(outbox: Outbox) -> None:
    entries = [outbox.add("read", str(i), {}) for i in range(5)]
    assert outbox.claim(entries[0])
    outbox.reschedule(entries[1].id, 5, "x", ambiguous=True)
    outbox.mark_done(entries[2].id)
    outbox.mark_failed(entries[3].id, "no")
    assert outbox.pending_count() == 3


def test_a_key_is_queued_once(outbox: Outbox) -> None:
    first = outbox.add("reply", "1", {"params": {"body": "hi"}}, key="client-key-1")
    again = outbox.add("reply", "1", {"params": {"body": "hi"}}, key="client-key-1")
    assert again == first and outbox.pending_count() == 1
    other = outbox.add("reply", "1", {"params": {"body": "hi"}})
    assert other.key != first.key and outbox.pending_count() == 2


def test_the_queue_survives_a_restart(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "c.sqlite3"
    c = Cache.open(path)
    box = Outbox(c, clock=clock)
    kept = box.add("snooze", "9", {"params": {"until": FIXED_NOW + 3600}})
    assert box.claim(kept)
    c.close()
    c = Cache.open(path)
    box = Outbox(c, clock=clock)
    assert box.get(kept.id) == OutboxEntry(
        kept.id, kept.key, "9", "snooze", {"params": {"until": FIXED_NOW + 3600}},
        clock.now, 1, clock.now, "sending", None,
    )  # fmt: skip
    c.close()


def test_recover_after_crash_marks_sending_entries_ambiguous(outbox: Outbox, clock: Clock) -> None:
    stuck, waiting, sent = (outbox.add("reply", str(i), {}) for i in range(3))
    assert outbox.claim(stuck)
    assert outbox.claim(sent)
    outbox.mark_done(sent.id)
    recovered = outbox.recover_after_crash()
    assert [(e.id, e.state) for e in recovered] == [(stuck.id, "ambiguous")]
    assert outbox.get(stuck.id).state == "ambiguous"  # type: ignore[union-attr]
    assert outbox.get(waiting.id).state == "pending"  # type: ignore[union-attr]
    assert ids(outbox.due(clock.now)) == [stuck.id, waiting.id]
    assert outbox.recover_after_crash() == []


def test_a_killed_process_leaves_evidence(tmp_path: Path) -> None:
    """kill -9 right after a claim: the next start finds the entry and distrusts it."""
    path = tmp_path / "c.sqlite3"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from intercom_tui.store.cache import Cache\n"
        "from intercom_tui.store.outbox import Outbox\n"
        "box = Outbox(Cache.open(Path(sys.argv[1])))\n"
        "box.claim(box.add('reply', '7', {'params': {'body': 'hi'}}, key='k1'))\n"
        "box.add('close', '8', {}, key='k2')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], timeout=60)
    assert done.returncode == -9
    c = Cache.open(path)
    box = Outbox(c)
    assert [(e.key, e.state) for e in box.recover_after_crash()] == [("k1", "ambiguous")]
    assert [e.key for e in box.due(float("inf"))] == ["k1", "k2"]
    c.close()


def test_forget_done_drops_only_old_sent_entries(outbox: Outbox, clock: Clock) -> None:
    old, failed = outbox.add("open", "1", {}), outbox.add("open", "2", {})
    outbox.mark_done(old.id)
    outbox.mark_failed(failed.id, "no")
    clock.now += 100
    recent = outbox.add("open", "3", {})
    outbox.mark_done(recent.id)
    assert outbox.forget_done(older_than=clock.now - 50) == 1
    assert outbox.get(old.id) is None
    assert outbox.get(failed.id) is not None and outbox.get(recent.id) is not None


def test_only_one_of_two_instances_claims_an_entry(tmp_path: Path, clock: Clock) -> None:
    """Two app instances on one cache: both see the entry as due, one sends it."""
    path = tmp_path / "shared.sqlite3"
    first, second = Cache.open(path), Cache.open(path)
    try:
        entry = Outbox(first, clock=clock).add("close", "1", {})
        seen_by_both = [Outbox(c, clock=clock).due(clock() + 1) for c in (first, second)]
        assert seen_by_both[0] == seen_by_both[1] == [entry]
        assert Outbox(second, clock=clock).claim(entry) is True
        assert Outbox(first, clock=clock).claim(entry) is False
        assert Outbox(first, clock=clock).get(entry.id).attempts == 1  # type: ignore[union-attr]
    finally:
        first.close()
        second.close()
