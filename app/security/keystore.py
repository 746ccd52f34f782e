"""The keystore file: long-term keys wrapped by the install key.

Layout (`keystore.json`, nothing in it is readable without a key):
- the install key itself lives in the OS keyring (keyring mode) or is wrapped by an Argon2id
  key from a passphrase (passphrase mode); a second copy is wrapped by the printed recovery key;
- the SQLCipher database key, the school CA signing key and the audit signing key are wrapped
  by the install key;
- the evidence private key is NOT wrapped by the install key (the receiver and the IT technician
  never hold it): it lives in per-user slots in the database, plus one break-glass copy here
  wrapped by the recovery key.
Every wrap binds the install id and the key's name as AAD.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.errors import ConfigError, KeyUnavailableError
from app.fileio import write_atomically
from app.security import keyring_store
from app.security.primitives import (
    argon2_kek,
    b64d,
    b64e,
    hkdf_kek,
    random_key,
    unwrap,
    wrap,
)
from app.security.recovery import format_recovery_key, new_recovery_key, parse_recovery_key

KEYSTORE_VERSION = 1
_WRAPPED_KEYS = ("database", "audit_signing", "school_ca")


@dataclass(frozen=True)
class OpenKeys:
    """The keys a running console holds in memory after opening the keystore."""

    install_id: str
    database_key: bytes
    audit_signing_key: Ed25519PrivateKey
    school_ca_key: Ed25519PrivateKey
    evidence_public_key: X25519PublicKey

    @property
    def audit_public_key(self) -> Ed25519PublicKey:
        return self.audit_signing_key.public_key()


@dataclass(frozen=True)
class NewInstall:
    """What creating a keystore hands back once: keys, the recovery key to show, and the
    evidence private key for the first DSL's slot (never written unwrapped anywhere)."""

    keys: OpenKeys
    recovery_key: str
    evidence_private_key: X25519PrivateKey


def _aad(install_id: str, name: str) -> bytes:
    return f"kestrel/{install_id}/{name}".encode()


def _raw_public(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def create_keystore(path: Path, install_id: str, key_mode: str,
                    passphrase: str | None = None) -> NewInstall:
    """Generate every long-term key, write the keystore atomically and (keyring mode) put the
    install key in the OS keyring. Refuses to overwrite an existing keystore."""
    if path.exists():
        raise ConfigError(f"A keystore already exists at {path}; refusing to replace it.")
    install_key = random_key()
    recovery_raw = new_recovery_key()
    recovery_salt = os.urandom(16)
    recovery_kek = hkdf_kek(recovery_raw, recovery_salt, b"kestrel recovery key")
    evidence_private = X25519PrivateKey.generate()
    secrets = {
        "database": random_key(),
        "audit_signing": Ed25519PrivateKey.generate().private_bytes_raw(),
        "school_ca": Ed25519PrivateKey.generate().private_bytes_raw(),
    }
    doc: dict[str, Any] = {
        "version": KEYSTORE_VERSION,
        "install_id": install_id,
        "key_mode": key_mode,
        "wrapped": {n: b64e(wrap(install_key, secrets[n], _aad(install_id, n)))
                    for n in _WRAPPED_KEYS},
        "evidence_public_key": b64e(_raw_public(evidence_private.public_key())),
        "recovery": {
            "salt": b64e(recovery_salt),
            "install_key": b64e(wrap(recovery_kek, install_key, _aad(install_id, "install"))),
            "evidence_private_key": b64e(wrap(recovery_kek, evidence_private.private_bytes_raw(),
                                              _aad(install_id, "evidence"))),
        },
    }
    if key_mode == "passphrase":
        doc["passphrase"] = _passphrase_slot(install_id, install_key, _require(passphrase))
    else:
        keyring_store.store_install_key(install_id, install_key)
    _write_atomically(path, doc)
    keys = _open_with_install_key(doc, install_key)
    return NewInstall(keys, format_recovery_key(recovery_raw), evidence_private)


def open_keystore(path: Path, passphrase: str | None = None) -> OpenKeys:
    """Open the keystore with the keyring entry or the passphrase, as its mode says."""
    doc = _read(path)
    install_id = doc["install_id"]
    if doc["key_mode"] == "passphrase":
        slot = doc["passphrase"]
        kek = argon2_kek(_require(passphrase), b64d(slot["salt"]))
        install_key = unwrap(kek, b64d(slot["install_key"]), _aad(install_id, "install"),
                             "passphrase")
    else:
        install_key = keyring_store.load_install_key(install_id)
    return _open_with_install_key(doc, install_key)


def recover_with_key(path: Path, recovery_text: str,
                     new_passphrase: str | None = None) -> tuple[OpenKeys, X25519PrivateKey]:
    """Restore access with the printed recovery key: put the install key back in the keyring
    (or re-wrap it under a new passphrase) and return the keys plus the evidence private key,
    so the caller can re-issue a DSL's evidence slot."""
    doc = _read(path)
    install_id = doc["install_id"]
    rec = doc["recovery"]
    kek = hkdf_kek(parse_recovery_key(recovery_text), b64d(rec["salt"]), b"kestrel recovery key")
    install_key = unwrap(kek, b64d(rec["install_key"]), _aad(install_id, "install"),
                         "recovery key")
    evidence_raw = unwrap(kek, b64d(rec["evidence_private_key"]), _aad(install_id, "evidence"),
                          "recovery key")
    if doc["key_mode"] == "passphrase":
        doc["passphrase"] = _passphrase_slot(install_id, install_key, _require(new_passphrase))
        _write_atomically(path, doc)
    else:
        keyring_store.store_install_key(install_id, install_key)
    keys = _open_with_install_key(doc, install_key)
    return keys, X25519PrivateKey.from_private_bytes(evidence_raw)


def _open_with_install_key(doc: dict[str, Any], install_key: bytes) -> OpenKeys:
    install_id = doc["install_id"]
    opened = {n: unwrap(install_key, b64d(doc["wrapped"][n]), _aad(install_id, n), "install key")
              for n in _WRAPPED_KEYS}
    return OpenKeys(
        install_id=install_id,
        database_key=opened["database"],
        audit_signing_key=Ed25519PrivateKey.from_private_bytes(opened["audit_signing"]),
        school_ca_key=Ed25519PrivateKey.from_private_bytes(opened["school_ca"]),
        evidence_public_key=X25519PublicKey.from_public_bytes(b64d(doc["evidence_public_key"])),
    )


def _passphrase_slot(install_id: str, install_key: bytes, passphrase: str) -> dict[str, str]:
    salt = os.urandom(16)
    kek = argon2_kek(passphrase, salt)
    return {"salt": b64e(salt),
            "install_key": b64e(wrap(kek, install_key, _aad(install_id, "install")))}


def _require(passphrase: str | None) -> str:
    if not passphrase:
        raise KeyUnavailableError("This Kestrel install is in passphrase mode: enter the "
                                  "install passphrase to open it.")
    return passphrase


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"There is no keystore at {path}.") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The keystore {path} cannot be read ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("version") != KEYSTORE_VERSION:
        raise ConfigError(f"The keystore {path} is not a Kestrel keystore of version "
                          f"{KEYSTORE_VERSION}.")
    return doc


def _write_atomically(path: Path, doc: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(doc, indent=2, sort_keys=True).encode("utf-8"))
