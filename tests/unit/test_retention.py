"""Retention on a real install (issue 7): old false positives and their sealed files go in
audited batches, recent ones and anything in a case stay, a case on legal hold cannot be removed
by retention (and goes once released and old enough), a bad setting removes nothing, and only the
DSL may run it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.domain.cases import CaseStatus
from app.domain.dto import Actor
from app.domain.enums import IncidentStatus, Role
from app.domain.retention import RetentionPolicy
from app.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.services import audit_log, cases, retention, trends, triage, users
from db.repositories import retention_repo, settings_repo
from db.types import from_micros
from tests.conftest import FakeClock

OTHER_PASSWORD = "another long passphrase"


def _incidents(console: Any) -> dict[int, tuple[datetime, str]]:
    with console.reading() as db:
        rows = db.connection().exec_driver_sql(
            "SELECT id, captured_at, status FROM incidents").all()
    return {int(i): (from_micros(int(c)), str(s)) for i, c, s in rows}


def _scalar(console: Any, sql: str) -> int:
    with console.reading() as db:
        return int(db.connection().exec_driver_sql(sql).scalar_one())


def _evidence_files(console: Any) -> list[Any]:
    with console.reading() as db:
        shas = db.connection().exec_driver_sql("SELECT sealed_sha256 FROM evidence").scalars()
        return [console.evidence.path_for(s) for s in shas]


def _events(console: Any, dsl: Any, action: str) -> list[dict[str, Any]]:
    return [json.loads(e.details) for e in
            audit_log.recent_events(console, dsl, 500, action_prefix=action)
            if e.action == action]


def _on_fake_clock(console: Any) -> FakeClock:
    """Time starts just after the newest seeded incident and moves only when a test says."""
    clock = FakeClock(max(t for t, _ in _incidents(console).values()) + timedelta(minutes=1))
    console.clock = clock
    return clock


def _trend_counts(console: Any) -> list[int]:
    """Every category × severity roll-up row's false-positive count, in key order."""
    with console.reading() as db:
        return [int(n) for (n,) in db.connection().exec_driver_sql(
            "SELECT n_false_positive FROM trend_counts WHERE kind = 'c' AND n_false_positive "
            "<> 0 ORDER BY day, a, b, c").all()]


def _one_pupil(console: Any) -> list[int]:
    with console.reading() as db:
        rows = db.connection().exec_driver_sql(
            "SELECT subject_id, id FROM incidents WHERE subject_id IS NOT NULL "
            "ORDER BY id").all()
    by_pupil: dict[int, list[int]] = {}
    for subject_id, incident_id in rows:
        by_pupil.setdefault(subject_id, []).append(incident_id)
    return next(ids for ids in by_pupil.values() if len(ids) >= 2)[:2]


