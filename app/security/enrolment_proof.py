"""The pure parts of enrolment both sides compute (DESIGN §7): the proof of a secret, a
device's short id, and the typed code's layout. No I/O; the device and the console import it.

A typed code is `PPPP-PPPP-PPPP-IIII-SSSS-SSSS-SSSS`: 60 bits of the CA pin, a code id and 60
bits of secret, in an alphabet without I, L, O and U (read as 1, 1, 0 and V when typed).
"""

from __future__ import annotations

import hashlib
import hmac

from app.errors import ValidationError

PROOF_LABEL = b"kestrel-enrol/v1"
PIN_GROUPS, SECRET_GROUPS = 3, 3
B32 = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"


def proof(secret: bytes, nonce: bytes, csr: bytes, console_cert_der: bytes) -> bytes:
    message = (PROOF_LABEL + nonce + hashlib.sha256(csr).digest()
               + hashlib.sha256(console_cert_der).digest())
    return hmac.new(secret, message, hashlib.sha256).digest()


def short_id(public_key: bytes) -> str:
    digest = int.from_bytes(hashlib.sha256(public_key).digest()[:5])
    chars = "".join(B32[(digest >> (35 - 5 * i)) & 31] for i in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def pin_prefix(pin_hex: str) -> str:
    """The CA pin's first 60 bits in the code alphabet (what a typed code carries)."""
    bits = int(pin_hex[:16], 16) >> 4
    return "".join(B32[(bits >> (55 - 5 * i)) & 31] for i in range(4 * PIN_GROUPS))


def split_code(code: str) -> tuple[str, str, str]:
    """(pin prefix, code id, secret) of a typed code, forgiving case, spaces and dashes."""
    clean = "".join(c for c in code.upper() if c.isalnum())
    clean = clean.translate(str.maketrans("ILOU", "110V"))
    if len(clean) != 4 * (PIN_GROUPS + 1 + SECRET_GROUPS) or any(c not in B32 for c in clean):
        raise ValidationError("An enrolment code is 7 groups of 4 letters and digits.")
    pin_len = 4 * PIN_GROUPS
    return clean[:pin_len], clean[pin_len:pin_len + 4], clean[pin_len + 4:]
