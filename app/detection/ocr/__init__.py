"""OCR backends behind one small interface, so detection never cares which engine read a screen.

Kestrel reads screenshots with whichever engine the device has: RapidOCR (the default; its
models ship inside the wheel, so it works offline on a fresh laptop) or Tesseract (when the
`tesseract` binary is installed). Both return `OcrWord`s — one per word, with a box tight around
the word's pixels — in reading order: lines top to bottom, words left to right. Word boxes (not
line boxes) are what let a DSL see exactly which phrase on the screen fired.

Threading contract: `get_backend` caches one instance per backend for the process; an instance
keeps its model in memory and must be used by one thread at a time (the agent's OCR worker).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from PIL import Image

from app.domain.geometry import Box
from app.errors import ConfigError

TESSERACT = "tesseract"
RAPIDOCR = "rapidocr"
BACKENDS = (RAPIDOCR, TESSERACT)  # preference order

# The Windows installer (UB Mannheim build) does not put tesseract.exe on PATH.
_WINDOWS_TESSERACT = Path(r"C:\Program Files\Tesseract-OCR\tesseract.exe")


@dataclass(frozen=True)
class OcrWord:
    """One word read from a screenshot: its text, a box around its pixels, and the engine's
    confidence in [0, 1]."""

    text: str
    box: Box
    confidence: float


@runtime_checkable
class OcrBackend(Protocol):
    """An OCR engine. `read` returns the words of an image in reading order (lines top to
    bottom, words left to right within a line), with boxes in the image's own pixels."""

    name: str

    def read(self, image: Image.Image) -> list[OcrWord]: ...


def tesseract_binary() -> str | None:
    """Path of the Tesseract executable, or None when it is not installed."""
    found = shutil.which(TESSERACT)
    if found:
        return found
    if os.name == "nt" and _WINDOWS_TESSERACT.is_file():
        return str(_WINDOWS_TESSERACT)
    return None


def _rapidocr_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("rapidocr", "onnxruntime"))


def available_backends() -> list[str]:
    """Names of the backends that can run on this computer, preferred first."""
    found = []
    if _rapidocr_installed():
        found.append(RAPIDOCR)
    if tesseract_binary() is not None:
        found.append(TESSERACT)
    return found


def get_backend(name: str) -> OcrBackend:
    """The backend called `name` (one shared instance per process).

    Raises `ConfigError` with a sentence for the IT technician when the name is unknown or the
    engine is not installed on this computer.
    """
    if name not in BACKENDS:
        raise ConfigError(
            f"There is no OCR engine called {name!r}; choose one of: {', '.join(BACKENDS)}.")
    return _cached_backend(name)


@functools.cache
def _cached_backend(name: str) -> OcrBackend:
    if name == TESSERACT:
        binary = tesseract_binary()
        if binary is None:
            raise ConfigError(
                "Tesseract is not installed on this computer, so screen text cannot be read "
                "with it; install Tesseract (with English language data) or use RapidOCR.")
        from app.detection.ocr.tesseract import TesseractBackend

        return TesseractBackend(binary)
    if not _rapidocr_installed():
        raise ConfigError(
            "RapidOCR is not installed on this computer, so screen text cannot be read with "
            "it; reinstall the Kestrel agent (it ships RapidOCR) or use Tesseract.")
    from app.detection.ocr.rapid import RapidOcrBackend

    return RapidOcrBackend()
