"""Exporting a case for referral: freeze it, render the PDF, write its manifest, audit it.

1. `snapshot_case` gathers everything the report shows into a `CaseSnapshot` first: the case,
   its chronology, each incident with its matches, and each screenshot — decrypted through the
   normal audited open, but only when it verifies and is not restricted imagery (DESIGN §11:
   possible indecent images are never embedded; the report carries their hashes instead).
2. `app.reports.case_report` renders it (no database, no keys, no Qt).
3. `manifest.json` beside the PDF lists every evidence hash and the PDF's own SHA-256.
4. The export is audited with the PDF's and the manifest's hashes.
A failure or a cancel at any step leaves neither a partial PDF nor a manifest.

Threading: run on the DB executor (it writes audit events); it reports progress.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.case_snapshot import (
    CaseSnapshot,
    CustodyRecord,
    SnapshotEntry,
    SnapshotEvidence,
    SnapshotIncident,
    SnapshotMatch,
)
from app.domain.categories import CATEGORY_BY_KEY
from app.domain.detail import EvidenceInfo, IncidentDetail
from app.errors import IntegrityError, NotFoundError, ValidationError
from app.fileio import write_atomically
from app.reports.case_report import render_case_report
from app.reports.evidence_section import embeddable
from app.security.authorisation import Permission
from app.services import cases, evidence, incident_view
from app.services.console import Console
from app.services.users import UserSession
from app.version import software_version
from db.repositories import audit_repo, incident_detail_repo

TEMPLATES = {"police": "the police", "mash": "children's social care (MASH)",
             "lado": "the LADO"}
CUSTODY_ACTIONS = {"incident.view": "viewed incident", "evidence.open": "opened a screenshot",
                   "evidence.reveal": "revealed restricted imagery",
                   "evidence.verify_failed": "found a screenshot altered",
                   "case.open": "opened the case", "case.view": "viewed the case",
                   "case.export": "exported the case"}


@dataclass(frozen=True)
class ExportResult:
    pdf: Path
    manifest: Path
    pdf_sha256: str
    pages: int


def export_case(console: Console, session: UserSession, case_id: int, out: Path,
                purpose: str, template: str = "mash", password: str | None = None,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> ExportResult:
    """Render the referral PDF of a case to `out`, with `manifest.json` beside it."""
    snapshot = snapshot_case(console, session, case_id, purpose, template)
    manifest_path = out.with_name(f"{out.stem}.manifest.json")
    rendered = render_case_report(snapshot, out, password=password, progress=progress,
                                  cancelled=cancelled)
    try:
        doc = _manifest(snapshot, out.name, rendered.sha256)
        raw = json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")
        write_atomically(manifest_path, raw)
        with console.unit_of_work(session.actor) as uow:
            uow.audit("case.export", f"case:{case_id}", reference=snapshot.reference,
                      pdf_sha256=rendered.sha256,
                      manifest_sha256=hashlib.sha256(raw).hexdigest(),
                      template=template, purpose=snapshot.purpose[:300], pages=rendered.pages,
                      encrypted=password is not None)
    except BaseException:
        out.unlink(missing_ok=True)  # no PDF without its manifest and its audit record
        manifest_path.unlink(missing_ok=True)
        raise
    return ExportResult(out, manifest_path, rendered.sha256, rendered.pages)


def snapshot_case(console: Console, session: UserSession, case_id: int, purpose: str,
                  template: str) -> CaseSnapshot:
    """Everything the report will show, frozen now (screenshots opened through the audit)."""
    session.require(Permission.EXPORT)
    if template not in TEMPLATES:
        raise ValidationError(f"Choose a report for: {', '.join(TEMPLATES)}.")
    purpose = " ".join(purpose.split())
    if len(purpose) < 5:
        raise ValidationError("Say what the referral is for (a few words).")
    case = cases.view_case(console, session, case_id)
    details = [incident_view.view_incident(console, session, i.id) for i in case.incidents]
    incidents = tuple(_incident(console, session, d) for d in details)
    s = case.summary
    return CaseSnapshot(
        school=console.settings.school_name, reference=s.reference, pupil=s.subject_name,
        year_group=s.year_group, date_of_birth=None, dsl=session.user.display_name,
        generated_at=console.clock(), purpose=purpose[:500], agency_template=template,
        status=s.status.label, legal_hold=s.legal_hold, summary=case.text,
        chronology=tuple(_entry(e) for e in case.chronology), incidents=incidents,
        custody=_custody(console, case_id, details), software_version=software_version(),
        audit_checkpoint=_checkpoint(console))


def _incident(console: Console, session: UserSession, d: IncidentDetail) -> SnapshotIncident:
    matches = tuple(SnapshotMatch(m.text, m.start, m.end, *_category(m.category_key), m.boxes)
                    for m in d.matches)
    return SnapshotIncident(
        d.id, d.uuid, d.captured_at, d.received_at, d.device_name, d.app, d.window_title,
        d.url, _category(d.category_key)[0], d.severity, d.status.label, d.source,
        None if d.content_sealed else d.context, matches, d.signature_status,
        d.library_version, tuple(_evidence(console, session, d.id, e) for e in d.evidence))


def _evidence(console: Console, session: UserSession, incident_id: int,
              e: EvidenceInfo) -> SnapshotEvidence:
    def withheld(reason: str) -> SnapshotEvidence:
        return SnapshotEvidence(e.kind, e.sealed_sha256, e.plaintext_sha256, e.verification,
                                e.restricted, None, e.width, e.height, reason)

    if e.restricted:
        # Never opened (nobody views it to make a report), but its sealed file is checked
        # against its hash, so "Verified" in the report is true today, not only once.
        problem = console.evidence.check(e.sealed_sha256) if e.verification == "verified" \
            else None
        if problem is not None:
            evidence.record_failure(console, session, e.id, incident_id, problem)
            return SnapshotEvidence(e.kind, e.sealed_sha256, e.plaintext_sha256, "failed",
                                    True, None, e.width, e.height,
                                    "Possible indecent imagery, withheld from every export. "
                                    f"Its sealed file failed its check: {problem}")
        return withheld("Possible indecent imagery: withheld from every export (UKCIS "
                        "guidance). The hashes below identify the original held by the "
                        "school.")
    if e.verification != "verified":
        return withheld("This screenshot failed its integrity check and is not reproduced.")
    try:
        opened = evidence.open_evidence(console, session, e.id)
    except (IntegrityError, NotFoundError) as exc:
        # A file gone from the evidence folder cannot be verified either: the report says so
        # in its place rather than the whole export failing.
        reason = ("This screenshot's sealed file was missing from the evidence folder when the "
                  "report was made, so it could not be verified and is not reproduced."
                  if isinstance(exc, NotFoundError) else
                  "This screenshot failed its integrity check when the report was made and is "
                  "not reproduced.")
        return SnapshotEvidence(e.kind, e.sealed_sha256, e.plaintext_sha256, "failed",
                                e.restricted, None, e.width, e.height, reason)
    return SnapshotEvidence(e.kind, e.sealed_sha256, e.plaintext_sha256, "verified", False,
                            opened.data, opened.width, opened.height, None)


def _entry(e: Any) -> SnapshotEntry:
    return SnapshotEntry(e.id, e.kind.label, e.occurred_at, e.recorded_at, e.author, e.body,
                         e.agency, e.agency_reference, e.contact_with, e.outcome,
                         e.corrects_id, e.corrected_by)


def _custody(console: Console, case_id: int,
             details: list[IncidentDetail]) -> tuple[CustodyRecord, ...]:
    targets = [f"case:{case_id}", *(f"incident:{d.id}" for d in details),
               *(f"evidence:{e.id}" for d in details for e in d.evidence)]
    with console.reading() as db:
        events = incident_detail_repo.events_about(db, targets, list(CUSTODY_ACTIONS), 2000)
        return tuple(CustodyRecord(ev.ts, ev.actor, f"{CUSTODY_ACTIONS[ev.action]} "
                                   f"({ev.target.replace(':', ' ')})",
                                   incident_view.audit_reason(ev.details))
                     for ev in reversed(events))


def _checkpoint(console: Console) -> str:
    with console.reading() as db:
        last = audit_repo.last_event(db)
        points = [int(p.seq) for p in audit_repo.checkpoints(db)]
    signed = f"; last signed checkpoint at event {points[-1]}" if points else ""
    if last is None:
        return "no audit events"
    return f"audit event {last[0]}, chain hash {last[1]}{signed}"


def _manifest(s: CaseSnapshot, pdf_name: str, pdf_sha: str) -> dict[str, Any]:
    return {
        "case": s.reference, "generated_at": s.generated_at.isoformat(), "by": s.dsl,
        "template": s.agency_template, "software": f"Kestrel {s.software_version}",
        "pdf": {"file": pdf_name, "sha256": pdf_sha},
        "audit_checkpoint": s.audit_checkpoint,
        "evidence": [{"incident": i.id, "uuid": i.uuid, "kind": e.kind,
                      "sealed_sha256": e.sealed_sha256, "plaintext_sha256": e.plaintext_sha256,
                      "verification": e.verification, "restricted": e.restricted,
                      "embedded": embeddable(e)}
                     for i in s.incidents for e in i.evidence],
    }


def _category(key: str) -> tuple[str, str]:
    """(name, colour) of a category key; the key itself in grey if it is not known."""
    info = CATEGORY_BY_KEY.get(key)
    return (info.name, info.colour) if info else (key, "#475569")
