"""``intercom-tui --open ID`` for real: the forked prefetch, through the command line.

On a pty, as a user starts it, against the emulator. The conversation must arrive with
one request (the child's: the app does not ask again), be cached, and leave no process
behind, also when the app quits while the child still waits for the server.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import time

import pytest

from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service.prefetch import usable_cores
from intercom_tui.service.session import known_workspace, open_cache, profile_key
from tests.conftest import TOKEN
from tests.reliability.support import PYTHON, ROOT, wait_until
from tests.reliability.terminal import PtyApp, app_env

SIZE = (120, 36)

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or usable_cores() < 2, reason="the prefetch needs fork() and 2 cores"
)


def synced(server: EmulatorServer) -> str:
    """Fill the cache as a user would (the list, no threads); the longest thread's id."""
    argv = [PYTHON, "-m", "intercom_tui", "sync", "--base-url", server.url]
    done = subprocess.run(argv, env=app_env(TOKEN), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ws = server.workspace
    return max(
        ws.conversation_ids(),
        key=lambda c: len(ws.conversation(c)["conversation_parts"]["conversation_parts"]),
    )


def newest_words(server: EmulatorServer, cid: str) -> str:
    """The start of the newest part's text, spaces dropped (lines wrap anywhere)."""
    parts = server.workspace.conversation(cid)["conversation_parts"]["conversation_parts"]
    body = next(p["body"] for p in reversed(parts) if p.get("body"))
    text = re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]*>", " ", body)))
    return text[:14]


def gets(server: EmulatorServer, cid: str) -> int:
    return sum(r.method == "GET" and r.path == f"/conversations/{cid}" for r in server.requests)


def cached_thread(server: EmulatorServer, cid: str) -> dict | None:
    """The thread of ``cid`` as the app cached it (read through a cache of our own)."""
    workspace = known_workspace(profile_key("default", server.url))
    assert workspace is not None
    cache, _ = open_cache(server.url, workspace)
    try:
        return cache.get_thread(cid)
    finally:
        cache.close()


def group_gone(pid: int) -> bool:
    """Every process of the app's session has exited (the app's pgid is its pid)."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_open_shows_the_thread_from_one_request_and_caches_it(emulator: EmulatorServer) -> None:
    cid = synced(emulator)
    before = gets(emulator, cid)
    argv = [PYTHON, "-m", "intercom_tui", "--base-url", emulator.url, "--open", cid]
    app = PtyApp(argv, app_env(TOKEN), str(ROOT), SIZE)
    words = newest_words(emulator, cid)
    try:
        app.wait_for_text(f"#{cid} ")
        app.wait_for("the newest part", lambda s: words in re.sub(r"\s+", "", s.text()))
        wait_until("the thread cached", lambda: cached_thread(emulator, cid) is not None)
        app.press(b"q")
        assert app.wait_exit() == 0
    finally:
        app.close()
    wait_until("the app's processes to end", lambda: group_gone(app.process.pid), 10)
    assert gets(emulator, cid) == before + 1
    thread = cached_thread(emulator, cid)
    assert thread is not None and str(thread["id"]) == cid
    assert "Traceback" not in app.text_output()


def test_quitting_before_the_answer_leaves_no_process_behind(emulator: EmulatorServer) -> None:
    cid = synced(emulator)
    emulator.faults.add(Fault("latency", "GET", f"^/conversations/{cid}$", delay=20))
    argv = [PYTHON, "-m", "intercom_tui", "--base-url", emulator.url, "--open", cid]
    app = PtyApp(argv, app_env(TOKEN), str(ROOT), SIZE)
    try:
        app.wait_for_text(f"#{cid} ")  # the cached list item, while the child waits
        wait_until("the child's request", lambda: emulator.open_connections > 0, 10)
        settle = time.monotonic() + 1.0  # the screen's fetch then waits for the child
        while time.monotonic() < settle:
            app.pump()
        app.press(b"q")
        # Not the 20 s the server would take, nor the child's own 8 s timeout.
        assert app.wait_exit(timeout=5) == 0
    finally:
        app.close()
    wait_until("the app's processes to end", lambda: group_gone(app.process.pid), 5)
    assert "Traceback" not in app.text_output()
