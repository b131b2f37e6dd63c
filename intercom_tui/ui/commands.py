"""Command palette (``ctrl+p``): every action, view, saved search and profile.

Actions are found through the bindings of the screen underneath, so the palette shows
each with its (possibly remapped) key and never lists something the screen cannot do.
Conversation ids typed as a number offer "Open conversation #ID". Themes come from
Textual's own "Change theme" command; the app persists whichever is picked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from intercom_tui.render.safe import clean_line

if TYPE_CHECKING:
    from intercom_tui.ui.app import InboxApp


@dataclass(frozen=True, slots=True)
class Entry:
    label: str
    help: str
    run: Callable[[], object]


class InboxCommands(Provider):
    """Everything the keyboard can do, searchable by name."""

    @property
    def inbox_app(self) -> InboxApp:
        return self.app  # type: ignore[return-value]

    def _entries(self) -> list[Entry]:
        app = self.inbox_app
        screen = self.screen
        entries: list[Entry] = []
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            shown = app.get_key_display(binding) if key else ""
            entries.append(
                Entry(
                    binding.description,
                    f"key: {shown}",
                    partial(screen.run_action, binding.action, screen),
                )
            )
        from intercom_tui.ui.screens.inbox import InboxScreen

        inbox = next((s for s in app.screen_stack if isinstance(s, InboxScreen)), None)
        if inbox is not None:
            for view in app.service.views:
                entries.append(
                    Entry(
                        f"View: {view.name}",
                        view.group,
                        partial(_go_to_view, app, inbox, view.key),
                    )
                )
        if not app.service.offline:
            entries.append(
                Entry("New conversation as a contact", "start one", partial(_new_conversation, app))
            )
        for name in sorted(app.settings.profiles):
            entries.append(
                Entry(
                    f"Switch profile: {clean_line(name, 40)}",
                    "workspace",
                    partial(app.switch_profile, name),
                )
            )
        return entries

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(entry.label, entry.run, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        number = query.strip().lstrip("#")
        if number.isdigit():
            yield Hit(
                1.0,
                Content(f"Open conversation #{number}"),
                partial(self.inbox_app.open_conversation, number),
                help="by id",
            )
        for entry in self._entries():
            score = matcher.match(entry.label)
            if score > 0:
                # Labels can hold API strings (views named after tags): never parse as markup.
                yield Hit(score, _highlight(matcher, entry.label), entry.run, help=entry.help)


def _highlight(matcher, label: str) -> Content:  # type: ignore[no-untyped-def]
    from intercom_tui.ui.fuzzy import fuzzy_filter

    (_, content), *_ = fuzzy_filter(matcher.query, [label], str) or [(label, Content(label))]
    return content


def _go_to_view(app: InboxApp, inbox: object, key: str) -> None:
    while app.screen is not inbox and len(app.screen_stack) > 1:
        app.pop_screen()
    inbox.switch_view(key)  # type: ignore[attr-defined]


def _new_conversation(app: InboxApp) -> None:
    from intercom_tui.ui.screens.new_conversation import NewConversation, contact_picker

    def picked(choice: object) -> None:
        if choice is not None:
            app.push_screen(NewConversation(choice))  # type: ignore[arg-type]

    if not app.service.directory.contacts:
        app.service.load_contacts()
    app.push_screen(contact_picker(app.service), picked)
