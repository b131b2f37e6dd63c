"""The Intercom 2.11 API emulator: a real HTTP server over a :class:`Workspace`.

Stdlib only (``ThreadingHTTPServer``), HTTP/1.1 with ``Content-Length`` so clients keep
connections alive. Each request goes through, in order: fault injection, the bearer token,
the rate limit, the JSON body, then the route. Every response carries Intercom's
``X-RateLimit-*`` headers and an ``X-Request-Id`` that error bodies repeat.

``/_emulator/...`` is the control API for a separately running emulator (faults, request
log); it needs the token too but is never faulted, rate limited or logged.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import selectors
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from intercom_tui import __version__
from intercom_tui.emulator import faults as fault_kinds
from intercom_tui.emulator.faults import Fault, FaultInjector
from intercom_tui.emulator.workspace import DEMO_TOKEN, EmulatorError, Workspace

JSON = dict[str, Any]
log = logging.getLogger(__name__)

#: Intercom spreads its per-minute limit over windows of this many seconds.
WINDOW = 10
#: The limit reported (not enforced) when the server runs without ``rate_limit``.
DEFAULT_PER_MINUTE = 10_000


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it. ``status`` is None when no response was sent."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None
    time: float


@dataclass(frozen=True, slots=True)
class Budget:
    """Where a call leaves the current window."""

    allowed: bool
    remaining: int
    reset: int  # Unix seconds when the window ends
    retry_after: int  # whole seconds until then


class RateLimiter:
    """Intercom's limit: ``per_minute`` calls spread over 10-second windows.

    A window opens with the first call after the previous one closed, so two calls in a
    row always share a window (tests need no clock tricks).
    """

    def __init__(self, per_minute: int | None) -> None:
        self.enforced = per_minute is not None
        self.limit = max(1, (per_minute or DEFAULT_PER_MINUTE) * WINDOW // 60)
        self._lock = threading.Lock()
        self._start = 0.0
        self._used = 0

    def take(self, count: bool = True) -> Budget:
        """The budget after one call; ``count=False`` only looks."""
        with self._lock:
            now = time.time()
            if now >= self._start + WINDOW:
                self._start, self._used = now, 0
            allowed = not self.enforced or self._used < self.limit
            if allowed and count:
                self._used += 1
            end = self._start + WINDOW
            return Budget(
                allowed,
                max(0, self.limit - self._used),
                math.ceil(end),
                max(1, math.ceil(end - now)),
            )


@dataclass(slots=True)
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] | None = None


Route = Callable[[Workspace, tuple[str, ...], dict[str, str], JSON], JSON]


def _routes() -> list[tuple[str, re.Pattern[str], Route]]:
    conv = r"/conversations/([^/]+)"
    table: list[tuple[str, str, Route]] = [
        ("GET", "/me", lambda ws, a, q, b: ws.me()),
        ("GET", "/admins", lambda ws, a, q, b: ws.admins()),
        ("GET", "/teams", lambda ws, a, q, b: ws.teams()),
        ("GET", "/tags", lambda ws, a, q, b: ws.tags()),
        ("POST", "/tags", lambda ws, a, q, b: ws.create_tag(b)),
        (
            "GET",
            "/contacts",
            lambda ws, a, q, b: ws.contacts(q.get("per_page"), q.get("starting_after")),
        ),
        (
            "GET",
            "/conversations",
            lambda ws, a, q, b: ws.list_conversations(q.get("per_page"), q.get("starting_after")),
        ),
        ("POST", "/conversations", lambda ws, a, q, b: ws.create_conversation(b)),
        ("POST", "/conversations/search", lambda ws, a, q, b: ws.search_conversations(b)),
        ("GET", conv, lambda ws, a, q, b: ws.get_conversation(a[0])),
        ("PUT", conv, lambda ws, a, q, b: ws.update_conversation(a[0], b)),
        ("POST", conv + "/reply", lambda ws, a, q, b: ws.reply(a[0], b)),
        ("POST", conv + "/parts", lambda ws, a, q, b: ws.manage(a[0], b)),
        ("POST", conv + "/tags", lambda ws, a, q, b: ws.attach_tag(a[0], b)),
        ("DELETE", conv + r"/tags/([^/]+)", lambda ws, a, q, b: ws.detach_tag(a[0], a[1], b)),
    ]
    return [(method, re.compile(pattern), route) for method, pattern, route in table]


ROUTES = _routes()


def error_list(request_id: str, code: str, message: str, field: str | None = None) -> JSON:
    error: JSON = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"type": "error.list", "request_id": request_id, "errors": [error]}


def _json(payload: Any) -> bytes:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A lone surrogate (a fixture's "\ud800") has no UTF-8 form; JSON escapes carry
        # it, as a real server holding one sends it.
        return json.dumps(payload, separators=(",", ":")).encode()


class _HTTPServer(ThreadingHTTPServer):
    """Threads per connection; remembers open connections so ``stop`` can close them."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: EmulatorServer) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection errors (mostly clients hanging up) go to the debug log, not stderr."""
        log.debug("connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"intercom-emulator/{__version__}"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after this long
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; without this, Nagle's algorithm holds the
        # body until the client's delayed ACK (40 ms on every keep-alive request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no stderr per request
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    # -- the request pipeline --------------------------------------------------------------

    def _handle(self, method: str) -> None:
        emulator = self.server.emulator
        request_id = str(uuid.uuid4())
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = dict(parse_qsl(url.query))
        raw = self._read_body()
        if path.startswith("/_emulator/"):
            self._send(self._control(method, path, raw, request_id), request_id)
            return
        fault = emulator.faults.take(method, path)
        delay = emulator.latency + (fault.delay if fault else 0.0)
        if delay:
            time.sleep(delay)
        kind = fault.kind if fault else None
        body = _parse(raw)
        if kind == "drop":
            emulator.record(method, path, query, body, None)
            self.close_connection = True
            return
        if fault and kind not in fault_kinds.APPLIED_KINDS:
            response = self._fault_response(fault, request_id)
        else:
            response = self._dispatch(method, path, query, raw, request_id)
        if kind == "drop_after_apply":
            emulator.record(method, path, query, body, None)
            self.close_connection = True
            return
        emulator.record(method, path, query, body, response.status)
        self._send(response, request_id, truncate=kind == "truncate")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _authorised(self) -> bool:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        expected = self.server.emulator.token
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), expected.encode()
        )

    def _error(
        self,
        status: int,
        request_id: str,
        code: str | None = None,
        message: str | None = None,
        field: str | None = None,
    ) -> _Response:
        default_code, default_message = fault_kinds.status_error(status)
        payload = error_list(request_id, code or default_code, message or default_message, field)
        return _Response(status, _json(payload))

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], raw: bytes, request_id: str
    ) -> _Response:
        emulator = self.server.emulator
        if not self._authorised():
            return self._error(401, request_id)
        budget = emulator.limiter.take()
        if not budget.allowed:
            response = self._error(
                429,
                request_id,
                message=f"Exceeded rate limit of {emulator.limiter.limit} in {WINDOW}_seconds",
            )
            response.headers = {"Retry-After": str(budget.retry_after)}
            return response
        route, args = _match(method, path)
        if route is None:
            return self._error(405 if args else 404, request_id)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return self._error(400, request_id, "bad_request", "Request body is not valid JSON")
        if not isinstance(body, dict):
            return self._error(400, request_id, "bad_request", "Request body must be an object")
        try:
            return _Response(200, _json(route(emulator.workspace, args, query, body)))
        except EmulatorError as exc:
            return self._error(exc.status, request_id, exc.code, exc.message, exc.field)
        except Exception:
            log.exception("emulator failed on %s %s", method, path)
            return self._error(500, request_id)

    def _fault_response(self, fault: Fault, request_id: str) -> _Response:
        if fault.kind == "non_json":
            body = fault.body if fault.body is not None else fault_kinds.NON_JSON_BODY
            return _Response(200, body, "text/plain; charset=utf-8", dict(fault.headers))
        if fault.kind == "html":
            body = fault.body if fault.body is not None else fault_kinds.HTML_BODY
            return _Response(502, body, "text/html", dict(fault.headers))
        response = self._error(fault.status, request_id)
        if fault.body is not None:
            response.body = fault.body
        headers: dict[str, str] = {}
        if fault.status == 429:
            budget = self.server.emulator.limiter.take(count=False)
            headers = {
                "Retry-After": str(budget.retry_after),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(budget.reset),
            }
        response.headers = {**headers, **fault.headers}
        return response

    def _control(self, method: str, path: str, raw: bytes, request_id: str) -> _Response:
        emulator = self.server.emulator
        if not self._authorised():
            return self._error(401, request_id)
        if path == "/_emulator/requests" and method == "GET":
            records = [asdict(r) for r in emulator.requests]
            return _Response(200, _json({"type": "request.list", "requests": records}))
        if path != "/_emulator/faults":
            return self._error(404, request_id)
        if method == "POST":
            try:
                data = json.loads(raw or b"null")
                items = data if isinstance(data, list) else [data]
                new = [Fault.from_json(item) for item in items]
            except ValueError as exc:
                return self._error(400, request_id, "parameter_invalid", str(exc))
            for fault in new:
                emulator.faults.add(fault)
        elif method == "DELETE":
            emulator.faults.clear()
        elif method != "GET":
            return self._error(405, request_id)
        pending = [f.to_json() for f in emulator.faults.pending()]
        return _Response(200, _json({"type": "fault.list", "faults": pending}))

    def _send(self, response: _Response, request_id: str, truncate: bool = False) -> None:
        budget = self.server.emulator.limiter.take(count=False)
        headers = {
            "Content-Type": response.content_type,
            "Content-Length": str(len(response.body)),
            "X-Request-Id": request_id,
            "X-RateLimit-Limit": str(self.server.emulator.limiter.limit),
            "X-RateLimit-Remaining": str(budget.remaining),
            "X-RateLimit-Reset": str(budget.reset),
            **(response.headers or {}),
        }
        try:
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            if truncate:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(
                response.body[: len(response.body) // 2] if truncate else response.body
            )
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _match(method: str, path: str) -> tuple[Route | None, tuple[str, ...]]:
    """The route for ``method path`` and its path arguments.

    With no route, the arguments are non-empty when the path exists for another method
    (so the caller can answer 405 instead of 404).
    """
    other = False
    for route_method, pattern, route in ROUTES:
        found = pattern.fullmatch(path)
        if found:
            if route_method == method:
                return route, tuple(unquote(arg) for arg in found.groups())
            other = True
    return None, ("",) if other else ()


def _parse(raw: bytes) -> Any:
    """The request body for the log: JSON if it is JSON, else the text."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode(errors="replace")


class EmulatorServer:
    """Serves a workspace on ``host:port`` (0 picks a free port) from a daemon thread."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEMO_TOKEN,
        rate_limit: int | None = None,
        latency: float = 0.0,
    ) -> None:
        self._workspace = workspace
        self._host = host
        self._requested_port = port
        self._token = token
        self.latency = latency
        self.limiter = RateLimiter(rate_limit)
        self.faults = FaultInjector()
        self._records: list[RequestRecord] = []
        self._records_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None

    def __repr__(self) -> str:  # never shows the token
        return f"EmulatorServer(url={self.url!r})"

    @property
    def workspace(self) -> Workspace:
        return self._workspace

    @property
    def token(self) -> str:
        return self._token

    @property
    def port(self) -> int:
        if self._httpd is None:
            return self._requested_port
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def open_connections(self) -> int:
        """Client connections still open. A request is logged when it is answered, so once
        a client's connections are closed, everything it sent is in ``requests``."""
        httpd = self._httpd
        if httpd is None:
            return 0
        with httpd.connections_lock:
            return len(httpd.connections)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every API request so far, oldest first (a copy)."""
        with self._records_lock:
            return list(self._records)

    def record(
        self, method: str, path: str, query: dict[str, str], body: Any, status: int | None
    ) -> None:
        entry = RequestRecord(method, path, query, body, status, time.time())
        with self._records_lock:
            self._records.append(entry)

    def start(self) -> EmulatorServer:
        if self._httpd is None:
            self._httpd = _HTTPServer((self._host, self._requested_port), self)
            self._wake = socket.socketpair()
            self._thread = threading.Thread(
                target=self._serve,
                args=(self._httpd, self._wake[0]),
                name=f"intercom-emulator:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    @staticmethod
    def _serve(httpd: _HTTPServer, wake: socket.socket) -> None:
        """Accept connections until ``wake`` is written to.

        Instead of ``serve_forever``, whose polling makes every ``stop`` wait up to a
        poll interval (and wakes an idle server many times a second).
        """
        with selectors.DefaultSelector() as selector:
            selector.register(httpd, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while True:
                events = selector.select()
                if any(key.fileobj is wake for key, _ in events):
                    return
                httpd.handle_request()

    def stop(self) -> None:
        """Stop serving and close every open connection (clients see them close)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        if self._wake is not None:
            self._wake[1].send(b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        httpd.server_close()
        for end in self._wake or ():
            end.close()
        self._wake = None
        with httpd.connections_lock:
            open_connections = list(httpd.connections)
        for connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_forever(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    conversations: int = 2000,
    seed: int = 1,
    token: str = DEMO_TOKEN,
    fixture: str | None = None,
    rate_limit: int | None = None,
    latency: float = 0.0,
) -> int:
    """Serve until Ctrl-C: what ``intercom-tui emulator`` runs. Returns the exit status."""
    if fixture:
        workspace = Workspace.from_fixture(fixture)
    else:
        workspace = Workspace.generate(seed=seed, conversations=conversations)
    server = EmulatorServer(
        workspace, host=host, port=port, token=token, rate_limit=rate_limit, latency=latency
    )
    try:
        server.start()
    except OSError as exc:
        print(
            f"intercom-tui emulator: cannot listen on {host}:{port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    count = len(workspace.conversation_ids())
    print(
        f"Intercom API emulator on {server.url}  token: {token}  "
        f"({count} conversations; Ctrl-C stops it)",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
