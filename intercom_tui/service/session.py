"""From settings and command-line flags to a ready ``InboxService``.

The cache is one SQLite file per workspace. Which workspace a profile talks to is only
known after ``GET /me``, so the answer is remembered in a small index file: every later
start opens the right cache at once, with no network on the start-up path. Only a first
run (nothing cached anyway) asks ``/me`` before the UI opens, which also turns a bad
token into a one-line error instead of an empty inbox.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from intercom_tui import config

if TYPE_CHECKING:
    from intercom_tui.api.models import Me
    from intercom_tui.service.inbox import Connection, InboxService
    from intercom_tui.service.prefetch import Prefetch
    from intercom_tui.store.cache import Cache

# The service and the cache (and asyncio under them, ~40 ms) are imported once the
# workspace is known: ``--open``'s prefetch is forked before them (``_open_known``), so
# its child starts that much sooner and the UI's process pays for them in parallel.


class SessionError(Exception):
    """Why the app cannot start, in one actionable line."""


class SessionOptions(NamedTuple):
    profile: str | None = None
    base_url: str | None = None
    region: str | None = None
    offline: bool = False
    insecure: bool = False
    #: Start from an empty cache (the demo, whose emulator is new each run).
    fresh_cache: bool = False
    #: A conversation to fetch in a child process while the UI starts (``--open``).
    prefetch: str | None = None


class Endpoint(NamedTuple):
    key: str
    api_url: str
    token: str | None

    def __repr__(self) -> str:  # never the token: not in a repr, a log or a crash report
        return f"Endpoint(key={self.key!r}, api_url={self.api_url!r})"


def endpoint(settings: config.Settings, opts: SessionOptions) -> Endpoint:
    """Which API, with which token, under which profile key."""
    profile = settings.profile(opts.profile)
    if opts.region:
        profile = config.Profile(
            name=profile.name,
            region=opts.region,
            token=profile.token,
            token_command=profile.token_command,
        )
    api_url = opts.base_url.rstrip("/") if opts.base_url else profile.api_url
    api_url = config.check_base_url(api_url, insecure=opts.insecure)
    token = None if opts.offline else config.resolve_token(profile)
    return Endpoint(profile_key(profile.name, api_url), api_url, token)


def profile_key(profile_name: str, api_url: str) -> str:
    """What the workspace index is keyed by: a profile on one API host."""
    return f"{profile_name}@{urlsplit(api_url).hostname}"


def _index_path() -> Path:
    return config.cache_dir() / "workspaces.json"


def known_workspace(key: str) -> str | None:
    try:
        data = json.loads(_index_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def remember_workspace(key: str, workspace_id: str) -> None:
    path = _index_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[key] = workspace_id
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    except OSError:
        pass  # no index means one more /me at the next start, nothing worse


def open_cache(api_url: str, workspace_id: str, *, fresh: bool = False) -> tuple[Cache, str]:
    """The workspace's cache, or an in-memory one (with the reason) when disk fails."""
    from intercom_tui.store.cache import Cache, CacheUnavailable, cache_path_for

    path = cache_path_for(api_url, workspace_id)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    try:
        cache = Cache.open(path)
    except CacheUnavailable as exc:
        return Cache.memory(), f"{exc} Working without a cache this time."
    notice = ""
    moved = cache.recovered_from
    if moved is not None and ".newer-" in moved.name:
        notice = f"The cache was written by a newer intercom-tui; it was moved to {moved}."
    elif moved is not None:
        notice = f"The cache was damaged; it was moved to {moved} and rebuilt."
    return cache, notice


def open_session(settings: config.Settings, opts: SessionOptions) -> tuple[InboxService, list[str]]:
    """Blocking form of ``open_session_async`` for the command line, before any loop runs.

    A start with a known workspace needs no network, so no event loop either: creating
    and closing one costs a few ms that the first frame would wait for.
    """
    ep = endpoint(settings, opts)
    opened = _open_known(settings, opts, ep)
    if opened is not None:
        return opened
    import asyncio

    return asyncio.run(_open_new(settings, opts, ep))


async def open_session_async(
    settings: config.Settings, opts: SessionOptions
) -> tuple[InboxService, list[str]]:
    """A service ready for the UI, plus notices to show once it is on screen."""
    ep = endpoint(settings, opts)
    opened = _open_known(settings, opts, ep)
    return opened if opened is not None else await _open_new(settings, opts, ep)


async def _open_new(
    settings: config.Settings, opts: SessionOptions, ep: Endpoint
) -> tuple[InboxService, list[str]]:
    """First contact with a workspace: ``GET /me`` says which cache file is its own."""
    from intercom_tui.service.inbox import (
        META_ME,
        META_WORKSPACE,
        META_WORKSPACE_NAME,
        Connection,
        InboxService,
    )

    assert ep.token is not None  # _open_known refuses a missing token
    connection = Connection(ep.api_url, ep.token)
    me = await _identify(connection)
    workspace = me.workspace_id or "default"
    remember_workspace(ep.key, workspace)
    cache, notice = open_cache(ep.api_url, workspace, fresh=opts.fresh_cache)
    cache.set_meta(META_ME, me.admin.id)
    cache.set_meta(META_WORKSPACE, me.workspace_id)
    cache.set_meta(META_WORKSPACE_NAME, me.workspace_name)
    connection.client = None  # closed by _identify; the UI's loop makes its own
    notices = [*settings.warnings, *([notice] if notice else [])]
    return InboxService(cache, connection, saved_searches=settings.saved_searches), notices


def _open_known(
    settings: config.Settings, opts: SessionOptions, ep: Endpoint
) -> tuple[InboxService, list[str]] | None:
    """The session when no ``/me`` call is needed (offline, or the workspace is known).

    None means: ask ``/me`` first (a first run, or the demo's fresh cache).
    """
    notices: list[str] = list(settings.warnings)
    workspace = known_workspace(ep.key)
    if opts.offline:
        if workspace is None:
            raise SessionError(
                "Nothing is cached for this workspace yet; run `intercom-tui sync` once online."
            )
        return _service(settings, ep, workspace, notices, None)
    if not ep.token:
        raise SessionError(
            "No access token: set INTERCOM_ACCESS_TOKEN, run `intercom-tui login`, "
            "or try `intercom-tui --demo`."
        )
    if workspace is None or opts.fresh_cache:
        return None
    prefetch = None
    if opts.prefetch:  # before the imports below, and before the cache is open
        from intercom_tui.service.prefetch import Prefetch

        prefetch = Prefetch.start(ep.api_url, ep.token, opts.prefetch)
    return _service(settings, ep, workspace, notices, prefetch)


def _service(
    settings: config.Settings,
    ep: Endpoint,
    workspace: str,
    notices: list[str],
    prefetch: Prefetch | None,
) -> tuple[InboxService, list[str]]:
    """The service over the workspace's cache: online with a token, else offline."""
    from intercom_tui.service.inbox import Connection, InboxService
    from intercom_tui.store.cache import Filter

    cache, notice = open_cache(ep.api_url, workspace)
    notices += [notice] if notice else []
    if ep.token is None:
        if cache.count(Filter()) == 0:
            raise SessionError("The cache is empty; run `intercom-tui sync` once online.")
        return InboxService(cache, None, saved_searches=settings.saved_searches), notices
    connection = Connection(ep.api_url, ep.token)
    service = InboxService(
        cache, connection, saved_searches=settings.saved_searches, prefetch=prefetch
    )
    return service, notices


async def _identify(connection: Connection) -> Me:
    client = connection.get_client()
    try:
        return await client.me()
    finally:
        await client.aclose()
