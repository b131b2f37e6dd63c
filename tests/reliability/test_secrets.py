"""The access token never shows: not in messages, reprs, crash reports, screenshots,
the cache, the outbox or the command's output; the config file that holds it is private.

Every test uses a sentinel token, so a leak anywhere is a plain substring match. Crash
reports are checked the way Textual writes them: a Rich traceback with every frame's
local variables (``show_locals=True``), which is where a secret held in a local would
appear. There is no log file (the app writes none; a test checks that no file outside
the config holds the token after a full session).
"""

from __future__ import annotations

import os
import stat
import traceback
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from rich.pretty import pretty_repr
from rich.traceback import Traceback
from textual.worker import WorkerFailed

from intercom_tui import cli, config
from intercom_tui.api.client import IntercomClient
from intercom_tui.api.errors import ApiError
from intercom_tui.api.retry import RetryPolicy
from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.service import actions as A
from intercom_tui.service.inbox import Connection, InboxService
from intercom_tui.service.session import SessionOptions, endpoint, open_session_async
from intercom_tui.ui.app import InboxApp
from intercom_tui.ui.screens.conversation import ConversationScreen
from intercom_tui.ui.widgets.conversation_list import ConversationList
from tests.conftest import FIXED_NOW
from tests.harness import make_app

SENTINEL = "sentinel-TOKEN-7f3a9"
SIZE = (120, 36)


def crash_report(error: BaseException) -> str:
    """What Textual prints when an exception ends the app (``App._fatal_error``), from the
    frame below this test module (whose own locals hold the sentinel on purpose)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    with open(os.devnull, "w") as devnull:
        console = Console(record=True, width=200, file=devnull)
        console.print(
            Traceback.from_exception(type(error), error, tb, show_locals=True, locals_max_length=5)
        )
    return console.export_text()


def everything_said(error: BaseException) -> str:
    """Every way an error can reach a person or a log."""
    said = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if isinstance(error, ApiError):
        said.append(error.user_message)
    return "\n".join(said) + crash_report(error)


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    workspace = Workspace.generate(seed=4, conversations=40, now=FIXED_NOW)
    with EmulatorServer(workspace, token=SENTINEL) as running:
        yield running


def client_for(url: str, token: str = SENTINEL, **kw: object) -> IntercomClient:
    async def no_wait(_delay: float) -> None:
        return None

    return IntercomClient(token, url, retry=RetryPolicy(max_attempts=1, sleep=no_wait), **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- errors, reprs
#: What a proxy or a confused server might answer: our own Authorization header, echoed.
ECHO = f"upstream rejected Authorization: Bearer {SENTINEL}"
ECHO_LIST = f'{{"type":"error.list","errors":[{{"code":"x","message":"{ECHO}"}}]}}'
CLIENT_FAULTS = {
    "404": None,  # an unknown conversation
    "500": Fault("status", status=500),
    "500-echo": Fault("status", status=500, body=ECHO_LIST.encode()),
    "403-text-echo": Fault("status", status=403, body=ECHO.encode()),
    "html-echo": Fault("html", body=f"<html><body>{ECHO}</body></html>".encode()),
    "non-json-echo": Fault("non_json", body=ECHO.encode()),
    "truncate": Fault("truncate"),
    "drop": Fault("drop"),
    "timeout": Fault("latency", delay=0.5),
}


@pytest.mark.parametrize("name", CLIENT_FAULTS)
async def test_client_errors_never_carry_the_token(server: EmulatorServer, name: str) -> None:
    fault = CLIENT_FAULTS[name]
    cid = "999999" if fault is None else server.workspace.conversation_ids()[0]
    if fault is not None:
        server.faults.add(fault)
    async with client_for(server.url, timeout=httpx.Timeout(5.0, read=0.2)) as client:
        with pytest.raises(ApiError) as caught:
            await client.get_conversation(cid)
        assert SENTINEL not in everything_said(caught.value)
        assert SENTINEL not in repr(client)


async def test_a_rejected_token_and_an_unreachable_server_never_show_it(
    server: EmulatorServer,
) -> None:
    wrong = SENTINEL + "-revoked"
    async with client_for(server.url, token=wrong) as client:
        with pytest.raises(ApiError) as rejected:
            await client.me()
    assert rejected.value.status == 401
    url = server.url
    server.stop()
    async with client_for(url) as client:
        with pytest.raises(ApiError) as unreachable:
            await client.me()
    for error in (rejected.value, unreachable.value):
        said = everything_said(error)
        assert SENTINEL not in said


def test_a_malformed_token_is_refused_without_showing_it() -> None:
    with pytest.raises(ValueError) as caught:
        IntercomClient(f"{SENTINEL} pasted twice {SENTINEL}", "https://api.intercom.io")
    assert SENTINEL not in everything_said(caught.value)


def test_a_broken_tls_setup_is_one_line_without_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SSL_CERT_FILE`` naming a missing file makes httpx fail while the client is built."""
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca-bundle.pem")
    with pytest.raises(ApiError) as caught:
        IntercomClient(SENTINEL, "https://api.intercom.io")
    assert "SSL_CERT_FILE" in caught.value.user_message
    assert SENTINEL not in everything_said(caught.value)


