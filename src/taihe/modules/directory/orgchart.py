"""Org chart import (CSV/XLSX, dry run, per-row errors) and export.

The import reads the same columns the export writes, so exporting and importing the same
file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.authz import Actor
from taihe.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue, job
from taihe.kernel.text import decode_spreadsheet_text
from taihe.modules.directory import events, services
from taihe.modules.directory import operations as ops
from taihe.modules.directory.models import (
    Department,
    OrgChartExport,
    Person,
    Position,
    Role,
    RoleAssignment,
)

COLUMNS = ["username", "employee_number", "name_zh", "name_en", "email", "phone", "status",
           "department_code", "department_path", "position_code", "roles"]
INFORMATIONAL_COLUMNS = {"department_path"}
"""Written by the export for people to read; ignored on import."""

HEADER_ALIASES = {
    "用户名": "username", "账号": "username", "登录名": "username",
    "工号": "employee_number", "员工编号": "employee_number", "员工号": "employee_number",
    "中文姓名": "name_zh", "姓名": "name_zh", "中文名": "name_zh",
    "英文姓名": "name_en", "英文名": "name_en",
    "邮箱": "email", "电子邮箱": "email", "电子邮件": "email",
    "电话": "phone", "手机": "phone", "手机号": "phone", "联系电话": "phone",
    "状态": "status", "人员类别": "status",
    "部门编码": "department_code", "部门代码": "department_code",
    "部门": "department_path", "部门路径": "department_path", "部门名称": "department_path",
    "职位编码": "position_code", "岗位编码": "position_code", "职务编码": "position_code",
    "角色": "roles", "角色编码": "roles",
}
"""Chinese headers accepted for the English column names."""

STATUS_ALIASES = {
    "职工": Person.Status.STAFF, "员工": Person.Status.STAFF, "在编": Person.Status.STAFF,
    "合同工": Person.Status.CONTRACTOR, "外包": Person.Status.CONTRACTOR,
    "志愿者": Person.Status.VOLUNTEER, "外部": Person.Status.EXTERNAL,
    "外部人员": Person.Status.EXTERNAL,
}

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
"""An XLSX is a zip: refuse one that unpacks to far more than 5 MB of rows could need."""

ROLE_SEPARATORS = re.compile(r"[;；,，]")
LENGTH_LIMITS = {"username": 80, "employee_number": 32, "name_zh": 80, "name_en": 120,
                 "email": 254, "phone": 32}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "rows": self.rows, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged,
                "errors": [e.__dict__ for e in self.errors]}


# --- Reading the file -----------------------------------------------------------------------

def _file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": message})


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store employee numbers and phones typed as digits as numbers.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = decode_spreadsheet_text(data)
    except UnicodeDecodeError:
        raise _file_error(_("The file is not UTF-8 or GB18030 text. Save it as CSV UTF-8.")) \
            from None
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise _file_error(_("This is not a CSV text file."))
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        # Some locales' spreadsheet programs write semicolons or tabs instead.
        delimiter = "\t" if "\t" in first_line else (";" if ";" in first_line else ",")
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [cell.strip() for cell in row]
    except csv.Error as error:
        raise _file_error(_("The CSV file could not be read: %(error)s") % {
            "error": error}) from error


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise _file_error(_("This file could not be read as an Excel (.xlsx) workbook.")) \
            from error
    if unpacked > MAX_UNPACKED_BYTES:
        workbook.close()
        raise _file_error(_("The workbook is too large."))
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        sheet.reset_dimensions()  # read-only sheets may carry a wrong size
        for values in sheet.iter_rows(min_row=1, values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def read_table(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of the first sheet with their spreadsheet row numbers (1-based).
    Raises ValidationFailed (field ``file``) for a file that is not a readable CSV or XLSX,
    is over 5 MB or has more than 20,000 rows."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "xls":
        raise _file_error(_("The old Excel .xls format is not supported: save the file as "
                            ".xlsx or CSV."))
    if extension not in ("csv", "xlsx"):
        raise _file_error(_("Upload a .csv or .xlsx file."))
    if len(data) > MAX_FILE_BYTES:
        raise _file_error(_("The file is larger than 5 MB."))
    is_zip = data.startswith(b"PK\x03\x04")
    if extension == "csv" and is_zip:
        raise _file_error(_("This file is an Excel workbook, not CSV text: upload it with the "
                            ".xlsx extension."))
    if extension == "xlsx" and not is_zip:
        raise _file_error(_("This file could not be read as an Excel (.xlsx) workbook."))
    rows: list[tuple[int, list[str]]] = []
    source = _xlsx_rows(data) if extension == "xlsx" else _csv_rows(data)
    for number, cells in enumerate(source, start=1):
        if not any(cells):
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS + 1:  # the header and 20,000 people
            raise _file_error(_("The file has more than %(limit)s rows.") % {
                "limit": f"{MAX_ROWS:,}"})
    if not rows:
        raise _file_error(_("The file is empty."))
    return rows


def _column_name(header: str) -> str:
    text = header.strip().lstrip("\ufeff")
    if text in HEADER_ALIASES:
        return HEADER_ALIASES[text]
    return re.sub(r"[\s\-]+", "_", text.lower())


# --- Import -----------------------------------------------------------------------------------

@dataclass
class _Planned:
    row: int
    username: str
    person: Person | None
    values: dict[str, Any]
    """PersonInput fields: all given ones for a new person, the changed ones otherwise."""
    roles: list[Role]
    """Roles to add (those the person holds in no scope yet)."""


@dataclass
class _Context:
    actor: Any
    """The caller's actor, as the services take it (a person)."""
    resolved: Actor
    departments: dict[str, Department]
    positions: dict[str, int]
    roles: dict[str, Role]
    people: dict[str, Person]
    """Existing people named in the file, by lower-case username."""
    held_roles: dict[int, set[str]]
    numbers: dict[str, int]
    """Employee number → id of the person holding it."""


