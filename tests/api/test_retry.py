"""Retries, backoff and ambiguous writes.

Cases a real server can produce run against the emulator with fault injection; the rest
(HTTP-date ``Retry-After``, exact backoff sequences, transport errors of a given kind) use
``httpx.MockTransport``. A recording fake ``sleep`` keeps every test instant.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from intercom_tui.api.client import IntercomClient
from intercom_tui.api.errors import (
    AmbiguousWriteError,
    BadResponseError,
    NetworkError,
    RateLimitedError,
    ServerError,
)
from intercom_tui.api.models import Admin
from intercom_tui.api.retry import RetryPolicy
from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from tests.conftest import TOKEN

MOCK_TOKEN = "mock-token-9a8b7c"
ADMIN = "991267526"


class Sleeps(list[float]):
    """A fake ``asyncio.sleep`` that records the delays instead of waiting."""

    async def __call__(self, delay: float) -> None:
        self.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def policy(sleeps: Sleeps, **kw: Any) -> RetryPolicy:
    return RetryPolicy(**{"jitter": False, "sleep": sleeps, **kw})


Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(handler: Handler, sleeps: Sleeps, **kw: Any) -> IntercomClient:
    return IntercomClient(
        MOCK_TOKEN,
        "https://intercom.test",
        transport=httpx.MockTransport(handler),
        retry=policy(sleeps, **kw),
    )


def conversation(parts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "conversation",
        "id": "42",
        "state": "open",
        "open": True,
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": parts or [],
            "total_count": len(parts or []),
        },
    }


def reply_part(body: str, created_at: int, part_type: str = "comment") -> dict[str, Any]:
    return {
        "type": "conversation_part",
        "id": "900",
        "part_type": part_type,
        "body": body,
        "created_at": created_at,
        "author": {"type": "admin", "id": int(ADMIN)},
    }


def error_list(code: str, message: str, request_id: str = "req-1") -> dict[str, Any]:
    return {
        "type": "error.list",
        "request_id": request_id,
        "errors": [{"code": code, "message": message}],
    }


class Script:
    """A MockTransport handler answering from a list of steps (response or exception)."""

    def __init__(self, *steps: httpx.Response | Exception | Handler) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        if callable(step) and not isinstance(step, httpx.Response):
            return step(request)
        return step

    def count(self, method: str, suffix: str = "") -> int:
        return sum(1 for r in self.requests if r.method == method and r.url.path.endswith(suffix))


def ok(data: Any = None) -> httpx.Response:
    return httpx.Response(200, json=conversation() if data is None else data)


# --- backoff and server hints (MockTransport) -----------------------------------------------


async def test_429_retry_after_seconds_is_the_sleep(sleeps: Sleeps) -> None:
    script = Script(
        httpx.Response(
            429, json=error_list("rate_limit_exceeded", "Slow"), headers={"Retry-After": "7"}
        ),
        ok(),
    )
    async with mock_client(script, sleeps) as client:
        conv = await client.get_conversation("42")
    assert conv.id == "42"
    assert sleeps == [7.0]
    assert script.count("GET") == 2


async def test_429_retry_after_http_date(sleeps: Sleeps) -> None:
    when = formatdate(time.time() + 10, usegmt=True)
    script = Script(httpx.Response(429, headers={"Retry-After": when}), ok())
    async with mock_client(script, sleeps) as client:
        await client.get_conversation("42")
    assert len(sleeps) == 1 and 8.0 <= sleeps[0] <= 10.0


async def test_429_waits_until_rate_limit_reset_capped_by_max_delay(sleeps: Sleeps) -> None:
    now = time.time()
    script = Script(
        httpx.Response(
            429, headers={"X-RateLimit-Reset": str(int(now) + 5), "X-RateLimit-Remaining": "0"}
        ),
        httpx.Response(429, headers={"X-RateLimit-Reset": str(int(now) + 3600)}),
        ok(),
    )
    async with mock_client(script, sleeps, max_delay=20.0) as client:
        await client.get_conversation("42")
    assert 3.0 <= sleeps[0] <= 5.0
    assert sleeps[1] == 20.0


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            httpx.Response(429, headers={"Retry-After": "8"}),
            "Intercom is rate limiting us; retrying in 8 s.",
        ),
        (
            httpx.Response(503, headers={"Retry-After": "2"}),
            "Intercom had a server error (503); retrying in 2 s.",
        ),
        (
            httpx.ConnectError("refused"),
            "Could not reach Intercom (connection failed); retrying in 1 s.",
        ),
        (
            httpx.ReadTimeout("slow"),
            "Intercom did not answer (read timed out) to GET /conversations/42; retrying in 1 s.",
        ),
    ],
)
async def test_on_retry_reports_a_plain_message(
    sleeps: Sleeps, failure: httpx.Response | Exception, message: str
) -> None:
    seen: list[str] = []
    script = Script(failure, ok())
    client = mock_client(script, sleeps, base_delay=1.0)
    client.on_retry = lambda error, delay: seen.append(error.retry_message(delay))
    async with client:
        await client.get_conversation("42")
    assert seen == [message]


async def test_exponential_backoff_then_give_up_with_last_error(sleeps: Sleeps) -> None:
    answers = [
        httpx.Response(503, json=error_list("service_unavailable", "Busy", f"req-{i}"))
        for i in range(1, 6)
    ]
    script = Script(*answers)
    async with mock_client(script, sleeps, max_attempts=5, base_delay=0.5, max_delay=3.0) as client:
        with pytest.raises(ServerError) as caught:
            await client.list_tags()
    assert script.count("GET") == 5
    assert sleeps == [0.5, 1.0, 2.0, 3.0]
    assert caught.value.status == 503 and caught.value.request_id == "req-5"


async def test_full_jitter_scales_backoff(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(500), httpx.Response(500), ok({"type": "list", "data": []}))
    async with mock_client(script, sleeps, jitter=True, rand=lambda: 0.25) as client:
        assert await client.list_tags() == []
    assert sleeps == [0.125, 0.25]


async def test_client_errors_are_not_retried(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(400, json=error_list("parameter_invalid", "Bad")))
    async with mock_client(script, sleeps) as client:
        with pytest.raises(Exception, match="Bad"):
            await client.list_tags()
    assert script.count("GET") == 1 and sleeps == []


async def test_501_is_not_retried(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(501))
    async with mock_client(script, sleeps) as client:
        with pytest.raises(ServerError):
            await client.list_tags()
    assert script.count("GET") == 1


# --- transport failures (MockTransport) ------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ConnectError("[Errno 111] Connection refused"),
    ],
)
async def test_get_is_retried_after_transport_failure(sleeps: Sleeps, failure: Exception) -> None:
    script = Script(failure, ok())
    async with mock_client(script, sleeps) as client:
        assert (await client.get_conversation("42")).id == "42"
    assert script.count("GET") == 2 and len(sleeps) == 1


async def test_connect_error_on_every_attempt_is_network_error(sleeps: Sleeps) -> None:
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    async with mock_client(script, sleeps, max_attempts=3) as client:
        with pytest.raises(NetworkError) as caught:
            await client.me()
    assert script.count("GET") == 3
    assert "nothing was sent" in caught.value.user_message
    assert MOCK_TOKEN not in str(caught.value) and MOCK_TOKEN not in repr(caught.value)


async def test_reply_is_retried_when_the_connection_never_opened(sleeps: Sleeps) -> None:
    """A connect error means no byte was sent, so a reply cannot land twice."""
    script = Script(httpx.ConnectError("refused"), ok())
    async with mock_client(script, sleeps) as client:
        await client.reply("42", admin_id=ADMIN, body="Hello")
    assert script.count("POST", "/reply") == 2


async def test_reply_is_retried_after_429(sleeps: Sleeps) -> None:
    """Intercom's limiter rejects before processing: a 429 reply was not applied."""
    script = Script(httpx.Response(429, headers={"Retry-After": "1"}), ok())
    async with mock_client(script, sleeps) as client:
        await client.reply("42", admin_id=ADMIN, body="Hello")
    assert script.count("POST", "/reply") == 2 and sleeps == [1.0]


