"""What the reliability tests share: a service on the emulator with a virtual clock, a
transport that counts what the client sent, and the checks every failure must pass.

``Rig`` is one emulator, one cache file and an ``InboxService`` over them. Retries and
outbox back-off cost no wall time: the client's ``RetryPolicy`` sleeps on a fake that only
records, and the service's clock moves when a test says so. ``settle`` waits (by polling a
condition, never a fixed time) until the emulator has finished every request the client
sent, including ones the client gave up on, so the server's state can be read.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from intercom_tui.api.client import IntercomClient
from intercom_tui.api.models import Conversation
from intercom_tui.api.retry import RetryPolicy
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service.inbox import InboxService
from intercom_tui.store.cache import Cache, ConversationRow
from tests.conftest import TOKEN
from tests.service.support import Env

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
#: Longest a one-line message to the user may be.
MAX_MESSAGE = 400
#: One TLS context for every test transport: building one loads the CA bundle (~40 ms),
#: and the emulator is plain http on loopback anyway.
_TLS = ssl.create_default_context()


class CountingTransport(httpx.AsyncBaseTransport):
    """The real loopback transport, counting every request handed to it."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport(verify=_TLS)
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Rig(Env):
    """``Env`` whose client counts what it sends and may time out early."""

    #: The client's read timeout (seconds): short where a test injects latency.
    read_timeout: float = 10.0
    attempts: int = 3
    transport: CountingTransport = field(default_factory=CountingTransport)

    def client(self) -> IntercomClient:
        policy = RetryPolicy(max_attempts=self.attempts, jitter=False, sleep=self.retry_sleeps)
        return IntercomClient(
            TOKEN,
            self.server.url,
            retry=policy,
            transport=self.transport,
            timeout=httpx.Timeout(10.0, read=self.read_timeout),
        )

    def sent(self, method: str, path: str) -> int:
        """How many requests the client sent for ``method path`` (exact path)."""
        return self.transport.sent.count((method, path))

    def received(self, method: str, path: str) -> int:
        """How many of them the emulator has finished with."""
        return sum(1 for r in self.server.requests if r.method == method and r.path == path)

    async def settle(self, timeout: float = 15.0) -> None:
        """Wait until the emulator has finished every request the client sent (a request
        the client timed out on is still being applied in a server thread)."""
        deadline = time.monotonic() + timeout
        while len(self.server.requests) < len(self.transport.sent):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the emulator finished {len(self.server.requests)} of "
                    f"{len(self.transport.sent)} requests in {timeout} s"
                )
            await asyncio.sleep(0.02)


# ---------------------------------------------------------------------------- checks
def assert_one_line(message: str) -> None:
    """What a person is told: one short line, no traceback, no token, no control chars."""
    assert message and message.strip() == message, repr(message)
    assert "\n" not in message and "\r" not in message, repr(message)
    assert "Traceback" not in message and 'File "' not in message, message
    assert TOKEN not in message, "the token leaked into a message"
    assert len(message) <= MAX_MESSAGE, f"{len(message)} characters: {message[:120]}…"
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in message), repr(message)


@dataclass(frozen=True, slots=True)
class Visible:
    """What actions change and the list shows: compared between cache and server."""

    state: str
    admin: str | None
    team: str | None
    snoozed_until: int | None
    waiting_since: int | None
    tags: tuple[str, ...]

    @classmethod
    def of_json(cls, data: Mapping[str, Any]) -> Visible:
        c = Conversation.from_api({k: v for k, v in data.items() if k != "conversation_parts"})
        return cls(
            c.state,
            c.admin_assignee_id,
            c.team_assignee_id,
            c.snoozed_until or None,
            c.waiting_since or None,
            tuple(sorted(c.tag_ids)),
        )

    @classmethod
    def of_row(cls, row: ConversationRow) -> Visible:
        return cls(
            row.state,
            row.admin_assignee_id,
            row.team_assignee_id,
            row.snoozed_until or None,
            row.waiting_since or None,
            tuple(sorted(row.tag_ids)),
        )


def cached(svc: InboxService, cid: str) -> Visible:
    row = svc.cache.get_row(cid)
    assert row is not None, f"conversation {cid} is not in the cache"
    return Visible.of_row(row)


def cached_ids(cache: Cache) -> list[str]:
    """Every conversation id in the cache, sorted, duplicates kept (so they show)."""
    with cache.read_transaction() as conn:
        return sorted(r[0] for r in conn.execute("SELECT id FROM conversations"))


def on_server(server: EmulatorServer, cid: str) -> Visible:
    return Visible.of_json(server.workspace.conversation(cid))


def assert_cache_matches_server(svc: InboxService, server: EmulatorServer) -> None:
    """Every conversation: cached once, and the cache shows what the server holds."""
    ids = server.workspace.conversation_ids()
    assert cached_ids(svc.cache) == sorted(ids)
    for cid in ids:
        assert cached(svc, cid) == on_server(server, cid), cid


def wait_until(what: str, ready: Callable[[], bool], timeout: float = 30) -> None:
    """Poll ``ready`` until it holds; give up (fail) after a generous ``timeout``."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(0.01)
