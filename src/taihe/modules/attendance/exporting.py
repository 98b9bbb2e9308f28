"""The payroll export of a closed month, its column layouts and the month pages' reads.

A closed month is read from its frozen ``MonthSummary`` rows; one row per person, the
columns picked by a saved ``ExportLayout`` from a registry of small column classes (person
columns, day counts, one column per leave type, overtime by class, comp time, corrections).
The XLSX file has three sheets: the summary, ``Detail`` (one row per person and day) and
``Corrections`` (changes to days of earlier closed months paid in this one).

The XLSX file is written by XlsxWriter in its constant-memory mode (rows stream to a
temporary file, so 155,000 detail rows of a 5,000-person museum keep memory flat); the
tests read the files back with openpyxl. On 2 cores a 5,000-person month takes about
8.5 s (benchmarks/attendance.py; target 10 s), three quarters of it inside XlsxWriter's
per-cell work; openpyxl's write-only mode took 11 s for the detail sheet alone.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Protocol

import xlsxwriter
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, ValidationFailed
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance import services
from taihe.modules.attendance.computing import local_zone, month_end
from taihe.modules.attendance.labels import STATUS_LABELS, in_language, leave_type_names
from taihe.modules.attendance.models import (
    REST_CODE,
    Correction,
    DayResult,
    ExportLayout,
    LeaveType,
    Membership,
    Month,
    MonthSummary,
    Shift,
)
from taihe.modules.attendance.rules.overtime import OvertimeClass
from taihe.modules.attendance.summary import Tally
from taihe.modules.directory import api as directory

HUNDREDTHS = Decimal("0.01")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet takes text starting with these as a formula (OWASP "CSV injection")."""

OVERTIME_LABELS: dict[str, Any] = {
    OvertimeClass.WORKDAY.value: gettext_lazy("Workday"),
    OvertimeClass.REST_DAY.value: gettext_lazy("Rest day"),
    OvertimeClass.HOLIDAY.value: gettext_lazy("Statutory holiday"),
}
SETTLEMENT_LABELS: dict[str, Any] = {"pay": gettext_lazy("Paid"),
                                     "comp_time": gettext_lazy("Time off in lieu")}


def month_label(first_day: date) -> str:
    return first_day.strftime("%Y-%m")


# --- Columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonLine:
    """What a summary row needs about its person besides the summary itself."""

    id: int
    username: str
    name: str
    department: str
    leave_day_hours: Mapping[str, Decimal] = field(default_factory=dict)
    """Hours of one leave day by hour-kept leave type, measured on the month's days."""


class Column(Protocol):
    """One column of the summary: its code (what layouts store), header, cell value."""

    @property
    def code(self) -> str: ...

    @property
    def width(self) -> int: ...

    @property
    def summable(self) -> bool: ...

    def header(self) -> str: ...

    def value(self, summary: MonthSummary, person: PersonLine) -> Any: ...


@dataclass(frozen=True)
class PersonColumn:
    code: str
    label: Any
    read: Callable[[MonthSummary, PersonLine], str]
    width: int = 16
    summable: bool = False

    def header(self) -> str:
        return str(self.label)

    def value(self, summary: MonthSummary, person: PersonLine) -> Any:
        return self.read(summary, person)


@dataclass(frozen=True)
class FieldColumn:
    """A number stored on the summary as it is."""

    code: str
    label: Any
    width: int = 10
    summable: bool = True

    def header(self) -> str:
        return str(self.label)

    def value(self, summary: MonthSummary, person: PersonLine) -> Any:
        return plain_number(getattr(summary, self.code))


