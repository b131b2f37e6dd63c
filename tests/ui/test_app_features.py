"""Themes, keymap, help, command palette and profiles, with the real app on the emulator."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from textual.command import CommandPalette

from intercom_tui import config
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.ui.keymap import binding_ids, check_keymap
from intercom_tui.ui.screens.conversation import ConversationScreen
from intercom_tui.ui.screens.help import HelpScreen
from intercom_tui.ui.screens.inbox import InboxScreen
from intercom_tui.ui.styles import APP_CSS, LATER_CSS, OPEN_CSS
from intercom_tui.ui.themes import builtin_theme_dir, load_themes
from intercom_tui.ui.widgets.conversation_list import ConversationList
from intercom_tui.ui.widgets.key_bar import KeyBar
from tests.conftest import FIXED_NOW, TOKEN
from tests.harness import make_app, service_for, settings_for

# ---------------------------------------------------------------------------- themes


def test_packaged_themes_load() -> None:
    folder = builtin_theme_dir()
    assert folder is not None
    loaded = load_themes(folder)
    names = {t.name for t in loaded.themes}
    assert {"intercom-dark", "intercom-light", "high-contrast"} <= names
    assert loaded.problems == []
    assert {t.name: t.dark for t in loaded.themes}["intercom-light"] is False


def test_bad_theme_files_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("primary = [")
    (tmp_path / "nocolour.toml").write_text('name = "x"\n')
    (tmp_path / "badcolour.toml").write_text('primary = "not-a-colour"\n')
    (tmp_path / "fine.toml").write_text('primary = "#ff0000"\n')
    loaded = load_themes(tmp_path)
    assert [t.name for t in loaded.themes] == ["fine"]
    assert len(loaded.problems) == 3
    assert all(p.split(":")[0].endswith(".toml") for p in loaded.problems)


async def test_user_theme_with_errors_warns_and_app_starts(emulator: EmulatorServer) -> None:
    themes = config.user_themes_dir()
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#123456"\ndark = false\n')
    (themes / "oops.toml").write_text("primary = ")
    settings = settings_for(emulator, theme="mine")
    app = make_app(await service_for(emulator), settings=settings)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == "mine"
        assert any("oops.toml" in n.message for n in app._notifications)


async def test_theme_choice_persists(emulator: EmulatorServer) -> None:
    app = make_app(await service_for(emulator), settings=settings_for(emulator))
    async with app.run_test() as pilot:
        assert app.theme == "intercom-dark"
        app.theme = "intercom-light"
        await pilot.pause()
    assert config.load_settings().theme == "intercom-light"


# ---------------------------------------------------------------------------- keymap


#: Per start: keys pressed, then a node that a later sheet styles, and what it sets there.
LATER_SHEETS = {
    "inbox": [
        (("question_mark",), ".dialog", lambda st: st.border_top[0] == "round"),  # dialogs
        (("escape", "enter"), "#conversation-header", lambda st: str(st.height) == "1"),
    ],
    "--open": [(("escape",), "#view-bar", lambda st: str(st.height) == "1")],  # the inbox
}


@pytest.mark.parametrize("start", list(LATER_SHEETS))
async def test_later_screens_sheets_are_read_after_the_first_frame_without_a_reparse(
    emulator: EmulatorServer, start: str
) -> None:
    """Only the first screen's CSS is parsed before the first frame (the inbox's, or
    with ``--open`` the conversation's); the others come after it, so showing those
    screens never re-parses everything ("1", not "auto": the later sheet applied)."""
    service = await service_for(emulator)
    cid = service.window(service.view("open"), 0, 1)[0].id if start == "--open" else None
    app = make_app(service, open_conversation=cid)
    assert [str(path) for path in app.css_path] == (OPEN_CSS if cid else APP_CSS)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert all(app.stylesheet.has_source(path) for path in LATER_CSS)
        reparses: list[int] = []
        reparse = app.stylesheet.reparse
        app.stylesheet.reparse = lambda: (reparses.append(1), reparse())[1]  # type: ignore[method-assign]
        for keys, selector, styled in LATER_SHEETS[start]:
            await pilot.press(*keys)
            await pilot.pause()
            assert styled(app.screen.query_one(selector).styles)
        assert reparses == []
    await service.aclose()


async def test_the_app_turns_the_collector_back_on_after_its_first_frame(
    emulator: EmulatorServer,
) -> None:
    """The command line pauses the collector for start-up (cli.main); the app resumes it
    once the first frame is out, with start-up's objects frozen out of its walks."""
    service = await service_for(emulator)
    app = make_app(service)
    gc.disable()
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
    await service.aclose()


