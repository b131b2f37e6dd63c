"""Stand-ins: a virtual clock and an ``asyncio.sleep`` that moves it, and a prefetch."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


class Clock:
    """A virtual clock that starts at real time (the emulator stamps with real time)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeSleep:
    """Stands in for ``asyncio.sleep``: records each delay, advances ``clock``, yields once."""

    clock: Clock
    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.clock.advance(max(0.0, delay))
        await asyncio.sleep(0)


class ArrivedLater:
    """A prefetch without the child: ``raw`` is its answer, there once ``arrive()``d."""

    def __init__(self, conversation_id: str, raw: JSON | None, *, arrived: bool = True) -> None:
        self.conversation_id = conversation_id
        self.raw = raw
        self.here = asyncio.Event()
        if arrived:
            self.here.set()

    def arrive(self) -> None:
        self.here.set()

    def result_now(self) -> JSON | None:
        return self.raw if self.here.is_set() else None

    async def result(self) -> JSON | None:
        await self.here.wait()
        return self.raw
