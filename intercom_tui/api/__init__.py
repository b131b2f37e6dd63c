"""The Intercom REST API: the async client, its models and errors. Knows nothing of the UI.

httpx imports its own command-line tool (click, pygments, rich.progress) whenever click is
installed, as it is wherever a dev tool brought it: ~25 ms of the first request's wait,
for a ``main`` the app never calls. A None entry makes that import fail as it would
without click, and httpx then defines a ``main`` that explains what is missing.
"""

import sys

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
