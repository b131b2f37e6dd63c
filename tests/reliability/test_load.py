"""Sync at volume through a flaky API: every conversation cached once, memory bounded.

Faults follow a seeded schedule (``ScheduledFaults``): request number ``n`` fails the
same way on every run, with 429s (``Retry-After``), 500/502/503, HTML proxy pages, dropped
connections and bodies cut off mid-way, plus one burst longer than the client's retries,
which stops the sync so that the next one must resume from the saved cursor.

``make test`` runs 5,000 conversations in-process (no waiting: the retry sleeps are fake).
The slow test runs ``intercom-tui sync`` on 100,000 conversations as a separate process,
with real retry waits, and reads its peak resident memory from the kernel.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from intercom_tui.api.errors import ApiError
from intercom_tui.emulator.faults import Fault, FaultInjector
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.service.session import known_workspace, profile_key
from intercom_tui.service.sync import META_CURSOR
from intercom_tui.store.cache import Cache, cache_path_for
from tests.conftest import FIXED_NOW, TOKEN
from tests.reliability.support import PYTHON, ROOT, Rig, assert_one_line, cached_ids

#: Peak resident memory allowed to the syncing process.
MAX_RSS_MB = 150
#: Runs a command and prints its exit code and peak RSS (KiB). Linux carries a process's
#: peak RSS across ``exec``, and a child forked from this test's process starts as big as
#: pytest has grown (~200 MB late in ``make test-all``); forked from this small one, the
#: figure is the command's own.
PEAK_RSS = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
)
#: The client's attempts per request in the in-process run; a burst this long defeats it.
ATTEMPTS = 4
RETRY_AFTER = 1


def fault_for(kind: str) -> Fault:
    if kind == "429":
        return Fault("status", status=429, headers={"Retry-After": str(RETRY_AFTER)})
    if kind.isdigit():
        return Fault("status", status=int(kind))
    return Fault(kind)


class ScheduledFaults(FaultInjector):
    """Fails API request number ``n`` (counting from 1) as ``schedule[n]`` says."""

    def __init__(self, schedule: dict[int, str]) -> None:
        super().__init__()
        self.schedule = schedule
        self.count = 0
        self.failed: list[str] = []

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            self.count += 1
            kind = self.schedule.get(self.count)
            if kind is not None:
                self.failed.append(kind)
        return fault_for(kind) if kind is not None else super().take(method, path)


KINDS = ("429", "500", "502", "503", "html", "drop", "truncate")


def schedule(seed: int, requests: int, rate: float, burst_at: int | None = None) -> dict[int, str]:
    """Seeded faults on about ``rate`` of ``requests``, never more than ``ATTEMPTS - 1`` in
    a row, and, at ``burst_at``, ``ATTEMPTS`` in a row (one request fails for good)."""
    rng = random.Random(seed)
    plan: dict[int, str] = {}
    run = 0
    for n in range(1, requests + 1):
        run = run + 1 if rng.random() < rate and run < ATTEMPTS - 1 else 0
        if run:
            plan[n] = rng.choice(KINDS)
    if burst_at is not None:
        for n in range(burst_at, burst_at + ATTEMPTS + 1):
            plan.pop(n, None)
        plan.update({n: "503" for n in range(burst_at, burst_at + ATTEMPTS)})
    return plan


async def test_5000_conversations_sync_through_faults_and_resume(tmp_path: Path) -> None:
    conversations = 5000
    workspace = Workspace.generate(seed=21, conversations=conversations, now=FIXED_NOW)
    plan = schedule(seed=21, requests=80, rate=0.2, burst_at=20)
    with EmulatorServer(workspace, token=TOKEN) as server:
        faults = ScheduledFaults(plan)
        server.faults = faults
        rig = Rig(server, tmp_path / "cache.sqlite3", attempts=ATTEMPTS)
        svc = rig.open()
        with pytest.raises(ApiError) as stopped:
            await svc.sync()
        assert_one_line(stopped.value.user_message)
        cursor = svc.cache.get_meta(META_CURSOR)
        stored = cached_ids(svc.cache)
        assert cursor and stored and len(stored) % 150 == 0

        await svc.sync()
        assert cached_ids(svc.cache) == sorted(workspace.conversation_ids())
        await rig.close()
    assert set(faults.failed) == set(KINDS), "the schedule did not exercise every fault"
    assert faults.failed.count("503") >= ATTEMPTS
    assert RETRY_AFTER in rig.retry_sleeps.delays, "a 429's Retry-After was not honoured"


@pytest.mark.slow
def test_100k_conversations_sync_in_a_process_under_150_mb(isolated_dirs: Path) -> None:
    conversations = 100_000
    workspace = Workspace.generate(seed=22, conversations=conversations, now=FIXED_NOW)
    pages = conversations // 150 + 5
    with EmulatorServer(workspace, token=TOKEN) as server:
        faults = ScheduledFaults(schedule(seed=22, requests=pages, rate=0.01))
        server.faults = faults
        env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN}
        log = isolated_dirs / "sync.err"
        with log.open("w") as err_file:
            measured = subprocess.run(
                [PYTHON, "-c", PEAK_RSS, PYTHON, "-m", "intercom_tui", "sync", "--base-url",
                 server.url],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=err_file,
                text=True,
                check=True,
            )  # fmt: skip
        returncode, peak_kib = map(int, measured.stdout.split())
        err = log.read_text()
        assert returncode == 0, err[-2000:]
        assert f"full sync: {conversations:,} conversations" in err
        peak_mb = peak_kib / 1024
        print(f"intercom-tui sync of {conversations:,}: peak RSS {peak_mb:.0f} MB")
        assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"
        path = cache_path_for(server.url, known_workspace(profile_key("default", server.url)))
        cache = Cache.open(path)
        ids = cached_ids(cache)
        cache.close()
    assert len(ids) == len(set(ids)) == conversations
    assert ids == sorted(workspace.conversation_ids())
    assert len(faults.failed) >= 3
