"""Both OCR backends, for real, against the synthetic chat screenshots in eval-data.

The four 1920×1080 screenshots (light 15 px, dark 15 px, light 12 px, light 15 px as JPEG q70)
come with the exact box of every one of their 194 words. How a reading is scored:

- Alignment: every (ground-truth word, OCR word) pair whose boxes intersect is a candidate;
  pairs are taken greedily, those whose texts agree first and then by IoU, each word used at
  most once (a greedy 1:1 alignment).
- Accuracy: the share of ground-truth words aligned to an OCR word with the same text after the
  folding the matcher applies before it matches (DESIGN §5): case-insensitive, with the OCR
  confusions `| I l 1` and `0 O` folded. So Tesseract reading DejaVu's bare-stroke `I` as `|`
  counts as read, because the matcher would find it; `k y` read as `ky` does not. The exact,
  case-sensitive share is printed beside it. Must be at least 95 % on every image.
- Boxes: every word found must have a box that contains the centre of its ground-truth box and
  overlaps it with IoU ≥ 0.5. Tokens with no letter or digit (the `-` in the title) are left
  out of this check only: their ground-truth boxes are Pillow's text-layout cells (7×7 for a
  hyphen whose ink is 6×3), which no box drawn round the pixels can match.

Per-image figures print with `pytest -s` and are recorded as test properties (`--junitxml`).
In CI (env CI set) a missing backend fails instead of skipping.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest
from PIL import Image

from app.detection.ocr import OcrWord, available_backends, get_backend

EVAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "eval-data"
CHATS = EVAL_DATA / "ocr" / "synthetic-chat"
IMAGES = ["chat_light_15px.png", "chat_dark_15px.png", "chat_light_12px.png",
          "chat_light_15px_q70.jpg"]
MIN_ACCURACY = 0.95
MIN_IOU = 0.5
_FOLD = str.maketrans({"|": "l", "I": "l", "1": "l", "0": "o", "O": "o"})

LTRB = tuple[int, int, int, int]


def fold(text: str) -> str:
    return text.translate(_FOLD).casefold()


def iou(a: LTRB, b: LTRB) -> float:
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def ltrb(word: OcrWord) -> LTRB:
    return (word.box.x, word.box.y, word.box.x + word.box.w, word.box.y + word.box.h)


@functools.cache
def ground_truth() -> dict[str, list[tuple[str, LTRB]]]:
    raw = json.loads((CHATS / "ground_truth.json").read_text(encoding="utf-8"))
    return {name: [(w["text"], tuple(w["box"])) for w in words] for name, words in raw.items()}


@functools.cache
def read(backend: str, image_name: str) -> tuple[OcrWord, ...]:
    """One OCR pass per (backend, image), shared by the tests below."""
    with Image.open(CHATS / image_name) as image:
        return tuple(get_backend(backend).read(image))


def align(truth: list[tuple[str, LTRB]],
          words: tuple[OcrWord, ...]) -> dict[int, tuple[OcrWord, float]]:
    """Greedy 1:1 alignment: ground-truth index → (OCR word, IoU), matching texts first."""
    pairs = []
    for gi, (text, box) in enumerate(truth):
        for oi, found in enumerate(words):
            overlap = iou(box, ltrb(found))
            if overlap > 0:
                pairs.append((fold(text) == fold(found.text), overlap, gi, oi))
    pairs.sort(reverse=True)
    aligned: dict[int, tuple[OcrWord, float]] = {}
    used: set[int] = set()
    for _, overlap, gi, oi in pairs:
        if gi not in aligned and oi not in used:
            aligned[gi] = (words[oi], overlap)
            used.add(oi)
    return aligned


@pytest.fixture(scope="module", params=["rapidocr", "tesseract"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if not (CHATS / "ground_truth.json").is_file():
        pytest.skip(f"eval data not found at {CHATS} (CI clones it beside the repo)")
    if name not in available_backends():
        message = f"OCR backend {name} is not installed on this machine"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run both)")
        pytest.skip(message)
    return name


@pytest.mark.slow
@pytest.mark.parametrize("image_name", IMAGES)
def test_backend_reads_the_words_of_a_chat_screenshot_with_boxes_on_them(
        backend: str, image_name: str, record_property: pytest.RecordProperty) -> None:
    truth = ground_truth()[Path(image_name).stem]
    aligned = align(truth, read(backend, image_name))
    found = {gi: pair for gi, pair in aligned.items()
             if fold(pair[0].text) == fold(truth[gi][0])}
    exact = sum(pair[0].text == truth[gi][0] for gi, pair in found.items())
    accuracy = len(found) / len(truth)
    mean_iou = sum(overlap for _, overlap in found.values()) / max(1, len(found))
    figures = (f"{backend} {image_name}: accuracy {accuracy:.1%} (exact {exact / len(truth):.1%})"
               f", mean IoU {mean_iou:.3f} over {len(found)}/{len(truth)} words")
    print("\nOCR eval:", figures)
    record_property(f"ocr_{backend}_{image_name}", figures)

    missed = [truth[gi][0] for gi in range(len(truth)) if gi not in found]
    assert accuracy >= MIN_ACCURACY, f"{figures}; missed {missed}"
    bad = []
    for gi, (ocr_word, overlap) in found.items():
        text, (left, top, right, bottom) = truth[gi]
        if not any(c.isalnum() for c in text):
            continue
        cx, cy = (left + right) / 2, (top + bottom) / 2
        box = ltrb(ocr_word)
        if overlap < MIN_IOU or not (box[0] <= cx <= box[2] and box[1] <= cy <= box[3]):
            bad.append(f"{text!r} truth {truth[gi][1]} ocr {box} IoU {overlap:.2f}")
    assert not bad, f"{figures}; boxes off: {bad}"
