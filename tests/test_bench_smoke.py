"""The benchmark harness still runs: one tiny start-up case (``make test-all`` only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_startup_benchmark_runs(tmp_path: Path) -> None:
    env = {**os.environ, "INTERCOM_TUI_BENCH_DIR": str(tmp_path / "bench")}
    bench = [sys.executable, "-m", "benchmarks"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*bench, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )

    assert "--quick" in run("--help").stdout
    out = tmp_path / "figures.json"
    done = run("--quick", "--only", "startup", "--sizes", "1000", "--runs", "1", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    (figure,) = json.loads(out.read_text())["figures"]
    assert figure["name"] == "first frame, 1,000 cached"
    assert figure["ratio"] > 0
    assert figure["verdict"] in ("PASS", "MISS")
    assert (tmp_path / "bench" / "synthetic-1000" / "stamp.json").is_file()
