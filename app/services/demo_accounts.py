"""The demo school's published accounts and passphrase: constants the sign-in screen needs
without loading the demo seeder (which pulls in the detection engine and its renderers)."""

from __future__ import annotations

from app.domain.enums import Role
from app.settings import Settings

DEMO_PASSWORD = "kestrel-demo"  # shown on the demo's sign-in screen; demo data only
DEMO_DSL = ("dsl", "Alex Morgan")
DEMO_STAFF = (
    ("deputy", "Sam Okafor", Role.DEPUTY),
    ("head", "Priya Raman", Role.HEAD),
    ("itech", "Lee Walsh", Role.IT_TECH),
)
DEMO_ACCOUNTS: tuple[tuple[str, str], ...] = (
    (DEMO_DSL[0], "DSL"), *((u, role.label) for u, _name, role in DEMO_STAFF))
# Where the PC has no trusted keyring the demo falls back to passphrase mode with this
# published passphrase: the data is synthetic, and the demo must open on any machine.
DEMO_PASSPHRASE = "kestrel-demo-school"


def passphrase_for(settings: Settings, given: str | None) -> str | None:
    """The passphrase to try: the one given, else the published one for a demo install."""
    if given is None and settings.is_demo and settings.key_mode == "passphrase":
        return DEMO_PASSPHRASE
    return given
