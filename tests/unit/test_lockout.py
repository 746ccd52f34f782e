"""Progressive lockout (DESIGN §9): five failures lock for a minute, doubling to an hour."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.errors import AuthenticationError, LockedOutError
from app.services import audit_log, users
from tests.conftest import DSL_PASSWORD, FakeClock


def _fail(console, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        with pytest.raises(AuthenticationError):
            users.login(console, "dsl", "not the password")


def test_five_wrong_passwords_lock_and_the_right_one_is_refused(install,  # type: ignore[no-untyped-def]
                                                                clock: FakeClock) -> None:
    install.clock = clock
    _fail(install, 4)
    with pytest.raises(LockedOutError) as locked:
        users.login(install, "dsl", "still wrong")
    assert locked.value.seconds_left == 60
    clock.advance(seconds=30)
    with pytest.raises(LockedOutError, match="locked"):
        users.login(install, "dsl", DSL_PASSWORD)
    clock.advance(seconds=31)
    session = users.login(install, "dsl", DSL_PASSWORD)
    assert session.user.username == "dsl"


def test_repeat_lockouts_double_up_to_an_hour(install, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    install.clock = clock
    seen = []
    for _ in range(8):
        with pytest.raises(LockedOutError) as locked:
            _fail(install, 4)
            users.login(install, "dsl", "wrong again")
        seen.append(locked.value.seconds_left)
        clock.advance(seconds=locked.value.seconds_left + 1)
    assert seen == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_lockout_and_sign_in_are_audited_and_last_login_is_reported(  # type: ignore[no-untyped-def]
        install, clock: FakeClock) -> None:
    install.clock = clock
    first = users.login(install, "dsl", DSL_PASSWORD)
    assert first.user.previous_login_at is None
    with pytest.raises(AuthenticationError):
        users.login(install, "dsl", "nope nope nope")
    clock.advance(hours=1)
    second = users.login(install, "dsl", DSL_PASSWORD)
    assert second.user.previous_login_at == clock.now - timedelta(hours=1)
    actions = [e.action for e in audit_log.recent_events(install, second, 10)]
    assert actions[:3] == ["login.ok", "login.failed", "login.ok"]


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(install) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AuthenticationError) as unknown:
        users.login(install, "nobody", DSL_PASSWORD)
    with pytest.raises(AuthenticationError) as wrong:
        users.login(install, "dsl", "wrong password")
    assert str(unknown.value) == str(wrong.value)
