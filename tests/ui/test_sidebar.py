"""Sidebar: every section of the seed conversation, empty ones hidden, hostile text cleaned,
drawn as titled rules and rows in a column, or two side by side when narrow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult

from intercom_tui.api.models import Conversation
from intercom_tui.ui.format import NameMap
from intercom_tui.ui.widgets.sidebar import SECTIONS, Sidebar

DATA = Path(__file__).resolve().parents[1] / "data" / "seed_conversation.json"
STYLES = Path(__file__).resolve().parents[2] / "intercom_tui" / "ui" / "styles"
NOW = 1663597260 + 2 * 3600
NAMES = NameMap(
    admins={"991267526": "Ada Lovelace", "c3po": "C-3PO"},
    teams={"5017691": "Billing"},
    contacts={"5ba682d23d7cf92bef87bfd4": "Grace Hopper"},
)
EVIL = "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J\x9b31m"


pytestmark = pytest.mark.usefixtures("utc")


def seed() -> dict[str, Any]:
    return json.loads(DATA.read_text("utf-8"))


class SidebarApp(App[None]):
    CSS_PATH = [STYLES / "conversation.tcss"]

    def __init__(self, narrow: bool = False) -> None:
        super().__init__()
        self.narrow = narrow

    def compose(self) -> ComposeResult:
        yield Sidebar(clock=lambda: NOW, classes="-narrow" if self.narrow else None)


async def show(app: SidebarApp, data: dict[str, Any]) -> Sidebar:
    sidebar = app.query_one(Sidebar)
    sidebar.show(Conversation.from_api(data), names=NAMES)
    return sidebar


def visible(sidebar: Sidebar) -> dict[str, str]:
    """Section id -> its text, for the sections on show."""
    sections = (sidebar.section(key) for key, _title, _rows in SECTIONS)
    return {s.key: s.text for s in sections if s.display}


def rendered_text(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_every_section_of_the_seed_conversation() -> None:
    app = SidebarApp()
    async with app.run_test(size=(60, 120)) as pilot:
        sidebar = await show(app, seed())
        await pilot.pause()
        sections = visible(sidebar)
        assert list(sections) == [key for key, _title, _rows in SECTIONS]

        assert "Title Conversation Title" in sections["conversation"]
        assert "State open · priority" in sections["conversation"]
        assert "Read yes" in sections["conversation"]
        assert "Created Sep 19 14:20" in sections["conversation"]
        assert "Waiting 2h · Sep 19 14:21" in sections["conversation"]
        assert "Snoozed" not in sections["conversation"]  # open: the snooze time is stale
        assert "ID 1295" in sections["conversation"]

        assert sections["assignment"] == "Team Billing"  # admin 0 is nobody
        assert "Test tag" in sections["tags"] and "Billing" in sections["tags"]
        assert sections["contacts"] == "Grace Hopper"
        assert sections["teammates"] == "Ada Lovelace"
        assert "Delivered as operator initiated" in sections["source"]
        assert "Author Ada Lovelace · admin" in sections["source"]
        assert "Subject" not in sections["source"]  # empty in the seed

        assert "Rating ★★★★★ 5/5" in sections["rating"]
        assert "Remark" not in sections["rating"]
        assert "Contact Grace Hopper" in sections["rating"]
        assert "Teammate Ada Lovelace" in sections["rating"]
        assert "Rated Dec 14 14:41" in sections["rating"]

        assert sections["sla"] == "Status hit"  # the empty sla_name is not shown

        stats = sections["statistics"]
        assert "To assign 38m" in stats and "Median reply 38m" in stats
        assert "1st contact Sep 19 14:20" in stats
        assert "Closed by C-3PO" in stats
        assert "Reopens 1" in stats and "Parts 1" in stats
        assert "type" not in stats.lower().split()

        assert "URL https://developers.intercom.com/" in sections["first-contact-reply"]
        assert "Type conversation" in sections["first-contact-reply"]
        assert sections["custom-attributes"] == "property1 string\nproperty2 string"
        assert "ticket #7583 · Customer" in sections["linked-objects"]
        assert "99 more not shown" in sections["linked-objects"]

        ai = sections["ai-agent"]
        for expected in (
            "Participated yes",
            "Source workflow",
            "Title My AI Workflow",
            "Last answer ai answer",
            "Resolution assumed resolution",
            "Rating ★★★★☆ 4/5",
            "Remark Very helpful!",
            "Content My internal content snippet · content snippet",
        ):
            assert expected in ai

        screen = rendered_text(app)
        for title in ("Conversation", "Assignment", "Statistics", "AI agent"):
            assert title in screen
        assert "★★★★☆ 4/5" in screen and "Grace Hopper" in screen


async def test_a_minimal_conversation_shows_no_empty_section() -> None:
    data = {"type": "conversation", "id": "7", "created_at": NOW - 60, "updated_at": NOW}
    app = SidebarApp()
    async with app.run_test(size=(60, 60)) as pilot:
        sidebar = await show(app, data)
        await pilot.pause()
        sections = visible(sidebar)
        assert list(sections) == ["conversation", "assignment"]
        assert sections["assignment"] == "Assignee unassigned"
        assert "Title" not in sections["conversation"]
        screen = rendered_text(app)
        for absent in ("None", "Rating", "Statistics", "AI agent", "Tags", "SLA", "{}"):
            assert absent not in screen


async def test_showing_another_conversation_hides_what_it_lacks() -> None:
    app = SidebarApp()
    async with app.run_test(size=(60, 60)) as pilot:
        sidebar = await show(app, seed())
        assert sidebar.section("rating").display
        data = seed()
        for key in ("conversation_rating", "statistics", "ai_agent", "tags", "linked_objects"):
            data.pop(key)
        data["ai_agent_participated"] = False
        await show(app, data)
        await pilot.pause()
        shown = visible(sidebar)
        for key in ("rating", "statistics", "ai-agent", "tags", "linked-objects"):
            assert key not in shown
        screen = rendered_text(app)
        for title in ("─Rating", "─Statistics", "─AI agent", "─Tags", "─Linked objects"):
            assert title not in screen
        assert "─Conversation" in screen


async def test_hostile_strings_are_cleaned_and_never_markup() -> None:
    data = seed()
    data["title"] = f"Refund{EVIL}[red]X[/]"
    data["tags"]["tags"][0]["name"] = f"vip{EVIL}[b]tag[/b]"
    data["custom_attributes"] = {f"key{EVIL}": f"value{EVIL}", "nested": {"a": [1, f"b{EVIL}"]}}
    data["conversation_rating"]["remark"] = f"great{EVIL}\nthanks"
    data["source"]["subject"] = f"Subject{EVIL}"
    names = NameMap(admins={"991267526": f"Ada{EVIL}"}, teams={"5017691": f"Bill{EVIL}ing"})
    app = SidebarApp()
    async with app.run_test(size=(60, 120)) as pilot:
        sidebar = app.query_one(Sidebar)
        sidebar.show(Conversation.from_api(data), names=names)
        await pilot.pause()
        sections = visible(sidebar)
        everything = "\n".join(sections.values())
        screen = rendered_text(app)
        for output in (everything, screen):
            assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output
        assert "Title Refund[red]X[/]" in sections["conversation"]
        assert "vip[b]tag[/b]" in sections["tags"]
        assert "key value" in sections["custom-attributes"]
        assert "nested {a: 1, b}" in sections["custom-attributes"]
        assert "Remark great thanks" in sections["rating"]
        assert sections["assignment"] == "Team Billing"
        assert "Teammate Ada" in sections["rating"]
        assert "Refund[red]X[/]" in screen


async def test_values_wrap_under_the_value_column() -> None:
    data = seed()
    data["title"] = "A rather long conversation title that cannot fit on one sidebar line"
    app = SidebarApp()
    async with app.run_test(size=(60, 60)) as pilot:
        sidebar = await show(app, data)
        await pilot.pause()
        section = sidebar.section("conversation")
        lines = [line.plain for line in section.lines(sidebar.scrollable_content_region.width)]
        title = next(i for i, line in enumerate(lines) if line.startswith("Title"))
        value_column = lines[title].index("A rather")
        assert lines[title + 1][:value_column].strip() == ""
        assert lines[title + 1][value_column:].strip()


async def test_sections_are_a_titled_rule_then_rows_then_a_blank_line() -> None:
    app = SidebarApp()
    async with app.run_test(size=(60, 120)) as pilot:
        sidebar = await show(app, seed())
        await pilot.pause()
        width = sidebar.scrollable_content_region.width
        lines = sidebar.text.split("\n")
        assert lines[0] == "─Conversation".ljust(width, "─")
        conversation = sidebar.section("conversation").lines(width)
        assert lines[1 : 1 + len(conversation)] == [line.plain for line in conversation]
        after = 1 + len(conversation)
        assert lines[after] == ""
        assert lines[after + 1] == "─Assignment".ljust(width, "─")
        titles = [line.strip("─") for line in lines if line.startswith("─")]
        assert titles == [title for _key, title, _rows in SECTIONS]
        assert sidebar.virtual_size.height == len(lines)


async def test_titles_and_rules_take_their_look_from_the_theme() -> None:
    app = SidebarApp()
    async with app.run_test(size=(60, 40)) as pilot:
        sidebar = await show(app, seed())
        await pilot.pause()

        def title_and_rule() -> tuple[Any, Any]:
            segments = list(sidebar.render_line(0))
            title = next(s.style for s in segments if s.text == "Conversation")
            rule = next(s.style for s in segments if s.text.startswith("─"))
            return title, rule

        title, rule = title_and_rule()
        assert title.bold and not rule.bold
        assert title.color != rule.color
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        assert title_and_rule()[0].color != title.color  # no stale line after a theme change


async def test_narrow_sidebar_puts_sections_side_by_side() -> None:
    app = SidebarApp(narrow=True)
    async with app.run_test(size=(90, 40)) as pilot:
        sidebar = await show(app, seed())
        await pilot.pause()
        assert sidebar.region.width > 80
        rows = rendered_text(app).splitlines()
        row = next(r for r in rows if "─Conversation" in r)
        assert "─Assignment" in row
        left, width = sidebar.scrollable_content_region.x, sidebar.scrollable_content_region.width
        half = (width - 2) // 2
        assert row.index("─Conversation") == left
        assert row[left + half - 1] == "─"  # the left rule fills its column
        assert row[left + half : left + half + 2] == "  "
        assert row[left + half + 2 :].startswith("─Assignment")
        assert row[left + width - 1] == "─" and row[left + width] != "─"  # and the right one its


async def test_narrow_bands_are_as_tall_as_their_taller_section() -> None:
    app = SidebarApp(narrow=True)
    async with app.run_test(size=(90, 40)) as pilot:
        sidebar = await show(app, seed())
        await pilot.pause()
        width = sidebar.scrollable_content_region.width
        half = (width - 2) // 2
        lines = sidebar.text.split("\n")
        tall = len(sidebar.section("conversation").lines(half))
        short = len(sidebar.section("assignment").lines(width - 2 - half))
        assert tall > short
        assert lines[tall].strip() and not lines[tall + 1].strip()  # one blank between bands
        band = lines[tall + 2]
        assert band.startswith("─Tags") and "─Contacts" in band
        assert sidebar.virtual_size.height > sidebar.scrollable_content_region.height


async def test_narrow_on_an_ancestor_lays_the_sections_out_side_by_side() -> None:
    app = SidebarApp()
    async with app.run_test(size=(90, 40)) as pilot:
        sidebar = await show(app, seed())
        await pilot.pause()
        assert "─Assignment" not in sidebar.text.split("\n")[0]
        app.screen.add_class("-narrow")  # what the conversation screen does under 100 columns
        await pilot.pause()
        assert sidebar.region.width > 80
        assert "─Assignment" in sidebar.text.split("\n")[0]
        app.screen.remove_class("-narrow")
        await pilot.pause()
        assert "─Assignment" not in sidebar.text.split("\n")[0]


async def test_the_sidebar_scrolls_with_keys_when_focused_and_with_the_wheel() -> None:
    app = SidebarApp()
    async with app.run_test(size=(60, 20)) as pilot:
        sidebar = await show(app, seed())
        await pilot.pause()
        assert sidebar.max_scroll_y > 0
        sidebar.focus()
        last = [line for line in sidebar.text.split("\n") if line.strip()][-1]
        assert last.strip() not in rendered_text(app)
        await pilot.press("end")
        assert sidebar.scroll_y == sidebar.max_scroll_y
        assert last.strip() in rendered_text(app)
        await pilot.press("home")
        assert sidebar.scroll_y == 0
        x, y = sidebar.region.x + 4, sidebar.region.y + 4
        wheel = events.MouseScrollDown(None, x, y, 0, 1, 0, False, False, False, x, y)
        app.post_message(wheel)
        await pilot.pause()
        assert sidebar.scroll_y > 0
