"""Triage from the keyboard: what each key does to the selected incidents, and undo.

r Reviewing · f False positive (Shift+F: with a reason) · e Escalate into the pupil's case ·
c Closed · 1–5 regrade · a assign · n note · Ctrl+Z undo the last change. Every act is a
service call through the bridge (`app.services.triage`, `cases.escalate`), audited there; the
rows then show the new value in place, so the list never jumps under the DSL's fingers.

Threading: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from app.domain.cases import CaseDetail
from app.domain.enums import IncidentStatus
from app.services import cases, triage
from app.services.triage import StaffChoice, TriageChange
from app.ui.bridge import user_message

if TYPE_CHECKING:
    from app.ui.incidents_view import IncidentsView

UNDO_DEPTH = 20


class TriageActions(QObject):
    """Runs triage acts for an IncidentsView; `sig_done(TriageChange)` after each commit."""

    sig_done = Signal(object)

    def __init__(self, view: IncidentsView) -> None:
        super().__init__(view)
        self._view = view
        self._undo: list[TriageChange] = []
        self._staff: list[StaffChoice] | None = None

    # --- the acts ---------------------------------------------------------------------------
    def set_status(self, status: IncidentStatus, reason: str | None = None) -> None:
        self._act(triage.set_status, status, reason, moves_on=True)

    def false_positive_with_reason(self) -> None:
        if not self._ids():
            return
        reason, ok = QInputDialog.getText(self._view, "False positive — Kestrel",
                                          "Why is this a false positive? (kept in the audit log)")
        if ok:
            self.set_status(IncidentStatus.FALSE_POSITIVE, reason)

    def escalate(self) -> None:
        """Into the pupil's open case (or a new one); the Cases screen then shows it."""
        ids = self._ids()
        if not ids:
            return
        self._view.bridge.call(cases.escalate, self._view.console, self._view.session, ids,
                               on_result=lambda d: self._escalated(ids, d),
                               on_error=self._failed, owner=self._view)

    def _escalated(self, ids: list[int], detail: CaseDetail) -> None:
        settled = (IncidentStatus.ACTIONED, IncidentStatus.CLOSED)
        for incident_id in ids:
            row = self._view.model.index_of(incident_id)
            if row is not None and self._view.model.row_at(row).status not in settled:
                self._view.model.apply_change([incident_id], status=IncidentStatus.ACTIONED)
        self._view.message.setText(f"In case {detail.summary.reference} "
                                   f"({detail.summary.subject_name}).")
        self._view.sig_escalated.emit(detail.summary.id)

    def regrade(self, severity: int) -> None:
        self._act(triage.regrade, severity, moves_on=False)

    def assign_menu(self) -> None:
        if not self._ids():
            return
        if self._staff is None:
            self._view.bridge.call(triage.assignable_staff, self._view.console,
                                   self._view.session, on_result=self._staff_arrived,
                                   on_error=self._failed, owner=self._view)
        else:
            self._show_assign_menu()

    def note(self) -> None:
        ids = self._ids()
        if len(ids) != 1:
            self._view.message.setText("Select one incident to write a note on.")
            return
        body, ok = QInputDialog.getMultiLineText(self._view, "Note — Kestrel",
                                                 "Note on this incident (kept with it):")
        if ok and body.strip():
            self._view.bridge.call(triage.add_note, self._view.console, self._view.session,
                                   ids[0], body, on_result=lambda _c: self._view.message
                                   .setText("Note saved."), on_error=self._failed, owner=self._view)

    def undo(self) -> None:
        if not self._undo:
            self._view.message.setText("Nothing to undo.")
            return
        done = self._undo.pop()
        self._view.bridge.call(triage.undo, self._view.console, self._view.session, done,
                               on_result=lambda c: self._applied(c, done.before),
                               on_error=self._failed, owner=self._view)

    # --- plumbing ---------------------------------------------------------------------------
    def _ids(self) -> list[int]:
        ids = self._view.selected_ids()
        if not ids:
            self._view.message.setText("Select an incident first (j / k to move).")
        return ids

    def _act(self, fn: Callable[..., TriageChange], *args: Any, moves_on: bool) -> None:
        ids = self._ids()
        if not ids:
            return
        self._view.message.clear()
        self._view.bridge.call(fn, self._view.console, self._view.session, ids, *args,
                               on_result=self._committed, on_error=self._failed, owner=self._view)
        if moves_on and len(ids) == 1:
            self._view.select_next()

    def _committed(self, change: TriageChange) -> None:
        if change.before:
            self._undo = [*self._undo, change][-UNDO_DEPTH:]
        self._applied(change, ((i, change.after) for i, _ in change.before))

    def _applied(self, change: TriageChange, values: Any) -> None:
        for incident_id, value in values:
            self._view.model.apply_change([incident_id], **self._shown(change.field, value))
        self.sig_done.emit(change)

    def _shown(self, field: str, value: Any) -> dict[str, Any]:
        if field == "status":
            return {"status": IncidentStatus(value)}
        if field == "severity":
            return {"severity": int(value)}
        names = {s.id: s.name for s in self._staff or []}
        return {"assignee_name": names.get(value) if value is not None else None}

    def _failed(self, exc: BaseException) -> None:
        self._view.message.setText(user_message(exc))

    def _staff_arrived(self, staff: list[StaffChoice]) -> None:
        self._staff = staff
        self._show_assign_menu()

    def _show_assign_menu(self) -> None:
        menu = QMenu(self._view)
        me = self._view.session.user.id
        for person in sorted(self._staff or [], key=lambda s: (s.id != me, s.name)):
            label = f"{person.name}{'  (me)' if person.id == me else ''}"
            self._add(menu, label, person.id)
        menu.addSeparator()
        self._add(menu, "Nobody", None)
        menu.setActiveAction(menu.actions()[0])
        menu.popup(self._menu_point(self._view.table))

    def _add(self, menu: QMenu, label: str, user_id: int | None) -> None:
        action = QAction(label, menu)
        action.triggered.connect(lambda: self._act(triage.assign, user_id, moves_on=False))
        menu.addAction(action)

    @staticmethod
    def _menu_point(table: QWidget) -> QPoint:
        index = table.currentIndex()  # type: ignore[attr-defined]
        rect = table.visualRect(index)  # type: ignore[attr-defined]
        return table.viewport().mapToGlobal(rect.bottomLeft())  # type: ignore[attr-defined]


KEY_ACTS: dict[Qt.Key, Callable[[TriageActions], None]] = {
    Qt.Key.Key_R: lambda t: t.set_status(IncidentStatus.REVIEWING),
    Qt.Key.Key_F: lambda t: t.set_status(IncidentStatus.FALSE_POSITIVE),
    Qt.Key.Key_E: lambda t: t.escalate(),
    Qt.Key.Key_C: lambda t: t.set_status(IncidentStatus.CLOSED),
    Qt.Key.Key_A: lambda t: t.assign_menu(),
    Qt.Key.Key_N: lambda t: t.note(),
    **{getattr(Qt.Key, f"Key_{n}"): (lambda t, n=n: t.regrade(n)) for n in range(1, 6)},
}