def _reply_then_reread(failure: Exception | httpx.Response, reread: dict[str, Any]) -> Script:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            if isinstance(failure, Exception):
                raise failure
            return failure
        return httpx.Response(200, json=reread)

    return Script(answer)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.WriteError("broken pipe"),
        httpx.Response(500, json=error_list("server_error", "Oops")),
        httpx.Response(200, content=b'{"type": "conversation", "id": "4'),
    ],
)
async def test_lost_reply_answer_is_checked_by_rereading(
    sleeps: Sleeps, failure: Exception | httpx.Response
) -> None:
    landed = conversation([reply_part("<p>Hello   there</p>", int(time.time()))])
    script = _reply_then_reread(failure, landed)
    async with mock_client(script, sleeps) as client:
        conv = await client.reply("42", admin_id=ADMIN, body="Hello there")
    assert conv.parts[-1].id == "900"
    assert script.count("POST", "/reply") == 1
    assert script.count("GET") == 1


@pytest.mark.parametrize(
    "reread_parts",
    [
        [],
        [reply_part("<p>Hello there</p>", 1_000_000)],  # same text, long ago
        [reply_part("<p>Hello there</p>", int(time.time()), part_type="note")],
        [reply_part("<p>Something else</p>", int(time.time()))],
    ],
)
async def test_lost_reply_not_found_is_ambiguous(
    sleeps: Sleeps, reread_parts: list[dict[str, Any]]
) -> None:
    script = _reply_then_reread(httpx.ReadTimeout("read timed out"), conversation(reread_parts))
    async with mock_client(script, sleeps) as client:
        with pytest.raises(AmbiguousWriteError) as caught:
            await client.reply("42", admin_id=ADMIN, body="Hello there")
    assert script.count("POST", "/reply") == 1
    assert "may or may not" in caught.value.user_message
    assert caught.value.path == "/conversations/42/reply"


