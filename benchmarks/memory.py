"""Resident memory of the inbox on a million cached conversations.

Read from ``/proc/<pid>/status`` of the program in the pty: ``VmRSS`` at the first frame,
and again once it has gone quiet (the view counts, done in a thread after the first
frame, have run). The target is checked against the larger of the two, and the peak
(``VmHWM``) is shown too.
"""

from __future__ import annotations

from benchmarks.caches import synthetic_home
from benchmarks.ptyrun import PtyProcess
from benchmarks.results import Figure, Log, Settings, median
from benchmarks.startup import inbox_launch

LIMIT_MB = 80.0


def run(settings: Settings, log: Log = print) -> list[Figure]:
    n = settings.largest
    home = synthetic_home(n, log)
    runs = max(1, min(3, settings.runs))
    log(f"memory: RSS of the inbox at {n:,} cached, {runs} runs")
    first, settled, peak = [], [], []

    def read(proc: PtyProcess) -> None:
        first.append(proc.rss_kib()["VmRSS"] / 1024)
        proc.settle(0.5)
        status = proc.rss_kib()
        settled.append(status["VmRSS"] / 1024)
        peak.append(status["VmHWM"] / 1024)

    launch = inbox_launch(home)
    launch.after = read
    for _ in range(runs):
        launch.time()
    at_first, quiet, top = median(first), median(settled), median(peak)
    worst = max(at_first, quiet)
    log(f"  RSS {at_first:.1f} MB at first frame, {quiet:.1f} MB settled, peak {top:.1f} MB")
    return [
        Figure(
            f"RSS, {n:,} cached",
            f"{at_first:.1f} MB at first frame, {quiet:.1f} MB settled (peak {top:.1f} MB)",
            f"< {LIMIT_MB:.0f} MB",
            worst / LIMIT_MB,
            worst < LIMIT_MB,
        )
    ]
