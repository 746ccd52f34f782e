"""The library the agent matches with, as the console last sent it (in a hello reply).

The console's document is checked entry by entry with the same rules as the library files
(`parse_entry`), compiled, and only then swapped in; anything wrong keeps the library already in
force and says why — a bad update never leaves a device watching nothing. The last good document
is kept in the agent's folder so a device that starts offline matches with it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from app.detection.library import Library, LibraryError, load_library, parse_entry
from app.detection.matcher import Matcher
from app.fileio import write_atomically
from app.paths import RESOURCES

log = logging.getLogger(__name__)
SAVED = "library.json"
MAX_ENTRIES = 20_000


def library_from_doc(doc: Any) -> Library:
    """A library from the console's hello document; LibraryError names what is wrong."""
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        raise LibraryError("console library", None, "not a library document")
    version, allow, rows = doc.get("version"), doc.get("allow", []), doc["entries"]
    if not isinstance(version, str) or not 0 < len(version) <= 32:
        raise LibraryError("console library", None, "no version")
    if len(rows) > MAX_ENTRIES or not isinstance(allow, list) or \
            not all(isinstance(a, str) and len(a) <= 200 for a in allow):
        raise LibraryError("console library", None, "too many entries or a bad allow-list")
    entries = []
    for n, row in enumerate(rows, start=1):
        if not (isinstance(row, list) and len(row) == 9 and all(isinstance(c, str | int)
                                                                for c in row)):
            raise LibraryError("console library", n, "an entry is not nine fields")
        ident, category, *fields = (str(c) for c in row)
        entries.append(parse_entry("console library", n, category, [ident, *fields]))
    return Library(version, tuple(entries), tuple(allow))


class AgentLibrary:
    """The matcher in force; `update` swaps in a new one only if it compiles."""

    def __init__(self, folder: Path) -> None:
        self._path = folder / SAVED
        self.matcher = self._start()
        self.problem: str | None = None

    @property
    def version(self) -> str:
        return self.matcher.version

    def update(self, doc: Any) -> bool:
        try:
            fresh = Matcher.compile(library_from_doc(doc))
        except LibraryError as exc:
            self.problem = str(exc)
            log.warning("kept library %s: %s", self.matcher.version, exc)
            return False
        self.matcher, self.problem = fresh, None
        write_atomically(self._path, json.dumps(doc).encode())
        return True

    def _start(self) -> Matcher:
        try:
            return Matcher.compile(library_from_doc(json.loads(self._path.read_text("utf-8"))))
        except (OSError, ValueError, LibraryError):
            # Never enrolled with a console that sent one yet: the shipped library.
            return Matcher.compile(load_library(RESOURCES / "phrases"))
