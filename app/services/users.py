"""Staff users: sign-in with progressive lockout, sessions that hold the evidence key, and
user creation.

Lockout (DESIGN §9): five wrong passwords lock the account for a minute; each further lockout
doubles, up to an hour; while locked even the right password is refused. Every failure, lockout
and sign-in is audited. A DSL's or deputy's sign-in opens their evidence key slot; the key stays
in memory in their `UserSession` until sign-out or the idle lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.domain.dto import Actor, UserInfo
from app.domain.enums import Role
from app.errors import (
    AuthenticationError,
    LockedOutError,
    PermissionDeniedError,
    SessionLockedError,
    ValidationError,
)
from app.events import ChangeSet
from app.security import passwords
from app.security.authorisation import Permission, allowed, authorise
from app.services.console import Console, UnitOfWork
from db.models import StaffUser
from db.repositories import users_repo

FAILURES_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(hours=1)
EVIDENCE_SLOT = "evidence"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_WRONG = "Wrong user name or password."
@cache
def _dummy_hash() -> str:
    """A real hash of a made-up password: unknown user names cost the same time as known ones.
    Made on first need, not at import (an Argon2id hash costs 0.2 s of start-up)."""
    return passwords.hash_password("kestrel-timing-equaliser-not-a-password")


@dataclass
class UserSession:
    """A signed-in staff member. Holds the evidence private key while unlocked.

    Threading: created and locked on any thread; read by service calls on the DB executor."""

    user: UserInfo
    _evidence_key: X25519PrivateKey | None = field(default=None, repr=False)
    locked: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(name=self.user.username, role=self.user.role, user_id=self.user.id)

    @property
    def role(self) -> Role:
        return self.user.role

    def require(self, permission: Permission) -> None:
        if self.locked:
            raise SessionLockedError("Kestrel is locked. Sign in again to continue.")
        authorise(self.user.role, permission)

    def evidence_key(self) -> X25519PrivateKey:
        if self.locked:
            raise SessionLockedError("Kestrel is locked. Sign in again to continue.")
        if self._evidence_key is None:
            raise PermissionDeniedError("This account holds no evidence key.")
        return self._evidence_key

    def lock(self) -> None:
        """Forget the evidence key (idle lock, sign-out)."""
        self._evidence_key = None
        self.locked = True


def validate_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise ValidationError("User names are 2–64 characters: lower-case letters, digits, "
                              "dots, dashes and underscores, starting with a letter or digit.")
    return name


def login(console: Console, username: str, password: str) -> UserSession:
    """Check a password and open a session, or raise AuthenticationError / LockedOutError."""
    name = username.strip().lower()
    now = console.clock()
    with console.unit_of_work(Actor(name=f"login:{name[:64]}")) as uow:
        user = users_repo.by_username(uow.session, name)
        if user is None or user.disabled:
            passwords.verify_password(_dummy_hash(), password)
            uow.audit("login.failed", "user:unknown")
            failure: AuthenticationError = AuthenticationError(_WRONG)
        else:
            failure_or_session = _check(uow, user, password, now)
            if isinstance(failure_or_session, UserSession):
                return failure_or_session
            failure = failure_or_session
    raise failure


def _check(uow: UnitOfWork, user: StaffUser, password: str,
           now: datetime) -> UserSession | AuthenticationError:
    failure = _refusal(uow, user, password, now, _login_audit)
    if failure is not None:
        return failure
    previous = user.last_login_at
    user.last_login_at = now
    uow.audit("login.ok", f"user:{user.username}")
    info = UserInfo(user.id, user.username, user.display_name, Role(user.role), previous)
    return UserSession(info, _open_evidence_slot(uow, user, password))


AuditStep = Callable[[UnitOfWork, str, str, dict[str, int]], None]


def _login_audit(uow: UnitOfWork, target: str, outcome: str, details: dict[str, int]) -> None:
    uow.audit(f"login.{outcome}", target, **details)


def _reauth_audit(uow: UnitOfWork, target: str, outcome: str, details: dict[str, int]) -> None:
    uow.audit("user.reauth", target, outcome=outcome, **details)


def _refusal(uow: UnitOfWork, user: StaffUser, password: str, now: datetime,
             audit: AuditStep) -> AuthenticationError | None:
    """The lockout rules shared by sign-in and re-authentication: None when the password is
    right (failures reset), else the error to raise once the unit of work has committed (so
    the failure count and its audit record survive the refusal)."""
    target = f"user:{user.username}"
    if user.locked_until is not None and user.locked_until > now:
        seconds = int((user.locked_until - now).total_seconds()) + 1
        audit(uow, target, "refused_locked", {"seconds_left": seconds})
        return _locked_error(seconds)
    if not passwords.verify_password(user.password_hash, password):
        user.failed_attempts += 1
        audit(uow, target, "failed", {"failures": user.failed_attempts})
        if user.failed_attempts < FAILURES_BEFORE_LOCK:
            return AuthenticationError(_WRONG)
        user.lockouts += 1
        user.failed_attempts = 0
        duration = min(FIRST_LOCK * 2 ** (user.lockouts - 1), MAX_LOCK)
        user.locked_until = now + duration
        audit(uow, target, "locked", {"minutes": int(duration.total_seconds() // 60)})
        return _locked_error(int(duration.total_seconds()))
    user.failed_attempts, user.lockouts, user.locked_until = 0, 0, None
    return None


def _locked_error(seconds: int) -> LockedOutError:
    minutes = max(1, round(seconds / 60))
    return LockedOutError(f"Too many wrong passwords: this account is locked for about "
                          f"{minutes} minute{'s' if minutes != 1 else ''}. Try again later or "
                          "ask the DSL.", seconds)


def _open_evidence_slot(uow: UnitOfWork, user: StaffUser,
                        password: str) -> X25519PrivateKey | None:
    if not allowed(Role(user.role), Permission.OPEN_EVIDENCE):
        return None
    slot = users_repo.slot(uow.session, user.id, EVIDENCE_SLOT)
    if slot is None:
        return None
    return passwords.open_slot(user.id, EVIDENCE_SLOT, password, slot.kdf, slot.wrapped)


def unlock(console: Console, session: UserSession, password: str) -> UserSession:
    """Re-open a locked session: the same checks (and lockout) as signing in."""
    fresh = login(console, session.user.username, password)
    session._evidence_key, session.locked = fresh._evidence_key, False
    return session


def confirm_identity(console: Console, session: UserSession, password: str) -> None:
    """Check the signed-in person's password again before a sensitive act (DESIGN §9: export
    re-authenticates). The same Argon2id check and lockout as signing in, and the same answer
    for a wrong password; every outcome is audited as `user.reauth`. Raises
    AuthenticationError / LockedOutError / SessionLockedError; returns nothing on success.

    Threading: call on the DB executor (it writes audit events)."""
    if session.locked:
        raise SessionLockedError("Kestrel is locked. Sign in again to continue.")
    now = console.clock()
    with console.unit_of_work(session.actor) as uow:
        user = users_repo.by_username(uow.session, session.user.username)
        if user is None or user.disabled or user.id != session.user.id:
            passwords.verify_password(_dummy_hash(), password)
            uow.audit("user.reauth", f"user:{session.user.username}", outcome="unknown_user")
            failure: AuthenticationError | None = AuthenticationError(_WRONG)
        else:
            failure = _refusal(uow, user, password, now, _reauth_audit)
            if failure is None:
                uow.audit("user.reauth", f"user:{user.username}", outcome="ok")
    if failure is not None:
        raise failure


def add_user(uow: UnitOfWork, username: str, display_name: str, role: Role, password: str,
             evidence_key: X25519PrivateKey | None) -> UserInfo:
    """Insert a user inside an open unit of work (install, seeding and create_user use it).
    DSLs and deputies get an evidence slot, which needs the evidence private key."""
    name = validate_username(username)
    passwords.check_password_policy(password)
    if not display_name.strip():
        raise ValidationError("Enter the person's name as colleagues know it.")
    if users_repo.by_username(uow.session, name) is not None:
        raise ValidationError(f"There is already a user called {name}.")
    user = users_repo.add(uow.session, StaffUser(
        username=name, display_name=display_name.strip()[:200], role=role.value,
        password_hash=passwords.hash_password(password), failed_attempts=0, lockouts=0,
        disabled=False, created_at=uow.console.clock()))
    if allowed(role, Permission.OPEN_EVIDENCE):
        if evidence_key is None:
            raise PermissionDeniedError("Only a signed-in DSL can create a DSL or deputy, "
                                        "because the evidence key has to be shared with them.")
        kdf, wrapped = passwords.make_slot(user.id, EVIDENCE_SLOT, password, evidence_key)
        users_repo.put_slot(uow.session, user.id, EVIDENCE_SLOT, kdf, wrapped)
    uow.audit("user.create", f"user:{name}", role=role.value)
    return UserInfo(user.id, name, user.display_name, role, None)


def create_user(console: Console, session: UserSession, username: str, display_name: str,
                role: Role, password: str) -> tuple[UserInfo, ChangeSet]:
    """A DSL adds a colleague."""
    session.require(Permission.MANAGE_USERS)
    key = session.evidence_key() if allowed(role, Permission.OPEN_EVIDENCE) else None
    with console.unit_of_work(session.actor) as uow:
        info = add_user(uow, username, display_name, role, password, key)
    return info, ChangeSet(users=True)
