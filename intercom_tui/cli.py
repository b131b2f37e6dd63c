"""The ``intercom-tui`` command: the app, and login / sync / emulator / export / new.

Imports are deferred to the subcommand that needs them, so opening the inbox does not
pay for httpx or the emulator before its first frame.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from intercom_tui import __version__, config

if TYPE_CHECKING:
    from intercom_tui.service.session import SessionOptions


def _connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("workspace")
    group.add_argument("--profile", metavar="NAME", help="profile from config.toml")
    group.add_argument(
        "--region",
        choices=sorted(config.REGION_URLS),
        help="Intercom data region: us (default), eu or au",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        help="any Intercom-compatible API root (the emulator, a proxy); overrides --region",
    )
    group.add_argument(
        "--insecure",
        action="store_true",
        help="allow a plain-http --base-url that is not on this machine",
    )


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The whole command line; without ``commands``, just the app's own flags."""
    parser = argparse.ArgumentParser(
        prog="intercom-tui",
        description="A keyboard-driven terminal inbox for Intercom.",
        epilog="Token: INTERCOM_ACCESS_TOKEN, or `intercom-tui login`. "
        "Try it without an account: intercom-tui --demo",
    )
    parser.add_argument("--version", action="version", version=f"intercom-tui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the built-in API emulator with a demo workspace and open it",
    )
    parser.add_argument(
        "--offline", action="store_true", help="open from the cache only, no network"
    )
    parser.add_argument("--open", metavar="ID", help="open straight into one conversation")
    parser.add_argument("--theme", metavar="NAME", help="colour theme for this run")
    _connection_flags(parser)
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    login = sub.add_parser("login", help="verify and store an access token (mode 0600)")
    _connection_flags(login)
    login.add_argument(
        "--token-command",
        metavar="CMD",
        help="store a command that prints the token (e.g. `pass show intercom`) instead",
    )
    login.add_argument("--default", action="store_true", help="make this profile the default one")

    sync = sub.add_parser("sync", help="fill or refresh the cache, with a progress bar, no UI")
    _connection_flags(sync)

    emu = sub.add_parser("emulator", help="run the Intercom API emulator on this machine")
    emu.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emu.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    emu.add_argument("--conversations", type=int, default=2000, metavar="N", help="seeded size")
    emu.add_argument("--seed", type=int, default=1, metavar="S", help="seed of the demo data")
    emu.add_argument("--token", default=None, metavar="T", help="bearer token it accepts")
    emu.add_argument("--fixture", metavar="FILE", help="load the workspace from a JSON file")
    emu.add_argument(
        "--rate-limit", type=int, metavar="N", help="calls per minute before it answers 429"
    )
    emu.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer"
    )

    export = sub.add_parser("export", help="print one conversation as Markdown or JSON")
    export.add_argument("id", metavar="ID")
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("--offline", action="store_true", help="from the cache only")
    _connection_flags(export)

    new = sub.add_parser("new", help="start a conversation as a contact")
    new.add_argument("--from-type", choices=("user", "lead", "contact"), default="user")
    new.add_argument("--from-id", required=True, metavar="ID", help="the contact's id")
    new.add_argument("--body", required=True, help="the message text")
    _connection_flags(new)
    return parser


def _options(args: argparse.Namespace, **extra: object) -> SessionOptions:
    from intercom_tui.service.session import SessionOptions

    fields: dict[str, object] = {
        "profile": args.profile,
        "base_url": args.base_url,
        "region": args.region,
        "offline": bool(getattr(args, "offline", False)),
        "insecure": args.insecure,
        **extra,
    }
    return SessionOptions(**fields)  # type: ignore[arg-type]


