"""A school trust points Kestrel at PostgreSQL (DESIGN §14): the same migrations, services and
audit chain work there."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.domain.trends import Granularity, TrendQuery
from app.services import incidents, trends, triage, users
from app.services.audit_log import verify_install
from app.services.install import create_install, open_install
from app.services.seed import seed_incidents
from db.migrate import current_revision, heads
from tests.conftest import DSL_PASSWORD, PASSPHRASE


def test_postgres_install_migrates_ingests_lists_and_verifies(tmp_path: Path,
                                                               postgres_url: str) -> None:
    root = tmp_path / "trust"
    console, _ = create_install(root, "Trust School", "dsl", "Dana Lead", DSL_PASSWORD,
                                key_mode="passphrase", passphrase=PASSPHRASE,
                                database_url=postgres_url)
    assert console.engine.dialect.name == "postgresql"
    assert current_revision(console.engine) == heads()[0]
    seed_incidents(console, 120, 2, workers=0)
    console.close()

    console = open_install(root, PASSPHRASE)
    try:
        dsl = users.login(console, "dsl", DSL_PASSWORD)
        rows = incidents.list_incidents(console, dsl, IncidentQuery(sort="severity"),
                                        limit=500).rows
        assert len(rows) == 120
        word = max((rows[0].matched_text or "x").split(), key=len)
        found = incidents.list_incidents(console, dsl, IncidentQuery(text=word), limit=500).rows
        assert rows[0].id in {r.id for r in found}
        triage.set_status(console, dsl, [rows[0].id], IncidentStatus.ACTIONED)
        # The trend roll-ups, kept by ingest and triage, answer in PostgreSQL's SQL too:
        # every series of the dashboard, from the narrow roll-ups down to the incidents.
        today = console.clock().date()
        every = TrendQuery(today - timedelta(days=400), today, include_false_positives=True)
        board = trends.dashboard(console, dsl, every, Granularity.WEEK)
        assert board.total == 120 and board.empty_reason is None
        assert sum(b.value or 0 for b in board.by_category) == 120
        assert sum(v or 0 for row in board.heat_map.cells for v in row) == 120
        crossed = trends.dashboard(console, dsl, TrendQuery(
            every.start, today, severities=frozenset(range(1, 6)), include_false_positives=True))
        assert sum(v or 0 for row in crossed.heat_map.cells for v in row) == 120
        assert board.top_phrases
        report = verify_install(console)
        assert report.ok, report.problems
        assert report.evidence_files == 2
    finally:
        console.close()
