"""``InboxApp``: screens, global keys, themes, keymap, and the background workers.

The app owns the long-running work (connect, periodic sync, the outbox sender) so it
keeps going whichever screen is on top; screens hear about changes through
``ServiceEvent`` and ``SyncStatus`` messages, which the app forwards to every screen.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from intercom_tui.config import Settings
from intercom_tui.render.safe import clean, clean_line
from intercom_tui.service.inbox import ActionFailed, Event, InboxService
from intercom_tui.ui.keymap import check_keymap
from intercom_tui.ui.messages import ServiceEvent, SyncStatus
from intercom_tui.ui.styles import APP_CSS, LATER_CSS, OPEN_CSS
from intercom_tui.ui.themes import builtin_theme_dir, load_themes

if TYPE_CHECKING:
    from textual.command import Provider

    from intercom_tui.service.sync import SyncProgress

#: Imported in a thread once the first frame is out, so the first ``z``, ``t``, ``enter``
#: or ``ctrl+p`` does not pay for them (the first frame must not either).
WARM_UP_MODULES = (
    "intercom_tui.store.search",
    "intercom_tui.api.conversations",
    "intercom_tui.render.html",
    "intercom_tui.service.sync",
    "intercom_tui.service.sender",
    "intercom_tui.ui.commands",
    "intercom_tui.ui.screens.pickers",
    "intercom_tui.ui.screens.tag_editor",
    "intercom_tui.ui.screens.conversation",
    "intercom_tui.ui.screens.compose",
)


#: Seconds between folds of the cache's WAL into its file, in a worker (see on_mount).
CHECKPOINT_INTERVAL = 10.0


def _inbox_commands() -> type[Provider]:
    """The palette's provider, imported when the palette first opens."""
    from intercom_tui.ui.commands import InboxCommands

    return InboxCommands


