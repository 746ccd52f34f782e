"""Create the demo school: an install in demo mode, its staff, and months of incidents.

Used by the first-run choice "Try the demo school", `main.py demo` and `main.py seed` on a fresh
data folder. The demo's accounts all use `DEMO_PASSWORD`, shown on the sign-in screen, because
the data is synthetic and the point is to look around.
"""

from __future__ import annotations

from pathlib import Path

from app.errors import KeyringRefusedError
from app.security.keyring_store import trusted_backend
from app.services.console import Console
from app.services.demo.cases import seed_demo_cases
from app.services.demo_accounts import (
    DEMO_ACCOUNTS,
    DEMO_DSL,
    DEMO_PASSPHRASE,
    DEMO_PASSWORD,
    passphrase_for,
)
from app.services.install import create_install
from app.services.seed import Progress, add_demo_staff, seed_incidents
from app.services.users import login

DEMO_SCHOOL = "Northgate Academy (demo)"
DEFAULT_INCIDENTS = 3000
DEFAULT_SCREENSHOTS = 250

__all__ = ["DEMO_ACCOUNTS", "DEMO_DSL", "DEMO_PASSPHRASE", "DEMO_PASSWORD",
           "create_demo_school", "passphrase_for"]


def create_demo_school(root: Path, incidents: int = DEFAULT_INCIDENTS,
                       screenshots: int = DEFAULT_SCREENSHOTS, key_mode: str = "auto",
                       passphrase: str | None = None, progress: Progress | None = None,
                       workers: int | None = None) -> Console:
    """A fresh demo install in `root` with staff and seeded incidents; returns it open.

    `key_mode="auto"` uses the OS keyring when it is trusted, else the demo passphrase."""
    if key_mode == "auto":
        try:
            trusted_backend()
            key_mode = "keyring"
        except KeyringRefusedError:
            key_mode, passphrase = "passphrase", DEMO_PASSPHRASE
    console, _recovery = create_install(root, DEMO_SCHOOL, DEMO_DSL[0], DEMO_DSL[1],
                                        DEMO_PASSWORD, key_mode=key_mode, passphrase=passphrase,
                                        is_demo=True, extra_setup=add_demo_staff)
    seed_incidents(console, incidents, screenshots, progress=progress, workers=workers)
    seed_demo_cases(console, login(console, DEMO_DSL[0], DEMO_PASSWORD))
    return console


