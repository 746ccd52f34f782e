"""The DSL edits the phrase library from the keyboard: Insert adds, D turns off/on, X adds an
exception; Import CSV previews before it changes anything; Export CSV writes the file.

Real widgets (offscreen), a real demo install of this module's own (edits change its library).
"""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt

from app.detection.school_layer import ImportPlan
from app.services import library
from app.ui.library_model import COL_EXCEPTIONS, COL_ON, COL_SOURCE
from app.ui.library_view import LibraryView
from app.ui.phrase_dialogs import AddPhraseDialog, ExceptionDialog, TurnOffDialog
from tests.ui.library_screen import LOAD_TIMEOUT as TIMEOUT
from tests.ui.library_screen import show_library


def _view(qtbot, bridge, demo_install, session) -> LibraryView:
    view = show_library(qtbot, bridge, demo_install, session, size=(1300, 800))
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=2_000)
    view.focus_table()
    return view


def _cell(view: LibraryView, column: int) -> str:
    return view.model.index(view.table.currentIndex().row(), column).data()


def _select(qtbot, view: LibraryView, entry_id: str) -> None:
    row = next(r for r in range(view.model.rowCount()) if view.model.row_at(r).id == entry_id)
    view.table.selectRow(row)
    view.table.setFocus()
    assert view.current_entry().id == entry_id


def _submit(qtbot, view: LibraryView, dialog) -> None:
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_insert_adds_a_phrase_that_is_selected_and_marked_as_the_schools(
        qtbot, bridge, demo_install, dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        view.categories.select("violence")
    view.focus_table()
    qtbot.keyClick(view.table, Qt.Key.Key_Insert)
    dialog = view.actions.dialog
    assert isinstance(dialog, AddPhraseDialog) and dialog.isVisible()
    assert dialog.category.currentData() == "violence"  # the category being browsed
    qtbot.keyClicks(dialog.pattern, "behind the sports hall bins")
    dialog.severity.setCurrentIndex(dialog.severity.findData(4))
    _submit(qtbot, view, dialog)
    entry = view.current_entry()
    assert (entry.pattern, entry.severity, entry.origin) == (
        "behind the sports hall bins", 4, "school")
    assert _cell(view, COL_SOURCE) == "This school"
    assert view.version.text().endswith("-s1")
    assert view.notice.text() == f"Added 'behind the sports hall bins' ({entry.id})."
    qtbot.waitUntil(view.table.hasFocus, timeout=2_000)  # back on the list for the next key


def test_a_refused_phrase_keeps_the_dialog_open_with_the_reason(qtbot, bridge, demo_install,
                                                               dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    view.actions.add_phrase()
    dialog = view.actions.dialog
    dialog.kind.setCurrentIndex(dialog.kind.findData("regex"))
    qtbot.keyClicks(dialog.pattern, "(unclosed")
    with qtbot.waitSignal(dialog.sig_failed, timeout=TIMEOUT) as failed:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "not a valid regular expression" in failed.args[0]
    assert dialog.isVisible() and dialog.pattern.text() == "(unclosed"
    assert "Traceback" not in dialog.error.text()
    dialog.reject()


def test_d_turns_an_entry_off_with_a_reason_and_d_again_turns_it_on(qtbot, bridge,
                                                                    demo_install, dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    target = next(view.model.row_at(r) for r in range(view.model.rowCount())
                  if view.model.row_at(r).enabled)
    _select(qtbot, view, target.id)
    qtbot.keyClick(view.table, Qt.Key.Key_D)
    dialog = view.actions.dialog
    assert isinstance(dialog, TurnOffDialog)
    qtbot.keyClicks(dialog.reason, "fires on a set text")
    _submit(qtbot, view, dialog)
    assert view.current_entry().id == target.id and not view.current_entry().enabled
    assert _cell(view, COL_ON) == "Off"
    assert view.actions.toggle_button.text() == "Turn on"
    tried = library.try_sentence(demo_install.console, dsl_session, target.pattern)
    assert target.id not in {m.phrase_id for m in tried}
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        qtbot.keyClick(view.table, Qt.Key.Key_D)  # on again: no dialog needed
    assert view.current_entry().enabled and _cell(view, COL_ON) == "On"


def test_x_adds_an_exception_shown_in_the_list(qtbot, bridge, demo_install, dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    target = view.model.row_at(0)
    _select(qtbot, view, target.id)
    qtbot.keyClick(view.table, Qt.Key.Key_X)
    dialog = view.actions.dialog
    assert isinstance(dialog, ExceptionDialog)
    qtbot.keyClicks(dialog.exception, "Penistone Road")
    _submit(qtbot, view, dialog)
    assert "Penistone Road" in _cell(view, COL_EXCEPTIONS)
    assert view.current_entry().origin in {"changed", "school"}


def test_import_previews_then_adds_and_export_writes_every_entry(qtbot, bridge, demo_install,
                                                                 dsl_session, tmp_path: Path):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    out = tmp_path / "exported.csv"
    view.actions.choose_export_path = lambda suggested: str(out)
    with qtbot.waitSignal(view.actions.sig_notice, timeout=TIMEOUT) as exported:
        qtbot.mouseClick(view.actions.export_button, Qt.MouseButton.LeftButton)
    rows = list(csv.reader(out.read_text("utf-8-sig").splitlines()))
    assert len(rows) - 1 == view.model.rowCount()
    assert exported.args[0] == f"Exported {view.model.rowCount()} entries to exported.csv."
    rows.append(["gambling", "our-bookie", "loan for the bookie", "phrase", "4", "en", "whole",
                 "", "Borrowing to gamble.", "yes"])
    with out.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    previews: list[ImportPlan] = []
    view.actions.choose_import_path = lambda: str(out)
    view.actions.confirm_import = lambda path, plan: previews.append(plan) or True
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(view.actions.import_button, Qt.MouseButton.LeftButton)
    (plan,) = previews
    assert (plan.added, plan.changed) == (1, 0)
    assert view.notice.text() == (f"Imported exported.csv: 1 new, 0 changed, "
                                  f"{plan.unchanged} unchanged.")
    assert "our-bookie" in {view.model.row_at(r).id for r in range(view.model.rowCount())}


def test_a_declined_or_broken_import_changes_nothing_and_says_why(
        qtbot, bridge, demo_install, dsl_session, tmp_path: Path):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    before = library.library_version(demo_install.console, dsl_session)
    broken = tmp_path / "broken.csv"
    broken.write_text("category,id,pattern,kind,severity,language,match,exceptions,note,"
                      "enabled\nviolence,new-one,knife fight,phrase,9,en,whole,,,yes\n", "utf-8")
    view.actions.choose_import_path = lambda: str(broken)
    with qtbot.waitSignal(view.actions.sig_failed, timeout=TIMEOUT):
        view.actions.import_csv()
    assert view.message.text().startswith("Not imported: broken.csv, line 2: severity '9'")
    fine = tmp_path / "fine.csv"
    fine.write_text(broken.read_text("utf-8").replace(",9,", ",4,"), "utf-8")
    asked: list[str] = []
    view.actions.choose_import_path = lambda: str(fine)
    view.actions.confirm_import = lambda path, plan: asked.append(path) and False
    view.actions.import_csv()
    qtbot.waitUntil(lambda: asked == [str(fine)], timeout=TIMEOUT)
    qtbot.waitUntil(lambda: bridge.pending == 0, timeout=TIMEOUT)
    assert library.library_version(demo_install.console, dsl_session) == before
