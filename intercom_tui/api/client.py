"""Async client for the Intercom REST API, version 2.11.

One ``httpx.AsyncClient`` per workspace. Every answer is checked before it becomes a model:
a failure is always an ``ApiError`` subclass (never a ``KeyError`` or ``JSONDecodeError``),
and writes that must not happen twice (a reply, a new conversation) are never retried
blindly: when the answer is lost the client re-reads the conversation to see whether the
reply landed. See ``retry.py`` for which failures are retried and why.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import httpx

from intercom_tui import __version__
from intercom_tui.api.conversations import (
    conversation_from_api,
    conversation_path,
    path_segment,
)
from intercom_tui.api.errors import (
    AmbiguousWriteError,
    ApiError,
    BadResponseError,
    NetworkError,
    ServerError,
    TruncatedResponseError,
    build_checked,
    error_from_response,
    sanitize,
)
from intercom_tui.api.models import (
    JSON,
    Admin,
    Contact,
    Conversation,
    Me,
    Page,
    Part,
    Tag,
    Team,
    next_cursor,
    norm_id,
)
from intercom_tui.api.regions import REGION_URLS
from intercom_tui.api.retry import RetryPolicy

API_VERSION = "2.11"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Most results a list or search page may hold (Intercom's maximum).
MAX_PER_PAGE = 150
#: How far before our send time a landed reply may be stamped (clock skew with Intercom).
REPLY_CLOCK_SKEW = 60

#: Failures that happen before any byte of the request reaches the server.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

T = TypeVar("T")
OnRetry = Callable[[ApiError, float], None]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The budget Intercom reported on the last response (``X-RateLimit-*`` headers)."""

    limit: int | None
    remaining: int | None
    reset_at: int | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit | None:
        values = [
            _header_int(headers, f"x-ratelimit-{name}") for name in ("limit", "remaining", "reset")
        ]
        return None if values == [None, None, None] else cls(*values)


