"""The phrase library: loading and validating the human-editable files in `resources/phrases/`.

One CSV file per category (`<category_key>.csv`), a global allow-list (`allow.csv`) and a
`VERSION` line. Every file is hostile until validated: a bad regex, an unknown category, a
severity of 9, a duplicate id or a file that is not UTF-8 is refused with the file, the line
and the reason, and nothing of that library is used (the caller keeps the one in force).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from app.domain.categories import CATEGORY_BY_KEY
from app.errors import KestrelError

HEADER = ("id", "pattern", "kind", "severity", "language", "match", "exceptions", "note")
# The console's CSV export/import: every category in one file, and whether each entry is on.
EXCHANGE_HEADER = ("category", *HEADER, "enabled")
ALLOW_HEADER = ("pattern", "note")
KINDS = ("word", "phrase", "regex")
MATCHES = ("whole", "embedded")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# 24 characters leave room in the 32 every incident records for the school's "-s<revision>".
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,23}$")
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_PATTERN = 200


class LibraryError(KestrelError):
    """A library file was refused; the message names the file, line and reason."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        where = f"{Path(path).name}, line {line}" if line else Path(path).name
        super().__init__(f"Phrase library not loaded: {where}: {reason}")
        self.path, self.line, self.reason = str(path), line, reason


@dataclass(frozen=True)
class PhraseEntry:
    """One library entry, exactly as written by the school (patterns are not normalised)."""

    id: str
    category: str
    pattern: str
    kind: str
    severity: int
    language: str
    whole_word: bool
    exceptions: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Library:
    version: str
    entries: tuple[PhraseEntry, ...]
    allow: tuple[str, ...]

    def by_id(self) -> dict[str, PhraseEntry]:
        return {e.id: e for e in self.entries}


def load_library(path: Path) -> Library:
    """A library folder (`resources/phrases` layout), or one CSV file to test: a category file
    or the console's export (entries marked enabled=no are left out)."""
    if path.is_file():
        rows = read_exchange_csv(path)
        return Library(f"file:{path.name}"[:32], tuple(r.entry for r in rows if r.enabled), ())
    if not path.is_dir():
        raise LibraryError(path, None, "no such file or folder")
    version = _read_version(path / "VERSION")
    entries: list[PhraseEntry] = []
    for csv_path in sorted(path.glob("*.csv")):
        if csv_path.name != "allow.csv":
            entries.extend(_read_category(csv_path))
    if not entries:
        raise LibraryError(path, None, "the folder holds no category files")
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen:
            raise LibraryError(f"{entry.category}.csv", None,
                               f"id {entry.id!r} is used twice (also in {seen[entry.id]}.csv)")
        seen[entry.id] = entry.category
    allow_path = path / "allow.csv"
    allow = tuple(r[0] for _n, r in _rows(allow_path, ALLOW_HEADER)) if allow_path.exists() else ()
    return Library(version, tuple(entries), allow)


@dataclass(frozen=True)
class ExchangeRow:
    """One line of an imported CSV: the entry it describes and whether it should be on."""

    line: int
    entry: PhraseEntry
    enabled: bool


def read_exchange_csv(path: Path) -> list[ExchangeRow]:
    """An imported CSV: the console's export format (a `category` and an `enabled` column), or
    one category file in the `resources/phrases` format, named after its category."""
    text = _text(path)
    first = next(csv.reader(io.StringIO(text)), [])
    if tuple(c.strip() for c in first) == HEADER:
        return [ExchangeRow(line, entry, True) for line, entry in _category_rows(path)]
    rows, seen = [], set()
    for line, row in _rows(path, EXCHANGE_HEADER):
        category, *fields, enabled = (c.strip() for c in row)
        if category not in CATEGORY_BY_KEY:
            raise LibraryError(path, line, f"unknown category {category!r}")
        if enabled.lower() not in {"yes", "no"}:
            raise LibraryError(path, line, f"enabled {enabled!r} must be yes or no")
        entry = parse_entry(path, line, category, fields)
        if entry.id in seen:
            raise LibraryError(path, line, f"id {entry.id!r} is used twice")
        seen.add(entry.id)
        rows.append(ExchangeRow(line, entry, enabled.lower() == "yes"))
    return rows


