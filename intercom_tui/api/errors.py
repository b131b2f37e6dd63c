"""Errors raised by the Intercom client, each with one plain-language line for people.

Intercom answers failures with ``{type: error.list, request_id, errors: [{code, message,
field}]}``, but proxies answer with HTML pages and broken connections answer with nothing,
so ``error_from_response`` copes with any body. Everything that reaches a message is
sanitised: server text is untrusted (control characters could drive the terminal) and may
be huge, and the access token must never appear anywhere.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

#: Longest piece of server-provided text we ever quote in a message.
MAX_QUOTE = 200

# C0 and C1 controls, DEL, and bidi/zero-width formatting characters that can reorder or
# hide text on a terminal, each to a space. A table: as a regex character class it took
# ~0.3 ms to compile at import.
_UNSAFE = dict.fromkeys(
    [
        *range(0x20),
        *range(0x7F, 0xA0),
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0x061C,
        0xFEFF,
    ],
    " ",
)
_SPACES = re.compile(r"\s+")


def sanitize(text: Any, limit: int = MAX_QUOTE, secrets: Iterable[str] = ()) -> str:
    """One safe line: controls removed, whitespace collapsed, secrets masked, bounded length."""
    line = _SPACES.sub(" ", str(text).translate(_UNSAFE)).strip()
    for secret in secrets:
        if secret:
            line = line.replace(secret, "[redacted]")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class ErrorDetail(NamedTuple):
    """One entry of Intercom's ``errors`` array."""

    code: str
    message: str = ""
    field: str | None = None


class ApiError(Exception):
    """Any failure talking to Intercom. ``str(err)`` is ``user_message`` plus the request id."""

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        request_id: str | None = None,
        errors: tuple[ErrorDetail, ...] = (),
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.detail = detail
        self.status = status
        self.request_id = request_id
        self.errors = errors
        self.method = method
        self.path = path
        #: Seconds the server asked us to wait (``Retry-After`` / ``X-RateLimit-Reset``).
        self.retry_after = retry_after
        super().__init__(self.user_message)

    def __str__(self) -> str:
        suffix = f" (request id {self.request_id})" if self.request_id else ""
        return self.user_message + suffix

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, method={self.method!r}, "
            f"path={self.path!r}, request_id={self.request_id!r}, detail={self.detail!r})"
        )

    @property
    def server_message(self) -> str:
        """The first message Intercom gave, or the transport detail, or ``""``."""
        for err in self.errors:
            if err.message or err.code:
                return (err.message or err.code.replace("_", " ")).rstrip(". ")
        return self.detail

    @property
    def request_label(self) -> str:
        return f"{self.method} {self.path}".strip()

    @property
    def user_message(self) -> str:
        why = f": {self.server_message}" if self.server_message else ""
        return f"Intercom answered {self.status} to {self.request_label}{why}."

    def retry_message(self, delay: float) -> str:
        """What to tell the user while the client waits ``delay`` seconds before retrying."""
        return f"{self.request_label} failed ({self.status}); retrying in {_seconds(delay)}."


class AuthenticationError(ApiError):
    """401: the token is wrong, revoked or for another region."""

    @property
    def user_message(self) -> str:
        return (
            "Intercom rejected the access token (401 unauthorized). "
            "Run `intercom-tui login` or set INTERCOM_ACCESS_TOKEN."
        )


class ForbiddenError(ApiError):
    """403: the token is valid but lacks a permission or the plan lacks the API."""

    @property
    def user_message(self) -> str:
        why = f" ({self.server_message})" if self.server_message else ""
        return (
            f"Intercom refused {self.request_label} (403 forbidden){why}; "
            "the token may lack a permission this needs."
        )


class NotFoundError(ApiError):
    """404: the conversation, tag or contact does not exist (or is not visible to us)."""

    @property
    def user_message(self) -> str:
        return f"{_subject(self.path, self.errors)} was not found (404)."


class ValidationError(ApiError):
    """400/422: Intercom rejected the request's content."""

    @property
    def user_message(self) -> str:
        err = next((e for e in self.errors if e.field), None)
        field = f" (field {err.field})" if err else ""
        why = f": {self.server_message}" if self.server_message else ""
        return f"Intercom rejected {self.request_label} ({self.status}){field}{why}."


class RateLimitedError(ApiError):
    """429: over the per-minute budget; ``retry_after`` says how long to wait if known."""

    @property
    def user_message(self) -> str:
        if self.retry_after is None:
            return "Intercom is rate limiting us (429); try again in a moment."
        return f"Intercom is rate limiting us (429); try again in {_seconds(self.retry_after)}."

    def retry_message(self, delay: float) -> str:
        return f"Intercom is rate limiting us; retrying in {_seconds(delay)}."


class ServerError(ApiError):
    """5xx: a problem on Intercom's side or a proxy between us."""

    @property
    def user_message(self) -> str:
        if self.detail.startswith("html"):
            return (
                f"Intercom or a proxy in between answered {self.status} with an HTML page "
                f"instead of JSON for {self.request_label}; try again later."
            )
        why = f": {self.server_message}" if self.server_message else ""
        return (
            f"Intercom had a server error ({self.status}) on {self.request_label}{why}; "
            "try again later."
        )

    def retry_message(self, delay: float) -> str:
        return f"Intercom had a server error ({self.status}); retrying in {_seconds(delay)}."


class NetworkError(ApiError):
    """The request certainly never reached Intercom (no connection could be made).

    Safe to retry even for writes: nothing was sent, so nothing can have been applied.
    """

    @property
    def user_message(self) -> str:
        return (
            f"Could not reach Intercom ({self.detail or 'connection failed'}); nothing was "
            "sent. Check the network or proxy settings."
        )

    def retry_message(self, delay: float) -> str:
        return f"Could not reach Intercom ({self.detail}); retrying in {_seconds(delay)}."