@dataclass(frozen=True)
class LeaveColumn:
    """Leave of one type: days, or hours for an hour-kept type (comp time). The summary
    keeps days; an hour-kept type turns them into hours by the person's own leave days of
    the month (a half day on a 7.5-hour shift is 3.75 hours), else the services' default
    day."""

    leave_type: LeaveType
    width: int = 12
    summable: bool = True

    @property
    def code(self) -> str:
        return f"leave:{self.leave_type.code}"

    def header(self) -> str:
        name = in_language(self.leave_type.name_zh, self.leave_type.name_en)
        if self.leave_type.unit == LeaveType.Unit.HOUR:
            return _("%(leave)s (hours)") % {"leave": name}
        return _("%(leave)s (days)") % {"leave": name}

    def value(self, summary: MonthSummary, person: PersonLine) -> Any:
        days = Decimal(str((summary.leave or {}).get(self.leave_type.code, "0")))
        if self.leave_type.unit == LeaveType.Unit.HOUR:
            per_day = person.leave_day_hours.get(self.leave_type.code,
                                                   services.DEFAULT_DAY_HOURS)
            return plain_number((days * per_day).quantize(HUNDREDTHS))
        return plain_number(days)


@dataclass(frozen=True)
class OvertimeColumn:
    """Paid overtime hours of one class; the header names the statutory minimum rate
    (PRC Labour Law art. 44: 150 % workday, 200 % rest day, 300 % statutory holiday)."""

    overtime_class: OvertimeClass
    label: Any
    width: int = 14
    summable: bool = True

    @property
    def code(self) -> str:
        return f"overtime:{self.overtime_class.value}"

    def header(self) -> str:
        rate = int(self.overtime_class.pay_rate * 100)
        return _("%(kind)s overtime at %(rate)s %% (hours)") % {"kind": str(self.label),
                                                                "rate": rate}

    def value(self, summary: MonthSummary, person: PersonLine) -> Any:
        return plain_number(Decimal(str((summary.overtime or {}).get(
            self.overtime_class.value, "0"))))


@dataclass(frozen=True)
class CorrectionsColumn:
    code: str = "corrections_count"
    width: int = 12
    summable: bool = True

    def header(self) -> str:
        return _("Corrections of closed months")

    def value(self, summary: MonthSummary, person: PersonLine) -> Any:
        return len(summary.corrections or [])


PERSON_COLUMNS: tuple[Column, ...] = (
    PersonColumn("username", gettext_lazy("User name"), lambda s, p: p.username, 14),
    PersonColumn("name", gettext_lazy("Name"), lambda s, p: p.name, 18),
    PersonColumn("department", gettext_lazy("Department"), lambda s, p: p.department, 20),
    PersonColumn("group", gettext_lazy("Attendance group"), lambda s, p: s.group_name, 16),
)
COUNT_COLUMNS: tuple[Column, ...] = (
    FieldColumn("scheduled_days", gettext_lazy("Scheduled days")),
    FieldColumn("worked_days", gettext_lazy("Days worked")),
    FieldColumn("late_count", gettext_lazy("Times late")),
    FieldColumn("late_minutes", gettext_lazy("Minutes late")),
    FieldColumn("early_count", gettext_lazy("Times left early")),
    FieldColumn("early_minutes", gettext_lazy("Minutes left early")),
    FieldColumn("absent_days", gettext_lazy("Days absent")),
    FieldColumn("missing_punches", gettext_lazy("Missing punches")),
    FieldColumn("trip_days", gettext_lazy("Business trip days")),
)
OVERTIME_COLUMNS: tuple[Column, ...] = (
    OvertimeColumn(OvertimeClass.WORKDAY, gettext_lazy("Workday")),
    OvertimeColumn(OvertimeClass.REST_DAY, gettext_lazy("Rest-day")),
    OvertimeColumn(OvertimeClass.HOLIDAY, gettext_lazy("Holiday")),
)
TAIL_COLUMNS: tuple[Column, ...] = (
    FieldColumn("comp_time_hours", gettext_lazy("Overtime taken as time off (hours)"), 14),
    CorrectionsColumn(),
)


def columns() -> list[Column]:
    """Every column in its default order; leave columns follow the leave types."""
    leave: list[Column] = [LeaveColumn(leave_type) for leave_type in LeaveType.objects.all()]
    return [*PERSON_COLUMNS, *COUNT_COLUMNS, *leave, *OVERTIME_COLUMNS, *TAIL_COLUMNS]


def available_columns() -> list[tuple[str, str]]:
    """Every column a layout may use, as (code, header in the current language)."""
    return [(column.code, column.header()) for column in columns()]


