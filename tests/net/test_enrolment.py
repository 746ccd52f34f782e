"""Enrolment over real TLS on loopback: bundles (auto-approving or not), typed codes, the
pending list, and every way a token, a code or a proof is refused."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import timedelta

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.net import enrol_client, tls
from app.net.client import SyncClient, SyncRefused
from app.security import pki
from app.security.enrolment_proof import pin_prefix, proof, short_id
from app.services import audit_log, devices, enrolment, users
from tests.conftest import DSL_PASSWORD
from tests.net.kit import run

EPOCH = "0193a0b4-0000-7000-8000-000000000001"


@pytest.fixture
def dsl(install):  # type: ignore[no-untyped-def]
    return users.login(install, "dsl", DSL_PASSWORD)


def _bundle(install, dsl, server, uses=5, auto=True, days=14):  # type: ignore[no-untyped-def]
    _info, doc = enrolment.create_token(install, dsl, uses, timedelta(days=days), auto, "Lab",
                                        [f"127.0.0.1:{server.port}"])
    return enrol_client.read_bundle(json.dumps(doc).encode())


def _enrol(bundle, port, hostname="lab-pc-01"):  # type: ignore[no-untyped-def]
    key = Ed25519PrivateKey.generate()
    device_uuid = str(uuid.uuid4())
    enrolled = run(enrol_client.enrol_with_bundle(bundle, f"127.0.0.1:{port}", key, device_uuid,
                                                  hostname))
    return enrolled, key, device_uuid


def _hello_with(enrolled, key, device_uuid, port):  # type: ignore[no-untyped-def]
    context = tls.client_context(enrolled.ca_certificate, enrolled.ca_pin, enrolled.certificate,
                                 key)

    async def go():  # type: ignore[no-untyped-def]
        async with SyncClient(f"https://127.0.0.1:{port}", context, device_uuid) as client:
            return await client.hello(EPOCH, "1.0.0")

    return run(go())


def _refused(call) -> SyncRefused:  # type: ignore[no-untyped-def]
    with pytest.raises(SyncRefused) as caught:
        call()
    return caught.value


def test_an_auto_approving_bundle_enrols_a_device_that_can_then_sync(install, dsl,
                                                                     server) -> None:  # type: ignore[no-untyped-def]
    enrolled, key, device_uuid = _enrol(_bundle(install, dsl, server), server.port)
    assert enrolled.state == "approved" and enrolled.certificate is not None
    assert enrolled.short_id == short_id(pki.raw_public(key.public_key()))
    assert _hello_with(enrolled, key, device_uuid, server.port).limits.max_batch == 50


def test_a_pending_device_syncs_only_after_staff_approve_it(install, dsl, server) -> None:  # type: ignore[no-untyped-def]
    enrolled, key, device_uuid = _enrol(_bundle(install, dsl, server, auto=False), server.port)
    assert enrolled.state == "pending" and enrolled.certificate is None
    (waiting,) = enrolment.pending_devices(install, dsl)
    assert (waiting.hostname, waiting.short_id, waiting.via) == (
        "lab-pc-01", enrolled.short_id, "token Lab")
    enrolment.approve(install, dsl, waiting.request_id)
    approved = run(enrol_client.wait_for_approval(enrolled, f"127.0.0.1:{server.port}", 0))
    assert approved.state == "approved"
    assert _hello_with(approved, key, device_uuid, server.port).library_version
    assert enrolment.pending_devices(install, dsl) == []


def test_a_used_up_token_is_refused_and_the_attempt_is_audited(install, dsl, server) -> None:  # type: ignore[no-untyped-def]
    bundle = _bundle(install, dsl, server, uses=1)
    _enrol(bundle, server.port)
    refusal = _refused(lambda: _enrol(bundle, server.port, "lab-pc-02"))
    assert (refusal.status, refusal.reason) == (403, "the enrolment token is used up")
    refused = [e for e in audit_log.recent_events(install, dsl, 30) if e.action == "enrol.refused"]
    assert refused and json.loads(refused[0].details)["reason"] == "the enrolment token is used up"


def test_an_expired_token_is_refused(install, dsl, server) -> None:  # type: ignore[no-untyped-def]
    bundle = _bundle(install, dsl, server, days=1)
    start = install.clock()
    install.clock = lambda: start + timedelta(days=2)
    refusal = _refused(lambda: _enrol(bundle, server.port))
    assert refusal.reason == "the enrolment token has expired"


def test_a_wrong_token_secret_is_refused(install, dsl, server) -> None:  # type: ignore[no-untyped-def]
    bundle = _bundle(install, dsl, server)
    forged = enrol_client.Bundle(bundle.school, bundle.consoles, bundle.ca_pin,
                                 bundle.ca_certificate, bundle.token_id, secrets.token_bytes(32))
    refusal = _refused(lambda: _enrol(forged, server.port))
    assert refusal.reason == "the enrolment token is unknown or the proof does not match"


def test_a_replayed_enrolment_proof_is_refused(install, dsl, server) -> None:  # type: ignore[no-untyped-def]
    bundle = _bundle(install, dsl, server)
    address = f"127.0.0.1:{server.port}"
    context = tls.client_context(bundle.ca_certificate, bundle.ca_pin)
    key, device_uuid = Ed25519PrivateKey.generate(), str(uuid.uuid4())
    csr, nonce = pki.make_csr(key, device_uuid), secrets.token_bytes(32)

    async def go() -> list[int]:
        seen = await enrol_client.console_certificate(address, context)
        doc = {"device": device_uuid, "hostname": "lab-pc-01", "token_id": bundle.token_id,
               "csr": base64.b64encode(csr).decode(), "nonce": base64.b64encode(nonce).decode(),
               "proof": base64.b64encode(proof(bundle.token_secret, nonce, csr, seen)).decode()}
        statuses = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as s:
            for _ in range(2):
                async with s.post(f"https://{address}/v1/enrol", json=doc) as response:
                    statuses.append(response.status)
                    last = await response.json()
        assert last["error"] == "this enrolment proof was already used"
        return statuses

    assert run(go()) == [200, 403]


def test_re_enrolling_a_known_hostname_waits_for_approval_even_with_an_auto_token(
        install, dsl, server) -> None:  # type: ignore[no-untyped-def]
    bundle = _bundle(install, dsl, server)
    first, _, _ = _enrol(bundle, server.port, "lab-pc-07")
    again, _, _ = _enrol(bundle, server.port, "lab-pc-07")
    assert (first.state, again.state) == ("approved", "pending")
    assert [p.known_hostname for p in enrolment.pending_devices(install, dsl)] == [True]


def test_a_typed_code_enrols_into_pending_and_expires_after_five_wrong_tries(
        install, dsl, server) -> None:  # type: ignore[no-untyped-def]
    address = f"127.0.0.1:{server.port}"
    code, _expires = enrolment.create_code(install, dsl)
    assert len(code) == 34 and code.count("-") == 6
    key, device_uuid = Ed25519PrivateKey.generate(), str(uuid.uuid4())
    enrolled = run(enrol_client.enrol_with_code(code.lower(), address, key, device_uuid, "pc-9"))
    assert enrolled.state == "pending"
    refusal = _refused(lambda: run(enrol_client.enrol_with_code(
        code, address, Ed25519PrivateKey.generate(), str(uuid.uuid4()), "pc-10")))
    assert refusal.reason.startswith("the enrolment code has expired or was used")

    fresh, _ = enrolment.create_code(install, dsl)
    wrong = fresh[:-4] + ("AAAA" if not fresh.endswith("AAAA") else "BBBB")
    reasons = [_refused(lambda: run(enrol_client.enrol_with_code(
        wrong, address, Ed25519PrivateKey.generate(), str(uuid.uuid4()), "pc-11"))).reason
        for _ in range(6)]
    assert reasons[:5] == ["the enrolment code does not match"] * 5
    assert reasons[5].startswith("the enrolment code has expired or was used")
    right_too_late = _refused(lambda: run(enrol_client.enrol_with_code(
        fresh, address, Ed25519PrivateKey.generate(), str(uuid.uuid4()), "pc-12")))
    assert right_too_late.reason.startswith("the enrolment code has expired or was used")


def test_a_code_for_another_school_says_nothing_to_this_console(install, dsl, server) -> None:  # type: ignore[no-untyped-def]
    code, _ = enrolment.create_code(install, dsl)
    other_pin = pki.spki_pin(Ed25519PrivateKey.generate().public_key())
    foreign = "-".join([pin_prefix(other_pin)[i:i + 4] for i in (0, 4, 8)] + code.split("-")[3:])
    refusal = _refused(lambda: run(enrol_client.enrol_with_code(
        foreign, f"127.0.0.1:{server.port}", Ed25519PrivateKey.generate(), str(uuid.uuid4()),
        "pc-13")))
    assert refusal.reason == "the console at that address is not the one the code names"
    assert enrolment.pending_devices(install, dsl) == []
    assert devices.ca_pin(install) != other_pin
