"""Scan one screenshot: read its words, run the matcher over them, and say where each match was.

This is the agent's screen-text path in miniature and the body of `main.py agent scan-image`:
load the image defensively (it may come from anywhere), OCR it with the chosen backend, lay the
words out as one string, let the caller's matcher find spans in that string, and map every span
back to the boxes of the words it covers. The result is plain JSON-ready data so the CLI can
print it and tests can compare it.

Threading contract: blocking (OCR takes a second or two); call from a worker thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from app.detection.boxes import boxes_for_span, layout_text
from app.detection.ocr import get_backend
from app.errors import ValidationError

# Screens up to 8K (7680×4320 = 33 MP) pass; anything bigger is not a screenshot. Checked from
# the header before decoding, so a decompression bomb is refused without inflating it.
MAX_PIXELS = 40_000_000
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")

Span = tuple[int, int, object]
Finder = Callable[[str], Sequence[Span]]


def load_screenshot(path: Path) -> Image.Image:
    """The image at `path`, decoded into memory.

    Raises `ValidationError` with a sentence for a person when the file is missing, is not an
    image in a screenshot format, or is implausibly large.
    """
    try:
        with Image.open(path, formats=FORMATS) as image:
            pixels = image.width * image.height
            if pixels > MAX_PIXELS:
                raise ValidationError(
                    f"{path.name} is {image.width}×{image.height} pixels, larger than any "
                    "screen; it was not read.")
            image.load()
            return image.copy()
    except FileNotFoundError as error:
        raise ValidationError(f"There is no file at {path}.") from error
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise ValidationError(
            f"{path.name} is not a screenshot Kestrel can read (use PNG, JPEG, WebP, BMP, GIF "
            "or TIFF).") from error
    except OSError as error:
        raise ValidationError(f"{path.name} could not be read as an image ({error}).") from error


def _payload_fields(payload: object) -> dict[str, Any]:
    if payload is None:
        return {}
    if isinstance(payload, dict):
        return dict(payload)
    if dataclasses.is_dataclass(payload) and not isinstance(payload, type):
        return dataclasses.asdict(payload)
    return {"payload": payload}


def scan_image(path: Path, backend: str, find: Finder) -> dict[str, Any]:
    """OCR the screenshot at `path` with `backend` and report the matches `find` makes.

    `find(text)` returns (start, end, payload) spans over the screen text. Each match in the
    result carries the payload's fields (a dict or dataclass; anything else goes under
    "payload"), then the matched "text", "start", "end" and one [x, y, w, h] box per word the
    span touches. Raises `ValidationError` for an unreadable image and `ConfigError` for a
    backend that is not installed.
    """
    image = load_screenshot(path)  # refuse a bad file before loading any OCR model
    engine = get_backend(backend)
    ocr_text = layout_text(engine.read(image))
    matches = []
    for start, end, payload in find(ocr_text.text):
        matches.append({
            **_payload_fields(payload),
            "text": ocr_text.text[start:end],
            "start": start,
            "end": end,
            "boxes": [box.as_list() for box in boxes_for_span(ocr_text, start, end)],
        })
    return {
        "image": str(path),
        "backend": engine.name,
        "words": [{"text": word.text, "box": word.box.as_list(),
                   "confidence": round(word.confidence, 3)} for word in ocr_text.words],
        "matches": matches,
    }