class AmbiguousWriteError(ApiError):
    """The request was sent but no usable answer came back: it may or may not have applied.

    Raised for read timeouts and connections dropped after sending, and for server errors
    on writes that must not be repeated blindly (a reply, a new conversation).
    """

    @property
    def user_message(self) -> str:
        what = f"answered {self.status}" if self.status else f"did not answer ({self.detail})"
        return (
            f"Intercom {what} after {self.request_label} was sent; "
            "it may or may not have been applied."
        )

    def retry_message(self, delay: float) -> str:
        what = f"answered {self.status}" if self.status else f"did not answer ({self.detail})"
        return f"Intercom {what} to {self.request_label}; retrying in {_seconds(delay)}."


class BadResponseError(ApiError):
    """An answer that is not the JSON we expect: truncated, HTML, plain text, wrong shape."""

    @property
    def user_message(self) -> str:
        code = f" ({self.status})" if self.status else ""
        return (
            f"Intercom answered {self.request_label}{code} with something unexpected: "
            f"{self.detail or 'not valid JSON'}."
        )


class TruncatedResponseError(BadResponseError):
    """The answer began (status and headers arrived) but the connection closed mid-body.

    The request was processed; for a read, asking again is safe and usually works.
    """


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    422: ValidationError,
    429: RateLimitedError,
}

_NOUNS = {
    "conversations": "Conversation",
    "tags": "Tag",
    "contacts": "Contact",
    "admins": "Admin",
    "teams": "Team",
}


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    method: str,
    path: str,
    *,
    secrets: Iterable[str] = (),
    now: float | None = None,
) -> ApiError:
    """The right ``ApiError`` subclass for a non-2xx answer, whatever its body holds.

    ``secrets`` are masked from every quoted string (defence in depth: a proxy could echo
    our Authorization header back). ``now`` is the clock for ``X-RateLimit-Reset``.
    """
    secrets = tuple(secrets)
    lower = {k.lower(): v for k, v in headers.items()}
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    request_id = lower.get("x-request-id")
    details: tuple[ErrorDetail, ...] = ()
    detail = ""
    payload = _json_or_none(body)
    if isinstance(payload, dict) and (payload.get("type") == "error.list" or "errors" in payload):
        request_id = payload.get("request_id") or request_id
        details = _details(payload.get("errors"), secrets)
    elif payload is None and body.strip():
        detail = _describe_non_json(body, lower.get("content-type", ""), secrets)
    retry_after = wait_hint(lower, time.time() if now is None else now, rate_limited=status == 429)
    return cls(
        detail,
        status=status,
        request_id=sanitize(request_id, 100, secrets) if request_id else None,
        errors=details,
        method=method,
        path=sanitize(path.split("?", 1)[0], 300, secrets),
        retry_after=retry_after,
    )


def wait_hint(headers: Mapping[str, str], now: float, *, rate_limited: bool) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` (seconds or HTTP date) first,
    else, for a 429, until ``X-RateLimit-Reset`` (Unix seconds) opens the next window.

    ``headers`` must have lower-case keys (or be case-insensitive like ``httpx.Headers``).
    """
    value = (headers.get("retry-after") or "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        from email.utils import parsedate_to_datetime  # ~3 ms to import; only dates need it

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    reset = (headers.get("x-ratelimit-reset") or "").strip()
    if rate_limited and reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _details(raw: Any, secrets: tuple[str, ...]) -> tuple[ErrorDetail, ...]:
    out = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        field = item.get("field")
        out.append(
            ErrorDetail(
                code=sanitize(item.get("code") or "", 80, secrets),
                message=sanitize(item.get("message") or "", MAX_QUOTE, secrets),
                field=sanitize(field, 80, secrets) if field else None,
            )
        )
    return tuple(out)


def _describe_non_json(body: bytes, content_type: str, secrets: tuple[str, ...]) -> str:
    """A short description of a body that is not JSON; never the HTML itself."""
    head = body[:512].lstrip().lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<")):
        return "html page"
    text = body[: MAX_QUOTE * 2].decode("utf-8", "replace")
    return f"text answer: {sanitize(text, MAX_QUOTE, secrets)}"


def _subject(path: str, errors: tuple[ErrorDetail, ...]) -> str:
    """``Conversation 123`` / ``Tag 9`` from the request path, for 404 messages."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    pairs = [
        (_NOUNS[parts[i]], parts[i + 1]) for i in range(0, len(parts) - 1, 2) if parts[i] in _NOUNS
    ]
    if not pairs:
        return "The requested item"
    codes = " ".join(e.code for e in errors)
    for noun, ident in reversed(pairs):
        if noun.lower() in codes:
            return f"{noun} {ident}"
    noun, ident = pairs[0]
    return f"{noun} {ident}"


def _seconds(delay: float) -> str:
    return f"{max(1, round(delay))} s"


T = TypeVar("T")
#: Errors a model's ``from_api`` can raise on a body of the wrong shape.
SHAPE_ERRORS = (TypeError, ValueError, AttributeError, KeyError, ArithmeticError)


def build_checked(method: str, path: str, build: Callable[[], T]) -> T:
    """Run a model constructor, turning any shape surprise into ``BadResponseError``.

    Here, not in the client: a conversation fetched by the start-up prefetch is built in
    the UI's process, which must not import httpx for it."""
    try:
        return build()
    except SHAPE_ERRORS as exc:
        raise BadResponseError(
            f"an answer of unexpected shape ({type(exc).__name__})", method=method, path=path
        ) from exc
