"""``python -m benchmarks``: run the benchmarks, print each figure against its target.

``make bench`` runs everything at 10k / 100k / 1M cached conversations (about 8 minutes
on 2 cores, plus about a minute to build the caches the first time); ``--quick`` runs
smaller sizes and fewer repeats (under 2 minutes). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from benchmarks import keys, memory, startup, sync, thread, triage
from benchmarks.caches import ROOT
from benchmarks.results import Figure, Settings, table

BENCHMARKS: dict[str, Callable[[Settings], list[Figure]]] = {
    "startup": startup.run,
    "keys": keys.run,
    "triage": triage.run,
    "memory": memory.run,
    "thread": thread.run,
    "sync": sync.run,
}
QUICK = Settings(
    sizes=(10_000, 100_000),
    runs=3,
    key_repeats=6,
    sync_conversations=2_000,
    thread_conversations=300,
)
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"


def size(text: str) -> int:
    """``10000``, ``10_000``, ``10k`` or ``1M``."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Start-up, keypress, memory, thread and sync benchmarks of intercom-tui, "
        "printed against the targets of DESIGN.md section 8.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="sizes 10k and 100k, 3 runs, fewer keypresses"
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        help=f"run only these (repeat or comma-separate): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--sizes",
        metavar="N,N",
        help="cache sizes for start-up (the largest is used for keys, triage, memory), "
        "e.g. 10k,100k,1M",
    )
    parser.add_argument("--runs", type=int, metavar="N", help="start-ups per program and size")
    parser.add_argument("--repeats", type=int, metavar="N", help="keypresses per key (about)")
    parser.add_argument(
        "--json",
        metavar="FILE",
        default=str(RESULTS),
        help="where to write the figures as JSON (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for item in args.only or [] for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.names = names or list(BENCHMARKS)
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    settings = QUICK if args.quick else Settings()
    if args.sizes:
        settings = replace(settings, sizes=tuple(size(s) for s in args.sizes.split(",")))
    if args.runs:
        settings = replace(settings, runs=args.runs)
    if args.repeats:
        settings = replace(settings, key_repeats=args.repeats)
    return settings


def load() -> str:
    """Other work on the machine skews timings: shown before and after."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    import textual

    return (
        f"{os.cpu_count()} CPUs, {load()}; "
        f"Python {platform.python_version()}, Textual {textual.__version__}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    print(f"intercom-tui benchmarks ({'quick' if args.quick else 'full'}) on {machine()}")
    started = time.perf_counter()
    figures: list[Figure] = []
    failed = False
    for name in args.names:
        print()
        try:
            figures += BENCHMARKS[name](settings)
        except Exception as exc:
            failed = True
            traceback.print_exc()
            figures.append(Figure(name, f"error: {type(exc).__name__}", "runs", None, False))
    print(f"\nresults ({time.perf_counter() - started:.0f} s; {load()} now)")
    print(table(figures))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": machine(),
                "settings": asdict(settings),
                "figures": [f.to_json() for f in figures],
            },
            indent=1,
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
