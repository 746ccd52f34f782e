"""Cases: opened for one pupil from their incidents, with a chronology of every concern,
discussion, decision and the reason for it (KCSIE).

Chronology entries are append-only: a correction is a new entry naming the one it corrects,
and both stay. An entry may be back-dated (it slots into place by when it happened and shows
when it was recorded too). Status and legal-hold changes need a reason and are written into
the chronology by the service. Every change, and every view of a case, is audited.

Threading: every function here writes (at least an audit event), so call it on the DB executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from app.domain.cases import (
    AGENCIES,
    CONTACTS,
    WRITABLE_KINDS,
    CaseDetail,
    CaseEntryView,
    CaseIncidentView,
    CaseStatus,
    CaseSummary,
    EntryDraft,
    EntryKind,
)
from app.domain.enums import IncidentStatus
from app.errors import NotFoundError, ValidationError
from app.security.authorisation import Permission
from app.services.console import Console, UnitOfWork
from app.services.users import UserSession
from db.repositories import cases_repo, triage_repo

TEXT_MAX = 4000
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little; a later date is a typing slip
EARLIEST = datetime(2000, 1, 1).astimezone()


def open_case(console: Console, session: UserSession, incident_ids: Sequence[int],
              summary: str = "") -> CaseDetail:
    """A new case for the one pupil these incidents are about; they become Actioned (unless
    already Actioned or Closed)."""
    session.require(Permission.LIST_INCIDENTS)
    ids = sorted(set(incident_ids))
    with console.unit_of_work(session.actor) as uow:
        subject_id = _one_pupil(uow, ids)
        now = console.clock()
        prefix = f"KES-{now.year}-"
        reference = f"{prefix}{cases_repo.next_number(uow.session, prefix):04d}"
        case_id = cases_repo.add_case(uow.session, {
            "reference": reference, "subject_id": subject_id, "status": CaseStatus.OPEN.value,
            "legal_hold": False, "opened_at": now, "opened_by": session.user.id,
            "summary": _text(summary, "summary", allow_empty=True)})
        _link(uow, session, case_id, ids, now)
        uow.audit("case.open", f"case:{case_id}", reference=reference, incidents=ids)
        return _detail(uow, case_id)


def escalate(console: Console, session: UserSession,
             incident_ids: Sequence[int]) -> CaseDetail:
    """The `e` key: add the incidents to their pupil's latest case that is not closed, or open
    a new case for them."""
    session.require(Permission.LIST_INCIDENTS)
    ids = sorted(set(incident_ids))
    with console.reading() as db:
        subjects = set(cases_repo.subjects_of_incidents(db, ids).values())
        pupil = subjects.pop() if len(subjects) == 1 else None
        current = cases_repo.live_case_of(db, pupil) if pupil is not None else None
    if current is None:
        return open_case(console, session, ids)
    with console.reading() as db:
        new = [i for i in ids if i not in cases_repo.linked_ids(db, current)]
    return attach_incidents(console, session, current, new) if new else \
        view_case(console, session, current)


def attach_incidents(console: Console, session: UserSession, case_id: int,
                     incident_ids: Sequence[int]) -> CaseDetail:
    session.require(Permission.LIST_INCIDENTS)
    ids = sorted(set(incident_ids))
    with console.unit_of_work(session.actor) as uow:
        case = _case(uow, case_id)
        if _one_pupil(uow, ids) != case.subject_id:
            raise ValidationError("Those incidents are about another pupil than this case.")
        new = [i for i in ids if i not in cases_repo.linked_ids(uow.session, case_id)]
        if not new:
            raise ValidationError("Those incidents are already in this case.")
        _link(uow, session, case_id, new, console.clock())
        uow.audit("case.attach", f"case:{case_id}", incidents=new)
        return _detail(uow, case_id)


def add_entry(console: Console, session: UserSession, case_id: int,
              draft: EntryDraft) -> CaseDetail:
    """Append a chronology line (a note, action, contact, referral or outcome)."""
    session.require(Permission.LIST_INCIDENTS)
    now = console.clock()
    values = _entry_values(draft, now)
    with console.unit_of_work(session.actor) as uow:
        _case(uow, case_id)
        if draft.corrects_id is not None and \
                cases_repo.entry_case(uow.session, draft.corrects_id) != case_id:
            raise ValidationError("A correction must name an entry of this case.")
        entry_id = cases_repo.add_entry(uow.session, {
            **values, "case_id": case_id, "author_id": session.user.id, "recorded_at": now})
        uow.audit("case.entry", f"case:{case_id}", entry=entry_id, kind=draft.kind.value,
                  back_dated=values["occurred_at"] < now - timedelta(minutes=15),
                  corrects=draft.corrects_id)
        return _detail(uow, case_id)


def set_status(console: Console, session: UserSession, case_id: int, status: CaseStatus,
               reason: str) -> CaseDetail:
    session.require(Permission.LIST_INCIDENTS)
    why = _text(reason, "reason")
    with console.unit_of_work(session.actor) as uow:
        case = _case(uow, case_id)
        before = CaseStatus(case.status)
        if before == status:
            raise ValidationError(f"The case is already {status.label.lower()}.")
        cases_repo.set_fields(uow.session, case_id, status=status.value)
        _service_entry(uow, session, case_id, EntryKind.STATUS,
                       f"{before.label} → {status.label}: {why}", console.clock())
        uow.audit("case.status", f"case:{case_id}", old=before.value, new=status.value,
                  reason=why[:500])
        return _detail(uow, case_id)


def set_legal_hold(console: Console, session: UserSession, case_id: int, hold: bool,
                   reason: str) -> CaseDetail:
    """While on hold, nothing of the case is removed by retention."""
    session.require(Permission.LIST_INCIDENTS)
    why = _text(reason, "reason")
    with console.unit_of_work(session.actor) as uow:
        case = _case(uow, case_id)
        if case.legal_hold == hold:
            raise ValidationError(f"The case is already {'on' if hold else 'off'} legal hold.")
        cases_repo.set_fields(uow.session, case_id, legal_hold=hold)
        _service_entry(uow, session, case_id, EntryKind.HOLD,
                       f"{'Placed on' if hold else 'Released from'} legal hold: {why}",
                       console.clock())
        uow.audit("case.hold", f"case:{case_id}", hold=hold, reason=why[:500])
        return _detail(uow, case_id)


def set_summary(console: Console, session: UserSession, case_id: int,
                text: str) -> CaseDetail:
    """The DSL's summary that opens a referral (the chronology keeps what happened)."""
    session.require(Permission.LIST_INCIDENTS)
    with console.unit_of_work(session.actor) as uow:
        _case(uow, case_id)
        cases_repo.set_fields(uow.session, case_id,
                              summary=_text(text, "summary", allow_empty=True))
        uow.audit("case.summary", f"case:{case_id}", characters=len(text.strip()))
        return _detail(uow, case_id)


