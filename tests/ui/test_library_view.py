"""The Library screen against the shipped phrase library: browse, search, try a sentence."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QAbstractItemModelTester

from app.errors import KestrelError
from app.services import library
from app.ui.bridge import UNEXPECTED
from app.ui.library_model import COL_CATEGORY, PhraseTableModel
from app.ui.library_view import LibraryView
from app.ui.main_window import MainWindow
from app.ui.try_sentence import SentenceTrial, highlight_colour, utf16_offset
from tests.ui.library_screen import LOAD_TIMEOUT, show_library


def _view(qtbot, bridge, demo_install, session) -> LibraryView:
    return show_library(qtbot, bridge, demo_install, session)


def _rows(view: LibraryView) -> list:
    return [view.model.row_at(r) for r in range(view.model.rowCount())]


def _highlighted(trial: SentenceTrial) -> set[int]:
    """Document positions whose character carries a background colour."""
    document = trial.sentence.document()
    cursor = QTextCursor(document)
    marked = set()
    for position in range(document.characterCount() - 1):
        cursor.setPosition(position + 1)  # the format of the character before the cursor
        if cursor.charFormat().background().style() != Qt.BrushStyle.NoBrush:
            marked.add(position)
    return marked


def _try(qtbot, trial: SentenceTrial, text: str, typed: bool = True) -> list:
    with qtbot.waitSignal(trial.sig_tried, timeout=LOAD_TIMEOUT) as blocker:
        if typed:
            qtbot.keyClicks(trial.input, text)
        else:  # QTest cannot type characters outside the BMP (emoji)
            trial.input.setText(text)
    return blocker.args[0]


def test_view_lists_every_entry_and_the_suicide_category_shows_only_suicide(
        qtbot, bridge, demo_install, dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    everything = _rows(view)
    assert len(everything) == len(library.list_phrases(demo_install.console, dsl_session)) > 500
    assert {row.category for row in everything} > {"suicide", "bullying"}
    version = library.library_version(demo_install.console, dsl_session)
    assert view.version.text() == f"Library {version}"
    assert not view.table.isColumnHidden(COL_CATEGORY)
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_TIMEOUT):
        view.categories.select("suicide")
    suicide = _rows(view)
    assert suicide and {row.category for row in suicide} == {"suicide"}
    assert len(suicide) < len(everything)
    assert view.table.isColumnHidden(COL_CATEGORY)  # every row would say the same


def test_category_list_shows_each_category_with_its_entry_count(qtbot, bridge, demo_install,
                                                                dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    counts = [view.categories.item(r).data(Qt.ItemDataRole.UserRole + 2)
              for r in range(view.categories.count())]
    assert view.categories.item(0).text() == "All categories"
    assert counts[0] == view.model.rowCount() == sum(counts[1:])
    suicide_row = next(r for r in range(view.categories.count())
                       if view.categories.item(r).text() == "Suicide")
    suicide = library.list_phrases(demo_install.console, dsl_session, "suicide")
    assert counts[suicide_row] == len(suicide)


def test_searching_narrows_the_list_after_the_typing_pauses(qtbot, bridge, demo_install,
                                                            dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    before = view.model.rowCount()
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_TIMEOUT):
        qtbot.keyClicks(view.search, "myself")
    rows = _rows(view)
    assert 0 < len(rows) < before
    assert all("myself" in " ".join((r.pattern, r.note, *r.exceptions)).lower() for r in rows)
    assert "matching 'myself'" in view.summary.text()
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_TIMEOUT):
        qtbot.keyClicks(view.search, "zzqx")
    assert view.model.rowCount() == 0
    assert view.summary.text() == "No entries match 'myselfzzqx'."


def test_trying_a_sentence_highlights_exactly_the_words_that_fire(qtbot, bridge, demo_install,
                                                                  dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    sentence = "i want to kill myself"
    matches = _try(qtbot, view.trial, sentence)
    assert any(m.category_name == "Suicide" for m in matches)
    start = sentence.index("kill myself")
    assert _highlighted(view.trial) == set(range(start, start + len("kill myself")))
    cursor = QTextCursor(view.trial.sentence.document())
    cursor.setPosition(start + 1)
    assert cursor.charFormat().background().color() == highlight_colour(4)
    lines = [view.trial.fires.item(r).text() for r in range(view.trial.fires.count())]
    assert any(line.startswith("fires: Suicide · severity 4 · 'kill myself' — ")
               for line in lines)


def test_a_harmless_sentence_says_nothing_would_fire(qtbot, bridge, demo_install, dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    assert _try(qtbot, view.trial, "see you at netball practice") == []
    assert _highlighted(view.trial) == set()
    assert view.trial.fires.item(0).text() == "Nothing would fire."


def test_highlights_land_on_the_right_characters_after_an_emoji(qtbot, bridge, demo_install,
                                                               dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    sentence = "😢😢 honestly i want to kill myself"
    _try(qtbot, view.trial, sentence, typed=False)
    start = utf16_offset(sentence, sentence.index("kill myself"))
    assert _highlighted(view.trial) == set(range(start, start + len("kill myself")))


def test_user_text_is_shown_as_text_not_markup(qtbot, bridge, demo_install, dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    sentence = "<b>i want to kill myself</b> &amp;"
    _try(qtbot, view.trial, sentence)
    assert view.trial.sentence.toPlainText() == sentence


def test_only_the_answer_for_the_latest_sentence_is_shown(qtbot, bridge, demo_install,
                                                          dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    trial = view.trial
    trial.input.setText("i want to kill myself")
    trial.try_now()
    stale = trial._request
    with qtbot.waitSignal(trial.sig_tried, timeout=LOAD_TIMEOUT) as blocker:
        trial.input.setText("lovely weather")
        trial.try_now()
    assert trial._request is None and stale is not None
    assert blocker.args[0] == []
    assert trial.sentence.toPlainText() == "lovely weather"
    qtbot.waitUntil(lambda: bridge.pending == 0, timeout=LOAD_TIMEOUT)
    assert trial.sentence.toPlainText() == "lovely weather"


def test_a_service_error_is_shown_as_a_sentence_not_a_traceback(qtbot, bridge, demo_install,
                                                                dsl_session, monkeypatch):
    view = _view(qtbot, bridge, demo_install, dsl_session)

    def refuse(console, session, text):
        raise KestrelError("The phrase library could not be read.")

    monkeypatch.setattr(library, "try_sentence", refuse)
    with qtbot.waitSignal(bridge.sig_error, timeout=LOAD_TIMEOUT):
        qtbot.keyClicks(view.trial.input, "hello")
    assert view.trial.error.text() == "The phrase library could not be read."
    assert view.trial.fires.count() == 0


def test_an_unexpected_error_shows_the_calm_sentence(qtbot, bridge, demo_install, dsl_session,
                                                     monkeypatch):
    view = _view(qtbot, bridge, demo_install, dsl_session)

    def explode(console, session, category, search):
        raise RuntimeError("Traceback: something deep went wrong")

    monkeypatch.setattr(library, "list_phrases", explode)
    with qtbot.waitSignal(bridge.sig_error, timeout=LOAD_TIMEOUT):
        view.categories.select("suicide")
    assert view.message.text() == UNEXPECTED
    assert "Traceback" not in view.message.text()


def test_slash_focuses_search_but_types_in_the_sentence_box(qtbot, bridge, demo_install,
                                                            dsl_session):
    view = _view(qtbot, bridge, demo_install, dsl_session)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=2_000)
    view.focus_table()
    qtbot.keyClick(view.table, Qt.Key.Key_Slash)
    assert view.search.hasFocus()
    qtbot.keyClick(view.search, Qt.Key.Key_Escape)
    assert view.table.hasFocus()
    view.trial.input.setFocus()
    qtbot.keyClicks(view.trial.input, "and/or")
    assert view.trial.input.text() == "and/or"
    assert view.search.text() == ""


def test_a_deputy_sees_export_but_no_editing(qtbot, bridge, demo_install):
    view = _view(qtbot, bridge, demo_install, demo_install.sign_in("deputy"))
    assert not view.can_edit
    assert view.actions.export_button.isVisibleTo(view)
    assert not any(b.isVisibleTo(view) for b in (view.actions.add_button,
                                                 view.actions.toggle_button,
                                                 view.actions.exception_button,
                                                 view.actions.import_button))
    view.focus_table()
    qtbot.keyClick(view.table, Qt.Key.Key_D)  # no shortcut for a deputy: nothing happens
    assert view.actions.dialog is None


def test_phrase_model_passes_qabstractitemmodeltester(qtbot, bridge, demo_install,
                                                      dsl_session):
    model = PhraseTableModel()
    tester = QAbstractItemModelTester(
        model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.set_rows(library.list_phrases(demo_install.console, dsl_session))
    model.set_rows(library.list_phrases(demo_install.console, dsl_session, "suicide"))
    model.set_rows([])
    assert tester is not None


def _window(qtbot, bridge, demo_install, username) -> MainWindow:
    window = MainWindow(demo_install.console, demo_install.sign_in(username), bridge)
    qtbot.addWidget(window)
    return window


def test_headteacher_has_no_library_and_a_deputy_does(qtbot, bridge, demo_install):
    assert "Library" not in _window(qtbot, bridge, demo_install, "head").nav_labels()
    deputy = _window(qtbot, bridge, demo_install, "deputy")
    assert "Library" in deputy.nav_labels()
    assert isinstance(deputy.views["library"], LibraryView)


def test_slash_reaches_the_search_straight_from_the_navigation(qtbot, bridge, demo_install):
    window = _window(qtbot, bridge, demo_install, "deputy")
    window.resize(1400, 850)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    view = window.views["library"]
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_TIMEOUT):
        window.show_screen("library")
    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_Slash)
    assert view.search.hasFocus()
