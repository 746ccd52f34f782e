"""The install key in the OS keyring, with a backend allow-list.

`keyring` silently falls back to a plaintext file when `keyrings.alt` is installed and no real
keyring exists (DESIGN §16). Kestrel therefore names the backends it trusts and refuses any
other with a sentence an IT technician can act on; passphrase mode is the way out.
"""

from __future__ import annotations

import base64
import contextlib

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from app.errors import KeyringRefusedError, KeyUnavailableError

SERVICE = "Kestrel safeguarding console"

# Fully qualified class names of backends that keep secrets in an OS-protected store.
ALLOWED_BACKENDS = frozenset({
    "keyring.backends.Windows.WinVaultKeyring",
    "keyring.backends.macOS.Keyring",
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.libsecret.Keyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.kwallet.DBusKeyringKWallet4",
})

REFUSAL = (
    "Kestrel will not keep its install key in the keyring this computer offers ({name}): it is "
    "not a protected OS keyring (Windows Credential Manager, macOS Keychain, GNOME Keyring / "
    "Secret Service or KWallet). Install or unlock one of those, or set Kestrel up in "
    "passphrase mode instead."
)


def _qualified(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def trusted_backend() -> KeyringBackend:
    """The keyring backend to use, or KeyringRefusedError if it is not on the allow-list.

    With several backends chained, the highest-priority one is the one `keyring` would write
    to, so that is the one judged."""
    backend = keyring.get_keyring()
    chained = getattr(backend, "backends", None)
    if chained:
        backend = chained[0]
    name = _qualified(backend)
    if name not in ALLOWED_BACKENDS:
        raise KeyringRefusedError(REFUSAL.format(name=name))
    return backend


def store_install_key(install_id: str, key: bytes) -> None:
    backend = trusted_backend()
    try:
        backend.set_password(SERVICE, install_id, base64.b64encode(key).decode("ascii"))
    except keyring.errors.KeyringError as exc:
        raise KeyringRefusedError(
            f"The OS keyring refused to store Kestrel's install key ({exc}). Unlock the "
            "keyring, or use passphrase mode.") from None


def load_install_key(install_id: str) -> bytes:
    backend = trusted_backend()
    try:
        value = backend.get_password(SERVICE, install_id)
    except keyring.errors.KeyringError as exc:
        raise KeyUnavailableError(f"The OS keyring could not be read ({exc}).") from None
    if value is None:
        raise KeyUnavailableError(
            "Kestrel's install key is not in this computer's keyring (was the user profile "
            "reset, or the data folder copied from another PC?). Restore access with the "
            "printed recovery key: `python main.py recover`.")
    return base64.b64decode(value)


def delete_install_key(install_id: str) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        trusted_backend().delete_password(SERVICE, install_id)
