"""Org chart import (CSV/XLSX, dry run, per-row errors) and export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from taihe.kernel import authz
from taihe.kernel.errors import NotFound
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue, job
from taihe.modules.directory import events
from taihe.modules.directory import operations as ops
from taihe.modules.directory.models import OrgChartExport, Person

COLUMNS = ["username", "employee_number", "name_zh", "name_en", "email", "phone", "status",
           "department_code", "department_path", "position_code", "roles"]


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


def do_import_org_chart(actor: Any, data: bytes, filename: str, *, dry_run: bool) -> ImportReport:
    raise NotImplementedError


def org_chart_rows(actor: Any) -> list[list[str]]:
    people = authz.scope_filter(actor, ops.ORGCHART_EXPORT.code,
                                Person.objects.filter(is_active=True)).select_related(
        "department", "position").prefetch_related("role_assignments__role")
    rows = []
    for person in people.order_by("department__path", "username"):
        department = person.department
        rows.append([
            person.username, person.employee_number or "", person.name_zh, person.name_en,
            person.email, person.phone, person.status,
            department.code if department else "",
            department.name_zh if department else "",
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
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def do_request_export(actor: Any, fmt: str) -> OrgChartExport:
    """Queue an export of the people the actor may export; they are notified when done."""
    authz.require(actor, ops.ORGCHART_EXPORT.code)
    with transaction.atomic():
        export = OrgChartExport.objects.create(requested_by_id=authz.actor_for(actor).user_id,
                                               format=fmt)
        enqueue(build_export, export.pk)
    return export


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
