"""What a benchmark reports: figures against targets, and the table they print as."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

#: Where benchmarks report progress (``print`` by default).
Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure. ``ratio`` is measured / allowed, so <= 1.0 meets the target
    (for start-up it is the ratio to the bare app itself, against 1.2 or 1.5)."""

    name: str
    value: str
    target: str
    ratio: float | None
    ok: bool | None  # None: reported for information, no target

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else "PASS" if self.ok else "MISS"

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "verdict": self.verdict}


@dataclass(frozen=True, slots=True)
class Settings:
    """How much to measure: ``make bench`` defaults, or ``--quick``."""

    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    runs: int = 7
    key_repeats: int = 20
    sync_conversations: int = 10_000
    thread_conversations: int = 1_000

    @property
    def largest(self) -> int:
        return max(self.sizes)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


@dataclass(frozen=True, slots=True)
class KeyTiming:
    """One keypress: seconds until its frame was written, and the app's CPU seconds in
    that time (which, unlike the wall time, hardly grows when the machine is busy)."""

    wall: float
    cpu: float


def latency_figure(name: str, samples: Sequence[KeyTiming], limit: float = 0.016) -> Figure:
    """Keypress latencies against a median limit; the spread and CPU go in the value."""
    ordered = sorted(s.wall for s in samples)
    mid = median(ordered)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    cpu = median([s.cpu for s in samples])
    return Figure(
        name,
        f"median {ms(mid)} (p90 {ms(p90)}, max {ms(ordered[-1])}, n={len(ordered)};"
        f" app CPU {ms(cpu)})",
        f"median < {limit * 1000:.0f} ms",
        mid / limit,
        mid < limit,
    )


def table(figures: Sequence[Figure]) -> str:
    rows = [("figure", "measured", "target", "ratio", "")]
    for f in figures:
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}"
        rows.append((f.name, f.value, f.target, ratio, f.verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
