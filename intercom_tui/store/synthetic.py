"""Made-up conversations for benchmarks: ``Cache.bulk_load_synthetic`` fills a cache with them.

Apart from the cache because only benchmarks and tests need it: its vocabulary and the
module took ~2 ms of every start when they lived in ``cache.py``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator
from typing import Any

from intercom_tui.store.cache import NOT_WAITING

ADMINS = [
    {
        "type": "admin",
        "id": str(1000 + i),
        "name": n,
        "email": f"{n.split()[0].lower()}@example.com",
    }
    for i, n in enumerate(
        [
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "Edsger Dijkstra",
            "Barbara Liskov",
            "Donald Knuth",
            "Frances Allen",
            "Ken Thompson",
            "Margaret Hamilton",
            "Dennis Ritchie",
            "Radia Perlman",
            "John McCarthy",
            "Shafi Goldwasser",
            "Leslie Lamport",
            "Hedy Lamarr",
            "Tim Berners-Lee",
            "Katherine Johnson",
            "Niklaus Wirth",
            "Sophie Wilson",
            "Guido van Rossum",
        ]
    )
]
TEAMS = [
    {"type": "team", "id": str(2000 + i), "name": n}
    for i, n in enumerate(["Support", "Billing", "Sales", "Engineering", "VIP"])
]
TAGS = [
    {"type": "tag", "id": str(3000 + i), "name": n}
    for i, n in enumerate(
        [
            "bug",
            "billing",
            "refund",
            "feature-request",
            "urgent",
            "login",
            "api",
            "mobile",
            "android",
            "ios",
            "invoice",
            "churn-risk",
            "enterprise",
            "trial",
            "onboarding",
            "integration",
            "webhook",
            "export",
            "import",
            "sso",
            "security",
            "gdpr",
            "performance",
            "outage",
            "docs",
            "pricing",
            "upgrade",
            "downgrade",
            "cancel",
            "feedback",
            "praise",
            "spam",
            "duplicate",
            "partner",
            "reseller",
            "education",
            "nonprofit",
            "beta",
            "legacy",
            "vip",
        ]
    )
]
_WORDS = [
    "hello",
    "invoice",
    "payment",
    "failed",
    "cannot",
    "login",
    "password",
    "reset",
    "export",
    "data",
    "api",
    "key",
    "error",
    "timeout",
    "refund",
    "order",
    "shipping",
    "account",
    "billing",
    "upgrade",
    "plan",
    "trial",
    "feature",
    "request",
    "bug",
    "crash",
    "mobile",
    "app",
    "sync",
    "slow",
    "webhook",
    "integration",
    "dashboard",
    "report",
    "team",
    "invite",
    "email",
    "notification",
    "settings",
    "subscription",
    "cancel",
    "renew",
    "discount",
    "coupon",
    "charge",
    "card",
    "declined",
    "question",
    "help",
    "thanks",
    "urgent",
    "please",
    "issue",
    "problem",
    "broken",
    "update",
    "version",
    "download",
]
_FIRST = [
    "Alice",
    "Bob",
    "Carol",
    "Dave",
    "Erin",
    "Frank",
    "Grace",
    "Heidi",
    "Ivan",
    "Judy",
    "Mallory",
    "Niaj",
    "Olivia",
    "Peggy",
]
_LAST = [
    "Smith",
    "Jones",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Johnson",
    "Roberts",
    "Walker",
    "Wright",
]


_TAG_JSON = {t["id"]: f'{{"id":"{t["id"]}","name":"{t["name"]}"}}' for t in TAGS}
#: Vocabulary above holds no character JSON would escape, so %-formatting is safe and fast.
_JSON = (
    '{"type":"conversation","id":"%d","created_at":%d,"updated_at":%d,"waiting_since":%s,'
    '"snoozed_until":%s,"state":"%s","open":%s,"read":%s,"priority":"%s",'
    '"admin_assignee_id":%s,"team_assignee_id":%s,"title":"%s","source":{"type":"conversation",'
    '"body":"<p>%s</p>","author":{"type":"user","id":"%s","name":"%s"}},'
    '"tags":{"type":"tag.list","tags":[%s]}}'
)


def synthetic_rows(
    rng: random.Random, n: int, first: int, now: int
) -> Iterator[tuple[tuple[Any, ...], str, list[tuple[Any, ...]]]]:
    """(row columns, list-item JSON, tag rows) with a plausible spread of values.

    About 30% open, 5% snoozed, the rest closed; most recent first; 75% with an admin,
    70% with a team; 0-3 tags with a long tail; 60% of open ones waiting.
    """
    admins = [a["id"] for a in ADMINS]
    teams = [t["id"] for t in TEAMS]
    tag_ids = [t["id"] for t in TAGS]
    tag_cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(tag_ids))))
    # Phrases drawn from pools, so a million rows cost a few random() calls each.
    phrases = [" ".join(rng.choices(_WORDS, k=rng.randint(2, 7))) for _ in range(2048)]
    names = [f"{a} {b}" for a in _FIRST for b in _LAST]
    r = rng.random
    n_admins, n_teams, n_phrases, n_names = len(admins), len(teams), len(phrases), len(names)

    def q(value: str | int | None) -> str:
        return "null" if value is None else f'"{value}"' if isinstance(value, str) else str(value)

    for rid in range(first, first + n):
        created = now - int(r() ** 2 * 730 * 86400)
        updated = min(now, created - int(86400 * math.log(1.0 - r())))
        roll = r()
        state = "open" if roll < 0.30 else "snoozed" if roll < 0.35 else "closed"
        admin = admins[int(r() * n_admins)] if r() < 0.75 else None
        team = teams[int(r() * n_teams)] if r() < 0.7 else None
        waiting = updated - int(r() * 3600) if state == "open" and r() < 0.6 else None
        snoozed = now + 3600 + int(r() * 6 * 86400) if state == "snoozed" else None
        title = ""
        if r() < 0.3:
            title = f"{phrases[int(r() * n_phrases)]} {phrases[int(r() * n_phrases)]}".capitalize()
        preview = f"{phrases[int(r() * n_phrases)]} {phrases[int(r() * n_phrases)]}"
        contact, contact_id = names[int(r() * n_names)], f"c{rid % 200_000}"
        read, priority = r() < 0.7, r() < 0.1
        roll = r()
        k = 0 if roll < 0.4 else 1 if roll < 0.75 else 2 if roll < 0.93 else 3
        tags = tuple(
            dict.fromkeys(tag_ids[bisect.bisect(tag_cum, r() * tag_cum[-1])] for _ in range(k))
        )
        wait_rank = -waiting if waiting else NOT_WAITING
        row = (
            rid, str(rid), updated, created, state, int(state != "closed"), int(read),
            int(priority), admin, team, waiting, wait_rank, snoozed, title, preview, contact,
            contact_id, '["' + '","'.join(tags) + '"]' if tags else "[]",
        )  # fmt: skip
        doc = _JSON % (
            rid, created, updated, q(waiting), q(snoozed), state,
            "true" if state != "closed" else "false", "true" if read else "false",
            "priority" if priority else "not_priority", q(admin), q(team), title, preview,
            contact_id, contact, ",".join(_TAG_JSON[t] for t in tags),
        )  # fmt: skip
        yield row, doc, [(t, rid, updated, wait_rank, int(priority)) for t in tags]
