"""The real app, in a real pseudo-terminal, on a workspace made of the hostile corpus.

Every title, body, part, tag, team, admin, contact and custom attribute of the fixture
carries a case of ``tests/data/hostile`` (escape sequences, C1 controls, bidi overrides,
zero-width and combining floods, wide CJK, Rich markup, a 1 MB body, 10,000-level
nesting, lone surrogates written as ``\\ud800`` JSON escapes). The test starts
``python -m intercom_tui`` on a pty against the emulator (serving the fixture file),
opens every conversation and the tag editor, quits, and then checks every byte the app
wrote: none of the injected sequences, no C1 or bidi characters, no OSC but the ones
Textual itself writes (OSC 8 links as ``ESC ] 8 ; id=… ; URL ESC \\``, OSC 22 pointer
shape), no token; while the screen (a small terminal emulation, ``terminal.Screen``)
showed the markup cases literally.

Pilot tests at the end cover what the pty run cannot reach without a mouse or a
refused action: the assign picker's names and the toast of a refused tag action.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.content import Content
from textual.widgets import OptionList

from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.service import actions as A
from intercom_tui.service.export import to_json
from intercom_tui.ui.screens.pickers import AssignPicker
from tests.conftest import FIXED_NOW, TOKEN
from tests.data.hostile.corpus import (
    BIDI_CONTROLS,
    FORBIDDEN_SEQUENCES,
    hostile_strings,
    unsafe_characters,
)
from tests.harness import make_app, service_for
from tests.reliability.support import PYTHON, ROOT
from tests.reliability.terminal import PtyApp, app_env

SIZE = (120, 36)
MARKUP = "[bold red]PWNED[/]"
CLICK = "[@click=app.quit]x[/]"
#: Longest piece of a case used as a name or title (the whole case goes in bodies).
NAME_CHARS = 300
TITLE_CHARS = 3000
#: OSC sequences Textual itself writes: hyperlinks (8) and the mouse pointer shape (22).
TEXTUAL_OSC = re.compile(r"\x1b\](?:8;id=[^;\x07\x1b]*;[^\x07\x1b]*|8;;|22;[a-z-]*)(?:\x1b\\|\x07)")
ANY_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")


def cases() -> list[tuple[str, str]]:
    return sorted(hostile_strings().items())


def hostile_fixture() -> dict[str, Any]:
    """Workspace JSON (``Workspace.from_dict``) with one corpus case per conversation.

    Conversation ``i`` is the ``i``-th newest, titled ``T{i:02d} …``; its last part is a
    note ``END-{id}`` so a test can see the fetched thread is on screen.
    """
    items = cases()
    data = Workspace.generate(seed=3, conversations=len(items), now=FIXED_NOW).to_dict()
    short = [text[:NAME_CHARS] for _, text in items]

    def named(rows: list[dict[str, Any]], offset: int) -> None:
        for n, row in enumerate(rows):
            row["name"] = short[(n + offset) % len(short)]

    named(data["admins"], 0)
    named(data["teams"], 3)
    named(data["tags"], 6)
    named(data["contacts"], 9)
    admins, teams, tags, contacts = (
        data["admins"],
        data["teams"],
        data["tags"],
        data["contacts"],
    )
    for i, ((name, text), conv) in enumerate(zip(items, data["conversations"], strict=True)):
        cid = str(conv["id"])
        updated = FIXED_NOW - 60 * i
        admin, contact = admins[i % len(admins)], contacts[i % len(contacts)]
        conv.update(
            title=f"T{i:02d} {text[:TITLE_CHARS]}",
            state="open",
            open=True,
            snoozed_until=None,
            created_at=updated - 3600,
            updated_at=updated,
            waiting_since=updated - 3600,
            admin_assignee_id=admin["id"],
            team_assignee_id=teams[i % len(teams)]["id"],
            tags={"type": "tag.list", "tags": [tags[i % len(tags)], tags[(i + 1) % len(tags)]]},
            contacts={
                "type": "contact.list",
                "contacts": [{"type": "contact", "id": contact["id"]}],
            },
            custom_attributes={"Case": name, "Hostile": text[:NAME_CHARS], short[i]: "key"},
        )
        author = {"type": "user", "id": contact["id"], "name": short[i], "email": short[i - 1]}
        conv["source"].update(author=author, body=text, subject=text[:NAME_CHARS])
        as_admin = {"type": "admin", "id": str(admin["id"]), "name": admin["name"], "email": ""}
        parts = conv["conversation_parts"]["conversation_parts"][:2]
        parts += [
            {
                "type": "conversation_part",
                "id": f"{cid}91",
                "part_type": "comment",
                "body": text,
                "created_at": updated - 20,
                "updated_at": updated - 20,
                "author": as_admin,
                "attachments": [
                    {"type": "upload", "name": short[i], "url": "https://files.example/a"}
                ],
            },
            {
                "type": "conversation_part",
                "id": f"{cid}92",
                "part_type": "note",
                "body": f"<p>END-{cid}</p>",
                "created_at": updated - 10,
                "updated_at": updated - 10,
                "author": as_admin,
                "attachments": [],
            },
        ]
        conv["conversation_parts"] = {
            "type": "conversation_part.list",
            "conversation_parts": parts,
            "total_count": len(parts),
        }
    return data


@pytest.fixture
def fixture_file(tmp_path: Path) -> Path:
    """The fixture as a file: ``json`` writes lone surrogates as ``\\ud800`` escapes."""
    path = tmp_path / "hostile-workspace.json"
    path.write_text(json.dumps(hostile_fixture(), ensure_ascii=True), encoding="ascii")
    assert "\\ud800" in path.read_text(encoding="ascii")
    return path


@pytest.fixture
def hostile_server(fixture_file: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(Workspace.from_fixture(fixture_file), token=TOKEN) as server:
        yield server


def leaks(output: str) -> list[str]:
    """Everything in the terminal output that the hostile content must not produce."""
    found = [f"forbidden {seq!r}" for seq in FORBIDDEN_SEQUENCES if seq in output]
    foreign_osc = {m.group()[:40] for m in ANY_OSC.finditer(output)} - {
        m.group()[:40] for m in TEXTUAL_OSC.finditer(output)
    }
    found += [f"OSC not written by Textual: {seq!r}" for seq in sorted(foreign_osc)]
    found += [
        f"{kind} U+{ord(ch):04X}"
        for kind, chars in (
            ("C1 control", {c for c in output if "\x80" <= c <= "\x9f"}),
            ("bidi control", set(output) & BIDI_CONTROLS),
            ("undecodable byte or surrogate", {c for c in output if "\ud800" <= c <= "\udfff"}),
        )
        for ch in sorted(chars)
    ]
    if "evil.example" in "".join(m.group() for m in ANY_OSC.finditer(output)):
        found.append("a link to content's evil.example")
    if TOKEN in output:
        found.append("the access token")
    return found


def test_the_real_app_on_a_hostile_workspace_writes_nothing_injected(
    hostile_server: EmulatorServer, isolated_dirs: Path
) -> None:
    argv = [PYTHON, "-m", "intercom_tui", "--base-url", hostile_server.url]
    app = PtyApp(argv, app_env(TOKEN), str(ROOT), SIZE)
    ids = sorted(
        hostile_server.workspace.conversation_ids(),
        key=lambda cid: -int(hostile_server.workspace.conversation(cid)["updated_at"]),
    )
    seen: list[str] = []
    try:
        app.wait_for_text("T00 ")
        app.wait_for("every row", lambda s: f"T{len(ids) - 1:02d} " in s.text(), 60)
        seen.append(app.screen.text())
        app.press(b"t")  # the tag editor lists every (hostile) tag name
        app.wait_for_text("enter toggle · esc done")
        seen.append(app.screen.text())
        app.press(b"\x1b")
        app.wait_for("the editor to close", lambda s: "esc done" not in s.text())
        app.press(b"\r")
        for n, cid in enumerate(ids):
            if n:
                app.press(b"]")  # the next conversation of the view, without going back
            app.wait_for(f"conversation {cid}", lambda s, c=cid: f"#{c} " in s.text())
            app.wait_for_text(f"END-{cid}", timeout=60)  # the fetched thread is drawn
            seen.append(app.screen.text())
        app.press(b"\x1b")
        app.wait_for("the list", lambda s: f"#{ids[-1]} " not in s.text())
        app.press(b"k", b"\r")  # and once more from the list, by keys
        app.wait_for_text(f"END-{ids[-2]}")
        assert app.process.poll() is None, "the app died"
        app.press(b"q")
        assert app.wait_exit() == 0
    finally:
        app.close()
    output = app.text_output()
    assert MARKUP in "".join(seen) and CLICK in "".join(seen)
    assert "Traceback" not in output
    assert leaks(output) == []


def test_the_output_check_finds_what_content_could_inject() -> None:
    """``leaks`` accepts what Textual writes and flags each thing content could inject."""
    textual_own = (
        "\x1b[?1049h\x1b]22;default\x07\x1b[1;1H\x1b[1;38;5;189mText\x1b[0m"
        "\x1b]8;id=1234;https://docs.example/a\x1b\\link\x1b]8;;\x1b\\"
    )
    assert leaks(textual_own) == []
    injected = (
        "\x1b]52;c;UFdORUQ=\x07",
        "\x1b]0;PWNED\x07",
        "\x1b]8;;https://evil.example/phish\x1b\\",
        "\x1b]8;id=9;https://evil.example/phish\x1b\\",
        "\x1bPq#0\x1b\\",
        "\x9b31m",
        "\u202e",
        "\u2066",
        "\udcff",
        TOKEN,
    )
    for text in injected:
        assert leaks(textual_own + text), repr(text)


# ---------------------------------------------------------------------------- via Pilot
@pytest.fixture
def markup_server() -> Iterator[EmulatorServer]:
    """Names that are Rich markup, one of which is not even valid markup (``[/]``)."""
    data = Workspace.generate(seed=3, conversations=6, now=FIXED_NOW).to_dict()
    for n, row in enumerate((*data["admins"], *data["tags"])):
        row["name"] = f"[/] {n} {MARKUP} \x1b]52;c;UFdORUQ=\x07"
    with EmulatorServer(Workspace.from_dict(data), token=TOKEN) as server:
        yield server


def notices_are_safe(messages: list[str]) -> None:
    for message in messages:
        assert unsafe_characters(message) == [], message


async def test_assign_picker_shows_markup_names_literally(markup_server: EmulatorServer) -> None:
    service = await service_for(markup_server)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AssignPicker)
        options = app.screen.query_one(OptionList)
        shown = [options.get_option_at_index(i).prompt for i in range(options.option_count)]
        admins = markup_server.workspace.admins()["admins"]
        assert len(shown) > len(admins)
        for prompt in shown[: len(admins)]:
            assert isinstance(prompt, Content), "a str prompt is parsed as markup"
            assert prompt.plain.startswith("[/] ") and MARKUP in prompt.plain
            assert unsafe_characters(prompt.plain) == []


async def test_the_toast_of_a_refused_tag_action_is_safe(markup_server: EmulatorServer) -> None:
    service = await service_for(markup_server)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        item = app.screen.query_one("ConversationList").current_item  # type: ignore[attr-defined]
        tag = markup_server.workspace.tags()["data"][0]
        markup_server.faults.add(Fault("status", "POST", r"/tags$", status=422))
        app.service.perform([A.tag_action(item.id, str(tag["id"]), tag["name"], on=True)])
        await app.service.flush_outbox()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Could not tag") for m in messages)
        notices_are_safe(messages)
        assert all(not n.markup for n in app._notifications if "Could not" in n.message)


async def test_lone_surrogates_from_the_api_are_stored_shown_and_exported_faithfully(
    tmp_path: Path,
) -> None:
    """JSON can carry ``\\ud800``, UTF-8 cannot: the emulator must still answer, the
    cache still store (U+FFFD where it indexes text, the original in its JSON), and
    export give back what the server sent."""
    data = Workspace.generate(seed=3, conversations=4, now=FIXED_NOW).to_dict()
    conv = data["conversations"][0]
    conv["title"] = "lone \ud800 high"
    conv["source"]["body"] = "<p>and \udfff low</p>"
    data["tags"][0]["name"] = "tag \udbff"
    data["contacts"][0]["name"] = "Mallory \ud83d"
    path = tmp_path / "surrogates.json"
    path.write_text(json.dumps(data), encoding="ascii")
    with EmulatorServer(Workspace.from_fixture(path), token=TOKEN) as server:
        service = await service_for(server)
    cid = str(conv["id"])
    row = service.cache.get_row(cid)
    assert row is not None and row.title == "lone \ufffd high"
    assert "\ufffd low" in row.preview
    assert service.cache.get_conversation(cid)["title"] == "lone \ud800 high"  # type: ignore[index]
    assert "tag \udbff" in [t.name for t in service.tags()]
    exported = to_json(service.cached_conversation(cid))  # type: ignore[arg-type]
    assert json.loads(exported)["title"] == "lone \ud800 high"
    service.cache.close()
