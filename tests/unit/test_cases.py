"""Cases on a real install: opened for one pupil, referenced KES-YYYY-NNNN, a chronology that
only grows (back-dated entries slot into place, corrections sit beside what they correct),
status and legal hold with reasons — all audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.cases import CaseStatus, EntryDraft, EntryKind
from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.errors import NotFoundError, ValidationError
from app.services import audit_log, cases, incidents


def _pupil_incidents(console, session):  # type: ignore[no-untyped-def]
    """Two incidents of one pupil, and one of another pupil."""
    with console.reading() as db:
        rows = db.connection().exec_driver_sql(
            "SELECT id, subject_id FROM incidents WHERE subject_id IS NOT NULL "
            "ORDER BY id").all()
    by_pupil: dict[int, list[int]] = {}
    for incident_id, subject_id in rows:
        by_pupil.setdefault(subject_id, []).append(incident_id)
    same = next(ids for ids in by_pupil.values() if len(ids) >= 2)
    other = next(ids for s, ids in by_pupil.items() if ids is not same)
    return same[:2], other[0]


def test_a_case_opens_for_one_pupil_with_a_yearly_reference_and_actions_its_incidents(
        install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    (a, b), stranger = _pupil_incidents(console, dsl)
    case = cases.open_case(console, dsl, [a, b], "Repeated self-harm searches.")
    year = console.clock().year
    assert case.summary.reference == f"KES-{year}-0001"
    assert case.summary.status == CaseStatus.OPEN and case.text == "Repeated self-harm searches."
    assert {i.id for i in case.incidents} == {a, b}
    assert [e.kind for e in case.chronology] == [EntryKind.INCIDENTS]
    rows = incidents.list_incidents(console, dsl, IncidentQuery(), limit=100).rows
    assert {r.status for r in rows if r.id in (a, b)} == {IncidentStatus.ACTIONED}
    with pytest.raises(ValidationError, match="one pupil"):
        cases.open_case(console, dsl, [a, stranger])
    second = cases.open_case(console, dsl, [stranger])
    assert second.summary.reference == f"KES-{year}-0002"
    assert cases.find_case(console, dsl, f"kes-{year}-0002 ") == second.summary.id
    with pytest.raises(NotFoundError):
        cases.find_case(console, dsl, "KES-1999-0001")


def test_the_chronology_only_grows_back_dated_entries_slot_in_and_corrections_sit_beside(
        install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    (a, _b), _ = _pupil_incidents(console, dsl)
    case_id = cases.open_case(console, dsl, [a]).summary.id
    now = console.clock()
    cases.add_entry(console, dsl, case_id, EntryDraft(EntryKind.NOTE, "Spoke to the pupil."))
    referral = cases.add_entry(console, dsl, case_id, EntryDraft(
        EntryKind.REFERRAL, "Referred to MASH by phone.", now - timedelta(days=3),
        agency="mash / children's social care", agency_reference="MASH-2231"))
    referral_entry = next(e for e in referral.chronology if e.kind == EntryKind.REFERRAL)
    assert referral.chronology[0] is referral_entry  # happened first, so it comes first
    assert referral_entry.back_dated and referral_entry.agency == "MASH / children's social care"
    fixed = cases.add_entry(console, dsl, case_id, EntryDraft(
        EntryKind.REFERRAL, "Correction: the call was to the LADO, not MASH.",
        now - timedelta(days=3), agency="LADO", corrects_id=referral_entry.id))
    original = next(e for e in fixed.chronology if e.id == referral_entry.id)
    correction = next(e for e in fixed.chronology if e.corrects_id == referral_entry.id)
    assert original.body == "Referred to MASH by phone."  # never rewritten
    assert original.corrected_by == (correction.id,)
    actions = [e.action for e in audit_log.recent_events(console, dsl, 10)]
    assert actions.count("case.entry") == 3 and "case.open" in actions


def test_status_and_legal_hold_need_a_reason_and_enter_the_chronology(
        install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    (a, _b), _ = _pupil_incidents(console, dsl)
    case_id = cases.open_case(console, dsl, [a]).summary.id
    with pytest.raises(ValidationError, match="reason"):
        cases.set_status(console, dsl, case_id, CaseStatus.REFERRED, "  ")
    detail = cases.set_status(console, dsl, case_id, CaseStatus.REFERRED, "Police informed")
    detail = cases.set_legal_hold(console, dsl, case_id, True, "Police investigation")
    assert detail.summary.status == CaseStatus.REFERRED and detail.summary.legal_hold
    bodies = [e.body for e in detail.chronology]
    assert "Open → Referred: Police informed" in bodies
    assert "Placed on legal hold: Police investigation" in bodies
    listed = {c.reference: c for c in cases.list_cases(console, dsl)}
    assert listed[detail.summary.reference].legal_hold


def test_bad_entries_are_refused_with_a_reason(  # type: ignore[no-untyped-def]
        install_with_incidents) -> None:
    console, dsl = install_with_incidents
    (a, _b), stranger = _pupil_incidents(console, dsl)
    case_id = cases.open_case(console, dsl, [a]).summary.id
    other_case = cases.open_case(console, dsl, [stranger])
    foreign_entry = other_case.chronology[0].id
    now = datetime.now(UTC)
    for draft, words in (
            (EntryDraft(EntryKind.NOTE, "x", now + timedelta(days=1)), "future"),
            (EntryDraft(EntryKind.NOTE, "x", datetime(2026, 1, 1)), "time zone"),
            (EntryDraft(EntryKind.REFERRAL, "phoned"), "agency"),
            (EntryDraft(EntryKind.REFERRAL, "phoned", agency="Ghostbusters"), "Unknown agency"),
            (EntryDraft(EntryKind.CONTACT, "rang home"), "with whom"),
            (EntryDraft(EntryKind.NOTE, "   "), "words"),
            (EntryDraft(EntryKind.STATUS, "closed it"), "own actions"),
            (EntryDraft(EntryKind.NOTE, "fix", corrects_id=foreign_entry), "this case")):
        with pytest.raises(ValidationError, match=words):
            cases.add_entry(console, dsl, case_id, draft)


def test_escalate_adds_to_the_pupils_live_case_or_opens_one(  # type: ignore[no-untyped-def]
        install_with_incidents) -> None:
    console, dsl = install_with_incidents
    (a, b), _ = _pupil_incidents(console, dsl)
    first = cases.escalate(console, dsl, [a])
    again = cases.escalate(console, dsl, [b])
    assert again.summary.id == first.summary.id and {i.id for i in again.incidents} == {a, b}
    cases.set_status(console, dsl, first.summary.id, CaseStatus.CLOSED, "Resolved")
    fresh = cases.escalate(console, dsl, [a])
    assert fresh.summary.id != first.summary.id
