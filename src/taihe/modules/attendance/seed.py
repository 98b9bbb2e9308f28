"""What every museum starts with, installed after each migrate and never overwritten: the
leave types of PRC law and practice, and the national statutory calendar of this year and
the next (from ``chinese-calendar``) when no row of that year exists yet."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from taihe.modules.attendance.models import CalendarDay, LeaveType
from taihe.modules.attendance.rules.calendar import CalendarDataMissing, statutory_days

# code, Chinese, English, unit, counts calendar days, kept as a balance, paid
LEAVE_TYPES = [
    ("annual", "年假", "Annual leave", "day", False, True, True),
    ("sick", "病假", "Sick leave", "day", False, False, True),
    ("personal", "事假", "Personal leave", "day", False, False, False),
    ("comp_time", "调休", "Time off in lieu", "hour", False, True, True),
    ("marriage", "婚假", "Marriage leave", "day", False, False, True),
    # Special Provisions on Labour Protection of Female Employees art. 7: 98 days, counted
    # as calendar days.
    ("maternity", "产假", "Maternity leave", "day", True, False, True),
    ("paternity", "陪产假", "Paternity leave", "day", False, False, True),
    ("bereavement", "丧假", "Bereavement leave", "day", False, False, True),
]


def install_leave_types() -> list[str]:
    created = []
    for order, (code, zh, en, unit, calendar_days, has_balance, paid) in enumerate(LEAVE_TYPES):
        _found, made = LeaveType.objects.get_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "unit": unit,
                                 "calendar_days": calendar_days, "has_balance": has_balance,
                                 "paid": paid, "order": order})
        if made:
            created.append(code)
    return created


def install_statutory_year(year: int) -> int:
    """National rows of ``year`` from the package; nothing when the year has rows already
    (HR's import wins) or the package does not cover it. Returns rows added."""
    if CalendarDay.objects.filter(calendar__isnull=True, date__year=year).exists():
        return 0
    try:
        found = statutory_days(year)
    except CalendarDataMissing:
        return 0
    rows = [CalendarDay(date=day, kind=CalendarDay.Kind.HOLIDAY, name=name)
            for day, name in found.holidays.items()]
    rows += [CalendarDay(date=day, kind=CalendarDay.Kind.ADJUSTED_WORKDAY)
             for day in sorted(found.adjusted_workdays)]
    rows += [CalendarDay(date=day, kind=CalendarDay.Kind.REST_IN_LIEU, name=name)
             for day, name in found.rest_days_in_lieu.items()]
    CalendarDay.objects.bulk_create(rows)
    return len(rows)


def install(today: date | None = None) -> None:
    today = today or timezone.localdate()
    with transaction.atomic():
        install_leave_types()
        for year in (today.year - 1, today.year, today.year + 1):
            install_statutory_year(year)


def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    install()