def _fail(message: str, code: int = 2) -> int:
    print(f"intercom-tui: {message}", file=sys.stderr)
    return code


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Opening the app (the common case) parses without building the five commands'
    parsers, ~1.5 ms of every start; anything else, help included, gets the full parser
    and its messages."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not {"-h", "--help"} & set(argv):
        args, rest = build_parser(commands=False).parse_known_args(argv)
        if not rest:
            return args
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command is not None:
        return _run(args)
    # Importing Textual and building the first screen allocate a few hundred thousand
    # objects that all live on: the collector would walk them ~90 times (~15 ms) before
    # the first frame, to free next to nothing. The app turns it back on once that frame
    # is out (InboxApp._after_first_frame).
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args: argparse.Namespace) -> int:
    from intercom_tui.service.session import SessionError

    handlers = {
        None: run_app,
        "login": run_login,
        "sync": run_sync,
        "emulator": run_emulator,
        "export": run_export,
        "new": run_new,
    }
    try:
        return handlers[args.command](args)
    except (config.ConfigError, SessionError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = getattr(exc, "user_message", None)
        if message is None:
            raise
        return _fail(message, 1)


def run_app(args: argparse.Namespace) -> int:
    from intercom_tui.service.session import open_session

    settings = config.load_settings()
    if args.theme:
        settings = settings._replace(theme=args.theme)
    server = None
    if args.demo:
        server, settings, opts = _start_demo(settings)
    else:
        opts = _options(args, prefetch=args.open)
    try:
        service, notices = open_session(settings, opts)
        from intercom_tui.ui.app import InboxApp

        app = InboxApp(service, settings, notices=notices, open_conversation=args.open)
        return app.run() or 0
    finally:
        if server is not None:
            server.stop()


def _start_demo(settings: config.Settings):  # type: ignore[no-untyped-def]
    """The emulator on a free loopback port, and settings that point at it."""
    from intercom_tui.emulator.server import EmulatorServer
    from intercom_tui.emulator.workspace import DEMO_TOKEN, Workspace
    from intercom_tui.service.session import SessionOptions

    server = EmulatorServer(Workspace.generate(seed=1), host="127.0.0.1", port=0)
    server.start()
    profile = config.Profile(name="demo", base_url=server.url, token=DEMO_TOKEN)
    demo_settings = settings._replace(profiles={"demo": profile}, default_profile="demo")
    return server, demo_settings, SessionOptions(profile="demo", fresh_cache=True)


def run_login(args: argparse.Namespace) -> int:
    import asyncio
    import getpass

    from intercom_tui.api.client import IntercomClient
    from intercom_tui.service.session import profile_key, remember_workspace

    settings = config.load_settings()
    name = args.profile or settings.default_profile
    base = config.Profile(
        name=name,
        base_url=args.base_url,
        region=args.region or "us",
        token_command=args.token_command,
    )
    if args.token_command:
        token = config.resolve_token(base, environ={})
    else:
        token = config.resolve_token(base) or getpass.getpass("Intercom access token: ").strip()
    if not token:
        return _fail("No token given.")
    api_url = config.check_base_url(base.api_url, insecure=args.insecure)

    async def verify():  # type: ignore[no-untyped-def]
        async with IntercomClient(token, api_url) as client:
            return await client.me()

    me = asyncio.run(verify())
    profile = (
        base
        if args.token_command
        else config.Profile(
            name=name, base_url=args.base_url, region=args.region or "us", token=token
        )
    )
    path = config.save_settings(config.with_profile(settings, profile, make_default=args.default))
    remember_workspace(profile_key(name, api_url), me.workspace_id or "default")
    print(
        f"Logged in to {me.workspace_name or me.workspace_id} as {me.admin.name} "
        f"<{me.admin.email}>; profile {name!r} saved in {path} (mode 0600)."
    )
    return 0


def run_sync(args: argparse.Namespace) -> int:
    import asyncio

    from intercom_tui.service.session import open_session_async

    async def go() -> int:
        service, notices = await open_session_async(config.load_settings(), _options(args))
        for notice in notices:
            print(notice, file=sys.stderr)
        try:
            if service.me_id is None:
                await service.connect()
            result = await service.sync(_ProgressLine())
        finally:
            await service.aclose()
        rate = result.fetched / result.seconds if result.seconds else 0
        kind = "full" if result.full else "incremental"
        total = service.count(service.view("all"))
        print(
            f"\n{kind} sync: {result.fetched:,} conversations in {result.seconds:.1f} s "
            f"({rate:,.0f}/s); {total:,} cached.",
            file=sys.stderr,
        )
        return 0

    return asyncio.run(go())


class _ProgressLine:
    """``12,450 / 40,000 conversations  310/s`` redrawn in place on a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, progress) -> None:  # type: ignore[no-untyped-def]
        if progress.phase in ("reference", "done"):
            return
        total = f" / {progress.total:,}" if progress.total else ""
        bar = ""
        if progress.total:
            done = int(30 * min(1.0, progress.fetched / progress.total))
            bar = "[" + "#" * done + "-" * (30 - done) + "] "
        line = f"{bar}{progress.fetched:,}{total} conversations  {progress.rate:,.0f}/s"
        print(("\r" if self.tty else "") + line, end="" if self.tty else "\n", file=sys.stderr)


def run_emulator(args: argparse.Namespace) -> int:
    from intercom_tui.emulator.server import run_forever
    from intercom_tui.emulator.workspace import DEMO_TOKEN

    return run_forever(
        host=args.host,
        port=args.port,
        conversations=args.conversations,
        seed=args.seed,
        token=args.token or DEMO_TOKEN,
        fixture=args.fixture,
        rate_limit=args.rate_limit,
        latency=args.latency,
    )


def run_export(args: argparse.Namespace) -> int:
    import asyncio

    from intercom_tui.service.export import to_json, to_markdown
    from intercom_tui.service.session import open_session_async

    async def go() -> int:
        service, _ = await open_session_async(config.load_settings(), _options(args))
        try:
            conversation = service.cached_conversation(args.id)
            if not service.offline:
                conversation = await service.fetch_conversation(args.id)
        finally:
            await service.aclose()
        if conversation is None:
            return _fail(f"Conversation {args.id} is not in the cache.")
        if args.format == "json":
            print(to_json(conversation))
        else:
            sys.stdout.write(to_markdown(conversation, service.directory))
        return 0

    return asyncio.run(go())


def run_new(args: argparse.Namespace) -> int:
    import asyncio

    from intercom_tui.service.session import open_session_async

    async def go() -> int:
        service, _ = await open_session_async(config.load_settings(), _options(args))
        try:
            message = await service.client.create_conversation(
                from_type=args.from_type, from_id=args.from_id, body=args.body
            )
        finally:
            await service.aclose()
        print(f"Started conversation {message.get('conversation_id') or message.get('id')}.")
        return 0

    return asyncio.run(go())