def default_columns() -> list[str]:
    """The codes of every column, in the registry's order (the layout when none is saved)."""
    return [column.code for column in columns()]


def plain_number(value: Any) -> Any:
    """A number as payroll reads it: whole numbers as int, others as a trimmed Decimal."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return value.normalize()
    return value


# --- Layouts ---------------------------------------------------------------------------------


def layouts() -> list[ExportLayout]:
    return list(ExportLayout.objects.order_by("-is_default", "name"))


def do_save_layout(actor: Any, layout_id: int | None, *, name: str, columns: list[str],
                   is_default: bool) -> ExportLayout:
    """Create (``layout_id`` None) or change a column layout. Only one layout is the
    default: making this one the default takes it from the other. Raises PermissionDenied
    without ``attendance.month.close``, NotFound for an unknown layout, ValidationFailed
    (fields ``name`` and ``columns``) for a missing or taken name, no columns, unknown or
    repeated column codes."""
    authz.require(actor, ops.PAYROLL.code)
    layout = ExportLayout() if layout_id is None else \
        ExportLayout.objects.filter(pk=layout_id).first()
    if layout is None:
        raise NotFound(_("This layout does not exist (any more)."))
    problems: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = _("Enter a name for the layout.")
    elif len(name) > 100:
        problems["name"] = _("The name is %(length)s characters long; 100 at most.") % {
            "length": len(name)}
    elif ExportLayout.objects.filter(name=name).exclude(pk=layout.pk).exists():
        problems["name"] = _("A layout named “%(name)s” exists already.") % {"name": name}
    known = set(default_columns())
    unknown = [code for code in columns if code not in known]
    repeated = sorted({code for code in columns if columns.count(code) > 1})
    if not columns:
        problems["columns"] = _("Choose at least one column.")
    elif unknown:
        problems["columns"] = _("Unknown columns: %(codes)s.") % {"codes": ", ".join(unknown)}
    elif repeated:
        problems["columns"] = _("Each column may appear once; repeated: %(codes)s.") % {
            "codes": ", ".join(repeated)}
    if problems:
        raise ValidationFailed(fields=problems)
    layout.name = name
    layout.columns = list(columns)
    layout.is_default = is_default
    layout.saved_by = actor
    try:
        with transaction.atomic():
            if is_default:
                ExportLayout.objects.filter(is_default=True).exclude(pk=layout.pk) \
                    .update(is_default=False)
            layout.save()
    except IntegrityError as error:  # another HR officer saved the same name meanwhile
        raise ValidationFailed(fields={"name": _("A layout named “%(name)s” exists already.")
                                       % {"name": name}}) from error
    return layout


def do_set_default_layout(actor: Any, layout_id: int) -> ExportLayout:
    """Make a layout the default one (the only one). Raises PermissionDenied without
    ``attendance.month.close``, NotFound when it does not exist."""
    authz.require(actor, ops.PAYROLL.code)
    with transaction.atomic():
        layout = ExportLayout.objects.select_for_update().filter(pk=layout_id).first()
        if layout is None:
            raise NotFound(_("This layout does not exist (any more)."))
        ExportLayout.objects.filter(is_default=True).exclude(pk=layout.pk) \
            .update(is_default=False)
        layout.is_default = True
        layout.saved_by = actor
        layout.save(update_fields=["is_default", "saved_by", "updated_at"])
    return layout


def do_delete_layout(actor: Any, layout_id: int) -> None:
    """Remove a saved layout. Raises PermissionDenied without ``attendance.month.close``,
    NotFound when it does not exist."""
    authz.require(actor, ops.PAYROLL.code)
    deleted, _rows = ExportLayout.objects.filter(pk=layout_id).delete()
    if not deleted:
        raise NotFound(_("This layout does not exist (any more)."))


def layout_columns(layout_id: int | None) -> list[Column]:
    """The columns of a layout (the default layout, else every column, when None). Codes
    that no longer exist (a leave type removed since) are left out. Raises NotFound for an
    unknown layout, ValidationFailed when none of its columns exists any more."""
    registry = {column.code: column for column in columns()}
    if layout_id is None:
        layout = ExportLayout.objects.filter(is_default=True).first()
    else:
        layout = ExportLayout.objects.filter(pk=layout_id).first()
        if layout is None:
            raise NotFound(_("This layout does not exist (any more)."))
    if layout is None:
        return list(registry.values())
    chosen = [registry[code] for code in layout.columns if code in registry]
    if not chosen:
        raise ValidationFailed(fields={"layout": _(
            "None of the columns of the layout “%(name)s” exists any more; edit the layout.")
            % {"name": layout.name}})
    return chosen


# --- People ----------------------------------------------------------------------------------


def _department_names(department_ids: Iterable[int | None]) -> dict[int | None, str]:
    """Names of departments (tree order kept in the dict), closed ones included."""
    names: dict[int | None, str] = {info.id: in_language(info.name_zh, info.name_en)
                                    for info in directory.departments()}
    for department_id in set(department_ids) - set(names):
        found = directory.department(department_id) if department_id is not None else None
        names[department_id] = in_language(found.name_zh, found.name_en) if found else \
            _("No department")
    return names


def _leave_day_hours(first_day: date, person_ids: Sequence[int]) -> dict[int, dict[str, Decimal]]:
    """Hours of one leave day for each person and hour-kept leave type, measured on the
    month's judged days (leave minutes over leave days)."""
    hourly = list(LeaveType.objects.filter(unit=LeaveType.Unit.HOUR).values_list("code",
                                                                                flat=True))
    found: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if not hourly:
        return found
    rows = DayResult.objects.filter(date__range=(first_day, month_end(first_day)),
                                    leave_type__in=hourly, leave_days__gt=0,
                                    person_id__in=list(person_ids)) \
        .values("person_id", "leave_type").annotate(minutes=Sum("leave_minutes"),
                                                    days=Sum("leave_days"))
    for row in rows:
        if row["minutes"] and row["days"]:
            found[row["person_id"]][row["leave_type"]] = \
                Decimal(row["minutes"]) / 60 / Decimal(str(row["days"]))
    return found


