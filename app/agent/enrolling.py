"""Enrolling this device: from a bundle file or a typed code to a saved identity.

Console addresses are tried in order — the bundle's (or the one given), then any found by mDNS
whose pin digits match — and a console that cannot be reached is skipped. A refusal (used-up
token, wrong code) stops at once with the console's reason. A device left waiting for approval
keeps its request id; `agent run` asks again until staff approve it.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.agent import identity
from app.agent.identity import Identity
from app.net import enrol_client
from app.net.client import SyncRefused
from app.net.discovery import console_addresses, discover
from app.net.enrol_client import Enrolled
from app.security import pki
from app.security.enrolment_proof import pin_prefix, split_code

DISCOVERY_S = 3.0


async def enrol_from_bundle(folder: Path, bundle_file: Path) -> Identity:
    try:
        raw = bundle_file.read_bytes()
    except OSError as exc:
        raise SyncRefused(0, f"the bundle {bundle_file} cannot be read ({exc.strerror})"
                          ) from None
    bundle = enrol_client.read_bundle(raw)
    addresses = console_addresses(bundle.consoles, await asyncio.to_thread(
        _discover, lambda d: d == bundle.ca_pin[:16]))
    device_uuid, hostname, key = identity.new_device()
    enrolled = await _first_reachable(addresses, lambda address: enrol_client.enrol_with_bundle(
        bundle, address, key, device_uuid, hostname))
    return _saved(folder, enrolled, device_uuid, hostname, bundle.school, addresses, key)


async def enrol_with_code(folder: Path, code: str, console: str | None) -> Identity:
    prefix, _code_id, _secret = split_code(code)
    found = await asyncio.to_thread(
        _discover, lambda digits: len(digits) == 16 and pin_prefix(digits) == prefix)
    addresses = console_addresses([console] if console else [], found)
    if not addresses:
        raise SyncRefused(0, "no console found: give its address with --console HOST:PORT")
    device_uuid, hostname, key = identity.new_device()
    enrolled = await _first_reachable(addresses, lambda address: enrol_client.enrol_with_code(
        code, address, key, device_uuid, hostname))
    return _saved(folder, enrolled, device_uuid, hostname, "", addresses, key)


async def ask_again(folder: Path, current: Identity) -> Identity:
    """A waiting device asks whether it has been approved (once; the caller repeats)."""
    if current.approved or current.request_id is None:
        return current
    pending = Enrolled(current.request_id, "pending", "", None, current.ca(), current.ca_pin)
    answer = await _first_reachable(list(current.consoles), lambda address: (
        enrol_client.wait_for_approval(pending, address, 0)))
    if answer.certificate is None:
        return current
    updated = identity.with_certificate(current, pki.der(answer.certificate))
    identity.save(folder, updated)
    return updated


async def _first_reachable(addresses: list[str],
                           attempt: Callable[[str], Awaitable[Enrolled]]) -> Enrolled:
    last: SyncRefused | None = None
    for address in addresses:
        try:
            return await attempt(address)
        except SyncRefused as refusal:
            if refusal.status != 0:
                raise  # the console answered: its reason stands
            last = refusal
    raise last or SyncRefused(0, "no console address to try")


def _saved(folder: Path, enrolled: Enrolled, device_uuid: str, hostname: str, school: str,
           addresses: list[str], key: Ed25519PrivateKey) -> Identity:
    saved = Identity(device_uuid, hostname, school, tuple(addresses), enrolled.ca_pin,
                     pki.pem(enrolled.ca_certificate).decode("ascii"),
                     pki.pem(enrolled.certificate).decode("ascii")
                     if enrolled.certificate else None,
                     None if enrolled.certificate else enrolled.request_id,
                     base64.b64encode(enrolled.evidence_key).decode("ascii"))
    identity.save(folder, saved, key)
    return saved


def _discover(accepts: Callable[[str], bool]) -> list[str]:
    try:
        return discover("", DISCOVERY_S, accepts=accepts)
    except OSError:
        return []  # no multicast here: configured addresses only