async def test_lost_reply_and_failed_reread_is_ambiguous(sleeps: Sleeps) -> None:
    script = Script(httpx.ReadTimeout("read timed out"), httpx.Response(404))
    async with mock_client(script, sleeps) as client:
        with pytest.raises(AmbiguousWriteError):
            await client.reply("42", admin_id=ADMIN, body="Hello there")
    assert script.count("POST", "/reply") == 1


async def test_create_conversation_is_never_resent_after_a_lost_answer(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(502))
    async with mock_client(script, sleeps) as client:
        with pytest.raises(AmbiguousWriteError) as caught:
            await client.create_conversation(from_type="user", from_id="c1", body="Hi")
    assert script.count("POST") == 1 and sleeps == []
    assert caught.value.status == 502


async def test_close_is_retried_after_a_dropped_connection(sleeps: Sleeps) -> None:
    script = Script(httpx.RemoteProtocolError("dropped"), ok())
    async with mock_client(script, sleeps) as client:
        await client.close("42", admin_id=ADMIN)
    assert script.count("POST", "/parts") == 2


# --- bodies that are not what we expect (MockTransport) --------------------------------------


HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"


async def test_html_502_page_is_a_server_error_with_a_plain_message(sleeps: Sleeps) -> None:
    page = httpx.Response(502, content=HTML_502, headers={"Content-Type": "text/html"})
    script = Script(page)
    async with mock_client(script, sleeps, max_attempts=2) as client:
        with pytest.raises(ServerError) as caught:
            await client.list_admins()
    message = caught.value.user_message
    assert "HTML page" in message and "502" in message
    assert "<" not in message and "nginx" not in message
    assert script.count("GET") == 2


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"type": "conversation.list", "conversations": [{"id"', "application/json", "truncated"),
        (b"Service temporarily overloaded", "text/plain", "text instead of JSON"),
        (HTML_502, "text/html", "HTML page"),
        (b"", "application/json", "empty body"),
        (b"[1, 2, 3]", "application/json", "JSON list"),
        (b'{"type": "conversation.list"}', "application/json", "'conversations'"),
        (b'{"conversations": "nope"}', "application/json", "'conversations'"),
    ],
)
async def test_unusable_2xx_body_is_bad_response(
    sleeps: Sleeps, body: bytes, content_type: str, expected: str
) -> None:
    script = Script(httpx.Response(200, content=body, headers={"Content-Type": content_type}))
    async with mock_client(script, sleeps) as client:
        with pytest.raises(BadResponseError) as caught:
            await client.list_conversations()
    assert expected in caught.value.user_message
    assert script.count("GET") == 1


