"""Who gets nowhere with the receiver, and what hostile bytes get back: always a 4xx with a
reason (or a refused handshake), never a 500, and other devices are served throughout.

Real TLS on loopback throughout; the certificates are real ones from real (other) CAs.
"""

from __future__ import annotations

import base64
import json
import ssl
import uuid
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.net import tls
from app.net.client import SyncClient, SyncRefused
from app.security import pki
from app.services import devices, users
from app.services.install import create_install
from db.repositories import devices_repo
from tests.conftest import DSL_PASSWORD, PASSPHRASE
from tests.net.kit import admit, outgoing, run

EPOCH = "0193a0b4-0000-7000-8000-000000000001"


async def _hello(client: SyncClient) -> object:
    async with client:
        return await client.hello(EPOCH, "1.0.0")


def _refusal(client: SyncClient) -> SyncRefused:
    with pytest.raises(SyncRefused) as caught:
        run(_hello(client))
    return caught.value


def _context_with(install, cert, key) -> ssl.SSLContext:  # type: ignore[no-untyped-def]
    return tls.client_context(devices.ca_certificate(install), devices.ca_pin(install), cert, key)


def test_no_client_certificate_is_refused(install, server) -> None:  # type: ignore[no-untyped-def]
    bare = tls.client_context(devices.ca_certificate(install), devices.ca_pin(install))
    refusal = _refusal(SyncClient(f"https://127.0.0.1:{server.port}", bare, str(uuid.uuid4())))
    assert (refusal.status, refusal.reason) == (401, "a device certificate is required")


def test_a_self_signed_certificate_fails_the_handshake(install, server) -> None:  # type: ignore[no-untyped-def]
    key = Ed25519PrivateKey.generate()
    self_signed = pki.ca_certificate(key, "Nobody")
    client = SyncClient(f"https://127.0.0.1:{server.port}",
                        _context_with(install, self_signed, key), str(uuid.uuid4()))
    assert _refusal(client).status == 0  # the TLS layer refused it; no HTTP exchange at all


def test_a_certificate_from_another_ca_fails_the_handshake(install, server) -> None:  # type: ignore[no-untyped-def]
    other_ca_key = Ed25519PrivateKey.generate()
    other_ca = pki.ca_certificate(other_ca_key, "Another School")
    key = Ed25519PrivateKey.generate()
    cert = pki.issue_device_certificate(other_ca_key, other_ca, key.public_key(),
                                        str(uuid.uuid4()))
    client = SyncClient(f"https://127.0.0.1:{server.port}", _context_with(install, cert, key),
                        str(uuid.uuid4()))
    assert _refusal(client).status == 0


