"""Tesseract backend: libtesseract in a persistent child process, or the `tesseract` program.

How screens reach Tesseract: a spawned child process (`ocr.child`, the plumbing RapidOCR uses)
loads libtesseract through its C API (`ocr.tessapi`, ctypes) and the `eng` model once, then
reads one prepared screen per request, its 8-bit gray pixels sent over a pipe. Loading the model
cost 0.15 s of CPU on every call of the CLI; a 1920×1080 screen now takes 0.64–0.75× the time
of the bare CLI in the same run (tests/perf/bench_ocr.py; absolute times drift with the shared
machine's load: 0.71–0.89 s under load), and on the four eval screenshots the child returned
exactly the CLI's TSV, so the same words and boxes. The child
keeps a crash in native code out of the agent, and its memory (about 70 MB peak) too; any
failure (a crash, a timeout, Ctrl-C mid-read) discards it and the next screen starts another.
When libtesseract cannot be loaded (not found, or without the C API calls used), the backend
says so in a log line and falls back to the CLI for good: `tesseract stdin stdout`, the image on
stdin and TSV on stdout. Either way nothing touches the disk: pytesseract was not used because
it writes every image to a temporary file, and a screenshot of a pupil's chat must not land on
disk unsealed; Kestrel gains no extra Python dependency either.

Preprocessing (DESIGN §16, measured on the synthetic chat screenshots):
- grayscale, then invert when the mean luminance is below 128: Tesseract's models expect dark
  text on a light page. Tesseract 5.3 rescues light-on-dark lines by re-reading them
  inverted, but that made the dark chat 45 % slower in one measurement (1.74 s against
  1.21 s), and older builds lose most such text (DESIGN §16). Panels that differ from the
  screen's overall theme still rely on that rescue;
- upscale by 1.25 (Lanczos): on 12 px UI text 1× read 93 % of words and 1.25× 96 %; 1.5× was
  no better overall (97 % at 12 px but 98.5 % against 100 % at 15 px) and 25 % slower, 2× no
  better again; bicubic instead of Lanczos lost the grey "Type a message" placeholder;
- `OMP_THREAD_LIMIT=1`: OpenMP threading made Tesseract 5× slower on a 2-core machine, and the
  agent must stay on one core;
- `--psm 11` (sparse text): a screen is scattered labels and bubbles, not a page of columns;
- the image goes over the pipe uncompressed (raw gray bytes to the child, PGM to the CLI): PNG
  cost 25 ms to write (and more for Tesseract to read) on a 2400×1350 screen, PGM 1 ms.
Tried and left out, measured on one core (CPU seconds of the tesseract child vary ±15 % on
this shared machine, so only interleaved runs were compared): `-c tessedit_do_invert=0` saved
nothing measurable once Kestrel has inverted dark screens (the rescue rarely fires), and would
lose text on a dark panel of a light screen; `--oem 1` is what the LSTM-only `eng` data runs
anyway; `--psm 3` was no faster and `--psm 6` read only 94.8 % of the 12 px words; no upscale
was 20 % faster but read 93.3 % of them; binarising first saved nothing. In the child, setting
`textord_tabfind_find_tables=0`, `paragraph_text_based=0`, `textord_disable_pitch_test=1` or
`tessedit_fix_fuzzy_spaces=0` left the words unchanged and saved nothing measurable either
(interleaved runs, min of 3–5). Of a read in the child, layout analysis is about 0.1 s and
the LSTM recogniser most of the rest; Kestrel's own share (preprocessing 35 ms, box refinement
15 ms, the pipe a few ms) runs in the agent.
Word boxes are then moved onto the glyph pixels (`_refine`): Tesseract's boxes are close but
now and then swallow a pixel row of the line above, sit beside a one-letter word, or reach into
the next word. Without this, 7 words per screenshot overlapped their true box by less than
half (IoU < 0.5) and mean IoU was 0.85–0.86; with it, none did and mean IoU was 0.92–0.95.

Threading contract: one instance per process (see `get_backend`); `read` blocks on a child
process: call it from one worker thread at a time. `close` ends the child and gives its memory
back; the next read starts a new one.
"""

from __future__ import annotations

import functools
import io
import itertools
import logging
import os
import subprocess
from collections.abc import Sequence

from PIL import Image, ImageOps

from app.detection.boxes import reading_order
from app.detection.ocr import OcrWord
from app.detection.ocr.child import EngineOwner, EngineProcess
from app.detection.ocr.ink import Gray, split_line, tighten, to_gray
from app.domain.geometry import Box
from app.errors import KestrelError

UPSCALE = 1.25
PAGE_SEGMENTATION = "11"
TIMEOUT_SECONDS = 60
log = logging.getLogger(__name__)
REACH = 3  # px: Tesseract sometimes sets a one-letter word's box beside its ink


def prepare(image: Image.Image, upscale: float = UPSCALE) -> Image.Image:
    """The image as Tesseract reads it best: grayscale, dark text on light, enlarged."""
    gray = ImageOps.grayscale(image)
    if _mean(gray) < 128:
        gray = ImageOps.invert(gray)
    if upscale != 1:
        size = (round(gray.width * upscale), round(gray.height * upscale))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return gray


def _mean(gray: Image.Image) -> float:
    histogram = gray.histogram()
    return sum(i * n for i, n in enumerate(histogram)) / max(1, sum(histogram))


