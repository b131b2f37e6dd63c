"""The emulator over real HTTP: auth, paging, search, every write, rate limits and faults.

Plain httpx against the ``emulator`` fixture, so these tests pin the wire behaviour the
app's client relies on without depending on that client.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace

FIXED_NOW = 1768478400  # the same clock as tests/conftest.py
JSON = dict[str, Any]


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {emulator.token}", "Intercom-Version": "2.11"}
    with plain_client(emulator.url, headers) as http:
        yield http


def plain_client(url: str, headers: dict[str, str]) -> httpx.Client:
    """A client for loopback HTTP; ``verify=False`` only skips loading CA certificates."""
    return httpx.Client(base_url=url, headers=headers, timeout=10, verify=False)


def walk(client: httpx.Client, per_page: int = 150) -> list[JSON]:
    """Every conversation via ``GET /conversations``, page by page."""
    items: list[JSON] = []
    params: dict[str, Any] = {"per_page": per_page}
    while True:
        page = client.get("/conversations", params=params).raise_for_status().json()
        items += page["conversations"]
        nxt = page["pages"].get("next")
        if not nxt:
            return items
        params = {"per_page": per_page, "starting_after": nxt["starting_after"]}


def search_all(client: httpx.Client, query: JSON, **extra: Any) -> list[JSON]:
    items: list[JSON] = []
    pagination: JSON = {"per_page": 150}
    while True:
        body = {"query": query, "pagination": pagination, **extra}
        page = client.post("/conversations/search", json=body).raise_for_status().json()
        items += page["conversations"]
        assert page["total_count"] >= len(items)
        nxt = page["pages"].get("next")
        if not nxt:
            assert page["total_count"] == len(items)
            return items
        pagination = {"per_page": 150, "starting_after": nxt["starting_after"]}


def ids(items: list[JSON]) -> set[str]:
    return {c["id"] for c in items}


def assert_error(response: httpx.Response, status: int, code: str) -> JSON:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error.list"
    assert uuid.UUID(body["request_id"])
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["message"]
    return body


def pick(items: list[JSON], **want: Any) -> JSON:
    return next(c for c in items if all(c[k] == v for k, v in want.items()))


# -- auth, headers, routing ------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "x"}])
def test_requests_without_the_right_token_get_401(emulator: EmulatorServer, headers: dict) -> None:
    response = httpx.get(f"{emulator.url}/conversations", headers=headers, verify=False)
    body = assert_error(response, 401, "unauthorized")
    assert body["errors"][0]["message"] == "Access Token Invalid"
    assert emulator.token not in response.text


def test_every_response_carries_rate_limit_headers(
    emulator: EmulatorServer, client: httpx.Client
) -> None:
    for response in (
        client.get("/me"),
        client.get("/nope"),
        httpx.get(f"{emulator.url}/me", verify=False),
    ):
        assert int(response.headers["X-RateLimit-Limit"]) > 0
        assert int(response.headers["X-RateLimit-Remaining"]) >= 0
        assert int(response.headers["X-RateLimit-Reset"]) >= int(time.time())
        assert uuid.UUID(response.headers["X-Request-Id"])


def test_unknown_paths_methods_and_bad_json(client: httpx.Client) -> None:
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.delete("/tags"), 405, "method_not_allowed")
    bad = client.post(
        "/conversations/search", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(bad, 400, "bad_request")
    assert_error(client.post("/conversations/search", json=[1]), 400, "bad_request")


def test_workspace_objects(client: httpx.Client, workspace: Workspace) -> None:
    me = client.get("/me").json()
    assert me["id"] == workspace.me_id and me["name"] == "Ada Lovelace"
    assert me["app"]["type"] == "app" and me["app"]["id_code"]
    admins = client.get("/admins").json()
    assert admins["type"] == "admin.list" and len(admins["admins"]) >= 6
    teams = client.get("/teams").json()
    assert {t["name"] for t in teams["teams"]} >= {"Support", "Billing", "Success"}
    tags = client.get("/tags").json()
    assert tags["type"] == "list" and len(tags["data"]) >= 30
    assert any(" " in t["name"] for t in tags["data"])
    contacts = client.get("/contacts", params={"per_page": 150}).json()
    assert contacts["type"] == "list" and contacts["total_count"] >= 200
    second = client.get(
        "/contacts",
        params={"per_page": 150, "starting_after": contacts["pages"]["next"]["starting_after"]},
    ).json()
    assert not ids(contacts["data"]) & ids(second["data"])
    assert {c["role"] for c in contacts["data"]} == {"user", "lead"}


# -- listing ----------------------------------------------------------------------------------


def test_walking_the_list_returns_every_conversation_once_newest_first(
    client: httpx.Client, workspace: Workspace
) -> None:
    first = client.get("/conversations", params={"per_page": 150}).json()
    assert first["type"] == "conversation.list"
    assert first["total_count"] == 300
    assert first["pages"] | {"next": None} == {
        "type": "pages",
        "page": 1,
        "per_page": 150,
        "total_pages": 2,
        "next": None,
    }
    assert first["pages"]["next"]["per_page"] == 150
    items = walk(client)
    assert len(items) == 300 and ids(items) == set(workspace.conversation_ids())
    keys = [(c["updated_at"], int(c["id"])) for c in items]
    assert keys == sorted(keys, reverse=True)
    assert all("conversation_parts" not in c for c in items)


def test_last_page_has_no_next_and_page_numbers_count_up(client: httpx.Client) -> None:
    page = client.get("/conversations", params={"per_page": 100}).json()
    numbers = [page["pages"]["page"]]
    while "next" in page["pages"]:
        cursor = page["pages"]["next"]["starting_after"]
        page = client.get(
            "/conversations", params={"per_page": 100, "starting_after": cursor}
        ).json()
        numbers.append(page["pages"]["page"])
    assert numbers == [1, 2, 3] and page["pages"]["total_pages"] == 3


def test_page_size_defaults_caps_and_validation(client: httpx.Client) -> None:
    assert len(client.get("/conversations").json()["conversations"]) == 20
    assert len(client.get("/conversations?per_page=999").json()["conversations"]) == 150
    assert_error(client.get("/conversations?per_page=0"), 400, "parameter_invalid")
    assert_error(client.get("/conversations?starting_after=@@"), 400, "parameter_invalid")


def test_a_changed_conversation_moves_to_the_top(client: httpx.Client) -> None:
    last = walk(client)[-1]
    client.put(f"/conversations/{last['id']}", json={"title": "Renamed"}).raise_for_status()
    top = client.get("/conversations", params={"per_page": 1}).json()["conversations"][0]
    assert top["id"] == last["id"] and top["updated_at"] > last["updated_at"]


def test_marking_read_does_not_reorder_the_inbox(client: httpx.Client) -> None:
    last = walk(client)[-1]
    client.put(f"/conversations/{last['id']}", json={"read": True}).raise_for_status()
    after = client.get(f"/conversations/{last['id']}").json()
    assert after["read"] is True and after["updated_at"] == last["updated_at"]


# -- search -----------------------------------------------------------------------------------


@pytest.fixture
def everything(client: httpx.Client) -> list[JSON]:
    return walk(client)


def test_search_single_filter(client: httpx.Client, everything: list[JSON]) -> None:
    found = search_all(client, {"field": "state", "operator": "=", "value": "open"})
    assert ids(found) == {c["id"] for c in everything if c["state"] == "open"}
    assert found and len(found) < len(everything)


def test_search_and_or_in_nin_nested(client: httpx.Client, everything: list[JSON]) -> None:
    open_unread = {
        "operator": "AND",
        "value": [
            {"field": "open", "operator": "=", "value": True},
            {"field": "read", "operator": "=", "value": "false"},
        ],
    }
    expected = {c["id"] for c in everything if c["open"] and not c["read"]}
    assert ids(search_all(client, open_unread)) == expected and expected
    either = {
        "operator": "OR",
        "value": [
            {"field": "state", "operator": "=", "value": "snoozed"},
            {"field": "priority", "operator": "=", "value": "priority"},
        ],
    }
    expected = {
        c["id"] for c in everything if c["state"] == "snoozed" or c["priority"] == "priority"
    }
    assert ids(search_all(client, either)) == expected
    states = search_all(client, {"field": "state", "operator": "IN", "value": ["open", "snoozed"]})
    assert ids(states) == {c["id"] for c in everything if c["state"] != "closed"}
    not_states = search_all(client, {"field": "state", "operator": "NIN", "value": ["closed"]})
    assert ids(not_states) == ids(states)
    nested = {"operator": "AND", "value": [open_unread, either]}
    expected = {
        c["id"]
        for c in everything
        if c["open"] and not c["read"] and (c["state"] == "snoozed" or c["priority"] == "priority")
    }
    assert ids(search_all(client, nested)) == expected


def test_search_text_operators_are_case_insensitive(
    client: httpx.Client, everything: list[JSON]
) -> None:
    found = search_all(client, {"field": "title", "operator": "~", "value": "EXPORT"})
    expected = {c["id"] for c in everything if "export" in (c["title"] or "").lower()}
    assert ids(found) == expected and expected
    starts = search_all(client, {"field": "title", "operator": "^", "value": "can"})
    assert ids(starts) == {
        c["id"] for c in everything if (c["title"] or "").lower().startswith("can")
    }
    ends = search_all(
        client, {"field": "source.author.email", "operator": "$", "value": ".EXAMPLE"}
    )
    expected = {c["id"] for c in everything if c["source"]["author"]["email"].endswith(".example")}
    assert ids(ends) == expected and expected != ids(everything)
    body = search_all(client, {"field": "source.body", "operator": "!~", "value": "dashboard"})
    assert ids(body) == {
        c["id"] for c in everything if "dashboard" not in c["source"]["body"].lower()
    }


def test_search_body_words_nulls_and_contacts(client: httpx.Client, everything: list[JSON]) -> None:
    def find(field: str, operator: str, value: Any) -> set[str]:
        return ids(search_all(client, {"field": field, "operator": operator, "value": value}))

    # source.body "=" matches whole words (Intercom's rule), "~" any substring.
    assert find("source.body", "=", "TWICE")
    assert find("source.body", "=", "TWICE") <= find("source.body", "~", "twic")
    assert not find("source.body", "=", "twic") and find("source.body", "~", "twic")
    assert find("waiting_since", "=", None) == {
        c["id"] for c in everything if c["waiting_since"] is None
    }
    contact = everything[0]["contacts"]["contacts"][0]["id"]
    assert find("contact_ids", "=", contact) == {
        c["id"] for c in everything if c["contacts"]["contacts"][0]["id"] == contact
    }


def test_search_by_tag_and_unassigned(client: httpx.Client, everything: list[JSON]) -> None:
    tagged = next(c for c in everything if c["tags"]["tags"])
    tag_id = tagged["tags"]["tags"][0]["id"]
    found = search_all(client, {"field": "tag_ids", "operator": "=", "value": tag_id})
    assert ids(found) == {
        c["id"] for c in everything if tag_id in {t["id"] for t in c["tags"]["tags"]}
    }
    unassigned = {c["id"] for c in everything if c["admin_assignee_id"] in (None, 0)}
    assert any(c["admin_assignee_id"] == 0 for c in everything)  # both spellings occur
    assert any(c["admin_assignee_id"] is None for c in everything)
    for value in (0, "0"):
        query = {"field": "admin_assignee_id", "operator": "=", "value": value}
        assert ids(search_all(client, query)) == unassigned
    admin = next(c["admin_assignee_id"] for c in everything if c["admin_assignee_id"])
    mine = search_all(client, {"field": "admin_assignee_id", "operator": "=", "value": str(admin)})
    assert ids(mine) == {c["id"] for c in everything if c["admin_assignee_id"] == admin}


def test_search_dates_and_sort(client: httpx.Client, everything: list[JSON]) -> None:
    middle = sorted(c["created_at"] for c in everything)[150]
    query = {"field": "created_at", "operator": ">", "value": str(middle)}
    found = search_all(client, query, sort={"field": "created_at", "order": "ascending"})
    assert [c["id"] for c in found] == [
        c["id"]
        for c in sorted(everything, key=lambda c: (c["created_at"], int(c["id"])))
        if c["created_at"] > middle
    ]
    default = search_all(client, query)
    keys = [(c["updated_at"], int(c["id"])) for c in default]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"field": "colour", "operator": "=", "value": "x"}, "not a searchable"),
        ({"field": "state", "operator": ">", "value": "open"}, "cannot be used"),
        ({"field": "updated_at", "operator": ">", "value": "yesterday"}, "integer"),
        ({"field": "state", "operator": "IN", "value": "open"}, "list"),
        ({"field": "state", "operator": "="}, "no value"),
        ({"operator": "AND", "value": []}, "non-empty"),
        ({"operator": "XOR", "value": [{"field": "id", "operator": "=", "value": "1"}]}, "AND"),
        ("state=open", "object"),
    ],
)
def test_invalid_queries_are_refused_clearly(client: httpx.Client, query: Any, words: str) -> None:
    response = client.post("/conversations/search", json={"query": query})
    body = assert_error(response, 400, "parameter_invalid")
    assert words in body["errors"][0]["message"]


def test_incremental_search_finds_exactly_what_changed(client: httpx.Client) -> None:
    items = walk(client)
    since = max(c["updated_at"] for c in items)
    changed = [items[5]["id"], items[100]["id"], items[250]["id"]]
    for cid in changed:
        client.put(f"/conversations/{cid}", json={"title": f"Changed {cid}"}).raise_for_status()
    query = {"field": "updated_at", "operator": ">", "value": since}
    assert ids(search_all(client, query)) == set(changed)


# -- one conversation -------------------------------------------------------------------------


def test_get_conversation_has_parts_and_unknown_ids_404(
    client: httpx.Client, workspace: Workspace
) -> None:
    cid = workspace.conversation_ids()[10]
    full = client.get(f"/conversations/{cid}").json()
    parts = full["conversation_parts"]
    assert parts["type"] == "conversation_part.list"
    assert parts["total_count"] == len(parts["conversation_parts"]) >= 1
    assert full == workspace.conversation(cid)
    body = assert_error(client.get("/conversations/999999999"), 404, "not_found")
    assert body["errors"][0]["message"] == "Resource Not Found"


def test_the_big_conversation_has_exactly_500_parts(
    client: httpx.Client, workspace: Workspace
) -> None:
    assert workspace.big_conversation_id is not None
    full = client.get(f"/conversations/{workspace.big_conversation_id}").json()
    assert full["conversation_parts"]["total_count"] == 500
    assert len(full["conversation_parts"]["conversation_parts"]) == 500
    others = [c for c in workspace.conversation_ids() if c != workspace.big_conversation_id]
    assert all(
        len(workspace.conversation(c)["conversation_parts"]["conversation_parts"]) < 500
        for c in others
    )


def test_generated_data_is_consistent(workspace: Workspace) -> None:
    conversations = [workspace.conversation(c) for c in workspace.conversation_ids()]
    created = [c["created_at"] for c in conversations]
    assert created == sorted(created)  # ids grow with created_at
    states = {c["state"] for c in conversations}
    assert states == {"open", "snoozed", "closed"}
    part_types = {
        p["part_type"] for c in conversations for p in c["conversation_parts"]["conversation_parts"]
    }
    assert part_types >= {
        "comment",
        "note",
        "assignment",
        "close",
        "open",
        "snoozed",
        "away_mode_assignment",
        "conversation_attribute_updated_by_admin",
    }
    authors = {
        p["author"]["type"]
        for c in conversations
        for p in c["conversation_parts"]["conversation_parts"]
    }
    assert authors >= {"admin", "user", "lead", "bot"}
    for c in conversations:
        parts = c["conversation_parts"]["conversation_parts"]
        assert c["open"] == (c["state"] != "closed")
        assert c["updated_at"] >= c["created_at"]
        assert isinstance(c["admin_assignee_id"], int | None)
        assert isinstance(c["team_assignee_id"], str | None)
        if c["state"] == "snoozed":
            assert c["snoozed_until"] > FIXED_NOW
        if c["waiting_since"] is not None:
            assert parts[-1]["author"]["type"] in ("user", "lead")
        admins = {p["author"]["id"] for p in parts if p["author"]["type"] == "admin"}
        assert admins <= {t["id"] for t in c["teammates"]["teammates"]}
    for key in (
        "conversation_rating",
        "statistics",
        "sla_applied",
        "first_contact_reply",
        "ai_agent",
    ):
        assert any(c[key] for c in conversations), key
    assert any(c["linked_objects"]["data"] for c in conversations)
    assert any(c["custom_attributes"] for c in conversations)
    assert any(c["title"] in (None, "") for c in conversations)


# -- writes -----------------------------------------------------------------------------------


def reply(client: httpx.Client, cid: str, **body: Any) -> httpx.Response:
    return client.post(f"/conversations/{cid}/reply", json=body)


def test_put_updates_read_title_and_attributes(client: httpx.Client, workspace: Workspace) -> None:
    cid = workspace.conversation_ids()[3]
    before = workspace.conversation(cid)
    after = client.put(
        f"/conversations/{cid}",
        json={
            "read": not before["read"],
            "title": "Renamed",
            "custom_attributes": {"Tier": "Gold"},
        },
    ).json()
    assert after["read"] is not before["read"] and after["title"] == "Renamed"
    assert after["custom_attributes"]["Tier"] == "Gold"
    assert after["updated_at"] > before["updated_at"]
    assert workspace.conversation(cid) == after
    assert_error(
        client.put(f"/conversations/{cid}", json={"read": "yes"}), 422, "parameter_invalid"
    )


def test_admin_reply_appends_a_part_and_stops_the_wait(
    client: httpx.Client, workspace: Workspace
) -> None:
    waiting = next(c for c in walk(client) if c["waiting_since"])
    n = workspace.conversation(waiting["id"])["conversation_parts"]["total_count"]
    me = client.get("/me").json()
    after = reply(
        client,
        waiting["id"],
        message_type="comment",
        type="admin",
        admin_id=me["id"],
        body="On it!",
    ).json()
    parts = after["conversation_parts"]
    assert parts["total_count"] == n + 1
    part = parts["conversation_parts"][-1]
    assert part["part_type"] == "comment" and part["body"] == "<p>On it!</p>"
    assert part["author"] == {
        "type": "admin",
        "id": me["id"],
        "name": me["name"],
        "email": me["email"],
    }
    assert after["waiting_since"] is None and after["updated_at"] > waiting["updated_at"]
    note = reply(
        client,
        waiting["id"],
        message_type="note",
        type="admin",
        admin_id=int(me["id"]),
        body="<p>internal</p>",
    ).json()
    assert note["conversation_parts"]["conversation_parts"][-1]["part_type"] == "note"
    assert note["updated_at"] > after["updated_at"]


def test_contact_reply_reopens_and_starts_waiting(client: httpx.Client) -> None:
    closed = next(c for c in walk(client) if c["state"] == "closed")
    contact_id = closed["contacts"]["contacts"][0]["id"]
    after = reply(
        client,
        closed["id"],
        message_type="comment",
        type="user",
        intercom_user_id=contact_id,
        body="It broke again",
    ).json()
    assert after["state"] == "open" and after["open"] is True
    assert after["waiting_since"] == after["updated_at"]
    part = after["conversation_parts"]["conversation_parts"][-1]
    assert part["author"]["id"] == contact_id and part["part_type"] == "open"


def test_reply_validation(client: httpx.Client, workspace: Workspace) -> None:
    cid = workspace.conversation_ids()[0]
    me = workspace.me_id
    assert_error(
        reply(client, cid, message_type="comment", type="admin", admin_id=me, body="  "),
        422,
        "parameter_invalid",
    )
    assert_error(
        reply(client, cid, message_type="comment", type="admin", admin_id="42", body="hi"),
        404,
        "admin_not_found",
    )
    assert_error(
        reply(client, cid, message_type="comment", type="admin", body="hi"),
        400,
        "parameter_not_found",
    )
    assert_error(
        reply(client, cid, message_type="shout", type="admin", admin_id=me, body="hi"),
        422,
        "parameter_invalid",
    )
    assert_error(
        reply(client, "404404404", message_type="comment", type="admin", admin_id=me, body="hi"),
        404,
        "not_found",
    )
    assert workspace.conversation(cid)["updated_at"] < FIXED_NOW + 1


def manage(client: httpx.Client, cid: str, admin_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/conversations/{cid}/parts", json={"admin_id": admin_id, **body})


def test_close_open_and_snooze(client: httpx.Client, workspace: Workspace) -> None:
    cid, me = workspace.conversation_ids()[7], workspace.me_id
    stamps = []
    closed = manage(client, cid, me, message_type="close", type="admin").json()
    assert (closed["state"], closed["open"]) == ("closed", False)
    until = int(time.time()) + 3600
    snoozed = manage(client, cid, me, message_type="snoozed", snoozed_until=until).json()
    assert (snoozed["state"], snoozed["snoozed_until"]) == ("snoozed", until)
    opened = manage(client, cid, me, message_type="open").json()
    assert (opened["state"], opened["open"], opened["snoozed_until"]) == ("open", True, None)
    for result, kind in ((closed, "close"), (snoozed, "snoozed"), (opened, "open")):
        part = result["conversation_parts"]["conversation_parts"][-1]
        assert part["part_type"] == kind and part["author"]["id"] == me
        stamps.append(result["updated_at"])
    assert stamps == sorted(set(stamps))  # strictly increasing, even within one second
    assert_error(manage(client, cid, me, message_type="snoozed"), 422, "parameter_invalid")
    past = manage(client, cid, me, message_type="snoozed", snoozed_until=FIXED_NOW)
    assert_error(past, 422, "parameter_invalid")
    assert_error(manage(client, cid, "1", message_type="close"), 404, "admin_not_found")


def test_assign_to_admin_team_and_nobody(client: httpx.Client, workspace: Workspace) -> None:
    cid, me = workspace.conversation_ids()[9], workspace.me_id
    other = client.get("/admins").json()["admins"][2]["id"]
    team = client.get("/teams").json()["teams"][1]["id"]
    to_admin = manage(
        client, cid, me, message_type="assignment", type="admin", assignee_id=other
    ).json()
    assert to_admin["admin_assignee_id"] == int(other)
    part = to_admin["conversation_parts"]["conversation_parts"][-1]
    assert part["part_type"] == "assignment"
    assert part["assigned_to"] == {"type": "admin", "id": other}
    to_team = manage(
        client, cid, me, message_type="assignment", type="team", assignee_id=int(team)
    ).json()
    assert to_team["team_assignee_id"] == team
    for kind, nobody in (("admin", "0"), ("team", 0)):
        result = manage(
            client, cid, me, message_type="assignment", type=kind, assignee_id=nobody
        ).json()
        assert result[f"{kind}_assignee_id"] is None
    missing = manage(client, cid, me, message_type="assignment", type="admin", assignee_id="5")
    assert_error(missing, 404, "assignee_not_found")


def test_tags_attach_and_detach_idempotently(client: httpx.Client, workspace: Workspace) -> None:
    cid, me = workspace.conversation_ids()[11], workspace.me_id
    before = workspace.conversation(cid)
    attached = {t["id"] for t in before["tags"]["tags"]}
    tag = next(t for t in client.get("/tags").json()["data"] if t["id"] not in attached)
    added = client.post(f"/conversations/{cid}/tags", json={"id": tag["id"], "admin_id": me})
    body = added.json()
    assert (body["type"], body["id"], body["name"]) == ("tag", tag["id"], tag["name"])
    assert body["applied_by"] == {"type": "admin", "id": me} and body["applied_at"]
    stamp = workspace.conversation(cid)["updated_at"]
    assert stamp > before["updated_at"]
    again = client.post(
        f"/conversations/{cid}/tags", json={"id": int(tag["id"]), "admin_id": int(me)}
    )
    assert again.status_code == 200 and again.json()["id"] == tag["id"]
    assert workspace.conversation(cid)["updated_at"] == stamp  # nothing changed
    tagged = [t["id"] for t in workspace.conversation(cid)["tags"]["tags"]]
    assert tagged.count(tag["id"]) == 1
    url = f"/conversations/{cid}/tags/{tag['id']}"
    removed = client.request("DELETE", url, json={"admin_id": me})
    assert removed.status_code == 200 and removed.json()["id"] == tag["id"]
    assert tag["id"] not in {t["id"] for t in workspace.conversation(cid)["tags"]["tags"]}
    assert workspace.conversation(cid)["updated_at"] > stamp
    assert client.request("DELETE", url, json={"admin_id": me}).status_code == 200
    assert_error(
        client.post(f"/conversations/{cid}/tags", json={"id": "1", "admin_id": me}),
        404,
        "tag_not_found",
    )
    assert_error(
        client.post("/conversations/1/tags", json={"id": tag["id"], "admin_id": me}),
        404,
        "not_found",
    )


def test_create_tag_or_return_the_existing_one(client: httpx.Client) -> None:
    created = client.post("/tags", json={"name": "Needs triage"}).json()
    assert created["type"] == "tag" and created["name"] == "Needs triage"
    assert created["id"] in {t["id"] for t in client.get("/tags").json()["data"]}
    assert client.post("/tags", json={"name": "needs TRIAGE"}).json()["id"] == created["id"]
    assert_error(client.post("/tags", json={}), 400, "parameter_not_found")


def test_create_conversation_as_a_contact(client: httpx.Client, workspace: Workspace) -> None:
    contact = client.get("/contacts").json()["data"][0]
    message = client.post(
        "/conversations",
        json={"from": {"type": contact["role"], "id": contact["id"]}, "body": "Hello there"},
    ).json()
    assert message["type"] == "user_message" and message["message_type"] == "inapp"
    assert message["body"] == "Hello there"
    full = client.get(f"/conversations/{message['conversation_id']}").json()
    assert full["contacts"]["contacts"][0]["id"] == contact["id"]
    assert full["state"] == "open" and full["waiting_since"] == full["created_at"]
    assert int(full["id"]) > max(int(c) for c in workspace.conversation_ids() if c != full["id"])
    top = client.get("/conversations", params={"per_page": 1}).json()["conversations"][0]
    assert top["id"] == full["id"]
    missing = client.post(
        "/conversations", json={"from": {"type": "user", "id": "nobody"}, "body": "hi"}
    )
    assert_error(missing, 404, "not_found")


def test_concurrent_writes_are_all_applied(client: httpx.Client, workspace: Workspace) -> None:
    cids = workspace.conversation_ids()[:4]

    def send(i: int) -> int:
        body = {
            "message_type": "note",
            "type": "admin",
            "admin_id": workspace.me_id,
            "body": f"note {i}",
        }
        return client.post(f"/conversations/{cids[i % 4]}/reply", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, range(40))) == {200}
    notes = [
        p["body"]
        for c in cids
        for p in workspace.conversation(c)["conversation_parts"]["conversation_parts"]
        if p["body"] and p["body"].startswith("<p>note ")
    ]
    assert sorted(notes) == sorted(f"<p>note {i}</p>" for i in range(40))
    stamps = [workspace.conversation(c)["updated_at"] for c in cids]
    assert len(set(stamps)) == 4


# -- rate limits and faults -------------------------------------------------------------------


def test_rate_limit_answers_429_past_the_window_budget(workspace: Workspace) -> None:
    with EmulatorServer(workspace, token="t", rate_limit=6) as server:
        headers = {"Authorization": "Bearer t"}
        with plain_client(server.url, headers) as http:
            first = http.get("/me")
            assert first.status_code == 200
            assert first.headers["X-RateLimit-Limit"] == "1"
            assert first.headers["X-RateLimit-Remaining"] == "0"
            second = http.get("/me")
    body = assert_error(second, 429, "rate_limit_exceeded")
    assert "rate limit" in body["errors"][0]["message"]
    assert 1 <= int(second.headers["Retry-After"]) <= 10
    assert int(second.headers["X-RateLimit-Reset"]) >= int(time.time())


def part_count(workspace: Workspace, cid: str) -> int:
    return workspace.conversation(cid)["conversation_parts"]["total_count"]


def note(client: httpx.Client, workspace: Workspace, cid: str) -> httpx.Response:
    return reply(
        client, cid, message_type="note", type="admin", admin_id=workspace.me_id, body="ping"
    )


def test_status_faults_answer_error_lists_without_applying(
    emulator: EmulatorServer, client: httpx.Client, workspace: Workspace
) -> None:
    cid = workspace.conversation_ids()[1]
    n = part_count(workspace, cid)
    emulator.faults.add(Fault("status", method="POST", path=r"/reply$", status=503))
    assert_error(note(client, workspace, cid), 503, "service_unavailable")
    assert part_count(workspace, cid) == n
    emulator.faults.add(Fault("status", status=429, headers={"Retry-After": "7"}))
    limited = client.get("/me")
    assert_error(limited, 429, "rate_limit_exceeded")
    assert limited.headers["Retry-After"] == "7"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    for status, code in (
        (401, "unauthorized"),
        (403, "api_plan_restricted"),
        (404, "not_found"),
        (422, "parameter_invalid"),
    ):
        emulator.faults.add(Fault("status", status=status))
        assert_error(client.get("/admins"), status, code)
    assert note(client, workspace, cid).status_code == 200  # faults were used up


def test_fault_matching_by_method_path_and_times(
    emulator: EmulatorServer, client: httpx.Client
) -> None:
    emulator.faults.add(Fault("status", method="POST", path=r"^/tags$", times=None, status=500))
    for _ in range(3):
        assert client.post("/tags", json={"name": "x"}).status_code == 500
    assert client.get("/tags").status_code == 200
    emulator.faults.clear()
    assert client.post("/tags", json={"name": "x"}).status_code == 200
    emulator.faults.add(Fault("status", path="/admins", times=2, status=502))
    assert [client.get("/admins").status_code for _ in range(3)] == [502, 502, 200]


def test_latency_fault_delays_then_serves(emulator: EmulatorServer, client: httpx.Client) -> None:
    emulator.faults.add(Fault("latency", delay=0.2))
    started = time.monotonic()
    assert client.get("/me").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_drop_closes_without_applying(
    emulator: EmulatorServer, client: httpx.Client, workspace: Workspace
) -> None:
    cid = workspace.conversation_ids()[2]
    n = part_count(workspace, cid)
    emulator.faults.add(Fault("drop", path="/reply"))
    with pytest.raises(httpx.RemoteProtocolError):
        note(client, workspace, cid)
    assert part_count(workspace, cid) == n
    assert note(client, workspace, cid).status_code == 200
    assert emulator.requests[-2].status is None and emulator.requests[-1].status == 200


def test_drop_after_apply_is_the_ambiguous_case(
    emulator: EmulatorServer, client: httpx.Client, workspace: Workspace
) -> None:
    cid = workspace.conversation_ids()[2]
    n = part_count(workspace, cid)
    emulator.faults.add(Fault("drop_after_apply", path="/reply"))
    with pytest.raises(httpx.RemoteProtocolError):
        note(client, workspace, cid)
    assert part_count(workspace, cid) == n + 1  # it landed although the client saw an error


def test_truncated_body(emulator: EmulatorServer, client: httpx.Client) -> None:
    emulator.faults.add(Fault("truncate", path="/conversations"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/conversations")
    assert client.get("/conversations").status_code == 200


def test_non_json_and_html_answers(emulator: EmulatorServer, client: httpx.Client) -> None:
    emulator.faults.add(Fault("non_json"))
    garbage = client.get("/me")
    assert garbage.status_code == 200
    assert garbage.headers["Content-Type"].startswith("text/plain")
    with pytest.raises(json.JSONDecodeError):
        garbage.json()
    emulator.faults.add(Fault("html"))
    page = client.get("/me")
    assert page.status_code == 502 and page.headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in page.text


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")
    with pytest.raises(ValueError):
        Fault("status", times=0)
    with pytest.raises(ValueError, match="unknown fault fields"):
        Fault.from_json({"kind": "drop", "colour": "red"})


def test_control_api_drives_faults_and_shows_the_log(
    emulator: EmulatorServer, client: httpx.Client
) -> None:
    assert httpx.get(f"{emulator.url}/_emulator/requests", verify=False).status_code == 401
    added = client.post(
        "/_emulator/faults",
        json=[
            {"kind": "status", "status": 503, "path": "^/teams$", "times": None},
            {"kind": "non_json", "method": "get", "path": "^/admins$", "body": "oops"},
        ],
    ).json()
    assert [f["kind"] for f in added["faults"]] == ["status", "non_json"]
    assert client.get("/teams").status_code == 503
    assert client.get("/admins").text == "oops"
    assert client.get("/teams").status_code == 503
    assert client.delete("/_emulator/faults").json()["faults"] == []
    assert client.get("/teams").status_code == 200
    bad = client.post("/_emulator/faults", json={"kind": "explode"})
    assert_error(bad, 400, "parameter_invalid")
    log = client.get("/_emulator/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/teams", 503),
        ("GET", "/admins", 200),
        ("GET", "/teams", 503),
        ("GET", "/teams", 200),
    ]
    client.post(
        "/conversations/search", json={"query": {"field": "id", "operator": "=", "value": "1"}}
    )
    record = emulator.requests[-1]
    assert record.body["query"]["field"] == "id" and record.status == 200


def test_the_token_never_shows(emulator: EmulatorServer, client: httpx.Client) -> None:
    client.get("/me")
    assert emulator.token not in repr(emulator)
    assert emulator.token not in repr(emulator.requests)


def test_stop_closes_keep_alive_connections(workspace: Workspace) -> None:
    server = EmulatorServer(workspace, token="t").start()
    with plain_client(server.url, {"Authorization": "Bearer t"}) as http:
        assert http.get("/me").status_code == 200
        server.stop()
        with pytest.raises(httpx.TransportError):
            http.get("/me")
    assert not any(
        t.name.startswith(f"intercom-emulator:{server.port}") for t in threading.enumerate()
    )


# -- workspaces -------------------------------------------------------------------------------


def test_fixture_round_trip(tmp_path: Path, workspace: Workspace) -> None:
    cid = workspace.conversation_ids()[5]
    workspace.reply(
        cid, {"message_type": "note", "type": "admin", "admin_id": workspace.me_id, "body": "kept"}
    )
    data = workspace.to_dict()
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = Workspace.from_fixture(path)
    assert loaded.to_dict() == data
    assert loaded.conversation_ids() == workspace.conversation_ids()
    for other in workspace.conversation_ids():
        assert loaded.conversation(other) == workspace.conversation(other)
    assert loaded.me_id == workspace.me_id
    assert loaded.big_conversation_id == workspace.big_conversation_id
    later = loaded.reply(
        cid, {"message_type": "comment", "type": "admin", "admin_id": loaded.me_id, "body": "new"}
    )
    parts = later["conversation_parts"]["conversation_parts"]
    assert parts[-1]["body"] == "<p>new</p>" and parts[-2]["body"] == "<p>kept</p>"
    assert len({p["id"] for p in parts}) == len(parts)


def test_a_hand_written_fixture_is_served(tmp_path: Path) -> None:
    fixture = {
        "admins": [{"type": "admin", "id": "1", "name": "Solo", "email": "s@x.example"}],
        "tags": [{"type": "tag", "id": "5", "name": "Bug"}],
        "contacts": [{"type": "contact", "id": "c1", "role": "user", "name": "Cy"}],
        "conversations": [
            {
                "type": "conversation",
                "id": "77",
                "created_at": 10,
                "updated_at": 20,
                "state": "open",
                "open": True,
                "read": False,
                "tags": {"type": "tag.list", "tags": []},
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c1"}]},
                "conversation_parts": {
                    "type": "conversation_part.list",
                    "conversation_parts": [],
                    "total_count": 0,
                },
            }
        ],
    }
    workspace = Workspace.from_dict(fixture)
    assert workspace.me_id == "1" and workspace.big_conversation_id is None
    with EmulatorServer(workspace, token="t") as server:
        http = plain_client(server.url, {"Authorization": "Bearer t"})
        assert [c["id"] for c in walk(http)] == ["77"]
        tag = http.post("/conversations/77/tags", json={"id": "5", "admin_id": "1"})
        assert tag.status_code == 200
        full = http.get("/conversations/77").json()
        assert full["tags"]["tags"][0]["name"] == "Bug" and full["updated_at"] > 20
        http.close()


def test_generation_is_deterministic() -> None:
    one = Workspace.generate(seed=3, conversations=120, now=FIXED_NOW)
    two = Workspace.generate(seed=3, conversations=120, now=FIXED_NOW)
    other = Workspace.generate(seed=4, conversations=120, now=FIXED_NOW)
    cid = one.conversation_ids()[60]
    assert one.conversation(cid) == two.conversation(cid)  # drawn lazily, one by one
    assert one.to_dict() == two.to_dict()
    assert one.to_dict()["conversations"] != other.to_dict()["conversations"]


@pytest.mark.slow
def test_a_hundred_thousand_conversations() -> None:
    workspace = Workspace.generate(seed=1, conversations=100_000, now=FIXED_NOW)
    cids = workspace.conversation_ids()
    assert len(cids) == 100_000
    assert workspace.conversation(cids[-1])["conversation_parts"]["total_count"] >= 1
    page = workspace.list_conversations(150)
    assert page["total_count"] == 100_000 and len(page["conversations"]) == 150
