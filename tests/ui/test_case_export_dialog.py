"""Exporting a case's referral PDF from the case screen, and the screenshot thumbnails there, on a
real demo school: the right password writes the PDF and its manifest and previews them; a wrong
one writes nothing; a cancel half way leaves nothing and the dialog carries on; a restricted
screenshot's thumbnail is the blurred stand-in, opened through the audit log.

Service calls the tests make themselves go through the bridge (`wait_for`), as the dialog's
do: the executor is the one writer, and the panel opens (and audits) screenshots on it while a
test runs.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices

from app.domain.cases import CaseDetail
from app.services import audit_log, case_export, case_thumbnails, cases, evidence, incident_view
from app.services.demo_school import DEMO_PASSWORD, create_demo_school
from app.ui.bridge import ServiceBridge, wait_for
from app.ui.case_export_dialog import CaseExportDialog
from app.ui.case_panel import CasePanel
from tests.ui.conftest import PASSPHRASE, DemoInstall

TIMEOUT = 15_000


@pytest.fixture(scope="module")
def demo_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoInstall]:
    """Enough screenshots that one case holds restricted imagery (the shared install has 5)."""
    root = tmp_path_factory.mktemp("kestrel-export") / "d"
    console = create_demo_school(root, incidents=300, screenshots=30, key_mode="passphrase",
                                 passphrase=PASSPHRASE, workers=1)
    yield DemoInstall(root, console)
    console.close()


def _restricted_shot(console, session) -> tuple[CaseDetail, int, int]:  # type: ignore[no-untyped-def]
    """(the case, the incident, its restricted screenshot's evidence id); run on the executor."""
    for summary in cases.list_cases(console, session):
        detail = cases.view_case(console, session, summary.id)
        for incident in detail.incidents:
            shots = incident_view.view_incident(console, session, incident.id).evidence
            if shots and shots[0].restricted:
                return detail, incident.id, shots[0].id
    raise AssertionError("the demo school has no restricted screenshot in a case")


def _nth_case(console, session, n: int) -> CaseDetail:  # type: ignore[no-untyped-def]
    """The demo's n-th case in full; run on the executor (opening a case is audited)."""
    return cases.view_case(console, session, cases.list_cases(console, session)[n].id)


def _events(bridge: ServiceBridge, demo_install, session, limit: int, **filters):  # type: ignore[no-untyped-def]
    """The newest audit events, read on the executor like every other service call here."""
    return wait_for(bridge, audit_log.recent_events, demo_install.console, session, limit,
                    **filters)


def _panel(qtbot, bridge, demo_install, session, detail: CaseDetail) -> CasePanel:  # type: ignore[no-untyped-def]
    panel = CasePanel(bridge, demo_install.console, session)
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    panel.show_case(detail)
    return panel


def _dialog(qtbot, panel: CasePanel, out: Path, password: str,  # type: ignore[no-untyped-def]
            by_key: bool = False) -> CaseExportDialog:
    if by_key:
        panel.activateWindow()
        qtbot.waitUntil(panel.isActiveWindow, timeout=TIMEOUT)
        qtbot.keyClick(panel.chronology, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    else:
        panel.export_button.click()
    dialog = panel.export_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.form.purpose, "Referral to police: sextortion")
    dialog.form.output.setText(str(out))
    qtbot.keyClicks(dialog.form.own_password, password)
    return dialog


def _detail(image_png: bytes) -> float:
    """Mean brightness change between neighbouring pixels: text and edges score high."""
    gray = Image.open(io.BytesIO(image_png)).convert("L")
    shifted = ImageChops.offset(gray, 1, 0)
    return float(ImageStat.Stat(ImageChops.difference(gray, shifted)).mean[0])


def test_the_right_password_writes_the_pdf_and_manifest_and_previews_the_first_pages(  # type: ignore[no-untyped-def]
        qtbot, bridge, demo_install, dsl_session, tmp_path, monkeypatch) -> None:
    detail = wait_for(bridge, _nth_case, demo_install.console, dsl_session, 0)
    panel = _panel(qtbot, bridge, demo_install, dsl_session, detail)
    out = tmp_path / "referral.pdf"
    out.write_bytes(b"an older export")
    dialog = _dialog(qtbot, panel, out, DEMO_PASSWORD)
    qtbot.keyClicks(dialog.form.pdf_password, "for the police")
    qtbot.keyClicks(dialog.form.pdf_confirm, "for the police")
    qtbot.keyClick(dialog.form.own_password, Qt.Key.Key_Return)  # Enter exports…
    assert "already exists" in dialog.error.text() and not dialog.running  # …after asking
    qtbot.keyClick(dialog.form.own_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=TIMEOUT)
    assert PdfReader(str(out)).is_encrypted
    manifest = json.loads(out.with_name("referral.manifest.json").read_text())
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["pdf"]["sha256"] == digest == dialog.result.pdf_sha256
    assert dialog.done_view.sha256.text() == digest
    assert dialog.form.own_password.text() == ""  # not kept once checked
    qtbot.waitUntil(lambda: all(label.pixmap() is not None and not label.pixmap().isNull()
                                for label in dialog.done_view.pages), timeout=TIMEOUT)
    assert dialog.done_view.pages[0].pixmap().width() >= 200
    dialog.grab().save("/tmp/export_dialog.png")
    events = _events(bridge, demo_install, dsl_session, 20)
    assert [e.action for e in events if e.action in ("case.export", "user.reauth")][:2] == \
        ["case.export", "user.reauth"]

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    dialog.done_view.show_folder.click()
    assert opened == [str(tmp_path)]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_a_wrong_password_says_so_and_writes_nothing(  # type: ignore[no-untyped-def]
        qtbot, bridge, demo_install, dsl_session, tmp_path) -> None:
    detail = wait_for(bridge, _nth_case, demo_install.console, dsl_session, 1)
    panel = _panel(qtbot, bridge, demo_install, dsl_session, detail)
    dialog = _dialog(qtbot, panel, tmp_path / "x.pdf", "not my password", by_key=True)
    with qtbot.waitSignal(bridge.sig_error, timeout=TIMEOUT):
        qtbot.keyClick(dialog.form.own_password, Qt.Key.Key_Return)
    assert dialog.error.text() == "Wrong user name or password."
    assert "Traceback" not in dialog.error.text() and dialog.isVisible()
    assert dialog.export_button.isEnabled() and dialog.form.isEnabled()
    assert not list(tmp_path.iterdir())
    reauth = _events(bridge, demo_install, dsl_session, 5, action_prefix="user.reauth")[0]
    assert json.loads(reauth.details)["outcome"] == "failed"


def test_cancel_half_way_leaves_no_pdf_and_no_manifest_and_the_dialog_carries_on(  # type: ignore[no-untyped-def]
        qtbot, bridge, demo_install, dsl_session, tmp_path, monkeypatch) -> None:
    real_export = case_export.export_case
    paused_once = threading.Event()

    def export_pausing_after_one_incident(*args, progress, cancelled, **kwargs):  # type: ignore[no-untyped-def]
        def report(done: int, total: int) -> None:
            progress(done, total)
            if done == 1 and not paused_once.is_set():
                paused_once.set()
                assert dialog.cancel_requested.wait(10)  # hold the render until Cancel
        return real_export(*args, progress=report, cancelled=cancelled, **kwargs)

    monkeypatch.setattr(case_export, "export_case", export_pausing_after_one_incident)
    detail = wait_for(bridge, _nth_case, demo_install.console, dsl_session, 2)
    assert len(detail.incidents) >= 2
    panel = _panel(qtbot, bridge, demo_install, dsl_session, detail)
    out = tmp_path / "half.pdf"
    dialog = _dialog(qtbot, panel, out, DEMO_PASSWORD)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() == 1, timeout=TIMEOUT)
    assert dialog.progress.maximum() >= 2 and dialog.running
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels the export, not the dialog
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.running, timeout=TIMEOUT)
    assert "nothing was written" in dialog.status.text() and dialog.error.text() == ""
    assert dialog.isVisible() and not list(tmp_path.iterdir())  # no PDF, manifest or .part

    qtbot.keyClicks(dialog.form.own_password, DEMO_PASSWORD)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=TIMEOUT)
    assert out.exists() and out.with_name("half.manifest.json").exists()


