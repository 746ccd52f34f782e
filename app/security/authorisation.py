"""The one authorisation function: the role matrix of DESIGN §9.

The UI hides what a role may not do; this module is what actually refuses. Services call
`authorise(actor_role, permission)` before touching data.
"""

from __future__ import annotations

from enum import StrEnum

from app.domain.enums import Role
from app.errors import PermissionDeniedError


class Permission(StrEnum):
    LIST_INCIDENTS = "list incidents and triage"
    OPEN_EVIDENCE = "open evidence"
    REVEAL_RESTRICTED = "reveal restricted imagery"
    EXPORT = "export or print reports"
    VIEW_TRENDS = "view trends and governor reports"
    MANAGE_DEVICES = "enrol, approve and revoke devices"
    MANAGE_USERS = "manage users and roles"
    VIEW_AUDIT = "view the audit log"
    VIEW_LIBRARY = "view and try the phrase library"
    MANAGE_LIBRARY = "change the phrase library"
    # Removing records for good is the DSL's call alone (no role but the DSL holds it).
    APPLY_RETENTION = "remove old records under the retention policy"


_MATRIX: dict[Role, frozenset[Permission]] = {
    Role.DSL: frozenset(Permission),
    Role.DEPUTY: frozenset({Permission.LIST_INCIDENTS, Permission.OPEN_EVIDENCE,
                            Permission.EXPORT, Permission.VIEW_TRENDS,
                            Permission.VIEW_LIBRARY}),
    Role.HEAD: frozenset({Permission.VIEW_TRENDS}),
    Role.IT_TECH: frozenset({Permission.MANAGE_DEVICES}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in _MATRIX[role]


def authorise(role: Role, permission: Permission) -> None:
    if not allowed(role, permission):
        raise PermissionDeniedError(
            f"A {role.label} cannot {permission.value} in Kestrel.")
