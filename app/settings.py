"""Typed, versioned settings of one data folder (`settings.json`).

Settings hold nothing secret: they say how to find the keys (keyring or passphrase), which
database to use and a few preferences. Every value read from disk is validated here, once, and a
bad file gives a `ConfigError` that names the field rather than a traceback.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from app.errors import ConfigError
from app.fileio import write_atomically

SETTINGS_VERSION = 1
KEY_MODES = ("keyring", "passphrase")


@dataclass(frozen=True)
class Settings:
    """One school's install settings."""

    school_name: str
    key_mode: str = "keyring"
    install_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    database_url: str | None = None  # None: the embedded SQLCipher file in the data folder
    is_demo: bool = False
    idle_lock_minutes: int = 10
    # Where devices reach this console (DESIGN §7); 0 for the port picks a free one (demo).
    # An empty host means the console does not listen (e.g. a second office PC on PostgreSQL).
    receiver_host: str = "0.0.0.0"
    receiver_port: int = 8443
    version: int = SETTINGS_VERSION

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load_settings(path: Path) -> Settings:
    """Read and validate settings; raise ConfigError with a sentence naming the problem."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"No Kestrel settings file at {path}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"The settings file {path} cannot be read ({exc}).") from None
    return _validated(raw, path)


def save_settings(path: Path, settings: Settings) -> None:
    """Write settings atomically (temp file + rename), so a crash never leaves half a file."""
    write_atomically(path, json.dumps(asdict(settings), indent=2, sort_keys=True).encode())


def _validated(raw: object, path: Path) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(f"The settings file {path} is not a JSON object.")
    version = raw.get("version")
    if version != SETTINGS_VERSION:
        raise ConfigError(f"The settings file {path} has version {version!r}; "
                          f"this Kestrel reads version {SETTINGS_VERSION}.")
    school = _str(raw, "school_name", path)
    key_mode = _str(raw, "key_mode", path)
    if key_mode not in KEY_MODES:
        raise ConfigError(f"Setting key_mode in {path} must be one of {', '.join(KEY_MODES)}.")
    install_id = _str(raw, "install_id", path)
    if len(install_id) != 32 or any(c not in "0123456789abcdef" for c in install_id):
        raise ConfigError(f"Setting install_id in {path} is not a 32-digit hex id.")
    db_url = raw.get("database_url")
    if db_url is not None and not (isinstance(db_url, str) and db_url.startswith("postgresql")):
        raise ConfigError(f"Setting database_url in {path} must be empty or a postgresql URL.")
    is_demo = raw.get("is_demo", False)
    idle = raw.get("idle_lock_minutes", 10)
    if not isinstance(is_demo, bool):
        raise ConfigError(f"Setting is_demo in {path} must be true or false.")
    if not isinstance(idle, int) or isinstance(idle, bool) or not 1 <= idle <= 60:
        raise ConfigError(f"Setting idle_lock_minutes in {path} must be a whole number 1-60.")
    host, port = raw.get("receiver_host", "0.0.0.0"), raw.get("receiver_port", 8443)
    if not isinstance(host, str) or len(host) > 253 or any(c.isspace() for c in host):
        raise ConfigError(f"Setting receiver_host in {path} must be an address, or empty for "
                          "no receiver.")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ConfigError(f"Setting receiver_port in {path} must be a port number 0-65535.")
    return Settings(school_name=school, key_mode=key_mode, install_id=install_id,
                    database_url=db_url, is_demo=is_demo, idle_lock_minutes=idle,
                    receiver_host=host, receiver_port=port)


def _str(raw: dict[str, Any], name: str, path: Path) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ConfigError(f"Setting {name} in {path} must be a non-empty text of ≤ 200 characters.")
    return value