async def test_the_ui_thread_leaves_wal_checkpoints_to_a_worker(emulator: EmulatorServer) -> None:
    """A triage action commits on the UI thread; folding the WAL there froze a frame."""
    service = await service_for(emulator)
    app = make_app(service)
    async with app.run_test() as pilot:
        await pilot.pause()
        with service.cache._read() as conn:
            assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    await service.aclose()


@pytest.mark.parametrize("theme", ["textual-dark", "intercom-light"])
async def test_any_starting_theme_styles_the_first_screen(
    emulator: EmulatorServer, theme: str
) -> None:
    """The theme's variables are set once in ``__init__`` (Textual's default theme's are
    skipped): a start in Textual's own default theme, where setting it changes nothing,
    must be styled too."""
    service = await service_for(emulator)
    app = make_app(service, settings=config.Settings(theme=theme))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == theme
        expected = app.current_theme.to_color_system().generate()["background"]
        assert app.screen.styles.background.hex.lower() == expected.lower()
    await service.aclose()


def test_every_binding_has_a_unique_id() -> None:
    ids = binding_ids()
    assert {"triage.close", "list.down", "conversation.next", "app.quit"} <= ids


def test_keymap_problems_are_named() -> None:
    assert check_keymap({}) == []
    assert check_keymap({"triage.close": "w"}) == []
    problems = check_keymap({"triage.nope": "w", "triage.close": "t"})
    assert any("triage.nope" in p for p in problems)
    assert any("'t'" in p and "triage.tags" in p and "triage.close" in p for p in problems)


async def test_remapped_key_acts_and_shows_in_help(emulator: EmulatorServer) -> None:
    settings = settings_for(emulator, keymap={"triage.close": "w", "triage.bogus": "x"})
    service = await service_for(emulator)
    app = make_app(service, settings=settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert any("triage.bogus" in n.message for n in app._notifications)
        item = app.screen.query_one(ConversationList).current_item
        assert item is not None and item.state == "open"
        hints = {hint.action: hint.display for hint in app.screen.query_one(KeyBar).shown}
        assert hints["close"] == "w"  # the key bar shows the user's key
        await pilot.press("c")  # no longer bound
        assert service.cache.get_row(item.id).state == "open"
        await pilot.press("w")
        assert service.cache.get_row(item.id).state == "closed"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = str(app.screen.query_one("#help-table").render())
        assert "Close" in table and "Triage" in table and "Moving" in table


async def test_clicking_a_key_hint_presses_its_key(emulator: EmulatorServer) -> None:
    app = make_app(await service_for(emulator))
    async with app.run_test(size=(120, 36)) as pilot:
        bar = app.screen.query_one(KeyBar)
        await pilot.pause()
        x = bar.offset_of("help")
        assert x is not None
        await pilot.click(KeyBar, offset=(x + 1, 0))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


# ---------------------------------------------------------------------------- palette


async def test_palette_lists_actions_views_and_opens_by_id(emulator: EmulatorServer) -> None:
    app = make_app(await service_for(emulator), settings=settings_for(emulator))
    cid = emulator.workspace.conversation_ids()[0]
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"snooze")
        await pilot.pause(0.3)
        assert "Snooze" in _palette_text(app)
        await pilot.press(*["backspace"] * 6, *"view: closed")
        await pilot.pause(0.3)
        assert "View: Closed" in _palette_text(app)
        await pilot.press("enter")
        await pilot.pause()
        inbox = app.screen
        assert isinstance(inbox, InboxScreen) and inbox.view_key == "closed"
        await pilot.press("ctrl+p")
        await pilot.press(*cid)
        await pilot.pause(0.3)
        assert f"Open conversation #{cid}" in _palette_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.conversation_id == cid


