"""The evidence viewer on real widgets and a real demo install: match boxes drawn over the words
at two zoom levels, restricted imagery grabbed blurred until a DSL reveals it with a reason,
altered evidence shown as failed, and the keyboard path from the incident list.

Pixels are read back from the grabbed viewport; words are read back with the Tesseract CLI
(an independent reader), so "the box is over the word" means the word is legible inside it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from app.services import incident_view
from app.services.demo_school import create_demo_school
from app.ui.evidence_canvas import BOX_MARGIN_PX
from app.ui.evidence_loading import RevealDialog
from app.ui.evidence_viewer import EvidenceViewer
from app.ui.incidents_view import IncidentsView
from db.models import Evidence, Match
from tests.ui.conftest import PASSPHRASE, DemoInstall

TIMEOUT = 15_000
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="the Tesseract CLI reads the words back")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoInstall]:
    """A demo school with enough screenshots to include restricted imagery."""
    root = tmp_path_factory.mktemp("viewer") / "d"
    console = create_demo_school(root, incidents=120, screenshots=24, key_mode="passphrase",
                                 passphrase=PASSPHRASE, workers=1)
    yield DemoInstall(root, console)
    console.close()


def _evidence(install: DemoInstall, restricted: bool) -> list[tuple[int, int, str]]:
    """(evidence id, incident id, sealed sha) of screenshots whose matches have boxes."""
    with install.console.reading() as db:
        rows = db.execute(
            select(Evidence.id, Evidence.incident_id, Evidence.sealed_sha256)
            .where(Evidence.restricted == restricted,
                   Evidence.incident_id.in_(select(Match.incident_id)
                                            .where(Match.boxes != "[]")))
            .order_by(Evidence.id)).all()
    return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]


def _viewer(qtbot, bridge, install: DemoInstall, user: str = "dsl") -> EvidenceViewer:  # type: ignore[no-untyped-def]
    viewer = EvidenceViewer(bridge, install.console, install.sign_in(user))
    qtbot.addWidget(viewer)
    viewer.resize(1400, 900)
    viewer.show()
    return viewer


def _load(qtbot, viewer: EvidenceViewer, incident_id: int) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(viewer.sig_loaded, timeout=TIMEOUT):
        viewer.load(incident_id)
    QApplication.processEvents()


def _grab(viewer: EvidenceViewer) -> QImage:
    return viewer.canvas.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def _read_words(image: QImage) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crop.png"
        assert image.save(str(path))
        out = subprocess.run(["tesseract", str(path), "stdout", "--psm", "6"],
                             capture_output=True, text=True, timeout=60, check=False)
    return re.sub(r"[^a-z0-9]+", " ", out.stdout.lower())


def _look_at_first_match(viewer: EvidenceViewer) -> None:
    """Actual size, centred on the first matched word (boxed or not)."""
    assert viewer.detail is not None
    x, y, w, h = next(m.boxes[0] for m in viewer.detail.matches if m.boxes)
    viewer.canvas.zoom_to(1.0)
    viewer.canvas.centerOn(x + w / 2, y + h / 2)
    QApplication.processEvents()


def _padded(image: QImage, scale: int = 3, margin: int = 12) -> QImage:
    """Enlarged on a white margin: Tesseract misreads text cropped tight to its edges."""
    big = image.scaled(image.width() * scale, image.height() * scale,
                       Qt.AspectRatioMode.IgnoreAspectRatio,
                       Qt.TransformationMode.SmoothTransformation)
    out = QImage(big.width() + 2 * margin, big.height() + 2 * margin, QImage.Format.Format_RGB32)
    out.fill(QColor("white"))
    painter = QPainter(out)
    painter.drawImage(margin, margin, big)
    painter.end()
    return out


def _close(colour: QColor, want: QColor, slack: int = 40) -> bool:
    return (abs(colour.red() - want.red()) + abs(colour.green() - want.green())
            + abs(colour.blue() - want.blue())) <= slack


def _check_boxes(viewer: EvidenceViewer, grab: QImage) -> int:
    """Each visible box: its outline is in the category colour just outside where the scene
    says the word's box is. Returns how many boxes were checked."""
    checked = 0
    for mark, item in viewer.canvas.box_items():
        word: QRect = viewer.canvas.mapFromScene(item.rect()).boundingRect()
        rect = word.adjusted(-BOX_MARGIN_PX, -BOX_MARGIN_PX, BOX_MARGIN_PX, BOX_MARGIN_PX)
        if not grab.rect().contains(rect):
            continue
        want = QColor(mark.colour)
        top = [grab.pixelColor(x, rect.top()) for x in range(rect.left() + 2, rect.right() - 1)]
        left = [grab.pixelColor(rect.left(), y) for y in range(rect.top() + 2, rect.bottom() - 1)]
        assert sum(_close(c, want) for c in top) >= 0.8 * len(top), "top edge not drawn"
        assert sum(_close(c, want) for c in left) >= 0.8 * len(left), "left edge not drawn"
        checked += 1
    return checked


