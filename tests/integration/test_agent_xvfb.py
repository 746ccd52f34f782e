"""The agent end to end on a real X server (Xvfb): a real Qt text box, `xdotool type`, the
agent enrolled from a real bundle, and a console receiver on loopback with real TLS.

1. Typed: a library phrase typed with an obfuscation arrives at the console with the typed
   text, a screenshot, and boxes that cover the typed words on that screenshot — with the
   screen not watched (the typed source reads the window whole), and with it watched (the
   typed source reads only what changed since the screen loop's last reading).
2. On screen: a phrase shown (not typed) is caught by the OCR path, with its boxes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.detection.boxes import layout_text
from app.detection.ocr import get_backend
from app.net.server import ReceiverServer
from app.services import agent_policy, enrolment, evidence, opener, users
from app.services.agent_policy import AgentPolicy
from app.services.executor import DbExecutor
from db.models import Evidence, Incident, Match
from tests.conftest import DSL_PASSWORD, REPO

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")
                                     and shutil.which("tesseract")),
                                reason="needs Xvfb, xdotool and tesseract (installed by .ci/run)")
if os.environ.get("CI") == "true":
    pytestmark = pytest.mark.usefixtures()  # CI installs them: never skip there

WAIT_S = 60
TEXT_BOX = """
import sys
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QTextEdit
app = QApplication(sys.argv)
box = QTextEdit()
box.setWindowTitle("Class notes")
box.setFont(QFont("DejaVu Sans", 22))
box.setPlainText(sys.argv[1])
box.resize(900, 300)
box.move(40, 40)
box.show()
box.activateWindow()
app.exec()
"""


def _free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture
def display() -> Iterator[str]:
    number = _free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    yield f":{number}"
    xvfb.terminate()
    xvfb.wait(10)


@pytest.fixture
def console(install) -> Iterator[tuple[object, int]]:  # type: ignore[no-untyped-def]
    executor = DbExecutor()
    server = ReceiverServer(install, executor)
    port = server.start()
    yield install, port
    server.stop()
    executor.shutdown()


def _env(display: str) -> dict[str, str]:
    return {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}


def _start_agent(console, display: str, tmp_path: Path, policy: AgentPolicy):  # type: ignore[no-untyped-def]
    install, port = console
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    agent_policy.set_policy(install, dsl, policy)
    bundle = tmp_path / "bundle.json"
    enrolment.save_token_bundle(install, dsl, 1, timedelta(hours=1), True, "test",
                                [f"127.0.0.1:{port}"], bundle)
    folder = tmp_path / "agent"
    enrol = subprocess.run([sys.executable, str(REPO / "main.py"), "agent", "enrol",
                            "--data-dir", str(folder), "--bundle", str(bundle)],
                           capture_output=True, text=True, env=_env(display), cwd=REPO,
                           timeout=120)
    assert enrol.returncode == 0, enrol.stderr
    agent = subprocess.Popen([sys.executable, str(REPO / "main.py"), "agent", "run",
                              "--data-dir", str(folder), "--ocr", "tesseract"],
                             env=_env(display), cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert agent.stdout is not None
    assert "agent running" in agent.stdout.readline()
    return dsl, agent


def _text_box(display: str, text: str = "") -> subprocess.Popen[bytes]:
    box = subprocess.Popen([sys.executable, "-c", TEXT_BOX, text], env=_env(display))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", "Class notes"],
                               capture_output=True, text=True, env=_env(display))
        if found.stdout.strip():
            window = found.stdout.split()[0]
            subprocess.run(["xdotool", "windowfocus", "--sync", window], env=_env(display),
                           timeout=10)
            return box
        time.sleep(0.2)
    raise AssertionError("the text box did not appear")


def _opened_incident(install, dsl, source: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        opener.open_received(install, dsl)
        with install.reading() as db:
            row = db.execute(select(Incident.id, Incident.context_text, Incident.matched_text)
                             .where(Incident.source == source)).first()
        if row is not None and row.context_text is not None:
            return row
        time.sleep(0.5)
    raise AssertionError(f"no {source} incident reached the console within {WAIT_S} s")


def _screenshot_and_boxes(install, dsl, incident_id: int):  # type: ignore[no-untyped-def]
    with install.reading() as db:
        evidence_id = db.execute(select(Evidence.id).where(
            Evidence.incident_id == incident_id)).scalar_one()
        boxes = [json.loads(b) for b in db.execute(select(Match.boxes).where(
            Match.incident_id == incident_id)).scalars()]
    opened = evidence.open_evidence(install, dsl, evidence_id)
    return Image.open(io.BytesIO(opened.data)), [b for match in boxes for b in match]


def _words_under(image: Image.Image, boxes: list[list[int]]) -> set[str]:
    """What an independent OCR read of the screenshot finds where the boxes are."""
    words = layout_text(get_backend("tesseract").read(image)).words
    hits = set()
    for x, y, w, h in boxes:
        for word in words:
            b = word.box
            overlap_w = min(x + w, b.x + b.w) - max(x, b.x)
            overlap_h = min(y + h, b.y + b.h) - max(y, b.y)
            if overlap_w > 0 and overlap_h > 0 and overlap_w * overlap_h >= 0.5 * b.w * b.h:
                hits.add(word.text.lower())
    return hits


def test_a_typed_phrase_with_an_obfuscation_arrives_with_its_screenshot_and_boxes(
        display, console, tmp_path) -> None:  # type: ignore[no-untyped-def]
    install, _port = console
    dsl, agent = _start_agent(console, display, tmp_path, AgentPolicy(screen=False))
    box = _text_box(display)
    try:
        time.sleep(1.0)  # the listener is attached
        subprocess.run(["xdotool", "type", "--delay", "40", "honestly you should k1ll yourself "],
                       env=_env(display), check=True, timeout=30)
        row = _opened_incident(install, dsl, "typed")
        assert "k1ll yourself" in row.context_text
        assert row.matched_text == "k1ll yourself"
        image, boxes = _screenshot_and_boxes(install, dsl, row.id)
        assert image.size == (1280, 800) and len(boxes) == 2  # one box per word
        assert {w.strip(".,") for w in _words_under(image, boxes)} >= {"yourself"}
    finally:
        agent.terminate()
        box.terminate()
        assert agent.wait(20) == 0


def test_a_typed_phrase_on_a_watched_screen_arrives_with_boxes_on_the_typed_words(
        display, console, tmp_path) -> None:  # type: ignore[no-untyped-def]
    install, _port = console
    box = _text_box(display, "we met after lunch to finish the project\n"
                             "bring the blue folder on friday\n")
    dsl, agent = _start_agent(console, display, tmp_path, AgentPolicy(ocr_interval_s=1))
    try:
        time.sleep(2.5)  # the listener is attached and the screen loop has read the screen
        subprocess.run(["xdotool", "key", "ctrl+End"], env=_env(display), check=True,
                       timeout=30)
        subprocess.run(["xdotool", "type", "--delay", "150", "honestly you should k1ll "],
                       env=_env(display), check=True, timeout=30)
        time.sleep(1.5)  # read by the screen loop half typed: the rest is new at the match
        subprocess.run(["xdotool", "type", "--delay", "40", "yourself "],
                       env=_env(display), check=True, timeout=30)
        row = _opened_incident(install, dsl, "typed")
        assert row.matched_text == "k1ll yourself"
        image, boxes = _screenshot_and_boxes(install, dsl, row.id)
        assert len(boxes) == 2
        assert {w.strip(".,") for w in _words_under(image, boxes)} >= {"yourself"}
    finally:
        agent.terminate()
        box.terminate()
        assert agent.wait(20) == 0


def test_a_phrase_shown_on_screen_is_caught_by_ocr_with_its_boxes(display, console,
                                                                  tmp_path) -> None:  # type: ignore[no-untyped-def]
    install, _port = console
    box = _text_box(display, "everyone says nobody would miss you anyway")
    dsl, agent = _start_agent(console, display, tmp_path,
                              AgentPolicy(typed=False, ocr_interval_s=1))
    try:
        row = _opened_incident(install, dsl, "screen")
        assert row.matched_text == "nobody would miss you"
        image, boxes = _screenshot_and_boxes(install, dsl, row.id)
        assert len(boxes) == 4
        assert {"nobody", "would", "miss", "you"} <= _words_under(image, boxes)
    finally:
        agent.terminate()
        box.terminate()
        assert agent.wait(20) == 0