async def test_reprs_of_everything_holding_the_token_hide_it(server: EmulatorServer) -> None:
    profile = config.Profile(name="work", token=SENTINEL)
    settings = config.Settings(profiles={"work": profile}, default_profile="work")
    opts = SessionOptions(profile="work", base_url=server.url)
    async with client_for(server.url) as client:
        connection = Connection(server.url, SENTINEL, client)
        things: list[object] = [profile, settings, connection, client, endpoint(settings, opts)]
        for thing in things:
            assert SENTINEL not in repr(thing) and SENTINEL not in str(thing), type(thing)
            # How a crash report shows locals: Rich spells out named tuples field by field
            # unless they have their own repr.
            assert SENTINEL not in pretty_repr(thing, expand_all=True), type(thing)


# ---------------------------------------------------------------------------- the app
@pytest.fixture
async def session(server: EmulatorServer) -> AsyncIterator[InboxService]:
    """A service opened the way the command line opens it, synced."""
    profile = config.Profile(name="default", base_url=server.url, token=SENTINEL)
    settings = config.Settings(profiles={"default": profile})
    service, _ = await open_session_async(settings, SessionOptions())
    await service.sync()
    await service.aclose()
    yield service
    service.cache.close()


async def test_a_crash_report_does_not_show_the_token(
    session: InboxService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected error while the client is built (the frame that holds the token)
    ends the app with Textual's crash report, locals and all."""

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the HTTP stack could not start")

    app = make_app(session)
    with pytest.raises(WorkerFailed) as caught:
        async with app.run_test(size=SIZE) as pilot:
            monkeypatch.setattr(httpx.AsyncClient, "__init__", explode)
            await pilot.press("enter")  # opening fetches the thread: the client is built
            await pilot.pause()
            await app.workers.wait_for_complete()
    printed = capsys.readouterr()
    crash = caught.value.error
    assert isinstance(crash, RuntimeError) and "IntercomClient" in crash_report(crash)
    assert "the HTTP stack could not start" in printed.err  # Textual's own report
    assert SENTINEL not in printed.out + printed.err
    assert SENTINEL not in crash_report(crash)


async def test_screenshots_of_every_screen_never_show_the_token(
    session: InboxService, server: EmulatorServer
) -> None:
    app = make_app(session)
    shots: dict[str, str] = {}
    async with app.run_test(size=SIZE) as pilot:
        shots["inbox"] = app.export_screenshot()
        for key in ("t", "a", "z", "question_mark", "ctrl+p"):
            await pilot.press(key)
            await pilot.pause()
            shots[key] = app.export_screenshot()
            await pilot.press("escape")
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, ConversationScreen)
        shots["conversation"] = app.export_screenshot()
        await pilot.press("r")
        await pilot.pause()
        shots["compose"] = app.export_screenshot()
    assert len(set(shots.values())) == len(shots), "a screen did not open"
    for name, svg in shots.items():
        assert SENTINEL not in svg, name


async def test_cache_outbox_and_every_file_written_are_free_of_the_token(
    session: InboxService, server: EmulatorServer, isolated_dirs: Path
) -> None:
    svc = session
    ids = server.workspace.conversation_ids()
    tag = server.workspace.tags()["data"][0]
    svc.perform([A.tag_action(ids[0], str(tag["id"]), tag["name"], on=True)])
    svc.perform([A.Action(A.CLOSE, ids[1])])
    svc.send_message(ids[2], A.REPLY, "A reply that will be refused")
    server.faults.add(Fault("status", "POST", r"/reply$", status=422))
    server.faults.add(Fault("status", "POST", r"/tags$", status=401))
    with pytest.raises(ApiError):
        await svc.flush_outbox()  # the 401 stops the batch: its error is kept with the entry
    await svc.flush_outbox()
    await svc.fetch_conversation(ids[3])
    await svc.aclose()
    assert svc.outbox.pending_count() >= 1
    assert svc.cache.path is not None
    files = [p for p in isolated_dirs.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite3" for p in files) and all(
        p.name != "config.toml" for p in files
    )
    for path in files:
        assert SENTINEL.encode() not in path.read_bytes(), path


