"""The service every UI test drives: synced from the emulator in the test's own loop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service.inbox import InboxService
from tests.harness import service_for


@pytest.fixture
async def service(emulator: EmulatorServer) -> AsyncIterator[InboxService]:
    service = await service_for(emulator, synced=False)
    await service.sync()  # in the test's loop, so the client stays usable for flushes
    yield service
    await service.aclose()