def _chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _load_context(actor: Any, resolved: Actor, usernames: set[str]) -> _Context:
    matched: dict[str, int] = {}
    numbers: dict[str, int] = {}
    for person_id, username, number in Person.objects.values_list("id", "username",
                                                                  "employee_number"):
        if username.lower() in usernames:
            matched[username.lower()] = person_id
        if number:
            numbers[number] = person_id
    people: dict[str, Person] = {}
    held: dict[int, set[str]] = {}
    ids = sorted(matched.values())
    for chunk in _chunks(ids):
        for person in Person.objects.filter(pk__in=chunk):
            people[person.username.lower()] = person
        for person_id, code in RoleAssignment.objects.filter(person_id__in=chunk).values_list(
                "person_id", "role__code"):
            held.setdefault(person_id, set()).add(code)
    return _Context(
        actor=actor, resolved=resolved,
        departments={d.code: d for d in Department.objects.all()},
        positions=dict(Position.objects.values_list("code", "id")),
        roles={r.code: r for r in Role.objects.all()},
        people=people, held_roles=held, numbers=numbers)


def _may_manage(actor: Any, department_id: int | None) -> bool:
    try:
        services.check_manage_person(actor, department_id)
    except PermissionDenied:
        return False
    return True


def _check_row(number: int, row: dict[str, str], ctx: _Context, errors: list[RowError],
               seen_usernames: dict[str, int], seen_numbers: dict[str, int]) -> _Planned | None:
    """Validate one row against the database and the rows before it; plan its writes."""
    found: list[RowError] = []

    def error(column: str, message: str) -> None:
        found.append(RowError(number, column, message))

    username = row.get("username", "")
    person = ctx.people.get(username.lower()) if username else None
    if not username:
        error("username", _("A username is required."))
    elif username.lower() in seen_usernames:
        error("username", _("This username already appears in row %(row)d.") % {
            "row": seen_usernames[username.lower()]})
    elif person is None and (len(username) > LENGTH_LIMITS["username"] or not all(
            c.isalnum() or c in "._-" for c in username)):
        error("username", _("Use up to 80 letters, digits, dots, dashes or underscores."))
    if username:
        seen_usernames.setdefault(username.lower(), number)

    for column, limit in LENGTH_LIMITS.items():
        if column != "username" and len(row.get(column, "")) > limit:
            error(column, _("Use at most %(limit)d characters.") % {"limit": limit})

    number_text = row.get("employee_number", "")
    if number_text:
        holder = ctx.numbers.get(number_text)
        if number_text in seen_numbers:
            error("employee_number", _("This employee number already appears in row %(row)d.")
                  % {"row": seen_numbers[number_text]})
        elif holder is not None and (person is None or holder != person.pk):
            error("employee_number", _("Another person has this employee number."))
        seen_numbers.setdefault(number_text, number)

    name_zh = row.get("name_zh", person.name_zh if person else "")
    name_en = row.get("name_en", person.name_en if person else "")
    if not (name_zh or name_en):
        error("name_zh", _("Give a name in Chinese or English."))

    email = row.get("email", "")
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            error("email", _("Enter a valid email address."))

    status = row.get("status", "")
    if status:
        status = str(STATUS_ALIASES.get(status, status.lower()))
        if status not in Person.Status.values:
            error("status", _("Status must be one of: %(choices)s.") % {
                "choices": ", ".join(Person.Status.values)})

    department: Department | None = None
    if row.get("department_code"):
        department = ctx.departments.get(row["department_code"])
        if department is None:
            error("department_code", _('No department has the code "%(code)s".') % {
                "code": row["department_code"]})
        elif not department.is_open:
            error("department_code", _("This department is closed."))

    position_id: int | None = None
    if row.get("position_code"):
        position_id = ctx.positions.get(row["position_code"])
        if position_id is None:
            error("position_code", _('No position has the code "%(code)s".') % {
                "code": row["position_code"]})

    role_codes = [c.strip() for c in ROLE_SEPARATORS.split(row.get("roles", "")) if c.strip()]
    unknown = sorted({c for c in role_codes if c not in ctx.roles})
    if unknown:
        error("roles", _("Unknown role codes: %(codes)s.") % {"codes": ", ".join(unknown)})

    # What would change.
    values: dict[str, Any] = {}
    given = {column: row[column] for column in ("name_zh", "name_en", "email", "phone",
                                                "employee_number") if column in row}
    if person is None:
        values = {"username": username, **given}
        if status:
            values["status"] = status
        if department is not None:
            values["department_id"] = department.pk
        if position_id is not None:
            values["position_id"] = position_id
    else:
        current = {"name_zh": person.name_zh, "name_en": person.name_en, "email": person.email,
                   "phone": person.phone, "employee_number": person.employee_number or ""}
        values = {k: v for k, v in given.items() if v != current[k]}
        if status and status != person.status:
            values["status"] = status
        if department is not None and department.pk != person.department_id:
            values["department_id"] = department.pk
        if position_id is not None and position_id != person.position_id:
            values["position_id"] = position_id
    held = ctx.held_roles.get(person.pk, set()) if person else set()
    if person is None and (status or Person.Status.STAFF) == Person.Status.STAFF:
        held = {"staff"}  # given by the service to every new member of staff
    new_roles = [ctx.roles[c] for c in dict.fromkeys(role_codes)
                 if c in ctx.roles and c not in held]

    # Rights: checked here so a refusal is a row error, not an import half-run.
    if person is None or values:
        current_department = person.department_id if person else values.get("department_id")
        target = values.get("department_id", current_department)
        if not (_may_manage(ctx.actor, current_department)
                and _may_manage(ctx.actor, target)):
            error("department_code", _("You may not add or change people in this department."))
    if new_roles:
        if ctx.resolved.departments_for(ops.ROLE_ASSIGN.code) is not None:
            error("roles", _("Only a museum-wide administrator may give museum-wide roles."))
        elif any("*" in role.operations for role in new_roles) and not (
                ctx.resolved.is_superuser or authz.can(ctx.resolved, ops.ROLE_MANAGE.code)):
            error("roles", _("Only administrators may give the administrator role."))

    errors.extend(found)
    if found:
        return None
    return _Planned(number, username, person, values, new_roles)


