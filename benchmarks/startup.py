"""Time to first frame: the inbox on 10k / 100k / 1M cached conversations vs the bare app.

Both programs are started the same way (``python -m ...``, same environment, same pty
size) and the clock runs from just before the process is spawned until the frame that
shows the marker has been written: the bare app's one word, the inbox's first
conversation row (its contact name, read from the same cache beforehand). Runs rotate
through the programs (so load from other processes hits all alike), after one untimed
warm-up of each (compiled bytecode, OS file cache).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from benchmarks.bare_app import MARKER
from benchmarks.caches import OFFLINE_URL, PYCACHE, ROOT, BenchHome, synthetic_home
from benchmarks.ptyrun import COLS, ROWS, Check, PtyProcess, child_env
from benchmarks.results import Figure, Log, Settings, median, ms

if TYPE_CHECKING:
    from intercom_tui.service.directory import ListItem

#: Screen rows of the inbox at 120x36: view bar, list, status line, footer.
LIST_TOP = 1
LIST_HEIGHT = ROWS - 3
#: Cells of the contact column at this width (``Columns.for_width(120)``).
CONTACT_CELLS = 20
INBOX_QUIT = b"q"
BARE_QUIT = b"\x11"  # ctrl+q


def inbox_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "intercom_tui", *args]


def offline_argv(*args: str) -> list[str]:
    return inbox_argv("--offline", "--base-url", OFFLINE_URL, *args)


def row_shows(y: int, text: str) -> Check:
    """Row ``y`` was redrawn since the last key and now contains ``text``."""
    return lambda s: y in s.touched and text in s.line(y)


def anywhere(text: str) -> Check:
    return lambda s: s.find(text) is not None


@dataclass
class Launch:
    """How to start one program and how to know its first frame is on screen."""

    argv: Sequence[str]
    env: Mapping[str, str]
    ready: Check
    quit: bytes
    what: str
    #: Called with the running program once ready (e.g. to read its memory).
    after: Callable[[PtyProcess], None] | None = None
    #: Called before each start, untimed (e.g. a fresh copy of a cache).
    prepare: Callable[[], object] | None = None

    def time(self) -> tuple[float, float]:
        """Seconds from spawn to the frame that satisfied ``ready``, and the CPU seconds
        the program had used by then."""
        if self.prepare is not None:
            self.prepare()
        env = child_env(os.environ, PYTHONPYCACHEPREFIX=str(PYCACHE), **self.env)
        with PtyProcess(self.argv, env=env, cwd=ROOT) as proc:
            try:
                at = proc.wait_for(self.ready, timeout=60, what=self.what)
                cpu = proc.cpu_seconds()
                if self.after is not None:
                    self.after(proc)
            finally:
                proc.close(self.quit)
        return at - proc.started, cpu


def bare_launch(env: Mapping[str, str]) -> Launch:
    return Launch(
        [sys.executable, "-m", "benchmarks.bare_app"],
        env,
        anywhere(MARKER),
        BARE_QUIT,
        "the bare app's line",
    )


@dataclass
class Samples:
    """Start-up times of one program: wall clock and CPU, in seconds."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, timing: tuple[float, float]) -> None:
        self.wall.append(timing[0])
        self.cpu.append(timing[1])


@dataclass
class Pair:
    """Timings of a subject and of the bare app, taken in turn."""

    subject: Samples
    bare: Samples

    @property
    def ratio(self) -> float:
        return median(self.subject.wall) / median(self.bare.wall)

    @property
    def cpu_ratio(self) -> float:
        return median(self.subject.cpu) / median(self.bare.cpu)

    def describe(self) -> str:
        return f"{ms(median(self.subject.wall))} vs bare {ms(median(self.bare.wall))}"

    def detail(self) -> str:
        def runs(xs: list[float]) -> str:
            return " ".join(f"{x * 1000:.0f}" for x in xs)

        s, b = self.subject, self.bare
        return (
            f"    wall ms  subject: {runs(s.wall)}\n             bare:    {runs(b.wall)}\n"
            f"    ratio of medians {self.ratio:.2f}, of best runs {min(s.wall) / min(b.wall):.2f}"
            f"; CPU to first frame {ms(median(s.cpu))} vs {ms(median(b.cpu))}"
            f" (ratio {self.cpu_ratio:.2f})"
        )


def compare(subjects: Sequence[Launch], runs: int) -> list[Pair]:
    """Time each subject and the bare app ``runs`` times, in rotating order; every pair
    shares the same bare-app samples (taken in between)."""
    launches = [bare_launch(subjects[0].env), *subjects]
    for launch in launches:
        launch.time()  # warm-up, untimed
    samples = [Samples() for _ in launches]
    for i in range(runs):
        for k in range(len(launches)):
            j = (i + k) % len(launches)
            samples[j].add(launches[j].time())
    return [Pair(subject, samples[0]) for subject in samples[1:]]


def first_row(home: BenchHome, view: str = "open") -> ListItem:
    """The row the inbox shows first, read through the same service the app uses."""
    from intercom_tui.service.inbox import InboxService

    cache = home.open_cache()
    try:
        service = InboxService(cache)
        return service.window(service.view(view), 0, 1)[0]
    finally:
        cache.close()


def inbox_launch(home: BenchHome) -> Launch:
    contact = first_row(home).contact[:CONTACT_CELLS]
    return Launch(
        offline_argv(),
        home.env,
        lambda s: contact in s.line(LIST_TOP),
        INBOX_QUIT,
        f"the first row ({contact})",
    )


def run(settings: Settings, log: Log = print) -> list[Figure]:
    figures = []
    log(f"start-up: time to first frame, {settings.runs} runs each, pty {COLS}x{ROWS}")
    for n in settings.sizes:
        home = synthetic_home(n, log)
        (pair,) = compare([inbox_launch(home)], settings.runs)
        log(f"  {n:>9,} cached: inbox {pair.describe()}\n{pair.detail()}")
        figures.append(
            Figure(
                f"first frame, {n:,} cached",
                pair.describe(),
                "<= 1.20x bare app",
                pair.ratio,
                pair.ratio <= 1.2,
            )
        )
    return figures
