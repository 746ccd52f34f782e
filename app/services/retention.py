"""Retention runs (issue 7): plan what the school's policy would remove, then remove it.

The rules are in `app.domain.retention`. `plan` counts what would go and what is kept back and
why; `apply` removes it in batches, each batch one transaction that deletes the incidents with
everything they own and writes one `retention.delete` audit event naming every incident uuid and
sealed evidence hash removed, so the chain of custody keeps a record of what went. A closed case
goes in its own transaction (`retention.delete_case`, with its reference). Every selection is
checked again inside the transaction that deletes, so a legal hold placed after the plan wins.

Evidence files are removed only after their transaction commits. Their hashes are first written
to a small journal file beside the database; a crash between the commit and the removal leaves
the journal, and the next run removes those files (if no evidence row still names them). So a
crash may leave files for a while, never rows pointing at missing files.

Threading: `plan` only reads. `apply` writes: run it on the DB executor (or from the CLI).
`progress(done, total)` is called on the calling thread after each batch; `cancelled()` is asked
before each batch, and a cancelled run keeps what it removed so far (every batch is whole).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.domain.dto import Actor
from app.domain.enums import IncidentStatus
from app.domain.retention import (
    FLOOR_DAYS,
    PREFIX,
    Cutoffs,
    HeldBack,
    RetentionPlan,
    RetentionPolicy,
    RetentionResult,
    policy_from_settings,
)
from app.errors import NotFoundError
from app.fileio import write_atomically
from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import retention_repo, settings_repo
from db.repositories.retention_repo import ClosedCase, RemovedIncidents

log = logging.getLogger(__name__)

BATCH = 500  # incidents per transaction: ~60 KB of audit details, a short write lock
JOURNAL_GLOB = "retention-pending-*.json"
Progress = Callable[[int, int], None]


def current_policy(console: Console, session: UserSession) -> RetentionPolicy:
    """The policy in force (defaults where unset); a bad setting raises ValidationError."""
    session.require(Permission.APPLY_RETENTION)
    with console.reading() as db:
        return policy_from_settings(settings_repo.with_prefix(db, PREFIX))


def set_policy(console: Console, session: UserSession, policy: RetentionPolicy) -> None:
    """Store all three settings; any other `retention.*` row (a misspelt key a technician
    added, which makes every run refuse) is removed, and the change is audited."""
    session.require(Permission.APPLY_RETENTION)
    wanted = policy.as_settings()
    with console.unit_of_work(session.actor) as uow:
        stray = sorted(set(settings_repo.with_prefix(uow.session, PREFIX)) - set(wanted))
        settings_repo.remove(uow.session, stray)
        for key, value in wanted.items():
            settings_repo.put(uow.session, key, value)
        uow.audit("retention.policy", "retention", **wanted, removed=stray)


def plan(console: Console, session: UserSession, now: datetime | None = None) -> RetentionPlan:
    """What a run at `now` (default: the console clock) would remove, and what it keeps back."""
    session.require(Permission.APPLY_RETENTION)
    with console.reading() as db:
        policy = policy_from_settings(settings_repo.with_prefix(db, PREFIX))
        cut = policy.cutoffs(now or console.clock())
        false_positives, fp_files = retention_repo.count_due(
            db, IncidentStatus.FALSE_POSITIVE.value, cut.false_positive)
        closed, closed_files = retention_repo.count_due(db, IncidentStatus.CLOSED.value,
                                                        cut.closed)
        due, on_hold, recent = _sort_cases(retention_repo.closed_cases(db, cut.case), cut)
        with_cases, case_files = retention_repo.count_only_in(db, [c.id for c in due])
        kept_hold, kept_in_case = retention_repo.count_kept_in_cases(
            db, _rules(cut), [c.id for c in on_hold])
    held = (HeldBack("case", len(on_hold), "on legal hold"),
            HeldBack("incident", kept_hold, "case on legal hold"),
            HeldBack("case", len(recent), f"changed in the last {FLOOR_DAYS} days"),
            HeldBack("incident", kept_in_case, "in a case that is kept"))
    return RetentionPlan(policy, cut, false_positives, closed, tuple(c.reference for c in due),
                         with_cases, fp_files + closed_files + case_files, held)


def apply(console: Console, session: UserSession,
          plan_or_now: RetentionPlan | datetime | None = None,
          progress: Progress | None = None,
          cancelled: Callable[[], bool] | None = None) -> RetentionResult:
    """Remove what the plan's cut-off times allow (a plan made now, if given a time or
    nothing). What changed since the plan is checked again: only what is still due goes."""
    session.require(Permission.APPLY_RETENTION)
    chosen = plan_or_now if isinstance(plan_or_now, RetentionPlan) else \
        plan(console, session, plan_or_now)
    finish_pending_files(console)
    run = _Run(console, session.actor, chosen.cutoffs, chosen.incidents, progress,
               cancelled or (lambda: False))
    with console.reading() as db:
        candidates = retention_repo.closed_cases(db, chosen.cutoffs.case)
    for case in _sort_cases(candidates, chosen.cutoffs)[0]:
        run.remove_case(case.id)
    for status, before in _rules(chosen.cutoffs):
        run.remove_incidents(status, before)
    return run.finish(chosen.policy)


def finish_pending_files(console: Console) -> int:
    """The orphan sweep: remove the evidence files a crashed run had already deleted the rows
    of (its journal is still there). Returns how many files were removed."""
    removed = 0
    for journal in sorted(console.paths.root.glob(JOURNAL_GLOB)):
        try:
            hashes = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("retention journal %s is unreadable; left for a person", journal)
            continue
        if isinstance(hashes, list) and all(isinstance(h, str) for h in hashes):
            removed += _remove_files(console, hashes, journal)
    return removed


# --- one run --------------------------------------------------------------------------------

class _NothingDue(Exception):
    """Leaves a unit of work that found nothing left to remove (it rolls back, unaudited)."""


@dataclass
class _Run:
    console: Console
    actor: Actor
    cut: Cutoffs
    total: int
    progress: Progress | None
    cancelled: Callable[[], bool]
    incidents: int = 0
    cases: int = 0
    files: int = 0
    batches: int = 0
    stopped: bool = False

    def remove_case(self, case_id: int) -> None:
        if self._stop():
            return
        try:
            with self.console.unit_of_work(self.actor) as uow:
                still = retention_repo.closed_cases(uow.session, self.cut.case, case_id)
                if not _sort_cases(still, self.cut)[0]:
                    raise _NothingDue
                ids = retention_repo.incidents_only_in(uow.session, case_id)
                entries = retention_repo.delete_case(uow.session, case_id)
                removed = _merge([retention_repo.delete_incidents(uow.session, ids[i:i + BATCH])
                                  for i in range(0, len(ids), BATCH)])
                uow.audit("retention.delete_case", f"case:{case_id}", **_details(removed),
                          reference=still[0].reference, closed_at=still[0].closed_at,
                          entries=entries, cutoff=self.cut.case)
                journal = _journal(self.console, removed.sealed_hashes)
        except _NothingDue:
            return
        self._done(removed, journal, cases=1)

    def remove_incidents(self, status: str, before: datetime) -> None:
        after: tuple[datetime, int] | None = None
        while not self._stop():
            try:
                with self.console.unit_of_work(self.actor) as uow:
                    rows = retention_repo.due_incidents(uow.session, status, before, after,
                                                        BATCH)
                    if not rows:
                        raise _NothingDue
                    removed = retention_repo.delete_incidents(uow.session, [i for i, _ in rows])
                    uow.audit("retention.delete", "retention", **_details(removed),
                              rule=status, cutoff=before)
                    journal = _journal(self.console, removed.sealed_hashes)
            except _NothingDue:
                return
            after = (rows[-1][1], rows[-1][0])
            self._done(removed, journal)

    def finish(self, policy: RetentionPolicy) -> RetentionResult:
        """One closing event, so the log shows every run — including one that removed
        nothing (the school can show its schedule runs)."""
        with self.console.unit_of_work(self.actor) as uow:
            uow.audit("retention.run", "retention", **policy.as_settings(),
                      incidents=self.incidents, cases=self.cases, evidence_files=self.files,
                      batches=self.batches, cancelled=self.stopped, now=self.cut.now)
        return RetentionResult(self.incidents, self.cases, self.files, self.batches,
                               self.stopped)

    def _stop(self) -> bool:
        self.stopped = self.stopped or self.cancelled()
        return self.stopped

    def _done(self, removed: RemovedIncidents, journal: Path | None, cases: int = 0) -> None:
        self.files += _remove_files(self.console, removed.sealed_hashes, journal)
        self.incidents += len(removed.uuids)
        self.cases += cases
        self.batches += 1
        if self.progress:
            self.progress(self.incidents, max(self.total, self.incidents))


# --- helpers --------------------------------------------------------------------------------

def _rules(cut: Cutoffs) -> list[tuple[str, datetime]]:
    return [(IncidentStatus.FALSE_POSITIVE.value, cut.false_positive),
            (IncidentStatus.CLOSED.value, cut.closed)]


def _sort_cases(cases: Sequence[ClosedCase], cut: Cutoffs
                ) -> tuple[list[ClosedCase], list[ClosedCase], list[ClosedCase]]:
    """(due, kept on legal hold, kept because changed since the floor): the hold wins."""
    due: list[ClosedCase] = []
    on_hold: list[ClosedCase] = []
    recent: list[ClosedCase] = []
    for case in cases:
        if case.legal_hold:
            on_hold.append(case)
        elif case.touched_at >= cut.floor:
            recent.append(case)
        else:
            due.append(case)
    return due, on_hold, recent


def _merge(parts: list[RemovedIncidents]) -> RemovedIncidents:
    return RemovedIncidents([u for p in parts for u in p.uuids],
                            [h for p in parts for h in p.sealed_hashes],
                            sum(p.matches for p in parts), sum(p.notes for p in parts))


def _details(removed: RemovedIncidents) -> dict[str, Any]:
    return {"count": len(removed.uuids), "incidents": removed.uuids,
            "evidence": removed.sealed_hashes, "matches": removed.matches,
            "notes": removed.notes}


def _journal(console: Console, hashes: list[str]) -> Path | None:
    """Written inside the transaction, before it commits (see the module docstring)."""
    if not hashes:
        return None
    path = console.paths.root / JOURNAL_GLOB.replace("*", uuid.uuid4().hex)
    write_atomically(path, json.dumps(hashes).encode("utf-8"))
    return path


def _remove_files(console: Console, hashes: list[str], journal: Path | None) -> int:
    with console.reading() as db:
        keep = retention_repo.referenced_hashes(db, hashes)
    removed = failed = 0
    for sha in hashes:
        if sha in keep:
            continue  # the transaction did not commit, or the file is named again
        try:
            console.evidence.path_for(sha).unlink()
            removed += 1
        except (FileNotFoundError, NotFoundError):
            pass  # already gone, or not a hash at all (names no file)
        except OSError:
            failed += 1
            log.warning("could not remove evidence file %s", sha[:12], exc_info=True)
    if journal is not None and not failed:  # else keep it: the next run tries again
        journal.unlink(missing_ok=True)
    return removed