def exchange_csv(rows: list[tuple[PhraseEntry, bool]]) -> str:
    """The console's CSV export of `rows` (entry, enabled), readable by `read_exchange_csv`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXCHANGE_HEADER)
    for e, enabled in rows:
        writer.writerow((e.category, e.id, _spreadsheet_safe(e.pattern), e.kind, e.severity,
                         e.language, "whole" if e.whole_word else "embedded",
                         "; ".join(_spreadsheet_safe(x) for x in e.exceptions),
                         _spreadsheet_safe(e.note), "yes" if enabled else "no"))
    return out.getvalue()


def _spreadsheet_safe(value: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula (CSV injection); a
    leading space defuses it, and the loader strips it again."""
    return f" {value}" if value[:1] in {"=", "+", "-", "@"} else value


def _read_version(path: Path) -> str:
    text = _text(path).strip()
    if not _VERSION.fullmatch(text):
        raise LibraryError(path, 1, "VERSION must be one short word such as 2026.11.0")
    return text


def _read_category(path: Path) -> list[PhraseEntry]:
    return [entry for _line, entry in _category_rows(path)]


def _category_rows(path: Path) -> list[tuple[int, PhraseEntry]]:
    category = path.stem
    if category not in CATEGORY_BY_KEY:
        raise LibraryError(path, None, f"unknown category {category!r}: name the file after "
                           f"one of {', '.join(sorted(CATEGORY_BY_KEY))}")
    entries: list[tuple[int, PhraseEntry]] = []
    ids: set[str] = set()
    for line, row in _rows(path, HEADER):
        entry = parse_entry(path, line, category, row)
        if entry.id in ids:
            raise LibraryError(path, line, f"id {entry.id!r} is used twice")
        ids.add(entry.id)
        entries.append((line, entry))
    return entries


def parse_entry(path: Path | str, line: int, category: str, row: list[str]) -> PhraseEntry:
    """One entry from its eight text fields (HEADER order), validated; the one rule for files,
    imports and entries typed into the console."""
    ident, pattern, kind, severity, language, match, exceptions, note = (c.strip() for c in row)
    if not _ID.fullmatch(ident):
        raise LibraryError(path, line, f"id {ident!r} must be lower-case letters, digits and -")
    if not pattern or len(pattern) > MAX_PATTERN:
        raise LibraryError(path, line, f"pattern must be 1-{MAX_PATTERN} characters")
    if kind not in KINDS:
        raise LibraryError(path, line, f"kind {kind!r} must be one of {', '.join(KINDS)}")
    if kind == "regex":
        try:
            re.compile(pattern)
        except re.error as exc:
            raise LibraryError(path, line, f"pattern is not a valid regular expression "
                               f"({exc})") from None
    if severity not in {"1", "2", "3", "4", "5"}:
        raise LibraryError(path, line, f"severity {severity!r} must be a whole number 1 to 5")
    if not _LANGUAGE.fullmatch(language):
        raise LibraryError(path, line, f"language {language!r} must be a code such as en")
    if match not in MATCHES:
        raise LibraryError(path, line, f"match {match!r} must be whole or embedded")
    excepted = tuple(e.strip() for e in exceptions.split(";") if e.strip())
    return PhraseEntry(ident, category, pattern, kind, int(severity), language,
                       match == "whole", excepted, note)


def _rows(path: Path, header: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(_text(path), newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise LibraryError(path, reader.line_num, f"not valid CSV ({exc})") from None
    if not rows or tuple(c.strip() for c in rows[0]) != header:
        raise LibraryError(path, 1, f"the first line must be the header {','.join(header)}")
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise LibraryError(path, line, f"expected {len(header)} fields, found {len(row)}")
        out.append((line, row))
    return out


def _text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LibraryError(path, None, "the file is larger than 4 MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise LibraryError(path, None, f"cannot be read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise LibraryError(path, line, "the file is not UTF-8 text (save it as UTF-8)") from None
