"""Keypress -> changed row on screen for close, snooze and tag, at a million cached.

Run on a throw-away copy of the cache (they change conversations). Close (``c``) and
snooze (``z``, then ``enter`` on "In 1 hour": the measured key) take the top conversation
out of the Open view: the check is the next conversation drawn on the top row and the
status line's count one lower. Tag: ``t``, then ``vip`` and ``enter`` (the measured key)
toggle the tag on the top conversation, on and off in turn: the check is the top row drawn
with (or without) the tag in its tags column, which stays visible above the tag editor.
"""

from __future__ import annotations

from benchmarks.caches import remove, scratch_copy, synthetic_home
from benchmarks.keys import to_top
from benchmarks.ptyrun import Check
from benchmarks.results import Figure, KeyTiming, Log, Settings, latency_figure
from benchmarks.session import InboxSession, all_of, contact, status_has
from benchmarks.startup import LIST_TOP, row_shows
from intercom_tui.service.directory import ListItem

#: Tag names tried for the toggle: the first that the top row does not have and that
#: still fits the tags column (22 cells at 120 columns) next to the row's own tags.
TAG_CANDIDATES = ("vip", "sso", "docs", "beta")
TAGS_CELLS = 22


def _next_row_check(inbox: InboxSession) -> Check:
    """The top conversation is gone from Open: the next one on top, the count one less."""
    following = inbox.items("open", 1, 1)[0]
    return all_of(
        status_has(f"Open · {inbox.count('open') - 1:,}"),
        row_shows(LIST_TOP, contact(following)),
    )


def close(inbox: InboxSession, presses: int) -> list[KeyTiming]:
    to_top(inbox)
    return [inbox.press("c", _next_row_check(inbox), "the next row") for _ in range(presses)]


def snooze(inbox: InboxSession, presses: int) -> list[KeyTiming]:
    to_top(inbox)
    samples = []
    for _ in range(presses):
        check = _next_row_check(inbox)
        inbox.type("z", lambda s: s.find("Snooze until") is not None, "the snooze picker")
        gone = lambda s: s.find("Snooze until") is None  # noqa: E731
        samples.append(inbox.press("enter", all_of(check, gone), "the next row"))
    return samples


def _taggable_top(inbox: InboxSession) -> tuple[ListItem, str]:
    """The top conversation and a tag for it; tops with no candidate that fits are closed
    first (untimed), so any number of presses before this finds one."""
    for _ in range(100):
        top = inbox.items("open", 0, 1)[0]
        for name in TAG_CANDIDATES:
            if name not in top.tags and len(", ".join((*top.tags, name))) <= TAGS_CELLS:
                return top, name
        inbox.press("c", _next_row_check(inbox), "the next row")
    raise RuntimeError("no conversation near the top of Open to toggle a tag on")


def tag_toggle(inbox: InboxSession, presses: int) -> list[KeyTiming]:
    to_top(inbox)
    top, name = _taggable_top(inbox)
    on = row_shows(LIST_TOP, ", ".join((*top.tags, name)))
    off = all_of(row_shows(LIST_TOP, contact(top)), lambda s: name not in s.line(LIST_TOP))
    editor = f"Tags · #{top.id}"
    inbox.type("t", lambda s: s.find(editor) is not None, "the tag editor")
    samples = []
    for i in range(presses):
        for char in name:  # enter clears the filter: type the name again each time
            inbox.type(char, lambda s: True, "the filter")
        samples.append(inbox.press("enter", off if i % 2 else on, "the (un)tagged row"))
    inbox.type("escape", lambda s: s.find(editor) is None, "the list")
    return samples


def run(settings: Settings, log: Log = print) -> list[Figure]:
    n = settings.largest
    log(f"triage: keypress -> changed row at {n:,} cached (on a copy of the cache)")
    home = scratch_copy(synthetic_home(n, log), log)
    r = max(4, settings.key_repeats // 2)
    figures = []
    try:
        with InboxSession(home) as inbox:
            for name, measure in (
                ("close (c)", close),
                ("snooze (z, enter)", snooze),
                ("tag toggle (t, enter)", tag_toggle),
            ):
                figure = latency_figure(f"{name}, {n:,} cached", measure(inbox, r))
                log(f"  {figure.name}: {figure.value}")
                figures.append(figure)
    finally:
        remove(home)
    return figures
