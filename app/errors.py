"""Typed errors a person can act on.

Every error raised across a layer boundary is a `KestrelError` carrying one sentence written for
the person in front of the screen (a DSL, a headteacher, an IT technician). The UI and the CLI
show `str(error)` and nothing else; tracebacks go to the log.
"""

from __future__ import annotations


class KestrelError(Exception):
    """Base class: the message is a complete sentence for a human."""


class ConfigError(KestrelError):
    """A settings file, command-line value or data folder is unusable."""


class NotInitialisedError(KestrelError):
    """The data folder has no Kestrel install yet."""


class KeyringRefusedError(KestrelError):
    """The OS keyring is missing or is a backend we do not trust with the install key."""


class KeyUnavailableError(KestrelError):
    """A key needed to open the data is missing or wrong (keyring entry gone, bad passphrase)."""


class AuthenticationError(KestrelError):
    """Wrong user name or password."""


class LockedOutError(AuthenticationError):
    """Too many wrong passwords: the account is locked for a while."""

    def __init__(self, message: str, seconds_left: int) -> None:
        super().__init__(message)
        self.seconds_left = seconds_left


class PermissionDeniedError(KestrelError):
    """The signed-in role may not do this."""


class NotFoundError(KestrelError):
    """The thing asked for does not exist (or is not visible to this user)."""


class ValidationError(KestrelError):
    """Input failed validation; nothing was changed."""


class IntegrityError(KestrelError):
    """Stored data failed a hash or signature check: possible tampering or corruption."""


class SessionLockedError(KestrelError):
    """The session is locked (idle lock or signed out); sign in again to continue."""


class DatabaseBusyError(KestrelError):
    """Another program held the database for longer than the busy timeout; try again."""

    def __init__(self) -> None:
        super().__init__("The database is busy (another Kestrel may be saving or backing up). "
                         "Nothing was lost; trying again in a moment.")
