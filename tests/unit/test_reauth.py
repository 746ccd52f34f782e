"""Re-authentication before an export (DESIGN §9): the signed-in person's password is checked
again with the same answer, the same lockout and an audit record of every outcome."""

from __future__ import annotations

import json

import pytest

from app.errors import AuthenticationError, LockedOutError, SessionLockedError
from app.services import audit_log, users
from tests.conftest import DSL_PASSWORD, FakeClock


def _reauth_events(console, session) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    events = audit_log.recent_events(console, session, 50, action_prefix="user.reauth")
    return [json.loads(e.details) for e in events]


def test_the_right_password_confirms_and_is_audited_without_counting_as_a_sign_in(  # type: ignore[no-untyped-def]
        install, clock: FakeClock) -> None:
    install.clock = clock
    session = users.login(install, "dsl", DSL_PASSWORD)
    clock.advance(minutes=5)
    users.confirm_identity(install, session, DSL_PASSWORD)
    assert _reauth_events(install, session)[0]["outcome"] == "ok"
    actions = [e.action for e in audit_log.recent_events(install, session, 5)]
    assert actions[:2] == ["user.reauth", "login.ok"]


def test_a_wrong_password_gets_the_sign_in_answer_and_is_audited(install) -> None:  # type: ignore[no-untyped-def]
    session = users.login(install, "dsl", DSL_PASSWORD)
    with pytest.raises(AuthenticationError) as wrong:
        users.confirm_identity(install, session, "not my password")
    with pytest.raises(AuthenticationError) as sign_in:
        users.login(install, "dsl", "not my password either")
    assert str(wrong.value) == str(sign_in.value)
    assert _reauth_events(install, session)[0] == {"outcome": "failed", "failures": 1}


def test_five_wrong_re_authentications_lock_the_account_like_sign_in(  # type: ignore[no-untyped-def]
        install, clock: FakeClock) -> None:
    install.clock = clock
    session = users.login(install, "dsl", DSL_PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            users.confirm_identity(install, session, "wrong")
    with pytest.raises(LockedOutError) as locked:
        users.confirm_identity(install, session, "wrong")
    assert locked.value.seconds_left == 60
    with pytest.raises(LockedOutError):
        users.confirm_identity(install, session, DSL_PASSWORD)
    with pytest.raises(LockedOutError):
        users.login(install, "dsl", DSL_PASSWORD)  # one count: sign-in is locked too
    outcomes = [e["outcome"] for e in _reauth_events(install, session)]
    assert outcomes[:3] == ["refused_locked", "locked", "failed"]
    clock.advance(seconds=61)
    users.confirm_identity(install, session, DSL_PASSWORD)


def test_a_locked_session_cannot_re_authenticate(install) -> None:  # type: ignore[no-untyped-def]
    session = users.login(install, "dsl", DSL_PASSWORD)
    session.lock()
    with pytest.raises(SessionLockedError):
        users.confirm_identity(install, session, DSL_PASSWORD)
