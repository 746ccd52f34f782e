"""RapidOCR backend: PP-OCR models run by onnxruntime, bundled in the `rapidocr` 3.x wheel.

Why RapidOCR is the default: its models ship inside the wheel, so a freshly enrolled laptop
reads screens offline with nothing else to install. `rapidocr-onnxruntime` 1.4.4 is not used: it
drops the spaces between English words (DESIGN §16).

RapidOCR finds text *lines*; Kestrel needs *word* boxes, so each line box is cut into words at
the blank pixel columns between them (`ink.split_line`), each cut chosen near where glyph widths
say the space should be. Measured against the synthetic chats' exact word boxes, that scored
mean IoU 0.950 / 0.950 / 0.925 / 0.949 (light, dark, 12 px, JPEG); sharing each line out by
glyph widths alone and tightening each share scored 0.932 / 0.932 / 0.909 / 0.931 and put a
lone `I` across its neighbour (IoU 0.30); snapping to RapidOCR's own CTC word positions instead
of glyph widths gained nothing. Settings, measured on the same screenshots on one core:
- one onnxruntime thread (intra- and inter-op): the agent's budget is one core;
- the text-direction classifier is off: screens are upright, and it costs time for nothing;
- detection runs on the screen shrunk to 1280 px on its long side: at full size detection took
  1.4 s of a 3.5 s read; 1280 px still found every word of 12 px text, 1152 px lost 11 % of
  the 12 px words and 960 px whole lines;
- the recogniser takes one line at a time: batches pad every line to the widest, and one at a
  time took 1.7 s where batches of 6 (the default) took 2.3 s;
- the recogniser's minimum line width is 160 px, not 320: every line is padded to at least
  that width, and most chat lines are shorter. Recognition CPU fell by about 12 % with the
  same words read; 48 px lost a word of the 12 px screen;
- model files are passed by path, so RapidOCR never tries to download anything.
Altogether 0.43–0.52× the time of RapidOCR's defaults (0.63× before the 160 px width and the
child process; tests/perf/bench_ocr.py, on a shared machine where absolute times drift).

Memory: a process reading a 1920×1080 screen with RapidOCR peaks at about 430 MB (models about
100 MB, detector activations most of the rest), over the agent's 200 MB budget. So the engine
runs in a child process (spawned, so it shares nothing with the agent; `ocr.child`), started on
the first read and fed raw pixels over a pipe; the agent process never imports onnxruntime.
`close` ends the child and gives its memory back; the next read starts a new one.

Threading contract: one instance per process (see `get_backend`); `read` from one thread at a
time (it blocks on the child).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from app.detection.boxes import reading_order
from app.detection.ocr import OcrWord
from app.detection.ocr.child import EngineOwner, EngineProcess
from app.detection.ocr.ink import split_line, to_gray
from app.domain.geometry import Box

DETECTION_SIDE = 1280
MIN_LINE_WIDTH = 160
log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 120  # a first read also loads the models
_DET_MODEL = "PP-OCRv6_det_small.onnx"
_REC_MODEL = "PP-OCRv6_rec_small.onnx"

# What the child sends back per line: (x, y, w, h) of its box, its text, its score.
Line = tuple[tuple[int, int, int, int], str, float]


def engine_params(tuned: bool = True) -> dict[str, Any]:
    """RapidOCR parameters: single-threaded always; `tuned` adds Kestrel's speed settings."""
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        "Det.model_path": str(models / _DET_MODEL),
        "Rec.model_path": str(models / _REC_MODEL),
    }
    if tuned:
        params |= {"Global.use_cls": False, "Det.limit_type": "max",
                   "Det.limit_side_len": DETECTION_SIDE, "Rec.rec_batch_num": 1,
                   "Rec.rec_img_shape": [3, 48, MIN_LINE_WIDTH]}
    return params


class RapidOcrBackend(EngineOwner):
    """Reads screenshots with RapidOCR (in a child process) and refines its line boxes into
    word boxes."""

    name = "rapidocr"

    def __init__(self) -> None:
        self._child: EngineProcess | None = None

    def read(self, image: Image.Image) -> list[OcrWord]:
        """Words of `image` in reading order, boxes in the image's own pixels."""
        gray = to_gray(image)
        words: list[OcrWord] = []
        for line in self.read_lines(image):
            tokens = line.text.split()
            boxes = split_line(gray, line.box, tokens)
            words.extend(OcrWord(token, box, line.confidence)
                         for token, box in zip(tokens, boxes, strict=True))
        return reading_order(words)

    def read_lines(self, image: Image.Image) -> list[OcrWord]:
        """RapidOCR's own result: one entry per text line, with the detector's padded box."""
        lines: list[Line] = self._ask(np.asarray(image.convert("RGB")))
        return [OcrWord(text, Box(*box), score) for box, text, score in lines]

    def _start_child(self) -> EngineProcess:
        """A spawned child that holds the RapidOCR engine and reads one screen per request:
        a screen's RGB pixels in, its lines out."""
        return EngineProcess(_read_lines, label="RapidOCR", name="kestrel-rapidocr",
                             timeout=TIMEOUT_SECONDS, log=log)


def _read_lines(pixels: NDArray[np.uint8]) -> list[Line]:
    # As a PIL image, not an array: RapidOCR takes arrays to be BGR.
    result: Any = _engine()(Image.fromarray(pixels))  # RapidOCROutput for a full run
    if result.txts is None or result.boxes is None or result.scores is None:
        return []
    return [(_bounding_box(polygon), str(text), float(score))
            for polygon, text, score in zip(result.boxes, result.txts, result.scores,
                                            strict=True)
            if str(text).strip()]


@functools.cache
def _engine() -> Any:
    """The child's one RapidOCR engine, loaded on its first screen."""
    from rapidocr import RapidOCR

    return RapidOCR(params=engine_params())


def _bounding_box(polygon: Any) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the axis-aligned box around a detector polygon (screens are not
    rotated)."""
    points = np.asarray(polygon, dtype=np.float64)
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)