class _RolledBack(Exception):
    pass


def _apply(actor: Any, plans: list[_Planned]) -> tuple[int, int]:
    created = updated = 0
    for plan in plans:
        person = plan.person
        try:
            if person is None:
                person = services.do_create_person(actor, services.PersonInput(**plan.values))
                created += 1
            elif plan.values or plan.roles:
                if plan.values:
                    person = services.do_update_person(actor, person,
                                                       services.PersonInput(**plan.values))
                updated += 1
            for role in plan.roles:
                services.do_assign_role(actor, person, role, department_id=None)
        except (ValidationFailed, PermissionDenied) as error:
            # A rule the checks above did not foresee: report it on the row, write nothing.
            column_of = {"department_id": "department_code", "position_id": "position_code"}
            fields = error.fields or {"": str(error.detail)}
            raise _RolledBack([RowError(plan.row, column_of.get(name, name), message)
                               for name, message in fields.items()]) from error
    return created, updated


def do_import_org_chart(actor: Any, data: bytes, filename: str, *, dry_run: bool) -> ImportReport:
    """Create and update people from a CSV or XLSX org chart (the export's columns).

    A row whose ``username`` matches an existing person (ignoring case) updates that person;
    any other row creates one. Only the columns present are applied, and a blank
    ``department_code``, ``position_code`` or ``status`` leaves the person's value as it is;
    ``department_path`` is ignored. Roles listed (``;``-separated codes) are given museum-wide
    when the person holds them in no scope yet; roles are never taken away by an import.

    Every row is checked first; if any row has an error, nothing is written and the report
    lists every error with its spreadsheet row (the header is row 1) and column. With
    ``dry_run`` nothing is written either way and the report counts what would be created,
    updated and left unchanged. Otherwise all rows are applied in one transaction through
    the directory services (emitting their person and role events), then
    ``directory.orgchart.imported.v1`` is emitted once.

    Raises PermissionDenied without ``directory.orgchart.import``, and ValidationFailed
    (field ``file``) for a file that is not a readable CSV or XLSX, is over 5 MB or has more
    than 20,000 rows.
    """
    authz.require(actor, ops.ORGCHART_IMPORT.code)
    resolved = actor if isinstance(actor, Actor) else authz.actor_for(actor)
    table = read_table(data, filename)
    report = ImportReport(dry_run=dry_run, rows=len(table) - 1)

    header_row, header = table[0]
    columns: dict[int, str] = {}
    for position, text in enumerate(header):
        if not text:
            continue
        name = _column_name(text)
        if name not in COLUMNS:
            report.errors.append(RowError(header_row, text, _('Unknown column "%(name)s".') % {
                "name": text}))
        elif name in columns.values():
            report.errors.append(RowError(header_row, name, _(
                'The column "%(name)s" appears more than once.') % {"name": name}))
        elif name not in INFORMATIONAL_COLUMNS:
            columns[position] = name
    if "username" not in columns.values():
        report.errors.append(RowError(header_row, "username", _(
            "The file needs a username column.")))
        return report

    rows = [(number, {name: (cells[position] if position < len(cells) else "")
                      for position, name in columns.items()}) for number, cells in table[1:]]
    ctx = _load_context(actor, resolved, {row["username"].lower() for _n, row in rows
                                   if row["username"]})
    plans: list[_Planned] = []
    seen_usernames: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    for number, row in rows:
        plan = _check_row(number, row, ctx, report.errors, seen_usernames, seen_numbers)
        if plan is not None:
            plans.append(plan)
    if report.errors:
        return report

    if dry_run:
        report.created = sum(1 for p in plans if p.person is None)
        report.updated = sum(1 for p in plans if p.person is not None and (p.values or p.roles))
        report.unchanged = len(plans) - report.created - report.updated
        return report
    try:
        with transaction.atomic():
            report.created, report.updated = _apply(actor, plans)
            report.unchanged = len(plans) - report.created - report.updated
            publish(events.OrgChartImported(
                created=report.created, updated=report.updated,
                actor_id=resolved.user_id, subject_type="directory.orgchart",
                after={"file": filename, "rows": report.rows, "created": report.created,
                       "updated": report.updated, "unchanged": report.unchanged}))
    except _RolledBack as rollback:
        report.created = report.updated = report.unchanged = 0
        report.errors = list(rollback.args[0])
    return report


