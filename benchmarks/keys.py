"""Keypress -> frame in the inbox list at a million cached conversations.

Each key's check is what proves the key took effect on screen, not just "some frame":
``j`` the new cursor row redrawn (with the right conversation in it), ``G`` the last
conversation drawn on the bottom line, page down the conversation 32 rows further drawn on
the top line, a view switch the new view's first row and the status line's new count, a
filter character the first match on top with the status line showing the filter (its
count may still be "counting…"), and then, as a second figure, the exact count. See
``session.InboxSession.press`` for where the clock starts and stops.
"""

from __future__ import annotations

import dataclasses

from benchmarks.caches import synthetic_home
from benchmarks.ptyrun import Check
from benchmarks.results import Figure, KeyTiming, Log, Settings, latency_figure
from benchmarks.session import InboxSession, all_of, contact, key_bytes, list_row, status_has
from benchmarks.startup import LIST_HEIGHT, LIST_TOP, row_shows

#: Typed one character at a time into the filter box, a new word each time (the app
#: remembers counts per filter, so a repeated word would measure that memory); all are
#: words of the synthetic data, so every prefix has matches.
FILTER_WORDS = ("refund", "invoice", "payment", "login", "export", "timeout", "webhook", "account")
LAST_ROW = LIST_TOP + LIST_HEIGHT - 1
PAGE = LIST_HEIGHT - 1  # page down keeps one row of context


def to_top(inbox: InboxSession) -> None:
    first = inbox.items("open", 0, 1)[0]
    inbox.type("g", lambda s: contact(first) in s.line(LIST_TOP), "the first row")


def cursor_down(inbox: InboxSession, presses: int) -> list[KeyTiming]:
    """``j`` from the top: first within the page, then scrolling one row per key."""
    to_top(inbox)
    items = inbox.items("open", 0, presses + 1)
    samples = []
    for cursor in range(1, presses + 1):
        top = max(0, cursor - (LIST_HEIGHT - 1))
        row = list_row(cursor, top)
        samples.append(inbox.press("j", row_shows(row, contact(items[cursor])), "cursor row"))
    return samples


def last_row(inbox: InboxSession, presses: int) -> list[KeyTiming]:
    total = inbox.count("open")
    last = inbox.items("open", total - 1, 1)[0]
    samples = []
    for _ in range(presses):
        to_top(inbox)
        samples.append(inbox.press("G", row_shows(LAST_ROW, contact(last)), "the last row"))
    return samples


def page_down(inbox: InboxSession, presses: int) -> list[KeyTiming]:
    to_top(inbox)
    items = inbox.items("open", 0, PAGE * presses + 1)
    samples = []
    for page in range(1, presses + 1):
        check = row_shows(LIST_TOP, contact(items[PAGE * page]))
        samples.append(inbox.press("pagedown", check, f"page {page}"))
    return samples


def _view_check(inbox: InboxSession, key: str, name: str) -> Check:
    first = inbox.items(key, 0, 1)[0]
    return all_of(status_has(f"{name} · {inbox.count(key):,}"), row_shows(LIST_TOP, contact(first)))


def view_switch(inbox: InboxSession, presses: int) -> list[KeyTiming]:
    """``2`` (Mine) and ``1`` (Open) in turn."""
    to_top(inbox)
    mine, open_ = _view_check(inbox, "mine", "Mine"), _view_check(inbox, "open", "Open")
    samples = []
    for i in range(presses):
        key, check = ("2", mine) if i % 2 == 0 else ("1", open_)
        samples.append(inbox.press(key, check, "the other view"))
    if presses % 2:
        inbox.type("1", open_, "the Open view")
    return samples


@dataclasses.dataclass(frozen=True, slots=True)
class FilterStep:
    """One typed character: the frame showing its matches, and the one with their count."""

    char: str
    rows: Check
    counted: Check


def _filter_steps(inbox: InboxSession, word: str) -> list[FilterStep]:
    """Per character of ``word``: what the screen shows once that prefix is applied."""
    steps = []
    for end in range(1, len(word) + 1):
        prefix = word[:end]
        total = inbox.count("open", prefix)
        named = status_has(f" · filter “{prefix}”")  # the closing quote: not an older prefix
        counted = status_has(f"· {total:,} · filter “{prefix}”")
        if total:
            top = row_shows(LIST_TOP, contact(inbox.items("open", 0, 1, prefix)[0]))
            named, counted = all_of(named, top), all_of(counted, top)
        steps.append(FilterStep(prefix[-1], named, counted))
    return steps


def _filter_key(inbox: InboxSession, step: FilterStep) -> tuple[KeyTiming, KeyTiming]:
    """Like ``InboxSession.press``, with two stops: the matches, then the exact count
    (the same frame when the count came with the rows)."""
    proc = inbox.proc
    cpu = proc.cpu_seconds()
    sent = proc.send(key_bytes(step.char))
    shown = proc.wait_for(step.rows, timeout=30, what=f"the filtered list after {step.char!r}")
    shown_cpu = proc.cpu_seconds()
    counted, counted_cpu = shown, shown_cpu
    if not step.counted(proc.screen):
        counted = proc.wait_for(step.counted, timeout=30, what=f"the count after {step.char!r}")
        counted_cpu = proc.cpu_seconds()
    proc.settle()
    return KeyTiming(shown - sent, shown_cpu - cpu), KeyTiming(counted - sent, counted_cpu - cpu)


def filter_chars(inbox: InboxSession, words: int) -> tuple[list[KeyTiming], list[KeyTiming]]:
    """``/``, then a word one character at a time (each a new query), then ``escape``."""
    rows, counts = [], []
    for word in FILTER_WORDS[:words]:
        steps = _filter_steps(inbox, word)
        inbox.type("/", lambda s: s.find("Filter this view") is not None, "the filter box")
        for step in steps:
            shown, counted = _filter_key(inbox, step)
            rows.append(shown)
            counts.append(counted)
        inbox.type("escape", lambda s: s.find("filter “") is None, "no filter")
    return rows, counts


def run(settings: Settings, log: Log = print) -> list[Figure]:
    n = settings.largest
    home = synthetic_home(n, log)
    r = settings.key_repeats
    log(f"keys: keypress -> frame at {n:,} cached (offline inbox in a pty)")
    figures = []
    with InboxSession(home) as inbox:
        for name, measure, presses in (
            ("j (cursor down)", cursor_down, 2 * r),
            ("G (last row)", last_row, max(3, r // 2)),
            ("page down", page_down, max(3, r // 2)),
            ("view switch (2 / 1)", view_switch, max(4, r // 2)),
        ):
            samples = measure(inbox, presses)
            figures.append(latency_figure(f"{name}, {n:,} cached", samples))
            log(f"  {figures[-1].name}: {figures[-1].value}")
        rows, counts = filter_chars(inbox, min(len(FILTER_WORDS), max(1, r // 5)))
        figures.append(latency_figure(f"filter: a typed character → rows, {n:,} cached", rows))
        log(f"  {figures[-1].name}: {figures[-1].value}")
        counted = latency_figure(f"filter: a typed character → count, {n:,} cached", counts)
        # The count comes from a worker after the rows: reported, the rows carry the target.
        figures.append(dataclasses.replace(counted, target="reported", ratio=None, ok=None))
        log(f"  {figures[-1].name}: {figures[-1].value}")
    return figures
