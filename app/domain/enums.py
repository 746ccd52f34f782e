"""Enumerations shared by every layer: roles, statuses, sources, device states.

Values are the strings stored in the database and sent on the wire, so renaming a member's
value is a schema change.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(StrEnum):
    """A staff member's role; what each may do is decided in app.security.authorisation."""

    DSL = "dsl"
    DEPUTY = "deputy"
    HEAD = "head"
    IT_TECH = "it_tech"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.DSL: "Designated Safeguarding Lead",
    Role.DEPUTY: "Deputy DSL",
    Role.HEAD: "Headteacher",
    Role.IT_TECH: "IT technician",
}


class Severity(IntEnum):
    """How urgent a match is, 1 (low) to 5 (act now)."""

    LOW = 1
    GUARDED = 2
    ELEVATED = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def label(self) -> str:
        return self.name.capitalize()


class IncidentStatus(StrEnum):
    """Where an incident is in triage."""

    NEW = "new"
    REVIEWING = "reviewing"
    FALSE_POSITIVE = "false_positive"
    ACTIONED = "actioned"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Source(StrEnum):
    """What the agent was watching when the phrase matched."""

    TYPED = "typed"
    SCREEN = "screen"
    WINDOW = "window"


class DeviceState(StrEnum):
    """A device's enrolment state; only ACTIVE devices may sync."""

    PENDING = "pending"
    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


class EvidenceKind(StrEnum):
    """What an evidence file holds."""

    SCREENSHOT = "screenshot"
    MANIFEST = "manifest"