def person_lines(first_day: date, departments: Mapping[int, int | None]
                 ) -> dict[int, PersonLine]:
    """Each person's line for ``departments`` (person id → department id), in one query
    to the directory and one for the measured leave hours."""
    ids = sorted(departments)
    people = {info.id: info for info in directory.people(ids)}
    names = _department_names(departments.values())
    hours = _leave_day_hours(first_day, ids)
    lines = {}
    for person_id in ids:
        info = people.get(person_id)
        lines[person_id] = PersonLine(
            person_id, info.username if info else str(person_id),
            in_language(info.name_zh, info.name_en) if info else "",
            names.get(departments[person_id], ""), hours.get(person_id, {}))
    return lines


def _ordered(rows: list[MonthSummary], lines: Mapping[int, PersonLine],
             department_order: Mapping[int | None, int]) -> list[MonthSummary]:
    """By department in tree order, then user name."""
    return sorted(rows, key=lambda row: (department_order.get(row.department_id, 1 << 30),
                                         lines[row.person_id].username))


# --- Month reads for the pages ---------------------------------------------------------------


@dataclass(frozen=True)
class MonthLine:
    first_day: date
    month: Month | None
    people: int
    closed_by: str
    has_ended: bool

    @property
    def label(self) -> str:
        return month_label(self.first_day)

    @property
    def is_closed(self) -> bool:
        return self.month is not None and self.month.closed_at is not None


def today() -> date:
    return timezone.localdate(timezone.now(), local_zone())


def month_lines(actor: Any) -> list[MonthLine]:
    """Months with judged days or a month row, newest first, with who closed them. Raises
    PermissionDenied without ``attendance.month.close``."""
    authz.require(actor, ops.PAYROLL.code)
    rows = {month.first_day: month for month in Month.objects.all()}
    judged = set(DayResult.objects.dates("date", "month"))
    # A closed month knows its head count; only open months are counted (on the date index).
    counts = {first_day: DayResult.objects.filter(date__range=(first_day, month_end(first_day)))
              .values("person_id").distinct().count()
              for first_day in judged if first_day not in rows or rows[first_day].closed_at is None}
    closers = directory.display_names(sorted({month.closed_by_id for month in rows.values()
                                              if month.closed_by_id}))
    current = today()
    lines = []
    for first_day in sorted(set(rows) | judged, reverse=True):
        month = rows.get(first_day)
        closed = month is not None and month.closed_at is not None
        lines.append(MonthLine(
            first_day, month, month.people if closed and month else counts.get(first_day, 0),
            closers.get(month.closed_by_id, "") if month and month.closed_by_id else "",
            month_end(first_day) < current))
    return lines


