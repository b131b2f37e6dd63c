"""The real app in a pseudo-terminal: every byte it writes, and the screen those bytes draw.

``PtyApp`` runs a command on a pty of a fixed size, keeps every byte of output (for
byte-level checks) and feeds it to ``Screen``, a small terminal that understands what
Textual writes: cursor positioning, erasing, text (wide characters take two cells,
zero-width ones none); colours and modes are skipped. Waits poll a condition on the
screen while draining the pty (a full pty would block the app); they never assert
on time, they only give up after a generous deadline.
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

from rich.cells import get_character_cell_size

COLS, ROWS = 120, 36
#: Escape sequences, whole: CSI, OSC (to BEL or ST), DCS/SOS/PM/APC (to ST), others.
_SEQUENCE = re.compile(
    r"\x1b\[(?P<params>[0-?]*)[ -/]*(?P<final>[@-~])"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[P_^X][^\x1b]*\x1b\\"
    r"|\x1b[()*+].|\x1b[^\[\]P_^X()*+]",
    re.S,
)
#: An escape sequence cut off at the end of a read: kept until the rest arrives.
_PARTIAL = re.compile(r"\x1b[^\x07\\]{0,4096}$", re.S)


@dataclass
class Screen:
    """Characters on a ``cols`` x ``rows`` terminal."""

    cols: int = COLS
    rows: int = ROWS
    grid: list[list[str]] = field(default_factory=list)
    x: int = 0
    y: int = 0
    _tail: str = ""

    def __post_init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.grid = [[" "] * self.cols for _ in range(self.rows)]

    def line(self, y: int) -> str:
        return "".join(self.grid[y]).rstrip()

    def text(self) -> str:
        return "\n".join(self.line(y) for y in range(self.rows))

    def feed(self, data: str) -> None:
        data, self._tail = self._tail + data, ""
        pos = 0
        for match in _SEQUENCE.finditer(data):
            self._text(data[pos : match.start()])
            pos = match.end()
            if match.group("final"):
                self._csi(match.group("params"), match.group("final"))
        rest = data[pos:]
        partial = _PARTIAL.search(rest)
        if partial:
            self._tail = partial.group()
            rest = rest[: partial.start()]
        self._text(rest)

    def _text(self, text: str) -> None:
        for ch in text:
            if ch == "\r":
                self.x = 0
            elif ch == "\n":
                self.y = min(self.rows - 1, self.y + 1)
            elif ch == "\b":
                self.x = max(0, self.x - 1)
            elif ch >= " ":
                self._put(ch)

    def _put(self, ch: str) -> None:
        width = get_character_cell_size(ch)
        if width == 0:
            return
        if 0 <= self.y < self.rows and 0 <= self.x < self.cols:
            self.grid[self.y][self.x] = ch
            if width == 2 and self.x + 1 < self.cols:
                self.grid[self.y][self.x + 1] = ""
        self.x += width

    def _csi(self, params: str, final: str) -> None:
        if params.startswith(("?", ">", "<", "=")):
            return  # private modes and queries
        numbers = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []

        def arg(i: int, default: int) -> int:
            return numbers[i] if len(numbers) > i and numbers[i] else default

        if final in "Hf":
            self.y, self.x = arg(0, 1) - 1, arg(1, 1) - 1
        elif final == "A":
            self.y = max(0, self.y - arg(0, 1))
        elif final == "B":
            self.y = min(self.rows - 1, self.y + arg(0, 1))
        elif final == "C":
            self.x += arg(0, 1)
        elif final == "D":
            self.x = max(0, self.x - arg(0, 1))
        elif final == "G":
            self.x = arg(0, 1) - 1
        elif final == "J" and arg(0, 0) in (2, 3):
            self.clear()
        elif final == "K" and 0 <= self.y < self.rows:
            row = self.grid[self.y]
            start, end = {0: (self.x, self.cols), 1: (0, self.x + 1)}.get(arg(0, 0), (0, self.cols))
            row[max(0, start) : end] = [" "] * len(row[max(0, start) : end])


class Timeout(AssertionError):
    """The app did not draw what was expected before the deadline."""


class PtyApp:
    """A command on a pty; ``output`` holds every byte it wrote."""

    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: str, size: tuple[int, int]
    ) -> None:
        cols, rows = size
        self.screen = Screen(cols, rows)
        self.output = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.master = master
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)

    def pump(self, wait: float = 0.05) -> bool:
        """Read what is there (waiting up to ``wait`` s); False once the pty is closed."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed its end
            return False
        if not data:
            return False
        self.output += data
        self.screen.feed(self._decoder.decode(data))
        return True

    def wait_for(self, what: str, ready: Callable[[Screen], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not ready(self.screen):
            if self.process.poll() is not None:
                self.drain()
                raise AssertionError(
                    f"the app exited ({self.process.returncode}) while waiting for {what}:\n"
                    + self.text_output()[-3000:]
                )
            if time.monotonic() > deadline:
                raise Timeout(f"no {what} after {timeout} s; the screen:\n{self.screen.text()}")
            self.pump()

    def wait_for_text(self, text: str, timeout: float = 30) -> None:
        self.wait_for(repr(text), lambda s: text in s.text(), timeout)

    def press(self, *keys: bytes) -> None:
        for key in keys:
            os.write(self.master, key)
            self.pump(0)

    def wait_exit(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise Timeout(f"the app did not exit in {timeout} s:\n{self.screen.text()}")
            self.pump()
        self.drain()
        return self.process.returncode

    def drain(self) -> None:
        while self.pump(0.05):
            pass

    def text_output(self) -> str:
        return self.output.decode("utf-8", "surrogateescape")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.master)


def app_env(token: str) -> dict[str, str]:
    """The test's environment for the app on a pty: a UTF-8, truecolour terminal of the
    pty's own size, with ``token``."""
    env = {
        **os.environ,
        "INTERCOM_ACCESS_TOKEN": token,
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "PYTHONUTF8": "1",
    }
    for inherited in ("TEXTUAL", "COLUMNS", "LINES"):  # devtools, or a size not the pty's
        env.pop(inherited, None)
    return env
