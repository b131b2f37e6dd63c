"""Time under the tests' control: a virtual clock and an ``asyncio.sleep`` that moves it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


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
