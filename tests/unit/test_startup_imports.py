"""What the inbox's first frame imports: nothing it does not draw with.

Start-up time is our imports on top of Textual's, so a module that creeps onto that path
(httpx, the emulator, the conversation screen...) is a regression even when every other
test passes. The check runs in a fresh interpreter, as a user's start does.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Imported by ``intercom-tui`` before the inbox's first frame (cli -> session -> ui.app ->
#: the inbox screen, which is the app's default screen).
FIRST_FRAME = (
    "intercom_tui.cli",
    "intercom_tui.service.session",
    "intercom_tui.ui.app",
    "intercom_tui.ui.screens.inbox",
)

#: Loaded later, when first used (network, conversations, dialogs, the palette).
LATER = (
    "httpx",
    "intercom_tui.api.client",
    "intercom_tui.api.conversations",
    "intercom_tui.emulator",
    "intercom_tui.render.html",
    "intercom_tui.service.sync",
    "intercom_tui.service.sender",
    "intercom_tui.store.search",
    "intercom_tui.ui.commands",
    "intercom_tui.ui.screens.conversation",
    "intercom_tui.ui.screens.pickers",
    "intercom_tui.ui.screens.tag_editor",
)


def test_the_first_frame_path_imports_none_of_the_later_modules() -> None:
    script = (
        "import json, sys\n"
        + "".join(f"import {name}\n" for name in FIRST_FRAME)
        # Loaded modules only: ``intercom_tui.api`` blocks one of httpx's with None.
        + "print(json.dumps(sorted(name for name, module in sys.modules.items() if module)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert set(FIRST_FRAME) <= loaded
    early = sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in LATER))
    assert early == []


def test_the_conversation_models_still_come_from_api_models() -> None:
    """They moved to ``api.conversations``; ``api.models`` hands them out on first use."""
    from intercom_tui.api import conversations, models

    assert models.Conversation is conversations.Conversation
    assert models.Part is conversations.Part
    try:
        models.NoSuchModel  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchModel" in str(exc)
    else:  # pragma: no cover - a failure message
        raise AssertionError("an unknown name must raise AttributeError")


def test_the_http_client_does_not_load_the_httpx_command_line_tool() -> None:
    """httpx imports its CLI (click, pygments, rich.progress: ~25 ms) when click is
    installed, as it is in the dev environment; the client keeps it out."""
    script = (
        "import json, sys\n"
        "import intercom_tui.api.client, httpx\n"
        "loaded = sorted(name for name, module in sys.modules.items() if module)\n"
        "print(json.dumps([loaded, callable(httpx.main)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded, has_main = json.loads(done.stdout)
    tool = [m for m in loaded if m.split(".")[0] in {"click", "pygments"} or m == "httpx._main"]
    assert tool == []
    assert has_main  # httpx still defines ``main`` (the one that says what is missing)
