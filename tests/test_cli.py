"""The ``intercom-tui`` command line, in-process against the emulator (no UI)."""

from __future__ import annotations

import gc
import json
import stat
import subprocess
import sys

import pytest

from intercom_tui import cli, config
from intercom_tui.emulator.server import EmulatorServer
from tests.conftest import TOKEN

SUBCOMMANDS = ["login", "sync", "emulator", "export", "new"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_describes_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--demo", "--offline", "--open", "--base-url", "--region", "--profile"):
        assert flag in out
    for name in SUBCOMMANDS:
        assert name in out
        with pytest.raises(SystemExit) as exit_:
            cli.main([name, "--help"])
        assert exit_.value.code == 0
        assert "usage: intercom-tui " + name in capsys.readouterr().out


def test_no_token_is_one_actionable_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sync")
    assert code == 2
    assert "INTERCOM_ACCESS_TOKEN" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_plain_http_to_a_remote_host_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    code, _, err = run(capsys, "sync", "--base-url", "http://intercom.example.com")
    assert code == 2 and "Refusing to send the token over plain http" in err


def test_rejected_token_never_printed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "wrong-token-0123456789")
    code, out, err = run(capsys, "sync", "--base-url", emulator.url)
    assert code == 1
    assert "401" in err and "Traceback" not in err
    assert "wrong-token-0123456789" not in out + err


def test_sync_then_offline_export(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    code, _, err = run(capsys, "sync", "--base-url", emulator.url)
    assert code == 0, err
    assert "full sync: 300 conversations" in err and "300 cached" in err
    cid = emulator.workspace.conversation_ids()[-1]
    code, out, _ = run(capsys, "export", cid, "--format", "json", "--base-url", emulator.url)
    assert code == 0 and json.loads(out)["id"] == cid
    url = emulator.url
    emulator.stop()  # from here on nothing may touch the network
    code, out, err = run(capsys, "export", cid, "--offline", "--base-url", url)
    assert code == 0, err
    assert out.startswith("# ") and f"- Conversation: {cid}" in out


def test_offline_without_cache_is_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "export", "1", "--offline", "--base-url", "http://127.0.0.1:9")
    assert code == 2 and "Nothing is cached" in err


def test_new_conversation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    contact = emulator.workspace.to_dict()["contacts"][0]["id"]
    before = len(emulator.workspace.conversation_ids())
    code, out, err = run(
        capsys,
        "new",
        "--from-id",
        contact,
        "--body",
        "Hello from the CLI",
        "--base-url",
        emulator.url,
    )
    assert code == 0, err
    assert "Started conversation" in out
    assert len(emulator.workspace.conversation_ids()) == before + 1


def test_login_verifies_and_stores_0600(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    code, out, err = run(capsys, "login", "--profile", "work", "--base-url", emulator.url)
    assert code == 0, err
    assert "Logged in to" in out and TOKEN not in out
    path = config.config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load_settings().profile("work").token == TOKEN


def test_login_with_a_token_command_stores_the_command(
    capsys: pytest.CaptureFixture[str], emulator: EmulatorServer
) -> None:
    command = f"{sys.executable} -c 'print(\"{TOKEN}\")'"
    code, _, err = run(
        capsys, "login", "--token-command", command, "--base-url", emulator.url, "--default"
    )
    assert code == 0, err
    text = config.config_path().read_text()
    assert "token_command" in text and f'token = "{TOKEN}"' not in text


def test_login_with_a_bad_token_stores_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "nope-nope-nope")
    code, _, err = run(capsys, "login", "--base-url", emulator.url)
    assert code == 1 and "401" in err
    assert not config.config_path().exists()


def test_emulator_subcommand_serves_and_prints_its_url(tmp_path) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [sys.executable, "-m", "intercom_tui", "emulator", "--port", "0", "--conversations", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line and "demo-token" in line
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_collector_is_back_on_when_the_app_cannot_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Start-up runs with the garbage collector paused; a start that fails (here: offline
    with no cache) must not leave it off for the rest of the process."""
    code, _, err = run(capsys, "--offline", "--base-url", "http://127.0.0.1:9")
    assert code != 0 and "intercom-tui sync" in err
    assert gc.isenabled()


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--offline", "--base-url", "http://127.0.0.1:9"],
        ["--demo", "--theme", "intercom-light", "--open", "42"],
        ["--profile", "work", "--region", "eu", "--insecure"],
        ["sync", "--base-url", "http://127.0.0.1:9"],
        ["--offline", "export", "7", "--format", "json"],
    ],
)
def test_the_quick_parse_agrees_with_the_full_parser(argv: list[str]) -> None:
    """Opening the app skips building the commands' parsers; the result must not differ."""
    assert vars(cli.parse_args(argv)) == vars(cli.build_parser().parse_args(argv))
