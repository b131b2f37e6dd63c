"""Fixtures for service tests: a small workspace and a service over it (see support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from tests.conftest import FIXED_NOW
from tests.service.support import Env


@pytest.fixture
def workspace() -> Workspace:
    """Smaller than the suite's default: every action test syncs it once."""
    return Workspace.generate(seed=11, conversations=120, now=FIXED_NOW)


@pytest.fixture
async def env(emulator: EmulatorServer, tmp_path: Path) -> AsyncIterator[Env]:
    """An online service over ``emulator`` on an empty cache."""
    environment = Env(emulator, tmp_path / "cache.sqlite3")
    environment.open()
    try:
        yield environment
    finally:
        await environment.close()


@pytest.fixture
async def synced(env: Env) -> Env:
    """``env`` after one full sync, with the request log cleared of it."""
    await env.svc.sync()
    env.events.clear()
    env.forget_requests()
    return env
