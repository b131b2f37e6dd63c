"""Benchmark workspaces on disk: an isolated home per cache size, built once, reused.

Each ``.bench/synthetic-N/`` folder is a complete, isolated set of XDG folders: the
workspace index (``workspaces.json``) that the app reads at start-up, pointing at a cache
filled by ``Cache.bulk_load_synthetic``. The app is started there with
``intercom-tui --offline --base-url http://127.0.0.1:9``, so no network is involved and the
start-up path is exactly a user's second start. Folders are built in a child process
(a million rows take about a minute, the index sort needs RAM the benchmark should not
hold) and moved into place only when complete; ``stamp.json`` says what was built so a
change of size, seed or schema rebuilds it. ``rm -rf .bench`` starts from scratch.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.results import Log

if TYPE_CHECKING:
    from intercom_tui.store.cache import Cache

ROOT = Path(__file__).resolve().parent.parent
#: Generated caches and scratch homes (gitignored); ``INTERCOM_TUI_BENCH_DIR`` moves it.
BENCH_DIR = Path(os.environ.get("INTERCOM_TUI_BENCH_DIR") or ROOT / ".bench")
#: Compiled bytecode of both apps, kept out of the source tree.
PYCACHE = BENCH_DIR / "pycache"
#: A loopback URL nothing listens on: with ``--offline`` it only names the cache.
OFFLINE_URL = "http://127.0.0.1:9"
#: The synthetic data's clock (2026-01-15 12:00 UTC): the same rows every build.
NOW = 1768478400
SEED = 0
#: "Me" in the synthetic workspace (Ada Lovelace), so the Mine view exists.
ME_ID = "1000"
_XDG = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


@dataclass(frozen=True, slots=True)
class BenchHome:
    """An isolated set of XDG folders holding one filled cache."""

    root: Path
    cache_file: Path
    conversations: int

    @property
    def env(self) -> dict[str, str]:
        """What the app's environment needs to find this home's cache (and only it)."""
        return xdg_env(self.root)

    def open_cache(self) -> Cache:
        """The cache, opened read-mostly by the benchmark to learn what rows look like."""
        from intercom_tui.store.cache import Cache

        return Cache.open(self.cache_file, full_check=False)


def xdg_env(root: Path) -> dict[str, str]:
    env = {var: str(root / var.removeprefix("XDG_").removesuffix("_HOME").lower()) for var in _XDG}
    env["HOME"] = str(root)
    return env


def _stamp(n: int) -> dict[str, object]:
    from intercom_tui.store import schema

    return {"conversations": n, "seed": SEED, "now": NOW, "schema": schema.SCHEMA_VERSION}


def synthetic_home(n: int, log: Log = print) -> BenchHome:
    """``.bench/synthetic-N``, built now if missing or stale (and the time it took, logged)."""
    root = BENCH_DIR / f"synthetic-{n}"
    stamp_file = root / "stamp.json"
    try:
        stamp = json.loads(stamp_file.read_text())
    except (OSError, ValueError):
        stamp = None
    if stamp is None or {k: stamp.get(k) for k in _stamp(n)} != _stamp(n):
        log(f"  building a cache of {n:,} synthetic conversations in {root} (once) ...")
        started = time.perf_counter()
        tmp = BENCH_DIR / f".building-synthetic-{n}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        env = {**os.environ, **xdg_env(tmp)}
        cmd = [sys.executable, "-m", "benchmarks.caches", "fill", str(n)]
        subprocess.run(cmd, env=env, cwd=ROOT, check=True)
        shutil.rmtree(root, ignore_errors=True)
        tmp.rename(root)
        log(f"  built in {time.perf_counter() - started:.1f} s (reused by later runs)")
        stamp = json.loads(stamp_file.read_text())
    return BenchHome(root, root / str(stamp["cache_file"]), n)


def scratch_copy(home: BenchHome, log: Log = print) -> BenchHome:
    """A throw-away copy of ``home`` for benchmarks that change conversations."""
    root = BENCH_DIR / f"scratch-{home.root.name}"
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    shutil.copytree(home.root, root)
    size, took = home.cache_file.stat().st_size / 1e6, time.perf_counter() - started
    log(f"  copied the cache ({size:,.0f} MB) to {root.name} in {took:.1f} s")
    return BenchHome(root, root / home.cache_file.relative_to(home.root), home.conversations)


def remove(home: BenchHome) -> None:
    shutil.rmtree(home.root, ignore_errors=True)


def _fill(n: int) -> None:
    """In the child: the index entry and the cache, with the app's own path helpers."""
    from intercom_tui import config
    from intercom_tui.service.inbox import META_ME, META_WORKSPACE, META_WORKSPACE_NAME
    from intercom_tui.service.session import SessionOptions, endpoint, remember_workspace
    from intercom_tui.store.cache import Cache, cache_path_for

    workspace = f"synthetic-{n}"
    ep = endpoint(config.Settings(), SessionOptions(base_url=OFFLINE_URL, offline=True))
    remember_workspace(ep.key, workspace)
    path = cache_path_for(ep.api_url, workspace)
    cache = Cache.open(path)
    cache.bulk_load_synthetic(n, seed=SEED, now=NOW)
    cache.set_meta(META_ME, ME_ID)
    cache.set_meta(META_WORKSPACE, workspace)
    cache.set_meta(META_WORKSPACE_NAME, f"Synthetic {n:,}")
    cache.close()  # the last connection checkpoints the WAL: one self-contained file
    root = Path(os.environ["HOME"])
    stamp = {**_stamp(n), "cache_file": str(path.relative_to(root))}
    (root / "stamp.json").write_text(json.dumps(stamp, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fill":
        _fill(int(sys.argv[2]))
    else:
        sys.exit("usage: python -m benchmarks.caches fill N")
