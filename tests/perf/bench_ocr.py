"""ocr: seconds to read one 1920×1080 screen on one core, per installed backend, against the
same engine alone on the raw screen (no Kestrel preprocessing, no word-box refinement); and
each backend's peak memory in the agent process and in the child that runs the engine.

Each measurement runs in a fresh child process pinned to CPU 0 (and the engines are held to one
thread anyway: `OMP_THREAD_LIMIT=1` for Tesseract, one onnxruntime thread for RapidOCR), so the
figure is what the agent costs a pupil's laptop on one core. Baselines:
- Tesseract: the same `tesseract stdin stdout --psm 11 tsv` call on the raw colour screen
  (Kestrel reads through libtesseract in a persistent child, loading the model once; its
  fallback through that CLI, with Kestrel's preprocessing, is measured too);
- RapidOCR: `RapidOCR()` with its default settings (one thread) on the raw screen, line boxes
  only, in the measuring process itself. Kestrel's settings (no angle classifier, 1280 px
  detection, one line per batch, 160 px minimum line width) make it faster than this baseline
  even after cutting lines into words and passing the screen to the engine's child process.
  The memory baseline is that same in-process engine's peak RSS.
Screens are the eval-data synthetic chats when present beside the repo; otherwise a chat-like
screen is drawn here.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from app.paths import REPO_ROOT
from tests.perf.common import Figure

CHATS = REPO_ROOT.parent / "shared" / "eval-data" / "ocr" / "synthetic-chat"
SCREENS = {"small": ("chat_light_15px.png",),
           "full": ("chat_light_15px.png", "chat_dark_15px.png", "chat_light_12px.png",
                    "chat_light_15px_q70.jpg")}
REPEATS = {"small": 2, "full": 5}
TARGETS = {"tesseract": "≤ 0.5 s", "rapidocr": "≤ 2 s"}
AGENT_RSS_TARGET = "≤ 200 MB"
BASELINES = {"tesseract": "tesseract CLI alone on the raw screen",
             "rapidocr": "RapidOCR defaults (1 thread) on the raw screen"}


def run(scale: str) -> list[Figure]:
    """OCR one 1920×1080 screen on one core, per backend, vs the bare engine."""
    from app.detection.ocr import available_backends

    figures = []
    for backend in ("tesseract", "rapidocr"):
        if backend not in available_backends():
            print(f"  ocr: {backend} is not installed here; skipped", flush=True)
            continue
        kestrel = _in_pinned_child(backend, KESTREL, scale)
        bare = _in_pinned_child(backend, BARE, scale)
        figures.append(Figure(f"ocr_{backend}_seconds_per_screen", kestrel.seconds, "s",
                              TARGETS[backend], BASELINES[backend], bare.seconds))
        print(f"  ocr: {backend} {kestrel.seconds:.3f} s per screen; "
              f"{BASELINES[backend]} {bare.seconds:.3f} s", flush=True)
        if backend == "tesseract":
            cli = _in_pinned_child(backend, CLI, scale)
            figures.append(Figure("ocr_tesseract_cli_fallback_seconds_per_screen", cli.seconds,
                                  "s", "report only", BASELINES[backend], bare.seconds))
            print(f"  ocr: tesseract through the CLI fallback {cli.seconds:.3f} s per screen",
                  flush=True)
        figures += _memory_figures(backend, kestrel, bare)
    return figures


KESTREL, BARE, CLI = "kestrel", "bare", "cli"  # what _measure times


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mb: float  # the measuring process
    children_peak_mb: float  # its largest child still running (RapidOCR's engine process)


def _memory_figures(backend: str, kestrel: Measured, bare: Measured) -> list[Figure]:
    """Peak RSS of the agent side and of the engine's child. Tesseract's baseline is the
    measuring process that ran the bare CLI (the CLI's own memory is not counted)."""
    baseline = MEMORY_BASELINES[backend]
    return [Figure(f"ocr_{backend}_agent_peak_rss", kestrel.peak_mb, "MB", AGENT_RSS_TARGET,
                   baseline, bare.peak_mb),
            Figure(f"ocr_{backend}_engine_child_peak_rss", kestrel.children_peak_mb, "MB",
                   "report only", baseline, bare.peak_mb)]


MEMORY_BASELINES = {"tesseract": "the process that ran the bare CLI",
                    "rapidocr": "RapidOCR in the same process"}


def _in_pinned_child(backend: str, what: str, scale: str) -> Measured:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_measure, backend, what, scale).result()


