"""`main.py agent scan-image`: a rendered screenshot in, the flagged words and where they are
on screen out — the box the DSL will see highlighted."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from app.detection.ocr import available_backends
from app.domain.enums import Source
from app.services.demo.content import DemoText
from app.services.demo.screens import render_screenshot
from tests.conftest import REPO


def _iou(a: list[int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


@pytest.mark.parametrize("backend", ["tesseract", "rapidocr"])
def test_scan_image_finds_the_phrase_and_boxes_it(tmp_path: Path, backend: str) -> None:
    if backend not in available_backends():
        if "CI" in os.environ:
            pytest.fail(f"CI must provide the {backend} OCR backend")
        pytest.skip(f"{backend} is not installed here")
    context = "honestly i just want to hurt myself tonight"
    start = context.index("hurt myself")
    text = DemoText(context, start, start + len("hurt myself"), "Discord", "#general",
                    None, Source.SCREEN)
    shot = render_screenshot(text, "chat_light", random.Random(1))
    image = tmp_path / "screen.webp"
    image.write_bytes(shot.webp)
    done = subprocess.run([sys.executable, str(REPO / "main.py"), "agent", "scan-image",
                           str(image), "--ocr", backend], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    hits = [m for m in report["matches"] if m["text"].lower() == "hurt myself"]
    assert hits, report["matches"]
    boxes = hits[0]["boxes"]
    assert len(boxes) == 2  # one box per word
    box = shot.boxes[0]
    truth = (box.x, box.y, box.w, box.h)
    union = [min(b[0] for b in boxes), min(b[1] for b in boxes),
             max(b[0] + b[2] for b in boxes) - min(b[0] for b in boxes),
             max(b[1] + b[3] for b in boxes) - min(b[1] for b in boxes)]
    assert _iou(union, truth) >= 0.5


def test_scan_image_refuses_a_file_that_is_not_an_image(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    done = subprocess.run([sys.executable, str(REPO / "main.py"), "agent", "scan-image",
                           str(bogus)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