@dataclass
class DepartmentTotal:
    name: str
    people: int = 0
    sums: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class MonthReport:
    """A month as the page shows it: frozen summaries, or a provisional live tally."""

    line: MonthLine
    columns: list[Column]
    rows: list[tuple[MonthSummary, PersonLine]]
    departments: list[DepartmentTotal]

    @property
    def provisional(self) -> bool:
        return not self.line.is_closed

    @property
    def summable(self) -> list[Column]:
        return [column for column in self.columns if column.summable]


def _summary_from_tally(person_id: int, tally: Tally, department_id: int | None,
                        group_name: str) -> MonthSummary:
    """An unsaved summary made the way ``services.do_close_month`` freezes one (the unsigned
    counts stop at zero there, so they do here)."""
    return MonthSummary(
        person_id=person_id, department_id=department_id, group_name=group_name,
        scheduled_days=max(tally.scheduled_days, 0), worked_days=tally.worked_days,
        late_count=max(tally.late_count, 0), late_minutes=max(tally.late_minutes, 0),
        early_count=max(tally.early_count, 0), early_minutes=max(tally.early_minutes, 0),
        absent_days=tally.absent_days, missing_punches=max(tally.missing_punches, 0),
        trip_days=tally.trip_days, leave=tally.leave_days(), overtime=tally.overtime_hours(),
        comp_time_hours=tally.comp_time_hours(), corrections=tally.corrections)


def month_report(actor: Any, first_day: date) -> MonthReport | None:
    """A month's summaries with per-department sums; for an open month the live tally so
    far (``services.month_tallies``). None for a month without data. Raises
    PermissionDenied without ``attendance.month.close``."""
    from taihe.modules.attendance import services

    line = next((found for found in month_lines(actor) if found.first_day == first_day), None)
    if line is None:
        return None
    if line.is_closed:
        summaries = list(MonthSummary.objects.filter(month=line.month))
    else:
        tallies = services.month_tallies(first_day)
        departments = {info.id: info.department_id for info in directory.people(sorted(tallies))}
        groups = dict(Membership.objects.values_list("person_id", "group__name"))
        summaries = [_summary_from_tally(person_id, tally, departments.get(person_id),
                                         groups.get(person_id, ""))
                     for person_id, tally in tallies.items()]
    lines = person_lines(first_day, {row.person_id: row.department_id for row in summaries})
    names = _department_names(row.department_id for row in summaries)
    order = {department_id: index for index, department_id in enumerate(names)}
    summaries = _ordered(summaries, lines, order)
    try:
        chosen = layout_columns(None)
    except ValidationFailed:  # the default layout lost all its columns: show them all
        chosen = columns()
    totals: dict[int | None, DepartmentTotal] = {}
    summable = [column for column in chosen if column.summable]
    for row in summaries:
        total = totals.setdefault(row.department_id, DepartmentTotal(
            names.get(row.department_id, ""), 0, [0] * len(summable)))
        total.people += 1
        person = lines[row.person_id]
        total.sums = [plain_number(Decimal(str(before)) + Decimal(str(column.value(row, person))))
                      for before, column in zip(total.sums, summable, strict=True)]
    ordered_totals = [totals[key] for key in sorted(totals, key=lambda key: order.get(key, 0))]
    return MonthReport(line, chosen, [(row, lines[row.person_id]) for row in summaries],
                       ordered_totals)


# --- Sheets ----------------------------------------------------------------------------------


@dataclass
class Table:
    """One sheet: its title, headers, column widths and rows (streamed)."""

    title: str
    headers: list[str]
    widths: list[int]
    rows: Iterable[Sequence[Any]]


