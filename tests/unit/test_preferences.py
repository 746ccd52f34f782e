"""Saved filters and hidden columns follow the user, survive a round trip exactly, and a
damaged stored value never breaks the list."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.services import incidents, preferences
from db.repositories import settings_repo


def test_a_saved_filter_comes_back_exactly_and_still_runs(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    query = IncidentQuery(statuses=(IncidentStatus.NEW, IncidentStatus.REVIEWING),
                          category_keys=("bullying",), min_severity=3, text="kill",
                          captured_from=datetime(2026, 9, 1, tzinfo=UTC), source="typed",
                          assignee_id=dsl.user.id, sort="severity")
    preferences.save_filter(console, dsl, "  Bullying,   typed  ", query)
    preferences.set_hidden_columns(console, dsl, ("Device", "Year"))
    prefs = preferences.list_preferences(console, dsl)
    (saved,) = prefs.saved
    assert saved.name == "Bullying, typed" and saved.query == query
    assert prefs.hidden_columns == ("Device", "Year")
    incidents.list_incidents(console, dsl, saved.query)  # a valid query for the service
    preferences.delete_filter(console, dsl, "Bullying, typed")
    assert preferences.list_preferences(console, dsl).saved == ()


def test_damaged_stored_preferences_read_as_none(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    for junk in ("{not json", '{"saved": [{"name": "x", "query": {"statuses": ["nope"]}}]}',
                 '["a list"]'):
        with console.unit_of_work(dsl.actor) as uow:
            settings_repo.put(uow.session, f"prefs.incident_list.{dsl.user.id}", junk)
            uow.audit("test.damage", "settings")
        assert preferences.list_preferences(console, dsl).saved == ()
