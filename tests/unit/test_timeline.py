"""A pupil's timeline: all their incidents and notes, newest first, with counts per category
that match a plain SQL count; opening it is audited."""

from __future__ import annotations

import pytest

from app.errors import NotFoundError
from app.services import audit_log, timeline, triage


def test_a_pupils_timeline_has_every_incident_and_note_and_true_counts(  # type: ignore[no-untyped-def]
        install_with_incidents) -> None:
    console, dsl = install_with_incidents
    with console.reading() as db:
        subject_id, = db.connection().exec_driver_sql(
            "SELECT subject_id FROM incidents WHERE subject_id IS NOT NULL GROUP BY subject_id"
            " ORDER BY COUNT(*) DESC LIMIT 1").one()
        counts = dict(db.connection().exec_driver_sql(
            "SELECT c.key, COUNT(*) FROM incidents i JOIN categories c ON c.id = i.category_id"
            " WHERE i.subject_id = ? GROUP BY c.key", (subject_id,)).all())
        first_id, = db.connection().exec_driver_sql(
            "SELECT MIN(id) FROM incidents WHERE subject_id = ?", (subject_id,)).one()
    triage.add_note(console, dsl, first_id, "Called home; mum aware.")
    data = timeline.pupil_timeline(console, dsl, subject_id)
    assert dict(data.counts) == counts and data.total == sum(counts.values())
    kinds = [e.kind for e in data.entries]
    assert kinds.count("incident") == data.total and kinds.count("note") == 1
    assert [e.when for e in data.entries] == sorted((e.when for e in data.entries), reverse=True)
    events = audit_log.recent_events(console, dsl, 5)
    assert any(e.action == "subject.timeline" and e.target == f"subject:{subject_id}"
               for e in events)


def test_an_unknown_pupil_is_a_clear_error(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    with pytest.raises(NotFoundError, match="not known"):
        timeline.pupil_timeline(console, dsl, 987_654)
