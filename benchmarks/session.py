"""A running inbox in a pty that the benchmarks type into, and what its rows should show.

``press`` is the measurement: the clock starts just before the key's bytes are written to
the terminal and stops when the frame that shows the expected change has been written
(see ``ptyrun``): so a figure covers reading the key, the action, the queries, layout,
rendering and the write, as a user sees it. Between keys the app is left to go quiet, so
each key is measured alone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from benchmarks.caches import PYCACHE, ROOT, BenchHome
from benchmarks.ptyrun import Check, PtyProcess, Screen, child_env
from benchmarks.results import KeyTiming
from benchmarks.startup import CONTACT_CELLS, INBOX_QUIT, LIST_TOP, offline_argv

if TYPE_CHECKING:
    from intercom_tui.service.directory import ListItem

KEYS = {"pagedown": "\x1b[6~", "pageup": "\x1b[5~", "enter": "\r", "escape": "\x1b"}


def key_bytes(key: str) -> str:
    return KEYS.get(key, key)


class InboxSession:
    """The offline inbox on ``home``, plus a service on the same cache for expectations."""

    def __init__(self, home: BenchHome, argv: Sequence[str] | None = None) -> None:
        from intercom_tui.service.inbox import InboxService

        self.home = home
        self.cache = home.open_cache()
        self.service = InboxService(self.cache)
        env = child_env(os.environ, PYTHONPYCACHEPREFIX=str(PYCACHE), **home.env)
        self.proc = PtyProcess(argv or offline_argv(), env=env, cwd=ROOT)

    @property
    def screen(self) -> Screen:
        return self.proc.screen

    def start(self) -> None:
        first = self.items("open", 0, 1)[0]
        self.proc.wait_for(lambda s: first.contact[:CONTACT_CELLS] in s.line(LIST_TOP), 60)
        self.settle(0.5)

    def items(self, view: str, offset: int, limit: int, text: str = "") -> list[ListItem]:
        v = self.service.view(view)
        return self.service.window(v.with_text(text) if text else v, offset, limit)

    def count(self, view: str, text: str = "") -> int:
        v = self.service.view(view)
        return self.service.count(v.with_text(text) if text else v)

    def press(self, key: str, check: Check, what: str) -> KeyTiming:
        """Time from writing ``key`` to the frame where ``check`` holds; then settle."""
        return timed_key(self.proc, key, check, what)

    def type(self, key: str, check: Check, what: str) -> None:
        """An unmeasured key that sets the scene; ``check`` may already hold before it."""
        self.proc.send(key_bytes(key))
        self.settle()
        if not check(self.screen):
            self.proc.wait_for(check, timeout=30, what=f"{what} after {key!r}")
            self.settle()

    def settle(self, quiet: float = 0.15) -> None:
        self.proc.settle(quiet)

    def close(self) -> None:
        try:
            self.proc.close(INBOX_QUIT)
        finally:
            self.cache.close()

    def __enter__(self) -> InboxSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def timed_key(proc: PtyProcess, key: str, check: Check, what: str) -> KeyTiming:
    """One measured key: wall time to the frame where ``check`` holds, and the CPU the
    program used meanwhile; then wait until it is quiet again."""
    cpu = proc.cpu_seconds()
    sent = proc.send(key_bytes(key))
    shown = proc.wait_for(check, timeout=30, what=f"{what} after {key!r}")
    timing = KeyTiming(shown - sent, proc.cpu_seconds() - cpu)
    proc.settle()
    return timing


def list_row(index: int, top: int) -> int:
    """Screen row of list ``index`` when the list is scrolled to ``top``."""
    return LIST_TOP + index - top


def contact(item: ListItem) -> str:
    """The part of the row's contact name the list shows at 120 columns."""
    return item.contact[:CONTACT_CELLS]


def status_has(text: str) -> Check:
    """The status line says ``text`` (it moves up while the filter box is open)."""
    return lambda s: s.find(text) is not None


def all_of(*checks: Check) -> Check:
    return lambda s: all(c(s) for c in checks)