class InboxApp(App[int]):
    """The terminal inbox."""

    TITLE = "intercom-tui"
    #: Set in ``__init__`` once our themes are registered (see get_css_variables).
    _themes_registered = False
    _css_variables_theme: Theme | None = None
    CSS_PATH: ClassVar[list[str]] = APP_CSS  # type: ignore[misc]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+z", "undo", "Undo", show=False, id="app.undo"),
    ]
    COMMANDS: ClassVar[set] = App.COMMANDS | {_inbox_commands}  # type: ignore[assignment]

    def __init__(
        self,
        service: InboxService,
        settings: Settings | None = None,
        *,
        notices: list[str] | None = None,
        open_conversation: str | None = None,
        clock: Callable[[], float] = time.time,
        background: bool = True,
    ) -> None:
        super().__init__()
        self.service = service
        self.settings = settings or Settings()
        self.clock = clock
        self._notices = list(notices or [])
        self._open_conversation = open_conversation
        self._background = background
        self.sync_error: str | None = None
        self.syncing = False
        service.listeners.append(self._service_listener)
        # Before the stylesheet is first parsed: a theme set in on_mount re-parses it all.
        self._theme_notices = self._setup_themes()
        self._themes_registered = True
        self._set_css_variables()
        if open_conversation:  # the first frame is the conversation's: the inbox's later
            self.css_path[:] = [Path(path) for path in OPEN_CSS]

    # ------------------------------------------------------------------ start-up
    def on_mount(self) -> None:
        # The UI thread's writes (every triage action) leave folding the WAL into the
        # file to a worker: at a million conversations that takes ~0.4 s.
        self.service.cache.defer_checkpoints()
        self.set_interval(CHECKPOINT_INTERVAL, self._checkpoint, name="checkpoint")
        self.theme_changed_signal.subscribe(self, self._persist_theme)
        for notice in self._theme_notices:
            self.notify(notice, severity="warning")  # in __init__ nothing could show them
        self._setup_keymap()
        if self._open_conversation:
            # Once start-up is over: until then Textual holds back every frame, and the
            # conversation's first frame would be drawn, dropped and drawn again.
            self.call_next(self.open_conversation, self._open_conversation)
        for notice in self._notices:
            self.notify(notice, severity="warning", timeout=8)
        self.call_after_refresh(self._after_first_frame)
        if self._background and not self.service.offline:
            # After the first frame: importing httpx and connecting must not delay it.
            self.call_after_refresh(self._start_background)

    def refresh_css(self, animate: bool = True) -> None:
        """Before the first screen exists, a theme change only needs the new variables.

        Setting the theme in ``__init__`` makes Textual re-parse every stylesheet in a
        fresh parser and drop the cache, so the first screen then parsed it all again:
        ~7 ms of the first frame. With nothing styled yet, the variables are enough; the
        first screen's parse uses them (and ``__init__`` has set them already).
        """
        if not self.screen_stack:
            if self.current_theme is not self._css_variables_theme:
                self._set_css_variables()
            return
        super().refresh_css(animate)

    def get_css_variables(self) -> dict[str, str]:
        """Textual's ``__init__`` asks for the variables of its default theme before ours
        are registered; they would be replaced before anything is parsed (~0.9 ms)."""
        if not self._themes_registered:
            return {}
        return super().get_css_variables()

    def _set_css_variables(self) -> None:
        self.stylesheet.set_variables(self.get_css_variables())
        self._css_variables_theme = self.current_theme

    def get_default_screen(self) -> Screen:
        """The inbox is the base screen: pushing it in on_mount laid out a frame twice.

        Under a conversation opened with ``--open`` it is built when first shown, at that
        conversation: the first frame is the conversation's alone.
        """
        from intercom_tui.ui.screens.inbox import InboxScreen

        return InboxScreen(at=self._open_conversation)

    def _after_first_frame(self) -> None:
        if not gc.isenabled():  # paused by the command line for start-up (cli.main)
            # What start-up made lives on: keep the collector from walking it again.
            gc.freeze()
            gc.enable()
        self._read_later_css()
        self._warm_up()

    def _read_later_css(self) -> None:
        """Add the later screens' sheets to the stylesheet, once the first frame is out.

        ``Stylesheet.parse`` keeps what it parsed before, so this parses just these sheets
        (~3 ms); Textual's own load on a screen's first push re-parses every sheet in a
        fresh parser and restyles the app (~12 ms). Their rules match nothing on the
        screens already shown, so nothing needs restyling.
        """
        added = False
        for path in LATER_CSS:
            if not self.stylesheet.has_source(path):
                self.stylesheet.read(path)
                added = True
        if added:
            self.stylesheet.parse()

    @work(thread=True, exclusive=True, group="checkpoint", exit_on_error=False)
    def _checkpoint(self) -> None:
        self.service.cache.checkpoint()

    @work(thread=True, group="warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        # Online, the HTTP client is needed first: by the sync that starts now, and by a
        # conversation opened with --open, waiting for its parts. If it cannot be made
        # (TLS settings), the first request says why, in the sync's or the screen's words.
        with contextlib.suppress(Exception):
            self.service.prepare_client()
        for module in WARM_UP_MODULES:
            importlib.import_module(module)

    def _start_background(self) -> None:
        self.connect_and_sync()
        self.run_outbox()
        self.set_interval(self.settings.poll_interval, self.request_sync, name="poll")

    def _setup_themes(self) -> list[str]:
        """Register the themes and pick the configured one; what to tell the user."""
        from intercom_tui.config import user_themes_dir

        folder = builtin_theme_dir()
        loaded = load_themes(*(f for f in (folder, user_themes_dir()) if f is not None))
        for theme in loaded.themes:
            self.register_theme(theme)
        notices: list[str] = []
        if loaded.problems:
            notices.append("Skipped themes: " + "; ".join(loaded.problems))
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            notices.append(f"Unknown theme {self.settings.theme!r}; using the default.")
            if "intercom-dark" in self.available_themes:
                self.theme = "intercom-dark"
        return notices

    def _setup_keymap(self) -> None:
        problems = check_keymap(self.settings.keymap)
        if problems:
            self.notify("Keymap: " + "; ".join(problems), severity="warning", timeout=10)
        self.set_keymap(self.settings.keymap)

    # ------------------------------------------------------------------ workers
    @work(exclusive=True, group="sync", exit_on_error=False)
    async def connect_and_sync(self) -> None:
        self.syncing = True
        try:
            if self.service.me_id is None:
                await self.service.connect()
            before = self.service.unread_in_mine()
            result = await self.service.sync(self._progress)
        finally:
            self.syncing = False
        self.sync_error = None
        self._broadcast(SyncStatus(None))
        waiting = 0 if result.full else len(self.service.unread_in_mine() - before)
        if waiting:
            plural = "s" if waiting > 1 else ""
            self.notify(f"{waiting} conversation{plural} in Mine waiting for you", title="Mine")

    def request_sync(self) -> None:
        """``R`` and the poll timer: start a sync unless one is running."""
        if self.service.offline:
            self.notify("Offline: nothing to sync.", severity="warning")
        elif not self.syncing:
            self.connect_and_sync()

    def _progress(self, progress: SyncProgress) -> None:
        self._broadcast(SyncStatus(progress))

    @work(exclusive=True, group="outbox", exit_on_error=False)
    async def run_outbox(self) -> None:
        await self.service.run_outbox()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """One place where background failures become a plain sentence on screen."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        message = getattr(error, "user_message", None) or f"{type(error).__name__}: {error}"
        if event.worker.group == "sync":
            self.sync_error = message
            self._broadcast(SyncStatus(None, error=message))
            self.notify(f"Sync failed: {message}", severity="error", timeout=8)
        elif event.worker.group == "outbox":
            self.notify(f"Sending stopped: {message}", severity="error", timeout=8)
            self.set_timer(15, self.run_outbox)
        else:
            self.notify(message, severity="error", timeout=8)

    # ------------------------------------------------------------------ events
    def _service_listener(self, event: Event) -> None:
        if isinstance(event, ActionFailed):
            self.notify(event.message, severity="error", timeout=8)
        self._broadcast(ServiceEvent(event))

    def _broadcast(self, message: ServiceEvent | SyncStatus) -> None:
        for screen in self.screen_stack:
            screen.post_message(_copy(message))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification may carry API or server text (tag names, error messages).

        So none is ever parsed as markup (a ``[/x]`` in a server message would raise), and
        every one passes the same gate as other untrusted text. ``markup`` is accepted
        for compatibility with ``Widget.notify`` and ignored.
        """
        super().notify(
            clean(str(message)),
            title=clean_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # ------------------------------------------------------------------ actions
    def action_undo(self) -> None:
        refused = bool(self.service.undo_stack) and not self.service.undo_stack[-1].possible
        description = self.service.undo()  # a refusal ("cannot undo a reply") is an event
        if description is not None:
            self.notify(f"Undone: {description}")
        elif not refused:
            self.notify("Nothing to undo.")

    def action_help(self) -> None:
        from intercom_tui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def open_conversation(self, conversation_id: str, index: int | None = None) -> None:
        from intercom_tui.ui.screens.conversation import ConversationScreen

        screen = ConversationScreen.shared(self)
        if screen in self.screen_stack and screen is not self.screen:
            # Under a reply or a dialog (the palette's "open #ID"): one more screen on top,
            # so going back returns to what was open, untouched.
            self.push_screen(ConversationScreen(conversation_id, index=index))
            return
        screen.prepare(conversation_id, index=index)
        if screen is not self.screen:
            self.push_screen(screen)

    def _persist_theme(self, theme: Theme) -> None:
        """Whatever picked the theme (palette, keys), remember it in config.toml."""
        from intercom_tui.config import ConfigError, load_settings, save_settings

        if theme.name == self.settings.theme:
            return
        self.settings = self.settings._replace(theme=theme.name)
        try:
            save_settings(load_settings()._replace(theme=theme.name))
        except (OSError, ConfigError) as exc:
            self.notify(f"Theme not saved: {exc}", severity="warning")

    @work(exclusive=True, group="profile", exit_on_error=False)
    async def switch_profile(self, name: str) -> None:
        """Open another workspace in place: new service, fresh inbox screen."""
        from intercom_tui.service.session import SessionOptions, open_session_async

        service, notices = await open_session_async(self.settings, SessionOptions(profile=name))
        old = self.service
        self.workers.cancel_group(self, "sync")
        self.workers.cancel_group(self, "outbox")
        await old.aclose()
        self.service = service
        service.listeners.append(self._service_listener)
        service.cache.defer_checkpoints()  # as on_mount did for the first one
        from intercom_tui.ui.screens.inbox import InboxScreen

        while len(self.screen_stack) > 1:  # back to the inbox, which reads app.service
            self.pop_screen()
        inbox = self.screen
        if isinstance(inbox, InboxScreen):
            inbox.switch_view("open")
            inbox.refresh_counts()
        for notice in notices:
            self.notify(notice, severity="warning")
        self.notify(f"Switched to profile {name!r}")
        if self._background and not service.offline:
            self.connect_and_sync()
            self.run_outbox()

    def _fatal_error(self) -> None:
        """A crash report without local variables.

        Textual's default prints every frame's locals, which here hold conversation
        content and connection objects: a bug report must not carry either.
        """
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    async def action_quit(self) -> None:
        await self.service.aclose()
        self.exit(0)


def _copy(message: ServiceEvent | SyncStatus) -> ServiceEvent | SyncStatus:
    """A message instance can be delivered once; each screen gets its own."""
    if isinstance(message, ServiceEvent):
        return ServiceEvent(message.event)
    return SyncStatus(message.progress, message.error)
