"""What the engine and the form fields ask of the rest of Taihe, answered from the
directory, the catalog and the delegations table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taihe.modules.catalog import api as catalog
from taihe.modules.directory import api as directory
from taihe.modules.workflows import fields as field_registry
from taihe.modules.workflows import operations as ops
from taihe.modules.workflows.engine import conditions
from taihe.modules.workflows.models import Attachment, Delegation

WorkingDays = Callable[[dt.date, dt.date, int | None], tuple[Decimal, str]]
_CALENDAR: list[WorkingDays] = []


def register_working_days(counter: WorkingDays) -> None:
    """Let a calendar (the attendance module's) count working days for date ranges:
    ``counter(start, end, person_id) -> (days, calendar name)``."""
    _CALENDAR[:] = [counter]


def weekdays_between(start: dt.date, end: dt.date) -> int:
    days = (end - start).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(rest):
        if (start + dt.timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


class Lookups:
    """Field validation and display for one person (the applicant, or the reader)."""

    def __init__(self, actor: Any, *, uploader_id: int | None = None,
                 request_id: int | None = None) -> None:
        self.actor = actor
        self.uploader_id = uploader_id if uploader_id is not None else getattr(actor, "pk", None)
        self.request_id = request_id

    def people_exist(self, ids: list[int]) -> set[int]:
        return directory.active_people(ids)

    def departments_exist(self, ids: list[int]) -> set[int]:
        return directory.department_ids(ids)

    def locations_visible(self, ids: list[int]) -> set[int]:
        return catalog.visible_location_ids(self.actor, ids)

    def objects_visible(self, ids: list[int]) -> set[int]:
        return catalog.visible_object_ids(self.actor, ids)

    def attachments_usable(self, ids: list[int], *, images: bool) -> set[int]:
        usable = Attachment.objects.filter(pk__in=ids)
        if self.request_id is not None:
            usable = usable.filter(Q(request_id=self.request_id)
                                   | Q(request__isnull=True, uploaded_by_id=self.uploader_id))
        else:
            usable = usable.filter(request__isnull=True, uploaded_by_id=self.uploader_id)
        if images:
            usable = usable.filter(is_image=True)
        return set(usable.values_list("id", flat=True))

    def working_days(self, start: dt.date, end: dt.date) -> tuple[Decimal, str]:
        if _CALENDAR:
            return _CALENDAR[0](start, end, self.uploader_id)
        return Decimal(weekdays_between(start, end)), str(_("Monday to Friday"))

    def name_of(self, kind: str, value: int) -> str:
        if kind == "person":
            return directory.display_names([value]).get(value, f"#{value}")
        if kind == "department":
            found = directory.department(value)
            return (found.name_zh or found.name_en) if found else f"#{value}"
        # Names come only for what this reader may see: an id typed into a form must not
        # reveal a restricted object's title or someone else's file name.
        if kind == "location":
            visible = value in self.locations_visible([value])
            return (catalog.location_name(value) if visible else "") or f"#{value}"
        if kind == "object":
            visible = value in self.objects_visible([value])
            return (catalog.object_title(value) if visible else "") or f"#{value}"
        if kind == "attachment":
            if value not in self.attachments_usable([value], images=False):
                return f"#{value}"
            attachment = Attachment.objects.filter(pk=value).first()
            return attachment.name if attachment else f"#{value}"
        return str(value)


class Resolver:
    """The engine's view of one request."""

    def __init__(self, *, applicant_id: int, department_id: int | None,
                 form: list[dict[str, Any]], values: dict[str, Any],
                 chosen: dict[str, list[int]], process_id: int | None) -> None:
        self.applicant_id = applicant_id
        self.department_id = department_id
        self.values = values
        self.kinds = field_registry.kinds_of(form)
        self.chosen = chosen
        self.process_id = process_id

    def people_for(self, source: dict[str, Any], node_id: str) -> list[int]:
        kind = source.get("kind")
        if kind == "people":
            wanted = [int(i) for i in source.get("ids", [])]
            active = directory.active_people(wanted)
            return [i for i in wanted if i in active]
        if kind == "role":
            return directory.people_with_role(str(source.get("code")))
        if kind in ("manager", "manager_chain"):
            levels = int(source.get("levels") or 1)
            wanted_levels = [levels] if kind == "manager" else range(1, levels + 1)
            found = []
            for level in wanted_levels:
                head = directory.department_head_of(self.applicant_id, level)
                if head is not None:
                    found.append(head.id)
            return found
        if kind == "department_head":
            department = directory.department(int(source.get("department_id") or 0))
            if department is None or department.head_id is None:
                return []
            return sorted(directory.active_people([department.head_id]))
        # People named in the form or picked by the applicant never include the applicant:
        # choosing oneself must not approve one's own request.
        if kind == "form_field":
            value = self.values.get(str(source.get("field")))
            wanted = value if isinstance(value, list) else [] if value is None else [value]
            active = directory.active_people([int(i) for i in wanted])
            return [int(i) for i in wanted if int(i) in active and int(i) != self.applicant_id]
        if kind == "applicant_choice":
            wanted = [int(i) for i in self.chosen.get(node_id, [])]
            active = directory.active_people(wanted)
            return [i for i in wanted if i in active and i != self.applicant_id]
        if kind == "applicant":
            return [self.applicant_id]
        return []

    def approvers(self, node: dict[str, Any]) -> list[int]:
        found: list[int] = []
        for source in node.get("approvers", []):
            found.extend(self.people_for(source, node["id"]))
        return list(dict.fromkeys(found))

    def administrators(self) -> list[int]:
        return directory.people_with_operation(ops.PROCESS_MANAGE.code)

    def delegate(self, person_id: int) -> int:
        now = timezone.now()
        active = (Delegation.objects.filter(person_id=person_id, starts_at__lte=now,
                                            ends_at__gt=now, ended_at__isnull=True)
                  .filter(Q(processes__isnull=True) | Q(processes__id=self.process_id))
                  .order_by("-starts_at").values_list("delegate_id", flat=True).first())
        # A stand-in never approves their own request: the absent approver keeps the task.
        if active is None or active == self.applicant_id or not directory.active_people([active]):
            return person_id
        return int(active)

    def holds(self, condition: dict[str, Any]) -> bool:
        return conditions.holds(condition, self.values, self.kinds,
                                applicant_department=self.department_id,
                                within=_within)


def _within(department_id: int | None, ancestor_id: int) -> bool:
    return department_id is not None and directory.is_within(department_id, ancestor_id)


within = _within