def test_a_revoked_device_is_refused_on_its_next_request(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    run(_hello(device.client()))
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    with install.reading() as db:
        device_id = devices_repo.by_uuid(db, device.uuid).id  # type: ignore[union-attr]
    devices.revoke_device(install, dsl, device_id, "laptop reported stolen")
    refusal = _refusal(device.client())
    assert refusal.status == 403 and "revoked" in refusal.reason


def test_a_tls_12_only_client_is_refused(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    old = device.context()
    old.minimum_version = ssl.TLSVersion.TLSv1_2
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    assert _refusal(device.client(old)).status == 0


def test_a_client_refuses_a_console_whose_ca_is_not_the_pinned_one(install, tmp_path) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, 0)
    rogue, _ = create_install(tmp_path / "rogue", "Rogue", "dsl", "R", DSL_PASSWORD,
                              key_mode="passphrase", passphrase=PASSPHRASE)
    requests: list[str] = []

    async def go() -> SyncRefused:
        async def record(request: web.Request) -> web.Response:
            requests.append(request.path)
            return web.json_response({})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        runner = web.AppRunner(app)
        await runner.setup()
        rogue_key = Ed25519PrivateKey.generate()
        rogue_ca = devices.ca_certificate(rogue)
        cert = pki.issue_server_certificate(rogue.keys.school_ca_key, rogue_ca,
                                            rogue_key.public_key(), ["127.0.0.1"])
        site = web.TCPSite(runner, "127.0.0.1", 0,
                           ssl_context=tls.server_context(rogue_ca, cert, rogue_key))
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with SyncClient(f"https://127.0.0.1:{port}", device.context(),
                                  device.uuid) as client:
                await client.hello(EPOCH, "1.0.0")
        except SyncRefused as exc:
            return exc
        finally:
            await runner.cleanup()
        raise AssertionError("the client talked to a rogue console")

    refusal = run(go())
    rogue.close()
    assert refusal.status == 0 and requests == []
    with pytest.raises(Exception, match="pinned CA"):  # and a wrong CA is refused up front
        tls.client_context(devices.ca_certificate(rogue), devices.ca_pin(install))


# --- hostile bodies -------------------------------------------------------------------------

def _b64(n: int) -> str:
    return base64.b64encode(b"\x01" * n).decode()


def _hello_doc(device_uuid: str, **changes: object) -> dict[str, object]:
    doc: dict[str, object] = {"device": device_uuid, "agent_version": "1.0.0",
                              "sent_at": datetime.now(UTC).isoformat(), "epoch": EPOCH,
                              "outbox_depth": 0, "screenshots_dropped": 0}
    doc.update(changes)
    return doc


async def _stream(size: int, chunk: int = 1 << 16):  # type: ignore[no-untyped-def]
    sent = 0
    while sent < size:
        yield b"{" if sent == 0 else b" " * min(chunk, size - sent)
        sent += chunk


HOSTILE_HELLOS = {
    "garbage bytes": lambda u: b"\xff\x00\xfe garbage",
    "not an object": lambda u: b"[1, 2, 3]",
    "deep nesting": lambda u: b"[" * 200_000 + b"]" * 200_000,
    "unknown field": lambda u: json.dumps(_hello_doc(u, extra=1)).encode(),
    "wrong type": lambda u: json.dumps(_hello_doc(u, outbox_depth="many")).encode(),
    "bool for a count": lambda u: json.dumps(_hello_doc(u, outbox_depth=True)).encode(),
    "negative count": lambda u: json.dumps(_hello_doc(u, outbox_depth=-1)).encode(),
    "naive time": lambda u: json.dumps(_hello_doc(u, sent_at="2026-11-27T10:00:00")).encode(),
    "other device": lambda u: json.dumps(_hello_doc(str(uuid.uuid4()))).encode(),
    "huge integer": lambda u: b'{"outbox_depth": ' + b"9" * 5000 + b"}",
}

HOSTILE_BATCHES = {
    "1,000 items": {"epoch": EPOCH, "items": [
        {"manifest": _b64(10), "signature": _b64(64), "content": _b64(10)}] * 1000},
    "bad base64": {"epoch": EPOCH, "items": [
        {"manifest": "!!not base64!!", "signature": _b64(64), "content": _b64(10)}]},
    "short signature": {"epoch": EPOCH, "items": [
        {"manifest": _b64(10), "signature": _b64(10), "content": _b64(10)}]},
    "items not a list": {"epoch": EPOCH, "items": {"a": 1}},
    "no items": {"epoch": EPOCH, "items": []},
}


def test_hostile_bodies_get_a_400_with_a_reason_and_others_are_still_served(install,
                                                                            server) -> None:  # type: ignore[no-untyped-def]
    attacker, bystander = admit(install, server.port), admit(install, server.port, "pc-2")
    base = f"https://127.0.0.1:{server.port}"

    async def go() -> dict[str, tuple[int, str]]:
        answers: dict[str, tuple[int, str]] = {}
        connector = aiohttp.TCPConnector(ssl=attacker.context())
        async with aiohttp.ClientSession(connector=connector) as session:
            async def send(name: str, path: str, body: object, **headers: str) -> None:
                async with session.post(base + path, data=body, headers=headers) as r:
                    answers[name] = (r.status, (await r.json())["error"])

            for name, make in HOSTILE_HELLOS.items():
                await send(name, "/v1/hello", make(attacker.uuid))
            for name, doc in HOSTILE_BATCHES.items():
                await send(name, "/v1/incidents:batch", json.dumps(doc).encode())
            await send("2 MiB streamed", "/v1/hello", _stream(2 * 1024 * 1024))
        return answers

    answers = run(go())
    for name in (*HOSTILE_HELLOS, *HOSTILE_BATCHES):
        status, reason = answers[name]
        assert status == 400 and reason, name
    assert answers["2 MiB streamed"][0] == 413
    assert "a batch holds 1 to 50 items" in answers["1,000 items"][1]
    assert "unknown field" in answers["unknown field"][1]
    assert "nested too deeply" in answers["deep nesting"][1]
    run(_hello(bystander.client()))  # still served


def test_oversized_and_overlong_evidence_uploads_are_refused(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    base = f"https://127.0.0.1:{server.port}/v1/blobs/" + "ab" * 32

    async def go() -> list[int]:
        statuses = []
        async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=device.context())) as session:
            big = 17 * 1024 * 1024
            for length in (big, 1000):  # declared too big; declared small but sends 17 MiB
                headers = {"Upload-Offset": "0", "Upload-Length": str(length)}
                async with session.put(base, data=_stream(big), headers=headers) as r:
                    statuses.append(r.status)
        return statuses

    assert run(go()) == [413, 413]


def test_a_bad_signature_is_rejected_and_nothing_is_stored(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    sealed = device.incident(screenshot=False)
    forged = outgoing(sealed).__class__(sealed.manifest, bytes(64), sealed.content)

    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            return await client.send_batch(EPOCH, [forged])

    (result,) = run(go())
    assert result["result"] == "rejected" and "signature" in result["reason"]


@pytest.mark.parametrize("field", ["epoch", "agent_version", "device"])
def test_a_trailing_newline_is_not_a_valid_value(field: str) -> None:
    """`$` in a pattern also matches before a final newline; every field is matched whole."""
    from app.net.schemas import ProtocolError, parse_hello

    device = "0193a0b4-0000-7000-8000-0000000000aa"
    doc = _hello_doc(device)
    doc[field] = f"{doc[field]}\n"
    with pytest.raises(ProtocolError):
        parse_hello(doc)
