"""Staff passwords (Argon2id hashes) and per-user key slots.

A key slot wraps a long-term private key (the evidence key) with a key derived from the user's
password by Argon2id with its own salt, so the key is open only while that user is signed in.
The hash that checks the password and the key that opens the slot come from separate Argon2id
runs with separate salts: knowing the stored hash does not open the slot.
"""

from __future__ import annotations

import json
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.errors import ValidationError
from app.security.primitives import (
    ARGON2_LANES,
    ARGON2_MEMORY_KIB,
    ARGON2_TIME,
    argon2_kek,
    b64d,
    b64e,
    unwrap,
    wrap,
)

_HASHER = PasswordHasher(time_cost=ARGON2_TIME, memory_cost=ARGON2_MEMORY_KIB,
                         parallelism=ARGON2_LANES)
MIN_PASSWORD = 10


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Passwords must be at least {MIN_PASSWORD} characters long.")
    if password.strip() != password:
        raise ValidationError("Passwords cannot start or end with a space.")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _slot_aad(user_id: int, purpose: str) -> bytes:
    return f"kestrel-slot/{user_id}/{purpose}".encode()


def make_slot(user_id: int, purpose: str, password: str,
              private_key: X25519PrivateKey) -> tuple[str, bytes]:
    """Return (kdf description JSON, wrapped key) for storage in key_slots."""
    salt = os.urandom(16)
    kdf = {"alg": "argon2id", "salt": b64e(salt), "t": ARGON2_TIME, "m": ARGON2_MEMORY_KIB,
           "p": ARGON2_LANES}
    kek = argon2_kek(password, salt)
    return json.dumps(kdf), wrap(kek, private_key.private_bytes_raw(),
                                 _slot_aad(user_id, purpose))


def open_slot(user_id: int, purpose: str, password: str, kdf_json: str,
              wrapped: bytes) -> X25519PrivateKey:
    kdf = json.loads(kdf_json)
    kek = argon2_kek(password, b64d(kdf["salt"]), kdf["t"], kdf["m"], kdf["p"])
    raw = unwrap(kek, wrapped, _slot_aad(user_id, purpose), "password")
    return X25519PrivateKey.from_private_bytes(raw)
