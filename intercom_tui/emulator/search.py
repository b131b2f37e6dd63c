"""The query language of ``POST /conversations/search``, evaluated against conversation JSON.

A query is one filter ``{field, operator, value}`` or a group ``{operator: AND|OR, value:
[queries]}``, nested to any depth. :func:`compile_query` checks the whole query once (so a
bad query fails with a clear message before any work) and returns a predicate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]
Predicate = Callable[[JSON], bool]


class QueryError(ValueError):
    """A query that Intercom would refuse; ``field`` names the offending field if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class _Field:
    kind: str  # string, text, date, integer, boolean, assignee, list, any
    get: Callable[[JSON], Any]


def _path(*keys: str) -> Callable[[JSON], Any]:
    def get(conversation: JSON) -> Any:
        value: Any = conversation
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return get


def _ids(container: str, key: str) -> Callable[[JSON], list[str]]:
    def get(conversation: JSON) -> list[str]:
        items = (conversation.get(container) or {}).get(key) or []
        return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]

    return get


def _assignee(key: str) -> Callable[[JSON], str]:
    def get(conversation: JSON) -> str:
        value = conversation.get(key)
        return "0" if value in (None, "", 0, "0") else str(value)

    return get


FIELDS: dict[str, _Field] = {
    "id": _Field("string", _path("id")),
    "title": _Field("string", _path("title")),
    "state": _Field("string", _path("state")),
    "priority": _Field("string", _path("priority")),
    "created_at": _Field("date", _path("created_at")),
    "updated_at": _Field("date", _path("updated_at")),
    "waiting_since": _Field("date", _path("waiting_since")),
    "snoozed_until": _Field("date", _path("snoozed_until")),
    "open": _Field("boolean", _path("open")),
    "read": _Field("boolean", _path("read")),
    "ai_agent_participated": _Field("boolean", _path("ai_agent_participated")),
    "admin_assignee_id": _Field("assignee", _assignee("admin_assignee_id")),
    "team_assignee_id": _Field("assignee", _assignee("team_assignee_id")),
    "tag_ids": _Field("list", _ids("tags", "tags")),
    "contact_ids": _Field("list", _ids("contacts", "contacts")),
    "teammate_ids": _Field("list", _ids("teammates", "teammates")),
    "source.type": _Field("string", _path("source", "type")),
    "source.id": _Field("string", _path("source", "id")),
    "source.delivered_as": _Field("string", _path("source", "delivered_as")),
    "source.subject": _Field("string", _path("source", "subject")),
    "source.body": _Field("text", _path("source", "body")),
    "source.url": _Field("string", _path("source", "url")),
    "source.author.id": _Field("string", _path("source", "author", "id")),
    "source.author.type": _Field("string", _path("source", "author", "type")),
    "source.author.name": _Field("string", _path("source", "author", "name")),
    "source.author.email": _Field("string", _path("source", "author", "email")),
    "ai_agent.source_type": _Field("string", _path("ai_agent", "source_type")),
    "ai_agent.resolution_state": _Field("string", _path("ai_agent", "resolution_state")),
    "ai_agent.last_answer_type": _Field("string", _path("ai_agent", "last_answer_type")),
    "ai_agent.rating": _Field("integer", _path("ai_agent", "rating")),
}
#: Families of fields named by a prefix: every statistic is a number, attributes are free.
_PREFIXES = {"statistics.": "integer", "custom_attributes.": "any"}

