"""TLS contexts for the receiver and for devices: TLS 1.3 only, the school CA and nothing else.

Python's `ssl` loads keys only from files. The key is written encrypted under a random
one-time password into a private temporary folder, loaded, and the folder removed at once: the
key never rests on disk in the clear, and not at all once the context holds it.

Server: the console presents a certificate the CA issued for this start (fresh key). Client
certificates are *optional* at the TLS layer, because a device that is enrolling has none yet;
any certificate that is presented must chain to the school CA or the handshake fails, and every
endpoint but enrolment refuses a connection without one (see `receiver.py`).

Client: trusts only the school CA, and checks it is the CA the device pinned. The console's name
is not checked (school addresses change with DHCP); the pin and the serverAuth key usage are what
make a console genuine — a device certificate cannot pose as one.
"""

from __future__ import annotations

import os
import secrets
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import ValidationError
from app.security import pki


def server_context(ca_cert: x509.Certificate, server_cert: x509.Certificate,
                   server_key: Ed25519PrivateKey) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(cadata=pki.pem(ca_cert).decode("ascii"))
    _load_chain(context, [server_cert, ca_cert], server_key)
    return context


def client_context(ca_cert: x509.Certificate, pin: str,
                   device_cert: x509.Certificate | None = None,
                   device_key: Ed25519PrivateKey | None = None) -> ssl.SSLContext:
    """A device's context; refuses at once a CA that is not the pinned one."""
    if pki.certificate_pin(ca_cert) != pin:
        raise ValidationError("the console's CA does not match the pinned CA")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=pki.pem(ca_cert).decode("ascii"))
    if device_cert is not None and device_key is not None:
        _load_chain(context, [device_cert], device_key)
    return context


def _load_chain(context: ssl.SSLContext, chain: list[x509.Certificate],
                key: Ed25519PrivateKey) -> None:
    password = secrets.token_bytes(32)
    encrypted = key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(password))
    with tempfile.TemporaryDirectory(prefix="kestrel-tls-") as folder:
        cert_path, key_path = Path(folder) / "chain.pem", Path(folder) / "key.pem"
        cert_path.write_bytes(b"".join(pki.pem(c) for c in chain))
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(encrypted)
        context.load_cert_chain(cert_path, key_path, password=password)
