"""The open install: keys, engine, evidence store and the unit of work.

`Console` is what every service function receives first. It is created by
`app.services.install.open_install` (or `create_install`) and closed by the caller.

Threading: the engine is shared; state changes must run on the single DB executor
(`app.services.executor.DbExecutor`) so SQLite has one writer. Reads may run anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.domain.dto import Actor
from app.errors import DatabaseBusyError
from app.paths import DataPaths
from app.security.keystore import OpenKeys
from app.services import audit
from app.services.evidence_store import EvidenceStore
from app.settings import Settings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Console:
    """One open Kestrel install (a school's data folder)."""

    paths: DataPaths
    settings: Settings
    keys: OpenKeys
    engine: Engine
    evidence: EvidenceStore
    clock: Callable[[], datetime] = field(default=utc_now)
    # Bumped after any change to which devices may connect, so a receiver in this process
    # drops what it remembers of certificates at once (`app.net.receiver`).
    device_generation: int = 0

    def unit_of_work(self, actor: Actor) -> UnitOfWork:
        return UnitOfWork(self, actor)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session (no audit, rolled back at the end)."""
        with Session(self.engine) as session:
            try:
                yield session
            except OperationalError as exc:
                raise busy_or_same(exc) from exc
            finally:
                session.rollback()

    @contextmanager
    def telemetry(self) -> Iterator[Session]:
        """A transaction for operational telemetry no person caused (device heartbeats: last
        seen, clock skew, outbox depth). It commits without an audit event by design: the audit
        log records acts, and 3,000 heartbeats a minute would drown them (docs/decisions.md)."""
        with Session(self.engine) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def busy_or_same(exc: OperationalError) -> Exception:
    """SQLite's "database is locked / busy" as a sentence a person can act on (wait); any
    other database failure unchanged."""
    text = str(getattr(exc, "orig", exc)).lower()
    return DatabaseBusyError() if "locked" in text or "busy" in text else exc


class UnitOfWork:
    """One transaction: the act and its audit events commit together or not at all.

    Use as `with console.unit_of_work(actor) as uow:`; call `uow.audit(...)` for each act.
    A unit of work with no audit event is a programming error and is refused (fail closed)."""

    def __init__(self, console: Console, actor: Actor) -> None:
        self.console = console
        self.actor = actor
        self.session = Session(console.engine, expire_on_commit=False)
        self._events: list[audit.PendingEvent] = []

    def audit(self, action: str, target: str, **details: Any) -> None:
        self._events.append(audit.PendingEvent(self.console.clock(), self.actor.name, action,
                                               target, details))

    def __enter__(self) -> UnitOfWork:
        self.session.begin()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is not None:
                self.session.rollback()
                if isinstance(exc, OperationalError):
                    raise busy_or_same(exc) from exc
                return
            if not self._events:
                self.session.rollback()
                raise RuntimeError("a unit of work changed state without an audit event")
            try:
                checkpoint = audit.write_events(self.session, self._events,
                                                self.console.keys.audit_signing_key)
                self.session.commit()
            except OperationalError as failed:
                self.session.rollback()
                raise busy_or_same(failed) from failed
        finally:
            self.session.close()
        if checkpoint is not None:
            try:
                audit.write_anchor(self.console.paths.audit_anchor, *checkpoint)
            except OSError:
                log.warning("could not update the audit anchor file", exc_info=True)
