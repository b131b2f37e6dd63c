"""The 500-part conversation: first screen from the cache and from the API, and scrolling.

Set-up, with the app's own commands against the emulator (its own process, fixed data):
``intercom-tui sync`` fills a cache (the list, no threads) in one home; a copy of it gets
the big thread too through ``intercom-tui export ID`` (which fetches and caches it).

First screen: ``intercom-tui --open ID`` until the newest lines of the thread (the bottom
of the screen, where the thread opens) are drawn. Those lines are learnt once from a
settled screen of the cached thread. From the cache: ``--offline`` on the home with the
thread. From the API: online on the home without it, so the parts arrive from the
emulator (the cached list item shows first; the clock stops when the parts are drawn).
Each run gets a fresh copy of its home (opening marks the conversation read, and the API
run caches the thread). Scrolling: ``k`` (one line up) and page up in the cached thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from benchmarks.caches import BENCH_DIR, PYCACHE, ROOT, xdg_env
from benchmarks.emulator import TOKEN, Emulator
from benchmarks.ptyrun import COLS, ROWS, Check, PtyProcess, Screen, child_env
from benchmarks.results import Figure, KeyTiming, Log, Settings, latency_figure
from benchmarks.session import timed_key
from benchmarks.startup import INBOX_QUIT, Launch, compare, inbox_argv

#: The thread's screen rows (header above, footer below) and columns (the sidebar, 36
#: cells wide in conversation.tcss, and the thread's scrollbar on the right).
THREAD_ROWS = range(1, ROWS - 1)
THREAD_COLS = COLS - 36 - 1
#: How many of the thread's bottom lines must be on screen.
MARKER_LINES = 3


def _cli(home: Path, url: str, *args: str) -> None:
    env = {**child_env(os.environ, PYTHONPYCACHEPREFIX=str(PYCACHE)), **xdg_env(home)}
    env["INTERCOM_ACCESS_TOKEN"] = TOKEN
    cmd = [*inbox_argv(*args), "--base-url", url]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"intercom-tui {args[0]} failed:\n{done.stderr[-2000:]}")


def prepare(emu: Emulator, log: Log) -> tuple[Path, Path]:
    """(home with the list only, home with the list and the big thread)."""
    listed, threaded = BENCH_DIR / "thread-list", BENCH_DIR / "thread-cached"
    for home in (listed, threaded):
        shutil.rmtree(home, ignore_errors=True)
    _cli(listed, emu.url, "sync")
    shutil.copytree(listed, threaded)
    _cli(threaded, emu.url, "export", emu.big_id, "--format", "json")
    log(f"  synced {emu.conversations:,} conversations; thread #{emu.big_id} cached in a copy")
    return listed, threaded


def _thread_lines(screen: Screen) -> list[str]:
    return [screen.line(y)[:THREAD_COLS].rstrip() for y in THREAD_ROWS]


def _run_home(source: Path) -> Path:
    return source.with_name(source.name + "-run")


def _fresh(source: Path) -> Path:
    """A new copy of ``source`` for one run."""
    run_home = _run_home(source)
    shutil.rmtree(run_home, ignore_errors=True)
    shutil.copytree(source, run_home)
    return run_home


def learn_bottom(emu: Emulator, threaded: Path) -> list[str]:
    """The thread's last lines as they look once everything has settled."""
    home = _fresh(threaded)
    env = child_env(os.environ, PYTHONPYCACHEPREFIX=str(PYCACHE), **xdg_env(home))
    argv = inbox_argv("--offline", "--base-url", emu.url, "--open", emu.big_id)
    with PtyProcess(argv, env=env, cwd=ROOT) as proc:
        proc.wait_for(lambda s: s.find(f"#{emu.big_id}") is not None, 60, "the thread header")
        proc.settle(1.0)
        lines = [line.strip() for line in _thread_lines(proc.screen) if line.strip()]
        proc.close(INBOX_QUIT)
    if len(lines) < MARKER_LINES:
        raise RuntimeError("the thread drew fewer lines than expected:\n" + "\n".join(lines))
    return lines[-MARKER_LINES:]


def shows_bottom(bottom: Sequence[str]) -> Check:
    def check(screen: Screen) -> bool:
        shown = "\n".join(_thread_lines(screen))
        return all(line in shown for line in bottom)

    return check


def _launch(source: Path, argv: Sequence[str], bottom: Sequence[str], online: bool) -> Launch:
    env = xdg_env(_run_home(source))
    if online:
        env["INTERCOM_ACCESS_TOKEN"] = TOKEN
    return Launch(
        argv,
        env,
        shows_bottom(bottom),
        INBOX_QUIT,
        "the newest lines of the thread",
        prepare=lambda: _fresh(source),
    )


def scroll(emu: Emulator, threaded: Path, presses: int) -> tuple[list[KeyTiming], list[KeyTiming]]:
    """``k`` and page up in the cached thread: the thread's rows redrawn, moved."""
    home = _fresh(threaded)
    env = child_env(os.environ, PYTHONPYCACHEPREFIX=str(PYCACHE), **xdg_env(home))
    argv = inbox_argv("--offline", "--base-url", emu.url, "--open", emu.big_id)
    results: tuple[list[KeyTiming], list[KeyTiming]] = ([], [])
    with PtyProcess(argv, env=env, cwd=ROOT) as proc:
        proc.wait_for(lambda s: s.find(f"#{emu.big_id}") is not None, 60, "the thread header")
        proc.settle(1.0)
        for key, samples in (("k", results[0]), ("pageup", results[1])):
            for _ in range(presses):
                before = _thread_lines(proc.screen)

                def moved(s: Screen, before: list[str] = before) -> bool:
                    return bool(s.touched & set(THREAD_ROWS)) and _thread_lines(s) != before

                samples.append(timed_key(proc, key, moved, "the thread scrolled"))
        proc.close(INBOX_QUIT)
    return results


def run(settings: Settings, log: Log = print) -> list[Figure]:
    n = settings.thread_conversations
    log(f"thread: the 500-part conversation, {settings.runs} runs each (emulator: {n:,})")
    with Emulator(n) as emu:
        listed, threaded = prepare(emu, log)
        bottom = learn_bottom(emu, threaded)
        cached = _launch(
            threaded,
            inbox_argv("--offline", "--base-url", emu.url, "--open", emu.big_id),
            bottom,
            online=False,
        )
        fetched = _launch(
            listed, inbox_argv("--base-url", emu.url, "--open", emu.big_id), bottom, online=True
        )
        from_cache, from_api = compare([cached, fetched], settings.runs)
        lines, pages = scroll(emu, threaded, settings.key_repeats)
    log(f"  from the cache: {from_cache.describe()}\n{from_cache.detail()}")
    log(f"  from the API:   {from_api.describe()}\n{from_api.detail()}")
    figures = [
        Figure(
            "500-part thread, first screen from cache",
            from_cache.describe(),
            "<= 1.20x bare app",
            from_cache.ratio,
            from_cache.ratio <= 1.2,
        ),
        Figure(
            "500-part thread, first screen from the API",
            from_api.describe(),
            "<= 1.50x bare app",
            from_api.ratio,
            from_api.ratio <= 1.5,
        ),
        latency_figure("500-part thread, k (line up)", lines),
        latency_figure("500-part thread, page up", pages),
    ]
    for f in figures[2:]:
        log(f"  {f.name}: {f.value}")
    for home in (listed, threaded):
        for path in (home, _run_home(home)):
            shutil.rmtree(path, ignore_errors=True)
    return figures