def test_the_restricted_screenshot_thumbnail_is_the_audited_blurred_stand_in(  # type: ignore[no-untyped-def]
        qtbot, bridge, demo_install, dsl_session) -> None:
    detail, incident_id, evidence_id = wait_for(bridge, _restricted_shot, demo_install.console,
                                                dsl_session)
    panel = _panel(qtbot, bridge, demo_install, dsl_session, detail)
    tiles = panel.incidents
    assert tiles.thumbnails == {}  # the case shows first; the pictures follow
    qtbot.waitUntil(lambda: len(tiles.thumbnails) == len(detail.incidents), timeout=TIMEOUT)
    thumb = tiles.thumbnails[incident_id]
    assert thumb.restricted and thumb.png is not None
    row = next(r for r in range(tiles.count())
               if tiles.item(r).data(Qt.ItemDataRole.UserRole) == incident_id)
    assert not tiles.item(row).icon().isNull()

    real = wait_for(bridge, evidence.reveal_evidence, demo_install.console, dsl_session,
                    evidence_id, "test: compare the thumbnail with the real image")
    real_thumb = case_thumbnails._scaled(real.data, 120, blurred=False)
    assert Image.open(io.BytesIO(thumb.png)).width == 120
    assert _detail(thumb.png) < _detail(real_thumb) / 3
    opens = _events(bridge, demo_install, dsl_session, 50, target=f"evidence:{evidence_id}",
                    action_prefix="evidence.open")
    assert opens and opens[0].actor == "dsl"

    other = next(c for c in wait_for(bridge, cases.list_cases, demo_install.console, dsl_session)
                 if c.id != detail.summary.id and c.incident_count > 1)
    panel.show_case(wait_for(bridge, cases.view_case, demo_install.console, dsl_session,
                             other.id))
    qtbot.waitUntil(lambda: len(tiles.thumbnails) == other.incident_count, timeout=TIMEOUT)
    assert incident_id not in tiles.thumbnails
    assert any(t.png is None and not t.failed for t in tiles.thumbnails.values())  # plain tile