# --- Export -----------------------------------------------------------------------------------

def _department_paths() -> dict[int, str]:
    """Department id → its Chinese names from the top down (``太和博物馆 / 文物保护部``)."""
    names: dict[int, str] = {}
    paths: dict[int, str] = {}
    for department_id, name, path in Department.objects.values_list("id", "name_zh", "path"):
        names[department_id] = name
        paths[department_id] = path
    return {department_id: " / ".join(names.get(int(part), "?")
                                       for part in path.strip("/").split("/") if part)
            for department_id, path in paths.items()}


def org_chart_rows(actor: Any) -> list[list[str]]:
    """The rows (in :data:`COLUMNS` order) of the active people the actor may export."""
    people = authz.scope_filter(actor, ops.ORGCHART_EXPORT.code,
                                Person.objects.filter(is_active=True)).select_related(
        "department", "position").prefetch_related("role_assignments__role")
    department_paths = _department_paths()
    rows = []
    for person in people.order_by("department__path", "username"):
        department = person.department
        rows.append([
            person.username, person.employee_number or "", person.name_zh, person.name_en,
            person.email, person.phone, person.status,
            department.code if department else "",
            department_paths.get(department.pk, department.name_zh) if department else "",
            person.position.code if person.position else "",
            ";".join(sorted({a.role.code for a in person.role_assignments.all()})),
        ])
    return rows


