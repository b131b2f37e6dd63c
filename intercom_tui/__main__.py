"""Allow ``python -m intercom_tui``."""

from intercom_tui.cli import main

raise SystemExit(main())