def _palette_text(app) -> str:  # type: ignore[no-untyped-def]
    from textual.widgets import OptionList

    options = app.screen.query_one(OptionList)
    return "\n".join(
        str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
    )


# ---------------------------------------------------------------------------- profiles


async def test_switch_profile_from_the_palette(emulator: EmulatorServer) -> None:
    other = EmulatorServer(
        Workspace.generate(seed=99, conversations=40, now=FIXED_NOW), token=TOKEN
    ).start()
    try:
        settings = config.Settings(
            profiles={
                "test": config.Profile(name="test", base_url=emulator.url, token=TOKEN),
                "other": config.Profile(name="other", base_url=other.url, token=TOKEN),
            },
            default_profile="test",
        )
        app = make_app(await service_for(emulator), settings=settings, background=True)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert app.service.count(app.service.view("all")) == 300
            await pilot.press("ctrl+p", *"switch profile: other", "enter")
            for _ in range(50):
                await pilot.pause(0.05)
                if app.service.count(app.service.view("all")) == 40:
                    break
            assert app.service.count(app.service.view("all")) == 40, [
                n.message for n in app._notifications
            ]
            assert isinstance(app.screen, InboxScreen)
    finally:
        other.stop()


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_no_color_still_renders(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(await service_for(emulator), settings=settings_for(emulator))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.no_color
        assert app.screen.query_one(ConversationList).row_count > 0


async def test_notifications_never_parse_markup_or_pass_escapes(emulator: EmulatorServer) -> None:
    app = make_app(await service_for(emulator), settings=settings_for(emulator))
    async with app.run_test() as pilot:
        app.screen.notify("tag [/x] \x1b]52;c;QUFB\x07 [bold red]PWNED[/]", title="\x1b[2J")
        await pilot.pause()
        note = list(app._notifications)[-1]
        assert "[/x]" in note.message and "[bold red]PWNED[/]" in note.message
        assert "\x1b" not in note.message + note.title


async def test_background_sync_tells_about_new_work_in_mine(emulator: EmulatorServer) -> None:
    import httpx

    service = await service_for(emulator)
    app = make_app(service, settings=settings_for(emulator), background=True)
    async with app.run_test() as pilot:
        for _ in range(100):  # the first sync after start-up
            await pilot.pause(0.02)
            if not app.syncing and service.sync_engine.last_sync_at:
                break
        me = emulator.workspace.me_id
        cid = next(
            c
            for c in reversed(emulator.workspace.conversation_ids())
            if emulator.workspace.conversation(c)["state"] == "open"
            and str(emulator.workspace.conversation(c).get("admin_assignee_id")) != me
        )
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=emulator.url, headers=headers) as http:
            body = {"message_type": "assignment", "type": "admin", "admin_id": me}
            http.post(f"/conversations/{cid}/parts", json={**body, "assignee_id": me})
            http.put(f"/conversations/{cid}", json={"read": False})
        app.request_sync()
        for _ in range(100):
            await pilot.pause(0.02)
            if any(n.title == "Mine" for n in app._notifications):
                break
        notes = [n.message for n in app._notifications if n.title == "Mine"]
        assert notes == ["1 conversation in Mine waiting for you"]


async def test_start_a_conversation_as_a_contact_from_the_palette(
    emulator: EmulatorServer,
) -> None:
    service = await service_for(emulator)
    app = make_app(service, settings=settings_for(emulator))
    contact = emulator.workspace.to_dict()["contacts"][3]
    before = set(emulator.workspace.conversation_ids())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+p", *"new conversation")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*contact["name"], "enter")
        await pilot.pause()
        await pilot.press(*"Hello, my export is stuck", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        new = set(emulator.workspace.conversation_ids()) - before
        assert len(new) == 1
        created = emulator.workspace.conversation(new.pop())
        assert created["source"]["author"]["id"] == contact["id"]
        assert "my export is stuck" in created["source"]["body"]
        assert any(n.message.startswith("Started conversation #") for n in app._notifications)
