"""The DSL changes the phrase library: add, turn off/on, add an exception, import and export CSV.

Each change is DSL-only, audited, bumps the version every incident records, and takes effect in
what fires at once. A refused change (bad regex, duplicate, bad CSV line) changes nothing.
Real installs on disk (SQLCipher); the shipped library underneath.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.detection.library import EXCHANGE_HEADER, load_library
from app.domain.enums import Role
from app.errors import PermissionDeniedError, ValidationError
from app.services import audit_log, library, users
from app.services.library import PhraseDraft
from tests.conftest import DSL_PASSWORD

SHIPPED = (library.LIBRARY_FOLDER / "VERSION").read_text().strip()


@pytest.fixture
def dsl(install):  # type: ignore[no-untyped-def]
    return users.login(install, "dsl", DSL_PASSWORD)


def _fires(install, dsl, text: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {m.phrase_id for m in library.try_sentence(install, dsl, text)}


def _last_event(install, dsl):  # type: ignore[no-untyped-def]
    return audit_log.recent_events(install, dsl, 1)[0]


def test_an_added_phrase_fires_is_audited_and_bumps_the_version(install, dsl) -> None:  # type: ignore[no-untyped-def]
    sentence = "meet me behind the sports hall bins after school"
    assert _fires(install, dsl, sentence) == set()
    assert library.library_version(install, dsl) == SHIPPED
    added = library.add_phrase(install, dsl, PhraseDraft(
        "violence", "behind the sports hall bins", severity=4, note="Known fight spot."))
    assert (added.id, added.origin, added.kind, added.enabled) == (
        "school-0001", "school", "phrase", True)
    assert _fires(install, dsl, sentence) == {"school-0001"}
    assert library.library_version(install, dsl) == f"{SHIPPED}-s1"
    event = _last_event(install, dsl)
    assert (event.actor, event.action, event.target) == ("dsl", "library.phrase.add",
                                                         "phrase:school-0001")
    assert json.loads(event.details)["version"] == f"{SHIPPED}-s1"
    second = library.add_phrase(install, dsl, PhraseDraft("drugs", "zoot in the park"))
    assert second.id == "school-0002"
    assert library.library_version(install, dsl) == f"{SHIPPED}-s2"


@pytest.mark.parametrize(("draft", "says"), [
    (PhraseDraft("violence", "(unclosed", kind="regex"), "regular expression"),
    (PhraseDraft("violence", "ab"), "one or two letters"),
    (PhraseDraft("violence", "   "), "Pattern must be 1-200"),
    (PhraseDraft("nonsense", "knife crime"), "Choose a category"),
    (PhraseDraft("violence", "x" * 201), "Pattern must be 1-200"),
])
def test_an_invalid_phrase_is_refused_with_a_reason_and_nothing_changes(
        install, dsl, draft: PhraseDraft, says: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=says):
        library.add_phrase(install, dsl, draft)
    assert library.library_version(install, dsl) == SHIPPED
    assert not [p for p in library.list_phrases(install, dsl) if p.origin == "school"]


def test_a_phrase_already_in_the_category_is_refused(install, dsl) -> None:  # type: ignore[no-untyped-def]
    shipped = next(p for p in library.list_phrases(install, dsl, "suicide")
                   if p.kind == "phrase")
    with pytest.raises(ValidationError, match="already in this category"):
        library.add_phrase(install, dsl, PhraseDraft("suicide", shipped.pattern.upper()))


def test_turning_an_entry_off_stops_it_firing_until_it_is_turned_on(install, dsl) -> None:  # type: ignore[no-untyped-def]
    sentence = "i want to kill myself"
    (entry_id, *_) = sorted(_fires(install, dsl, sentence))
    off = library.set_enabled(install, dsl, entry_id, False, "testing the off switch")
    assert (off.enabled, off.origin) == (False, "changed")
    assert entry_id not in _fires(install, dsl, sentence)
    listed = {p.id: p for p in library.list_phrases(install, dsl)}
    assert listed[entry_id].enabled is False  # still listed, so it can be turned back on
    event = _last_event(install, dsl)
    assert event.action == "library.phrase.disable"
    assert json.loads(event.details)["reason"] == "testing the off switch"
    with pytest.raises(ValidationError, match="already off"):
        library.set_enabled(install, dsl, entry_id, False)
    on = library.set_enabled(install, dsl, entry_id, True)
    assert (on.enabled, on.origin) == (True, "shipped")  # nothing of the school's is left
    assert entry_id in _fires(install, dsl, sentence)
    assert library.library_version(install, dsl) == f"{SHIPPED}-s2"


def test_an_exception_suppresses_the_entry_only_where_it_appears(install, dsl) -> None:  # type: ignore[no-untyped-def]
    added = library.add_phrase(install, dsl, PhraseDraft("drugs", "green bean dealer"))
    changed = library.add_exception(install, dsl, added.id, "Green Bean Dealer café")
    assert changed.exceptions == ("Green Bean Dealer café",)
    assert added.id in _fires(install, dsl, "who is the green bean dealer round here")
    assert added.id not in _fires(install, dsl, "lunch at the green bean dealer café")
    with pytest.raises(ValidationError, match="already an exception"):
        library.add_exception(install, dsl, added.id, "green bean dealer CAFE")
    with pytest.raises(ValidationError, match="one exception at a time"):
        library.add_exception(install, dsl, added.id, "a; b")
    assert _last_event(install, dsl).action == "library.phrase.exception"


def test_only_the_dsl_may_change_the_library(install, dsl) -> None:  # type: ignore[no-untyped-def]
    users.create_user(install, dsl, "deputy", "Dee Puty", Role.DEPUTY, "deputy password 1")
    deputy = users.login(install, "deputy", "deputy password 1")
    entry = library.list_phrases(install, deputy)[0]
    for change in (lambda: library.add_phrase(install, deputy, PhraseDraft("drugs", "zoot")),
                   lambda: library.set_enabled(install, deputy, entry.id, False),
                   lambda: library.add_exception(install, deputy, entry.id, "word"),
                   lambda: library.preview_import(install, deputy, Path("x.csv"))):
        with pytest.raises(PermissionDeniedError):
            change()
    assert library.library_version(install, deputy) == SHIPPED


def test_export_then_import_round_trips_and_changes_nothing(install, dsl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    library.add_phrase(install, dsl, PhraseDraft("bullying", "=cmd|' /C calc'!A0"))
    out = tmp_path / "library.csv"
    count = library.export_csv(install, dsl, out)
    assert count == len(library.list_phrases(install, dsl))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == EXCHANGE_HEADER and len(rows) == count + 1
    assert not any(cell.startswith(("=", "+", "@")) for row in rows[1:] for cell in row)
    plan = library.preview_import(install, dsl, out)
    assert (plan.added, plan.changed, plan.unchanged) == (0, 0, count)
    with pytest.raises(ValidationError, match="Nothing to import"):
        library.import_csv(install, dsl, out, plan)


def _export_and_edit(install, dsl, tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / "library.csv"
    library.export_csv(install, dsl, out)
    rows = list(csv.reader(out.read_text("utf-8-sig").splitlines()))
    edit(rows)
    with out.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return out


def test_an_import_adds_changes_and_turns_off_in_one_audited_step(install, dsl,
                                                                  tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sentence = "i want to kill myself"
    (fired, *_) = sorted(_fires(install, dsl, sentence))

    def edit(rows: list[list[str]]) -> None:
        header = rows[0]
        for row in rows[1:]:
            if row[header.index("id")] == fired:
                row[header.index("enabled")] = "no"
        rows.append(["gambling", "my-bookie", "loan for the bookie", "phrase", "4", "en",
                     "whole", "", "Borrowing to gamble.", "yes"])

    path = _export_and_edit(install, dsl, tmp_path, edit)
    plan = library.preview_import(install, dsl, path)
    assert (plan.added, plan.changed) == (1, 1)
    assert library.library_version(install, dsl) == SHIPPED  # a preview writes nothing
    library.import_csv(install, dsl, path, plan)
    assert fired not in _fires(install, dsl, sentence)
    assert _fires(install, dsl, "need a loan for the bookie") == {"my-bookie"}
    assert library.library_version(install, dsl) == f"{SHIPPED}-s1"
    event = _last_event(install, dsl)
    details = json.loads(event.details)
    assert (event.action, details["added"], details["changed"]) == ("library.import", 1, 1)
    assert len(details["sha256"]) == 64


def test_an_import_with_a_bad_line_names_it_and_changes_nothing(install, dsl,
                                                                tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def edit(rows: list[list[str]]) -> None:
        rows.append(["violence", "new-one", "stabbed", "word", "9", "en", "whole", "", "",
                     "yes"])

    path = _export_and_edit(install, dsl, tmp_path, edit)
    line = len(path.read_text("utf-8").splitlines())
    with pytest.raises(ValidationError, match=rf"library.csv, line {line}: severity '9'"):
        library.preview_import(install, dsl, path)
    assert library.library_version(install, dsl) == SHIPPED


def test_an_import_cannot_change_what_a_shipped_entry_is(install, dsl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def edit(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("pattern")] = "something else entirely"

    path = _export_and_edit(install, dsl, tmp_path, edit)
    with pytest.raises(ValidationError, match=r"line 2: .* is a shipped entry; its pattern "
                                              r"cannot change"):
        library.preview_import(install, dsl, path)


def test_an_import_that_changed_after_its_preview_is_refused(install, dsl,
                                                             tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def edit(rows: list[list[str]]) -> None:
        rows.append(["drugs", "lean-cup", "double cup lean", "phrase", "3", "en", "whole", "",
                     "", "yes"])

    path = _export_and_edit(install, dsl, tmp_path, edit)
    plan = library.preview_import(install, dsl, path)
    path.write_text(path.read_text("utf-8").replace("double cup lean", "purple drank"),
                    "utf-8")
    with pytest.raises(ValidationError, match="changed since the preview"):
        library.import_csv(install, dsl, path, plan)
    assert library.library_version(install, dsl) == SHIPPED


@pytest.mark.parametrize("content", [b"\xff\xfe not utf-8 at all", b"", b"id,pattern\n"])
def test_an_unreadable_import_is_refused_with_a_sentence(install, dsl, tmp_path: Path,
                                                         content: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "phrases.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match=r"Not imported: phrases\.csv"):
        library.preview_import(install, dsl, path)


def test_an_exported_list_is_a_library_the_cli_can_test(install, dsl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    library.add_phrase(install, dsl, PhraseDraft("drugs", "zoot in the park"))
    entry = library.list_phrases(install, dsl, "suicide")[0]
    library.set_enabled(install, dsl, entry.id, False)
    out = tmp_path / "ours.csv"
    library.export_csv(install, dsl, out)
    tested = load_library(out)
    ids = {e.id for e in tested.entries}
    assert "school-0001" in ids and entry.id not in ids  # entries that are off stay off


def test_export_to_a_folder_that_does_not_exist_says_so(install, dsl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="Cannot write"):
        library.export_csv(install, dsl, tmp_path / "missing" / "x.csv")
    assert list(tmp_path.iterdir()) == [tmp_path / "school"]