class TesseractBackend(EngineOwner):
    """Reads screenshots with libtesseract in a child process, or with the Tesseract binary at
    `binary` when the library cannot be loaded.

    `libraries` are the names or paths of libtesseract to try (default: found beside `binary`
    or by the system's loader); an empty sequence reads with the binary only.
    """

    name = "tesseract"

    def __init__(self, binary: str, upscale: float = UPSCALE,
                 libraries: Sequence[str] | None = None) -> None:
        self.binary = binary
        self.upscale = upscale
        self._libraries = None if libraries is None else tuple(libraries)
        self._child: EngineProcess | None = None

    def read(self, image: Image.Image) -> list[OcrWord]:
        """Words of `image` in reading order, boxes in the image's own pixels."""
        prepared = prepare(image, self.upscale)
        words = self._words(self._tsv(prepared), to_gray(image))
        return reading_order(words)

    @property
    def in_process(self) -> bool:
        """Whether screens go to libtesseract in the child (False: to the binary)."""
        return self._candidates() != ()

    def _tsv(self, prepared: Image.Image) -> str:
        if self._candidates():
            ok, answer = self._ask((prepared.tobytes(), prepared.width, prepared.height))
            if ok:
                tsv: str = answer
                return tsv
            log.warning("libtesseract could not be loaded (%s); reading screens with %s "
                        "instead, which loads the model again for every screen", answer,
                        self.binary)
            self._libraries = ()
            self.close()
        return run_tesseract(self.binary, prepared)

    def _candidates(self) -> tuple[str, ...]:
        if self._libraries is None:
            from app.detection.ocr.tessapi import library_candidates

            self._libraries = library_candidates(self.binary)
        return self._libraries

    def _start_child(self) -> EngineProcess:
        """A spawned child that holds libtesseract and the English model and reads one
        prepared screen per request."""
        from app.detection.ocr.tessapi import read_tsv

        return EngineProcess(functools.partial(read_tsv, self._candidates()),
                             label="Tesseract", name="kestrel-tesseract",
                             timeout=TIMEOUT_SECONDS, log=log)

    def _words(self, tsv: str, gray: Gray) -> list[OcrWord]:
        lines: dict[tuple[str, ...], list[tuple[str, Box, float]]] = {}
        for row in tsv.splitlines():  # the CLI's header row is not a word ("level", not "5")
            fields = row.split("\t")
            if len(fields) < 12 or fields[0] != "5" or not fields[11].strip():
                continue
            left, top, width, height = (int(v) for v in fields[6:10])
            box = _scaled_box(left, top, width, height, self.upscale)
            confidence = max(0.0, min(1.0, float(fields[10]) / 100))
            lines.setdefault(tuple(fields[1:5]), []).append((fields[11].strip(), box, confidence))
        words: list[OcrWord] = []
        for found in lines.values():
            boxes = _refine(gray, [text for text, _, _ in found], [box for _, box, _ in found])
            words.extend(OcrWord(text, box, confidence)
                         for (text, _, confidence), box in zip(found, boxes, strict=True))
        return words


def _refine(gray: Gray, texts: list[str], boxes: list[Box]) -> list[Box]:
    """Tesseract's word boxes for one line, moved onto the glyphs.

    Tesseract's boxes are good guides but can be a few pixels off (a one-letter word set beside
    its ink, `at` reaching into the `5` after it), so the line is cut at the blank columns
    nearest to the midpoints between its word boxes.
    """
    if len(boxes) == 1:
        return [tighten(gray, boxes[0], REACH)]
    left = min(b.x for b in boxes) - REACH
    top = min(b.y for b in boxes)
    right = max(b.x + b.w for b in boxes) + REACH
    bottom = max(b.y + b.h for b in boxes)
    priors = [(a.x + a.w + b.x) / 2 for a, b in itertools.pairwise(boxes)]
    return split_line(gray, Box(left, top, right - left, bottom - top),
                      texts, priors)


def _scaled_box(left: int, top: int, width: int, height: int, upscale: float) -> Box:
    """A box from the enlarged image mapped back to original pixels, rounded outwards."""
    x0, y0 = int(left / upscale), int(top / upscale)
    x1, y1 = -int(-(left + width) // upscale), -int(-(top + height) // upscale)
    return Box(x0, y0, x1 - x0, y1 - y0)


def tesseract_env() -> dict[str, str]:
    """The child's environment: one OpenMP thread (DESIGN §16)."""
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def run_tesseract(binary: str, image: Image.Image, *options: str) -> str:
    """Tesseract's TSV for `image`, piped through stdin and stdout (nothing written to disk)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PPM")  # PGM for grayscale: no compression to spend time on
    command = [binary, "stdin", "stdout", "-l", "eng", "--psm", PAGE_SEGMENTATION,
               *options, "tsv"]
    try:
        done = subprocess.run(command, input=buffer.getvalue(), capture_output=True,
                              env=tesseract_env(), timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise KestrelError(f"Tesseract could not be run to read the screen ({error}).") from error
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if any("Failed loading language" in line for line in detail):
            raise KestrelError("Tesseract is installed without its English language data; "
                               "install the English data (tesseract-ocr-eng) to read screens.")
        reason = detail[-1] if detail else f"exit status {done.returncode}"
        raise KestrelError(f"Tesseract could not read the screen: {reason}.")
    return done.stdout.decode("utf-8", "replace")
