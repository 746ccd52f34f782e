"""Test devices for the sync tests: a real key, a certificate from the install's real CA, a
real TLS client context, and real sealed, signed incidents with a rendered PNG screenshot."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from PIL import Image, ImageDraw

from app.agent.incident import Capture, Screenshot, SealedIncident, seal_incident
from app.domain.content import IncidentContent, MatchSpan
from app.domain.dto import Actor
from app.domain.enums import Source
from app.net import tls
from app.net.client import OutgoingIncident, SyncClient
from app.services import devices
from app.services.console import Console

T = TypeVar("T")


@dataclass
class KitDevice:
    uuid: str
    key: Ed25519PrivateKey
    cert: x509.Certificate
    console: Console
    port: int
    seq: int = 0

    def client(self, context: tls.ssl.SSLContext | None = None) -> SyncClient:
        return SyncClient(f"https://127.0.0.1:{self.port}", context or self.context(),
                          self.uuid)

    def context(self) -> tls.ssl.SSLContext:
        return tls.client_context(devices.ca_certificate(self.console),
                                  devices.ca_pin(self.console), self.cert, self.key)

    def incident(self, text: str = "you should kill yourself", screenshot: bool = True,
                 category: str = "bullying", severity: int = 4,
                 incident_uuid: str | None = None,
                 evidence_key: X25519PublicKey | None = None) -> SealedIncident:
        self.seq += 1
        start = max(0, text.find("kill"))
        content = IncidentContent("Chat", "Class chat", None, text,
                                  (MatchSpan(text[start:start + 4], start, start + 4, "bu-0001",
                                             ((10, 10, 40, 12),)),))
        shot = Screenshot(_png(text), "image/png", 320, 40) if screenshot else None
        capture = Capture(datetime.now(UTC), category, severity,
                          Source.SCREEN if screenshot else Source.TYPED, "2026.11.0",
                          "pupil.one", content, shot)
        return seal_incident(capture, self.uuid, self.key,
                             evidence_key or self.console.keys.evidence_public_key, self.seq,
                             incident_uuid)


def admit(console: Console, port: int, hostname: str = "lab-pc-01") -> KitDevice:
    key = Ed25519PrivateKey.generate()
    device_uuid = str(uuid.uuid4())
    admitted = devices.admit_device(console, Actor.system("test-enrolment"), device_uuid,
                                    hostname, key.public_key())
    return KitDevice(device_uuid, key, x509.load_der_x509_certificate(admitted.certificate),
                      console, port)


def outgoing(sealed: SealedIncident) -> OutgoingIncident:
    return OutgoingIncident(sealed.manifest, sealed.signature, sealed.content, sealed.blobs)


def run(coroutine: Awaitable[T]) -> T:
    return asyncio.run(_awaited(coroutine))


async def _awaited(coroutine: Awaitable[T]) -> T:
    return await coroutine


def _png(text: str) -> bytes:
    image = Image.new("RGB", (320, 40), "white")
    ImageDraw.Draw(image).text((10, 10), text, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
