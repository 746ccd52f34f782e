"""The demo cases for `main.py seed` into a demo school that has none yet (one made before
cases existed, say). A fresh folder gets them from `create_demo_school` already.

The cases are written through the cases service as the demo DSL, signed in with the published
demo password, so the audit log names who opened them. Only a demo install gets them: a real
school's DSL password is not the seeder's to know, and invented cases have no place there.

Threading: call on the DB executor or from the CLI (it writes).
"""

from __future__ import annotations

import logging

from app.errors import KestrelError
from app.services import cases, users
from app.services.console import Console
from app.services.demo.cases import seed_demo_cases
from app.services.demo_accounts import DEMO_DSL, DEMO_PASSWORD

log = logging.getLogger(__name__)


def add_demo_cases_if_missing(console: Console) -> list[str]:
    """The references of the demo cases opened: none unless this is a demo school without
    cases (fewer than five if it has very few incidents)."""
    if not console.settings.is_demo:
        return []
    try:
        dsl = users.login(console, DEMO_DSL[0], DEMO_PASSWORD)
    except KestrelError as exc:  # e.g. someone changed the demo DSL's password
        log.warning("No demo cases added: the demo DSL could not sign in (%s)", exc)
        return []
    if cases.list_cases(console, dsl, limit=1):
        return []
    return seed_demo_cases(console, dsl)
