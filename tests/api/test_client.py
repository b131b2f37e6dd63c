"""IntercomClient against the emulator over real loopback HTTP, plus request shapes.

The emulator tests check state through the API itself (write, then read back). Request
bodies are captured with ``httpx.MockTransport`` and validated against Intercom's own
OpenAPI description, so the client and the emulator cannot agree on a wrong shape.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest

from intercom_tui.api.client import API_VERSION, REGION_URLS, IntercomClient, RateLimit
from intercom_tui.api.errors import (
    AuthenticationError,
    BadResponseError,
    NotFoundError,
    ValidationError,
    error_from_response,
)
from intercom_tui.api.models import Conversation
from intercom_tui.api.retry import RetryPolicy
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from tests.conftest import FIXED_NOW, TOKEN


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[IntercomClient]:
    async with IntercomClient(
        TOKEN, emulator.url, retry=RetryPolicy(sleep=_no_sleep, jitter=False)
    ) as c:
        yield c


# --- listing and pagination ------------------------------------------------------------------


async def test_walks_every_conversation_exactly_once(
    client: IntercomClient, emulator: EmulatorServer
) -> None:
    pages = [page async for page in client.iter_conversations(per_page=150)]
    ids = [str(item["id"]) for page in pages for item in page.items]
    assert len(pages) == 2
    assert len(ids) == len(set(ids)) == 300
    assert set(ids) == set(emulator.workspace.conversation_ids())
    assert pages[-1].next_cursor is None
    updated = [c.updated_at for page in pages for c in page.conversations]
    assert updated == sorted(updated, reverse=True)  # newest first


async def test_walks_a_bigger_workspace_in_fourteen_pages() -> None:
    workspace = Workspace.generate(seed=3, conversations=2000, now=FIXED_NOW)
    server = EmulatorServer(workspace, host="127.0.0.1", port=0, token=TOKEN)
    server.start()
    try:
        async with IntercomClient(TOKEN, server.url) as client:
            pages = [page async for page in client.iter_conversations(per_page=150)]
        gets = [r for r in server.requests if r.method == "GET" and "/conversations" in r.path]
    finally:
        server.stop()
    ids = [str(item["id"]) for page in pages for item in page.items]
    assert len(pages) == 14 and len(gets) == 14
    assert len(ids) == len(set(ids)) == 2000
    assert pages[0].total_count == 2000


async def test_workspace_lists(client: IntercomClient, emulator: EmulatorServer) -> None:
    me = await client.me()
    admins = await client.list_admins()
    teams = await client.list_teams()
    tags = await client.list_tags()
    assert me.admin.id == emulator.workspace.me_id
    assert me.admin.id in {a.id for a in admins}
    assert teams and all(t.id and t.name for t in teams)
    assert tags and all(t.id and t.name for t in tags)
    contacts = [c async for page in client.iter_contacts(per_page=20) for c in page]
    assert contacts and len({c.id for c in contacts}) == len(contacts)


# --- search ----------------------------------------------------------------------------------


async def _search_ids(client: IntercomClient, query: dict[str, Any]) -> set[str]:
    return {str(item["id"]) async for page in client.iter_search(query) for item in page.items}


def _all(emulator: EmulatorServer) -> list[Conversation]:
    ws = emulator.workspace
    return [Conversation.from_api(ws.conversation(cid)) for cid in ws.conversation_ids()]


def _where(emulator: EmulatorServer, keep: Any) -> set[str]:
    return {c.id for c in _all(emulator) if keep(c)}


async def test_search_by_state(client: IntercomClient, emulator: EmulatorServer) -> None:
    for state in ("open", "closed", "snoozed"):
        found = await _search_ids(client, {"field": "state", "operator": "=", "value": state})
        assert found == _where(emulator, lambda c, s=state: c.state == s)
    assert await _search_ids(client, {"field": "state", "operator": "=", "value": "open"})


async def test_search_by_admin_assignee(client: IntercomClient, emulator: EmulatorServer) -> None:
    me = emulator.workspace.me_id
    query = {"field": "admin_assignee_id", "operator": "=", "value": me}
    expected = _where(emulator, lambda c: c.admin_assignee_id == me)
    assert expected and await _search_ids(client, query) == expected


async def test_search_by_tag_and_combinations(
    client: IntercomClient, emulator: EmulatorServer
) -> None:
    convs = _all(emulator)
    tag = next(t for c in convs for t in c.tags)
    by_tag = {"field": "tag_ids", "operator": "=", "value": tag.id}
    is_open = {"field": "state", "operator": "=", "value": "open"}
    is_closed = {"field": "state", "operator": "=", "value": "closed"}
    tagged = {c.id for c in convs if tag.id in c.tag_ids}
    assert tagged and await _search_ids(client, by_tag) == tagged

    both = await _search_ids(client, {"operator": "AND", "value": [by_tag, is_open]})
    assert both == {c.id for c in convs if tag.id in c.tag_ids and c.state == "open"}

    either = await _search_ids(client, {"operator": "OR", "value": [is_open, is_closed]})
    assert either == {c.id for c in convs if c.state in ("open", "closed")}


async def test_search_updated_since(client: IntercomClient, emulator: EmulatorServer) -> None:
    convs = _all(emulator)
    cutoff = sorted(c.updated_at for c in convs)[len(convs) // 2]
    query = {"field": "updated_at", "operator": ">", "value": cutoff}
    expected = {c.id for c in convs if c.updated_at > cutoff}
    assert 0 < len(expected) < len(convs)
    pages = [page async for page in client.iter_search(query, per_page=50)]
    assert len(pages) == -(-len(expected) // 50)
    assert {str(i["id"]) for p in pages for i in p.items} == expected


# --- writes ----------------------------------------------------------------------------------


async def _open_conversation(client: IntercomClient) -> Conversation:
    page = await client.search_conversations(
        {"field": "state", "operator": "=", "value": "open"}, per_page=5
    )
    return page.conversations[0]


async def test_tag_attach_then_detach(client: IntercomClient, emulator: EmulatorServer) -> None:
    me = emulator.workspace.me_id
    conv = await _open_conversation(client)
    tag = next(t for t in await client.list_tags() if t.id not in conv.tag_ids)

    attached = await client.attach_tag(conv.id, tag.id, admin_id=me)
    assert attached.id == tag.id
    assert tag.id in (await client.get_conversation(conv.id)).tag_ids

    detached = await client.detach_tag(conv.id, tag.id, admin_id=me)
    assert detached.id == tag.id
    assert tag.id not in (await client.get_conversation(conv.id)).tag_ids


async def test_reply_and_note_append_parts(
    client: IntercomClient, emulator: EmulatorServer
) -> None:
    me = emulator.workspace.me_id
    conv = await client.get_conversation((await _open_conversation(client)).id)

    after_reply = await client.reply(conv.id, admin_id=me, body="Thanks, looking into it.")
    assert after_reply.parts_total == conv.parts_total + 1
    last = after_reply.parts[-1]
    assert (last.part_type, last.author.id) == ("comment", me)
    assert "Thanks, looking into it." in last.body

    after_note = await client.reply(conv.id, admin_id=me, body="Internal", message_type="note")
    assert after_note.parts[-1].part_type == "note"
    reread = await client.get_conversation(conv.id)
    assert reread.parts_total == conv.parts_total + 2
    assert (
        client.find_reply(reread, admin_id=me, body="Internal", message_type="note", since=0)
        == reread.parts[-1]
    )


async def test_close_snooze_reopen(client: IntercomClient, emulator: EmulatorServer) -> None:
    me = emulator.workspace.me_id
    conv = await _open_conversation(client)

    closed = await client.close(conv.id, admin_id=me, body="Solved")
    assert closed.state == "closed" and not closed.open

    reopened = await client.reopen(conv.id, admin_id=me)
    assert reopened.state == "open" and reopened.open

    until = int(time.time()) + 86_400
    snoozed = await client.snooze(conv.id, admin_id=me, until=until)
    assert snoozed.state == "snoozed" and snoozed.snoozed_until == until
    assert (await client.get_conversation(conv.id)).state == "snoozed"


async def test_assign_admin_team_and_unassign(
    client: IntercomClient, emulator: EmulatorServer
) -> None:
    me = emulator.workspace.me_id
    conv = await _open_conversation(client)
    other = next(a for a in await client.list_admins() if a.id != conv.admin_assignee_id)
    team = next(t for t in await client.list_teams() if t.id != conv.team_assignee_id)

    assert (await client.assign(conv.id, admin_id=me, assignee_id=other.id)).admin_assignee_id == (
        other.id
    )
    to_team = await client.assign(conv.id, admin_id=me, assignee_id=team.id, assignee_type="team")
    assert to_team.team_assignee_id == team.id
    unassigned = await client.assign(conv.id, admin_id=me, assignee_id=None)
    assert unassigned.admin_assignee_id is None
    assert (await client.get_conversation(conv.id)).admin_assignee_id is None


async def test_mark_read_and_update_attributes(client: IntercomClient) -> None:
    conv = await _open_conversation(client)
    assert (await client.mark_read(conv.id, read=False)).read is False
    assert (await client.mark_read(conv.id)).read is True
    updated = await client.update_conversation(
        conv.id, title="Refund request", custom_attributes={"issue_type": "Billing"}
    )
    assert updated.title == "Refund request"
    assert updated.custom_attributes["issue_type"] == "Billing"
    with pytest.raises(ValueError):
        await client.update_conversation(conv.id)


async def test_create_tag_and_conversation(
    client: IntercomClient, emulator: EmulatorServer
) -> None:
    tag = await client.create_tag("Escalated to billing")
    assert tag.name == "Escalated to billing" and tag.id
    assert tag.id in {t.id for t in await client.list_tags()}

    contact = (await client.list_contacts(per_page=1))[0][0]
    before = len(emulator.workspace.conversation_ids())
    message = await client.create_conversation(
        from_type="user", from_id=contact.id, body="My invoice is wrong"
    )
    assert message.get("conversation_id")
    created = await client.get_conversation(message["conversation_id"])
    assert "My invoice is wrong" in created.source.body
    assert len(emulator.workspace.conversation_ids()) == before + 1


# --- errors and headers ----------------------------------------------------------------------


async def test_bad_token_is_authentication_error(emulator: EmulatorServer) -> None:
    wrong = "wrong-token-0000"
    async with IntercomClient(wrong, emulator.url) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.me()
    err = caught.value
    assert err.status == 401 and err.request_id
    assert "intercom-tui login" in err.user_message
    for text in (err.user_message, str(err), repr(err)):
        assert wrong not in text and TOKEN not in text


async def test_missing_conversation_is_not_found(client: IntercomClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.get_conversation("999999999")
    assert caught.value.status == 404 and caught.value.request_id
    assert caught.value.user_message == "Conversation 999999999 was not found (404)."


async def test_rate_limit_headers_are_recorded(client: IntercomClient) -> None:
    assert client.rate_limit is None
    await client.me()
    first = client.rate_limit
    assert first is not None and first.limit and first.remaining is not None
    assert first.reset_at and first.reset_at > 1_600_000_000
    await client.list_tags()
    assert client.rate_limit is not None and client.rate_limit.remaining is not None
    assert client.rate_limit.remaining <= first.remaining


async def test_headers_sent_and_token_hidden() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"type": "tag", "id": "1", "name": "x"})

    client = IntercomClient(
        "tok-123", "https://proxy.test/intercom/", transport=httpx.MockTransport(handler)
    )
    async with client:
        await client.me()
        await client.create_tag("x")
    get, post = seen
    assert get.headers["Authorization"] == "Bearer tok-123"
    assert get.headers["Accept"] == "application/json"
    assert get.headers["Intercom-Version"] == API_VERSION == "2.11"
    assert get.headers["User-Agent"].startswith("intercom-tui/")
    assert "Content-Type" not in get.headers
    assert post.headers["Content-Type"] == "application/json"
    assert str(get.url) == "https://proxy.test/intercom/me"
    assert "tok-123" not in repr(client)
    assert REGION_URLS["eu"] == "https://api.eu.intercom.io"


def test_token_must_be_a_single_word() -> None:
    for bad in ("", "   ", "abc def", "abc\x1bdef", "abcé"):
        with pytest.raises(ValueError) as caught:
            IntercomClient(bad)
        assert bad.strip() == "" or bad not in str(caught.value)


async def test_untrusted_ids_stay_in_their_path_segment() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"type": "conversation", "id": "1"})

    async with IntercomClient("t", "https://x.test", transport=httpx.MockTransport(handler)) as c:
        await c.get_conversation("../admins")
    assert seen[0].url.raw_path == b"/conversations/..%2Fadmins"


def test_error_messages_are_sanitised_and_bounded() -> None:
    body = json.dumps(
        {
            "type": "error.list",
            "request_id": "r-\x1b]0;pwn\x07-1",
            "errors": [
                {
                    "code": "parameter_invalid",
                    "message": "\x1b[31mbad\x9b " + "x" * 5000,
                    "field": "body",
                },
                {"code": "echo", "message": "you sent Bearer sekret-token"},
            ],
        }
    ).encode()
    err = error_from_response(
        400, body, {}, "POST", "/conversations/1/reply", secrets=("sekret-token",)
    )
    assert isinstance(err, ValidationError)
    text = str(err)
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert len(err.user_message) < 320
    assert "(field body)" in err.user_message
    assert all("sekret-token" not in e.message for e in err.errors)


def test_html_error_page_and_text_bodies() -> None:
    html = b"<!DOCTYPE html><html><body>" + b"<p>oops</p>" * 1000 + b"</body></html>"
    err = error_from_response(502, html, {"content-type": "text/html"}, "GET", "/conversations")
    assert "HTML page" in err.user_message and "oops" not in str(err)
    text = error_from_response(503, b"upstream \x1b[2J reset " * 100, {}, "GET", "/tags")
    assert "\x1b" not in str(text) and len(str(text)) < 400


async def test_repeated_cursor_stops_the_walk() -> None:
    page = {
        "type": "conversation.list",
        "pages": {"type": "pages", "next": {"per_page": 1, "starting_after": "SAME"}},
        "conversations": [{"id": "1"}],
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=page))
    async with IntercomClient("t", "https://x.test", transport=transport) as c:
        pages = []
        with pytest.raises(BadResponseError, match="same page cursor"):
            async for p in c.iter_conversations():
                pages.append(p)
    assert len(pages) == 2


async def test_rate_limit_parsing_from_mock_headers() -> None:
    headers = {
        "X-RateLimit-Limit": "166",
        "X-RateLimit-Remaining": "12",
        "X-RateLimit-Reset": "1768478410",
    }
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"type": "list", "data": []}, headers=headers)
    )
    async with IntercomClient("t", "https://x.test", transport=transport) as c:
        await c.list_tags()
        assert c.rate_limit == RateLimit(limit=166, remaining=12, reset_at=1768478410)


# --- request bodies against Intercom's OpenAPI description ----------------------------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _assert_known_keys(spec: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    """Every key we send is a property of the (named) schema, recursively."""
    schema = _resolve(spec, schema)
    props = schema.get("properties")
    if props is None or not isinstance(body, dict):
        return
    assert set(body) <= set(props), sorted(set(body) - set(props))
    for key, value in body.items():
        _assert_known_keys(spec, props[key], value)


SPEC_CASES = [
    ("reply", "/conversations/{conversation_id}/reply", "post", "admin_reply_conversation_request"),
    ("note", "/conversations/{conversation_id}/reply", "post", "admin_reply_conversation_request"),
    ("close", "/conversations/{conversation_id}/parts", "post", "close_conversation_request"),
    ("reopen", "/conversations/{conversation_id}/parts", "post", "open_conversation_request"),
    ("snooze", "/conversations/{conversation_id}/parts", "post", "snooze_conversation_request"),
    ("assign", "/conversations/{conversation_id}/parts", "post", "assign_conversation_request"),
    ("unassign", "/conversations/{conversation_id}/parts", "post", "assign_conversation_request"),
    ("attach", "/conversations/{conversation_id}/tags", "post", None),
    ("detach", "/conversations/{conversation_id}/tags/{tag_id}", "delete", None),
    ("create_tag", "/tags", "post", "create_or_update_tag_request"),
    ("update", "/conversations/{conversation_id}", "put", "update_conversation_request"),
    ("search", "/conversations/search", "post", "search_request"),
    ("create", "/conversations", "post", "create_conversation_request"),
]


async def _send(name: str, client: IntercomClient) -> None:
    admin, cid = "991267526", "123"
    query = {
        "operator": "AND",
        "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "updated_at", "operator": ">", "value": 1768478000},
        ],
    }
    calls = {
        "reply": lambda: client.reply(
            cid, admin_id=admin, body="Hi", attachment_urls=["https://a.test/x.png"]
        ),
        "note": lambda: client.reply(cid, admin_id=admin, body="n", message_type="note"),
        "close": lambda: client.close(cid, admin_id=admin, body="Bye"),
        "reopen": lambda: client.reopen(cid, admin_id=admin),
        "snooze": lambda: client.snooze(cid, admin_id=admin, until=1768500000),
        "assign": lambda: client.assign(
            cid, admin_id=admin, assignee_id=5017691, assignee_type="team"
        ),
        "unassign": lambda: client.assign(cid, admin_id=admin, assignee_id=None),
        "attach": lambda: client.attach_tag(cid, 99, admin_id=admin),
        "detach": lambda: client.detach_tag(cid, 99, admin_id=admin),
        "create_tag": lambda: client.create_tag("VIP"),
        "update": lambda: client.update_conversation(cid, read=True, custom_attributes={"a": "b"}),
        "search": lambda: client.search_conversations(query, per_page=50, starting_after="abc"),
        "create": lambda: client.create_conversation(
            from_type="user", from_id="667d60d18a68186f43bafddd", body="Hello there"
        ),
    }
    await calls[name]()


@pytest.mark.parametrize(("name", "path", "method", "named"), SPEC_CASES)
async def test_request_bodies_match_the_openapi_description(
    openapi_spec: dict[str, Any], name: str, path: str, method: str, named: str | None
) -> None:
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(
            200, json={"type": "conversation.list", "id": "1", "conversations": [], "name": "t"}
        )

    async with IntercomClient("t", "https://x.test", transport=httpx.MockTransport(handler)) as c:
        await _send(name, c)
    (body,) = bodies
    operation = openapi_spec["paths"][path][method]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": openapi_spec["components"]})
    named_schema = {"$ref": f"#/components/schemas/{named}"} if named else schema
    jsonschema.validate(body, {**named_schema, "components": openapi_spec["components"]})
    _assert_known_keys(openapi_spec, named_schema, body)
    if name == "unassign":
        assert body["assignee_id"] == "0"
    if name == "detach":
        assert body == {"admin_id": "991267526"}
