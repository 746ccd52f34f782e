"""The printed recovery key: 200 random bits written as eight groups of five characters.

Base32 without the easily confused letters is not worth a custom alphabet here: RFC 4648 base32
has no 0/1/8/9, and parsing forgives case, spaces and dashes, which is what people get wrong
when typing from paper.
"""

from __future__ import annotations

import base64
import os

from app.errors import ValidationError

RECOVERY_BYTES = 25  # 200 bits → 40 base32 characters, no padding
GROUP = 5


def new_recovery_key() -> bytes:
    return os.urandom(RECOVERY_BYTES)


def format_recovery_key(raw: bytes) -> str:
    text = base64.b32encode(raw).decode("ascii")
    return "-".join(text[i:i + GROUP] for i in range(0, len(text), GROUP))


def groups(formatted: str) -> list[str]:
    return formatted.split("-")


def parse_recovery_key(text: str) -> bytes:
    """Read a typed recovery key; raise ValidationError with a human sentence if malformed."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    if len(cleaned) != RECOVERY_BYTES * 8 // 5:
        raise ValidationError("A recovery key has 8 groups of 5 letters and digits; "
                              "check what you typed against the printed sheet.")
    try:
        return base64.b32decode(cleaned)
    except ValueError:
        raise ValidationError("That recovery key has characters that cannot be in one "
                              "(only A–Z and 2–7 appear on the sheet).") from None
