"""A device enrolling: from a bundle or a typed code to a certificate from the school CA.

With a bundle the device already holds the CA certificate and its pin. With a typed code it
holds only 60 bits of the pin: it fetches the CA certificate, checks those bits, and from then on
pins that CA — a console whose CA does not match is told nothing. Either way the proof of the
secret is bound to the console certificate the device actually sees (app.services.enrolment).

Threading: asyncio.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import ValidationError
from app.net import tls
from app.net.client import SyncRefused
from app.security import pki
from app.security.enrolment_proof import pin_prefix, proof, split_code

POLL_S = 5.0


@dataclass(frozen=True)
class Bundle:
    school: str
    consoles: tuple[str, ...]
    ca_pin: str
    ca_certificate: x509.Certificate
    token_id: str
    token_secret: bytes


@dataclass(frozen=True)
class Enrolled:
    request_id: str
    state: str  # "approved" or "pending"
    short_id: str
    certificate: x509.Certificate | None
    ca_certificate: x509.Certificate
    ca_pin: str
    evidence_key: bytes = b""  # the school's X25519 key devices seal to (raw, 32 bytes)


def read_bundle(raw: bytes) -> Bundle:
    """An enrolment bundle file, checked: the CA certificate must match the pin beside it."""
    try:
        doc = json.loads(raw)
        if doc.get("kestrel_enrolment") != 1:
            raise ValueError("not a Kestrel enrolment bundle")
        ca = x509.load_pem_x509_certificate(str(doc["ca_certificate"]).encode())
        bundle = Bundle(str(doc["school"]), tuple(str(c) for c in doc["console"]),
                        str(doc["ca_pin"]), ca, str(doc["token_id"]),
                        base64.b64decode(doc["token_secret"], validate=True))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"The enrolment bundle cannot be read ({exc}).") from None
    if pki.certificate_pin(bundle.ca_certificate) != bundle.ca_pin:
        raise ValidationError("The enrolment bundle's CA certificate does not match its pin.")
    return bundle


async def enrol_with_bundle(bundle: Bundle, address: str, device_key: Ed25519PrivateKey,
                            device_uuid: str, hostname: str) -> Enrolled:
    return await _enrol(address, bundle.ca_certificate, bundle.ca_pin, device_key, device_uuid,
                        hostname, bundle.token_secret, {"token_id": bundle.token_id})


async def enrol_with_code(code: str, address: str, device_key: Ed25519PrivateKey,
                          device_uuid: str, hostname: str) -> Enrolled:
    prefix, code_id, secret = split_code(code)
    ca = await fetch_ca(address)
    pin = pki.certificate_pin(ca)
    if pin_prefix(pin) != prefix:
        raise SyncRefused(0, "the console at that address is not the one the code names")
    return await _enrol(address, ca, pin, device_key, device_uuid, hostname, secret.encode(),
                        {"code_id": code_id})


async def wait_for_approval(enrolled: Enrolled, address: str, timeout_s: float) -> Enrolled:
    """Ask again every few seconds until staff approve (or `timeout_s` passes)."""
    context = tls.client_context(enrolled.ca_certificate, enrolled.ca_pin)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        doc = await _call(context, "GET", f"https://{address}/v1/enrol/{enrolled.request_id}")
        answer = _answer(doc, enrolled.ca_certificate, enrolled.ca_pin)
        if answer.state != "pending" or loop.time() >= deadline:
            return answer
        await asyncio.sleep(POLL_S)


async def fetch_ca(address: str) -> x509.Certificate:
    """The CA certificate a console offers — unverified until the caller checks its pin."""
    blind = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    blind.minimum_version = ssl.TLSVersion.TLSv1_3
    blind.check_hostname = False
    blind.verify_mode = ssl.CERT_NONE  # trust comes from the pin check that follows
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=blind)) as session:
        try:
            async with session.get(f"https://{address}/v1/ca") as response:
                body = await response.read()
        except (aiohttp.ClientError, OSError) as exc:
            raise SyncRefused(0, f"the console could not be reached ({type(exc).__name__})"
                              ) from None
    try:
        return x509.load_pem_x509_certificate(body)
    except ValueError:
        raise SyncRefused(response.status, "the console sent no CA certificate") from None


async def console_certificate(address: str, context: ssl.SSLContext) -> bytes:
    """The DER certificate the console presents to this device, verified against the pin."""
    host, _, port = address.rpartition(":")
    try:
        _reader, writer = await asyncio.open_connection(host, int(port), ssl=context,
                                                        server_hostname=host)
    except (OSError, ssl.SSLError) as exc:
        raise SyncRefused(0, f"the console could not be reached ({type(exc).__name__})"
                          ) from None
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    await writer.wait_closed()
    return bytes(der)


async def _enrol(address: str, ca: x509.Certificate, pin: str, device_key: Ed25519PrivateKey,
                 device_uuid: str, hostname: str, secret: bytes,
                 which: dict[str, str]) -> Enrolled:
    context = tls.client_context(ca, pin)
    seen = await console_certificate(address, context)
    csr = pki.make_csr(device_key, device_uuid)
    nonce = secrets.token_bytes(32)
    doc = {"device": device_uuid, "hostname": hostname, **which,
           "csr": _b64(csr), "nonce": _b64(nonce), "proof": _b64(proof(secret, nonce, csr, seen))}
    return _answer(await _call(context, "POST", f"https://{address}/v1/enrol", doc), ca, pin)


async def _call(context: ssl.SSLContext, method: str, url: str,
                doc: dict[str, Any] | None = None) -> Any:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
        try:
            async with session.request(method, url, json=doc) as response:
                payload = await response.read()
        except (aiohttp.ClientError, OSError) as exc:
            raise SyncRefused(0, f"the console could not be reached ({type(exc).__name__})"
                              ) from None
    try:
        answer = json.loads(payload)
    except ValueError:
        raise SyncRefused(response.status, "the console's answer is not JSON") from None
    if response.status >= 400:
        raise SyncRefused(response.status, str(answer.get("error", ""))[:500])
    return answer


def _answer(doc: Any, ca: x509.Certificate, pin: str) -> Enrolled:
    cert = doc.get("certificate")
    return Enrolled(str(doc["request_id"]), str(doc["state"]), str(doc["short_id"]),
                    x509.load_der_x509_certificate(base64.b64decode(cert)) if cert else None,
                    ca, pin, base64.b64decode(doc.get("evidence_public_key", "")))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
