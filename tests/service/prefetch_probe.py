"""Run ``Prefetch`` in a process of its own, as ``intercom-tui --open`` does.

A fork is only made by a process without threads, and the test process has some (the
emulator serves from one). Prints one JSON line: whether a child was forked, its pid,
the JSON it brought (or null), and whether that pid is gone afterwards.

    python -m tests.service.prefetch_probe URL TOKEN ID [--close-after SECONDS] [--one-core]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

from intercom_tui.service.prefetch import Prefetch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("conversation_id")
    parser.add_argument("--close-after", type=float)
    parser.add_argument("--one-core", action="store_true", help="run on one core only")
    args = parser.parse_args()
    if args.one_core:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    prefetch = Prefetch.start(args.url, args.token, args.conversation_id)
    if prefetch is None:
        print(json.dumps({"started": False}))
        return
    if args.close_after is not None:
        time.sleep(args.close_after)  # the child is at work (or waiting on the server)
        prefetch.close()
    raw = asyncio.run(prefetch.result())
    try:
        os.kill(prefetch.pid, 0)
        gone = False
    except ProcessLookupError:
        gone = True
    print(json.dumps({"started": True, "raw": raw, "pid": prefetch.pid, "gone": gone}))


if __name__ == "__main__":
    main()
