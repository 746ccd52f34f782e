"""Enrolment (DESIGN §7): how a device earns a certificate from the school CA.

Two ways in, no trust on first use:
- **Bulk token** — an enrolment bundle (console addresses, CA pin and certificate, token id and
  secret; expiring, use-limited) deployed with the installer. Auto-approving tokens admit at
  once; others land in the pending list.
- **Typed code** for one device — `PPPP-PPPP-PPPP-IIII-SSSS-SSSS-SSSS`: 60 bits of the CA pin
  (the device checks the console before it says anything), a code id, 60 bits of secret;
  15 minutes, 5 tries, single use, always pending.

The device never sends a secret. It proves knowledge with
HMAC-SHA256(secret, "kestrel-enrol/v1" | nonce | SHA-256(CSR) | SHA-256(console certificate)),
the last being the certificate *it* sees — so a proof made through a man in the middle is no
good at the real console. Each nonce is accepted once. Re-enrolling a hostname that is already
known always lands in pending, whatever the token says. Staff approve a pending device after
comparing its short id (the first 8 base32 characters of SHA-256 of its public key) with the
one the device shows.

Threading: run on the DB executor (the receiver submits to it).
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.domain.dto import Actor
from app.errors import ValidationError
from app.events import ChangeSet
from app.fileio import write_atomically
from app.security import pki
from app.security.authorisation import Permission
from app.security.enrolment_proof import (
    B32,
    SECRET_GROUPS,
    pin_prefix,
    proof,
    short_id,
)
from app.services import devices
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import devices_repo, enrolment_repo

CODE_MINUTES = 15
CODE_TRIES = 5
PENDING, APPROVED, IGNORED = "pending", "approved", "ignored"
MAX_TOKEN_USES = 10_000
MAX_TOKEN_DAYS = 366


class EnrolRefused(ValidationError):
    """An enrolment the console will not take; the message is the reason the device gets."""


@dataclass(frozen=True)
class EnrolAsk:
    """What a device sends to enrol (validated by app.net.schemas)."""

    device_uuid: str
    hostname: str
    csr: bytes
    nonce: bytes
    proof: bytes
    token_id: str | None = None
    code_id: str | None = None


@dataclass(frozen=True)
class EnrolAnswer:
    request_id: str
    state: str
    short_id: str
    certificate: bytes | None = None  # DER, once approved


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    label: str
    expires_at: datetime
    max_uses: int
    uses: int
    auto_approve: bool


@dataclass(frozen=True)
class PendingDevice:
    request_id: str
    hostname: str
    device_uuid: str
    short_id: str
    requested_at: datetime
    via: str  # "token <label>" or "code"
    known_hostname: bool


# --- staff: tokens, codes, the pending list ------------------------------------------------

def create_token(console: Console, session: UserSession, uses: int, valid_for: timedelta,
                 auto_approve: bool, label: str,
                 addresses: Sequence[str]) -> tuple[TokenInfo, dict[str, Any]]:
    """A bulk token and the enrolment bundle that carries it (the bundle holds its secret:
    deploy it like a password)."""
    session.require(Permission.MANAGE_DEVICES)
    if not 1 <= uses <= MAX_TOKEN_USES:
        raise ValidationError(f"A token allows 1 to {MAX_TOKEN_USES} enrolments.")
    if not timedelta(minutes=5) <= valid_for <= timedelta(days=MAX_TOKEN_DAYS):
        raise ValidationError(f"A token lasts from 5 minutes to {MAX_TOKEN_DAYS} days.")
    if not addresses:
        raise ValidationError("Name at least one console address (HOST:PORT) for devices.")
    label = " ".join(label.split())[:100] or "enrolment token"
    now = console.clock()
    token_id, secret = secrets.token_hex(8), secrets.token_bytes(32)
    with console.unit_of_work(session.actor) as uow:
        enrolment_repo.add_token(uow.session, {
            "token_id": token_id, "secret": secret, "label": label, "created_at": now,
            "created_by": session.actor.name, "expires_at": now + valid_for,
            "max_uses": uses, "uses": 0, "auto_approve": auto_approve, "revoked": False})
        uow.audit("enrol.token.create", f"token:{token_id}", label=label, uses=uses,
                  expires_at=(now + valid_for).isoformat(), auto_approve=auto_approve)
    info = TokenInfo(token_id, label, now + valid_for, uses, 0, auto_approve)
    return info, _bundle(console, addresses, token_id, secret, info.expires_at)


def _bundle(console: Console, addresses: Sequence[str], token_id: str, secret: bytes,
            expires_at: datetime) -> dict[str, Any]:
    return {"kestrel_enrolment": 1, "school": console.settings.school_name,
            "console": list(addresses), "ca_pin": devices.ca_pin(console),
            "ca_certificate": pki.pem(devices.ca_certificate(console)).decode("ascii"),
            "token_id": token_id, "token_secret": base64.b64encode(secret).decode("ascii"),
            "expires_at": expires_at.isoformat()}


def save_token_bundle(console: Console, session: UserSession, uses: int, valid_for: timedelta,
                      auto_approve: bool, label: str, addresses: Sequence[str],
                      path: Path) -> TokenInfo:
    """`create_token`, with its bundle written to `path` (owner-only, whole or not at all)."""
    info, bundle = create_token(console, session, uses, valid_for, auto_approve, label,
                                addresses)
    write_atomically(path, json.dumps(bundle, indent=2).encode())
    return info


def demo_bundle(console: Console, addresses: Sequence[str]) -> dict[str, Any]:
    """An auto-approving bundle for the demo school's own simulated devices (demo installs
    only: a real school's tokens are made by a person, and audited as them)."""
    if not console.settings.is_demo:
        raise ValidationError("Simulated devices join only the demo school.")
    now = console.clock()
    token_id, secret = secrets.token_hex(8), secrets.token_bytes(32)
    with console.unit_of_work(Actor.system("demo")) as uow:
        enrolment_repo.add_token(uow.session, {
            "token_id": token_id, "secret": secret, "label": "demo devices", "created_at": now,
            "created_by": "system:demo", "expires_at": now + timedelta(hours=12),
            "max_uses": 10, "uses": 0, "auto_approve": True, "revoked": False})
        uow.audit("enrol.token.create", f"token:{token_id}", label="demo devices", uses=10,
                  auto_approve=True)
    return _bundle(console, addresses, token_id, secret, now + timedelta(hours=12))


