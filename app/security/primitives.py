"""Small cryptographic building blocks used by the keystore, key slots and sealing.

All symmetric wrapping is AES-256-GCM with a random 96-bit nonce stored in front of the
ciphertext, and an AAD that names what is wrapped, so a wrapped value cannot be swapped for
another one of a different purpose.
"""

from __future__ import annotations

import base64
import os

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.errors import KeyUnavailableError

NONCE = 12
ARGON2_TIME = 3
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_LANES = 2


def random_key() -> bytes:
    return os.urandom(32)


def wrap(kek: bytes, secret: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, secret, aad)


def unwrap(kek: bytes, blob: bytes, aad: bytes, what: str) -> bytes:
    """Unwrap or raise KeyUnavailableError naming `what` (wrong key, or tampered blob)."""
    try:
        return AESGCM(kek).decrypt(blob[:NONCE], blob[NONCE:], aad)
    except (InvalidTag, ValueError):
        raise KeyUnavailableError(f"The {what} does not open this key.") from None


def argon2_kek(secret: str, salt: bytes, time_cost: int = ARGON2_TIME,
               memory_kib: int = ARGON2_MEMORY_KIB, lanes: int = ARGON2_LANES) -> bytes:
    """A 256-bit key-encryption key from a password or passphrase (Argon2id)."""
    return hash_secret_raw(secret.encode("utf-8"), salt, time_cost=time_cost,
                           memory_cost=memory_kib, parallelism=lanes, hash_len=32,
                           type=Type.ID)


def hkdf_kek(material: bytes, salt: bytes, info: bytes) -> bytes:
    """A key-encryption key from high-entropy material (the recovery key)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(material)


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