# ---------------------------------------------------------------------------- the command line
def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_the_command_line_never_prints_the_token(
    server: EmulatorServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.TOKEN_ENV, SENTINEL)
    url = server.url
    cid = server.workspace.conversation_ids()[0]
    runs = {
        "login": run(capsys, "login", "--base-url", url),
        "sync": run(capsys, "sync", "--base-url", url),
        "export md": run(capsys, "export", cid, "--base-url", url),
        "export json": run(capsys, "export", cid, "--format", "json", "--base-url", url),
    }
    # (Answers that are retried, 5xx or no connection, would make this test wait out
    # real back-off; the client-level tests above cover them.)
    server.faults.add(Fault("status", status=403, body=ECHO.encode(), times=None))
    runs["sync refused with an echo"] = run(capsys, "sync", "--base-url", url)
    server.faults.clear()
    monkeypatch.setenv(config.TOKEN_ENV, SENTINEL + "-revoked")
    runs["sync rejected"] = run(capsys, "sync", "--base-url", url)
    assert [code for code, _ in runs.values()] == [0, 0, 0, 0, 1, 1]
    for name, (_, printed) in runs.items():
        assert SENTINEL not in printed, name
    assert "Logged in" in runs["login"][1] and "sync" in runs["sync"][1]


def test_login_writes_the_token_to_a_private_file(
    server: EmulatorServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.TOKEN_ENV, SENTINEL)
    assert run(capsys, "login", "--base-url", server.url)[0] == 0
    path = config.config_path()
    assert SENTINEL in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_config_readable_by_others_is_warned_about_at_start(
    server: EmulatorServer,
) -> None:
    profile = config.Profile(name="default", base_url=server.url, token=SENTINEL)
    path = config.save_settings(config.Settings(profiles={"default": profile}))
    path.chmod(0o644)
    settings = config.load_settings()
    service, notices = await open_session_async(settings, SessionOptions())
    warning = [n for n in notices if "readable by other users" in n]
    assert warning and all(SENTINEL not in n for n in notices)
    # As ``intercom-tui`` starts the app: with the session's notices.
    app = InboxApp(service, settings, notices=notices, background=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert any("readable by other users" in m and "chmod 600" in m for m in shown)
        assert app.screen.query_one(ConversationList) is not None
    service.cache.close()


REMOTE_HTTP = "http://intercom.example.com"


@pytest.mark.parametrize(
    ("argv", "refused"),
    [
        (["export", "1", "--offline", "--base-url", REMOTE_HTTP], True),
        (["login", "--base-url", REMOTE_HTTP], True),
        (["sync", "--base-url", "ftp://intercom.example.com"], True),
        (["export", "1", "--offline", "--base-url", "https://intercom.example.com"], False),
        (["export", "1", "--offline", "--base-url", "http://127.0.0.1:9"], False),
        (["export", "1", "--offline", "--base-url", "http://localhost:9"], False),
        (["export", "1", "--offline", "--insecure", "--base-url", REMOTE_HTTP], False),
    ],
)
def test_only_https_leaves_the_machine_unless_loopback_or_insecure(
    argv: list[str],
    refused: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Offline export stops before any network: what it says shows whether the URL
    passed the check (refused) or not ("nothing is cached")."""
    monkeypatch.setenv(config.TOKEN_ENV, SENTINEL)
    code, printed = run(capsys, *argv)
    assert code == 2 and SENTINEL not in printed
    assert len(printed.strip().splitlines()) == 1
    said_no = "Refusing to send the token" in printed or "is not an http(s) URL" in printed
    assert said_no == refused, printed
    if not refused:
        assert "Nothing is cached" in printed
    assert not config.config_path().exists()


def test_no_log_file_is_written(session: InboxService, isolated_dirs: Path) -> None:
    """The app keeps no log; if one appears it must be checked for the token too."""
    logs = [p for p in isolated_dirs.rglob("*") if "log" in p.name.lower()]
    assert logs == []
