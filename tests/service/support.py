"""Building services against a real emulator over loopback, with a virtual clock.

``Clock`` starts at the real time (the emulator stamps changes with it, and reply dedup
compares the two) and only moves when a test advances it or something "sleeps" on it:
backoff, rate-limit pauses and outbox retries cost no wall time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intercom_tui.api.client import IntercomClient
from intercom_tui.api.retry import RetryPolicy
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.service.inbox import META_ME, Connection, Event, InboxService
from intercom_tui.store.cache import Cache
from tests.conftest import FIXED_NOW, TOKEN
from tests.fakes import Clock, FakeSleep


@dataclass
class Env:
    """One emulator, one cache file, and the service over them (reopenable)."""

    server: EmulatorServer
    path: Path
    clock: Clock = field(default_factory=Clock)
    attempts: int = 2
    service: InboxService | None = None
    events: list[Event] = field(default_factory=list)
    #: Requests before this index are ignored by ``requests`` (``forget_requests``).
    mark: int = 0
    retry_sleeps: FakeSleep = field(init=False)
    engine_sleeps: FakeSleep = field(init=False)

    def __post_init__(self) -> None:
        self.retry_sleeps = FakeSleep(self.clock)
        self.engine_sleeps = FakeSleep(self.clock)

    @property
    def svc(self) -> InboxService:
        assert self.service is not None
        return self.service

    @property
    def ws(self) -> Workspace:
        return self.server.workspace

    def client(self) -> IntercomClient:
        policy = RetryPolicy(max_attempts=self.attempts, jitter=False, sleep=self.retry_sleeps)
        return IntercomClient(TOKEN, self.server.url, retry=policy)

    def open(self, *, online: bool = True) -> InboxService:
        """A new service on the cache file (what a restart of the app does)."""
        cache = Cache.open(self.path)
        cache.set_meta(META_ME, self.ws.me_id)
        connection = Connection(self.server.url, TOKEN, self.client()) if online else None
        self.service = InboxService(cache, connection, clock=self.clock, sleep=self.engine_sleeps)
        self.service.listeners.append(self.events.append)
        return self.service

    async def close(self) -> None:
        """Close the service and its cache (the process ends)."""
        if self.service is not None:
            await self.service.aclose()
            self.service.cache.close()
            self.service = None

    async def reopen(self, *, online: bool = True) -> InboxService:
        await self.close()
        return self.open(online=online)

    def forget_requests(self) -> None:
        self.mark = len(self.server.requests)

    def requests(self, method: str = "*", path: Callable[[str], bool] | str = "") -> list[Any]:
        """The emulator's log since ``forget_requests``: ``method`` requests to ``path``
        (exact, or any path when empty, or a predicate)."""
        match = path if callable(path) else (lambda p: not path or p == path)
        return [
            r
            for r in self.server.requests[self.mark :]
            if method in ("*", r.method) and match(r.path)
        ]

    def conversation(self, cid: str) -> dict[str, Any]:
        """The server's truth: the conversation with every part."""
        return self.ws.conversation(cid)

    def parts(self, cid: str, part_type: str) -> list[dict[str, Any]]:
        parts = self.conversation(cid)["conversation_parts"]["conversation_parts"]
        return [p for p in parts if p["part_type"] == part_type]

    def server_tags(self, cid: str) -> set[str]:
        return {str(t["id"]) for t in self.conversation(cid)["tags"]["tags"]}

    def pick(self, want: Callable[[dict[str, Any]], bool], n: int = 1) -> list[str]:
        """``n`` conversation ids whose server JSON satisfies ``want``."""
        found: list[str] = []
        for cid in self.ws.conversation_ids():
            if want(self.conversation(cid)):
                found.append(cid)
                if len(found) == n:
                    return found
        raise AssertionError(f"the workspace has only {len(found)} such conversations")


#: Strings a hostile workspace holds: escape sequences (OSC 52 clipboard write, OSC 8
#: links, title set, screen clear), C0/C1 controls and bidi overrides.
HOSTILE = {
    "admin": "\x1b]52;c;ZXZpbA==\x07Eve \u202eeciffo\u202c Ops",
    "team": "\x1b[2JBilling\r\nTeam\x9b31m",
    "tag": "VIP\x1b[31m\u2066!",
    "title": "Refund\x1b]0;pwned\x07 please\x08\x08",
    "contact": "Bob\x00 \x1b[1mBoss",
    "body": "<p>Hi \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \u202eTXT.EXE</p>",
    "attachment": "report\x1b[8m.pdf",
    "state": "open\x1b[5m",
}
#: Visible words each hostile string still shows once cleaned.
HOSTILE_WORDS = {
    "admin": "Eve",
    "team": "Billing",
    "tag": "VIP",
    "title": "please",
    "contact": "Boss",
    "body": "click",
    "attachment": "report",
}
#: What must never reach the screen (C0 but tab and newline, DEL, C1, bidi, ESC).
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_workspace() -> tuple[Workspace, dict[str, str]]:
    """A small fixture workspace with hostile names; returns it and the ids used:
    ``hostile`` (assigned to the hostile admin, tagged, hostile everything) and
    ``team`` (assigned to the hostile team)."""
    data = Workspace.generate(seed=3, conversations=8, now=FIXED_NOW).to_dict()
    me = str(data["me"])
    admin = next(a for a in data["admins"] if str(a["id"]) == me)
    admin["name"] = HOSTILE["admin"]
    team, tag = data["teams"][0], data["tags"][0]
    team["name"] = HOSTILE["team"]
    tag["name"] = HOSTILE["tag"]
    *_, by_team, conv = data["conversations"]
    contact = {"type": "user", "id": "c-hostile", "name": HOSTILE["contact"], "email": ""}
    conv.update(
        title=HOSTILE["title"],
        state="open",
        open=True,
        admin_assignee_id=int(me),
        team_assignee_id=None,
        tags={"type": "tag.list", "tags": [dict(tag)]},
    )
    conv["source"].update(author=contact, body=HOSTILE["body"], subject="")
    conv["conversation_parts"]["conversation_parts"].append(
        {
            "type": "conversation_part",
            "id": "99",
            "part_type": "comment",
            "body": HOSTILE["body"],
            "created_at": conv["updated_at"],
            "updated_at": conv["updated_at"],
            "author": {"type": "admin", "id": me, "name": HOSTILE["admin"], "email": ""},
            "attachments": [
                {"type": "upload", "name": HOSTILE["attachment"], "url": "https://x.example/a"}
            ],
        }
    )
    by_team.update(state="open", open=True, admin_assignee_id=None, team_assignee_id=team["id"])
    return Workspace.from_dict(data), {"hostile": str(conv["id"]), "team": str(by_team["id"])}
