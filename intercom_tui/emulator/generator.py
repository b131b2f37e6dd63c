"""Seeded demo data: what ``make demo`` and the README screenshots show.

The catalogue (admins, teams, tags, contacts) is small and built at once. Conversations are
cheap to *list* but not to *build*, so the timeline (id, created_at, updated_at) is drawn for
all of them up front and each conversation's JSON is drawn on demand from a random stream
seeded by ``(seed, conversation id)``: building 100,000 costs a sort, and the same
conversation always comes out the same, whenever it is first asked for.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from intercom_tui.emulator import content

JSON = dict[str, Any]

DAY = 86_400
#: How far back the generated inbox reaches.
HISTORY = 150 * DAY
#: The first conversation id; later ones grow with ``created_at``.
FIRST_CONVERSATION_ID = 31_000
#: Exactly this many parts in the one long thread (the API's own per-conversation limit).
BIG_PARTS = 500
BOT_ID = "4910001"
BOT_EMAIL = "operator+lumen4x7@intercom.io"
APP_DOMAIN = "lumen.example"


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything in a workspace except its conversations, as Intercom JSON."""

    workspace: JSON
    admins: list[JSON]
    teams: list[JSON]
    tags: list[JSON]
    contacts: list[JSON]
    me_id: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """When each conversation was created and last updated, ids ascending with time."""

    ids: list[str]
    created: list[int]
    updated: list[int]
    big_id: str | None


@dataclass(slots=True)
class Plan:
    """The shape of one conversation, decided before its head or its parts are drawn.

    The head (list item) and the parts are generated separately (and the parts maybe much
    later), so both read this plan to stay consistent: who took part, how it ended.
    """

    cid: str
    created_at: int
    updated_at: int
    big: bool
    scenario: content.Scenario
    contact: JSON
    origin: str  # customer, admin or bot: who wrote the source message
    channel: str
    state: str
    read: bool
    priority: bool
    admin: JSON | None  # the assignee
    team: JSON | None
    admins: list[JSON]  # every admin who writes a part (the assignee first)
    unassigned_as_zero: bool
    ending: str  # contact, admin, close or snoozed
    n_parts: int
    snoozed_until: int | None
    ai: bool
    title: str | None
    tag_names: list[str] = field(default_factory=list)


def _rng(seed: int, cid: str, what: str) -> random.Random:
    return random.Random(f"lumen:{seed}:{cid}:{what}")