def view_case(console: Console, session: UserSession, case_id: int) -> CaseDetail:
    """The case in full; the view is audited (it gathers a pupil's history)."""
    session.require(Permission.LIST_INCIDENTS)
    with console.unit_of_work(session.actor) as uow:
        _case(uow, case_id)
        uow.audit("case.view", f"case:{case_id}")
        return _detail(uow, case_id)


def find_case(console: Console, session: UserSession, reference: str) -> int:
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        case = cases_repo.by_reference(db, reference.strip().upper())
        if case is None:
            raise NotFoundError(f"There is no case {reference.strip()!r}.")
        return int(case.id)


def list_cases(console: Console, session: UserSession, status: CaseStatus | None = None,
               limit: int = 500) -> list[CaseSummary]:
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        rows = cases_repo.summaries(db, limit, status.value if status else None)
        return [_summary(r) for r in rows]


# --- inside a unit of work -------------------------------------------------------------------

def _case(uow: UnitOfWork, case_id: int) -> Any:
    case = cases_repo.by_id(uow.session, case_id)
    if case is None:
        raise NotFoundError("That case no longer exists.")
    return case


def _one_pupil(uow: UnitOfWork, ids: list[int]) -> int:
    if not ids:
        raise ValidationError("Choose at least one incident.")
    subjects = cases_repo.subjects_of_incidents(uow.session, ids)
    if len(subjects) != len(ids):
        raise ValidationError(f"{len(ids) - len(subjects)} of those incidents no longer exist.")
    pupils = set(subjects.values())
    if None in pupils:
        raise ValidationError("A case needs a known pupil; one of those incidents has none.")
    if len(pupils) != 1:
        raise ValidationError(f"A case is about one pupil; those incidents are about "
                              f"{len(pupils)} pupils.")
    return int(pupils.pop())  # type: ignore[arg-type]


