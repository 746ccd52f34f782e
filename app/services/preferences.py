"""A staff member's own list preferences, kept in the database so they follow them to any
console PC: saved filters ("New, severity ≥ 4") and which incident-list columns show.

Saving is a state change, so it is audited like any other (`preferences.save`), without the
filter's search words in the log.

Threading: saves run on the DB executor; reads may run anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.errors import ValidationError
from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import settings_repo

MAX_SAVED = 30
_QUERY_FIELDS = {f.name for f in fields(IncidentQuery)}


@dataclass(frozen=True)
class SavedFilter:
    name: str
    query: IncidentQuery


@dataclass(frozen=True)
class ListPreferences:
    saved: tuple[SavedFilter, ...]
    hidden_columns: tuple[str, ...]


def list_preferences(console: Console, session: UserSession) -> ListPreferences:
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        raw = settings_repo.get(db, _key(session))
    return _parse(raw)


def save_filter(console: Console, session: UserSession, name: str,
                query: IncidentQuery) -> ListPreferences:
    """Save (or replace, by name) a filter for this user."""
    name = " ".join(name.split())[:60]
    if not name:
        raise ValidationError("Give the filter a name.")
    return _update(console, session, lambda p: ListPreferences(
        (*[s for s in p.saved if s.name != name], SavedFilter(name, query))[-MAX_SAVED:],
        p.hidden_columns), what="filter", name=name)


def delete_filter(console: Console, session: UserSession, name: str) -> ListPreferences:
    return _update(console, session, lambda p: ListPreferences(
        tuple(s for s in p.saved if s.name != name), p.hidden_columns), what="filter.delete",
        name=name)


def set_hidden_columns(console: Console, session: UserSession,
                       columns: tuple[str, ...]) -> ListPreferences:
    return _update(console, session, lambda p: ListPreferences(p.saved, tuple(columns)[:20]),
                   what="columns", columns=list(columns)[:20])


def _update(console: Console, session: UserSession,
            change: Callable[[ListPreferences], ListPreferences], **details: Any
            ) -> ListPreferences:
    session.require(Permission.LIST_INCIDENTS)
    with console.unit_of_work(session.actor) as uow:
        now = change(_parse(settings_repo.get(uow.session, _key(session))))
        settings_repo.put(uow.session, _key(session), _dump(now))
        uow.audit("preferences.save", f"user:{session.user.username}", **details)
    return now


def _key(session: UserSession) -> str:
    return f"prefs.incident_list.{session.user.id}"


def _dump(p: ListPreferences) -> str:
    return json.dumps({"saved": [{"name": s.name, "query": _query_doc(s.query)}
                                 for s in p.saved],
                       "hidden_columns": list(p.hidden_columns)})


def _query_doc(q: IncidentQuery) -> dict[str, Any]:
    doc = asdict(q)
    doc["statuses"] = [s.value for s in q.statuses]
    for name in ("captured_from", "captured_to"):
        doc[name] = doc[name].isoformat() if doc[name] else None
    return doc


def _parse(raw: str | None) -> ListPreferences:
    """Stored preferences, leaving out anything that no longer reads (never an error)."""
    try:
        doc = json.loads(raw) if raw else {}
        saved = tuple(s for s in (_saved(item) for item in doc.get("saved", [])) if s)
        hidden = tuple(str(c) for c in doc.get("hidden_columns", []))
    except (ValueError, AttributeError, TypeError):
        return ListPreferences((), ())
    return ListPreferences(saved, hidden)


def _saved(item: Any) -> SavedFilter | None:
    try:
        q = {k: v for k, v in item["query"].items() if k in _QUERY_FIELDS}
        q["statuses"] = tuple(IncidentStatus(s) for s in q.get("statuses", ()))
        q["category_keys"] = tuple(q.get("category_keys", ()))
        for name in ("captured_from", "captured_to"):
            q[name] = datetime.fromisoformat(q[name]) if q.get(name) else None
        return SavedFilter(str(item["name"]), IncidentQuery(**q))
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