def _ascii(name: str) -> str:
    """A name as it appears in an e-mail address: ``Müller`` -> ``muller``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _hex_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


class DemoGenerator:
    """Draws the demo workspace of one seed at one moment (``now``)."""

    def __init__(self, seed: int, now: int) -> None:
        self.seed = seed
        self.now = now
        self.catalog = self._catalog()
        self._admins = {a["id"]: a for a in self.catalog.admins}
        self._teams_by_name = {t["name"]: t for t in self.catalog.teams}
        self._tags_by_name = {t["name"]: t for t in self.catalog.tags}
        self._away = [a for a in self.catalog.admins if a["away_mode_enabled"]]
        users = [c for c in self.catalog.contacts if c["role"] == "user" and c["name"]]
        self._vip = next(
            (c for c in users if c["custom_attributes"]["VIP"]), (users or self.catalog.contacts)[0]
        )

    # -- catalogue -------------------------------------------------------------------------

    def _catalog(self) -> Catalog:
        rng = random.Random(f"lumen:{self.seed}:catalog")
        workspace = {
            "type": "app",
            "id_code": "lumen4x7",
            "name": "Lumen Analytics",
            "region": "US",
            "timezone": "Europe/London",
            "created_at": self.now - 3 * 365 * DAY,
            "identity_verification": True,
        }
        admins = [
            {
                "type": "admin",
                "id": str(7_463_820 + 17 * i),
                "name": name,
                "email": f"{name.split()[0].lower()}@{APP_DOMAIN}",
                "email_verified": True,
                "job_title": job,
                "away_mode_enabled": name in content.AWAY_ADMINS,
                "away_mode_reassign": name in content.AWAY_ADMINS,
                "has_inbox_seat": True,
                "team_ids": [],
                "avatar": {
                    "type": "avatar",
                    "image_url": f"https://static.{APP_DOMAIN}/avatars/{i + 1}.png",
                },
            }
            for i, (name, job) in enumerate(content.ADMINS)
        ]
        teams = []
        for i, (name, members) in enumerate(content.TEAMS):
            team_id = 5_017_691 + 9 * i
            admin_ids = [int(admins[m]["id"]) for m in members]
            for m in members:
                admins[m]["team_ids"].append(team_id)
            teams.append(
                {
                    "type": "team",
                    "id": str(team_id),
                    "name": name,
                    "admin_ids": admin_ids,
                    "admin_priority_level": {
                        "primary_admin_ids": admin_ids[:1],
                        "secondary_admin_ids": admin_ids[1:],
                    },
                }
            )
        tags = [
            {"type": "tag", "id": str(9_120_400 + 13 * i), "name": name}
            for i, name in enumerate(content.TAGS)
        ]
        contacts = [self._contact(rng, i) for i in range(content.CONTACT_COUNT)]
        return Catalog(workspace, admins, teams, tags, contacts, admins[0]["id"])

    def _contact(self, rng: random.Random, i: int) -> JSON:
        first = rng.choice(content.FIRST_NAMES)
        last = rng.choice(content.LAST_NAMES)
        company, domain, plan = rng.choice(content.COMPANIES)
        role = "lead" if rng.random() < 0.22 else "user"
        created = self.now - rng.randint(30 * DAY, 900 * DAY)
        seen = self.now - rng.randint(60, 20 * DAY)
        nameless = role == "lead" and rng.random() < 0.15
        email = f"{_ascii(first)}.{_ascii(last)}@{domain}"
        if role == "lead" and rng.random() < 0.4:
            email = f"{_ascii(first)}{rng.randint(1, 99)}@mail.example"
        country, city = rng.choice(content.PLACES)
        return {
            "type": "contact",
            "id": _hex_id(rng),
            "workspace_id": "lumen4x7",
            "external_id": f"usr_{10_000 + i * 7}" if role == "user" else None,
            "role": role,
            "email": email,
            "phone": None,
            "name": None if nameless else f"{first} {last}",
            "avatar": None,
            "owner_id": None,
            "has_hard_bounced": False,
            "marked_email_as_spam": False,
            "unsubscribed_from_emails": False,
            "created_at": created,
            "updated_at": seen,
            "signed_up_at": created if role == "user" else None,
            "last_seen_at": seen,
            "last_replied_at": None,
            "last_contacted_at": None,
            "browser": rng.choice(("chrome", "firefox", "safari", "edge")),
            "os": rng.choice(("OS X 14.4", "Windows 11", "Ubuntu 24.04", "iOS 17.5")),
            "location": {"type": "location", "country": country, "city": city},
            "custom_attributes": {
                "Company": company if role == "user" else None,
                "Plan": plan if role == "user" else "Trial",
                "VIP": plan == "Enterprise" and rng.random() < 0.5,
            },
        }

    # -- timeline --------------------------------------------------------------------------

    def timeline(self, count: int) -> Timeline:
        """Draw created/updated times for ``count`` conversations: ids grow with time."""
        rng = random.Random(f"lumen:{self.seed}:timeline")
        ages = sorted((HISTORY * rng.random() ** 1.6 for _ in range(count)), reverse=True)
        ids: list[str] = []
        created: list[int] = []
        updated: list[int] = []
        next_id = FIRST_CONVERSATION_ID
        for age in ages:
            born = self.now - int(age) - 60
            span = int(rng.expovariate(1 / (9 * 3600)))  # most threads last hours
            ids.append(str(next_id))
            created.append(born)
            updated.append(max(born + 60, min(self.now - rng.randint(0, 240), born + span)))
            next_id += rng.randint(1, 9)
        big_id = None
        if count:
            # A three-week-old thread that is still busy: near the top of the inbox.
            target = self.now - 21 * DAY
            index = min(range(count), key=lambda i: abs(created[i] - target))
            updated[index] = max(updated[index], self.now - 120)
            big_id = ids[index]
        return Timeline(ids, created, updated, big_id)

    # -- one conversation ------------------------------------------------------------------

    def plan(self, cid: str, created_at: int, updated_at: int, big: bool) -> Plan:
        rng = _rng(self.seed, cid, "plan")
        scenario = content.BIG_SCENARIO if big else rng.choice(content.SCENARIOS)
        contacts = self.catalog.contacts
        contact = self._vip if big else contacts[rng.randrange(len(contacts))]
        origin = rng.choices(("customer", "admin", "bot"), (80, 10, 10))[0]
        channel = "conversation"
        if origin == "customer":
            channel = rng.choices(("conversation", "email", "whatsapp"), (64, 32, 4))[0]
        elif origin == "admin":
            channel = rng.choice(("conversation", "email"))
        stale = self.now - updated_at > 7 * DAY
        if big:
            state = "open"
        elif stale:
            state = rng.choices(("closed", "open", "snoozed"), (92, 6, 2))[0]
        else:
            state = rng.choices(("open", "snoozed", "closed"), (50, 12, 38))[0]
        team = self._teams_by_name[scenario.team] if rng.random() < 0.82 else None
        members = [self._admins[str(a)] for a in (team or self.catalog.teams[0])["admin_ids"]]
        assign_p = {"closed": 0.9, "snoozed": 1.0, "open": 0.62}[state]
        admin = self._admins[self.catalog.me_id] if big else None
        if not big and rng.random() < assign_p:
            admin = rng.choice(members)
        admins = [admin] if admin else []
        if rng.random() < 0.3:
            helper = rng.choice(self.catalog.admins)
            if helper not in admins:
                admins.append(helper)
        if state == "open":
            ending = "contact" if big or rng.random() < 0.65 else "admin"
        else:
            ending = "close" if state == "closed" else "snoozed"
        if ending != "contact" and not admins:
            admins.append(rng.choice(members))
        if big:
            n_parts = BIG_PARTS
        elif ending == "contact" and rng.random() < 0.3:
            n_parts = rng.randint(1, 3)
        else:
            n_parts = min(40, 2 + int(rng.expovariate(1 / 5)))
        n_parts = min(n_parts, max(1, (updated_at - created_at) // 30))
        snoozed_until = None
        if state == "snoozed":
            snoozed_until = self.now + rng.choice((1, 3, 18, 24, 48, 72, 168)) * 3600
        title_roll = rng.random()
        title: str | None = scenario.title
        if not big and title_roll < 0.36:  # untitled: the inbox shows the first message
            title = None if title_roll < 0.3 else ""
        tag_names = [t for t in scenario.tags if rng.random() < 0.6]
        if contact["custom_attributes"].get("VIP") or big:
            tag_names.append("VIP")
        if rng.random() < 0.08:
            tag_names.append(rng.choice(content.TAGS))
        return Plan(
            cid=cid,
            created_at=created_at,
            updated_at=updated_at,
            big=big,
            scenario=scenario,
            contact=contact,
            origin=origin,
            channel=channel,
            state=state,
            read=rng.random() < (0.5 if state == "open" else 0.95),
            priority=big or rng.random() < (0.05 if state == "closed" else 0.13),
            admin=admin,
            team=team,
            admins=admins,
            unassigned_as_zero=rng.random() < 0.2,
            ending=ending,
            n_parts=n_parts,
            snoozed_until=snoozed_until,
            ai=origin != "admin" and rng.random() < 0.2,
            title=title,
            tag_names=list(dict.fromkeys(tag_names)),
        )

    def head(self, plan: Plan) -> JSON:
        """The conversation as ``GET /conversations`` lists it (no parts)."""
        rng = _rng(self.seed, plan.cid, "head")
        c = plan.contact
        created, updated = plan.created_at, plan.updated_at
        contact_author = _contact_author(c)
        subject = plan.scenario.subject if plan.channel == "email" else ""
        if plan.origin == "customer":
            author = contact_author
            body = content.fill(plan.scenario.opening, rng, c)
            delivered_as = "customer_initiated"
        elif plan.origin == "admin":
            sender = plan.admins[0] if plan.admins else self.catalog.admins[0]
            author = _admin_author(sender)
            body = content.fill(rng.choice(content.OUTBOUND), rng, c)
            delivered_as = "admin_initiated"
        else:
            author = self._bot_author()
            body = content.fill(rng.choice(content.BOT_GREETINGS), rng, c)
            delivered_as = "operator_initiated"
        url = None
        if plan.channel == "conversation" and plan.origin == "customer":
            url = f"https://app.{APP_DOMAIN}/{rng.choice(content.APP_PAGES)}"
        tags = []
        for name in plan.tag_names:
            tag = self._tags_by_name[name]
            by = plan.admins[0] if plan.admins else self.catalog.admins[0]
            tags.append(
                {
                    **tag,
                    "applied_at": rng.randint(created, updated),
                    "applied_by": {"type": "admin", "id": by["id"]},
                }
            )
        first_reply_at = created if plan.origin == "customer" else min(updated, created + 300)
        admin_id: int | None = int(plan.admin["id"]) if plan.admin else None
        if admin_id is None and plan.unassigned_as_zero:
            admin_id = 0  # Intercom's own example uses 0 for "nobody"
        duration = updated - created
        return {
            "type": "conversation",
            "id": plan.cid,
            "title": plan.title,
            "created_at": created,
            "updated_at": updated,
            "waiting_since": updated if plan.ending == "contact" else None,
            "snoozed_until": plan.snoozed_until,
            "open": plan.state != "closed",
            "state": plan.state,
            "read": plan.read,
            "priority": "priority" if plan.priority else "not_priority",
            "admin_assignee_id": admin_id,
            "team_assignee_id": plan.team["id"] if plan.team else None,
            "tags": {"type": "tag.list", "tags": tags},
            "conversation_rating": self._rating(rng, plan),
            "source": {
                "type": plan.channel,
                "id": str(400_000_000 + int(plan.cid) * 3),
                "delivered_as": delivered_as,
                "subject": subject,
                "body": body,
                "author": author,
                "attachments": [content.attachment(rng)] if rng.random() < 0.07 else [],
                "url": url,
                "redacted": False,
            },
            "contacts": {
                "type": "contact.list",
                "contacts": [{"type": "contact", "id": c["id"], "external_id": c["external_id"]}],
            },
            "teammates": {
                "type": "admin.list",
                "teammates": [{"type": "admin", "id": a["id"]} for a in plan.admins],
            },
            "custom_attributes": content.custom_attributes(rng, plan.scenario, c),
            "topics": {"type": "topic.list", "topics": [], "total_count": 0},
            "first_contact_reply": (
                {"created_at": first_reply_at, "type": "conversation", "url": url}
                if plan.origin != "admin" or plan.n_parts > 1
                else None
            ),
            "sla_applied": (
                {
                    "type": "conversation_sla_summary",
                    "sla_name": rng.choice(content.SLA_NAMES),
                    "sla_status": "active"
                    if plan.state == "open"
                    else rng.choice(("hit", "hit", "hit", "missed", "cancelled")),
                }
                if plan.priority or rng.random() < 0.2
                else None
            ),
            "statistics": (self._statistics(rng, plan, duration) if rng.random() < 0.65 else None),
            "linked_objects": content.linked_objects(rng, int(plan.cid)),
            "ai_agent_participated": plan.ai,
            "ai_agent": content.ai_agent(rng, plan.scenario) if plan.ai else None,
            "ticket": None,
        }

    def _rating(self, rng: random.Random, plan: Plan) -> JSON | None:
        if plan.state != "closed" or not plan.admins or rng.random() > 0.35:
            return None
        rating = rng.choices((1, 2, 3, 4, 5), (4, 4, 10, 30, 52))[0]
        return {
            "rating": rating,
            "remark": rng.choice(content.RATING_REMARKS[rating]),
            "created_at": plan.updated_at - rng.randint(1, 600),
            "contact": {
                "type": "contact",
                "id": plan.contact["id"],
                "external_id": plan.contact["external_id"],
            },
            "teammate": {"type": "admin", "id": plan.admins[0]["id"]},
        }

    def _statistics(self, rng: random.Random, plan: Plan, duration: int) -> JSON:
        start = plan.created_at

        def at(fraction: float) -> int:
            return start + int(duration * fraction)

        closed = plan.state == "closed"
        first_admin = 0.05 + rng.random() * 0.3
        stats = {
            "type": "conversation_statistics",
            "time_to_assignment": int(duration * first_admin * 0.4),
            "time_to_admin_reply": int(duration * first_admin),
            "time_to_first_close": duration if closed else None,
            "time_to_last_close": duration if closed else None,
            "median_time_to_reply": int(duration * first_admin * 0.8),
            "first_contact_reply_at": start,
            "first_assignment_at": at(first_admin * 0.4),
            "first_admin_reply_at": at(first_admin),
            "first_close_at": plan.updated_at if closed else None,
            "last_assignment_at": at(first_admin * 0.5),
            "last_assignment_admin_reply_at": at(first_admin),
            "last_contact_reply_at": at(0.7),
            "last_admin_reply_at": at(0.9),
            "last_close_at": plan.updated_at if closed else None,
            "last_closed_by_id": plan.admins[0]["id"] if closed and plan.admins else None,
            "count_reopens": rng.choice((0, 0, 0, 1)),
            "count_assignments": 1 + rng.choice((0, 0, 1)),
            "count_conversation_parts": plan.n_parts + 1,
        }
        # Intercom leaves out what has not happened yet (no close, no closer).
        return {key: value for key, value in stats.items() if value is not None}

    def parts(self, plan: Plan) -> list[JSON]:
        """The thread, oldest first, ending the way the plan says (close, snooze, ...)."""
        rng = _rng(self.seed, plan.cid, "parts")
        n = plan.n_parts
        times = sorted(rng.randint(plan.created_at + 1, plan.updated_at) for _ in range(n))
        if times:
            times[-1] = plan.updated_at
        kinds = self._part_kinds(rng, plan)
        base = int(plan.cid) * 1024
        said: dict[str, int] = {"contact": 0, "admin": 0}
        parts = []
        for k, kind in enumerate(kinds):
            parts.append(self._part(rng, plan, kind, str(base + k), times[k], said.get(kind, 0)))
            if kind in said:
                said[kind] += 1
        return parts

    def _part_kinds(self, rng: random.Random, plan: Plan) -> list[str]:
        """Part types in order: an opening routine, the dialogue, then the ending."""
        n = plan.n_parts
        kinds: list[str] = []
        if plan.ai:
            kinds += ["bot", "contact", "team_assignment"]
        elif plan.team:
            kinds.append("team_assignment")
        if plan.admin:
            kinds.append("admin_assignment")
        speaker = "admin" if plan.admins and plan.origin == "customer" else "contact"
        while len(kinds) < n - 1:
            roll = rng.random()
            if plan.admins and roll < 0.1:
                kinds.append("note")
            elif plan.admins and roll < 0.13:
                kinds.append("attribute")
            elif self._away and plan.team and roll < 0.15:
                kinds.append("away_assignment")
            elif plan.admins and roll < 0.18:
                kinds += ["snoozed", "open"]
            else:
                kinds.append(speaker)
                if plan.admins and rng.random() < 0.8:
                    speaker = "contact" if speaker == "admin" else "admin"
        return [*kinds[: n - 1], plan.ending] if n else []

    def _part(
        self, rng: random.Random, plan: Plan, kind: str, pid: str, at: int, turn: int
    ) -> JSON:
        """One part; ``turn`` counts earlier messages of the same speaker (0: the answer)."""
        admin = rng.choice(plan.admins) if plan.admins else None
        if kind in ("close", "snoozed") and plan.admins:
            admin = plan.admins[0]
        author = _admin_author(admin) if admin else self._bot_author()
        part_type, body, assigned_to, attachments = kind, None, None, []
        scenario = plan.scenario
        if kind == "contact":
            author = _contact_author(plan.contact)
            part_type = "comment"
            lines = scenario.contact_lines if turn == 0 and scenario.contact_lines else None
            body = content.fill(rng.choice(lines or content.CONTACT_LINES), rng, plan.contact)
            if rng.random() < 0.08:
                attachments = [content.attachment(rng)]
        elif kind == "admin":
            part_type = "comment"
            lines = scenario.admin_lines if turn == 0 else content.ADMIN_LINES[1:]
            body = content.fill(rng.choice(lines or content.ADMIN_LINES[:1]), rng, plan.contact)
        elif kind == "note":
            body = content.fill(rng.choice(content.NOTES), rng, plan.contact)
        elif kind == "bot":
            author, part_type = self._bot_author(), "comment"
            body = content.fill(rng.choice(content.BOT_ANSWERS), rng, plan.contact)
        elif kind == "team_assignment":
            author, part_type = self._bot_author(), "assignment"
            team = plan.team or self.catalog.teams[0]
            assigned_to = {"type": "team", "id": team["id"]}
        elif kind == "admin_assignment" and plan.admin:
            part_type = "assignment"
            assigned_to = {"type": "admin", "id": plan.admin["id"]}
        elif kind == "away_assignment":
            # Automatic: the teammate was away, so the workflow bot hands it to the team.
            author, part_type = self._bot_author(), "away_mode_assignment"
            assigned_to = {"type": "team", "id": (plan.team or self.catalog.teams[0])["id"]}
        elif kind == "attribute":
            part_type = "conversation_attribute_updated_by_admin"
        elif kind == "close" and rng.random() < 0.3:
            body = content.fill(rng.choice(content.CLOSING_LINES), rng, plan.contact)
        return {
            "type": "conversation_part",
            "id": pid,
            "part_type": part_type,
            "body": body,
            "created_at": at,
            "updated_at": at,
            "notified_at": at,
            "assigned_to": assigned_to,
            "author": author,
            "attachments": attachments,
            "external_id": None,
            "redacted": False,
        }

    def _bot_author(self) -> JSON:
        return {"type": "bot", "id": BOT_ID, "name": "Fin", "email": BOT_EMAIL}


def _admin_author(admin: JSON) -> JSON:
    return {"type": "admin", "id": admin["id"], "name": admin["name"], "email": admin["email"]}


def _contact_author(contact: JSON) -> JSON:
    return {
        "type": contact["role"],
        "id": contact["id"],
        "name": contact["name"],
        "email": contact["email"],
    }