def _summary_table(month: Month, chosen: list[Column]) -> tuple[Table, list[int],
                                                                dict[int, PersonLine]]:
    summaries = list(MonthSummary.objects.filter(month=month))
    lines = person_lines(month.first_day, {row.person_id: row.department_id
                                           for row in summaries})
    names = _department_names(row.department_id for row in summaries)
    order = {department_id: index for index, department_id in enumerate(names)}
    summaries = _ordered(summaries, lines, order)
    rows = ([column.value(row, lines[row.person_id]) for column in chosen]
            for row in summaries)
    return (Table(_("Summary"), [column.header() for column in chosen],
                  [column.width for column in chosen], rows),
            [row.person_id for row in summaries], lines)


DETAIL_FIELDS = ("person_id", "date", "status", "shift_code", "check_in", "check_out",
                 "late_minutes", "early_minutes", "worked_minutes", "overtime_minutes",
                 "overtime_class", "overtime_settlement", "leave_type", "leave_days",
                 "department_id")


def _detail_table(first_day: date, person_order: list[int], lines: dict[int, PersonLine]
                  ) -> Table:
    """One row per person and day, read as tuples in one pass and written in the
    summary's person order (people judged after the close come last). A rest day or
    holiday on which nothing happened (no punch, no work, no leave) carries nothing for
    payroll and is left out: a third fewer rows for a month of office staff."""
    zone = local_zone()
    by_person: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for values in DayResult.objects.filter(date__range=(first_day, month_end(first_day))) \
            .exclude(status__in=("rest", "holiday"), check_in__isnull=True,
                     check_out__isnull=True, worked_minutes=0, overtime_minutes=0,
                     leave_days=0) \
            .order_by("person_id", "date").values_list(*DETAIL_FIELDS).iterator(chunk_size=5000):
        by_person[values[0]].append(values)
    late_comers = sorted(set(by_person) - set(lines))
    if late_comers:
        departments = {person_id: by_person[person_id][0][-1] for person_id in late_comers}
        lines = {**lines, **person_lines(first_day, departments)}
        person_order = [*person_order, *sorted(late_comers,
                                               key=lambda pid: lines[pid].username)]
    shifts = dict(Shift.objects.values_list("code", "name"))
    shifts[REST_CODE] = _("Rest")
    statuses = {code: str(label) for code, label in STATUS_LABELS.items()}
    classes = {code: str(label) for code, label in OVERTIME_LABELS.items()}
    settlements = {code: str(label) for code, label in SETTLEMENT_LABELS.items()}
    leave_names = leave_type_names()

    def rows() -> Iterator[list[Any]]:
        for person_id in person_order:
            line = lines[person_id]
            for (_person, day, status, shift, check_in, check_out, late, early, worked,
                 overtime, overtime_class, settlement, leave_type, leave_days,
                 _department) in by_person.get(person_id, ()):
                yield [day, line.username, line.name, line.department,
                       statuses.get(status, status), shifts.get(shift, shift),
                       _local(check_in, zone), _local(check_out, zone), late, early, worked,
                       overtime, classes.get(overtime_class, overtime_class) or None,
                       settlements.get(settlement, settlement) or None,
                       leave_names.get(leave_type, leave_type) or None,
                       plain_number(leave_days) if leave_days else None]

    headers = [_("Date"), _("User name"), _("Name"), _("Department"), _("Status"),
               _("Shift"), _("Clocked in"), _("Clocked out"), _("Minutes late"),
               _("Minutes left early"), _("Minutes worked"), _("Overtime minutes"),
               _("Overtime class"), _("Overtime settled as"), _("Leave type"),
               _("Leave (days)")]
    return Table(_("Detail"), headers, [11, 14, 18, 20, 14, 12, 16, 16, 9, 9, 9, 9, 14, 14,
                                        14, 9], rows())


def _local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    return moment.astimezone(zone) if moment is not None else None


