"""Sealing evidence to the school's evidence key, and device signatures over manifests.

Each item gets a fresh AES-256-GCM data key. The data key is wrapped to the school's X25519
evidence public key with HPKE (RFC 9180, DHKEM-X25519 / HKDF-SHA256 / AES-256-GCM, as
implemented by `cryptography`). The AAD names the incident and the item's role, and is also the
HPKE `info`, so neither the wrapped key nor the ciphertext can be moved to another incident or
swapped between a screenshot and a manifest. Whoever holds only the public key (a device, the
receiver) can seal but never open.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.errors import IntegrityError

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_NONCE = 12


@dataclass(frozen=True)
class Sealed:
    """A sealed item: the HPKE-wrapped data key and nonce‖AES-GCM ciphertext."""

    wrapped_key: bytes
    ciphertext: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.ciphertext).hexdigest()


def seal_aad(incident_uuid: str, role: str) -> bytes:
    return f"kestrel-evidence/v1/{incident_uuid}/{role}".encode()


def seal(plaintext: bytes, public_key: X25519PublicKey, aad: bytes) -> Sealed:
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE)
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
    return Sealed(_SUITE.encrypt(data_key, public_key, info=aad), ciphertext)


def open_sealed(sealed: Sealed, private_key: X25519PrivateKey, aad: bytes) -> bytes:
    """Decrypt into memory; any mismatch (wrong key, wrong incident, altered bytes) raises
    IntegrityError and returns nothing."""
    try:
        data_key = _SUITE.decrypt(sealed.wrapped_key, private_key, info=aad)
        nonce, body = sealed.ciphertext[:_NONCE], sealed.ciphertext[_NONCE:]
        return AESGCM(data_key).decrypt(nonce, body, aad)
    except (InvalidTag, ValueError) as exc:
        raise IntegrityError("This evidence does not open: it was altered, or belongs to "
                             f"another incident ({type(exc).__name__}).") from None


def sign_manifest(device_key: Ed25519PrivateKey, manifest: bytes) -> bytes:
    return device_key.sign(manifest)


def verify_manifest(device_public_key: Ed25519PublicKey, manifest: bytes,
                    signature: bytes) -> bool:
    try:
        device_public_key.verify(signature, manifest)
    except InvalidSignature:
        return False
    return True
