"""Opening content that arrived sealed from the LAN, with a signed-in DSL's or deputy's key.

The receiver stores what devices send without being able to read it (DESIGN §8): the incident's
category, severity and times are in the signed manifest, but the app, window, URL, captured text
and matches are sealed to the school's evidence key. While a DSL or deputy session is unlocked,
the console opens newly received content in small batches and writes it where the incident list,
search and the evidence viewer find it. Each batch is one transaction and one audit event
("content.open", with the count), so the log shows whose key opened what, and when.

Content that will not open (damaged, or sealed to a key this school never had) is set aside —
it stays sealed, byte for byte, for an investigator — and counted in the audit event.

Threading: run on the DB executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.content import IncidentContent, decode_content
from app.errors import KestrelError
from app.security.authorisation import Permission
from app.security.sealing import open_sealed, seal_aad
from app.services.console import Console
from app.services.evidence_store import unpack
from app.services.ingest import match_rows
from app.services.users import UserSession
from db.repositories import incidents_repo

BATCH = 200


@dataclass(frozen=True)
class Opened:
    opened: int
    unopenable: int

    @property
    def any(self) -> bool:
        return bool(self.opened or self.unopenable)


def open_received(console: Console, session: UserSession, limit: int = BATCH) -> Opened:
    """Open up to `limit` sealed incidents; call again while it returns `any`."""
    session.require(Permission.OPEN_EVIDENCE)
    key = session.evidence_key()
    with console.reading() as db:
        sealed = incidents_repo.sealed_unopened(db, limit)
    if not sealed:
        return Opened(0, 0)
    rows: list[dict[str, Any]] = []
    matches: list[dict[str, Any]] = []
    bad: list[int] = []
    for incident_id, uuid, blob in sealed:
        try:
            content = decode_content(open_sealed(unpack(blob), key, seal_aad(uuid, "content")))
        except (KestrelError, ValueError):
            bad.append(incident_id)
            continue
        rows.append(_row(incident_id, content))
        matches.extend(match_rows(incident_id, content))
    with console.unit_of_work(session.actor) as uow:
        incidents_repo.fill_content(uow.session, rows, matches)
        incidents_repo.mark_unopenable(uow.session, bad)
        uow.audit("content.open", "incidents", opened=len(rows), unopenable=len(bad),
                  first=sealed[0][0], last=sealed[-1][0])
    return Opened(len(rows), len(bad))


def _row(incident_id: int, content: IncidentContent) -> dict[str, Any]:
    return {"b_id": incident_id, "app": _cut(content.app, 200),
            "window_title": _cut(content.window_title, 500), "url": _cut(content.url, 2000),
            "context_text": content.context, "matched_text": _cut(content.first_match, 500)}


def _cut(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]