async def test_model_failure_on_odd_data_is_bad_response(
    sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a model trips over in a body becomes BadResponseError, never a KeyError."""

    def fragile(data: Any) -> Admin:
        return data["missing"]

    monkeypatch.setattr(Admin, "from_api", fragile)
    script = Script(ok({"type": "admin.list", "admins": [{"id": 1}]}))
    async with mock_client(script, sleeps) as client:
        with pytest.raises(BadResponseError) as caught:
            await client.list_admins()
    assert "KeyError" in caught.value.user_message


async def test_absurd_numbers_and_nesting_do_not_escape(sleeps: Sleeps) -> None:
    script = Script(
        httpx.Response(200, content=b'{"id": "42", "created_at": 1e999, "waiting_since": -1e999}'),
        httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
    )
    async with mock_client(script, sleeps) as client:
        assert (await client.get_conversation("42")).created_at == 0
        with pytest.raises(BadResponseError):
            await client.get_conversation("42")


async def test_rate_limited_error_carries_retry_after(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "12"}))
    async with mock_client(script, sleeps, max_attempts=1) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.list_teams()
    assert caught.value.retry_after == 12.0
    assert caught.value.user_message == "Intercom is rate limiting us (429); try again in 12 s."


def test_policy_never_retries_ambiguous_writes() -> None:
    policy_ = RetryPolicy()
    unsure = AmbiguousWriteError("read timed out", method="POST", path="/conversations/1/reply")
    assert policy_.should_retry(unsure, idempotent=True)
    assert not policy_.should_retry(unsure, idempotent=False)
    assert policy_.should_retry(NetworkError("refused"), idempotent=False)
    assert not policy_.should_retry(ServerError(status=503), idempotent=False)
    assert policy_.should_retry(ServerError(status=503), idempotent=True)


# --- the same failures from a real server (emulator over loopback) ---------------------------


@pytest.fixture
async def live(emulator: EmulatorServer, sleeps: Sleeps) -> AsyncIterator[IntercomClient]:
    """A client of the emulator with instant, recorded sleeps."""
    async with IntercomClient(TOKEN, emulator.url, retry=policy(sleeps)) as client:
        yield client


def impatient(emulator: EmulatorServer, sleeps: Sleeps) -> IntercomClient:
    """A client whose read timeout is far shorter than the 1 s latency faults below."""
    return IntercomClient(
        TOKEN, emulator.url, timeout=httpx.Timeout(5.0, read=0.4), retry=policy(sleeps)
    )


def _log(emulator: EmulatorServer, method: str, suffix: str) -> list[int | None]:
    """Statuses the server recorded for matching requests (None: no answer was sent)."""
    return [r.status for r in emulator.requests if r.method == method and r.path.endswith(suffix)]


async def _open_id(client: IntercomClient) -> str:
    page = await client.search_conversations(
        {"field": "state", "operator": "=", "value": "open"}, per_page=1
    )
    return page.conversations[0].id


async def test_emulator_429_retry_after_is_honoured(
    live: IntercomClient, emulator: EmulatorServer, sleeps: Sleeps
) -> None:
    emulator.faults.add(
        Fault(
            kind="status", status=429, method="GET", path=r"^/tags$", headers={"Retry-After": "3"}
        )
    )
    assert await live.list_tags()
    assert sleeps == [3.0]
    assert _log(emulator, "GET", "/tags") == [429, 200]


async def test_emulator_503_is_retried_with_backoff(
    live: IntercomClient, emulator: EmulatorServer, sleeps: Sleeps
) -> None:
    emulator.faults.add(Fault(kind="status", status=503, method="GET", path=r"^/admins$", times=2))
    assert await live.list_admins()
    assert sleeps == [0.5, 1.0]
    assert _log(emulator, "GET", "/admins") == [503, 503, 200]


async def test_emulator_gives_up_with_the_last_error(
    emulator: EmulatorServer, sleeps: Sleeps
) -> None:
    emulator.faults.add(Fault(kind="status", status=500, path=r"^/me$", times=None))
    async with IntercomClient(TOKEN, emulator.url, retry=policy(sleeps, max_attempts=3)) as c:
        with pytest.raises(ServerError) as caught:
            await c.me()
    assert caught.value.status == 500 and caught.value.request_id
    assert _log(emulator, "GET", "/me") == [500, 500, 500]
    assert len(sleeps) == 2


@pytest.mark.parametrize("kind", ["drop", "truncate"])
async def test_emulator_dropped_get_is_retried(
    live: IntercomClient, emulator: EmulatorServer, kind: str
) -> None:
    cid = await _open_id(live)
    emulator.faults.add(Fault(kind=kind, method="GET", path=rf"^/conversations/{cid}$"))
    assert (await live.get_conversation(cid)).id == cid
    assert len(_log(emulator, "GET", f"/conversations/{cid}")) == 2


async def test_emulator_read_timeout_on_get_is_retried(
    emulator: EmulatorServer, sleeps: Sleeps
) -> None:
    emulator.faults.add(Fault(kind="latency", method="GET", path=r"^/teams$", delay=1.0))
    async with impatient(emulator, sleeps) as client:
        assert await client.list_teams()
    assert len(sleeps) == 1
    assert _log(emulator, "GET", "/teams")[0] == 200  # the quick retry, logged first


async def test_emulator_reply_dropped_before_apply_is_ambiguous(
    live: IntercomClient, emulator: EmulatorServer
) -> None:
    cid = await _open_id(live)
    before = (await live.get_conversation(cid)).parts_total
    emulator.faults.add(Fault(kind="drop", method="POST", path=r"/reply$"))
    with pytest.raises(AmbiguousWriteError):
        await live.reply(cid, admin_id=emulator.workspace.me_id, body="Are you there?")
    assert _log(emulator, "POST", "/reply") == [None]
    assert (await live.get_conversation(cid)).parts_total == before


@pytest.mark.parametrize("kind", ["drop_after_apply", "truncate"])
async def test_emulator_reply_applied_but_answer_lost_is_found(
    live: IntercomClient, emulator: EmulatorServer, kind: str
) -> None:
    me = emulator.workspace.me_id
    cid = await _open_id(live)
    before = (await live.get_conversation(cid)).parts_total
    emulator.faults.add(Fault(kind=kind, method="POST", path=r"/reply$"))
    conv = await live.reply(cid, admin_id=me, body="We refunded the invoice.\nAnything else?")
    assert len(_log(emulator, "POST", "/reply")) == 1
    assert conv.parts_total == before + 1
    assert conv.parts[-1].author.id == me and "We refunded the invoice." in conv.parts[-1].body
    assert (await live.get_conversation(cid)).parts_total == before + 1


async def test_emulator_reply_read_timeout_is_ambiguous_and_not_resent(
    live: IntercomClient, emulator: EmulatorServer, sleeps: Sleeps
) -> None:
    me = emulator.workspace.me_id
    cid = await _open_id(live)
    emulator.faults.add(Fault(kind="latency", method="POST", path=r"/reply$", delay=1.0))
    sent_at = int(time.time())
    async with impatient(emulator, sleeps) as client:
        with pytest.raises(AmbiguousWriteError) as caught:
            await client.reply(cid, admin_id=me, body="Slow network")
    assert "read timed out" in caught.value.user_message
    assert sleeps == []
    # The server was still sleeping on the reply when the client checked; once it has
    # applied it, exactly one POST exists and the outbox's later check finds the part.
    for _ in range(250):
        if _log(emulator, "POST", "/reply"):
            break
        await asyncio.sleep(0.02)
    assert _log(emulator, "POST", "/reply") == [200]
    later = await live.get_conversation(cid)
    found = live.find_reply(
        later, admin_id=me, body="Slow network", message_type="comment", since=sent_at - 60
    )
    assert found is not None and found == later.parts[-1]


async def test_emulator_html_502_is_a_plain_server_error(
    emulator: EmulatorServer, sleeps: Sleeps
) -> None:
    emulator.faults.add(Fault(kind="html", path=r"^/tags$", times=None))
    async with IntercomClient(TOKEN, emulator.url, retry=policy(sleeps, max_attempts=2)) as c:
        with pytest.raises(ServerError) as caught:
            await c.list_tags()
    assert caught.value.status == 502
    assert "HTML page" in caught.value.user_message and "nginx" not in str(caught.value)
    assert _log(emulator, "GET", "/tags") == [502, 502]


async def test_emulator_non_json_and_truncated_bodies_are_bad_responses(
    live: IntercomClient, emulator: EmulatorServer
) -> None:
    emulator.faults.add(Fault(kind="non_json", path=r"^/admins$"))
    with pytest.raises(BadResponseError) as caught:
        await live.list_admins()
    assert "text instead of JSON" in caught.value.user_message
    assert _log(emulator, "GET", "/admins") == [200]

    emulator.faults.add(Fault(kind="truncate", path=r"^/teams$", times=None))
    with pytest.raises(BadResponseError) as cut:
        await live.list_teams()
    assert "cut off" in cut.value.user_message
    assert len(_log(emulator, "GET", "/teams")) == live.retry.max_attempts
