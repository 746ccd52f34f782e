"""The phrase library as staff see it: browse, try a sentence, and the DSL's changes.

The library in force is the shipped files (`resources/phrases`) with the school's layer over
them (`app.detection.school_layer`): entries the DSL added, disabled or gave exceptions, stored
in the database. Every change is DSL-only, audited, and bumps the library version that devices
and incidents record (`2026.11.0-s7`). A change is composed and compiled *before* it commits: a
change that would leave no working library is refused and the one in force stays.

Compiling takes ~0.1–0.2 s, so compiled libraries are kept per (shipped version, school layer);
callers run these functions on the DB executor, never on the GUI thread.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.detection.matcher import Matcher

from app.detection.library import (
    Library,
    LibraryError,
    PhraseEntry,
    exchange_csv,
    load_library,
    parse_entry,
    read_exchange_csv,
)
from app.detection.school_layer import (
    ImportPlan,
    LayeredEntry,
    LayeredLibrary,
    Origin,
    SchoolEdit,
    compose,
    is_empty_override,
    override,
    plan_import,
    school_edit,
)
from app.domain.categories import CATEGORY_BY_KEY
from app.errors import ValidationError
from app.fileio import write_atomically
from app.paths import RESOURCES
from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.models import LibraryEdit
from db.repositories import library_repo

LIBRARY_FOLDER = RESOURCES / "phrases"
SCHOOL_KEY = re.compile(r"^school-(\d{4,})$")
MAX_EXCEPTIONS = 50
_COMPILED_KEPT = 4
_lock = threading.Lock()
_shipped: Library | None = None
_compiled: OrderedDict[str, tuple[LayeredLibrary, Matcher]] = OrderedDict()


@dataclass(frozen=True)
class PhraseView:
    id: str
    category: str
    category_name: str
    pattern: str
    kind: str
    severity: int
    whole_word: bool
    exceptions: tuple[str, ...]
    note: str
    enabled: bool = True
    origin: str = Origin.SHIPPED


@dataclass(frozen=True)
class PhraseDraft:
    """A new entry as the DSL typed it; validated by the same rules as the library files."""

    category: str
    pattern: str
    kind: str = "phrase"
    severity: int = 3
    whole_word: bool = True
    exceptions: str = ""  # separated by ';'
    note: str = ""
    language: str = "en"


@dataclass(frozen=True)
class TriedMatch:
    """Why a sentence would fire: the entry, and the span of the sentence that fired it."""

    phrase_id: str
    category_name: str
    severity: int
    phrase: str
    text: str
    start: int
    end: int
    note: str


def shipped_library() -> Library:
    global _shipped
    with _lock:
        if _shipped is None:
            _shipped = load_library(LIBRARY_FOLDER)
        return _shipped


def library_in_force(console: Console) -> Matcher:
    """The compiled library devices should match with now (shipped + the school's layer)."""
    return _current(console)[1]


def version_in_force(console: Console) -> str:
    """The library version devices match with now (a number, not content: no permission)."""
    return _current(console)[0].version


def library_version(console: Console, session: UserSession) -> str:
    session.require(Permission.VIEW_LIBRARY)
    return version_in_force(console)


def list_phrases(console: Console, session: UserSession, category: str | None = None,
                 search: str | None = None) -> list[PhraseView]:
    """Entries of one category (or all), whose pattern, note or exceptions contain `search`;
    disabled entries too, so the DSL can turn them back on."""
    session.require(Permission.VIEW_LIBRARY)
    needle = (search or "").strip().lower()
    views = []
    for layered in _current(console)[0].entries:
        e = layered.entry
        if category and e.category != category:
            continue
        if needle and needle not in " ".join((e.pattern, e.note, *e.exceptions)).lower():
            continue
        views.append(_view(layered))
    return sorted(views, key=lambda v: (v.category_name, -v.severity, v.pattern))


def try_sentence(console: Console, session: UserSession, text: str) -> list[TriedMatch]:
    """What would fire on `text`, and why."""
    session.require(Permission.VIEW_LIBRARY)
    matcher = _current(console)[1]
    entries = matcher.library.by_id()
    return [TriedMatch(m.phrase_id, CATEGORY_BY_KEY[m.category].name, m.severity, m.phrase,
                       m.text, m.start, m.end, entries[m.phrase_id].note)
            for m in matcher.find(text[:10_000])]


def add_phrase(console: Console, session: UserSession, draft: PhraseDraft) -> PhraseView:
    """Add the school's own entry; refused if it is invalid or already in the library."""
    def decide(current: LayeredLibrary) -> _Change:
        key = _next_school_key(current)
        entry = _validated(key, draft)
        twin = _same_pattern(current, entry.category, entry.pattern)
        if twin is not None:
            raise ValidationError(f"'{twin.entry.pattern}' is already in this category "
                                  f"({twin.entry.id}{'' if twin.enabled else ', disabled'}).")
        return _Change([school_edit(entry, True)], "library.phrase.add", key,
                       {"category": entry.category, "pattern": entry.pattern,
                        "severity": entry.severity})
    return _view_of(*_apply(console, session, decide))


def set_enabled(console: Console, session: UserSession, key: str, enabled: bool,
                reason: str = "") -> PhraseView:
    """Turn an entry off (devices stop matching it) or back on."""
    reason = _short_text(reason, "The reason", 500)

    def decide(current: LayeredLibrary) -> _Change:
        layered = _entry_or_error(current, key)
        if layered.enabled == enabled:
            raise ValidationError(f"'{layered.entry.pattern}' is already "
                                  f"{'on' if enabled else 'off'}.")
        action = "library.phrase.enable" if enabled else "library.phrase.disable"
        return _Change([_rewritten(layered, enabled=enabled)], action, key,
                       {"pattern": layered.entry.pattern, "reason": reason})
    return _view_of(*_apply(console, session, decide))


def add_exception(console: Console, session: UserSession, key: str,
                  exception: str) -> PhraseView:
    """Text containing `exception` (a word such as "Scunthorpe") no longer fires this entry."""
    exception = _short_text(exception, "The exception", 200)
    if not exception:
        raise ValidationError("Type the word or phrase that should not fire this entry.")
    if ";" in exception:
        raise ValidationError("Add one exception at a time (';' separates them in the files).")

    def decide(current: LayeredLibrary) -> _Change:
        layered = _entry_or_error(current, key)
        have = layered.entry.exceptions
        if _normalised(exception) in {_normalised(x) for x in have}:
            raise ValidationError(f"'{exception}' is already an exception of this entry.")
        if len(have) >= MAX_EXCEPTIONS:
            raise ValidationError(f"An entry holds at most {MAX_EXCEPTIONS} exceptions.")
        return _Change([_rewritten(layered, exceptions=(*have, exception))],
                       "library.phrase.exception", key,
                       {"pattern": layered.entry.pattern, "exception": exception})
    return _view_of(*_apply(console, session, decide))


def export_csv(console: Console, session: UserSession, path: Path) -> int:
    """Write every entry (on and off) to `path` as CSV, all or nothing; returns the count."""
    session.require(Permission.VIEW_LIBRARY)
    entries = _current(console)[0].entries
    text = exchange_csv([(e.entry, e.enabled) for e in entries])
    write_atomically(path, text.encode("utf-8-sig"))  # the BOM tells Excel it is UTF-8
    return len(entries)


def preview_import(console: Console, session: UserSession, path: Path) -> ImportPlan:
    """What importing `path` would add and change; nothing is written."""
    session.require(Permission.MANAGE_LIBRARY)
    return _import_plan(path, _current(console)[0])


def import_csv(console: Console, session: UserSession, path: Path,
               previewed: ImportPlan) -> ImportPlan:
    """Apply an import the DSL previewed. If the file or the library changed since the preview,
    nothing is written and the DSL is asked to look again."""
    def decide(current: LayeredLibrary) -> _Change:
        plan = _import_plan(path, current)
        if plan != previewed:
            raise ValidationError("The file or the library changed since the preview; "
                                  "import again to see what it would do now.")
        if not plan.edits:
            raise ValidationError("Nothing to import: every entry already reads as in the file.")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return _Change(list(plan.edits), "library.import", "library",
                       {"file": path.name, "sha256": digest, "added": plan.added,
                        "changed": plan.changed, "unchanged": plan.unchanged})
    _apply(console, session, decide)
    return previewed


# --- composing, caching and changing -------------------------------------------------------

@dataclass(frozen=True)
class _Change:
    edits: Sequence[SchoolEdit]
    action: str
    key: str
    details: dict[str, Any]


def phrase_texts(console: Console, keys: list[str]) -> dict[str, tuple[str, str]]:
    """(pattern, category key) of each library entry named: library words only, for trend
    reports that must never show a pupil's own words."""
    layered, _ = _current(console)
    found = {key: layered.get(key) for key in keys}
    return {key: (e.entry.pattern, e.entry.category) for key, e in found.items()
            if e is not None}


def _normalised(text: str) -> str:
    # The detection engine (numpy, the matcher) loads when a library is first compiled or
    # compared, on the executor, not while the console starts.
    from app.detection.normalise import normalise

    return normalise(text).text


def _current(console: Console) -> tuple[LayeredLibrary, Matcher]:
    with console.reading() as db:
        revision = library_repo.revision(db)
        edits = [_edit_of(row) for row in library_repo.edits(db)]
    return _compiled_for(edits, revision)


def _compiled_for(edits: list[SchoolEdit], revision: int) -> tuple[LayeredLibrary, Matcher]:
    shipped = shipped_library()
    cache_key = hashlib.sha256(repr((shipped.version, revision, edits)).encode()).hexdigest()
    with _lock:
        if cache_key in _compiled:
            _compiled.move_to_end(cache_key)
            return _compiled[cache_key]
    layered = compose(shipped, edits, revision)
    from app.detection.matcher import Matcher

    compiled = (layered, Matcher.compile(layered.in_force()))
    with _lock:
        _compiled[cache_key] = compiled
        while len(_compiled) > _COMPILED_KEPT:
            _compiled.popitem(last=False)
    return compiled


def _apply(console: Console, session: UserSession,
           decide: Callable[[LayeredLibrary], _Change]) -> tuple[LayeredLibrary, str]:
    """Decide a change against the library as it is inside the transaction, write it, prove the
    result compiles, audit it and commit — or change nothing. Returns the new library and the
    key of the entry changed."""
    session.require(Permission.MANAGE_LIBRARY)
    with console.unit_of_work(session.actor) as uow:
        db = uow.session
        revision = library_repo.revision(db, for_update=True)
        current = _compiled_for([_edit_of(r) for r in library_repo.edits(db)], revision)[0]
        change = decide(current)
        library_repo.replace_edits(db, [_row_of(e) for e in change.edits], uow.console.clock(),
                                   session.actor.name)
        for edit in change.edits:
            if is_empty_override(edit):  # back as shipped: nothing of the school's is left
                library_repo.delete_edit(db, edit.key)
        library_repo.set_revision(db, revision + 1)
        try:
            layered, _ = _compiled_for([_edit_of(r) for r in library_repo.edits(db)],
                                       revision + 1)
        except LibraryError as exc:
            raise ValidationError(f"That change was not made: {exc.reason}.") from None
        uow.audit(change.action, f"phrase:{change.key}" if change.key != "library"
                  else "library", version=layered.version, **change.details)
    return layered, change.key


def _import_plan(path: Path, current: LayeredLibrary) -> ImportPlan:
    try:
        return plan_import(path, shipped_library(), current, read_exchange_csv(path))
    except LibraryError as exc:
        raise ValidationError(str(exc).replace("Phrase library not loaded", "Not imported")
                              ) from None


def _rewritten(layered: LayeredEntry, *, enabled: bool | None = None,
               exceptions: tuple[str, ...] | None = None) -> SchoolEdit:
    e = layered.entry
    enabled = layered.enabled if enabled is None else enabled
    exceptions = e.exceptions if exceptions is None else exceptions
    if layered.origin == Origin.SCHOOL:
        return school_edit(replace(e, exceptions=exceptions), enabled)
    shipped = shipped_library().by_id()[e.id]
    return override(shipped, severity=e.severity, exceptions=exceptions, note=e.note,
                    enabled=enabled)


def _validated(key: str, draft: PhraseDraft) -> PhraseEntry:
    if draft.category not in CATEGORY_BY_KEY:
        raise ValidationError("Choose a category.")
    kind = draft.kind
    if kind != "regex":  # the files' convention: one token is a word, more is a phrase
        kind = "word" if len(draft.pattern.split()) == 1 else "phrase"
    fields = [key, draft.pattern, kind, str(draft.severity), draft.language,
              "whole" if draft.whole_word else "embedded", draft.exceptions, draft.note]
    try:
        entry = parse_entry("new entry", 1, draft.category, fields)
    except LibraryError as exc:
        raise ValidationError(exc.reason[:1].upper() + exc.reason[1:] + ".") from None
    if entry.kind != "regex" and entry.pattern.isascii() and \
            len(_normalised(entry.pattern).replace(" ", "")) < 3:
        raise ValidationError("A pattern of one or two letters would fire on ordinary words; "
                              "use at least three.")
    return entry


def _same_pattern(current: LayeredLibrary, category: str, pattern: str) -> LayeredEntry | None:
    wanted = _normalised(pattern)
    return next((e for e in current.entries if e.entry.category == category
                 and _normalised(e.entry.pattern) == wanted), None)


def _next_school_key(current: LayeredLibrary) -> str:
    numbers = [int(m.group(1)) for e in current.entries
               if (m := SCHOOL_KEY.fullmatch(e.entry.id))]
    return f"school-{max(numbers, default=0) + 1:04d}"


def _entry_or_error(current: LayeredLibrary, key: str) -> LayeredEntry:
    layered = current.get(key)
    if layered is None:
        raise ValidationError("That entry is no longer in the library.")
    return layered


def _short_text(value: str, what: str, limit: int) -> str:
    value = " ".join(value.split())
    if len(value) > limit:
        raise ValidationError(f"{what} can be at most {limit} characters.")
    return value


def _view(layered: LayeredEntry) -> PhraseView:
    e = layered.entry
    return PhraseView(e.id, e.category, CATEGORY_BY_KEY[e.category].name, e.pattern, e.kind,
                      e.severity, e.whole_word, e.exceptions, e.note, layered.enabled,
                      layered.origin)


def _view_of(layered: LayeredLibrary, key: str) -> PhraseView:
    found = layered.get(key)
    assert found is not None, "a change always leaves the entry it changed"
    return _view(found)


def _edit_of(row: LibraryEdit) -> SchoolEdit:
    exceptions = None if row.exceptions is None else tuple(json.loads(row.exceptions))
    return SchoolEdit(row.key, row.origin, row.category, row.pattern, row.kind, row.severity,
                      row.language, row.whole_word, exceptions, row.note, row.enabled)


def _row_of(edit: SchoolEdit) -> dict[str, Any]:
    return {"key": edit.key, "origin": str(edit.origin), "category": edit.category,
            "pattern": edit.pattern, "kind": edit.kind, "severity": edit.severity,
            "language": edit.language, "whole_word": edit.whole_word,
            "exceptions": None if edit.exceptions is None else json.dumps(list(edit.exceptions)),
            "note": edit.note, "enabled": edit.enabled}
