"""Fault injection: make the emulator fail the way networks and Intercom fail.

Tests (and the ``/_emulator/faults`` control API) queue :class:`Fault` rules; the server
asks :meth:`FaultInjector.take` for the first rule matching each request, which uses up one
of its ``times``.

Kinds, and whether the request is applied to the workspace:

- ``status``: reply ``status`` with an Intercom ``error.list`` (a 429 carries
  ``Retry-After`` and rate-limit headers). Not applied.
- ``latency``: wait ``delay`` seconds, then serve normally. Applied.
- ``drop``: close the connection without any response. Not applied.
- ``drop_after_apply``: apply, then close without responding: the ambiguous case.
- ``truncate``: apply, send the headers and half the body, close.
- ``non_json``: 200 with a ``text/plain`` body that is not JSON. Not applied.
- ``html``: 502 with a proxy's HTML error page. Not applied.

Any kind waits ``delay`` seconds first.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

KINDS = ("status", "latency", "drop", "drop_after_apply", "truncate", "non_json", "html")
#: Kinds after which the request has been applied to the workspace.
APPLIED_KINDS = frozenset({"latency", "drop_after_apply", "truncate"})

#: The ``error.list`` code and message Intercom sends with each status.
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Bad Request"),
    401: ("unauthorized", "Access Token Invalid"),
    403: ("api_plan_restricted", "Active subscription needed."),
    404: ("not_found", "Resource Not Found"),
    405: ("method_not_allowed", "Method Not Allowed"),
    409: ("conflict", "Conflict"),
    422: ("parameter_invalid", "Unprocessable Entity"),
    429: ("rate_limit_exceeded", "Exceeded rate limit"),
    500: ("server_error", "Internal Server Error"),
    502: ("bad_gateway", "Bad Gateway"),
    503: ("service_unavailable", "Service Unavailable"),
    504: ("gateway_timeout", "Gateway Timeout"),
}

NON_JSON_BODY = b"upstream connect error or disconnect/reset before headers. reset reason: overflow"
HTML_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def status_error(status: int) -> tuple[str, str]:
    """Intercom's error code and message for ``status`` (a generic pair for others)."""
    default = ("server_error", "Server Error") if status >= 500 else ("bad_request", "Error")
    return STATUS_ERRORS.get(status, default)


@dataclass
class Fault:
    """One rule: requests matching ``method`` and ``path`` (a regex) fail as ``kind``.

    ``times`` is how many requests it applies to (``None``: every one until cleared).
    """

    kind: str
    method: str = "*"
    path: str = ".*"
    times: int | None = 1
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None for ever)")
        if not 100 <= self.status <= 599:
            raise ValueError(f"status {self.status} is not an HTTP status")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        self.method = self.method.upper()
        self._pattern = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and bool(self._pattern.search(path))

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """A fault from control-API JSON (``body`` as text)."""
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
        values = dict(data)
        if isinstance(values.get("body"), str):
            values["body"] = values["body"].encode()
        try:
            return cls(**values)
        except TypeError as exc:  # e.g. a missing kind
            raise ValueError(str(exc)) from exc

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["body"] = self.body.decode(errors="replace") if self.body is not None else None
        return data


class FaultInjector:
    """The queue of pending faults, safe to use from every server thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, with one of its uses consumed."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return fault
            return None
