"""libtesseract's C API through ctypes, for the Tesseract backend's child process.

Only the child (`ocr.child`) loads the library: a crash in native code ends the child, not the
agent, and the model's memory stays out of the agent process. The child loads the library and
the `eng` model once, then reads one prepared screen per request: 8-bit grayscale pixels in,
Tesseract's TSV out, exactly what `tesseract stdin stdout --psm 11 tsv` prints for the same
pixels minus its header row (checked on the four eval screenshots).

- `OMP_THREAD_LIMIT=1` is set in the child's environment before the library (and so its
  OpenMP runtime, which reads the variable once when it loads) is loaded: one core (DESIGN §16);
- the tessdata directory is Tesseract's own default (`TESSDATA_PREFIX` when set);
- Tesseract's messages ("Estimating resolution as 176" for every screen) go to the null device
  through its `debug_file` variable instead of the agent's stderr; nothing is written to disk.

Nothing here is thread-safe; the child is single-threaded.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import os
import sys
from pathlib import Path

from app.errors import KestrelError

PSM_SPARSE_TEXT = 11
LANGUAGE = "eng"
# Where each platform's build keeps the library: Debian's libtesseract5, Homebrew, and the
# UB Mannheim installer for Windows (beside tesseract.exe, which is not on PATH).
SONAMES = {"linux": "libtesseract.so.5", "darwin": "libtesseract.5.dylib",
           "win32": "libtesseract-5.dll"}

_P = ctypes.c_void_p


class LibraryUnavailable(Exception):
    """libtesseract could not be loaded (or lacks the C API Kestrel uses)."""


def library_candidates(binary: str | None) -> tuple[str, ...]:
    """Names or paths to try for libtesseract, best first: beside the `tesseract` binary (the
    Windows installer), then what the system's loader knows by name."""
    soname = SONAMES.get(sys.platform, SONAMES["linux"])
    candidates: list[str] = []
    if binary:
        beside = Path(binary).resolve().parent / soname
        if beside.is_file():
            candidates.append(str(beside))
    found = ctypes.util.find_library("tesseract")
    if found:
        candidates.append(found)
    candidates.append(soname)
    return tuple(dict.fromkeys(candidates))


class TessApi:
    """One TessBaseAPI with the English model loaded, set to sparse text."""

    def __init__(self, candidates: tuple[str, ...]) -> None:
        os.environ["OMP_THREAD_LIMIT"] = "1"  # before the library and its OpenMP load
        self.lib = _load(candidates)
        self.handle: int | None = self.lib.TessBaseAPICreate()
        if not self.handle:
            raise LibraryUnavailable("TessBaseAPICreate returned no handle")
        self.lib.TessBaseAPISetVariable(self.handle, b"debug_file", os.devnull.encode())
        if self.lib.TessBaseAPIInit3(self.handle, None, LANGUAGE.encode()) != 0:
            self.close()
            raise KestrelError("Tesseract is installed without its English language data; "
                               "install the English data (tesseract-ocr-eng) to read screens.")
        self.lib.TessBaseAPISetPageSegMode(self.handle, PSM_SPARSE_TEXT)

    def tsv(self, pixels: bytes, width: int, height: int) -> str:
        """Tesseract's TSV (no header row) for an 8-bit grayscale image, one byte a pixel."""
        if len(pixels) != width * height:
            raise ValueError(f"{len(pixels)} bytes are not a {width}×{height} gray image")
        self.lib.TessBaseAPISetImage(self.handle, pixels, width, height, 1, width)
        try:
            if self.lib.TessBaseAPIRecognize(self.handle, None) != 0:
                raise KestrelError("Tesseract could not read the screen: recognition failed.")
            text = self.lib.TessBaseAPIGetTsvText(self.handle, 0)
            if not text:
                return ""
            try:
                return ctypes.string_at(text).decode("utf-8", "replace")
            finally:
                self.lib.TessDeleteText(text)
        finally:
            self.lib.TessBaseAPIClear(self.handle)  # drops the image and its results

    def close(self) -> None:
        if self.handle:
            self.lib.TessBaseAPIEnd(self.handle)
            self.lib.TessBaseAPIDelete(self.handle)
            self.handle = None


def _load(candidates: tuple[str, ...]) -> ctypes.CDLL:
    problems = []
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
        except OSError as error:
            problems.append(str(error))
            continue
        try:
            _declare(lib)
        except AttributeError as error:  # too old: no TSV in its C API
            problems.append(f"{name}: {error}")
            continue
        return lib
    raise LibraryUnavailable("; ".join(problems) or "no candidates")


def _declare(lib: ctypes.CDLL) -> None:
    lib.TessBaseAPICreate.restype = _P
    lib.TessBaseAPICreate.argtypes = []
    lib.TessBaseAPISetVariable.restype = ctypes.c_int
    lib.TessBaseAPISetVariable.argtypes = [_P, ctypes.c_char_p, ctypes.c_char_p]
    lib.TessBaseAPIInit3.restype = ctypes.c_int
    lib.TessBaseAPIInit3.argtypes = [_P, ctypes.c_char_p, ctypes.c_char_p]
    lib.TessBaseAPISetPageSegMode.restype = None
    lib.TessBaseAPISetPageSegMode.argtypes = [_P, ctypes.c_int]
    lib.TessBaseAPISetImage.restype = None
    lib.TessBaseAPISetImage.argtypes = [_P, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                        ctypes.c_int, ctypes.c_int]
    lib.TessBaseAPIRecognize.restype = ctypes.c_int
    lib.TessBaseAPIRecognize.argtypes = [_P, _P]
    lib.TessBaseAPIGetTsvText.restype = _P  # not c_char_p: the pointer must go back to free
    lib.TessBaseAPIGetTsvText.argtypes = [_P, ctypes.c_int]
    lib.TessDeleteText.restype = None
    lib.TessDeleteText.argtypes = [_P]
    lib.TessBaseAPIClear.restype = None
    lib.TessBaseAPIClear.argtypes = [_P]
    lib.TessBaseAPIEnd.restype = None
    lib.TessBaseAPIEnd.argtypes = [_P]
    lib.TessBaseAPIDelete.restype = None
    lib.TessBaseAPIDelete.argtypes = [_P]


# The child's side: one request is (pixels, width, height); the answer is (True, tsv), or
# (False, why) when the library cannot be loaded, so the owner can fall back to the CLI.
Request = tuple[bytes, int, int]
Answer = tuple[bool, str]


def read_tsv(candidates: tuple[str, ...], request: Request) -> Answer:
    """The child's handler (bound to `candidates` with functools.partial)."""
    try:
        api = _api(candidates)
    except LibraryUnavailable as error:
        return False, str(error)
    pixels, width, height = request
    return True, api.tsv(pixels, width, height)


@functools.cache
def _api(candidates: tuple[str, ...]) -> TessApi:
    """The child's one TessBaseAPI, loaded on its first screen and ended at exit."""
    api = TessApi(candidates)
    atexit.register(api.close)
    return api
