"""Counts for IT scripts and monitoring (`main.py stats --json`): no content, only numbers."""

from __future__ import annotations

from typing import Any

from app.services import devices
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import enrolment_repo, incidents_repo


def summary(console: Console, session: UserSession) -> dict[str, Any]:
    """`{"incidents": {"total", "by_status", "by_category"}, "devices": {"total", "by_state"}}`.

    Devices are counted by the state a person would see (online, stale, offline, revoked)."""
    views = devices.list_devices(console, session)  # also checks the caller may see devices
    by_state: dict[str, int] = {}
    for view in views:
        by_state[view.state] = by_state.get(view.state, 0) + 1
    with console.reading() as db:
        by_status = incidents_repo.count_by(db, "status")
        by_category = incidents_repo.count_by(db, "category")
        pending = len(enrolment_repo.pending(db))
    if pending:
        by_state["pending"] = pending
    return {"incidents": {"total": sum(by_status.values()), "by_status": by_status,
                          "by_category": by_category},
            "devices": {"total": len(views), "by_state": by_state}}
