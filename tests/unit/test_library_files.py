"""Library files are hostile until validated: every defect is named with file, line and
reason, and a failed reload keeps the library already in force."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.detection.active import ActiveLibrary
from app.detection.library import LibraryError, load_library

HEADER = "id,pattern,kind,severity,language,match,exceptions,note\n"
GOOD = HEADER + "b-1,loser,word,2,en,whole,,Name-calling.\n"


def _library(folder: Path, files: dict[str, bytes | str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "VERSION").write_text("2026.11.0\n")
    for name, body in files.items():
        path = folder / name
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("name", "body", "line", "reason"), [
    ("bullying.csv", GOOD + "b-2,(unclosed,regex,3,en,whole,,x\n", 3, "regular expression"),
    ("kittens.csv", GOOD, None, "unknown category"),
    ("bullying.csv", GOOD + "b-2,idiot,word,9,en,whole,,x\n", 3, "severity"),
    ("bullying.csv", GOOD + "b-1,idiot,word,2,en,whole,,x\n", 3, "used twice"),
    ("bullying.csv", HEADER.encode() + "b-2,caf\xe9,word,2,en,whole,,x\n".encode("latin-1"),
     2, "not UTF-8"),
    ("bullying.csv", "id,pattern\nb-1,x\n", 1, "header"),
    ("bullying.csv", GOOD + "b-2,idiot,word,2,en\n", 3, "expected 8 fields"),
    ("bullying.csv", GOOD + "b-2,idiot,sentence,2,en,whole,,x\n", 3, "kind"),
    ("bullying.csv", GOOD + "b-2,idiot,word,2,en,partial,,x\n", 3, "whole or embedded"),
])
def test_malformed_file_is_refused_with_file_line_and_reason(
        tmp_path: Path, name: str, body: bytes | str, line: int | None, reason: str) -> None:
    folder = _library(tmp_path / "lib", {name: body})
    with pytest.raises(LibraryError) as refused:
        load_library(folder)
    assert refused.value.line == line
    assert Path(refused.value.path).name == name
    assert reason in str(refused.value)
    assert name in str(refused.value)


def test_the_same_id_in_two_files_is_refused(tmp_path: Path) -> None:
    folder = _library(tmp_path / "lib", {
        "bullying.csv": GOOD,
        "violence.csv": HEADER + "b-1,stab,word,4,en,whole,,x\n"})
    with pytest.raises(LibraryError, match="used twice"):
        load_library(folder)


def test_failed_reload_keeps_the_library_in_force(tmp_path: Path) -> None:
    good = _library(tmp_path / "good", {"bullying.csv": GOOD})
    active = ActiveLibrary.load(good)
    assert [m.phrase_id for m in active.matcher.find("what a loser")] == ["b-1"]
    bad = _library(tmp_path / "bad", {"bullying.csv": GOOD + "b-2,x,word,9,en,whole,,x\n"})
    error = active.reload(bad)
    assert error is not None and "severity" in str(error)
    assert active.version == "2026.11.0"
    assert [m.phrase_id for m in active.matcher.find("what a loser")] == ["b-1"]


def test_a_single_category_file_can_be_tested_on_its_own(tmp_path: Path) -> None:
    path = tmp_path / "bullying.csv"
    path.write_text(GOOD, encoding="utf-8")
    library = load_library(path)
    assert [e.id for e in library.entries] == ["b-1"] and library.version.startswith("file:")
