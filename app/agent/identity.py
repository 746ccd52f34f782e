"""Who this device is to the school: its key, its certificate, the console it reports to.

Kept in the agent's folder: `device-key.pem` (the Ed25519 key made here at enrolment; owner-only,
never sent anywhere — the console only ever sees its public half) and `agent.json` (device id,
host name, console addresses, the pinned CA and, once approved, the device certificate). Every
file is checked when read; a damaged one is a one-line reason in `agent status`, never a guess.

Enrolment is `enrol_with_bundle` / `enrol_with_code` (app.net.enrol_client); a device that is
still waiting for approval keeps its request id and asks again on the next start.
"""

from __future__ import annotations

import json
import socket
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import ValidationError
from app.fileio import write_atomically
from app.security import pki

IDENTITY_FILE = "agent.json"
KEY_FILE = "device-key.pem"
FORMAT = 1


class NotEnrolledError(ValidationError):
    """The agent has no (approved) enrolment; the message says what to do."""


@dataclass(frozen=True)
class Identity:
    device_uuid: str
    hostname: str
    school: str
    consoles: tuple[str, ...]
    ca_pin: str
    ca_certificate: str  # PEM
    certificate: str | None = None  # PEM, once approved
    request_id: str | None = None  # while waiting for approval
    evidence_key: str = ""  # base64 of the school's X25519 public key incidents are sealed to

    @property
    def approved(self) -> bool:
        return self.certificate is not None

    def ca(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.ca_certificate.encode())

    def device_certificate(self) -> x509.Certificate:
        if self.certificate is None:
            raise NotEnrolledError("This device is waiting for approval on the console.")
        return x509.load_pem_x509_certificate(self.certificate.encode())


def new_device() -> tuple[str, str, Ed25519PrivateKey]:
    """A fresh device id, this computer's name and a new key — in memory only, so a failed
    enrolment leaves a working one untouched (`save` writes them once the console agreed)."""
    return str(uuid.uuid4()), socket.gethostname()[:255] or "device", \
        Ed25519PrivateKey.generate()


def load_key(folder: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key((folder / KEY_FILE).read_bytes(), None)
    except FileNotFoundError:
        raise NotEnrolledError("This device is not enrolled: run `agent enrol --bundle FILE` "
                               "or `agent enrol --code CODE`.") from None
    except (ValueError, TypeError, OSError) as exc:
        raise ValidationError(f"The device key {folder / KEY_FILE} cannot be read ({exc}); "
                              "enrol again.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError("The device key is not an Ed25519 key; enrol again.")
    return key


def save(folder: Path, identity: Identity, key: Ed25519PrivateKey | None = None) -> None:
    """Write the identity (and, at enrolment, its new key first: owner-only)."""
    folder.mkdir(parents=True, exist_ok=True)
    if key is not None:
        write_atomically(folder / KEY_FILE, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    doc = {"format": FORMAT, **asdict(identity), "consoles": list(identity.consoles)}
    write_atomically(folder / IDENTITY_FILE, json.dumps(doc, indent=2).encode())


def load(folder: Path) -> Identity:
    path = folder / IDENTITY_FILE
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotEnrolledError("This device is not enrolled: run `agent enrol --bundle FILE` "
                               "or `agent enrol --code CODE`.") from None
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{path} cannot be read ({exc}); enrol again.") from None
    try:
        if doc.pop("format") != FORMAT:
            raise ValueError("an unknown format")
        identity = Identity(**{**doc, "consoles": tuple(doc["consoles"])})
        if pki.certificate_pin(identity.ca()) != identity.ca_pin:
            raise ValueError("its CA certificate does not match its pin")
        if identity.certificate is not None:
            identity.device_certificate()
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"{path} is damaged ({exc}); enrol again.") from None
    return identity


def with_certificate(identity: Identity, der: bytes) -> Identity:
    cert = x509.load_der_x509_certificate(der)
    return replace(identity, certificate=pki.pem(cert).decode("ascii"), request_id=None)
