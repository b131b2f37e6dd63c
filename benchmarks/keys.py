"""Keypress -> frame in the inbox list at a million cached conversations.

Each key's check is what proves the key took effect on screen, not just "some frame":
``j`` the new cursor row redrawn (with the right conversation in it), ``G`` the last
conversation drawn on the bottom line, page down the conversation 32 rows further drawn on
the top line, a view switch the new view's first row and the status line's new count, a
filter character the status line showing the filter and the filtered count. See
``session.InboxSession.press`` for where the clock starts and stops.
"""

from __future__ import annotations

from benchmarks.caches import synthetic_home
from benchmarks.ptyrun import Check
from benchmarks.results import Figure, KeyTiming, Log, Settings, latency_figure
from benchmarks.session import InboxSession, all_of, contact, list_row, status_has
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


def _filter_checks(inbox: InboxSession, word: str) -> list[tuple[str, Check]]:
    """Per character of ``word``: what the screen shows once that prefix is applied."""
    checks = []
    for end in range(1, len(word) + 1):
        prefix = word[:end]
        total = inbox.count("open", prefix)
        status = status_has(f"· {total:,} · filter “{prefix}”")
        if total:
            first = inbox.items("open", 0, 1, prefix)[0]
            checks.append((prefix[-1], all_of(status, row_shows(LIST_TOP, contact(first)))))
        else:
            checks.append((prefix[-1], status))
    return checks


def filter_chars(inbox: InboxSession, words: int) -> list[KeyTiming]:
    """``/``, then a word one character at a time (each a new query), then ``escape``."""
    samples = []
    for word in FILTER_WORDS[:words]:
        checks = _filter_checks(inbox, word)
        inbox.type("/", lambda s: s.find("Filter this view") is not None, "the filter box")
        for char, check in checks:
            samples.append(inbox.press(char, check, "the filtered list"))
        inbox.type("escape", lambda s: s.find("filter “") is None, "no filter")
    return samples


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
            ("filter: a typed character", filter_chars, min(len(FILTER_WORDS), max(1, r // 5))),
        ):
            samples = measure(inbox, presses)
            figure = latency_figure(f"{name}, {n:,} cached", samples)
            log(f"  {figure.name}: {figure.value}")
            figures.append(figure)
    return figures
