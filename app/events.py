"""Change sets: what a service call changed, so each screen can decide whether to refresh.

Services return one with every state change (like Anki's OpChanges); the UI's bridge object
broadcasts it on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeSet:
    incidents: bool = False
    cases: bool = False
    devices: bool = False
    users: bool = False
    audit: bool = True
    incident_ids: tuple[int, ...] = ()

    def merge(self, other: ChangeSet) -> ChangeSet:
        return ChangeSet(
            incidents=self.incidents or other.incidents,
            cases=self.cases or other.cases,
            devices=self.devices or other.devices,
            users=self.users or other.users,
            audit=self.audit or other.audit,
            incident_ids=self.incident_ids + other.incident_ids,
        )
