"""Programs the cache stress tests run as processes, so that they can be killed with -9.

``python -m tests.reliability.workers COMMAND ...`` (from the repository root):

- ``queue CACHE TAG_ID N [--crash-at K]``: tag the first ``N`` cached conversations one
  by one (offline, as the app queues actions), printing ``queued ID`` after each. With
  ``--crash-at K`` the process kills itself (SIGKILL) at the instant the K-th action has
  been applied to the cache and is about to be queued: a deterministic crash point.
- ``send CACHE URL``: send the outbox once (as the app does at start), printing each
  outcome; the token comes from ``INTERCOM_ACCESS_TOKEN``.
- ``mixed CACHE URL TAG_ID ID,ID,...``: a whole session: sync, tag these conversations,
  send them; prints ``done`` at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from intercom_tui.service import actions as A
from intercom_tui.service.inbox import Connection, InboxService
from intercom_tui.store.cache import Cache
from intercom_tui.store.outbox import Outbox


def _say(line: str) -> None:
    print(line, flush=True)


def queue(cache_path: Path, tag_id: str, count: int, crash_at: int | None) -> int:
    if crash_at is not None:
        add = Outbox.add
        calls = 0

        def add_then_maybe_die(self: Outbox, *args: object, **kwargs: object) -> object:
            nonlocal calls
            calls += 1
            if calls == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return add(self, *args, **kwargs)  # type: ignore[arg-type]

        Outbox.add = add_then_maybe_die  # type: ignore[method-assign]
    service = InboxService(Cache.open(cache_path), None)
    tag = service.directory.tags[tag_id]
    view = service.view("all")
    for item in service.window(view, 0, count):
        service.perform([A.tag_action(item.id, tag_id, tag.name, on=True)])
        _say(f"queued {item.id}")
    return 0


async def _online(cache_path: Path, url: str) -> InboxService:
    service = InboxService(
        Cache.open(cache_path), Connection(url, os.environ["INTERCOM_ACCESS_TOKEN"])
    )
    if service.me_id is None:
        await service.connect()
    return service


async def send(cache_path: Path, url: str) -> int:
    service = await _online(cache_path, url)
    service.outbox.recover_after_crash()
    try:
        for outcome in await service.flush_outbox():
            _say(f"{outcome.entry.kind} {outcome.entry.conversation_id} ok={outcome.ok}")
    finally:
        await service.aclose()
    return 0


async def mixed(cache_path: Path, url: str, tag_id: str, ids: list[str]) -> int:
    service = await _online(cache_path, url)
    try:
        await service.sync()
        tag = service.directory.tags[tag_id]
        service.perform([A.tag_action(cid, tag_id, tag.name, on=True) for cid in ids])
        outcomes = await service.flush_outbox()
    finally:
        await service.aclose()
    # Both instances share one outbox: each sends what it claims, mine or the other's.
    if not all(o.ok for o in outcomes):
        _say(f"failed: {[o.message for o in outcomes]}")
        return 1
    _say("done")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="workers")
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("queue")
    q.add_argument("cache", type=Path)
    q.add_argument("tag_id")
    q.add_argument("count", type=int)
    q.add_argument("--crash-at", type=int)
    s = sub.add_parser("send")
    s.add_argument("cache", type=Path)
    s.add_argument("url")
    m = sub.add_parser("mixed")
    m.add_argument("cache", type=Path)
    m.add_argument("url")
    m.add_argument("tag_id")
    m.add_argument("ids")
    args = parser.parse_args(argv)
    if args.command == "queue":
        return queue(args.cache, args.tag_id, args.count, args.crash_at)
    if args.command == "send":
        return asyncio.run(send(args.cache, args.url))
    return asyncio.run(mixed(args.cache, args.url, args.tag_id, args.ids.split(",")))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
