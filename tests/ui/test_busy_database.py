"""A database held by another program: the list says so calmly and tries again by itself,
triage says so and changes nothing, and neither shows a traceback or freezes the window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlcipher3.dbapi2 as sqlcipher
from PySide6.QtCore import Qt

from app.services.demo_school import create_demo_school
from app.ui.incidents_view import BUSY_TEXT, IncidentsView
from db import engine as db_engine
from tests.ui.conftest import PASSPHRASE, DemoInstall

TIMEOUT = 15_000


@pytest.fixture
def school(tmp_path, monkeypatch) -> Iterator[DemoInstall]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_MS", 300)  # wait 0.3 s, not 10, for the lock
    console = create_demo_school(tmp_path / "d", incidents=60, screenshots=0,
                                 key_mode="passphrase", passphrase=PASSPHRASE, workers=1)
    console.engine.dispose()  # new connections take the short timeout
    yield DemoInstall(tmp_path / "d", console)
    console.close()


def _hold(install: DemoInstall):  # type: ignore[no-untyped-def]
    """Another program holding the whole database, reads included (as a backup tool might):
    exclusive locking chosen before it first touches the file."""
    install.console.engine.dispose()  # our idle pooled connections let go of the file
    other = sqlcipher.connect(str(install.console.paths.database), check_same_thread=False)
    other.execute(f"PRAGMA key = \"x'{install.console.keys.database_key.hex()}'\"")
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_a_held_database_gives_a_calm_wait_then_the_list_by_itself(  # type: ignore[no-untyped-def]
        qtbot, bridge, school) -> None:
    session = school.sign_in("dsl")
    other = _hold(school)
    try:
        view = IncidentsView(bridge, school.console, session)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: view.message.text() == BUSY_TEXT, timeout=TIMEOUT)
        assert view.summary.text() == "Waiting for the database…"
        assert view.model.rowCount() == 0
    finally:
        other.rollback()
        other.close()
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=TIMEOUT)
    assert view.message.text() == ""


def test_triage_on_a_held_database_changes_nothing_and_says_why(  # type: ignore[no-untyped-def]
        qtbot, bridge, school) -> None:
    view = IncidentsView(bridge, school.console, school.sign_in("dsl"))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_first_page_loaded, timeout=TIMEOUT):
        view.show()
    view.table.selectRow(0)
    before = view.model.row_at(0).status
    other = _hold(school)
    try:
        qtbot.keyClick(view.table, Qt.Key.Key_C)
        qtbot.waitUntil(lambda: view.message.text() == BUSY_TEXT, timeout=TIMEOUT)
    finally:
        other.rollback()
        other.close()
    assert view.model.row_at(0).status == before
