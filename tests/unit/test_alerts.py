"""Alerts count new high-severity incidents per category and say nothing else: no pupil, no
device, no words. Checked against a plain SQL count."""

from __future__ import annotations

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.services import alerts, incidents, triage
from db.repositories import settings_repo


def _sql_counts(console, min_severity: int, after: int = 0) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with console.reading() as db:
        rows = db.connection().exec_driver_sql(
            "SELECT c.name, COUNT(*) FROM incidents i JOIN categories c ON c.id = i.category_id"
            " WHERE i.status = 'new' AND i.severity >= ? AND i.id > ? GROUP BY c.name",
            (min_severity, after)).all()
    return {str(name): int(n) for name, n in rows}


def test_an_alert_counts_new_high_severity_incidents_per_category_and_nothing_else(
        install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    news = alerts.new_alerts(console, dsl)
    assert news is not None
    assert dict(news.by_category) == _sql_counts(console, 4)
    rows = incidents.list_incidents(console, dsl, IncidentQuery(), limit=100).rows
    text = news.text()
    for row in rows:
        for private in (row.subject_name, row.device_name, row.matched_text, row.window_title):
            assert not private or private not in text
    assert alerts.new_alerts(console, dsl, after_id=news.newest_id) is None


def test_the_threshold_is_a_setting_and_nonsense_falls_back_to_four(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    with console.unit_of_work(dsl.actor) as uow:
        settings_repo.put(uow.session, alerts.MIN_SEVERITY_KEY, "5")
        uow.audit("settings.alerts", "settings:alerts", min_severity=5)
    five = alerts.new_alerts(console, dsl)
    assert (dict(five.by_category) if five else {}) == _sql_counts(console, 5)
    with console.unit_of_work(dsl.actor) as uow:
        settings_repo.put(uow.session, alerts.MIN_SEVERITY_KEY, "banana")
        uow.audit("settings.alerts", "settings:alerts", min_severity="banana")
    assert alerts.policy(console).min_severity == 4


def test_unopened_drops_incidents_once_viewed_or_triaged(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    from app.services import incident_view
    console, dsl = install_with_incidents
    news = alerts.new_alerts(console, dsl)
    assert news is not None and news.count >= 2
    first, second = news.incident_ids[:2]
    assert alerts.unopened(console, dsl, news.incident_ids) == news.count
    incident_view.view_incident(console, dsl, first)
    triage.set_status(console, dsl, [second], IncidentStatus.REVIEWING)
    assert alerts.unopened(console, dsl, news.incident_ids) == news.count - 2