class _BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer …`` to each request; the only holder of the token.

    Crash reports print every frame's local variables (Textual's do), so the token is
    never passed around as a plain ``str`` once the client exists: frames hold this object,
    whose repr does not show it.
    """

    def __init__(self, token: str) -> None:
        self._token = token.strip()

    def __repr__(self) -> str:
        return "_BearerAuth(token=[hidden])"

    @property
    def well_formed(self) -> bool:
        """One ASCII word: whitespace or controls mean a paste went wrong."""
        return _single_word(self._token)

    @property
    def secrets(self) -> tuple[str]:
        """For masking server text that might echo the token back."""
        return (self._token,)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class IntercomClient:
    """Typed access to the endpoints the app uses (see DESIGN.md §3). Knows nothing of UI.

    httpx's ``trust_env`` default stays on, so ``HTTPS_PROXY``/``NO_PROXY`` and
    ``SSL_CERT_FILE`` work as users expect behind corporate proxies.
    ``on_retry(error, delay)`` is called before each retry wait, so the app can say e.g.
    ``error.retry_message(delay)`` ("Intercom is rate limiting us; retrying in 8 s.").
    """

    def __init__(
        self,
        token: str,
        base_url: str = REGION_URLS["us"],
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        user_agent: str = f"intercom-tui/{__version__}",
        on_retry: OnRetry | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = _BearerAuth(token)
        del token  # from here on only ``_auth`` holds it (see ``_BearerAuth``)
        if not self._auth.well_formed:
            # Said without the token: a mistyped token is still a secret.
            raise ValueError("the Intercom access token is empty or not a single ASCII word")
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        self.rate_limit: RateLimit | None = None
        try:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                auth=self._auth,
                timeout=timeout,
                transport=transport,
                headers={
                    "Accept": "application/json",
                    "Intercom-Version": API_VERSION,
                    "User-Agent": user_agent,
                },
            )
        except OSError as exc:  # ssl.SSLError too: the TLS settings cannot be loaded
            raise NetworkError(_tls_detail(exc)) from None

    def __repr__(self) -> str:
        return f"IntercomClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> IntercomClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- workspace -------------------------------------------------------------------

    async def me(self) -> Me:
        return await self._call("GET", "/me", Me.from_api, expect={"id": (str, int)})

    async def list_admins(self) -> list[Admin]:
        data = await self._call("GET", "/admins", dict, expect={"admins": list})
        return build_checked("GET", "/admins", lambda: _each(Admin.from_api, data["admins"]))

    async def list_teams(self) -> list[Team]:
        data = await self._call("GET", "/teams", dict, expect={"teams": list})
        return build_checked("GET", "/teams", lambda: _each(Team.from_api, data["teams"]))

    async def list_tags(self) -> list[Tag]:
        data = await self._call("GET", "/tags", dict, expect={"data": list})
        return build_checked("GET", "/tags", lambda: _each(Tag.from_api, data["data"]))

    async def create_tag(self, name: str) -> Tag:
        """Create a tag (Intercom returns the existing one for a known name, so retry is safe)."""
        return await self._call(
            "POST", "/tags", Tag.from_api, json={"name": name}, expect={"id": (str, int)}
        )

    async def list_contacts(
        self, per_page: int = MAX_PER_PAGE, starting_after: str | None = None
    ) -> tuple[list[Contact], str | None]:
        params = _page_params(per_page, starting_after)
        data = await self._call("GET", "/contacts", dict, params=params, expect={"data": list})
        contacts = build_checked("GET", "/contacts", lambda: _each(Contact.from_api, data["data"]))
        return contacts, next_cursor(data)

    async def iter_contacts(self, per_page: int = MAX_PER_PAGE) -> AsyncIterator[list[Contact]]:
        async def fetch(cursor: str | None) -> tuple[list[Contact], str | None]:
            return await self.list_contacts(per_page, cursor)

        async for contacts in self._walk(fetch, None, "GET", "/contacts"):
            yield contacts

    # --- conversations: reading ------------------------------------------------------------

    async def list_conversations(
        self, *, per_page: int = MAX_PER_PAGE, starting_after: str | None = None
    ) -> Page:
        """One page of ``GET /conversations``, newest first."""
        return await self._call(
            "GET",
            "/conversations",
            Page.from_api,
            params=_page_params(per_page, starting_after),
            expect={"conversations": list},
        )

    async def search_conversations(
        self,
        query: JSON,
        *,
        per_page: int = MAX_PER_PAGE,
        starting_after: str | None = None,
        sort: JSON | None = None,
    ) -> Page:
        """One page of ``POST /conversations/search`` (a read, so it is retried)."""
        pagination: JSON = {"per_page": per_page}
        if starting_after:
            pagination["starting_after"] = starting_after
        body: JSON = {"query": query, "pagination": pagination}
        if sort:
            body["sort"] = sort
        return await self._call(
            "POST",
            "/conversations/search",
            Page.from_api,
            json=body,
            expect={"conversations": list},
        )

    async def iter_conversations(
        self, *, per_page: int = MAX_PER_PAGE, starting_after: str | None = None
    ) -> AsyncIterator[Page]:
        async def fetch(cursor: str | None) -> tuple[Page, str | None]:
            page = await self.list_conversations(per_page=per_page, starting_after=cursor)
            return page, page.next_cursor

        async for page in self._walk(fetch, starting_after, "GET", "/conversations"):
            yield page

    async def iter_search(
        self, query: JSON, *, per_page: int = MAX_PER_PAGE, starting_after: str | None = None
    ) -> AsyncIterator[Page]:
        async def fetch(cursor: str | None) -> tuple[Page, str | None]:
            page = await self.search_conversations(query, per_page=per_page, starting_after=cursor)
            return page, page.next_cursor

        async for page in self._walk(fetch, starting_after, "POST", "/conversations/search"):
            yield page

    async def get_conversation(self, conversation_id: str | int) -> Conversation:
        """One conversation with its parts, bodies as HTML (we render them ourselves)."""
        data = await self.get_conversation_raw(conversation_id)
        return conversation_from_api(data, conversation_id)

    async def get_conversation_raw(self, conversation_id: str | int) -> JSON:
        """The conversation JSON exactly as Intercom sent it (what the cache stores)."""
        return await self._call(
            "GET", conversation_path(conversation_id), dict, expect={"id": (str, int)}
        )

    # --- conversations: idempotent writes --------------------------------------------------

    async def update_conversation(
        self,
        conversation_id: str | int,
        *,
        read: bool | None = None,
        title: str | None = None,
        custom_attributes: JSON | None = None,
    ) -> Conversation:
        """``PUT /conversations/{id}``. ``title`` is not in the 2.11 description (newer
        versions accept it); it is only sent when given."""
        body: JSON = {}
        if read is not None:
            body["read"] = read
        if title is not None:
            body["title"] = title
        if custom_attributes is not None:
            body["custom_attributes"] = custom_attributes
        if not body:
            raise ValueError("update_conversation needs at least one field to change")
        return await self._conversation_call("PUT", conversation_path(conversation_id), body)

    async def mark_read(self, conversation_id: str | int, read: bool = True) -> Conversation:
        return await self.update_conversation(conversation_id, read=read)

    async def close(
        self, conversation_id: str | int, *, admin_id: str | int, body: str | None = None
    ) -> Conversation:
        payload: JSON = {"message_type": "close", "type": "admin", "admin_id": str(admin_id)}
        if body is not None:
            payload["body"] = body
        return await self._part(conversation_id, payload)

    async def reopen(self, conversation_id: str | int, *, admin_id: str | int) -> Conversation:
        payload: JSON = {"message_type": "open", "admin_id": str(admin_id)}
        return await self._part(conversation_id, payload)

    async def snooze(
        self, conversation_id: str | int, *, admin_id: str | int, until: int
    ) -> Conversation:
        payload: JSON = {
            "message_type": "snoozed",
            "admin_id": str(admin_id),
            "snoozed_until": int(until),
        }
        return await self._part(conversation_id, payload)

    async def assign(
        self,
        conversation_id: str | int,
        *,
        admin_id: str | int,
        assignee_id: str | int | None,
        assignee_type: Literal["admin", "team"] = "admin",
        body: str | None = None,
    ) -> Conversation:
        """Assign to an admin or a team; ``assignee_id=None`` unassigns (Intercom's ``"0"``)."""
        if assignee_type not in ("admin", "team"):
            raise ValueError("assignee_type must be 'admin' or 'team'")
        payload: JSON = {
            "message_type": "assignment",
            "type": assignee_type,
            "admin_id": str(admin_id),
            "assignee_id": norm_id(assignee_id) or "0",
        }
        if body is not None:
            payload["body"] = body
        return await self._part(conversation_id, payload)

    async def attach_tag(
        self, conversation_id: str | int, tag_id: str | int, *, admin_id: str | int
    ) -> Tag:
        return await self._call(
            "POST",
            f"{conversation_path(conversation_id)}/tags",
            Tag.from_api,
            json={"id": str(tag_id), "admin_id": str(admin_id)},
            expect={"id": (str, int)},
        )

    async def detach_tag(
        self, conversation_id: str | int, tag_id: str | int, *, admin_id: str | int
    ) -> Tag:
        return await self._call(
            "DELETE",
            f"{conversation_path(conversation_id)}/tags/{path_segment(tag_id)}",
            Tag.from_api,
            json={"admin_id": str(admin_id)},
            expect={"id": (str, int)},
        )

    # --- conversations: writes that must not happen twice ---------------------------------

    async def reply(
        self,
        conversation_id: str | int,
        *,
        admin_id: str | int,
        body: str,
        message_type: Literal["comment", "note"] = "comment",
        attachment_urls: list[str] | None = None,
    ) -> Conversation:
        """Reply (or add a note) as ``admin_id``; never sent twice by this client.

        If the answer is lost (timeout, dropped connection, 5xx, unreadable body) the
        conversation is read again: when the reply is there, that conversation is returned;
        otherwise ``AmbiguousWriteError`` is raised and the outbox decides.
        """
        if message_type not in ("comment", "note"):
            raise ValueError("message_type must be 'comment' or 'note'")
        payload: JSON = {
            "message_type": message_type,
            "type": "admin",
            "admin_id": str(admin_id),
            "body": body,
        }
        if attachment_urls:
            payload["attachment_urls"] = list(attachment_urls)
        since = int(time.time()) - REPLY_CLOCK_SKEW
        try:
            return await self._conversation_call(
                "POST", f"{conversation_path(conversation_id)}/reply", payload, idempotent=False
            )
        except AmbiguousWriteError as unsure:
            try:
                conversation = await self.get_conversation(conversation_id)
            except ApiError:
                raise unsure from unsure.__cause__
            found = self.find_reply(
                conversation,
                admin_id=admin_id,
                body=body,
                message_type=message_type,
                since=since,
            )
            if found is None:
                raise unsure from unsure.__cause__
            return conversation

    @staticmethod
    def find_reply(
        conversation: Conversation,
        *,
        admin_id: str | int,
        body: str,
        message_type: str,
        since: int,
    ) -> Part | None:
        """The newest part that is this reply: same admin, type and text, created at or
        after ``since``. Text is compared without HTML tags and extra whitespace, because
        Intercom wraps plain replies in ``<p>``."""
        admin = norm_id(admin_id)
        wanted = _plain(body)
        for part in reversed(conversation.parts):
            if (
                part.part_type == message_type
                and part.author.id == admin
                and part.created_at >= since
                and _plain(part.body) == wanted
            ):
                return part
        return None

    async def create_conversation(
        self, *, from_type: Literal["user", "lead", "contact"], from_id: str | int, body: str
    ) -> JSON:
        """Start a conversation as a contact; returns Intercom's message object.

        Not retried once sent: a lost answer raises ``AmbiguousWriteError``.
        """
        payload: JSON = {"from": {"type": from_type, "id": str(from_id)}, "body": body}
        return await self._call("POST", "/conversations", dict, json=payload, idempotent=False)

    # --- plumbing --------------------------------------------------------------------------

    async def _part(self, conversation_id: str | int, payload: JSON) -> Conversation:
        """``POST /conversations/{id}/parts``: close, open, snooze, assign (same end state
        when applied twice, so retried)."""
        return await self._conversation_call(
            "POST", f"{conversation_path(conversation_id)}/parts", payload
        )

    async def _conversation_call(
        self, method: str, path: str, body: JSON, *, idempotent: bool = True
    ) -> Conversation:
        return await self._call(
            method,
            path,
            Conversation.from_api,
            json=body,
            idempotent=idempotent,
            expect={"id": (str, int)},
        )

    async def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[JSON], T],
        *,
        params: JSON | None = None,
        json: JSON | None = None,
        idempotent: bool = True,
        expect: Mapping[str, type | tuple[type, ...]] | None = None,
    ) -> T:
        """Send with retries, check the answer is a JSON object holding ``expect``'s keys
        with the given types, and build the model."""
        data = await self._request(method, path, params=params, json=json, idempotent=idempotent)
        try:
            if not isinstance(data, dict):
                raise BadResponseError(
                    f"a JSON {type(data).__name__} where an object was expected",
                    method=method,
                    path=path,
                )
            for key, kind in (expect or {}).items():
                if not isinstance(data.get(key), kind):
                    raise BadResponseError(
                        f"an answer without a valid {key!r}", method=method, path=path
                    )
            return build_checked(method, path, lambda: parse(data))
        except BadResponseError as bad:
            if idempotent:
                raise
            raise _ambiguous(bad) from bad

    async def _walk(
        self,
        fetch: Callable[[str | None], Awaitable[tuple[T, str | None]]],
        cursor: str | None,
        method: str,
        path: str,
    ) -> AsyncIterator[T]:
        """Follow cursors to the last page; a cursor seen before means the server is
        looping, which would otherwise never end."""
        seen = {cursor} if cursor else set()
        while True:
            item, cursor = await fetch(cursor)
            yield item
            if not cursor:
                return
            if cursor in seen:
                raise BadResponseError(
                    "the same page cursor twice (the listing would never end)",
                    method=method,
                    path=path,
                )
            seen.add(cursor)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: JSON | None = None,
        json: JSON | None = None,
        idempotent: bool = True,
    ) -> Any:
        """Send until success or the policy gives up; returns the decoded JSON body."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._send_once(method, path, params, json)
            except ApiError as original:
                error = original
                if not idempotent and isinstance(original, ServerError | BadResponseError):
                    error = _ambiguous(original)
                retry = attempt < self.retry.max_attempts and self.retry.should_retry(
                    error, idempotent=idempotent
                )
                if not retry:
                    if error is original:
                        raise
                    raise error from original
                delay = self.retry.delay(attempt, error)
                if self.on_retry is not None:
                    self.on_retry(error, delay)
                await self.retry.sleep(delay)

    async def _send_once(
        self, method: str, path: str, params: JSON | None, json: JSON | None
    ) -> Any:
        request = self._http.build_request(method, path, params=params, json=json)
        try:
            response = await self._http.send(request, stream=True)
        except _NOT_SENT as exc:
            raise NetworkError(_transport_detail(exc), method=method, path=path) from exc
        except httpx.TransportError as exc:
            raise AmbiguousWriteError(_transport_detail(exc), method=method, path=path) from exc
        try:
            limits = RateLimit.from_headers(response.headers)
            if limits is not None:
                self.rate_limit = limits
            # Read the body apart from the headers: a connection lost now means the server
            # did answer (we have its status), only the body is missing.
            await response.aread()
        except httpx.TransportError as exc:
            raise TruncatedResponseError(
                f"an answer cut off mid-body ({_transport_detail(exc)})",
                status=response.status_code,
                method=method,
                path=path,
            ) from exc
        finally:
            await response.aclose()
        if not response.is_success:
            raise error_from_response(
                response.status_code,
                response.content,
                response.headers,
                method,
                path,
                secrets=self._auth.secrets,
            )
        return _decode(response, method, path, self._auth)


def _decode(response: httpx.Response, method: str, path: str, auth: _BearerAuth) -> Any:
    """The JSON body of a 2xx answer, or ``BadResponseError`` saying what came instead."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        pass
    except RecursionError:
        what = "JSON nested too deeply to read"
        raise BadResponseError(
            what, status=response.status_code, method=method, path=path
        ) from None
    what = _not_json(response, auth)
    raise BadResponseError(what, status=response.status_code, method=method, path=path)


