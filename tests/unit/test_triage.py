"""Triage changes: severity, assignee, status with a reason, notes, and undo that never
overwrites someone else's later change. Each is audited per incident."""

from __future__ import annotations

import pytest

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.errors import ValidationError
from app.services import audit_log, incidents, triage


def _rows(console, session, n: int = 3):  # type: ignore[no-untyped-def]
    return incidents.list_incidents(console, session, IncidentQuery(), limit=n).rows


def test_regrade_assign_and_note_are_saved_shown_and_audited(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    ids = [r.id for r in _rows(console, dsl)]
    triage.regrade(console, dsl, ids, 5)
    (me,) = [s for s in triage.assignable_staff(console, dsl) if s.id == dsl.user.id]
    triage.assign(console, dsl, ids[:1], me.id)
    triage.add_note(console, dsl, ids[0], "Spoke to form tutor; pupil seemed fine.")
    after = {r.id: r for r in _rows(console, dsl)}
    assert {after[i].severity for i in ids} == {5}
    assert after[ids[0]].assignee_name == me.name and after[ids[1]].assignee_name is None
    (note,) = triage.notes(console, dsl, ids[0])
    assert note.body.startswith("Spoke to form tutor") and note.author == me.name
    actions = [(e.action, e.target) for e in audit_log.recent_events(console, dsl, 20)]
    assert {("incident.severity", f"incident:{i}") for i in ids} <= set(actions)
    assert ("incident.assign", f"incident:{ids[0]}") in actions
    assert ("incident.note", f"incident:{ids[0]}") in actions


def test_undo_restores_each_incidents_own_value_and_the_log_keeps_both(  # type: ignore[no-untyped-def]
        install_with_incidents) -> None:
    console, dsl = install_with_incidents
    rows = _rows(console, dsl)
    before = {r.id: r.status for r in rows}
    triage.set_status(console, dsl, [rows[0].id], IncidentStatus.REVIEWING)
    done = triage.set_status(console, dsl, list(before), IncidentStatus.FALSE_POSITIVE,
                             reason="school's own test page")
    triage.undo(console, dsl, done)
    now = {r.id: r.status for r in _rows(console, dsl)}
    assert now[rows[0].id] == IncidentStatus.REVIEWING
    assert all(now[i] == before[i] for i in before if i != rows[0].id)
    events = audit_log.recent_events(console, dsl, 20)
    undone = [e for e in events if e.action == "incident.status" and '"undo":true' in
              e.details.replace(" ", "")]
    assert len(undone) == len(done.before)
    assert any("school's own test page" in e.details for e in events)


def test_undo_is_refused_when_someone_changed_the_incident_since(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    (row,) = _rows(console, dsl, 1)
    done = triage.regrade(console, dsl, [row.id], 1 if row.severity != 1 else 2)
    triage.regrade(console, dsl, [row.id], 5)  # a colleague's later decision
    with pytest.raises(ValidationError, match="changed since"):
        triage.undo(console, dsl, done)
    assert _rows(console, dsl, 1)[0].severity == 5


def test_bad_triage_values_are_refused(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    (row,) = _rows(console, dsl, 1)
    for call in (lambda: triage.regrade(console, dsl, [row.id], 9),
                 lambda: triage.assign(console, dsl, [row.id], 999_999),
                 lambda: triage.add_note(console, dsl, row.id, "   "),
                 lambda: triage.add_note(console, dsl, row.id, "x" * 5000),
                 lambda: triage.set_status(console, dsl, [], IncidentStatus.CLOSED)):
        with pytest.raises(ValidationError):
            call()
