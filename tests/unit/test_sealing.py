"""Evidence sealing: only the evidence private key opens it, and only for its own incident."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.errors import IntegrityError
from app.security.sealing import Sealed, open_sealed, seal, seal_aad
from app.services.evidence_store import pack, unpack


@pytest.fixture
def key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def test_sealed_item_opens_with_the_evidence_key(key: X25519PrivateKey) -> None:
    aad = seal_aad("0a1b", "screenshot")
    sealed = unpack(pack(seal(b"pixels", key.public_key(), aad)))
    assert open_sealed(sealed, key, aad) == b"pixels"
    assert b"pixels" not in sealed.ciphertext


def test_sealed_item_refuses_another_incident_or_role(key: X25519PrivateKey) -> None:
    sealed = seal(b"pixels", key.public_key(), seal_aad("incident-a", "screenshot"))
    with pytest.raises(IntegrityError):
        open_sealed(sealed, key, seal_aad("incident-b", "screenshot"))
    with pytest.raises(IntegrityError):
        open_sealed(sealed, key, seal_aad("incident-a", "content"))


def test_altered_ciphertext_or_wrong_key_fails_closed(key: X25519PrivateKey) -> None:
    aad = seal_aad("x", "content")
    sealed = seal(b"words", key.public_key(), aad)
    flipped = bytearray(sealed.ciphertext)
    flipped[-1] ^= 1
    with pytest.raises(IntegrityError):
        open_sealed(Sealed(sealed.wrapped_key, bytes(flipped)), key, aad)
    with pytest.raises(IntegrityError):
        open_sealed(sealed, X25519PrivateKey.generate(), aad)


def test_a_non_kestrel_file_is_not_unpacked() -> None:
    with pytest.raises(IntegrityError):
        unpack(b"\x89PNG\r\n")
