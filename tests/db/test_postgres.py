"""A school trust points Kestrel at PostgreSQL (DESIGN §14): the same migrations, services and
audit chain work there."""

from __future__ import annotations

from pathlib import Path

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.services import incidents, triage, users
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
        report = verify_install(console)
        assert report.ok, report.problems
        assert report.evidence_files == 2
    finally:
        console.close()
