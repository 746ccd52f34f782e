"""Devices: who may sync, admitting and revoking them, and what their heartbeats report.

A device is known by the fingerprint of the certificate the school CA issued it. The receiver
asks `active_device` on every request, so a revocation takes effect on the very next request —
no cache to expire. Heartbeat telemetry (last seen, agent version, clock skew, outbox depth) is
operational data rather than an act of a person: it is written in batches without audit events
(docs/decisions.md); admitting and revoking are audited.

Threading: run on the DB executor (the receiver submits to it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.domain.dto import Actor
from app.domain.enums import DeviceState
from app.errors import ValidationError
from app.events import ChangeSet
from app.security import pki
from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import devices_repo


@dataclass(frozen=True)
class DeviceRef:
    """The device behind a connection."""

    id: int
    uuid: str
    hostname: str
    signing_key: bytes  # raw Ed25519; the same key as its TLS certificate


@dataclass(frozen=True)
class Heartbeat:
    device_id: int
    seen_at: datetime
    agent_version: str
    clock_skew_s: int
    outbox_depth: int
    screenshots_dropped: int
    address: str | None


@dataclass(frozen=True)
class DeviceView:
    """A device as the Devices screen and `devices list` show it (no incident content)."""

    id: int
    uuid: str
    hostname: str
    state: str  # online | stale | offline | revoked | retired (see `seen_state`)
    last_seen_at: datetime | None
    agent_version: str | None
    outbox_depth: int | None
    clock_skew_s: int | None
    enrolled_at: datetime


ONLINE_WITHIN = timedelta(minutes=3)  # three missed one-minute heartbeats and it is not online
STALE_WITHIN = timedelta(days=1)


@dataclass(frozen=True)
class Admitted:
    device: DeviceRef
    certificate: bytes  # DER


def ca_certificate(console: Console) -> x509.Certificate:
    """The school CA's certificate: the same bytes every time for the same install."""
    return pki.ca_certificate(console.keys.school_ca_key, console.settings.school_name)


def ca_pin(console: Console) -> str:
    return pki.spki_pin(console.keys.school_ca_key.public_key())


def active_device(console: Console, fingerprint: str) -> DeviceRef | None:
    """The active device whose certificate has this fingerprint, or None (unknown, revoked)."""
    with console.reading() as db:
        device = devices_repo.by_fingerprint(db, fingerprint)
        if device is None or device.state != DeviceState.ACTIVE.value:
            return None
        return DeviceRef(device.id, device.uuid, device.hostname,
                         bytes(device.signing_public_key))


def admit_device(console: Console, actor: Actor, device_uuid: str, hostname: str,
                 public_key: Ed25519PublicKey) -> Admitted:
    """Issue a certificate and make the device active (enrolment calls this once a request is
    approved). A device UUID seen before gets the new key and certificate; its history stays."""
    now = console.clock()
    cert = pki.issue_device_certificate(console.keys.school_ca_key, ca_certificate(console),
                                        public_key, device_uuid, now)
    cert_der = pki.der(cert)
    values = {"hostname": hostname[:255], "cert_fingerprint": pki.fingerprint(cert_der),
              "signing_public_key": pki.raw_public(public_key),
              "state": DeviceState.ACTIVE.value, "cert_expires_at": cert.not_valid_after_utc}
    with console.unit_of_work(actor) as uow:
        known = devices_repo.by_uuid(uow.session, device_uuid)
        if known is None:
            device_id = devices_repo.add(uow.session, {"uuid": device_uuid, "enrolled_at": now,
                                                        **values})
        else:
            device_id = known.id
            devices_repo.replace_certificate(uow.session, device_id, values)
        uow.audit("device.admit", f"device:{device_uuid}", hostname=hostname[:255],
                  fingerprint=values["cert_fingerprint"], again=known is not None)
    console.device_generation += 1
    return Admitted(DeviceRef(device_id, device_uuid, hostname[:255],
                              pki.raw_public(public_key)), cert_der)


def revoke_device(console: Console, session: UserSession, device_id: int,
                  reason: str = "") -> ChangeSet:
    """The device's next request is refused (403); its incidents stay."""
    session.require(Permission.MANAGE_DEVICES)
    with console.unit_of_work(session.actor) as uow:
        device = devices_repo.by_id(uow.session, device_id)
        if device is None:
            raise ValidationError("That device is no longer known.")
        if device.state == DeviceState.REVOKED.value:
            raise ValidationError(f"{device.hostname} is already revoked.")
        devices_repo.set_state(uow.session, device_id, DeviceState.REVOKED.value)
        uow.audit("device.revoke", f"device:{device.uuid}", hostname=device.hostname,
                  reason=" ".join(reason.split())[:500])
    console.device_generation += 1
    return ChangeSet(devices=True)


def record_heartbeats(console: Console, beats: Sequence[Heartbeat]) -> None:
    """Telemetry from hello, many devices in one transaction (the newest beat per device)."""
    newest: dict[int, Heartbeat] = {}
    for beat in beats:
        if beat.device_id not in newest or beat.seen_at >= newest[beat.device_id].seen_at:
            newest[beat.device_id] = beat
    rows = [{"b_id": b.device_id, "last_seen_at": b.seen_at, "agent_version": b.agent_version,
             "clock_skew_s": b.clock_skew_s, "outbox_depth": b.outbox_depth,
             "screenshots_dropped": b.screenshots_dropped, "last_address": b.address}
            for b in newest.values()]
    with console.telemetry() as db:
        devices_repo.record_heartbeats(db, rows)


def list_devices(console: Console, session: UserSession) -> list[DeviceView]:
    session.require(Permission.MANAGE_DEVICES)
    now = console.clock()
    with console.reading() as db:
        return [DeviceView(d.id, d.uuid, d.hostname, seen_state(d.state, d.last_seen_at, now),
                           d.last_seen_at, d.agent_version, d.outbox_depth, d.clock_skew_s,
                           d.enrolled_at)
                for d in devices_repo.all_devices(db)]


def seen_state(state: str, last_seen: datetime | None, now: datetime) -> str:
    """An active device is online, stale or offline by how long ago it last said hello."""
    if state != DeviceState.ACTIVE.value:
        return state
    if last_seen is not None and now - last_seen <= ONLINE_WITHIN:
        return "online"
    if last_seen is not None and now - last_seen <= STALE_WITHIN:
        return "stale"
    return "offline"


def find_device(console: Console, session: UserSession, name: str) -> DeviceView:
    """A device by id, UUID or host name (for `devices revoke`)."""
    matches = [d for d in list_devices(console, session)
               if name in (str(d.id), d.uuid, d.hostname)]
    if len(matches) != 1:
        raise ValidationError(f"No single device is called {name!r}." if not matches else
                              f"{len(matches)} devices are called {name!r}; use the id.")
    return matches[0]