def _measure(backend: str, what: str, scale: str) -> Measured:
    """Median seconds per screen over the scale's screens, and peak memory; runs in the
    pinned child (whose own children, such as RapidOCR's engine, inherit the pinning)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    read, close = _reader(backend, what)
    samples = []
    for screen in _screens(scale):
        read(screen)  # warm-up: model loading and first-call allocation are not per screen
        for _ in range(REPEATS[scale]):
            start = time.perf_counter()
            read(screen)
            samples.append(time.perf_counter() - start)
    measured = Measured(statistics.median(samples), _peak_mb(os.getpid()),
                        max(map(_peak_mb, _child_pids()), default=0.0))
    close()
    return measured


def _peak_mb(pid: int) -> float:
    """VmHWM, the peak RSS of the process's own memory since its exec (Linux). Not ru_maxrss:
    that carries over the forking parent's RSS, so a spawned child would report the parent's
    memory as its own."""
    status = Path(f"/proc/{pid}/status")
    if not status.is_file():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _child_pids() -> list[int]:
    children = Path(f"/proc/self/task/{os.getpid()}/children")
    return [int(pid) for pid in children.read_text().split()] if children.is_file() else []


def _reader(backend: str, what: str):  # type: ignore[no-untyped-def]
    """(read, close) for the backend; close frees what read started."""
    if backend == "tesseract":
        from app.detection.ocr import tesseract_binary
        from app.detection.ocr.tesseract import TesseractBackend, run_tesseract

        binary = tesseract_binary()
        assert binary is not None
        if what == BARE:
            return (lambda image: run_tesseract(binary, image)), _nothing
        tesseract = TesseractBackend(binary, libraries=() if what == CLI else None)
        if what == KESTREL and not tesseract.in_process:
            print("  ocr: libtesseract not found; Kestrel's tesseract figure is the CLI",
                  flush=True)
        return tesseract.read, tesseract.close
    from app.detection.ocr.rapid import RapidOcrBackend, engine_params

    if what == BARE:
        from rapidocr import RapidOCR

        engine = RapidOCR(params=engine_params(tuned=False))
        return (lambda image: engine(image)), _nothing
    kestrel = RapidOcrBackend()
    return kestrel.read, kestrel.close


def _nothing() -> None:
    pass


def _screens(scale: str) -> list[Image.Image]:
    if all((CHATS / name).is_file() for name in SCREENS[scale]):
        screens = []
        for name in SCREENS[scale]:
            with Image.open(CHATS / name) as image:
                screens.append(image.convert("RGB"))
        return screens
    return [_drawn_screen()]


def _drawn_screen() -> Image.Image:
    """A 1920×1080 chat-like screen: a sidebar and alternating message bubbles."""
    image = Image.new("RGB", (1920, 1080), (243, 244, 246))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    draw.rectangle((0, 0, 360, 1080), fill=(255, 255, 255))
    for row in range(16):
        draw.text((24, 30 + row * 64), f"Contact number {row}", font=font, fill=(20, 20, 20))
        y = 40 + row * 62
        x = 420 if row % 2 else 1200
        draw.rounded_rectangle((x - 16, y - 10, x + 520, y + 30), 8, fill=(255, 255, 255))
        draw.text((x, y), f"message {row}: are you coming to the park after school today",
                  font=font, fill=(20, 20, 20))
    return image


if __name__ == "__main__":
    for figure in run("small"):
        print(figure.line())
