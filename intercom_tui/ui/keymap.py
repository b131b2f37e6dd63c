"""Checking a user keymap before Textual applies it.

Textual's ``App.set_keymap`` silently ignores unknown binding ids and lets two bindings
of one screen share a key. Both are easy mistakes in a config file, so we say so at
start-up, in one notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding


def _binding_scopes() -> dict[str, list[Binding]]:
    """Every binding with an id, grouped by where it is active."""
    from intercom_tui.ui.app import InboxApp
    from intercom_tui.ui.screens.compose import ComposeScreen, ConfirmDiscard
    from intercom_tui.ui.screens.conversation import ConversationScreen
    from intercom_tui.ui.screens.help import HelpScreen
    from intercom_tui.ui.screens.inbox import InboxScreen
    from intercom_tui.ui.screens.new_conversation import NewConversation
    from intercom_tui.ui.screens.pickers import Picker
    from intercom_tui.ui.screens.tag_editor import TagEditor
    from intercom_tui.ui.widgets.conversation_list import ConversationList
    from intercom_tui.ui.widgets.thread_view import ThreadView

    def ids(*classes: type) -> list[Binding]:
        found: dict[str, Binding] = {}
        for cls in classes:
            for klass in cls.__mro__:  # Textual merges inherited BINDINGS at runtime
                for b in klass.__dict__.get("BINDINGS", []):
                    if isinstance(b, Binding) and b.id:
                        found.setdefault(b.id, b)
        return list(found.values())

    app = ids(InboxApp)
    return {
        "inbox": app + ids(InboxScreen, ConversationList),
        "conversation": app + ids(ConversationScreen, ThreadView),
        "compose": ids(ComposeScreen),
        "tag editor": ids(TagEditor),
        "pickers": ids(Picker),
        "confirm": ids(ConfirmDiscard),
        "help": ids(HelpScreen),
        "new conversation": ids(NewConversation),
    }


def binding_ids() -> set[str]:
    return {b.id for scope in _binding_scopes().values() for b in scope if b.id}


def _keys(spec: str) -> list[str]:
    return [k.strip() for k in spec.split(",") if k.strip()]


def check_keymap(keymap: Mapping[str, str]) -> list[str]:
    """Problems with ``keymap`` in plain words; empty when it is fine."""
    if not keymap:
        return []
    problems: list[str] = []
    known = binding_ids()
    unknown = sorted(set(keymap) - known)
    if unknown:
        problems.append(f"unknown binding ids {', '.join(unknown)}")
    for scope, bindings in _binding_scopes().items():
        problems += _conflicts(scope, bindings, keymap)
    return problems


def _conflicts(scope: str, bindings: Iterable[Binding], keymap: Mapping[str, str]) -> list[str]:
    owner: dict[str, str] = {}
    out: list[str] = []
    for binding in bindings:
        assert binding.id
        keys = _keys(keymap.get(binding.id, binding.key))
        for key in keys:
            other = owner.setdefault(key, binding.id)
            if other != binding.id and (binding.id in keymap or other in keymap):
                out.append(f"'{key}' is bound to both {other} and {binding.id} ({scope})")
    return out
