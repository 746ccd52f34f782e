"""The Devices screen in one read: devices, those waiting for approval, and what needs a
technician's attention — devices gone silent, enrolments refused. Counts and host names only:
nothing here quotes a pupil, so the IT technician sees no incident content.

Threading: run on the DB executor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sized
from dataclasses import dataclass
from datetime import timedelta

from app.security.authorisation import Permission
from app.services import devices, enrolment
from app.services.console import Console
from app.services.devices import DeviceView
from app.services.enrolment import PendingDevice
from app.services.users import UserSession
from db.repositories import audit_repo

RECENT_EVENTS = 5000  # enough audit history to count a day's refused enrolments
SILENT_NAMES = 5


@dataclass(frozen=True)
class DevicesOverview:
    devices: list[DeviceView]
    pending: list[PendingDevice]
    counts: Counter[str]
    attention: list[str]


def overview(console: Console, session: UserSession) -> DevicesOverview:
    session.require(Permission.MANAGE_DEVICES)
    views = devices.list_devices(console, session)
    pending = enrolment.pending_devices(console, session)
    counts = Counter(v.state for v in views)
    return DevicesOverview(views, pending, counts,
                           _attention(console, views, pending))


def _attention(console: Console, views: list[DeviceView],
               pending: list[PendingDevice]) -> list[str]:
    notes = []
    silent = [v for v in views if v.state == "offline" and v.last_seen_at is not None]
    if silent:
        names = ", ".join(v.hostname for v in silent[:SILENT_NAMES])
        more = f" and {len(silent) - SILENT_NAMES} more" if len(silent) > SILENT_NAMES else ""
        notes.append(f"{len(silent)} device{_s(silent)} not heard from for over a day: "
                     f"{names}{more}.")
    if pending:
        again = sum(1 for p in pending if p.known_hostname)
        extra = f" ({again} with a host name already enrolled)" if again else ""
        notes.append(f"{len(pending)} device{_s(pending)} waiting for approval{extra}.")
    since = console.clock() - timedelta(days=1)
    with console.reading() as db:
        refused = [e for e in audit_repo.recent(db, RECENT_EVENTS)
                   if e.action == "enrol.refused" and e.ts >= since]
    if refused:
        notes.append(f"{len(refused)} enrolment attempt{_s(refused)} refused in the last day "
                     "(a used-up, expired or wrong token or code) — see the audit log.")
    return notes


def _s(items: Sized) -> str:
    return "" if len(items) == 1 else "s"
