"""Incidents from the LAN arrive sealed; a signed-in DSL's key opens them into the list, the
search and the matches — audited — and content that will not open is set aside, not retried."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

from app.domain.dto import IncidentQuery
from app.domain.enums import Role
from app.errors import PermissionDeniedError
from app.services import audit_log, incidents, opener, users
from db.models import Incident, Match
from tests.conftest import DSL_PASSWORD
from tests.net.kit import admit, outgoing, run

EPOCH = "0193a0b4-0000-7000-8000-000000000001"


def _send(device, sealed) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            for item in sealed:
                for sha, blob in item.blobs:
                    await client.upload_blob(sha, blob)
            return await client.send_batch(EPOCH, [outgoing(s) for s in sealed])
    return run(go())


def test_a_dsl_session_opens_received_content_into_list_search_and_matches(install,
                                                                          server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    _send(device, [device.incident("honestly you should kill yourself tonight"),
                   device.incident("see you at netball, kill the drills", screenshot=False)])
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    found = incidents.list_incidents(install, dsl, IncidentQuery(text="yourself"))
    assert found.rows == ()  # sealed: nothing to search yet
    result = opener.open_received(install, dsl)
    assert (result.opened, result.unopenable) == (2, 0)
    assert opener.open_received(install, dsl).any is False  # nothing left to open
    found = incidents.list_incidents(install, dsl, IncidentQuery(text="yourself"))
    assert len(found.rows) == 1
    with install.reading() as db:
        assert set(db.execute(select(Match.phrase_key)).scalars()) == {"bu-0001"}
        assert db.execute(select(Incident.app).distinct()).scalars().all() == ["Chat"]
    event = audit_log.recent_events(install, dsl, 1)[0]
    assert (event.actor, event.action) == ("dsl", "content.open")
    assert json.loads(event.details)["opened"] == 2


def test_content_sealed_to_another_key_is_set_aside_and_kept(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    wrong_school = X25519PrivateKey.generate().public_key()
    stray = device.incident(screenshot=False, evidence_key=wrong_school)
    _send(device, [stray])
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    assert opener.open_received(install, dsl) == opener.Opened(0, 1)
    assert opener.open_received(install, dsl).any is False  # not tried again
    with install.reading() as db:
        assert db.execute(select(Incident.context_text)).scalars().all() == [None]


def test_only_roles_that_open_evidence_may_open_content(install) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    users.create_user(install, dsl, "head", "Hedda Teacher", Role.HEAD, "head password 1")
    head = users.login(install, "head", "head password 1")
    with pytest.raises(PermissionDeniedError):
        opener.open_received(install, head)
