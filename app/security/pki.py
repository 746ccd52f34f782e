"""The school's private PKI (DESIGN §7): the CA, device certificates and the console's own.

The CA key is the keystore's `school_ca` Ed25519 key; its certificate is derived from it and can
be re-made at any time, because devices pin the CA's *public key* (SHA-256 of its
SubjectPublicKeyInfo), not a certificate. Device certificates say "client" (EKU clientAuth) and
name the device's UUID; the console's certificate says "server" (EKU serverAuth), so a device's
certificate can never stand in for a console. The console's TLS key is made fresh at each start
and never written in the clear (see `tls.py`).

Pure functions over `cryptography` objects; no files, no network.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.errors import ValidationError

CA_YEARS = 20
DEVICE_DAYS = 397  # devices renew well before; a lost laptop's certificate dies within a year
SERVER_DAYS = 30  # re-made at every start anyway
_BACKDATE = timedelta(hours=1)  # tolerate a device clock a little behind the console's


def ca_certificate(ca_key: Ed25519PrivateKey, school_name: str,
                   now: datetime | None = None) -> x509.Certificate:
    now = now or datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Kestrel CA — {school_name}"[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, school_name[:64] or "School")])
    # A fixed serial and start date make the certificate the same bytes on every start.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(ca_key.public_key())
            .serial_number(int.from_bytes(hashlib.sha256(_spki(ca_key.public_key())).digest()[:16])
                           >> 1)
            .not_valid_before(min(start, now - _BACKDATE))
            .not_valid_after(start + timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, algorithm=None))


def issue_device_certificate(ca_key: Ed25519PrivateKey, ca_cert: x509.Certificate,
                             device_key: Ed25519PublicKey, device_uuid: str,
                             now: datetime | None = None) -> x509.Certificate:
    now = now or datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_uuid)])
    return (_leaf(ca_key, ca_cert, subject, device_key, now, DEVICE_DAYS)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, algorithm=None))


def issue_server_certificate(ca_key: Ed25519PrivateKey, ca_cert: x509.Certificate,
                             server_key: Ed25519PublicKey, hosts: list[str],
                             now: datetime | None = None) -> x509.Certificate:
    now = now or datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kestrel console")])
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return (_leaf(ca_key, ca_cert, subject, server_key, now, SERVER_DAYS)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, algorithm=None))


def make_csr(device_key: Ed25519PrivateKey, device_uuid: str) -> bytes:
    """A device's certificate request (DER): proves it holds the key it asks a certificate for."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_uuid)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(device_key, None)
    return csr.public_bytes(serialization.Encoding.DER)


def read_csr(der: bytes) -> tuple[Ed25519PublicKey, str]:
    """The key and device UUID of a CSR, once its self-signature checks out."""
    try:
        csr = x509.load_der_x509_csr(der)
        key = csr.public_key()
        valid = csr.is_signature_valid
        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except (ValueError, TypeError):
        raise ValidationError("the certificate request cannot be read") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError("the certificate request must carry an Ed25519 key")
    if not valid:
        raise ValidationError("the certificate request's signature does not match its key")
    if len(names) != 1:
        raise ValidationError("the certificate request must name the device once")
    return key, str(names[0].value)


def spki_pin(key: Ed25519PublicKey) -> str:
    """What devices pin: SHA-256 (hex) of the CA's SubjectPublicKeyInfo."""
    return hashlib.sha256(_spki(key)).hexdigest()


def certificate_pin(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError("the certificate's key is not Ed25519")
    return spki_pin(key)


def fingerprint(cert_der: bytes) -> str:
    """SHA-256 (hex) of a certificate's DER bytes: how the devices table names a certificate."""
    return hashlib.sha256(cert_der).hexdigest()


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _leaf(ca_key: Ed25519PrivateKey, ca_cert: x509.Certificate, subject: x509.Name,
          key: Ed25519PublicKey, now: datetime, days: int) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False))


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not cert_sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False,
                         decipher_only=False)


def _spki(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