def test_match_boxes_are_drawn_over_the_words_at_fit_and_at_actual_size(
        qtbot, bridge, shots: DemoInstall) -> None:  # type: ignore[no-untyped-def]
    _evidence_id, incident_id, _sha = _evidence(shots, restricted=False)[0]
    viewer = _viewer(qtbot, bridge, shots)
    _load(qtbot, viewer, incident_id)
    assert viewer.detail is not None and viewer.loaded is not None
    assert not viewer.loaded.opened.blurred and not viewer.banner.isVisible()
    fit_zoom = viewer.canvas.zoom
    assert fit_zoom < 1 and _check_boxes(viewer, _grab(viewer)) >= 1

    viewer.canvas.zoom_to(1.0)
    for index, match in enumerate(viewer.detail.matches):
        if not match.boxes:
            continue
        viewer.canvas.focus_match(index)
        viewer.canvas._stop_flash()  # a grab mid-flash could catch the box hidden
        QApplication.processEvents()
        grab = _grab(viewer)
        assert _check_boxes(viewer, grab) >= 1
        if shutil.which("tesseract"):
            x, y, w, h = match.boxes[0]
            on_screen = viewer.canvas.mapFromScene(x, y)
            inside = grab.copy(on_screen.x() + 2, on_screen.y() + 2, w - 4, h - 4)
            first_word = re.sub(r"[^a-z0-9]+", " ", match.text.lower()).split()[0]
            assert first_word in _read_words(_padded(inside))
        break
    assert viewer.canvas.zoom == pytest.approx(1.0)


@needs_tesseract
def test_restricted_imagery_grabs_blurred_until_the_dsl_reveals_it_with_a_reason(
        qtbot, bridge, shots: DemoInstall) -> None:  # type: ignore[no-untyped-def]
    restricted = _evidence(shots, restricted=True)
    assert restricted, "the demo school should include restricted imagery"
    _evidence_id, incident_id, _sha = restricted[0]
    viewer = _viewer(qtbot, bridge, shots)
    _load(qtbot, viewer, incident_id)
    assert viewer.loaded is not None and viewer.loaded.opened.blurred
    assert viewer.banner.isVisible() and viewer.reveal_button.isVisible()
    assert viewer.canvas.box_items() == []
    _look_at_first_match(viewer)
    blurred = _grab(viewer)
    assert viewer.detail is not None and viewer.detail.context
    words = {w for w in re.findall(r"[a-z]{5,}", viewer.detail.context.lower())}
    assert words and not words & set(_read_words(blurred).split())

    def fill_in() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, RevealDialog)
        dialog.reason.setPlainText("Police referral: need to describe the image")
        dialog.confirm.setChecked(True)
        dialog.ok_button.click()

    QTimer.singleShot(0, fill_in)
    viewer.ask_reveal()
    assert viewer.loaded is not None and not viewer.loaded.opened.blurred
    assert not viewer.banner.isVisible() and viewer.canvas.box_items()
    _look_at_first_match(viewer)
    revealed = _grab(viewer)
    assert revealed != blurred
    assert words & set(_read_words(revealed).split())
    seen = incident_view.sightings(shots.console, shots.sign_in("dsl"), incident_id)
    assert any(s.what == "revealed restricted imagery"
               and s.reason == "Police referral: need to describe the image" for s in seen)

    # Moving on and coming back: blurred again.
    other = _evidence(shots, restricted=False)[0][1]
    _load(qtbot, viewer, other)
    _load(qtbot, viewer, incident_id)
    assert viewer.loaded is not None and viewer.loaded.opened.blurred


