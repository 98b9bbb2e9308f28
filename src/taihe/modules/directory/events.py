"""Events the directory publishes."""

from __future__ import annotations

from taihe.kernel.events import Event


class PersonCreated(Event):
    name = "directory.person.created.v1"
    person_id: int


class PersonUpdated(Event):
    name = "directory.person.updated.v1"
    person_id: int


class PersonDeactivated(Event):
    name = "directory.person.deactivated.v1"
    person_id: int


class PasswordChanged(Event):
    name = "directory.person.password_changed.v1"
    person_id: int


class AccountLocked(Event):
    name = "directory.person.locked.v1"
    person_id: int


class TwoFactorChanged(Event):
    name = "directory.person.two_factor_changed.v1"
    person_id: int
    enabled: bool


class DepartmentCreated(Event):
    name = "directory.department.created.v1"
    department_id: int


class DepartmentUpdated(Event):
    name = "directory.department.updated.v1"
    department_id: int


class DepartmentMoved(Event):
    name = "directory.department.moved.v1"
    department_id: int
    old_parent_id: int | None
    new_parent_id: int | None


class DepartmentMerged(Event):
    name = "directory.department.merged.v1"
    department_id: int
    into_department_id: int


class DepartmentClosed(Event):
    name = "directory.department.closed.v1"
    department_id: int


class RoleAssigned(Event):
    name = "directory.role.assigned.v1"
    person_id: int
    role_id: int
    department_id: int | None


class RoleRevoked(Event):
    name = "directory.role.revoked.v1"
    person_id: int
    role_id: int
    department_id: int | None


class RoleSaved(Event):
    name = "directory.role.saved.v1"
    role_id: int


class GroupSaved(Event):
    name = "directory.group.saved.v1"
    group_id: int


class OrgChartImported(Event):
    name = "directory.orgchart.imported.v1"
    created: int
    updated: int


class TokenIssued(Event):
    name = "directory.token.issued.v1"
    token_id: int
    owner_id: int


class TokenRevoked(Event):
    name = "directory.token.revoked.v1"
    token_id: int
    owner_id: int


class OrgChartExported(Event):
    name = "directory.orgchart.exported.v1"
    export_id: int
    requested_by_id: int
    format: str
