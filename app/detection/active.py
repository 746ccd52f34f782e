"""The library in force, and reloading it safely.

A school edits its phrase files by hand; a typo must never leave a device watching nothing.
`ActiveLibrary.reload` compiles the new files completely before swapping them in, and on any
error keeps the library already in force and returns the error to show.

Threading: `matcher` may be read from any thread; the swap is a single reference assignment.
"""

from __future__ import annotations

from pathlib import Path

from app.detection.library import LibraryError, load_library
from app.detection.matcher import Matcher


class ActiveLibrary:
    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher

    @classmethod
    def load(cls, path: Path) -> ActiveLibrary:
        return cls(Matcher.compile(load_library(path)))

    @property
    def version(self) -> str:
        return self.matcher.version

    def reload(self, path: Path) -> LibraryError | None:
        """Swap in the library at `path`; on error keep the current one and return why."""
        try:
            fresh = Matcher.compile(load_library(path))
        except LibraryError as exc:
            return exc
        self.matcher = fresh
        return None