def _link(uow: UnitOfWork, session: UserSession, case_id: int, ids: list[int],
          now: datetime) -> None:
    cases_repo.link(uow.session, case_id, ids)
    before = triage_repo.values_of(uow.session, ids, "status")
    settled = (IncidentStatus.ACTIONED.value, IncidentStatus.CLOSED.value)
    moved = [i for i in ids if before[i] not in settled]  # in a case: a real concern
    if moved:
        triage_repo.set_value(uow.session, moved, "status", IncidentStatus.ACTIONED.value)
    triage_repo.mark_reviewed(uow.session, ids, now)
    for incident_id in moved:
        uow.audit("incident.status", f"incident:{incident_id}", old=before[incident_id],
                  new=IncidentStatus.ACTIONED.value, case=case_id)
    noun = "incident" if len(ids) == 1 else "incidents"
    _service_entry(uow, session, case_id, EntryKind.INCIDENTS,
                   f"{len(ids)} {noun} linked: " + ", ".join(f"#{i}" for i in ids[:20])
                   + (" …" if len(ids) > 20 else ""), now)


def _service_entry(uow: UnitOfWork, session: UserSession, case_id: int, kind: EntryKind,
                   body: str, now: datetime) -> None:
    cases_repo.add_entry(uow.session, {"case_id": case_id, "kind": kind.value, "body": body,
                                       "author_id": session.user.id, "occurred_at": now,
                                       "recorded_at": now})


def _detail(uow: UnitOfWork, case_id: int) -> CaseDetail:
    (row,) = cases_repo.summaries(uow.session, 1, case_id=case_id)
    rows = cases_repo.entries(uow.session, case_id)
    corrected: dict[int, list[int]] = {}
    for r in rows:
        if r[10] is not None:
            corrected.setdefault(int(r[10]), []).append(int(r[0]))
    chronology = tuple(CaseEntryView(
        int(r[0]), EntryKind(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
        tuple(corrected.get(int(r[0]), ()))) for r in rows)
    incidents = tuple(CaseIncidentView(int(r[0]), r[1], r[2], int(r[3]), r[4],
                                       bool(r[5]) or int(r[6]) > 0)
                      for r in cases_repo.incidents(uow.session, case_id))
    return CaseDetail(_summary(row), int(row[9]), cases_repo.staff_name(uow.session, row[10]),
                      str(row[11] or ""), incidents, chronology)


def _summary(r: Any) -> CaseSummary:
    return CaseSummary(int(r[0]), str(r[1]), str(r[2]), r[3], CaseStatus(r[4]), bool(r[5]),
                       r[6], int(r[7]), r[8])


# --- validation -----------------------------------------------------------------------------

def _entry_values(draft: EntryDraft, now: datetime) -> dict[str, Any]:
    if draft.kind not in WRITABLE_KINDS:
        raise ValidationError("Status and legal hold change through their own actions.")
    when = draft.occurred_at or now
    if when.tzinfo is None:
        raise ValidationError("Give the date with its time zone.")
    if when > now + FUTURE_SLACK:
        raise ValidationError("An entry cannot be dated in the future.")
    if when < EARLIEST:
        raise ValidationError("That date is too long ago to be right.")
    agency = _choice(draft.agency, AGENCIES, "agency") if draft.agency else None
    if draft.kind == EntryKind.REFERRAL and agency is None:
        raise ValidationError(f"A referral names the agency: {', '.join(AGENCIES)}.")
    contact = _choice(draft.contact_with, CONTACTS, "contact") if draft.contact_with else None
    if draft.kind == EntryKind.CONTACT and contact is None:
        raise ValidationError(f"A contact says with whom: {', '.join(CONTACTS)}.")
    return {"kind": draft.kind.value, "body": _text(draft.body, "entry"), "occurred_at": when,
            "agency": agency, "contact_with": contact,
            "agency_reference": _short(draft.agency_reference, 100),
            "outcome": _short(draft.outcome, TEXT_MAX), "corrects_id": draft.corrects_id}


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    for option in allowed:
        if value.strip().lower() == option.lower():
            return option
    raise ValidationError(f"Unknown {what} {value!r}; choose one of: {', '.join(allowed)}.")


def _text(value: str, what: str, allow_empty: bool = False) -> str:
    text = value.strip()
    if not text and not allow_empty:
        raise ValidationError(f"The {what} needs some words.")
    if len(text) > TEXT_MAX:
        raise ValidationError(f"The {what} holds up to {TEXT_MAX} characters.")
    return text


def _short(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    return text[:limit] or None
