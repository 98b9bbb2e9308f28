from datetime import timedelta
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "taihe.modules.attendance"
    label = "attendance"
    verbose_name = _("Attendance")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from taihe.modules.attendance import demo, jobs, operations, subscribers  # noqa: F401
        from taihe.modules.attendance.seed import on_post_migrate
        from taihe.modules.attendance.services import register_subjects
        from taihe.modules.workflows import api as workflows

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="attendance.seed")
        register_subjects()
        workflows.register_working_days(_working_days)
        _register_tiles()


def _working_days(start: Any, end: Any, person_id: Any) -> Any:
    """Working days of a person's own calendar for approval forms (weekdays when the
    person is in no attendance group)."""
    from taihe.modules.attendance.selectors import working_days_for

    return working_days_for(person_id, start, end)


def _register_tiles() -> None:
    from taihe.kernel.shell import AppTile, register_app, register_todo_source
    from taihe.modules.attendance import operations as ops

    register_app(AppTile(
        code="attendance", label=_("Attendance"), icon="clock", order=25,
        description=_("Clock in, see your month and balances, ask for leave or overtime"),
        url_name="attendance:me", operation=ops.PUNCH.code))
    register_app(AppTile(
        code="attendance.manage", label=_("Attendance rules"), icon="calendar", order=26,
        description=_("Calendars, shifts, groups, rosters, sites, imports and balances"),
        url_name="attendance:manage", operation=ops.MANAGE.code))
    register_app(AppTile(
        code="attendance.payroll", label=_("Attendance payroll"), icon="table", order=27,
        description=_("Close the month and download the payroll sheet"),
        url_name="attendance:payroll", operation=ops.PAYROLL.code))
    register_todo_source("attendance.days", _problem_days)


PROBLEMS_TO_RAISE = ("absent", "missing_punch_in", "missing_punch_out")


def _problem_days(user: Any) -> list[Any]:
    """To-dos: the person's own absent or half-punched days of the last week that no
    make-up punch or leave request covers yet, so nothing reaches payroll unexplained."""
    from django.urls import reverse

    from taihe.kernel.shell import Todo
    from taihe.modules.attendance.models import Absence, DayResult, PunchCorrection
    from taihe.modules.attendance.selectors import today

    if getattr(user, "is_anonymous", True):
        return []
    last = today() - timedelta(days=1)
    days = list(DayResult.objects.filter(person_id=user.pk, status__in=PROBLEMS_TO_RAISE,
                                         date__range=(last - timedelta(days=6), last))
                .order_by("date"))
    if not days:
        return []
    corrected = set(PunchCorrection.objects.filter(
        person_id=user.pk, work_date__in=[day.date for day in days])
        .exclude(status__in=("rejected", "withdrawn", "cancelled"))
        .values_list("work_date", flat=True))
    covered = list(Absence.objects.filter(person_id=user.pk, start__lte=last,
                                          end__gte=last - timedelta(days=6))
                   .exclude(status__in=("rejected", "withdrawn", "cancelled"))
                   .values_list("start", "end"))
    found = []
    for day in days:
        if day.date in corrected or any(start <= day.date <= end for start, end in covered):
            continue
        title = (_("Absent on %(day)s: ask for leave or a make-up punch")
                 if day.status == "absent" else
                 _("Missing punch on %(day)s: ask for a make-up punch"))
        found.append(Todo(title=str(title % {"day": day.date.isoformat()}),
                          url=reverse("attendance:day", args=[user.pk, day.date.isoformat()]),
                          source="attendance"))
    return found