def test_old_false_positives_and_their_evidence_files_go_recent_ones_stay(
        install_with_incidents, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    clock = _on_fake_clock(console)
    before = _incidents(console)
    triage.set_status(console, dsl, list(before), IncidentStatus.FALSE_POSITIVE)
    files = _evidence_files(console)
    assert files and all(f.exists() for f in files)
    times = sorted(t for t, _ in before.values())
    clock.now = times[len(times) // 2] + timedelta(days=365)
    old = {i for i, (t, _) in before.items() if t < times[len(times) // 2]}

    monkeypatch.setattr(retention, "BATCH", 7)  # several batches, keyset-paged
    plan = retention.plan(console, dsl)
    assert plan.false_positives == len(old) and plan.evidence_files == 0
    seen: list[tuple[int, int]] = []
    result = retention.apply(console, dsl, plan, progress=lambda d, t: seen.append((d, t)))
    assert result.incidents == len(old) and not result.cancelled
    assert result.batches == -(-len(old) // 7) and seen[-1] == (len(old), len(old))
    assert set(_incidents(console)) == set(before) - old  # the recent half stays
    assert all(f.exists() for f in files)  # the screenshots belong to the newest incidents
    # The trend roll-ups lost exactly what was removed: they equal a recount from scratch.
    counted = _trend_counts(console)
    assert sum(counted) == len(before) - len(old)
    trends.recount(console, dsl)
    assert _trend_counts(console) == counted

    clock.advance(days=366)  # now every incident is more than a year old
    plan = retention.plan(console, dsl)
    assert plan.false_positives == len(before) - len(old)
    assert plan.evidence_files == len(files)
    assert retention.apply(console, dsl).evidence_files == len(files)
    assert not _incidents(console) and not any(f.exists() for f in files)
    for table in ("evidence", "matches", "incident_manifests", "incident_notes"):
        assert _scalar(console, f"SELECT count(*) FROM {table}") == 0, table
    assert _scalar(console, "SELECT count(*) FROM incidents_fts") == 0

    batches = _events(console, dsl, "retention.delete")
    assert sum(b["count"] for b in batches) == len(before)
    assert len({u for b in batches for u in b["incidents"]}) == len(before)
    assert {h for b in batches for h in b["evidence"]} == {f.name for f in files}
    assert len(_events(console, dsl, "retention.run")) == 2
    report = audit_log.verify_install(console)
    assert report.ok, report.problems


def test_an_incident_in_a_case_stays_and_the_plan_says_why(
        install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    clock = _on_fake_clock(console)
    linked, loose = _one_pupil(console)
    cases.open_case(console, dsl, [linked])
    triage.set_status(console, dsl, [linked, loose], IncidentStatus.FALSE_POSITIVE)
    clock.advance(days=800)
    plan = retention.plan(console, dsl)
    seeded = [i for i, (_, s) in _incidents(console).items() if s == "false_positive"]
    assert plan.false_positives == len(seeded) - 1  # all but the one in the case
    assert "1 incident kept: in a case that is kept" in plan.lines()
    retention.apply(console, dsl, plan)
    left = _incidents(console)
    assert linked in left and loose not in left


def _closed_case_on_hold(console: Any, dsl: Any) -> tuple[int, str, list[int]]:
    ids = _one_pupil(console)
    case = cases.open_case(console, dsl, ids, "Disclosure to a teacher.")
    cases.set_status(console, dsl, case.summary.id, CaseStatus.CLOSED, "Support finished.")
    cases.set_legal_hold(console, dsl, case.summary.id, True, "Police investigation.")
    triage.set_status(console, dsl, ids[:1], IncidentStatus.CLOSED)  # both routes are held
    return case.summary.id, case.summary.reference, ids


def test_a_case_on_legal_hold_cannot_be_removed_by_retention(
        install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    clock = _on_fake_clock(console)
    case_id, _reference, ids = _closed_case_on_hold(console, dsl)
    chronology = len(cases.view_case(console, dsl, case_id).chronology)
    clock.advance(days=366 * 30)  # closed thirty years ago, its incidents older still

    plan = retention.plan(console, dsl)
    assert plan.cases == () and plan.case_incidents == 0
    assert "1 case kept: on legal hold" in plan.lines()
    assert "2 incidents kept: case on legal hold" in plan.lines()
    retention.apply(console, dsl, plan)
    kept = cases.view_case(console, dsl, case_id)
    assert kept.summary.legal_hold and len(kept.chronology) == chronology
    assert {i.id for i in kept.incidents} == set(ids) and set(ids) <= set(_incidents(console))
    assert not _events(console, dsl, "retention.delete_case")

    # The data layer refuses too, whoever calls it: held incidents and held cases stay put.
    with Session(console.engine) as db:
        with pytest.raises(retention_repo.StillInCaseError):
            retention_repo.delete_incidents(db, ids)
        with pytest.raises(retention_repo.CaseOnHoldError):
            retention_repo.delete_case(db, case_id)
        db.rollback()
    assert set(ids) <= set(_incidents(console))


def test_a_released_case_goes_after_the_grace_period_with_its_incidents_audited(
        install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    clock = _on_fake_clock(console)
    case_id, reference, ids = _closed_case_on_hold(console, dsl)
    clock.advance(days=366 * 30)
    cases.set_legal_hold(console, dsl, case_id, False, "Investigation concluded.")
    plan = retention.plan(console, dsl)
    assert plan.cases == () and "1 case kept: changed in the last 30 days" in plan.lines()

    clock.advance(days=31)
    plan = retention.plan(console, dsl)
    assert plan.cases == (reference,) and plan.case_incidents == 2
    result = retention.apply(console, dsl, plan)
    assert result.cases == 1 and result.incidents == plan.incidents  # + seeded noise
    with pytest.raises(NotFoundError):
        cases.find_case(console, dsl, reference)
    assert not set(ids) & set(_incidents(console))
    for table in ("case_entries", "case_incidents", "cases"):
        assert _scalar(console, f"SELECT count(*) FROM {table}") == 0, table
    (event,) = _events(console, dsl, "retention.delete_case")
    assert event["reference"] == reference and event["count"] == 2
    report = audit_log.verify_install(console)
    assert report.ok, report.problems


@pytest.mark.parametrize(("key", "value"), [
    ("retention.closed_days", "-5"), ("retention.closed_days", "seven"),
    ("retention.false_positive_days", "7"), ("retention.case_years", "1e9"),
    ("retention.case_years", ""), ("retention.false_positive_days", "365.5"),
    ("retention.case_years", "0"), ("retention.false_positives_days", "90"),
])
def test_a_bad_retention_setting_is_refused_with_a_sentence_and_removes_nothing(
        install_with_incidents, key: str, value: str) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    clock = _on_fake_clock(console)
    before = _incidents(console)
    triage.set_status(console, dsl, list(before), IncidentStatus.FALSE_POSITIVE)
    clock.advance(days=800)
    with console.unit_of_work(Actor.system("test")) as uow:
        settings_repo.put(uow.session, key, value)
        uow.audit("test.setting", key)
    with pytest.raises(ValidationError, match=key.replace(".", r"\.")):
        retention.plan(console, dsl)
    with pytest.raises(ValidationError, match="retention"):
        retention.apply(console, dsl)
    assert set(_incidents(console)) == set(before)


def test_the_dsl_sets_the_policy_and_it_is_audited(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    assert retention.current_policy(console, dsl) == RetentionPolicy(365, 365, 25)
    with pytest.raises(ValidationError, match="from 1 to 100"):
        RetentionPolicy(case_years=0)
    retention.set_policy(console, dsl, RetentionPolicy(false_positive_days=90))
    assert retention.current_policy(console, dsl).false_positive_days == 90
    (event,) = _events(console, dsl, "retention.policy")
    assert event["retention.false_positive_days"] == "90"
    with console.unit_of_work(Actor.system("test")) as uow:  # a technician's typo
        settings_repo.put(uow.session, "retention.days", "30")
        uow.audit("test.setting", "retention.days")
    with pytest.raises(ValidationError, match=r"Unknown retention setting 'retention\.days'"):
        retention.plan(console, dsl)
    retention.set_policy(console, dsl, RetentionPolicy(false_positive_days=90))  # repairs it
    assert retention.plan(console, dsl).policy.false_positive_days == 90


def test_only_the_dsl_may_plan_or_apply_retention(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    before = _incidents(console)
    for name, role in (("head", Role.HEAD), ("deputy", Role.DEPUTY), ("itech", Role.IT_TECH)):
        users.create_user(console, dsl, name, name.title(), role, OTHER_PASSWORD)
        other = users.login(console, name, OTHER_PASSWORD)
        with pytest.raises(PermissionDeniedError, match="retention"):
            retention.plan(console, other)
        with pytest.raises(PermissionDeniedError, match="retention"):
            retention.apply(console, other)
        with pytest.raises(PermissionDeniedError):
            retention.set_policy(console, other, RetentionPolicy())
    assert set(_incidents(console)) == set(before)


def test_a_cancelled_run_keeps_whole_batches(install_with_incidents, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    clock = _on_fake_clock(console)
    before = _incidents(console)
    triage.set_status(console, dsl, list(before), IncidentStatus.FALSE_POSITIVE)
    clock.advance(days=800)
    monkeypatch.setattr(retention, "BATCH", 5)
    done: list[int] = []
    result = retention.apply(console, dsl, progress=lambda d, _t: done.append(d),
                             cancelled=lambda: len(done) >= 2)
    assert result.cancelled and result.incidents == 10 and result.batches == 2
    assert len(_incidents(console)) == len(before) - 10
    (run,) = _events(console, dsl, "retention.run")
    assert run["cancelled"] is True and run["incidents"] == 10


def test_a_crash_after_commit_leaves_files_that_the_next_run_removes(
        install_with_incidents, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    clock = _on_fake_clock(console)
    before = _incidents(console)
    triage.set_status(console, dsl, list(before), IncidentStatus.FALSE_POSITIVE)
    files = _evidence_files(console)
    clock.advance(days=800)
    real = retention._remove_files

    def power_cut(*_args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(retention, "_remove_files", power_cut)
    with pytest.raises(KeyboardInterrupt):
        retention.apply(console, dsl)
    assert all(f.exists() for f in files) and list(console.paths.root.glob(
        retention.JOURNAL_GLOB))
    assert audit_log.verify_install(console).ok  # orphan files, never rows without files
    monkeypatch.setattr(retention, "_remove_files", real)
    retention.apply(console, dsl)
    assert not any(f.exists() for f in files) and not _incidents(console)
    assert not list(console.paths.root.glob(retention.JOURNAL_GLOB))