def _not_json(response: httpx.Response, auth: _BearerAuth) -> str:
    """What came instead of JSON. Its own function so that the raw body (which could echo
    the token) is never a local of a frame an exception passes through."""
    body = response.content
    head = body[:512].lstrip().lower()
    if not head:
        return "an empty body"
    if "html" in response.headers.get("content-type", "") or head.startswith(b"<"):
        return "an HTML page instead of JSON"
    if head.startswith((b"{", b"[")):
        return "truncated or malformed JSON"
    text = body[:200].decode("utf-8", "replace")
    return f"text instead of JSON ({sanitize(text, 80, auth.secrets)})"


def _single_word(token: str) -> bool:
    return (
        bool(token) and token.isascii() and all(c.isprintable() and not c.isspace() for c in token)
    )


def _tls_detail(exc: OSError) -> str:
    """Why the TLS settings could not be loaded, naming the variable that points at them."""
    where = [
        f"{name}={os.environ[name]}"
        for name in ("SSL_CERT_FILE", "SSL_CERT_DIR")
        if os.environ.get(name)
    ]
    why = exc.strerror or type(exc).__name__
    return sanitize(
        f"TLS settings unusable: {why}" + (f" ({', '.join(where)})" if where else ""), 160
    )


def _ambiguous(error: ApiError) -> AmbiguousWriteError:
    """A failure after a write was sent, re-labelled: it may or may not have been applied."""
    return AmbiguousWriteError(
        error.detail,
        status=error.status,
        request_id=error.request_id,
        errors=error.errors,
        method=error.method,
        path=error.path,
        retry_after=error.retry_after,
    )


def _transport_detail(exc: httpx.TransportError) -> str:
    """A short, safe description of a transport failure (never headers or the token)."""
    names = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ConnectError: "connection failed",
        httpx.PoolTimeout: "no free connection",
        httpx.ProxyError: "proxy refused the connection",
        httpx.UnsupportedProtocol: "unsupported URL scheme",
        httpx.ReadTimeout: "read timed out",
        httpx.WriteTimeout: "write timed out",
        httpx.RemoteProtocolError: "connection dropped",
        httpx.ReadError: "connection dropped",
        httpx.WriteError: "connection dropped while sending",
    }
    for kind, text in names.items():
        if isinstance(exc, kind):
            return text
    return sanitize(type(exc).__name__, 60)


def _plain(body: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", body or ""))).strip()


def _page_params(per_page: int, starting_after: str | None) -> JSON:
    params: JSON = {"per_page": per_page}
    if starting_after:
        params["starting_after"] = starting_after
    return params


def _each(build: Callable[[JSON], T], items: list[Any]) -> list[T]:
    return [build(item) for item in items if isinstance(item, dict)]


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None