def create_code(console: Console, session: UserSession) -> tuple[str, datetime]:
    """A typed code for one device: 15 minutes, 5 tries, lands in pending."""
    session.require(Permission.MANAGE_DEVICES)
    now = console.clock()
    code_id = "".join(secrets.choice(B32) for _ in range(4))
    secret = "".join(secrets.choice(B32) for _ in range(4 * SECRET_GROUPS))
    with console.unit_of_work(session.actor) as uow:
        if enrolment_repo.code_by_id(uow.session, code_id) is not None:
            raise ValidationError("Please try again (a rare clash of code ids).")
        enrolment_repo.add_code(uow.session, {
            "code_id": code_id, "secret": secret.encode(), "created_at": now,
            "created_by": session.actor.name, "expires_at": now + timedelta(minutes=CODE_MINUTES),
            "tries": 0, "used": False})
        uow.audit("enrol.code.create", f"code:{code_id}")
    pin = pin_prefix(devices.ca_pin(console))
    groups = [pin[i:i + 4] for i in range(0, len(pin), 4)] + [code_id] + \
        [secret[i:i + 4] for i in range(0, len(secret), 4)]
    return "-".join(groups), now + timedelta(minutes=CODE_MINUTES)


def pending_devices(console: Console, session: UserSession) -> list[PendingDevice]:
    session.require(Permission.MANAGE_DEVICES)
    with console.reading() as db:
        known = enrolment_repo.known_hostnames(db)
        return [PendingDevice(r.request_id, r.hostname, r.device_uuid, r.short_id, r.created_at,
                              f"token {label}" if label else "code", r.hostname in known)
                for r, label in enrolment_repo.pending(db)]


def approve(console: Console, session: UserSession, request_id: str) -> ChangeSet:
    """Admit a pending device (after comparing its short id); it fetches its certificate."""
    session.require(Permission.MANAGE_DEVICES)
    with console.reading() as db:
        request = _pending_or_error(db, request_id)
        device_uuid, hostname = request.device_uuid, request.hostname
        key = Ed25519PublicKey.from_public_bytes(bytes(request.public_key))
    admitted = devices.admit_device(console, session.actor, device_uuid, hostname, key)
    with console.unit_of_work(session.actor) as uow:
        enrolment_repo.decide(uow.session, request_id, APPROVED, console.clock(),
                              session.actor.name, admitted.certificate)
        uow.audit("enrol.approve", f"device:{device_uuid}", hostname=hostname,
                  request=request_id)
    return ChangeSet(devices=True)


def ignore(console: Console, session: UserSession, request_id: str) -> ChangeSet:
    session.require(Permission.MANAGE_DEVICES)
    with console.unit_of_work(session.actor) as uow:
        request = _pending_or_error(uow.session, request_id)
        enrolment_repo.decide(uow.session, request_id, IGNORED, console.clock(),
                              session.actor.name, None)
        uow.audit("enrol.ignore", f"device:{request.device_uuid}", hostname=request.hostname,
                  request=request_id)
    return ChangeSet(devices=True)


# --- devices: asking, and asking again -----------------------------------------------------

