"""When to try a request again, and how long to wait first.

The rules follow from what each failure tells us about the server's state:

* ``NetworkError`` — no connection was made, nothing was sent: any request may be retried,
  even a reply, because the server cannot have applied it.
* ``RateLimitedError`` (429) — Intercom's limiter rejects a call before it is processed, so
  a retry cannot apply anything twice; we wait as long as the server asks.
* ``AmbiguousWriteError``, ``TruncatedResponseError`` and 500/502/503/504 — the request
  may have been applied. Only idempotent requests (GET, search, PUT, tags, conversation
  parts: applying a close or an assignment twice leaves the same state) are retried; a
  reply or a new conversation is not, and the client checks instead whether it landed.
* Other ``BadResponseError`` (HTML or text where JSON belongs) and 4xx — asking again
  would get the same answer.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from intercom_tui.api.errors import (
    AmbiguousWriteError,
    ApiError,
    NetworkError,
    RateLimitedError,
    ServerError,
    TruncatedResponseError,
)

#: Server errors worth another try; others (501, 505, ...) will not get better.
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter; ``sleep`` is injectable so tests never wait."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: bool = True
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rand: Callable[[], float] = random.random

    def should_retry(self, error: ApiError, *, idempotent: bool) -> bool:
        """Whether ``error`` is worth another attempt for this kind of request."""
        if isinstance(error, NetworkError | RateLimitedError):
            return True
        if isinstance(error, AmbiguousWriteError | TruncatedResponseError):
            return idempotent
        if isinstance(error, ServerError):
            return idempotent and error.status in RETRYABLE_STATUS
        return False

    def delay(self, attempt: int, error: ApiError) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        A server hint (``Retry-After``, ``X-RateLimit-Reset``) wins over backoff, capped by
        ``max_delay`` so a bogus header cannot freeze the app.
        """
        if error.retry_after is not None:
            return min(error.retry_after, self.max_delay)
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return backoff * self.rand() if self.jitter else backoff
