"""The school's own changes laid over the shipped phrase library.

The shipped files in `resources/phrases` are upgraded with Kestrel; a school's additions,
disabled entries and extra exceptions must survive that. So the console stores only the school's
layer (`SchoolEdit`, one per entry it touched) and composes the library in force from both:

- origin "school": an entry the school added (every field set);
- origin "shipped": changes to the shipped entry of the same key. Severity, exceptions, note and
  enabled may change (None: as shipped); pattern, kind, language and match never do, because
  they define what the entry *is* — to change those the school disables it and adds its own.

A school entry whose key a later shipped library also uses replaces the shipped one: the school's
decision stands until it says otherwise.

Pure functions, no I/O: the service reads the edits from the database and calls `compose`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from app.detection.library import ExchangeRow, Library, LibraryError, PhraseEntry


class Origin(StrEnum):
    SHIPPED = "shipped"  # as shipped with Kestrel
    CHANGED = "changed"  # shipped, with the school's changes
    SCHOOL = "school"  # added by the school


@dataclass(frozen=True)
class SchoolEdit:
    key: str
    origin: str  # "school" or "shipped" (see the module docstring)
    category: str
    pattern: str | None = None
    kind: str | None = None
    severity: int | None = None
    language: str | None = None
    whole_word: bool | None = None
    exceptions: tuple[str, ...] | None = None
    note: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class LayeredEntry:
    entry: PhraseEntry
    enabled: bool
    origin: Origin


@dataclass(frozen=True)
class LayeredLibrary:
    """Every entry the school can see (disabled ones too) and the version they make."""

    version: str
    entries: tuple[LayeredEntry, ...]
    allow: tuple[str, ...]

    def in_force(self) -> Library:
        """What devices match with: the enabled entries."""
        return Library(self.version, tuple(e.entry for e in self.entries if e.enabled),
                       self.allow)

    def get(self, key: str) -> LayeredEntry | None:
        return next((e for e in self.entries if e.entry.id == key), None)


def layered_version(shipped_version: str, revision: int) -> str:
    """`2026.11.0` as shipped; `2026.11.0-s7` after the school's seventh change."""
    return f"{shipped_version}-s{revision}" if revision else shipped_version


def compose(shipped: Library, edits: Iterable[SchoolEdit], revision: int) -> LayeredLibrary:
    by_key = {e.key: e for e in edits}
    layered = []
    for entry in shipped.entries:
        edit = by_key.pop(entry.id, None)
        if edit is None or is_empty_override(edit):
            layered.append(LayeredEntry(entry, True, Origin.SHIPPED))
        elif edit.origin == Origin.SCHOOL:
            layered.append(_school_entry(edit))
        else:
            layered.append(_changed_entry(entry, edit))
    # Overrides of entries a newer shipped library no longer has are dropped with them.
    layered.extend(_school_entry(e) for e in by_key.values() if e.origin == Origin.SCHOOL)
    return LayeredLibrary(layered_version(shipped.version, revision), tuple(layered),
                          shipped.allow)


def _school_entry(edit: SchoolEdit) -> LayeredEntry:
    if not (edit.pattern and edit.kind and edit.severity and edit.language):
        raise LibraryError("school library", None, f"the school's entry {edit.key} is incomplete")
    entry = PhraseEntry(edit.key, edit.category, edit.pattern, edit.kind, edit.severity,
                        edit.language, bool(edit.whole_word), edit.exceptions or (),
                        edit.note or "")
    return LayeredEntry(entry, edit.enabled is not False, Origin.SCHOOL)


def _changed_entry(shipped: PhraseEntry, edit: SchoolEdit) -> LayeredEntry:
    entry = replace(
        shipped,
        severity=shipped.severity if edit.severity is None else edit.severity,
        exceptions=shipped.exceptions if edit.exceptions is None else edit.exceptions,
        note=shipped.note if edit.note is None else edit.note)
    return LayeredEntry(entry, edit.enabled is not False, Origin.CHANGED)


def school_edit(entry: PhraseEntry, enabled: bool) -> SchoolEdit:
    """The edit that records `entry` as the school's own."""
    return SchoolEdit(entry.id, Origin.SCHOOL, entry.category, entry.pattern, entry.kind,
                      entry.severity, entry.language, entry.whole_word, entry.exceptions,
                      entry.note, enabled)


def override(shipped: PhraseEntry, *, severity: int, exceptions: tuple[str, ...], note: str,
             enabled: bool) -> SchoolEdit:
    """The edit that makes a shipped entry read as given; unchanged fields stay None."""
    return SchoolEdit(
        shipped.id, Origin.SHIPPED, shipped.category,
        severity=None if severity == shipped.severity else severity,
        exceptions=None if exceptions == shipped.exceptions else exceptions,
        note=None if note == shipped.note else note,
        enabled=None if enabled else False)


def is_empty_override(edit: SchoolEdit) -> bool:
    return edit.origin == Origin.SHIPPED and (edit.severity, edit.exceptions, edit.note,
                                              edit.enabled) == (None, None, None, None)


@dataclass(frozen=True)
class ImportPlan:
    """What importing a CSV would do; nothing is changed until the plan is applied."""

    edits: tuple[SchoolEdit, ...]  # the edits to write (each replaces the key's current one)
    added: int
    changed: int
    unchanged: int


def plan_import(path: Path, shipped: Library, current: LayeredLibrary,
                rows: Sequence[ExchangeRow]) -> ImportPlan:
    """Each row becomes an added or changed entry, or nothing when it already reads so. An import
    never deletes: entries missing from the file stay as they are. Raises LibraryError naming the
    line of a row that would change what a shipped entry is."""
    shipped_by_id = shipped.by_id()
    edits, added, changed, unchanged = [], 0, 0, 0
    for row in rows:
        now = current.get(row.entry.id)
        if now is not None and (now.entry, now.enabled) == (row.entry, row.enabled):
            unchanged += 1
            continue
        original = shipped_by_id.get(row.entry.id)
        if original is not None and (now is None or now.origin != Origin.SCHOOL):
            _check_same_entry(path, row, original)
            edits.append(override(original, severity=row.entry.severity,
                                  exceptions=row.entry.exceptions, note=row.entry.note,
                                  enabled=row.enabled))
        else:
            edits.append(school_edit(row.entry, row.enabled))
        if now is None:
            added += 1
        else:
            changed += 1
    return ImportPlan(tuple(edits), added, changed, unchanged)


def _check_same_entry(path: Path, row: ExchangeRow, shipped: PhraseEntry) -> None:
    mine = row.entry
    fields = {"category": (mine.category, shipped.category),
              "pattern": (mine.pattern, shipped.pattern), "kind": (mine.kind, shipped.kind),
              "language": (mine.language, shipped.language),
              "match": (mine.whole_word, shipped.whole_word)}
    different = [name for name, (a, b) in fields.items() if a != b]
    if different:
        raise LibraryError(path, row.line, f"{mine.id} is a shipped entry; its "
                           f"{' and '.join(different)} cannot change. Disable it and add "
                           "your own entry with a new id instead")
