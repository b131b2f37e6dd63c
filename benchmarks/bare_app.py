"""The yardstick: the smallest Textual app that puts one line on screen.

Start-up targets are ratios to this app, run the same way in the same benchmark run,
so they mean the same on a fast laptop and a slow CI box.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

#: What the benchmark waits for on screen.
MARKER = "bare-app-ready"


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(MARKER)


if __name__ == "__main__":
    BareApp().run()
