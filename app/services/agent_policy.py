"""What the console tells its agents in every hello (DESIGN §6–§7, issue 5): which capture
sources run, how often the screen is read, school hours, apps never watched — and, when a
device's library version is not the console's, the library in force itself.

The policy lives in the settings table as JSON and is validated on the way in and out; a change
is audited and reaches each device at its next hello (about a minute), without a restart.

Threading: run on the DB executor.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from app.detection.library import Library
from app.errors import ValidationError
from app.security.authorisation import Permission
from app.services import library as library_service
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import settings_repo

POLICY_KEY = "agent.policy"
_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class AgentPolicy:
    typed: bool = True
    screen: bool = True
    window: bool = True
    ocr_interval_s: int = 5
    school_hours: str | None = None  # "07:30-17:30" (device local time), None: always
    school_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    excluded_apps: tuple[str, ...] = field(default_factory=tuple)

    def as_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["school_days"], doc["excluded_apps"] = list(self.school_days), \
            list(self.excluded_apps)
        return doc


def policy_from_doc(doc: Any) -> AgentPolicy:
    """A policy from JSON (the settings row, or a hello reply on the device); refuses nonsense
    with a sentence."""
    if not isinstance(doc, dict):
        raise ValidationError("The agent policy must be a JSON object.")
    unknown = set(doc) - set(AgentPolicy.__dataclass_fields__)
    if unknown:
        raise ValidationError(f"The agent policy has an unknown field {sorted(unknown)[0]!r}.")
    merged = {**AgentPolicy().as_doc(), **doc}
    for name in ("typed", "screen", "window"):
        if not isinstance(merged[name], bool):
            raise ValidationError(f"Agent policy {name} must be true or false.")
    interval = merged["ocr_interval_s"]
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 3600:
        raise ValidationError("The screen is read every 1 to 3600 seconds.")
    hours = merged["school_hours"]
    if hours is not None and not (isinstance(hours, str) and _HOURS.fullmatch(hours)):
        raise ValidationError("School hours look like 07:30-17:30.")
    days = merged["school_days"]
    if not (isinstance(days, list) and all(isinstance(d, int) and 0 <= d <= 6 for d in days)):
        raise ValidationError("School days are numbers 0 (Monday) to 6 (Sunday).")
    apps = merged["excluded_apps"]
    if not (isinstance(apps, list) and len(apps) <= 200
            and all(isinstance(a, str) and 0 < len(a) <= 100 for a in apps)):
        raise ValidationError("Excluded apps are up to 200 names of 1-100 characters.")
    return AgentPolicy(merged["typed"], merged["screen"], merged["window"], interval, hours,
                       tuple(sorted(set(days))), tuple(apps))


def current_policy(console: Console) -> AgentPolicy:
    with console.reading() as db:
        raw = settings_repo.get(db, POLICY_KEY)
    return policy_from_doc(json.loads(raw)) if raw else AgentPolicy()


def set_policy(console: Console, session: UserSession, policy: AgentPolicy) -> AgentPolicy:
    session.require(Permission.MANAGE_DEVICES)
    checked = policy_from_doc(policy.as_doc())
    with console.unit_of_work(session.actor) as uow:
        settings_repo.put(uow.session, POLICY_KEY, json.dumps(checked.as_doc()))
        uow.audit("agent.policy", "agents", **checked.as_doc())
    return checked


def hello_extras(console: Console, device_library: str | None) -> dict[str, Any]:
    """What hello adds for a device: the policy always, the library when it has another."""
    matcher = library_service.library_in_force(console)
    extras: dict[str, Any] = {"policy": current_policy(console).as_doc(),
                              "library_version": matcher.version}
    if device_library != matcher.version:
        extras["library"] = library_doc(matcher.library)
    return extras


def library_doc(library: Library) -> dict[str, Any]:
    return {"version": library.version, "allow": list(library.allow), "entries": [
        [e.id, e.category, e.pattern, e.kind, e.severity, e.language,
         "whole" if e.whole_word else "embedded", ";".join(e.exceptions), e.note]
        for e in library.entries]}
