"""Building the real app against the emulator, for Pilot and snapshot tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from intercom_tui.config import Profile, Settings
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service.inbox import InboxService
from intercom_tui.service.session import SessionOptions, open_session_async
from intercom_tui.ui.app import InboxApp
from tests.conftest import FIXED_NOW, TOKEN


def settings_for(server: EmulatorServer, **extra: object) -> Settings:
    profile = Profile(name="test", base_url=server.url, token=TOKEN)
    return Settings(profiles={"test": profile}, default_profile="test", **extra)  # type: ignore[arg-type]


async def service_for(server: EmulatorServer, *, synced: bool = True) -> InboxService:
    """A service on a fresh cache, filled by one real sync over loopback."""
    service, _ = await open_session_async(settings_for(server), SessionOptions())
    if synced:
        await service.sync()
        await service.aclose()  # the app's loop makes its own client
    return service


def synced_service(server: EmulatorServer) -> InboxService:
    """``service_for`` from synchronous code (snapshot tests run their own loop)."""
    return asyncio.run(service_for(server))


def make_app(
    service: InboxService,
    *,
    background: bool = False,
    clock: Callable[[], float] = lambda: float(FIXED_NOW),
    **kwargs: object,
) -> InboxApp:
    """The real app; background workers off by default so what is drawn is deterministic."""
    return InboxApp(service, clock=clock, background=background, **kwargs)  # type: ignore[arg-type]
