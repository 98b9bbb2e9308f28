"""API shapes of the directory."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class DepartmentRef(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str


class PersonOut(Schema):
    id: int
    username: str
    name_zh: str
    name_en: str
    employee_number: str | None
    email: str
    phone: str
    status: str
    department: DepartmentRef | None
    position_id: int | None
    is_active: bool
    photo_url: str | None = None

    @staticmethod
    def resolve_photo_url(obj: object) -> str | None:
        photo = getattr(obj, "photo", None)
        return f"/people/{getattr(obj, 'pk')}/photo" if photo else None


class PersonIn(Schema):
    username: str = Field(max_length=80)
    name_zh: str = Field(default="", max_length=80)
    name_en: str = Field(default="", max_length=120)
    employee_number: str | None = Field(default=None, max_length=32)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=32)
    status: str = "staff"
    department_id: int | None = None
    position_id: int | None = None
    language: str = ""
    password: str | None = Field(default=None, max_length=128)


class PersonPatch(Schema):
    username: str | None = Field(default=None, max_length=80)
    name_zh: str | None = Field(default=None, max_length=80)
    name_en: str | None = Field(default=None, max_length=120)
    employee_number: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    status: str | None = None
    department_id: int | None = None
    position_id: int | None = None
    language: str | None = None


class ProfilePatch(Schema):
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    language: str | None = None


class DepartmentOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    parent_id: int | None
    depth: int
    head_id: int | None
    sort_order: int
    closed_at: datetime | None


class DepartmentIn(Schema):
    code: str = Field(max_length=40)
    name_zh: str = Field(max_length=120)
    name_en: str = Field(default="", max_length=120)
    parent_id: int | None = None
    head_id: int | None = None
    sort_order: int = Field(default=0, ge=0, le=1_000_000)


class DepartmentPatch(Schema):
    name_zh: str | None = Field(default=None, max_length=120)
    name_en: str | None = Field(default=None, max_length=120)
    head_id: int | None = None
    clear_head: bool = False
    sort_order: int | None = Field(default=None, ge=0, le=1_000_000)


class MoveIn(Schema):
    parent_id: int | None


class MergeIn(Schema):
    into_id: int


class RoleOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    description: str
    operations: list[str]
    is_system: bool


class RoleIn(Schema):
    code: str = Field(max_length=40, pattern=r"^[a-z0-9_-]+$")
    name_zh: str = Field(max_length=80)
    name_en: str = Field(max_length=80)
    description: str = ""
    operations: list[str]


class AssignmentOut(Schema):
    id: int
    person_id: int
    role_id: int
    role_code: str
    department_id: int | None
    include_subdepartments: bool

    @staticmethod
    def resolve_role_code(obj: object) -> str:
        return str(getattr(getattr(obj, "role"), "code"))


class AssignmentIn(Schema):
    role_id: int
    department_id: int | None = None
    include_subdepartments: bool = True


class GroupOut(Schema):
    id: int
    name: str
    description: str
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(obj: object) -> list[int]:
        return sorted(m.pk for m in getattr(obj, "members").all())


class GroupIn(Schema):
    name: str = Field(max_length=120)
    description: str = ""
    member_ids: list[int] = []


class OperationOut(Schema):
    code: str
    label: str
    scoped: bool


class TokenOut(Schema):
    id: int
    name: str
    kind: str
    prefix: str
    scopes: list[str]
    owner_id: int
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIn(Schema):
    name: str = Field(max_length=100)
    scopes: list[str]
    days: int | None = Field(default=90, ge=1, le=730)
    kind: str = "personal"


class IssuedTokenOut(Schema):
    token: TokenOut
    secret: str


class ImportRowError(Schema):
    row: int
    field: str
    message: str


class ImportResult(Schema):
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportRowError]


class ExportIn(Schema):
    format: str = Field(default="xlsx", pattern=r"^(csv|xlsx)$")


class ExportOut(Schema):
    id: int
    format: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = None

    @staticmethod
    def resolve_download_url(obj: object) -> str | None:
        if getattr(obj, "status") != "done":
            return None
        return f"/directory/exports/{getattr(obj, 'pk')}/download"