def describe_day(values: Mapping[str, Any] | None, leave_names: Mapping[str, str]) -> str:
    """A day's payroll fields in words, for the corrections sheet."""
    if not values:
        return _("Not judged")
    parts = [str(STATUS_LABELS.get(values.get("status") or "", values.get("status") or ""))]
    if values.get("late_minutes"):
        parts.append(_("%(minutes)s min late") % {"minutes": values["late_minutes"]})
    if values.get("early_minutes"):
        parts.append(_("%(minutes)s min early") % {"minutes": values["early_minutes"]})
    if values.get("missing_punches"):
        parts.append(_("%(count)s missing punches") % {"count": values["missing_punches"]})
    leave_days = Decimal(str(values.get("leave_days") or 0))
    if leave_days and values.get("leave_type"):
        parts.append(_("%(leave)s %(days)s day(s)") % {
            "days": plain_number(leave_days),
            "leave": leave_names.get(values["leave_type"], values["leave_type"])})
    if values.get("overtime_minutes"):
        parts.append(_("%(minutes)s min overtime (%(kind)s)") % {
            "minutes": values["overtime_minutes"],
            "kind": str(OVERTIME_LABELS.get(values.get("overtime_class") or "", ""))})
    if values.get("trip_minutes"):
        parts.append(_("%(minutes)s min business trip") % {"minutes": values["trip_minutes"]})
    return "; ".join(parts)


def _corrections_table(first_day: date, lines: dict[int, PersonLine]) -> Table:
    corrections = list(Correction.objects.filter(applies_to=first_day)
                       .order_by("person_id", "day", "id"))
    leave_names = leave_type_names()
    missing = {row.person_id: None for row in corrections if row.person_id not in lines}
    if missing:
        lines = {**lines, **person_lines(first_day, missing)}
    rows = ([row.day, month_label(row.closed_month), lines[row.person_id].username,
             lines[row.person_id].name,
             describe_day((row.changes or {}).get("before"), leave_names),
             describe_day((row.changes or {}).get("after"), leave_names), row.cause or None]
            for row in sorted(corrections, key=lambda row: (lines[row.person_id].username,
                                                            row.day, row.pk)))
    return Table(_("Corrections"), [_("Day corrected"), _("Month it belonged to"),
                                    _("User name"), _("Name"), _("Before"), _("After"),
                                    _("Cause")],
                 [12, 10, 14, 18, 40, 40, 30], rows)


# --- Writers ---------------------------------------------------------------------------------


def csv_text(value: Any) -> str:
    """A cell as CSV text: numbers plain, text that a spreadsheet would run as a formula
    prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def write_csv(table: Table) -> bytes:
    """UTF-8 with a byte order mark: Excel (the Chinese editions included) only reads a CSV
    as UTF-8 when the BOM is there."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([csv_text(header) for header in table.headers])
    writer.writerows([csv_text(value) for value in row] for row in table.rows)
    return stream.getvalue().encode("utf-8-sig")


SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
WORKBOOK_OPTIONS = {
    # Rows go to a temporary file as soon as the next row starts: memory stays flat (about
    # 30 MB for 155,000 detail rows instead of about 400 MB with every cell kept until the
    # end). XlsxWriter's ``in_memory`` option would switch this mode off, so it is not set.
    "constant_memory": True,
    # Text is data: a name such as "=1+2" or a cause quoting a web address stays text
    # (OWASP "CSV injection" applies to spreadsheets too).
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


EXCEL_DAY_ZERO = date(1899, 12, 30).toordinal()
"""Excel's 1900 date system counts days from 30 December 1899 for every date from March 1900
on (ECMA-376 part 1, 18.17.4.1); the museum's records start long after."""


def excel_serial(moment: datetime) -> float:
    """The wall-clock time of ``moment`` (its zone ignored) as an Excel date serial number:
    whole days since Excel's day zero plus the fraction of the day."""
    seconds = (moment.hour * 3600 + moment.minute * 60 + moment.second
               + moment.microsecond / 1_000_000)
    return moment.toordinal() - EXCEL_DAY_ZERO + seconds / 86_400


def _sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: 31 characters without []:*?/\\ (Excel's rules), which
    XlsxWriter would refuse rather than mend."""
    name = SHEET_NAME_FORBIDDEN.sub(" ", title).strip("' ")[:31] or "Sheet"
    candidate, number = name, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate, number = name[:31 - len(suffix)] + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


def write_xlsx(tables: Sequence[Table]) -> bytes:
    """An XLSX workbook written by XlsxWriter, one sheet per table: bold frozen header row,
    column widths, numbers as numbers, dates (``yyyy-mm-dd``) and clock times
    (``yyyy-mm-dd hh:mm``) as Excel dates, text as text; empty cells (None) left blank."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    header = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": DATE_FORMAT})
    moment = workbook.add_format({"num_format": DATETIME_FORMAT})

    # ``write_row`` hands each cell to XlsxWriter's own type dispatch, one call a row; only
    # dates need a format, so they alone go through a handler. The handler writes the serial
    # number itself: XlsxWriter's datetime path costs about 1 µs a cell more, half a second
    # on the 370,000 dates and clock times of a 5,000-person month.
    def write_moment(sheet: Any, row: int, column: int, value: datetime,
                     *_cell_format: Any) -> Any:
        return sheet.write_number(row, column, excel_serial(value), moment)

    def write_day(sheet: Any, row: int, column: int, value: date, *_cell_format: Any) -> Any:
        return sheet.write_number(row, column, value.toordinal() - EXCEL_DAY_ZERO, day)

    taken: set[str] = set()
    try:
        for table in tables:
            sheet = workbook.add_worksheet(_sheet_name(table.title, taken))
            sheet.add_write_handler(datetime, write_moment)
            sheet.add_write_handler(date, write_day)
            for column, width in enumerate(table.widths):
                sheet.set_column(column, column, width)
            sheet.freeze_panes(1, 0)
            sheet.write_row(0, 0, table.headers, header)
            write_row = sheet.write_row
            for number, row in enumerate(table.rows, start=1):
                write_row(number, 0, row)
    finally:
        workbook.close()  # also removes the temporary row files after an error
    return buffer.getvalue()


# --- The export ------------------------------------------------------------------------------

SHEETS = ("summary", "detail", "corrections")


def closed_month(first_day: date) -> Month:
    """The month row of a closed month; Conflict for an open (or unknown) month."""
    month = Month.objects.filter(first_day=first_day, closed_at__isnull=False).first()
    if month is None:
        raise Conflict(_("%(month)s is not closed yet. Close the month first; payroll is "
                         "exported from its frozen summary.") % {"month": month_label(first_day)},
                       code="month_open")
    return month


def export_month(actor: Any, first_day: date, fmt: str, *, layout_id: int | None = None,
                 sheet: str = "summary") -> tuple[bytes, str, str]:
    """A closed month for payroll: ``xlsx`` (summary in the layout's columns, Detail and
    Corrections sheets) or ``csv`` (the ``sheet`` named: summary, detail or corrections).
    Returns (content, file name, content type). Raises PermissionDenied without
    ``attendance.month.close``, ValidationFailed for an unknown format or sheet, NotFound for
    an unknown layout, Conflict (code ``month_open``) for a month not closed yet."""
    authz.require(actor, ops.PAYROLL.code)
    if fmt not in FORMATS:
        raise ValidationFailed(fields={"format": _("Export as xlsx or csv, not “%(format)s”.")
                                       % {"format": fmt}})
    if sheet not in SHEETS:
        raise ValidationFailed(fields={"sheet": _("There is no sheet “%(sheet)s”; choose "
                                                  "summary, detail or corrections.")
                                       % {"sheet": sheet}})
    first_day = first_day.replace(day=1)
    month = closed_month(first_day)
    chosen = layout_columns(layout_id)
    stem = f"taihe-attendance-{month_label(first_day)}"
    summary, order, lines = _summary_table(month, chosen)
    if fmt == "xlsx":
        content = write_xlsx([summary, _detail_table(first_day, order, lines),
                              _corrections_table(first_day, lines)])
        return content, f"{stem}.xlsx", XLSX_TYPE
    tables: dict[str, Callable[[], Table]] = {
        "summary": lambda: summary,
        "detail": lambda: _detail_table(first_day, order, lines),
        "corrections": lambda: _corrections_table(first_day, lines),
    }
    name = f"{stem}.csv" if sheet == "summary" else f"{stem}-{sheet}.csv"
    return write_csv(tables[sheet]()), name, CSV_TYPE
