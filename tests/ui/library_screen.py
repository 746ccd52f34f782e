"""Opening the Library screen in a test: shown, sized, and its first list loaded."""

from __future__ import annotations

from typing import Any

from app.services.users import UserSession
from app.ui.library_view import LibraryView

LOAD_TIMEOUT = 10_000


def show_library(qtbot: Any, bridge: Any, demo_install: Any, session: UserSession,
                 size: tuple[int, int] = (1200, 760)) -> LibraryView:
    view = LibraryView(bridge, demo_install.console, session)
    qtbot.addWidget(view)
    view.resize(*size)
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_TIMEOUT):
        view.show()
    return view
