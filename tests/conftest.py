"""Fixtures shared by every test.

Every test runs with its own config, cache and data folders (XDG variables pointing into
``tmp_path``), so nothing a developer has on their machine leaks in, and no test can touch
a real token.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace

#: Fixed clock for deterministic workspaces (2026-01-15 12:00 UTC).
FIXED_NOW = 1768478400
TOKEN = "test-token-5f1d2c"
SHARED = Path(__file__).resolve().parents[2] / "shared"
OPENAPI = SHARED / "intercom-openapi" / "api-2.11.yaml"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every platformdirs folder into the test's own tmp folder."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return home


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC (dates, snooze presets); the real zone comes back afterwards."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def workspace() -> Workspace:
    """A small deterministic workspace: quick to build, big enough for two list pages."""
    return Workspace.generate(seed=7, conversations=300, now=FIXED_NOW)


@pytest.fixture
def emulator(workspace: Workspace) -> Iterator[EmulatorServer]:
    """The emulator serving ``workspace`` on a free 127.0.0.1 port."""
    server = EmulatorServer(workspace, host="127.0.0.1", port=0, token=TOKEN)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def openapi_spec() -> dict:
    """Intercom's OpenAPI description, or a clean skip where ``../shared`` is absent."""
    if not OPENAPI.exists():
        pytest.skip("../shared/intercom-openapi/api-2.11.yaml is not present")
    yaml = pytest.importorskip("yaml")
    with OPENAPI.open(encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    # Known quirk of the published file: a dangling $ref (see SOURCE.md).
    schemas.setdefault("custom_attributes", {"type": "object", "additionalProperties": True})
    return spec
