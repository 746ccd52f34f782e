"""`main.py verify` catches an edited audit row (naming its sequence number) and removed
newest rows (against the last checkpoint and the anchor file)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.services import incidents, triage, users
from tests.conftest import DSL_PASSWORD, PASSPHRASE, run_main


def _verify(root: Path, tmp_path: Path) -> tuple[int, str, str]:
    pp = tmp_path / "pp"
    pp.write_text(PASSPHRASE)
    return run_main("verify", "--data-dir", str(root), "--passphrase-file", str(pp))


def _history(console) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(console, "dsl", DSL_PASSWORD)
    rows = incidents.list_incidents(console, dsl, IncidentQuery(), limit=5).rows
    for row in rows:
        triage.set_status(console, dsl, [row.id], IncidentStatus.REVIEWING)


def test_intact_install_verifies(install_with_incidents, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    console, _ = install_with_incidents
    _history(console)
    code, out, err = _verify(console.paths.root, tmp_path)
    assert code == 0, err
    assert "evidence files verified" in out


def test_editing_one_audit_row_is_caught_and_named(install_with_incidents, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    console, _ = install_with_incidents
    _history(console)
    with console.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET target = 'incident:999' WHERE seq = 4"))
    code, _, err = _verify(console.paths.root, tmp_path)
    assert code == 1
    assert "seq 4" in err.splitlines()[0]


def test_deleting_the_newest_rows_is_caught_by_the_checkpoint(install_with_incidents,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    console, _ = install_with_incidents
    _history(console)
    with console.engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_events")).scalar_one()
        conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": last - 3})
    code, _, err = _verify(console.paths.root, tmp_path)
    assert code == 1
    assert "removed" in err and f"seq {last - 2}" in err.splitlines()[0]


def test_deleting_rows_and_their_checkpoints_is_caught_by_the_anchor(  # type: ignore[no-untyped-def]
        install_with_incidents, tmp_path: Path) -> None:
    console, _ = install_with_incidents
    _history(console)
    with console.engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_events")).scalar_one()
        conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": last - 3})
        conn.execute(text("DELETE FROM audit_checkpoints WHERE seq > :s"), {"s": last - 3})
    code, _, err = _verify(console.paths.root, tmp_path)
    assert code == 1
    assert "anchor file" in err


def test_altered_evidence_file_fails_verification(install_with_incidents, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    console, _ = install_with_incidents
    files = [p for p in console.paths.evidence.rglob("*") if p.is_file()]
    assert files
    data = bytearray(files[0].read_bytes())
    data[100] ^= 0xFF
    files[0].write_bytes(bytes(data))
    code, _, err = _verify(console.paths.root, tmp_path)
    assert code == 1 and "no longer matches its hash" in err