def render_org_chart(actor: Any, fmt: str) -> bytes:
    rows = org_chart_rows(actor)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        # A byte-order mark so spreadsheet programs read the Chinese names as UTF-8.
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "people"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            # Text is text: a name starting with "=" must not become a formula.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def do_request_export(actor: Any, fmt: str) -> OrgChartExport:
    """Queue an export of the people the actor may export; they are notified when done."""
    authz.require(actor, ops.ORGCHART_EXPORT.code)
    requester_id = authz.actor_for(actor).user_id
    assert requester_id is not None  # require() refuses anonymous actors
    with transaction.atomic():
        export = OrgChartExport.objects.create(requested_by_id=requester_id, format=fmt)
        enqueue(build_export, export.pk)
    return export


def exports_for(actor: Any) -> QuerySet[OrgChartExport]:
    """The actor's own exports, newest first: an export holds exactly what its requester
    was allowed to see, so nobody else may download it."""
    return OrgChartExport.objects.filter(requested_by_id=authz.actor_for(actor).user_id)


def export_for(actor: Any, export_id: int) -> OrgChartExport:
    export = OrgChartExport.objects.filter(pk=export_id,
                                           requested_by_id=authz.actor_for(actor).user_id).first()
    if export is None:
        raise NotFound()
    return export


@job(name="directory.orgchart.export", queue="export", max_retries=2, backoff_seconds=10.0)
def build_export(export_id: int) -> None:
    export = OrgChartExport.objects.select_related("requested_by").filter(pk=export_id).first()
    if export is None or export.status == OrgChartExport.Status.DONE:
        return
    content = render_org_chart(export.requested_by, export.format)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    with transaction.atomic():
        export.file.save(f"orgchart-{stamp}-{export.pk}.{export.format}", ContentFile(content),
                         save=False)
        export.status = OrgChartExport.Status.DONE
        export.finished_at = timezone.now()
        export.save(update_fields=["file", "status", "finished_at"])
        publish(events.OrgChartExported(
            export_id=export.pk, requested_by_id=export.requested_by_id, format=export.format,
            actor_id=export.requested_by_id, subject_type="directory.orgchartexport",
            subject_id=str(export.pk), after={"format": export.format,
                                              "file": export.file.name}))
