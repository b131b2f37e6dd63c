"""Export: Markdown for people (cleaned), JSON for machines (faithful to the API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from intercom_tui.api.models import Conversation
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service.directory import Directory
from intercom_tui.service.export import to_json, to_markdown
from tests.conftest import TOKEN
from tests.service.support import HOSTILE, HOSTILE_WORDS, UNSAFE, Env, hostile_workspace


async def test_markdown_of_a_fetched_conversation_has_every_part(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: len(c["conversation_parts"]["conversation_parts"]) >= 3)
    conversation = await env.svc.fetch_conversation(cid)
    server = env.conversation(cid)

    text = to_markdown(conversation, env.svc.directory)

    lines = text.splitlines()
    assert lines[0].startswith("# ")
    assert f"- Conversation: {cid}" in lines
    assert any(line.startswith(f"- State: {server['state']}") for line in lines)
    headings = [line for line in lines if line.startswith("## ")]
    assert len(headings) == 1 + len(server["conversation_parts"]["conversation_parts"])
    for part, heading in zip(conversation.parts, headings[1:], strict=True):
        assert part.part_type.replace("_", " ") in heading
        assert f"({part.author.type})" in heading
    assignee = env.svc.directory.assignee_label(
        conversation.admin_assignee_id, conversation.team_assignee_id
    )
    assert f"- Assignee: {assignee or 'unassigned'}" in lines
    assert text.endswith("\n") and not text.endswith("\n\n")


async def test_json_of_a_fetched_conversation_is_the_api_object(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: c["state"] == "open")
    conversation = await env.svc.fetch_conversation(cid)
    assert json.loads(to_json(conversation)) == env.conversation(cid)


@pytest.fixture
def hostile_server() -> Iterator[tuple[EmulatorServer, str]]:
    workspace, which = hostile_workspace()
    with EmulatorServer(workspace, token=TOKEN) as server:
        yield server, which["hostile"]


async def test_hostile_strings_are_cleaned_in_markdown_and_kept_in_json(
    hostile_server: tuple[EmulatorServer, str], tmp_path: Path
) -> None:
    server, cid = hostile_server
    env = Env(server, tmp_path / "c.sqlite3")
    env.open()
    try:
        await env.svc.sync()
        conversation = await env.svc.fetch_conversation(cid)
        markdown = to_markdown(conversation, env.svc.directory)
        exported = to_json(conversation)
    finally:
        await env.close()

    assert not UNSAFE.search(markdown)
    for key in ("admin", "title", "contact", "body", "attachment", "tag"):
        assert HOSTILE_WORDS[key] in markdown, key
    assert "evil.example" not in markdown  # the OSC 8 link went with its sequence

    assert not UNSAFE.search(exported)  # safe to print on a terminal...
    assert json.loads(exported) == server.workspace.conversation(cid)  # ...and faithful
    assert HOSTILE["title"] in json.loads(exported)["title"]


def test_markdown_survives_hostile_ids_states_types_and_times() -> None:
    raw = {
        "type": "conversation",
        "id": "7\x1b]0;x\x07",
        "state": "open\x1b[5m",
        "created_at": 10**30,
        "updated_at": -(10**30),
        "source": {"author": {"type": "user\x9b1m", "name": "A"}, "body": "<p>x</p>"},
        "conversation_parts": {
            "conversation_parts": [
                {"id": "1", "part_type": "note\x1b[8m", "body": "y", "created_at": 10**30}
            ]
        },
    }
    text = to_markdown(Conversation.from_api(raw), Directory())
    assert not UNSAFE.search(text)
    assert "- Conversation: 7" in text and "- Created: " in text
    assert json.loads(to_json(Conversation.from_api(raw))) == raw
