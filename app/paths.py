"""Where Kestrel keeps its files: one place that names every path in a data folder.

A data folder holds one school's install: the encrypted database, the keystore, the sealed
evidence store and the settings. `--data-dir` on the command line overrides the default, which
is the per-user data folder of the OS (platformdirs). The demo school lives in its own folder so
that trying the demo never mixes synthetic records into a real school's data.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Kestrel"
REPO_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = REPO_ROOT / "resources"


def default_root() -> Path:
    """The OS's per-user data folder for Kestrel (holds `school/` and `demo/`)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class DataPaths:
    """The files of one data folder. Creating this object touches nothing on disk."""

    root: Path

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def keystore(self) -> Path:
        return self.root / "keystore.json"

    @property
    def database(self) -> Path:
        return self.root / "kestrel.db"

    @property
    def evidence(self) -> Path:
        return self.root / "evidence"

    @property
    def incoming(self) -> Path:
        """Evidence uploads in progress, per device, until the batch naming them commits."""
        return self.root / "incoming"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def audit_anchor(self) -> Path:
        return self.root / "audit-anchor.json"

    def ensure(self) -> None:
        """Create the folder tree with owner-only permissions where the OS supports them."""
        for folder in (self.root, self.evidence, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # e.g. some network shares
                folder.chmod(0o700)

    def is_initialised(self) -> bool:
        return self.settings.exists() and self.keystore.exists()


def default_school_dir() -> Path:
    """Where a real school's install lives unless --data-dir says otherwise."""
    return default_root() / "school"


def default_demo_dir() -> Path:
    """Where the demo school lives, apart from any real school's data."""
    return default_root() / "demo"
