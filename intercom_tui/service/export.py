"""A conversation as Markdown or JSON, for ``e`` in the thread and ``intercom-tui export``.

JSON is the raw API object, unchanged (faithful, machine-readable). Markdown is for
people and is cleaned of control characters like everything else we show.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from intercom_tui.api.models import Author, Conversation, Part
from intercom_tui.render.html import html_to_markdown
from intercom_tui.render.safe import clean, clean_line
from intercom_tui.service.directory import Directory


def to_json(conversation: Conversation) -> str:
    return json.dumps(conversation.raw, indent=2, ensure_ascii=False)


def _when(ts: int | None) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _who(author: Author, names: Directory) -> str:
    name = author.name or (
        names.admin_name(author.id) if author.type == "admin" else names.contact_name(author.id)
    )
    return clean_line(name or author.email or "Unknown") + f" ({author.type or 'unknown'})"


def to_markdown(conversation: Conversation, names: Directory) -> str:
    c = conversation
    title = clean_line(c.title or c.source.subject or f"Conversation {c.id}")
    assignee = names.assignee_label(c.admin_assignee_id, c.team_assignee_id) or "unassigned"
    lines = [
        f"# {title}",
        "",
        f"- Conversation: {c.id}",
        f"- State: {c.state}{' (priority)' if c.priority else ''}",
        f"- Assignee: {clean_line(assignee)}",
        f"- Created: {_when(c.created_at)}",
        f"- Updated: {_when(c.updated_at)}",
    ]
    if c.tags:
        lines.append("- Tags: " + ", ".join(clean_line(t.name) for t in c.tags))
    lines += [
        "",
        f"## {_who(c.source.author, names)} · {_when(c.created_at)}",
        "",
        clean(html_to_markdown(c.source.body)),
    ]
    for part in c.parts:
        lines += ["", *_part(part, names)]
    return "\n".join(lines).rstrip() + "\n"


def _part(part: Part, names: Directory) -> list[str]:
    kind = part.part_type.replace("_", " ")
    head = f"## {_who(part.author, names)} · {kind} · {_when(part.created_at)}"
    body = clean(html_to_markdown(part.body)) if part.body else ""
    out = [head, ""]
    if body:
        out.append(body)
    out += [f"- Attachment: [{clean_line(a.name)}]({clean_line(a.url)})" for a in part.attachments]
    return out
