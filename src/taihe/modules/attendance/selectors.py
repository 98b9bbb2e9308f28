"""Attendance reads, each filtered by who may see it.

A person sees their own records. Managers see the people of the departments they head
(and below); whoever holds ``attendance.team.view`` sees it in the departments of the
grant; HR (``attendance.rules.manage`` or ``attendance.month.close``) sees everyone.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance.computing import local_midnight, local_zone, month_end
from taihe.modules.attendance.models import (
    Absence,
    DayResult,
    LeaveType,
    LedgerEntry,
    Membership,
    Month,
    MonthSummary,
    Overtime,
    Punch,
    PunchCorrection,
)
from taihe.modules.attendance.rulebook import load_rulebook, national_calendar
from taihe.modules.directory import api as directory

PROBLEMS = ("late", "left_early", "late_and_left_early", "absent", "missing_punch_in",
            "missing_punch_out")
"""Day statuses a manager is asked to look at."""


def today() -> date:
    return timezone.localdate(timezone.now(), local_zone())


def sees_everyone(actor: Any) -> bool:
    return authz.can(actor, ops.MANAGE.code) or authz.can(actor, ops.PAYROLL.code) or \
        authz.actor_for(actor).departments_for(ops.TEAM_VIEW.code) is None


_CACHE = "_attendance_team_departments"


def team_departments(actor: Any) -> set[int] | None:
    """Departments whose people's attendance the actor sees (None: all of them); worked
    out once per request (kept on the user object) from one read of the tree."""
    if getattr(actor, "is_anonymous", True):
        return set()
    if hasattr(actor, _CACHE):
        cached: set[int] | None = getattr(actor, _CACHE)
        return cached
    found: set[int] | None
    if sees_everyone(actor):
        found = None
    else:
        found = set(authz.actor_for(actor).departments_for(ops.TEAM_VIEW.code) or ())
        headed = directory.departments_headed_by(actor.pk)
        if headed:
            children: dict[int | None, list[int]] = {}
            for info in directory.departments():
                children.setdefault(info.parent_id, []).append(info.id)
            stack = list(headed)
            while stack:
                department = stack.pop()
                if department not in found:
                    found.add(department)
                    stack.extend(children.get(department, ()))
    with contextlib.suppress(AttributeError):  # an object taking no attributes: not cached
        setattr(actor, _CACHE, found)
    return found


def may_see_person(actor: Any, person_id: int) -> bool:
    """Oneself, or someone in a department the actor sees."""
    if getattr(actor, "pk", None) == person_id:
        return True
    departments = team_departments(actor)
    if departments is None:
        return directory.person(person_id) is not None
    info = directory.person(person_id)
    return info is not None and info.department_id in departments


def has_team(actor: Any) -> bool:
    departments = team_departments(actor)
    return departments is None or bool(departments)


def _team_filter(actor: Any, queryset: QuerySet[Any], field: str = "person_id"
                 ) -> QuerySet[Any]:
    """Rows of the people now in the actor's departments: the person's current department
    decides (a transferred person's earlier days go with them to the new head), the same
    rule as ``may_see_person``."""
    departments = team_departments(actor)
    if departments is None:
        return queryset
    return queryset.filter(**{f"{field}__in": directory.members_in(sorted(departments))})


def working_days_for(person_id: int | None, start: date, end: date) -> tuple[Decimal, str]:
    """Working days as leave counts them (``services.leave_amount``): the days the person's
    calendar, roster or grid cells schedule them to work; for someone in no group, Monday
    to Friday less the national holidays. Approval forms show this count."""
    if person_id is None:
        calendar = national_calendar(start, end)
        return Decimal(calendar.count_working_days(start, end)), _("Monday to Friday")
    book = load_rulebook([person_id], start, end)
    group = book.group_of(person_id)
    if group is None:
        calendar = national_calendar(start, end)
        return Decimal(calendar.count_working_days(start, end)), _("Monday to Friday")
    days = sum(1 for offset in range((end - start).days + 1)
               if book.works_on(person_id, start + timedelta(days=offset)))
    return Decimal(days), group.name


def membership_of(person_id: int) -> Membership | None:
    return Membership.objects.select_related("group", "group__shift", "group__calendar") \
        .filter(person_id=person_id).first()


def days_of(actor: Any, person_id: int, first_day: date) -> list[DayResult]:
    """A person's judged days of a month (empty when the actor may not see them)."""
    if not may_see_person(actor, person_id):
        return []
    return list(DayResult.objects.filter(person_id=person_id,
                                         date__range=(first_day, month_end(first_day)))
                .order_by("date"))


def punches_of(actor: Any, person_id: int, day: date) -> list[Punch]:
    """The punches near a working date (the evening before to the morning after)."""
    if not may_see_person(actor, person_id):
        return []
    zone = local_zone()
    return list(Punch.objects.select_related("site").filter(
        person_id=person_id, at__gte=local_midnight(day, zone) - timedelta(hours=6),
        at__lt=local_midnight(day + timedelta(days=1), zone) + timedelta(hours=12))
        .order_by("at"))


@dataclass(frozen=True)
class Balance:
    leave_type: LeaveType
    balance: Decimal
    pending: Decimal

    @property
    def available(self) -> Decimal:
        return self.balance - self.pending


def balances_of(actor: Any, person_id: int, on: date | None = None) -> list[Balance]:
    """Each balance-kept leave type's balance and what waits for approval."""
    if not may_see_person(actor, person_id):
        return []
    on = on or today()
    found = []
    for leave_type in LeaveType.objects.filter(has_balance=True):
        amounts = LedgerEntry.objects.filter(person_id=person_id, leave_type=leave_type,
                                             on__lte=on).values_list("amount", flat=True)
        pending = Absence.objects.filter(person_id=person_id, leave_type=leave_type,
                                         status=Absence.Status.PENDING) \
            .values_list("amount", flat=True)
        found.append(Balance(leave_type, sum(amounts, Decimal(0)), sum(pending, Decimal(0))))
    return found


def balances_for(actor: Any, person_ids: list[int], on: date | None = None
                 ) -> dict[int, list[Balance]]:
    """``balances_of`` for many people in two grouped queries (HR's balances table); the
    people the actor may not see are left out."""
    from django.db.models import Sum

    departments = team_departments(actor)
    if departments is None:
        visible = list(person_ids)
    else:
        within = set(directory.members_in(sorted(departments)))
        own = getattr(actor, "pk", None)
        visible = [pid for pid in person_ids if pid in within or pid == own]
    on = on or today()
    types = list(LeaveType.objects.filter(has_balance=True))
    sums = {(row["person_id"], row["leave_type_id"]): row["total"]
            for row in LedgerEntry.objects.filter(person_id__in=visible, on__lte=on,
                                                  leave_type__in=types)
            .values("person_id", "leave_type_id").annotate(total=Sum("amount"))}
    waiting = {(row["person_id"], row["leave_type_id"]): row["total"]
               for row in Absence.objects.filter(person_id__in=visible, leave_type__in=types,
                                                 status=Absence.Status.PENDING)
               .values("person_id", "leave_type_id").annotate(total=Sum("amount"))}
    cents = Decimal("0.01")

    def amount(found: Any) -> Decimal:  # SQLite may sum decimals as floats: back to cents
        return Decimal(str(found or 0)).quantize(cents)

    return {pid: [Balance(leave_type, amount(sums.get((pid, leave_type.pk))),
                          amount(waiting.get((pid, leave_type.pk))))
                  for leave_type in types] for pid in visible}


def ledger_of(actor: Any, person_id: int, leave_code: str) -> list[LedgerEntry]:
    if not may_see_person(actor, person_id):
        return []
    return list(LedgerEntry.objects.filter(person_id=person_id, leave_type__code=leave_code)
                .order_by("on", "id"))


@dataclass(frozen=True)
class MyRequests:
    absences: list[Absence]
    overtime: list[Overtime]
    corrections: list[PunchCorrection]


def requests_of(actor: Any, person_id: int, *, limit: int = 50) -> MyRequests:
    if not may_see_person(actor, person_id):
        return MyRequests([], [], [])
    return MyRequests(
        list(Absence.objects.select_related("leave_type").filter(person_id=person_id)
             .order_by("-start", "-id")[:limit]),
        list(Overtime.objects.filter(person_id=person_id).order_by("-work_date", "-id")[:limit]),
        list(PunchCorrection.objects.filter(person_id=person_id)
             .order_by("-work_date", "-id")[:limit]))


def team_day(actor: Any, day: date) -> list[DayResult]:
    """Every judged person of the actor's team on ``day``."""
    return list(_team_filter(actor, DayResult.objects.filter(date=day)).order_by("person_id"))


def team_people(actor: Any) -> list[int]:
    """People in attendance groups whose attendance the actor sees."""
    departments = team_departments(actor)
    people = Membership.objects.values_list("person_id", flat=True)
    if departments is None:
        return list(people)
    return list(people.filter(person_id__in=directory.members_in(sorted(departments))))


def exceptions_of(actor: Any, start: date, end: date, *, status: str | None = None,
                  department_ids: set[int] | None = None) -> QuerySet[DayResult]:
    """Problem days (late, early, absent, missing punches) of the actor's team, newest
    first, filtered in the database by status and by the people now in some departments."""
    rows = _team_filter(actor, DayResult.objects.filter(
        date__range=(start, end), status__in=PROBLEMS)).defer("reasons")
    if status:
        rows = rows.filter(status=status)
    if department_ids is not None:
        rows = rows.filter(person_id__in=directory.members_in(sorted(department_ids)))
    return rows.order_by("-date", "person_id")


def months(actor: Any) -> list[Month]:
    if not authz.can(actor, ops.PAYROLL.code):
        return []
    return list(Month.objects.all())


def month(first_day: date) -> Month | None:
    return Month.objects.filter(first_day=first_day).first()


def summaries_of(actor: Any, first_day: date) -> QuerySet[MonthSummary]:
    """A closed month's frozen summaries the actor may see."""
    rows = MonthSummary.objects.filter(month__first_day=first_day).order_by("person_id")
    if authz.can(actor, ops.PAYROLL.code):
        return rows
    return _team_filter(actor, rows).filter(Q(month__closed_at__isnull=False))


def is_closed(day: date) -> bool:
    return Month.objects.filter(first_day=day.replace(day=1), closed_at__isnull=False).exists()
