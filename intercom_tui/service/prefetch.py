"""The conversation of ``--open ID``, fetched by a child process while the UI starts.

Python runs one thread at a time. Importing httpx, making its TLS context and the request
hold the interpreter for ~110 ms, which a worker thread would take from Textual's own
start; after the first frame they made the thread wait: 2.4x a bare Textual app's start
for a 500-part thread, against 1.3x from the cache. A child forked before Textual is
imported does that work on another core, so the thread is there when its screen is built.

The child only reads (a GET: nothing that must not happen twice) and sends the answer
back over a pipe. It never reports errors: anything that goes wrong in it (a 404, a bad
token, a dropped connection) is simply no prefetch, and the screen fetches as it always
does, with that fetch's retries and messages. No prefetch either off Linux (see
``start``), on a single core, or once the process has threads (a fork copies their
locks, held or not).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

# asyncio and pickle are imported where used, after the fork: the child starts sooner.

JSON = dict[str, Any]
#: Seconds ``close`` waits for a killed child to be reaped.
CLOSE_WAIT = 2.0
#: Seconds for the child's request, shorter than the client's 30 s: the screen's own fetch
#: waits for it, and an answer that slow is fetched again, with retries and messages.
CHILD_TIMEOUT = 8.0


class Prefetch:
    """One child fetching one conversation; ``result()`` is its JSON, or None."""

    def __init__(self, conversation_id: str, pid: int, fd: int) -> None:
        self.conversation_id = conversation_id
        self.pid = pid
        self._raw: JSON | None = None
        self._done = threading.Event()
        self._reaped = False
        self._reaping = threading.Lock()  # between reaping the child and killing it
        self._lock = threading.Lock()  # between finishing and adding a waiter
        self._waiters: list[Callable[[], None]] = []
        # A thread drains the pipe as the child writes (a pipe holds 64 KB; a long
        # thread is more), so the child is done, and the answer here, before anyone asks.
        threading.Thread(target=self._read, args=(fd,), name="prefetch", daemon=True).start()
        atexit.register(self.close)

    @classmethod
    def start(cls, base_url: str, token: str, conversation_id: str) -> Prefetch | None:
        """Fork the child, or None where that is not safe or not possible.

        Linux only: macOS's system libraries are not safe to use after a fork without an
        exec (the proxy lookup goes through them), and Windows has no fork.
        """
        if not sys.platform.startswith("linux"):
            return None
        if usable_cores() < 2 or threading.active_count() > 1:
            return None
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # pragma: no cover - the child; tests see what it sends
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # never the parent's handler
                os.close(read_end)
                _child(write_end, base_url, token, conversation_id)
            finally:
                os._exit(1)  # never back into the parent's code
        os.close(write_end)
        return cls(conversation_id, pid, read_end)

    def result_now(self) -> JSON | None:
        """The conversation's JSON if it has arrived; None if not (yet), or if it failed."""
        return self._raw if self._done.is_set() else None

    async def result(self) -> JSON | None:
        """The conversation's JSON once the child is done; None if it failed.

        Woken by the reader thread, not waited for in one: a thread blocked in a wait
        would hold up the event loop's shutdown (quitting) until the child's answer.
        """
        import asyncio

        loop = asyncio.get_running_loop()
        here = loop.create_future()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # its loop closed: the app quit
                loop.call_soon_threadsafe(lambda: here.done() or here.set_result(None))

        with self._lock:
            waiting = not self._done.is_set()
            if waiting:
                self._waiters.append(wake)
        if waiting:
            await here
        return self._raw

    def close(self) -> None:
        """Stop the child if it is still at work (the app quit before the answer)."""
        with self._reaping:
            if not self._reaped:  # else the pid may already be another process's
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        # The reader sees the pipe close and reaps it: no zombie outlives the app.
        self._done.wait(CLOSE_WAIT)

    def _read(self, fd: int) -> None:
        try:
            self._raw = self._answer(fd)
        finally:  # whatever happened, nobody waits for more
            with self._lock:
                self._done.set()
                waiters, self._waiters = self._waiters, []
            for wake in waiters:
                wake()

    def _answer(self, fd: int) -> JSON | None:
        """Drain the pipe, reap the child; its JSON if it exited cleanly after sending it."""
        import pickle

        chunks = []
        try:
            with open(fd, "rb", buffering=0) as pipe:
                while chunk := pipe.read(1 << 16):
                    chunks.append(chunk)
        except OSError:
            chunks = []
        try:
            # Wait for its exit without reaping it, so that its pid is not reused while
            # ``close`` may still kill it; then reap it under the lock ``close`` takes.
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
            with self._reaping:
                _, status = os.waitpid(self.pid, 0)
                self._reaped = True
        except ChildProcessError:  # reaped by someone else (SIGCHLD ignored): no word
            with self._reaping:
                self._reaped = True  # its pid may be another process's now
            return None
        if os.waitstatus_to_exitcode(status) != 0 or not chunks:
            return None
        try:
            # From our own child over a pipe only it and this process hold: trusted.
            raw = pickle.loads(b"".join(chunks))
        except Exception:
            return None
        return raw if isinstance(raw, dict) else None


def usable_cores() -> int:
    """Cores this process may run on. On one, the child would take its ~150 ms of CPU from
    the app's start, and the first frame would come later, not the thread sooner."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _child(fd: int, base_url: str, token: str, conversation_id: str) -> NoReturn:
    """Fetch, write the answer, exit; never back into the parent's code (or its atexit)."""
    try:
        import asyncio
        import pickle

        # A bound on it all: httpx's timeout is per phase, and a stuck DNS lookup holds
        # asyncio.run's exit. SIGALRM's default action ends the child: no answer.
        signal.alarm(int(CHILD_TIMEOUT) + 2)
        # The terminal is the parent's: nothing from here may reach it.
        null = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(null, std)
        raw = asyncio.run(_fetch(base_url, token, conversation_id))
        data = memoryview(pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(fd, data) :]
        os._exit(0)
    finally:
        os._exit(1)  # whatever went wrong: no answer is the whole report


async def _fetch(base_url: str, token: str, conversation_id: str) -> JSON:
    from intercom_tui.api.client import IntercomClient
    from intercom_tui.api.retry import RetryPolicy

    # One attempt: a failure is retried by the screen's own fetch, which says why it waits.
    once = RetryPolicy(max_attempts=1)
    async with IntercomClient(token, base_url, retry=once, timeout=CHILD_TIMEOUT) as client:
        return await client.get_conversation_raw(conversation_id)
