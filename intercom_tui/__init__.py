"""intercom-tui: a keyboard-driven terminal inbox for Intercom."""

__version__ = "0.1.0"
