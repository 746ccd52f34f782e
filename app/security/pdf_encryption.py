"""AES-256 password protection for a report (PDF standard security handler, revision 6).

reportlab's own `StandardEncryption(strength=256)` needs the pure-Python `pyaes` package (not a
Kestrel dependency, and far too slow for a bundle of screenshots) and writes the deprecated
revision 5. This subclass keeps reportlab's plumbing (the document asks it to `prepare`,
`register` each object and `encode` each string and stream) and does the cryptography with the
`cryptography` package Kestrel already ships: AES-256-CBC with a random IV per string or
stream, PKCS#7 padding, and the ISO 32000-2 key derivation (algorithm 2.B), so every current
reader (Acrobat, Preview, pdf.js, poppler, pypdf) opens it with the password.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stringprep
import unicodedata
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from reportlab.lib.pdfencrypt import StandardEncryption, hexText
from reportlab.pdfbase.pdfdoc import DummyDoc, PDFDictionary, PDFName, PDFObject

from app.errors import ValidationError

_ZERO_IV = bytes(16)


def password_bytes(password: str) -> bytes:
    """SASLprep (RFC 4013) as PDF 2.0 asks, UTF-8, at most 127 bytes."""
    mapped = "".join(" " if stringprep.in_table_c12(ch) else ch for ch in password
                     if not stringprep.in_table_b1(ch))
    mapped = unicodedata.normalize("NFKC", mapped)
    if not mapped.strip():
        raise ValidationError("The report password cannot be empty.")
    if any(stringprep.in_table_c21_c22(ch) or stringprep.in_table_c3(ch)
           or stringprep.in_table_c4(ch) or stringprep.in_table_c5(ch)
           or stringprep.in_table_c6(ch) or stringprep.in_table_c7(ch)
           or stringprep.in_table_c8(ch) or stringprep.in_table_c9(ch) for ch in mapped):
        raise ValidationError("The report password contains a control or invisible "
                              "character; choose one made of letters, digits and symbols.")
    return mapped.encode("utf-8")[:127]


def _aes_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def _hash_2b(password: bytes, salt: bytes, udata: bytes) -> bytes:
    """ISO 32000-2 algorithm 2.B: the revision 6 password hash."""
    k = hashlib.sha256(password + salt + udata).digest()
    rounds = 0
    while True:
        k1 = (password + k + udata) * 64
        e = _aes_cbc(k[:16], k[16:32], k1)  # 64 repeats: always whole AES blocks
        k = (hashlib.sha256, hashlib.sha384, hashlib.sha512)[sum(e[:16]) % 3](e).digest()
        rounds += 1
        if rounds >= 64 and e[-1] <= rounds - 32:
            return k[:32]


class Aes256Encryption(StandardEncryption):  # type: ignore[misc]
    """Open with `user_password`; the owner password (needed to change the permissions) is a
    random secret nobody holds, so printing and copying are allowed and editing is not."""

    def __init__(self, user_password: str) -> None:
        super().__init__(user_password, canPrint=1, canModify=0, canCopy=1, canAnnotate=0,
                         strength=128)  # 128 only satisfies the base class; see prepare()
        self._user = password_bytes(user_password)
        self._owner = secrets.token_urlsafe(32).encode("ascii")
        self.revision = 6

    def prepare(self, document: Any, overrideID: Any = None) -> None:
        if getattr(self, "prepared", 0):
            raise ValueError("encryption already prepared!")
        document.ID()  # the file identifier: readers expect one in an encrypted file
        key = os.urandom(32)
        self.P = int(self.permissionBits() - 2**31)
        uvs, uks, ovs, oks = (os.urandom(8) for _ in range(4))
        self.U = _hash_2b(self._user, uvs, b"") + uvs + uks
        self.UE = _aes_cbc(_hash_2b(self._user, uks, b""), _ZERO_IV, key)
        self.O = _hash_2b(self._owner, ovs, self.U) + ovs + oks
        self.OE = _aes_cbc(_hash_2b(self._owner, oks, self.U), _ZERO_IV, key)
        perms = (self.P & 0xFFFFFFFF).to_bytes(4, "little") + b"\xff" * 4 + b"Tadb"
        ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        self.Perms = ecb.update(perms + os.urandom(4)) + ecb.finalize()
        self.key = key
        self.objnum = self.version = None
        self.prepared = 1

    def encode(self, t: str | bytes) -> bytes:
        """One string or stream: a random IV, then AES-256-CBC of the PKCS#7-padded data."""
        if not self.prepared:
            raise ValueError("encryption not prepared!")
        data = t.encode("utf-8") if isinstance(t, str) else bytes(t)
        padder = padding.PKCS7(128).padder()
        padded = padder.update(data) + padder.finalize()
        iv = os.urandom(16)
        return iv + _aes_cbc(self.key, iv, padded)

    def info(self) -> _EncryptDictionary:
        if not self.prepared:
            raise ValueError("encryption not prepared!")
        return _EncryptDictionary(self)


class _EncryptDictionary(PDFObject):  # type: ignore[misc]
    __RefOnly__ = 1

    def __init__(self, enc: Aes256Encryption) -> None:
        self.enc = enc

    def format(self, document: Any) -> bytes:
        e = self.enc
        filt = PDFDictionary({"StdCF": PDFDictionary({
            "AuthEvent": PDFName("DocOpen"), "CFM": PDFName("AESV3"), "Length": 32})})
        entries = PDFDictionary({
            "Filter": PDFName("Standard"), "V": 5, "R": 6, "Length": 256, "P": e.P,
            "O": hexText(e.O), "U": hexText(e.U), "OE": hexText(e.OE), "UE": hexText(e.UE),
            "Perms": hexText(e.Perms), "CF": filt, "StmF": PDFName("StdCF"),
            "StrF": PDFName("StdCF")})
        result: bytes = entries.format(DummyDoc())  # a dummy document: written unencrypted
        return result
