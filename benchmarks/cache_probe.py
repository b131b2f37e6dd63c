"""How the SQLite cache behaves at a million conversations (a probe, not a test).

    python benchmarks/cache_probe.py [N]      # N defaults to 1,000,000

A child process fills a temporary cache with N synthetic conversations (so the loader's
memory does not count), then this process opens it the way the app starts and times
what the inbox asks of it: open, counts, windows at the top, middle and bottom, the
next page after a deep jump, a keypress-by-keypress scroll, ``index_of`` a deep row, a
text search, and all view counts; then it reports its own RSS.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NOW = 1768478400  # a fixed clock: the same data every run


def fill(path: Path, n: int) -> None:
    from intercom_tui.store.cache import Cache

    cache = Cache.open(path)
    cache.bulk_load_synthetic(n, seed=0, now=NOW)
    cache.close()


def timed(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    print(f"  {label:<58} {(time.perf_counter() - start) * 1000:9.2f} ms")
    return result


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def probe(path: Path, n: int) -> None:
    start = time.perf_counter()
    from intercom_tui.store.cache import Cache, Filter, Sort

    print(
        f"  {'import intercom_tui.store.cache':<58} {(time.perf_counter() - start) * 1000:9.2f} ms"
    )
    cache = timed("Cache.open", lambda: Cache.open(path))
    everything, open_ = Filter(), Filter(state="open")
    total = timed("count(Filter(state='open'))  [first frame]", lambda: cache.count(open_))
    timed(
        "window(open, UPDATED, 0, 50)  [first frame]",
        lambda: cache.window(open_, Sort.UPDATED, 0, 50),
    )
    all_n = timed("count(Filter())", lambda: cache.count(everything))
    print(f"    -> {all_n:,} conversations, {total:,} open")
    for offset in (0, n // 2, n - 100):
        timed(
            f"window(all, UPDATED, {offset:,}, 50)",
            lambda o=offset: cache.window(everything, Sort.UPDATED, o, 50),
        )
    timed(
        f"window(all, UPDATED, {n // 2 + 50:,}, 50)  [next page, keyset]",
        lambda: cache.window(everything, Sort.UPDATED, n // 2 + 50, 50),
    )
    timed(
        f"window(all, WAITING, {n // 4:,}, 50)  [cold jump]",
        lambda: cache.window(everything, Sort.WAITING, n // 4, 50),
    )
    timed(
        f"window(open, PRIORITY, {total // 2:,}, 50)  [cold jump]",
        lambda: cache.window(open_, Sort.PRIORITY, total // 2, 50),
    )
    steps = []
    start_at = n * 2 // 5
    for offset in range(start_at, start_at + 200):  # a keypress each: 50-row window, 1 row on
        begin = time.perf_counter()
        cache.window(everything, Sort.UPDATED, offset, 50)
        steps.append((time.perf_counter() - begin) * 1000)
    label = f"200 keypresses from {start_at:,} (median / max)"
    print(f"  {label:<58} {statistics.median(steps):9.2f} / {max(steps):.2f} ms")

    deep = cache.window(everything, Sort.UPDATED, n - 50, 1)[0].id
    middle = cache.window(everything, Sort.UPDATED, n // 2, 1)[0].id
    deep_open = cache.window(open_, Sort.UPDATED, total - 50, 1)[0].id
    cache.close()  # forget counts and anchors: index_of runs after a write, cold
    cache = Cache.open(path)
    for label, f, cid in (
        (f"index_of(all, UPDATED, row at {n - 50:,})", everything, deep),
        (f"index_of(all, UPDATED, row at {n // 2:,})", everything, middle),
        (f"index_of(open, UPDATED, row at {total - 50:,})", open_, deep_open),
    ):
        timed(label, lambda f=f, cid=cid: cache.index_of(f, Sort.UPDATED, cid))

    search = Filter(text="invoice")
    found = timed("count(Filter(text='invoice'))", lambda: cache.count(search))
    timed(
        "window(text='invoice', UPDATED, 0, 50)", lambda: cache.window(search, Sort.UPDATED, 0, 50)
    )
    print(f"    -> {found:,} matches")
    views = {
        "open": open_,
        "mine": Filter(state="open", admin_assignee_id="1003"),
        "unassigned": Filter(state="open", unassigned=True),
        "snoozed": Filter(state="snoozed"),
        "closed": Filter(state="closed"),
        "all": everything,
        **{f"team {t.id}": Filter(team_assignee_id=t.id) for t in cache.teams()},
        **{f"tag {t.id}": Filter(tag_id=t.id) for t in cache.tags()},
    }
    timed(
        f"view_counts({len(views)} views: states, mine, teams, tags)",
        lambda: cache.view_counts(views),
    )
    print(f"  {'RSS of this process':<58} {rss_mb():9.1f} MB")
    size = sum(p.stat().st_size for p in path.parent.iterdir()) / 1e6
    print(f"  {'cache file on disk':<58} {size:9.0f} MB")
    cache.close()


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--fill":
        fill(Path(sys.argv[2]), int(sys.argv[3]))
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory(prefix="cache-probe-") as tmp:
        path = Path(tmp) / "probe.sqlite3"
        print(f"cache probe: {n:,} synthetic conversations")
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--fill", str(path), str(n)], check=True)
        print(f"  {'bulk_load_synthetic (child process)':<58} {time.perf_counter() - start:9.1f} s")
        probe(path, n)


if __name__ == "__main__":
    main()
