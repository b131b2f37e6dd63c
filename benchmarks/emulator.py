"""The API emulator in a child process, for the thread and sync benchmarks.

A process of its own, not a thread: the emulator is Python too, and sharing the GIL with
the code being measured would bill its work to ours. The workspace is generated with a
fixed clock so the same conversations (and the same 500-part thread) come back every run.
The child serves until its stdin closes, so it never outlives the benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.caches import NOW, ROOT

TOKEN = "bench-token-0c1d"
SEED = 1


class Emulator:
    """``with Emulator(10_000) as emu:`` ... ``emu.url``, ``emu.big_id``, ``emu.cpu_seconds()``."""

    def __init__(self, conversations: int, *, latency: float = 0.0) -> None:
        self.conversations = conversations
        self.latency = latency
        self.url = ""
        self.big_id = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Emulator:
        cmd = [sys.executable, "-m", "benchmarks.emulator", str(self.conversations)]
        cmd.append(str(self.latency))
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator did not start")
        info = json.loads(line)
        self.url, self.big_id = info["url"], info["big_id"]
        return self

    def cpu_seconds(self) -> float:
        """User + system CPU the emulator has used so far."""
        assert self._proc is not None
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _serve(conversations: int, latency: float) -> None:
    from intercom_tui.emulator.server import EmulatorServer
    from intercom_tui.emulator.workspace import Workspace

    workspace = Workspace.generate(seed=SEED, conversations=conversations, now=NOW)
    server = EmulatorServer(workspace, host="127.0.0.1", port=0, token=TOKEN, latency=latency)
    server.start()
    print(json.dumps({"url": server.url, "big_id": workspace.big_conversation_id}), flush=True)
    try:
        sys.stdin.read()  # until the benchmark closes our stdin (or exits)
    finally:
        server.stop()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), float(sys.argv[2]))
