"""The Library screen: browse the phrase library and try a sentence against it (read-only).

Left, the categories with their entry counts; top, a search box (300 ms of quiet before it asks;
'/' jumps to it) and the library version; centre, the entries; bottom, "Try a sentence", which
shows what would fire on a sentence, with each matched span highlighted (250 ms of quiet).
Editing and CSV import/export come later (issue 3), so the screen says so in one quiet line.

Filtering and searching happen in the service (`app.services.library`); each answer carries the
id of the request that asked for it, and a view that has since asked again ignores it.

Threading: GUI thread only; every service call goes through `ServiceBridge` (DB executor).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import CATEGORIES
from app.services import library
from app.services.console import Console
from app.services.library import PhraseView, TriedMatch
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.look import SEVERITY_COLOURS, severity_dot, severity_text

SEARCH_DEBOUNCE_MS = 300
TRY_DEBOUNCE_MS = 250
TRY_BOX_HEIGHT = 84  # about four lines: the table keeps most of the screen
MAX_SENTENCE = 10_000  # the service reads no further
LATER_LINE = "Read-only for now: editing and CSV import/export arrive in a later release."
KEY_HINT = "/ search   ·   Esc back to the list   ·   Tab next pane"
PHRASE_COLUMNS = ("Pattern", "Category", "Severity", "Kind", "Match", "Exceptions",
                  "Why it matters")
COL_PATTERN, COL_CATEGORY, COL_SEVERITY, COL_KIND, COL_MATCH, COL_EXCEPTIONS, COL_NOTE = range(7)
_WIDTHS = (190, 140, 96, 58, 96, 130, 0)
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
COUNT_ROLE = Qt.ItemDataRole.UserRole + 2
_MUTED = QColor("#7b8794")
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class LibraryPage:
    """What one browse request found: the entries, and per-category counts for the search."""

    rows: list[PhraseView]
    counts: Counter[str]


def browse(session: UserSession, category: str | None, search: str) -> LibraryPage:
    """Runs on the DB executor: the entries to list and how many match in each category."""
    rows = library.list_phrases(session, category, search)
    everywhere = rows if category is None else library.list_phrases(session, None, search)
    return LibraryPage(rows, Counter(view.category for view in everywhere))


class PhraseTableModel(QAbstractTableModel):
    """A fixed list of library entries, in the order the service returned them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[PhraseView] = []
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    def set_rows(self, rows: Sequence[PhraseView]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> PhraseView:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt default
        return 0 if parent.isValid() else len(PHRASE_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(PHRASE_COLUMNS)):
            return PHRASE_COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        view, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(view, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(view, column)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_SEVERITY:
            return severity_dot(view.severity)
        if role == Qt.ItemDataRole.FontRole and column == COL_PATTERN and view.kind == "regex":
            return self._mono  # a regular expression reads better in a fixed-width font
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_EXCEPTIONS:
            return None if view.exceptions else _MUTED
        if role == ENTRY_ROLE:
            return view
        return None


def _cell(view: PhraseView, column: int) -> str:
    values = (view.pattern, view.category_name, severity_text(view.severity), view.kind,
              "whole word" if view.whole_word else "inside words",
              ", ".join(view.exceptions) or "—", view.note)
    return values[column]


def _tooltip(view: PhraseView, column: int) -> str:
    if column == COL_PATTERN:
        return f"{view.pattern}\n{view.id} · {view.kind}"
    if column == COL_MATCH:
        return ("Fires only on the whole word or phrase." if view.whole_word
                else "Fires even inside longer words.")
    return _cell(view, column)


class CategoryDelegate(QStyledItemDelegate):
    """Draws a category's name, elided if need be, and its entry count right-aligned after it.

    The size hint asks for no width, so each row is as wide as the list (never scrolls
    sideways); the full name is in the tooltip."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        count = index.data(COUNT_ROLE)
        count_text = "" if count is None else str(count)
        metrics = opt.fontMetrics
        room = (opt.rect.width() - opt.decorationSize.width() - 24
                - metrics.horizontalAdvance(count_text) - 16)
        opt.text = metrics.elidedText(opt.text, Qt.TextElideMode.ElideRight, max(room, 0))
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        if count_text:
            painter.save()
            painter.setPen(_MUTED)
            area = QRect(opt.rect).adjusted(0, 0, -10, 0)
            painter.drawText(area, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             count_text)
            painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(1, max(super().sizeHint(option, index).height(), 28))


class CategoryList(QListWidget):
    """'All categories' and each category, with a coloured dot and a count; says which key
    (None for all) is chosen through `sig_category_changed`."""

    sig_category_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CategoryList")
        self.setItemDelegate(CategoryDelegate(self))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._add("All categories", None, QIcon(_dot("#9aa5b1", hollow=True)))
        for category in CATEGORIES:
            self._add(category.name, category.key, QIcon(_dot(category.colour)))
        self.setCurrentRow(0)
        self.currentRowChanged.connect(lambda _row: self.sig_category_changed.emit(self.key()))

    def _add(self, name: str, key: str | None, icon: QIcon) -> None:
        item = QListWidgetItem(icon, name, self)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setToolTip(name)

    def key(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def select(self, key: str | None) -> None:
        for row in range(self.count()):
            if self.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.setCurrentRow(row)
                return

    def set_counts(self, counts: Counter[str]) -> None:
        for row in range(self.count()):
            item = self.item(row)
            key = item.data(Qt.ItemDataRole.UserRole)
            item.setData(COUNT_ROLE, counts.total() if key is None else counts.get(key, 0))


def _dot(colour: str, hollow: bool = False) -> QPixmap:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if hollow:  # "All categories": an outline, not a colour of its own
        painter.setPen(QColor(colour))
        painter.drawEllipse(2, 2, 8, 8)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return pixmap


def highlight_colour(severity: int) -> QColor:
    """A soft tint of the severity colour, light enough to read dark text on."""
    base = QColor(SEVERITY_COLOURS.get(severity, "#8a9bb0"))
    mix = 0.32
    return QColor(*(round(255 + (channel - 255) * mix)
                    for channel in (base.red(), base.green(), base.blue())))


def utf16_offset(text: str, index: int) -> int:
    """Python counts code points; QTextDocument counts UTF-16 units (emoji take two)."""
    return len(text[:index].encode("utf-16-le")) // 2


def fires_line(match: TriedMatch) -> str:
    phrase = match.phrase if len(match.phrase) <= 60 else match.phrase[:59] + "…"
    seen = "" if match.text.casefold() == match.phrase.casefold() else f" (as '{match.text}')"
    return (f"fires: {match.category_name} · severity {match.severity} · '{phrase}'{seen}"
            f" — {match.note}")


class SentenceTrial(QFrame):
    """"Try a sentence": asks `try_sentence` 250 ms after the typing stops and shows the
    sentence with each matched span highlighted, plus one line per match.
    `sig_tried(matches)` fires when an answer for the current text is shown."""

    sig_tried = Signal(object)

    def __init__(self, bridge: ServiceBridge, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TryPanel")
        self._bridge, self._session = bridge, session
        self._request: int | None = None
        self.input = QLineEdit()
        self.input.setMaxLength(MAX_SENTENCE)
        self.input.setClearButtonEnabled(True)
        self.input.setPlaceholderText("Type or paste a sentence to see what would fire, and why")
        self.sentence = QTextEdit()
        self.sentence.setObjectName("TriedSentence")
        self.sentence.setReadOnly(True)
        self.sentence.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.sentence.setPlaceholderText("Matched words are highlighted here.")
        self.fires = QListWidget()
        self.fires.setObjectName("FiresList")
        self.fires.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.status = QLabel()
        self.status.setObjectName("Muted")
        self.error = QLabel()
        self.error.setObjectName("ErrorLine")
        self._debounce = _single_shot(self, TRY_DEBOUNCE_MS, self.try_now)
        self.input.textChanged.connect(self._debounce.start)
        self.input.returnPressed.connect(self.try_now)
        self._lay_out()
        self._show_empty()

    def _lay_out(self) -> None:
        title = QLabel("Try a sentence")
        title.setObjectName("PanelTitle")
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addSpacing(10)
        heading.addWidget(self.status)
        heading.addWidget(self.error, 1)
        for box in (self.sentence, self.fires):
            box.setFixedHeight(TRY_BOX_HEIGHT)
        results = QHBoxLayout()
        results.setSpacing(10)
        results.addWidget(self.sentence, 2)
        results.addWidget(self.fires, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(heading)
        layout.addWidget(self.input)
        layout.addLayout(results)

    def try_now(self) -> None:
        """Ask at once (Enter, or when the typing pauses); an older question is dropped."""
        self._debounce.stop()
        if self._request is not None:
            self._bridge.forget(self._request)
            self._request = None
        text = self.input.text()[:MAX_SENTENCE]
        if not text.strip():
            self._show_empty()
            return
        # The callbacks read `request` when the answer arrives (queued, so always after the
        # assignment): an answer that is no longer the latest question is ignored.
        self._request = request = self._bridge.call(
            library.try_sentence, self._session, text,
            on_result=lambda matches: self._answered(request, text, matches),
            on_error=lambda exc: self._failed(request, exc))

    def _answered(self, request: int, text: str, matches: list[TriedMatch]) -> None:
        if request != self._request:
            return  # a newer sentence was asked about since
        self._request = None
        self.error.clear()
        self._show_sentence(text, matches)
        self._show_fires(matches)
        count = len(matches)
        self.status.setText(f"{count} match{'es' if count != 1 else ''}" if count else "")
        self.sig_tried.emit(matches)

    def _failed(self, request: int, exc: BaseException) -> None:
        if request == self._request:
            self._request = None
            self.sentence.clear()
            self.fires.clear()
            self.status.clear()
            self.error.setText(user_message(exc))

    def _show_empty(self) -> None:
        self.sentence.clear()
        self.fires.clear()
        self.status.clear()
        self.error.clear()

    def _show_sentence(self, text: str, matches: Sequence[TriedMatch]) -> None:
        self.sentence.setPlainText(text)
        cursor = QTextCursor(self.sentence.document())
        for match in sorted(matches, key=lambda m: m.severity):  # most severe painted last
            cursor.setPosition(utf16_offset(text, match.start))
            cursor.setPosition(utf16_offset(text, match.end), QTextCursor.MoveMode.KeepAnchor)
            marked = QTextCharFormat()
            marked.setBackground(highlight_colour(match.severity))
            marked.setToolTip(fires_line(match))
            cursor.mergeCharFormat(marked)

    def _show_fires(self, matches: Sequence[TriedMatch]) -> None:
        self.fires.clear()
        if not matches:
            item = QListWidgetItem("Nothing would fire.", self.fires)
            item.setForeground(_MUTED)
        for match in matches:
            item = QListWidgetItem(severity_dot(match.severity), fires_line(match), self.fires)
            item.setToolTip(f"{match.phrase_id}: {match.phrase}")


class LibraryView(QWidget):
    """The phrase library screen. `sig_loaded(count)` fires after each list of entries shows."""

    sig_loaded = Signal(int)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreenPage")
        self._bridge, self._session = bridge, session
        self._request: int | None = None
        self._loaded_once = False
        self.model = PhraseTableModel(self)
        self.categories = CategoryList()
        self.table = QTableView()
        self.search = QLineEdit()
        self.version = QLabel("Library …")
        self.summary = QLabel("Loading…")
        self.message = QLabel()
        self.trial = SentenceTrial(bridge, session)
        self._debounce = _single_shot(self, SEARCH_DEBOUNCE_MS, self.reload)
        self._set_up_widgets()
        self._set_up_table()
        self._lay_out()
        self._connect()

    def _set_up_widgets(self) -> None:
        self.search.setPlaceholderText("Search patterns, notes and exceptions   ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(340)
        self.version.setObjectName("Muted")
        self.summary.setObjectName("Muted")
        self.message.setObjectName("ErrorLine")
        self.message.setWordWrap(True)
        self.categories.setFixedWidth(262)

    def _set_up_table(self) -> None:
        table = self.table
        table.setModel(self.model)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(26)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsClickable(False)  # the service decides the order
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in enumerate(_WIDTHS):
            if width:
                table.setColumnWidth(column, width)
        header.setSectionResizeMode(len(_WIDTHS) - 1, QHeaderView.ResizeMode.Stretch)

    def _lay_out(self) -> None:
        title = QLabel("Phrase library")
        title.setObjectName("ScreenTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.version)
        top.addStretch(1)
        top.addWidget(self.search)
        entries = QVBoxLayout()
        entries.setSpacing(6)
        entries.addWidget(self.table, 1)
        entries.addWidget(self.summary)
        middle = QHBoxLayout()
        middle.setSpacing(12)
        middle.addWidget(self.categories)
        middle.addLayout(entries, 1)
        later, hint = QLabel(LATER_LINE), QLabel(KEY_HINT)
        later.setObjectName("Hint")
        hint.setObjectName("Hint")
        bottom = QHBoxLayout()
        bottom.addWidget(later)
        bottom.addWidget(self.message, 1)
        bottom.addWidget(hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 10)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addWidget(self.trial)
        layout.addLayout(bottom)
        self.setTabOrder(self.search, self.categories)
        self.setTabOrder(self.categories, self.table)
        self.setTabOrder(self.table, self.trial.input)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._search_now)
        self.categories.sig_category_changed.connect(lambda _key: self.reload())
        # Window-wide, so '/' works straight after choosing Library in the navigation; a hidden
        # screen's shortcuts never fire, and text boxes keep '/' as a character.
        QShortcut(QKeySequence(Qt.Key.Key_Slash), self, self.focus_search,
                  context=Qt.ShortcutContext.WindowShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search, self.focus_table,
                  context=Qt.ShortcutContext.WidgetShortcut)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded_once:  # nothing is asked of the service until the screen is used
            self._loaded_once = True
            self._bridge.call(library.library_version, self._session,
                              on_result=lambda v: self.version.setText(f"Library {v}"),
                              on_error=self._failed)
            self.reload()

    def reload(self) -> None:
        """List the entries for the chosen category and search; an older answer is dropped."""
        self._debounce.stop()
        if self._request is not None:
            self._bridge.forget(self._request)
        category, search = self.categories.key(), self.search.text().strip()
        self.summary.setText("Loading…")
        # As in SentenceTrial.try_now: `request` is bound before any answer can arrive.
        self._request = request = self._bridge.call(
            browse, self._session, category, search,
            on_result=lambda page: self._arrived(request, category, search, page),
            on_error=lambda exc: self._failed(exc) if request == self._request else None)

    def _arrived(self, request: int, category: str | None, search: str,
                 page: LibraryPage) -> None:
        if request != self._request:
            return
        self._request = None
        self.message.clear()
        self.model.set_rows(page.rows)
        self.categories.set_counts(page.counts)
        self.table.setColumnHidden(COL_CATEGORY, category is not None)
        self.summary.setText(_summary(len(page.rows), search))
        self.sig_loaded.emit(len(page.rows))

    def _failed(self, exc: BaseException) -> None:
        self._request = None
        self.summary.setText("")
        self.message.setText(user_message(exc))

    def _search_now(self) -> None:
        self.reload()
        self.focus_table()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)


def _summary(count: int, search: str) -> str:
    if count == 0:
        return f"No entries match '{search}'." if search else "No entries in this category."
    noun = "entry" if count == 1 else "entries"
    return f"{count} {noun} matching '{search}'" if search else f"{count} {noun}"


def _single_shot(parent: QWidget, interval_ms: int, slot: Callable[[], None]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer

