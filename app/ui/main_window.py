"""The main window: a shell that composes the screens, the navigation and the status bar.

Navigation shows only the screens the signed-in role may use (the services still refuse
anything else; DESIGN §9). Ctrl+1…Ctrl+6 open the first…sixth visible screen, Ctrl+L locks at
once. A demo install carries a permanent "DEMO SCHOOL — synthetic data" banner so nobody mistakes
it for a real school's records.

Threading: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.dto import IncidentQuery
from app.security.authorisation import Permission, allowed
from app.services.console import Console
from app.services.triage import TriageChange
from app.services.users import UserSession
from app.ui.alert_centre import AlertBanner, AlertCentre
from app.ui.arrivals import Arrivals
from app.ui.audit_view import AuditView
from app.ui.bridge import ServiceBridge
from app.ui.cases_view import CasesView
from app.ui.devices_view import DevicesView
from app.ui.idle_lock import IdleLock
from app.ui.incidents_view import IncidentsView
from app.ui.library_view import LibraryView
from app.ui.look import format_when
from app.ui.trend_links import describe_link
from app.ui.trends_view import TrendsView

if TYPE_CHECKING:  # the receiver (aiohttp) loads only when it runs
    from app.ui.live_sync import LiveSync

DEMO_BANNER = "DEMO SCHOOL — synthetic data. No real pupils or staff."


@dataclass(frozen=True)
class ScreenSpec:
    key: str
    label: str
    permission: Permission
    placeholder: str | None = None  # screens built by later work show one calm line


SCREENS = (
    ScreenSpec("incidents", "Incidents", Permission.LIST_INCIDENTS),
    ScreenSpec("cases", "Cases", Permission.LIST_INCIDENTS),
    ScreenSpec("trends", "Trends", Permission.VIEW_TRENDS),
    ScreenSpec("devices", "Devices", Permission.MANAGE_DEVICES),
    ScreenSpec("library", "Library", Permission.VIEW_LIBRARY),
    ScreenSpec("audit", "Audit", Permission.VIEW_AUDIT),
)


class MainWindow(QMainWindow):
    """Navigation + stacked screens + status bar for one signed-in session."""

    def __init__(self, console: Console, session: UserSession, bridge: ServiceBridge,
                 idle_timeout_ms: int | None = None, parent: QWidget | None = None,
                 live: LiveSync | None = None) -> None:
        super().__init__(parent)
        self.console, self.session, self.bridge = console, session, bridge
        self.arrivals = Arrivals(bridge, console, session, self)
        self.alert_banner = AlertBanner()
        self.alerts = AlertCentre(bridge, console, session, self.alert_banner, parent=self)
        self.setWindowTitle(f"Kestrel — {console.settings.school_name}")
        self.screens = [s for s in SCREENS if allowed(session.role, s.permission)]
        self.nav = QListWidget()
        self.nav.setObjectName("NavList")
        self.nav.setFixedWidth(176)
        self.stack = QStackedWidget()
        self.views: dict[str, QWidget] = {}
        builders = self._builders()
        for spec in self.screens:
            view = builders.get(spec.key, lambda s=spec: _placeholder(s))()
            self.views[spec.key] = view
            self.stack.addWidget(view)
            QListWidgetItem(spec.label, self.nav)
        self.banner = self._demo_banner()
        self._lay_out()
        self._build_status_bar()
        self.idle_lock = IdleLock(self, bridge, console, session, idle_timeout_ms)
        self._bind_keys()
        self.nav.currentRowChanged.connect(self._show_row)
        if self.screens:
            self.nav.setCurrentRow(0)
        if live is not None:
            self.live_label.setText(live.status)
            live.sig_arrived.connect(self.arrivals.arrived)
        if self.incidents_view is not None:
            self.arrivals.sig_news.connect(self.incidents_view.notify_arrivals)
            if live is not None:
                live.sig_arrived.connect(self.alerts.check)
            self.alert_banner.sig_show.connect(self._show_alerted)
            self.alerts.check()  # what is waiting at sign-in: the 8 a.m. queue
        self.arrivals.open_waiting()  # content that arrived while nobody was signed in

    @property
    def incidents_view(self) -> IncidentsView | None:
        view = self.views.get("incidents")
        return view if isinstance(view, IncidentsView) else None

    def nav_labels(self) -> list[str]:
        return [spec.label for spec in self.screens]

    def show_screen(self, key: str) -> None:
        keys = [spec.key for spec in self.screens]
        if key in keys and not self.idle_lock.locked:
            self.nav.setCurrentRow(keys.index(key))

    def _builders(self) -> dict[str, Callable[[], QWidget]]:
        args = (self.bridge, self.console, self.session)
        return {"incidents": lambda: self._incidents(*args), "audit": lambda: AuditView(*args),
                "cases": lambda: CasesView(*args), "trends": lambda: self._trends(*args),
                "library": lambda: LibraryView(*args), "devices": lambda: DevicesView(*args)}

    def _incidents(self, *args: object) -> IncidentsView:
        view = IncidentsView(*args)  # type: ignore[arg-type]
        view.sig_triaged.connect(self._triaged)
        view.sig_escalated.connect(self._escalated)
        return view

    def _trends(self, *args: object) -> TrendsView:
        view = TrendsView(*args)  # type: ignore[arg-type]
        if allowed(self.session.role, Permission.LIST_INCIDENTS):
            view.sig_show_incidents.connect(self._show_incidents)
        return view

    def _show_incidents(self, query: IncidentQuery, label: str) -> None:
        """A trend bar clicked: the incident list, filtered to what that bar counted."""
        view = self.incidents_view
        if view is not None and not self.idle_lock.locked:
            self.show_screen("incidents")
            view.show_query(query)
            self.statusBar().showMessage(describe_link(query, label), 15000)

    def _demo_banner(self) -> QLabel | None:
        if not self.console.settings.is_demo:
            return None
        banner = QLabel(DEMO_BANNER)
        banner.setObjectName("DemoBanner")
        banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return banner

    def _lay_out(self) -> None:
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        if self.banner is not None:
            column.addWidget(self.banner)
        column.addWidget(self.alert_banner)
        column.addLayout(body, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        user = self.session.user
        previous = user.previous_login_at
        self.last_login = QLabel(f"Last signed in {format_when(previous)}" if previous
                                 else "First sign-in on this account")
        self.school_label = QLabel(self.console.settings.school_name)
        self.user_label = QLabel(f"{user.display_name} ({user.username}) · {user.role.label}")
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.live_label = QLabel()
        self.live_label.setObjectName("Muted")
        bar.addWidget(self.last_login)
        bar.addWidget(self.live_label)
        bar.addPermanentWidget(self.school_label)
        bar.addPermanentWidget(self.user_label)

    def _bind_keys(self) -> None:
        for number in range(1, len(SCREENS) + 1):
            QShortcut(QKeySequence(f"Ctrl+{number}"), self,
                      lambda row=number - 1: self._go_to_row(row))
        QShortcut(QKeySequence("Ctrl+L"), self, self.idle_lock.lock_now)

    def _go_to_row(self, row: int) -> None:
        if row < len(self.screens) and not self.idle_lock.locked:
            self.nav.setCurrentRow(row)

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        view = self.stack.currentWidget()
        if isinstance(view, IncidentsView):
            view.focus_table()

    def _show_alerted(self) -> None:
        view = self.incidents_view
        if view is not None:
            self.show_screen("incidents")
            view.filters.show_new_at_or_above(self.alerts.min_severity)
            view.focus_table()

    def _escalated(self, case_id: int) -> None:
        """`e` on the list: show the case the incidents went into."""
        view = self.views.get("cases")
        if isinstance(view, CasesView):
            self.show_screen("cases")
            view.show_case(case_id)

    def _triaged(self, change: TriageChange) -> None:
        text = (f"{change.summary} · Ctrl+Z undoes it" if change.before
                else f"{change.summary}: nothing changed")
        self.statusBar().showMessage(text, 5000)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.idle_lock.stop()
        super().closeEvent(event)


def _placeholder(spec: ScreenSpec) -> QWidget:
    page = QWidget()
    page.setObjectName("ScreenPage")
    title = QLabel(spec.label)
    title.setObjectName("ScreenTitle")
    line = QLabel(spec.placeholder or "")
    line.setObjectName("Placeholder")
    layout = QVBoxLayout(page)
    layout.setContentsMargins(18, 14, 18, 10)
    layout.addWidget(title)
    layout.addSpacing(8)
    layout.addWidget(line)
    layout.addStretch(1)
    return page