def request_enrolment(console: Console, ask: EnrolAsk, console_cert_der: bytes,
                      address: str | None) -> EnrolAnswer:
    """A device asks to join. Refusals raise EnrolRefused (and are audited, so staff can see
    attempts with a used-up or wrong token)."""
    key, named_uuid = pki.read_csr(ask.csr)
    if named_uuid != ask.device_uuid:
        raise EnrolRefused("the certificate request names another device")
    raw_key = pki.raw_public(key)
    request_id = str(uuid.uuid4())
    now = console.clock()
    actor = Actor(name=f"device:{ask.device_uuid}")
    try:
        with console.unit_of_work(actor) as uow:
            db = uow.session
            if enrolment_repo.nonce_used(db, ask.nonce.hex()):
                raise EnrolRefused("this enrolment proof was already used")
            token_row_id, code_row_id, auto = _check_secret(db, ask, console_cert_der, now)
            known = devices_repo.by_uuid(db, ask.device_uuid) is not None or \
                ask.hostname in enrolment_repo.known_hostnames(db)
            state = APPROVED if auto and not known else PENDING
            enrolment_repo.add_request(db, {
                "request_id": request_id, "device_uuid": ask.device_uuid,
                "hostname": ask.hostname, "public_key": raw_key, "short_id": short_id(raw_key),
                "nonce": ask.nonce.hex(), "token_id": token_row_id, "code_id": code_row_id,
                "state": PENDING, "created_at": now})
            uow.audit("enrol.request", f"device:{ask.device_uuid}", hostname=ask.hostname,
                      via="token" if token_row_id else "code", address=address or "",
                      known_hostname=known)
    except EnrolRefused as refusal:
        _record_refusal(console, actor, ask, str(refusal), address)
        raise
    if state == APPROVED:
        admitted = devices.admit_device(console, Actor.system("auto-approving token"),
                                        ask.device_uuid, ask.hostname, key)
        with console.unit_of_work(Actor.system("auto-approving token")) as uow:
            enrolment_repo.decide(uow.session, request_id, APPROVED, console.clock(),
                                  "auto-approving token", admitted.certificate)
            uow.audit("enrol.approve", f"device:{ask.device_uuid}", hostname=ask.hostname,
                      request=request_id, automatic=True)
        return EnrolAnswer(request_id, APPROVED, short_id(raw_key), admitted.certificate)
    return EnrolAnswer(request_id, PENDING, short_id(raw_key))


def enrolment_status(console: Console, request_id: str) -> EnrolAnswer:
    with console.reading() as db:
        request = enrolment_repo.request_by_id(db, request_id)
        if request is None:
            raise EnrolRefused("no such enrolment request")
        cert = bytes(request.certificate) if request.certificate is not None else None
        return EnrolAnswer(request.request_id, request.state, request.short_id, cert)


def _check_secret(db: Any, ask: EnrolAsk, console_cert_der: bytes,
                  now: datetime) -> tuple[int | None, int | None, bool]:
    """(token row id, code row id, auto-approve) once the proof checks out."""
    if (ask.token_id is None) == (ask.code_id is None):
        raise EnrolRefused("name either a token or a code")
    if ask.token_id is not None:
        token = enrolment_repo.token_by_id(db, ask.token_id)
        if token is None or not hmac.compare_digest(
                proof(bytes(token.secret), ask.nonce, ask.csr, console_cert_der), ask.proof):
            raise EnrolRefused("the enrolment token is unknown or the proof does not match")
        if token.revoked:
            raise EnrolRefused("the enrolment token was withdrawn")
        if token.expires_at <= now:
            raise EnrolRefused("the enrolment token has expired")
        if token.uses >= token.max_uses:
            raise EnrolRefused("the enrolment token is used up")
        enrolment_repo.use_token(db, token.id)
        return token.id, None, token.auto_approve
    code = enrolment_repo.code_by_id(db, ask.code_id or "")
    if code is None:
        raise EnrolRefused("the enrolment code is unknown")
    if code.used or code.tries >= CODE_TRIES or code.expires_at <= now:
        raise EnrolRefused("the enrolment code has expired or was used; ask for a new one")
    if not hmac.compare_digest(proof(bytes(code.secret), ask.nonce, ask.csr, console_cert_der),
                               ask.proof):
        raise EnrolRefused("the enrolment code does not match")  # the try is counted apart
    enrolment_repo.use_code(db, code.id)
    return None, code.id, False


def _record_refusal(console: Console, actor: Actor, ask: EnrolAsk, reason: str,
                    address: str | None) -> None:
    """Audit a refused attempt in a transaction of its own (the attempt's was rolled back); a
    wrong code uses up one of its tries here, so the count sticks."""
    with console.unit_of_work(actor) as uow:
        if ask.code_id is not None and reason == "the enrolment code does not match":
            enrolment_repo.add_code_try(uow.session, ask.code_id)
        uow.audit("enrol.refused", f"device:{ask.device_uuid}", reason=reason,
                  hostname=ask.hostname, address=address or "",
                  token=ask.token_id or "", code=ask.code_id or "")


def _pending_or_error(db: Any, request_id: str) -> Any:
    request = enrolment_repo.request_by_id(db, request_id)
    if request is None or request.state != PENDING:
        raise ValidationError("That device is no longer waiting for approval.")
    return request
