"""Words for attendance codes, shared by the pages, the API and the payroll export so that
a day reads the same everywhere."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext_lazy

from taihe.modules.attendance.models import LeaveType

STATUS_LABELS: dict[str, Any] = {
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "left_early": gettext_lazy("Left early"),
    "late_and_left_early": gettext_lazy("Late and left early"),
    "absent": gettext_lazy("Absent"),
    "missing_punch_in": gettext_lazy("Missing clock-in"),
    "missing_punch_out": gettext_lazy("Missing clock-out"),
    "on_leave": gettext_lazy("On leave"),
    "partial_leave": gettext_lazy("Part-day leave"),
    "business_trip": gettext_lazy("Business trip"),
    "rest": gettext_lazy("Rest day"),
    "holiday": gettext_lazy("Statutory holiday"),
    "upcoming": gettext_lazy("Not in yet"),
    "in_progress": gettext_lazy("At work"),
}
"""The day statuses of ``rules.daily.DayStatus`` (and of a day not over yet) in words."""


def in_language(name_zh: str, name_en: str) -> str:
    """A bilingual name in the reader's language, falling back to the other one."""
    if (get_language() or "en").startswith("zh"):
        return name_zh or name_en
    return name_en or name_zh


def leave_type_name(leave_type: LeaveType | None) -> str:
    return in_language(leave_type.name_zh, leave_type.name_en) if leave_type else ""


def leave_type_names() -> dict[str, str]:
    """Every leave type's name by code, in the reader's language."""
    return {leave_type.code: leave_type_name(leave_type)
            for leave_type in LeaveType.objects.all()}
