"""Human formatting: relative and absolute times, durations, sizes, names."""

from __future__ import annotations

import time

import pytest

from intercom_tui.api.models import Author
from intercom_tui.ui.format import (
    NameMap,
    absolute_time,
    author_kind,
    author_name,
    duration,
    filesize,
    relative_time,
    time_ago,
)

#: 2026-01-15 12:00:00 UTC (a Thursday).
NOW = 1768478400
MINUTE, HOUR, DAY = 60, 3600, 86400


pytestmark = pytest.mark.usefixtures("utc")


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (0, "now"),
        (59, "now"),
        (60, "1m"),
        (5 * MINUTE + 59, "5m"),
        (59 * MINUTE, "59m"),
        (HOUR, "1h"),
        (3 * HOUR + 59 * MINUTE, "3h"),
        (23 * HOUR, "23h"),
        (DAY, "1d"),
        (2 * DAY + HOUR, "2d"),
        (6 * DAY, "6d"),
        (7 * DAY, "Jan 8"),
        (NOW - 1767225600, "Jan 1"),  # 2026-01-01 00:00
        (NOW - 1741046400, "Mar 4 2025"),  # another year carries it
        (-30, "now"),
        (-5 * MINUTE, "in 5m"),
        (-3 * HOUR, "in 3h"),
        (-2 * DAY, "in 2d"),
        (-30 * DAY, "Feb 14"),
    ],
)
def test_relative_time(ago: int, expected: str) -> None:
    assert relative_time(NOW - ago, NOW) == expected


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (10, "just now"),
        (3 * HOUR, "3h ago"),
        (2 * DAY, "2d ago"),
        (10 * DAY, "Jan 5"),
        (-2 * HOUR, "in 2h"),
    ],
)
def test_time_ago(ago: int, expected: str) -> None:
    assert time_ago(NOW - ago, NOW) == expected


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (NOW, "Jan 15 12:00"),
        (NOW - 2 * HOUR - 48 * MINUTE, "Jan 15 09:12"),
        (NOW + DAY - 1, "Jan 16 11:59"),
        (1663597223, "Sep 19 2022 14:20"),
    ],
)
def test_absolute_time(ts: int, expected: str) -> None:
    assert absolute_time(ts, now=NOW) == expected


def test_absolute_time_follows_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, no daylight saving
    time.tzset()
    assert absolute_time(NOW, now=NOW) == "Jan 15 17:30"


def test_absolute_time_defaults_to_the_clock_year() -> None:
    this_year = time.localtime().tm_year
    assert str(this_year) not in absolute_time(time.time())
    assert absolute_time(1663597223).startswith("Sep 19 2022")


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-5, "0s"),
        (0, "0s"),
        (45, "45s"),
        (60, "1m"),
        (2310, "38m"),
        (HOUR, "1h"),
        (2 * HOUR + 5 * MINUTE, "2h 5m"),
        (2 * HOUR + 5 * MINUTE + 59, "2h 5m"),
        (DAY, "1d"),
        (3 * DAY + 4 * HOUR + 10 * MINUTE, "3d 4h"),
        (400 * DAY, "400d"),
    ],
)
def test_duration(seconds: int, expected: str) -> None:
    assert duration(seconds) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (12345, "12 KB"),
        (1024 * 1024, "1.0 MB"),
        (int(1.5 * 1024 * 1024), "1.5 MB"),
        (250 * 1024 * 1024, "250 MB"),
        (3 * 1024**3, "3.0 GB"),
        (5000 * 1024**4, "5000 TB"),
    ],
)
def test_filesize(size: int, expected: str) -> None:
    assert filesize(size) == expected


NAMES = NameMap(
    admins={"1": "Ada Lovelace"}, teams={"7": "Billing"}, contacts={"c1": "Grace Hopper"}
)


@pytest.mark.parametrize(
    ("author", "name", "kind"),
    [
        (Author("admin", "1", "Ada (stale)"), "Ada Lovelace", "admin"),
        (Author("bot", "1"), "Ada Lovelace", "bot"),
        (Author("team", "7"), "Billing", "team"),
        (Author("user", "c1"), "Grace Hopper", "contact"),
        (Author("lead", "c1"), "Grace Hopper", "contact"),
        (Author("user", "c2", "Part Name"), "Part Name", "contact"),
        (Author("user", "c3", "", "who@example.com"), "who@example.com", "contact"),
        (Author("admin", "9"), "Unknown", "admin"),
        (Author("", ""), "Unknown", "unknown"),
    ],
)
def test_author_name_falls_back(author: Author, name: str, kind: str) -> None:
    assert author_name(author, NAMES) == name
    assert author_kind(author) == kind


def test_author_name_is_cleaned_and_bounded() -> None:
    hostile = Author("user", "x", "\x1b]0;owned\x07Eve\x1b[31m [b]x[/b]\n" + "y" * 500)
    name = author_name(hostile, NAMES)
    assert "\x1b" not in name and "\x07" not in name and "\n" not in name
    assert name.startswith("Eve [b]x[/b] y")
    assert len(name) <= 60