def test_a_deputy_sees_restricted_imagery_blurred_with_no_way_to_reveal_it(
        qtbot, bridge, shots: DemoInstall) -> None:  # type: ignore[no-untyped-def]
    _evidence_id, incident_id, _sha = _evidence(shots, restricted=True)[0]
    viewer = _viewer(qtbot, bridge, shots, user="deputy")
    _load(qtbot, viewer, incident_id)
    assert viewer.loaded is not None and viewer.loaded.opened.blurred
    assert viewer.banner.isVisible() and not viewer.reveal_button.isVisible()
    viewer.ask_reveal()  # no dialog, nothing revealed
    assert viewer.loaded.opened.blurred


def test_altered_evidence_shows_verification_failed_and_stays_failed(
        qtbot, bridge, shots: DemoInstall) -> None:  # type: ignore[no-untyped-def]
    _evidence_id, incident_id, sha = _evidence(shots, restricted=False)[-1]
    path = shots.console.evidence.path_for(sha)
    original = path.read_bytes()
    viewer = _viewer(qtbot, bridge, shots)
    try:
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        with qtbot.waitSignal(viewer.sig_failed, timeout=TIMEOUT):
            viewer.load(incident_id)
    finally:
        path.write_bytes(original)
    assert not viewer.canvas.has_image
    assert viewer.notice.isVisible() and "Verification failed" in viewer.notice.text()
    _load(qtbot, viewer, incident_id)  # the file is back, the finding stands
    assert not viewer.canvas.has_image and "Verification failed" in viewer.notice.text()
    assert "VERIFICATION FAILED" in viewer.facts.verification.text()


def test_space_opens_the_incident_window_and_j_and_esc_keep_the_lists_place(
        qtbot, bridge, shots: DemoInstall) -> None:  # type: ignore[no-untyped-def]
    view = IncidentsView(bridge, shots.console, shots.sign_in("dsl"))
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    qtbot.waitUntil(lambda: view.model.rowCount() > 3, timeout=TIMEOUT)
    view.table.selectRow(1)
    view.table.setFocus()
    first = view.model.row_at(1).id
    qtbot.keyClick(view.table, Qt.Key.Key_Space)
    window = view.window
    assert window is not None
    qtbot.waitUntil(lambda: window.viewer.detail is not None
                    and window.viewer.detail.id == first, timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_J)
    second = view.model.row_at(2).id
    qtbot.waitUntil(lambda: window.viewer.detail is not None
                    and window.viewer.detail.id == second, timeout=TIMEOUT)
    assert view.table.currentIndex().row() == 2
    assert window.viewer.canvas.contextMenuPolicy() == Qt.ContextMenuPolicy.NoContextMenu
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT)
    assert view.table.currentIndex().row() == 2 and window.viewer.loaded is None


def test_t_opens_the_pupils_timeline_and_enter_opens_an_incident_from_it(
        qtbot, bridge, shots: DemoInstall) -> None:  # type: ignore[no-untyped-def]
    from app.ui.incident_window import IncidentWindow
    _evidence_id, incident_id, _sha = _evidence(shots, restricted=False)[0]
    window = IncidentWindow(bridge, shots.console, shots.sign_in("dsl"))
    qtbot.addWidget(window)
    window.show_incident(incident_id)
    qtbot.waitUntil(lambda: window.viewer.detail is not None, timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_T)
    assert window.timeline is not None
    with qtbot.waitSignal(window.timeline.sig_loaded, timeout=TIMEOUT):
        pass
    data = window.timeline.data
    assert data is not None and data.subject_id == window.viewer.detail.subject_id
    incidents_shown = [e for e in data.entries if e.kind == "incident"]
    assert incident_id in {e.incident_id for e in incidents_shown}
    assert window.timeline.entries.count() == len(data.entries)
    (scatter,) = window.timeline.strip.getPlotItem().listDataItems()
    assert len(scatter.points()) == len(incidents_shown) == data.total
    row = next(i for i, e in enumerate(data.entries) if e.kind == "incident")
    window.timeline.entries.setCurrentRow(row)
    qtbot.keyClick(window.timeline.entries, Qt.Key.Key_Return)
    wanted = data.entries[row].incident_id
    qtbot.waitUntil(lambda: window.viewer.detail is not None
                    and window.viewer.detail.id == wanted, timeout=TIMEOUT)
