"""Tolerant parsing of Intercom objects: the spec's own example, mixed ids, odd shapes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from intercom_tui.api.models import (
    Admin,
    Contact,
    Conversation,
    Me,
    Page,
    Part,
    Tag,
    Team,
    next_cursor,
    norm_assignee,
    norm_id,
)

# The example Conversation from /work/shared/seed/000_cce718db11d9df5f.txt, with each `…`
# replaced by a small plausible object.
SEED_CONVERSATION: dict[str, Any] = {
    "type": "conversation",
    "id": "1295",
    "title": "Conversation Title",
    "created_at": 1663597223,
    "updated_at": 1663597260,
    "waiting_since": 1663597260,
    "snoozed_until": 1663597260,
    "open": True,
    "state": "open",
    "read": True,
    "priority": "priority",
    "admin_assignee_id": 0,
    "team_assignee_id": "5017691",
    "tags": {
        "type": "tag.list",
        "tags": [
            {
                "type": "tag",
                "id": "123456",
                "name": "Test tag",
                "applied_at": 1663597223,
                "applied_by": {"type": "admin", "id": "456"},
            }
        ],
    },
    "conversation_rating": {
        "rating": 5,
        "remark": "",
        "created_at": 1671028894,
        "contact": {"type": "contact", "id": "5ba682d23d7cf92bef87bfd4", "external_id": "f3b87"},
        "teammate": {"type": "admin", "id": "1a2b3c"},
    },
    "source": {
        "type": "conversation",
        "id": "3",
        "delivered_as": "operator_initiated",
        "subject": "",
        "body": "<p>Hey there!</p>",
        "author": {
            "type": "admin",
            "id": "274",
            "name": "Operator",
            "email": "operator+abcd1234@intercom.io",
        },
        "attachments": [
            {
                "type": "upload",
                "name": "example.png",
                "url": "https://picsum.photos/200/300",
                "content_type": "image/png",
                "filesize": 100,
                "width": 100,
                "height": 100,
            }
        ],
        "url": None,
        "redacted": False,
    },
    "contacts": {
        "type": "contact.list",
        "contacts": [{"type": "contact", "id": "5ba682d23d7cf92bef87bfd4", "external_id": "70"}],
    },
    "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": 991267526}]},
    "custom_attributes": {"property1": "string", "property2": "string"},
    "first_contact_reply": {
        "created_at": 1663597223,
        "type": "conversation",
        "url": "https://developers.intercom.com/",
    },
    "sla_applied": {"type": "conversation_sla_summary", "sla_name": "", "sla_status": "hit"},
    "statistics": {
        "type": "conversation_statistics",
        "time_to_assignment": 2310,
        "time_to_admin_reply": 2310,
        "time_to_first_close": 2310,
        "time_to_last_close": 2310,
        "median_time_to_reply": 2310,
        "first_contact_reply_at": 1663597233,
        "first_assignment_at": 1663597233,
        "first_admin_reply_at": 1663597233,
        "first_close_at": 1663597233,
        "last_assignment_at": 1663597233,
        "last_assignment_admin_reply_at": 1663597233,
        "last_contact_reply_at": 1663597233,
        "last_admin_reply_at": 1663597233,
        "last_close_at": 1663597233,
        "last_closed_by_id": "c3po",
        "count_reopens": 1,
        "count_assignments": 1,
        "count_conversation_parts": 1,
    },
    "conversation_parts": {
        "type": "conversation_part.list",
        "conversation_parts": [
            {
                "type": "conversation_part",
                "id": "3",
                "part_type": "comment",
                "body": "<p>Okay!</p>",
                "created_at": 1663597223,
                "updated_at": 1663597260,
                "notified_at": 1663597260,
                "assigned_to": {"type": "contact", "id": "1a2b3c"},
                "author": {
                    "id": "274",
                    "type": "admin",
                    "name": "Operator",
                    "email": "operator+abcd1234@intercom.io",
                },
                "attachments": [],
                "external_id": "abcd1234",
                "redacted": False,
            },
            {
                "type": "conversation_part",
                "id": 4,
                "part_type": "assignment",
                "body": None,
                "created_at": 1663597300,
                "assigned_to": None,
                "author": {"id": 274, "type": "admin", "name": "Operator"},
            },
        ],
        "total_count": 2,
    },
    "linked_objects": {
        "type": "list",
        "total_count": 100,
        "has_more": False,
        "data": [{"type": "ticket", "id": "7583", "category": "Customer"}],
    },
    "ai_agent_participated": True,
    "ai_agent": {
        "source_type": "workflow",
        "source_title": "My AI Workflow",
        "last_answer_type": "ai_answer",
        "resolution_state": "assumed_resolution",
        "rating": 4,
        "rating_remark": "Very helpful!",
        "content_sources": {
            "type": "content_source.list",
            "total_count": 1,
            "content_sources": [
                {"url": "/fin-ai-agent", "title": "Fin AI Agent", "type": "article", "locale": "en"}
            ],
        },
    },
}


def test_seed_conversation_parses_every_field() -> None:
    conv = Conversation.from_api(SEED_CONVERSATION)

    assert conv.id == "1295"
    assert conv.title == "Conversation Title"
    assert (conv.created_at, conv.updated_at) == (1663597223, 1663597260)
    assert conv.state == "open" and conv.open and conv.read and conv.priority
    assert conv.admin_assignee_id is None  # 0 means unassigned
    assert conv.team_assignee_id == "5017691"
    assert conv.waiting_since == 1663597260 and conv.snoozed_until == 1663597260
    assert conv.tags == (Tag(id="123456", name="Test tag"),)
    assert conv.tag_ids == ("123456",)
    assert conv.contact_ids == ("5ba682d23d7cf92bef87bfd4",)
    assert conv.teammate_ids == ("991267526",)
    assert conv.source.body == "<p>Hey there!</p>"
    assert conv.source.author.id == "274" and conv.source.author.type == "admin"
    assert conv.source.attachments[0].filesize == 100
    assert conv.source.url is None
    assert conv.conversation_rating["rating"] == 5
    assert conv.statistics["last_closed_by_id"] == "c3po"
    assert conv.sla_applied["sla_status"] == "hit"
    assert conv.ai_agent_participated and conv.ai_agent["rating"] == 4
    assert conv.linked_objects["data"][0]["id"] == "7583"
    assert conv.custom_attributes == {"property1": "string", "property2": "string"}
    assert conv.parts_total == 2
    assert [p.id for p in conv.parts] == ["3", "4"]
    first, second = conv.parts
    assert first.assigned_to == "1a2b3c" and first.body == "<p>Okay!</p>"
    assert second.body == "" and second.assigned_to is None and second.author.id == "274"
    assert conv.raw == SEED_CONVERSATION


@pytest.mark.parametrize(
    ("value", "expected"),
    [(123, "123"), ("123", "123"), (0, "0"), ("0", "0"), (None, None), ("", None), (5.0, "5")],
)
def test_norm_id(value: Any, expected: str | None) -> None:
    assert norm_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, None), ("0", None), (None, None), ("", None), (True, None), (42, "42"), ("7", "7")],
)
def test_norm_assignee(value: Any, expected: str | None) -> None:
    assert norm_assignee(value) == expected


@pytest.mark.parametrize(
    ("admin", "team", "admin_expected", "team_expected"),
    [
        (0, "5017691", None, "5017691"),
        (991267715, 5017691, "991267715", "5017691"),
        ("0", None, None, None),
        (None, 0, None, None),
    ],
)
def test_conversation_assignee_ids_are_strings_or_none(
    admin: Any, team: Any, admin_expected: str | None, team_expected: str | None
) -> None:
    conv = Conversation.from_api({"id": 1, "admin_assignee_id": admin, "team_assignee_id": team})
    assert conv.id == "1"
    assert conv.admin_assignee_id == admin_expected
    assert conv.team_assignee_id == team_expected


def test_unknown_fields_are_ignored_and_kept_in_raw() -> None:
    data = copy.deepcopy(SEED_CONVERSATION)
    data["brand_new_field"] = {"nested": [1, 2, 3]}
    data["source"]["surprise"] = True
    data["conversation_parts"]["conversation_parts"][0]["reactions"] = ["+1"]
    conv = Conversation.from_api(data)
    assert conv == Conversation.from_api(SEED_CONVERSATION)
    assert conv.raw["brand_new_field"] == {"nested": [1, 2, 3]}
    assert conv.parts[0].raw["reactions"] == ["+1"]


def test_minimal_conversation_uses_defaults() -> None:
    conv = Conversation.from_api({"id": "9"})
    assert conv.id == "9"
    assert conv.title == "" and conv.created_at == 0 and conv.updated_at == 0
    assert conv.state == "closed" and not conv.open
    assert conv.parts == () and conv.parts_total == 0 and conv.tags == ()
    assert conv.source.body == "" and conv.source.author.id == ""
    assert conv.snoozed_until is None and conv.waiting_since is None


def test_nulls_and_wrong_types_in_optional_fields_do_not_break_parsing() -> None:
    conv = Conversation.from_api(
        {
            "id": 77,
            "open": True,
            "state": None,
            "tags": None,
            "source": None,
            "contacts": {"contacts": None},
            "teammates": None,
            "statistics": None,
            "sla_applied": "not an object",
            "conversation_parts": {"conversation_parts": None, "total_count": "3"},
            "custom_attributes": None,
            "created_at": "1700000000",
            "waiting_since": "soon",
            "updated_at": float("inf"),
            "snoozed_until": float("nan"),
        }
    )
    assert conv.id == "77" and conv.state == "open" and conv.open
    assert conv.tags == () and conv.contact_ids == () and conv.teammate_ids == ()
    assert conv.statistics == {} and conv.sla_applied == {} and conv.custom_attributes == {}
    assert conv.created_at == 1700000000 and conv.waiting_since is None
    assert conv.updated_at == 0 and conv.snoozed_until is None
    assert conv.parts_total == 3


def test_part_with_missing_author_and_attachments() -> None:
    part = Part.from_api({"id": 12, "part_type": "note", "body": "<b>hi</b>", "created_at": 5})
    assert (part.id, part.part_type, part.created_at) == ("12", "note", 5)
    assert part.author.id == "" and part.attachments == () and part.updated_at is None


def test_admin_me_team_contact_tag() -> None:
    admin = Admin.from_api({"id": 991267390, "name": "Ciaran", "team_ids": [5, "6", None]})
    assert admin.id == "991267390" and admin.team_ids == ("5", "6") and admin.email == ""
    me = Me.from_api(
        {"type": "admin", "id": "1", "name": "A", "app": {"id_code": "abc", "name": "MyApp"}}
    )
    assert me.admin.id == "1" and me.workspace_id == "abc" and me.workspace_name == "MyApp"
    assert Me.from_api({"id": 2}).workspace_id == ""
    team = Team.from_api({"id": 814865, "name": "Support", "admin_ids": [493881, "2"]})
    assert team.id == "814865" and team.admin_ids == ("493881", "2")
    contact = Contact.from_api({"id": "abc", "role": "lead", "email": None})
    assert contact.role == "lead" and contact.email == "" and contact.name == ""
    assert Tag.from_api({"id": 99, "name": "Manual tag", "applied_at": 1}) == Tag(
        "99", "Manual tag"
    )


def test_raw_takes_no_part_in_equality_hashing_or_repr() -> None:
    """A fresher read of an unchanged part must not count as a change (the thread view
    redraws parts that compare unequal), whatever extra keys its JSON carries."""
    data = {"id": 7, "part_type": "comment", "body": "<p>hi</p>", "created_at": 5}
    part, again = Part.from_api(data), Part.from_api({**data, "reactions": ["+1"]})
    assert (part == again, part != again) == (True, False)  # both operators ignore raw
    assert hash(part) == hash(again)
    assert "reactions" not in repr(again) and repr(again).startswith("Part(id='7', ")
    edited = Part.from_api({**data, "body": "<p>hi!</p>"})
    assert (part == edited, part != edited) == (False, True)
    assert Tag("1", "Billing") != Team("1", "Billing")  # same values, another kind of record


def _list_page(next_: Any) -> dict[str, Any]:
    pages: dict[str, Any] = {"type": "pages", "page": 1, "per_page": 2, "total_pages": 2}
    if next_ is not ...:
        pages["next"] = next_
    return {
        "type": "conversation.list",
        "pages": pages,
        "total_count": 3,
        "conversations": [{"id": 1}, {"id": "2"}, "junk"],
    }


def test_page_with_next_cursor() -> None:
    page = Page.from_api(_list_page({"per_page": 2, "starting_after": "WzE3MDAwMDAwMDBd"}))
    assert page.next_cursor == "WzE3MDAwMDAwMDBd"
    assert (page.page, page.per_page, page.total_pages, page.total_count) == (1, 2, 2, 3)
    assert len(page.items) == 2  # the non-object entry is dropped
    assert [c.id for c in page.conversations] == ["1", "2"]


@pytest.mark.parametrize("next_", [..., None, {}, {"per_page": 2, "starting_after": None}])
def test_page_without_next_is_last(next_: Any) -> None:
    page = Page.from_api(_list_page(next_))
    assert page.next_cursor is None
    assert next_cursor(_list_page(next_)) is None


def test_page_of_empty_answer() -> None:
    page = Page.from_api({})
    assert page.items == () and page.next_cursor is None and page.total_count is None
