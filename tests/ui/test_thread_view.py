"""ThreadView: streaming layout, anchoring, the look of parts, hostile content, resizing."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.strip import Strip

from intercom_tui.api.models import Conversation, Part
from intercom_tui.render.html import parse_html
from intercom_tui.ui.document import render_document
from intercom_tui.ui.format import NameMap
from intercom_tui.ui.widgets.thread_view import ThreadView

DATA = Path(__file__).resolve().parents[1] / "data" / "seed_conversation.json"
STYLES = Path(__file__).resolve().parents[2] / "intercom_tui" / "ui" / "styles"
#: "Now" for every relative time here: three hours after the seed's first part.
NOW = 1663597223 + 3 * 3600
NAMES = NameMap(
    admins={"991267526": "Ada Lovelace", "274": "Operator Bot"},
    teams={"5017691": "Billing"},
    contacts={"5ba682d23d7cf92bef87bfd4": "Grace Hopper"},
)


pytestmark = pytest.mark.usefixtures("utc")


def seed() -> dict[str, Any]:
    return json.loads(DATA.read_text("utf-8"))


def part(
    id: str,
    body: str = "",
    *,
    part_type: str = "comment",
    at: int = 1663597300,
    author: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "conversation_part",
        "id": id,
        "part_type": part_type,
        "body": body,
        "created_at": at,
        "author": author or {"type": "admin", "id": "991267526", "name": "Ada"},
        "redacted": False,
        **extra,
    }


CONTACT = {"type": "user", "id": "5ba682d23d7cf92bef87bfd4", "name": "Grace"}


def conversation(parts: list[dict[str, Any]], **changes: Any) -> Conversation:
    data = seed()
    data["conversation_parts"]["conversation_parts"] = parts
    data.update(changes)
    return Conversation.from_api(data)


def long_thread(count: int = 500) -> Conversation:
    parts = []
    for i in range(count):
        author = CONTACT if i % 2 else None
        kind = "note" if i % 7 == 3 else "comment"
        body = f"<p>part {i:03d} body</p>" + ("<p>second paragraph</p>" if i % 3 == 0 else "")
        at = 1663500000 + 60 * i
        parts.append(part(str(1000 + i), body, part_type=kind, at=at, author=author))
    return conversation(parts)


@dataclass
class PendingReply:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


class ThreadApp(App[None]):
    CSS_PATH = [STYLES / "conversation.tcss"]

    def __init__(self) -> None:
        super().__init__()
        self.rendered: list[int] = []

    def compose(self) -> ComposeResult:
        yield ThreadView(clock=lambda: NOW)

    def on_thread_view_rendered(self, message: ThreadView.Rendered) -> None:
        self.rendered.append(message.count)


async def wait_rendered(pilot: Pilot[None], count: int = 1) -> None:
    app = pilot.app
    assert isinstance(app, ThreadApp)
    for _ in range(5000):
        if len(app.rendered) >= count:
            return
        await pilot.pause()
    raise AssertionError("ThreadView.Rendered was never posted")


def screen_strips(view: ThreadView) -> list[Strip]:
    return [view.render_line(y) for y in range(view.scrollable_content_region.height)]


def screen(view: ThreadView) -> list[str]:
    return [strip.text.rstrip() for strip in screen_strips(view)]


async def shown(pilot: Pilot[None], conv: Conversation) -> ThreadView:
    view = pilot.app.query_one(ThreadView)
    view.show(conv, names=NAMES)
    await wait_rendered(pilot)
    await pilot.pause()
    return view


# --------------------------------------------------------------------------- streaming
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_first_screen_comes_before_the_rest(size: tuple[int, int]) -> None:
    app = ThreadApp()
    async with app.run_test(size=size) as pilot:
        view = app.query_one(ThreadView)
        view.show(long_thread(), names=NAMES)
        # Synchronously after show(): the bottom is laid out and drawable, the rest is not.
        assert view.rendered_count < 500
        assert view.part_count == 500
        first_screen = screen(view)
        assert any("part 499 body" in line for line in first_screen)
        assert view.is_anchored

        await wait_rendered(pilot)
        assert app.rendered == [500]
        assert view.rendered_count == 500
        text = view.text
        positions = [text.index(f"part {i:03d} body") for i in range(500)]
        assert positions == sorted(positions)
        assert text.index("Hey there!") < positions[0]  # the opening message comes first
        # Still pinned to the bottom once the older parts streamed in above.
        assert view.scroll_y == view.max_scroll_y
        assert screen(view) == first_screen
        # The batches grew the view without laying out the screen; its scrollbar knows.
        assert view.virtual_size.height == view.line_count
        assert view.vertical_scrollbar.window_virtual_size == view.line_count


async def test_streaming_keeps_the_lines_the_reader_looks_at() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ThreadView)
        view.show(long_thread(), names=NAMES)
        for _ in range(5):  # the reader scrolls up before older parts stream in
            view.action_scroll_up()
        assert not view.is_anchored
        assert view.rendered_count < 500
        looking_at = screen(view)
        await wait_rendered(pilot)
        assert view.rendered_count == 500
        assert screen(view) == looking_at


async def test_streaming_under_the_bottom_it_follows_repaints_once() -> None:
    """Older parts laid out above the followed bottom change nothing on screen, so they
    go in at once at the end: a repaint per batch sent the same screen again each time
    (~10 KB to the terminal per batch, 20 batches here)."""
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ThreadView)
        view.show(long_thread(), names=NAMES)
        first_screen = screen(view)
        repaints: list[int] = []
        refresh = view.refresh
        view.refresh = lambda *a, **k: (repaints.append(1), refresh(*a, **k))[1]  # type: ignore[method-assign]
        await wait_rendered(pilot)
        assert view.rendered_count == 500 and view.is_anchored
        assert view.line_count == view.virtual_size.height
        assert screen(view) == first_screen
        assert len(repaints) <= 3


async def test_the_wheel_right_after_opening_scrolls_a_whole_notch() -> None:
    """Rows set aside above the followed bottom go in before the wheel scrolls, which
    Textual clamps to the rows in the view (one line, with the first screen alone)."""
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ThreadView)
        view.show(long_thread(), names=NAMES)
        view._stream_batch(view._epoch)  # one batch of older parts, by hand: set aside
        assert view.line_count == view.scrollable_content_region.height + 1
        wheel = events.MouseScrollUp(view, 1, 1, 0, -1, 0, False, False, False)
        view.post_message(wheel)
        await pilot.pause()
        assert view.max_scroll_y - view.scroll_y == app.scroll_sensitivity_y
        assert not view.is_anchored


async def test_home_lays_out_everything_and_shows_the_start() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ThreadView)
        view.show(long_thread(), names=NAMES)
        await pilot.press("g")
        assert view.rendered_count == 500
        assert view.scroll_y == 0
        assert "Ada Lovelace · admin · message" in screen(view)[0]
        await pilot.press("G")
        assert view.is_anchored
        assert any("part 499 body" in line for line in screen(view))


# --------------------------------------------------------------------------- anchoring
async def test_append_parts_follows_the_bottom() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot, long_thread(40))
        view.append_parts([Part.from_api(part("new-1", "<p>fresh reply</p>", at=NOW))])
        await pilot.pause()
        assert view.is_anchored
        assert view.scroll_y == view.max_scroll_y
        assert any("fresh reply" in line for line in screen(view))
        assert view.part_count == 41


async def test_append_parts_leaves_a_reader_who_scrolled_up_alone() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot, long_thread(40))
        await pilot.press("pageup")
        assert not view.is_anchored
        scroll_y, looking_at = view.scroll_y, screen(view)
        view.append_parts([Part.from_api(part("new-1", "<p>fresh reply</p>", at=NOW))])
        await pilot.pause()
        assert view.scroll_y == scroll_y
        assert screen(view) == looking_at
        assert "fresh reply" in view.text
        await pilot.press("end")
        assert view.is_anchored
        assert any("fresh reply" in line for line in screen(view))


async def test_append_parts_ignores_parts_already_shown() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        conv = long_thread(5)
        view = await shown(pilot, conv)
        lines = view.line_count
        view.append_parts(conv.parts[-2:])
        assert view.line_count == lines
        assert view.part_count == 5


async def test_update_parts_redraws_changed_parts_and_appends_new_ones() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot, long_thread(5))
        parts = [copy.deepcopy(p.raw) for p in long_thread(5).parts]
        parts[4]["redacted"] = True
        parts.append(part("2000", "<p>the newest</p>", at=NOW))
        view.update_parts(conversation(parts))
        await pilot.pause()
        text = view.text
        assert "part 004 body" not in text
        assert "[redacted]" in text
        assert text.count("the newest") == 1
        assert view.part_count == 6
        assert view.is_anchored


async def test_pending_messages_sit_below_the_parts_until_sent() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot, long_thread(3))
        view.set_pending([PendingReply("reply", {"body": "<p>on its way</p>"})])
        await pilot.pause()
        bottom = screen(view)
        assert any("You · admin · comment · sending…" in line for line in bottom)
        assert view.text.rstrip().endswith("on its way")
        assert view.part_count == 3

        view.append_parts([Part.from_api(part("3000", "<p>from the server</p>", at=NOW))])
        text = view.text
        assert text.index("from the server") < text.index("on its way")

        view.set_pending([])
        assert "on its way" not in view.text
        assert view.text.rstrip().endswith("from the server")


# ------------------------------------------------------------------------------- look
async def test_header_names_the_author_kind_type_and_time() -> None:
    app = ThreadApp()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = conversation(
            [
                part("1", "<p>Hello</p>", at=NOW - 3 * 3600 - 60),
                part("2", "<p>Hi back</p>", author=CONTACT, at=NOW - 600),
                part(
                    "3",
                    "<p>beep</p>",
                    author={"type": "bot", "id": "274", "name": "Fin"},
                    at=NOW - 300,
                ),
            ]
        )
        view = await shown(pilot, conv)
        text = view.text
        assert "Ada Lovelace · admin · comment · 3h ago (Sep 19 14:19)" in text
        assert "Grace Hopper · contact · comment · 10m ago (Sep 19 17:10)" in text
        assert "Operator Bot · bot · comment · 5m ago" in text


async def test_notes_are_marked_and_tinted() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        conv = conversation(
            [
                part("1", "<p>public answer</p>"),
                part("2", "<p>internal only</p>", part_type="note"),
            ]
        )
        view = await shown(pilot, conv)
        strips = screen_strips(view)
        lines = [s.text for s in strips]
        note = next(i for i, line in enumerate(lines) if "internal only" in line)
        comment = next(i for i, line in enumerate(lines) if "public answer" in line)
        assert lines[note].startswith(" ▌ ")
        assert "· Note ·" in lines[note - 1] and lines[note - 1].startswith(" ▌ ")
        assert lines[comment].startswith(" ▎ ")

        def background(strip: Strip, x: int) -> object:
            cells = 0
            for segment in strip:
                cells += len(segment.text)
                if cells > x and segment.style is not None:
                    return segment.style.bgcolor
            raise AssertionError("no segment at that column")

        assert background(strips[note], 5) != background(strips[comment], 5)


async def test_system_parts_are_one_line_each() -> None:
    app = ThreadApp()
    async with app.run_test(size=(100, 30)) as pilot:
        events = [
            part("1", "<p>Can you help?</p>", author=CONTACT, at=NOW - 4 * 3600),
            part(
                "2",
                part_type="assignment",
                assigned_to={"type": "team", "id": "5017691"},
                at=NOW - 2 * 3600,
            ),
            part("3", part_type="snoozed", snoozed_until=NOW + 3600, at=NOW - 2 * 3600),
            part("4", part_type="open", at=NOW - 3600),
            part("5", part_type="close", at=NOW),
            part("6", part_type="participant_added"),
            part("7", part_type="assignment", assigned_to={"type": "nobody_admin", "id": "0"}),
        ]
        view = await shown(pilot, conversation(events))
        lines = view.text.split("\n")
        system = [line for line in lines if line.startswith(" — ")]
        assert system == [
            " — Ada Lovelace assigned to Billing · 2h ago",
            " — Snoozed by Ada Lovelace until Sep 19 18:20 · 2h ago",
            " — Reopened by Ada Lovelace · 1h ago",
            " — Closed by Ada Lovelace · just now",
            " — Ada Lovelace added a participant · 2h ago",
            " — Ada Lovelace unassigned · 2h ago",
        ]
        first = lines.index(system[0])
        assert lines[first - 1] == ""  # set apart from the message above...
        assert lines[first + 1 : first + 6] == system[1:]  # ...but not from each other


async def test_attachments_are_listed_under_the_body() -> None:
    app = ThreadApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await shown(pilot, conversation([]))
        text = view.text.split("\n")
        body = next(i for i, line in enumerate(text) if "Hey there!" in line)
        assert "📎 example.png (12 KB) https://picsum.photos/200/300" in text[body + 1]


async def test_hostile_content_is_shown_not_obeyed() -> None:
    evil = "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J\x9b31m"
    app = ThreadApp()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = conversation(
            [
                part(
                    "1",
                    f"<p>{evil}[bold red]X[/] and [link=https://x]y[/link]</p>",
                    author={"type": "user", "id": "nobody", "name": f"Eve{evil}[b]Mallory[/b]"},
                    attachments=[{"name": f"inv{evil}oice.pdf", "url": "https://e.x/a"}],
                )
            ],
            title=f"T{evil}",
        )
        view = await shown(pilot, conv)
        strips = screen_strips(view)
        text = "\n".join(strip.text for strip in strips)
        segment_text = "".join(seg.text for strip in strips for seg in strip)
        for output in (text, segment_text, view.text):
            assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output
        assert "[bold red]X[/] and [link=https://x]y[/link]" in text
        assert "Eve[b]Mallory[/b] · contact" in text
        assert "invoice.pdf" in text
        assert evil in conv.parts[0].body  # the model keeps the raw data


async def test_resize_rewraps_and_stays_at_the_bottom() -> None:
    words = " ".join(f"word{i}" for i in range(120))
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        conv = conversation([part(str(i), f"<p>{words}</p>") for i in range(6)])
        view = await shown(pilot, conv)
        narrow = view.line_count
        await pilot.resize_terminal(160, 48)
        await wait_rendered(pilot, 2)
        await pilot.pause()
        wide = view.line_count
        assert wide < narrow
        assert view.is_anchored
        assert any("word119" in line for line in screen(view))
        assert max(len(line) for line in screen(view)) > 100


async def test_preformatted_lines_are_cropped_not_wrapped() -> None:
    code = "x = " + "1 + " * 60 + "1"
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot, conversation([part("1", f"<pre>{code}</pre>")]))
        line = next(line for line in screen(view) if "x = 1 + 1" in line)
        assert len(line) <= 80
        assert sum("x = 1 + 1" in line for line in view.text.split("\n")) == 1
        assert view.virtual_size.width > 80  # scrolls sideways instead
        await pilot.press("l", "l")
        assert view.scroll_x == 8


async def test_keys_scroll_by_line_and_page() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot, long_thread(40))
        view.focus()
        bottom = view.scroll_y
        await pilot.press("k")
        assert view.scroll_y == bottom - 1
        await pilot.press("j")
        assert view.scroll_y == bottom
        await pilot.press("pageup")
        assert view.scroll_y == bottom - view.scrollable_content_region.height
        await pilot.press("space")
        assert view.scroll_y == bottom
        ids = {b.id for b in ThreadView.BINDINGS if hasattr(b, "id")}
        assert {"thread.down", "thread.up", "thread.top", "thread.bottom"} <= ids


async def test_a_theme_change_recolours_cached_lines() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot, conversation([part("1", "<p>note</p>", part_type="note")]))
        row = next(y for y, line in enumerate(screen(view)) if "note" in line and "▌" in line)

        def note_style() -> object:
            return next(seg.style for seg in view.render_line(row) if "note" in seg.text)

        before = note_style()
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        assert note_style() != before


async def test_clear_shows_nothing() -> None:
    app = ThreadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await shown(pilot, long_thread(5))
        view.clear()
        assert view.line_count == 0 and view.part_count == 0
        assert all(not line for line in screen(view))


# --------------------------------------------------------------------- body layout
def test_document_layout_links_lists_quotes_code() -> None:
    html = (
        '<p>See <a href="https://example.com/docs">the docs</a> now</p>'
        "<ul><li>first item is long enough to wrap onto a second line here</li></ul>"
        "<blockquote><p>quoted words</p></blockquote>"
        "<pre>def f():\n    return 1</pre>"
    )
    lines = render_document(parse_html(html), 40)
    text = [line.plain for line in lines]
    assert text[0].startswith("See the docs (https://example.com/docs)")
    link = lines[0]
    assert any("underline" in str(span.style) for span in link.spans)
    bullet = next(i for i, line in enumerate(text) if line.startswith("• first"))
    assert text[bullet + 1].startswith("  ") and not text[bullet + 1].startswith("   ")
    assert any(line.startswith("│ quoted words") for line in text)
    assert " def f():     " in text
    assert "     return 1 " in text
    assert all(len(line) <= 40 for line in text)
