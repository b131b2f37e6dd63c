"""Run a program in a real pseudo-terminal and watch what it draws, with timestamps.

The benchmarks time what a user sees, so they drive the real program through a pty:
bytes in (keys), bytes out (frames). ``Screen`` is a tiny terminal: it understands the
cursor moves and text Textual writes (colours are skipped) and records which rows each
frame rewrote, so a check like "the new cursor row was repainted" or "the status line
says 299,999" is a few string tests.

Frames: like a modern terminal (kitty, WezTerm, iTerm2, foot...) ``PtyProcess`` answers
Textual's query for synchronized output (DEC mode 2026), so Textual wraps every frame
in ``ESC[?2026h`` ... ``ESC[?2026l`` and the end of a frame is exact, not guessed from
a quiet period. Checks run only at frame ends (or after a chunk read outside a frame,
before Textual has seen the answer), so a half-drawn frame never counts.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.cells import get_character_cell_size

COLS, ROWS = 120, 36
SYNC_QUERY = "\x1b[?2026$p"
SYNC_ANSWER = b"\x1b[?2026;2$y"  # "supported, currently reset"
SYNC_START, SYNC_END = "\x1b[?2026h", "\x1b[?2026l"

_TOKEN = re.compile(
    r"(?P<csi>\x1b\[(?P<params>[0-?]*)(?P<inter>[ -/]*)(?P<final>[@-~]))"
    r"|(?P<osc>\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"
    r"|(?P<charset>\x1b[()*+].)"
    r"|(?P<esc>\x1b[^\[\]()*+])"
    r"|(?P<text>[^\x00-\x1f\x7f]+)"
    r"|(?P<ctrl>[\x00-\x1a\x1c-\x1f\x7f])",
    re.S,
)


class Timeout(Exception):
    """The program did not draw what was expected in time."""


@dataclass
class Screen:
    """Characters on a ``cols`` x ``rows`` terminal; ``touched`` rows written since reset."""

    cols: int = COLS
    rows: int = ROWS
    grid: list[list[str]] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    in_frame: bool = False
    frames: int = 0
    queries: list[str] = field(default_factory=list)
    x: int = 0
    y: int = 0
    _tail: str = ""

    def __post_init__(self) -> None:
        self.grid = [[" "] * self.cols for _ in range(self.rows)]

    def line(self, y: int) -> str:
        return "".join(self.grid[y]).rstrip()

    def text(self) -> str:
        return "\n".join(self.line(y) for y in range(self.rows))

    def find(self, needle: str, rows: range | None = None) -> int | None:
        """The first row (in ``rows``) that contains ``needle``, or None."""
        for y in rows or range(self.rows):
            if needle in self.line(y):
                return y
        return None

    def feed(self, data: str) -> bool:
        """Apply output; True when it ended at a frame boundary (a good time to check)."""
        data, self._tail = self._tail + data, ""
        pos = 0
        for m in _TOKEN.finditer(data):
            if m.start() != pos:  # an escape sequence cut by the read: keep for next time
                break
            pos = m.end()
            kind = m.lastgroup
            if kind == "text":
                self._put(m.group())
            elif kind == "csi":
                self._csi(m.group("params"), m.group("inter"), m.group("final"), m.group())
            elif kind == "ctrl":
                self._ctrl(m.group())
        self._tail = data[pos:] if len(data) - pos < 4096 else ""  # never grows unbounded
        return not self.in_frame

    def _put(self, text: str) -> None:
        row = self.grid[self.y] if 0 <= self.y < self.rows else None
        for ch in text:
            width = get_character_cell_size(ch)
            if width == 0:
                continue
            if row is not None and 0 <= self.x < self.cols:
                row[self.x] = ch
                if width == 2 and self.x + 1 < self.cols:
                    row[self.x + 1] = ""
            self.x += width
        if row is not None:
            self.touched.add(self.y)

    def _ctrl(self, ch: str) -> None:
        if ch == "\r":
            self.x = 0
        elif ch == "\n":
            self.y = min(self.y + 1, self.rows - 1)
        elif ch == "\b":
            self.x = max(0, self.x - 1)

    def _csi(self, params: str, inter: str, final: str, raw: str) -> None:
        if raw == SYNC_START:
            self.in_frame = True
        elif raw == SYNC_END:
            self.in_frame = False
            self.frames += 1
        elif final == "p" and inter == "$":
            self.queries.append(raw)
        elif final == "H" and not inter:
            parts = [int(p) if p.isdigit() else 1 for p in params.split(";")] + [1, 1]
            self.y, self.x = parts[0] - 1, parts[1] - 1
        elif final == "K" and not inter and not params.startswith("?"):
            if 0 <= self.y < self.rows:
                self.grid[self.y][self.x :] = [" "] * (self.cols - self.x)
                self.touched.add(self.y)
        elif final == "J" and params in ("2", "3"):
            self.grid = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "X" and 0 <= self.y < self.rows:
            n = int(params or 1)
            end = min(self.cols, self.x + n)
            self.grid[self.y][self.x : end] = [" "] * (end - self.x)


Check = Callable[[Screen], bool]


def _own_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty, as in a real
    terminal window; so if the benchmark dies, closing the pty hangs the program up."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyProcess:
    """One program on its own pty; ``started`` is the clock reading just before spawn."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
        cols: int = COLS,
        rows: int = ROWS,
    ) -> None:
        self.screen = Screen(cols, rows)
        master, slave = os.openpty()
        _set_size(slave, cols, rows)
        self._master = master
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(env),
            cwd=cwd,
            preexec_fn=_own_terminal,
            close_fds=True,
        )
        os.close(slave)
        self._closed = False
        self.last_output = self.started
        self.bytes_read = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    # ------------------------------------------------------------------ output
    def _pump(self, timeout: float) -> float | None:
        """Read what is there (waiting up to ``timeout``); the read time at a frame end."""
        ready, _, _ = select.select([self._master], [], [], max(0.0, timeout))
        if not ready:
            return None
        try:
            chunk = os.read(self._master, 1 << 16)
        except OSError:  # EIO: the program closed the terminal (it exited)
            chunk = b""
        now = time.perf_counter()
        if not chunk:
            code = self.proc.wait(timeout=5)
            raise Timeout(f"the program exited (code {code}); the screen:\n" + self.screen.text())
        self.bytes_read += len(chunk)
        self.last_output = now
        at_boundary = self.screen.feed(self._decoder.decode(chunk))
        if self.screen.queries:
            if SYNC_QUERY in self.screen.queries:
                os.write(self._master, SYNC_ANSWER)
            self.screen.queries.clear()
        return now if at_boundary else None

    def wait_for(self, check: Check, timeout: float = 30.0, what: str = "") -> float:
        """Read until ``check(screen)`` holds at a frame end; returns that read's time."""
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise Timeout(
                    f"{what or 'the expected screen'} not drawn in {timeout:.0f} s; the screen:\n"
                    + self.screen.text()
                )
            at = self._pump(left)
            if at is not None and check(self.screen):
                return at

    def settle(self, quiet: float = 0.15, timeout: float = 10.0) -> None:
        """Read until nothing was written for ``quiet`` seconds (background work done)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self._pump(min(quiet, max(0.0, deadline - time.perf_counter())))
            if time.perf_counter() - self.last_output >= quiet and not self.screen.in_frame:
                return

    def send(self, data: bytes | str) -> float:
        """Type ``data``; returns the clock reading just before the write."""
        raw = data.encode() if isinstance(data, str) else data
        self.screen.touched.clear()
        at = time.perf_counter()
        os.write(self._master, raw)
        return at

    # ------------------------------------------------------------------ process
    def cpu_seconds(self) -> float:
        """CPU time used so far by all of the program's threads (ns clock, from schedstat).

        Unlike wall time this barely moves when other processes compete for the CPU."""
        total = 0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # a thread that just ended
        return total / 1e9

    def rss_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak) of the program, in KiB."""
        out: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
        return out

    def close(self, quit_keys: bytes = b"", grace: float = 3.0) -> None:
        """Quit with ``quit_keys`` if given, else (or if it hangs) kill it; reap it."""
        if self._closed:
            return
        self._closed = True
        try:
            if quit_keys and self.proc.poll() is None:
                os.write(self._master, quit_keys)
                deadline = time.perf_counter() + grace
                while self.proc.poll() is None and time.perf_counter() < deadline:
                    try:
                        self._pump(0.05)
                    except Timeout:
                        break
            if self.proc.poll() is None:
                os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        finally:
            os.close(self._master)

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def child_env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The environment both the bare app and the inbox get: same terminal, same Python.

    Bytecode is written (``PYTHONDONTWRITEBYTECODE`` dropped, as on a user's machine, where
    pip compiles it) into ``PYTHONPYCACHEPREFIX`` if given, outside the source tree.
    """
    env = {k: v for k, v in base.items() if not k.startswith(("TEXTUAL", "INTERCOM_"))}
    for name in ("NO_COLOR", "COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env.update(TERM="xterm-256color", COLORTERM="truecolor", **extra)
    return env
