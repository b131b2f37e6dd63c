"""A conversation as Markdown or JSON, for ``e`` in the thread and ``intercom-tui export``.

JSON is the raw API object, unchanged once parsed (faithful, machine-readable). Markdown
is for people and is cleaned of control characters like everything else we show.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from intercom_tui.api.models import Author, Conversation, Part
from intercom_tui.render.html import html_to_markdown
from intercom_tui.render.safe import clean, clean_line
from intercom_tui.service.directory import Directory

#: Characters JSON may carry raw that a terminal would act on or that reorder text: DEL,
#: C1 controls, zero-width and bidi controls, line separators, BOM, lone surrogates.
_UNSAFE_IN_JSON = re.compile(
    "[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def to_json(conversation: Conversation) -> str:
    """The raw API object. Unsafe characters are written as ``\\uXXXX`` escapes (C0
    controls always are), so the text is safe on a terminal and parses back to the same
    data."""
    text = json.dumps(conversation.raw, indent=2, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _when(ts: int | None) -> str:
    if not ts:
        return ""
    try:
        return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):  # untrusted: 10**30 is not a date
        return ""


def _who(author: Author, names: Directory) -> str:
    name = author.name or (
        names.admin_name(author.id) if author.type == "admin" else names.contact_name(author.id)
    )
    kind = clean_line(author.type or "unknown")
    return f"{clean_line(name or author.email or 'Unknown')} ({kind})"


def to_markdown(conversation: Conversation, names: Directory) -> str:
    c = conversation
    title = clean_line(c.title or c.source.subject or f"Conversation {c.id}")
    assignee = names.assignee_label(c.admin_assignee_id, c.team_assignee_id) or "unassigned"
    lines = [
        f"# {title}",
        "",
        f"- Conversation: {clean_line(c.id)}",
        f"- State: {clean_line(c.state)}{' (priority)' if c.priority else ''}",
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
    kind = clean_line(part.part_type.replace("_", " "))
    head = f"## {_who(part.author, names)} · {kind} · {_when(part.created_at)}"
    body = clean(html_to_markdown(part.body)) if part.body else ""
    out = [head, ""]
    if body:
        out.append(body)
    out += [f"- Attachment: [{clean_line(a.name)}]({clean_line(a.url)})" for a in part.attachments]
    return out