_OPERATORS = {
    "string": {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"},
    "text": {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"},
    "date": {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
    "integer": {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
    "boolean": {"=", "!=", "IN", "NIN"},
    "assignee": {"=", "!=", "IN", "NIN"},
    "list": {"=", "!=", "IN", "NIN"},
    "any": {"=", "!=", "IN", "NIN", "<", ">", "<=", ">=", "~", "!~", "^", "$"},
}
_TAGS = re.compile(r"<[^>]*>")
_WORDS = re.compile(r"\w+")


def field(name: Any) -> _Field:
    """The searchable field called ``name``; :class:`QueryError` for any other."""
    if isinstance(name, str):
        if name in FIELDS:
            return FIELDS[name]
        for prefix, kind in _PREFIXES.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                return _Field(kind, _path(*name.split(".", 1)))
    raise QueryError(f"{name!r} is not a searchable conversation field", str(name))


def compile_query(query: Any) -> Predicate:
    """Check ``query`` and return a predicate over conversation JSON."""
    if not isinstance(query, dict):
        raise QueryError("query must be an object", "query")
    if "field" in query:
        return _compile_filter(query)
    operator = query.get("operator")
    children = query.get("value")
    if operator not in ("AND", "OR"):
        raise QueryError(
            f"operator {operator!r} is not valid here: a group needs AND or OR, a filter needs"
            " a field",
            "query",
        )
    if not isinstance(children, list) or not children:
        raise QueryError(f"an {operator} group needs a non-empty list of queries", "query")
    predicates = [compile_query(child) for child in children]
    if operator == "AND":
        return lambda c: all(p(c) for p in predicates)
    return lambda c: any(p(c) for p in predicates)


def min_updated_at(query: Any) -> int | None:
    """The smallest ``updated_at`` a match can have, when the query implies one.

    Lets incremental sync (``updated_at > last_sync``) look only at recent conversations
    instead of every one. ``query`` must already have compiled.
    """
    if "field" in query:
        if query["field"] != "updated_at":
            return None
        value = query.get("value")
        if query["operator"] in ("=", ">=") and value is not None:
            return _number(value, "updated_at")
        if query["operator"] == ">" and value is not None:
            return _number(value, "updated_at") + 1
        return None
    bounds = [min_updated_at(child) for child in query["value"]]
    if query["operator"] == "AND":
        known = [b for b in bounds if b is not None]
        return max(known) if known else None
    return None if None in bounds else min(b for b in bounds if b is not None)


def sort_key(name: Any) -> Callable[[JSON], tuple[Any, ...]]:
    """A key sorting conversations by field ``name``, nulls first, ties by id."""
    spec = field(name)
    if spec.kind == "list":
        raise QueryError(f"cannot sort by {name!r}", str(name))

    def key(conversation: JSON) -> tuple[Any, ...]:
        value = spec.get(conversation)
        cid = conversation["id"]
        if value is None:
            return (0, 0, len(cid), cid)
        if isinstance(value, bool | int | float):
            return (1, value, len(cid), cid)
        return (2, str(value), len(cid), cid)

    return key


def _compile_filter(query: JSON) -> Predicate:
    name = query.get("field")
    spec = field(name)
    operator = query.get("operator")
    if operator not in _OPERATORS[spec.kind]:
        raise QueryError(f"operator {operator!r} cannot be used with field {name!r}", str(name))
    if "value" not in query:
        raise QueryError(f"the filter on {name!r} has no value", str(name))
    raw = query["value"]
    if operator in ("IN", "NIN"):
        if not isinstance(raw, list):
            raise QueryError(f"{operator} on {name!r} needs a list value", str(name))
        values = [_coerce(spec.kind, v, name) for v in raw]
        wanted = not operator.startswith("N")  # IN wants a hit, NIN wants none

        def member(conversation: JSON) -> bool:
            actual = spec.get(conversation)
            if spec.kind == "list":
                return any(item in values for item in actual) == wanted
            return (_normal(spec.kind, actual) in values) == wanted

        return member
    if isinstance(raw, list):
        raise QueryError(f"operator {operator!r} on {name!r} needs a single value", str(name))
    value = _coerce(spec.kind, raw, name)
    if value is None and operator not in ("=", "!="):
        raise QueryError(f"operator {operator!r} on {name!r} needs a value", str(name))
    test = _test(spec.kind, operator, value)
    return lambda c: test(spec.get(c))


def _test(kind: str, operator: str, value: Any) -> Callable[[Any], bool]:
    if kind == "list":
        if operator == "=":
            return lambda items: value in items
        return lambda items: value not in items
    if kind == "text" and operator in ("=", "!="):
        # Intercom matches source.body word by word: "= support" finds "I need support".
        word = str(value).lower()

        def has_word(text: Any) -> bool:
            return word in _WORDS.findall(_TAGS.sub(" ", str(text or "")).lower())

        return has_word if operator == "=" else lambda text: not has_word(text)
    if operator in ("~", "!~", "^", "$"):
        needle = str(value).lower()
        match = {
            "~": lambda s: needle in s,
            "!~": lambda s: needle not in s,
            "^": lambda s: s.startswith(needle),
            "$": lambda s: s.endswith(needle),
        }[operator]
        return lambda actual: match(str(actual or "").lower())
    if operator == "=":
        return lambda actual: _normal(kind, actual) == value
    if operator == "!=":
        return lambda actual: _normal(kind, actual) != value
    compare = {
        "<": lambda a: a < value,
        ">": lambda a: a > value,
        "<=": lambda a: a <= value,
        ">=": lambda a: a >= value,
    }[operator]

    def ordered(actual: Any) -> bool:
        try:
            return actual is not None and not isinstance(actual, bool) and compare(actual)
        except TypeError:
            return False

    return ordered


def _normal(kind: str, actual: Any) -> Any:
    """The stored value in the form the query values were coerced to."""
    if kind in ("string", "text") and actual is not None:
        return str(actual)
    return actual


def _coerce(kind: str, value: Any, name: str) -> Any:
    """A query value in the type of its field (Intercom accepts numbers sent as strings)."""
    if value is None:
        return "0" if kind == "assignee" else None
    if kind in ("date", "integer"):
        return _number(value, name)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise QueryError(f"value for {name!r} must be true or false", name)
    if kind == "assignee":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise QueryError(f"value for {name!r} must be an id", name)
        return "0" if value in ("", 0, "0") else str(value)
    if kind == "any":
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise QueryError(f"value for {name!r} must be a string", name)
    return str(value)


def _number(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise QueryError(f"value for {name!r} must be an integer (Unix seconds for dates)", name)
