"""The payroll export of a closed month, its column layouts and the month pages' reads.

A closed month is read from its frozen ``MonthSummary`` rows; one row per person, the
columns picked by a saved ``ExportLayout`` from a registry of small column classes (person
columns, day counts, one column per leave type, overtime by class, comp time, corrections).
The XLSX file has three sheets: the summary, ``Detail`` (one row per person and day) and
``Corrections`` (changes to days of earlier closed months paid in this one).

Why the XLSX is written here and not through openpyxl: a museum of 5,000 people has about
155,000 person-days a month. openpyxl's write-only mode spends ~5 µs a cell and took 11 s
for the detail sheet alone (2 cores, measured while building this); writing the
SpreadsheetML (ECMA-376 part 1) directly takes about a tenth of that. Tests read the files
back with openpyxl.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any, Protocol
from xml.sax.saxutils import escape, quoteattr

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, ValidationFailed
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance import services
from taihe.modules.attendance.computing import local_zone, month_end
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

STATUS_LABELS: dict[str, Any] = {
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "left_early": gettext_lazy("Left early"),
    "late_and_left_early": gettext_lazy("Late and left early"),
    "absent": gettext_lazy("Absent"),
    "missing_punch_in": gettext_lazy("No clock-in"),
    "missing_punch_out": gettext_lazy("No clock-out"),
    "on_leave": gettext_lazy("On leave"),
    "partial_leave": gettext_lazy("Partly on leave"),
    "business_trip": gettext_lazy("Business trip"),
    "rest": gettext_lazy("Rest day"),
    "holiday": gettext_lazy("Statutory holiday"),
}
OVERTIME_LABELS: dict[str, Any] = {
    OvertimeClass.WORKDAY.value: gettext_lazy("Workday"),
    OvertimeClass.REST_DAY.value: gettext_lazy("Rest day"),
    OvertimeClass.HOLIDAY.value: gettext_lazy("Statutory holiday"),
}
SETTLEMENT_LABELS: dict[str, Any] = {"pay": gettext_lazy("Paid"),
                                     "comp_time": gettext_lazy("Time off in lieu")}


def in_language(name_zh: str, name_en: str) -> str:
    """A bilingual name in the reader's language, falling back to the other one."""
    if (get_language() or "en").startswith("zh"):
        return name_zh or name_en
    return name_en or name_zh


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


def _leave_names() -> dict[str, str]:
    return {leave.code: in_language(leave.name_zh, leave.name_en)
            for leave in LeaveType.objects.all()}


def _detail_table(first_day: date, person_order: list[int], lines: dict[int, PersonLine]
                  ) -> Table:
    """One row per person and day, read as tuples in one pass and written in the
    summary's person order (people judged after the close come last)."""
    zone = local_zone()
    by_person: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for values in DayResult.objects.filter(date__range=(first_day, month_end(first_day))) \
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
    leave_names = _leave_names()

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
    leave_names = _leave_names()
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


ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's 1900 date system as it counts from March 1900 on (ECMA-376 18.17.4.1)."""
STYLE_HEADER, STYLE_DATE, STYLE_DATETIME = 1, 2, 3
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
STYLES = (
    f'{XML_HEAD}<styleSheet xmlns="{NS_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str, cache: dict[str, str]) -> str:
    """The tail of an inline-string cell after its reference; names and status words
    repeat on every day of a person, so each text is escaped once."""
    found = cache.get(value)
    if found is None:
        text = escape(ILLEGAL_XML.sub("", value))
        space = ' xml:space="preserve"' if text != text.strip() else ""
        found = f'" t="inlineStr"><is><t{space}>{text}</t></is></c>'
        if len(cache) < 100_000:
            cache[value] = found
    return found


def _cell(reference: str, value: Any) -> str:
    """A cell other than text or a whole number (those are written inline, see below)."""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{reference}"><v>{format(value, "f")}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    if isinstance(value, datetime):
        clock = value.hour * 3600 + value.minute * 60 + value.second
        serial = (value.date() - EXCEL_EPOCH).days + clock / 86400
        return f'<c r="{reference}" s="{STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{reference}" s="{STYLE_DATE}"><v>{(value - EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, time):
        serial = (value.hour * 3600 + value.minute * 60 + value.second) / 86400
        return f'<c r="{reference}"><v>{serial!r}</v></c>'
    return f'<c r="{reference}{_text(str(value), {})}'


def _sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: 31 characters without []:*?/\\ (Excel's rules)."""
    name = SHEET_NAME_FORBIDDEN.sub(" ", title).strip("' ")[:31] or "Sheet"
    candidate, number = name, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate, number = name[:31 - len(suffix)] + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


def write_xlsx(tables: Sequence[Table]) -> bytes:
    """An XLSX workbook, one sheet per table: bold frozen header row, column widths,
    numbers as numbers, dates and times as Excel dates. Rows stream into the zip."""
    buffer = io.BytesIO()
    names: list[str] = []
    taken: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for number, table in enumerate(tables, start=1):
            names.append(_sheet_name(table.title, taken))
            with package.open(f"xl/worksheets/sheet{number}.xml", "w") as sheet:
                _write_sheet(sheet, table)
        sheets = "".join(f'<sheet name={quoteattr(name)} sheetId="{number}" '
                         f'r:id="rId{number}"/>' for number, name in enumerate(names, start=1))
        package.writestr("xl/workbook.xml", (
            f'{XML_HEAD}<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
            f'<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>'))
        relations = "".join(
            f'<Relationship Id="rId{number}" Type="{NS_REL}/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>' for number in range(1, len(names) + 1))
        package.writestr("xl/_rels/workbook.xml.rels", (
            f'{XML_HEAD}<Relationships xmlns="{NS_PACKAGE_REL}">{relations}'
            f'<Relationship Id="rId{len(names) + 1}" Type="{NS_REL}/styles" '
            f'Target="styles.xml"/></Relationships>'))
        package.writestr("xl/styles.xml", STYLES)
        package.writestr("_rels/.rels", (
            f'{XML_HEAD}<Relationships xmlns="{NS_PACKAGE_REL}"><Relationship Id="rId1" '
            f'Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for number in range(1, len(names) + 1))
        package.writestr("[Content_Types].xml", (
            f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'))
    return buffer.getvalue()


def _write_sheet(stream: Any, table: Table) -> None:
    letters = [_column_letter(number) for number in range(1, len(table.headers) + 1)]
    widths = "".join(f'<col min="{number}" max="{number}" width="{width}" customWidth="1"/>'
                     for number, width in enumerate(table.widths, start=1))
    header = "".join(
        f'<c r="{letter}1" t="inlineStr" s="{STYLE_HEADER}"><is><t>'
        f'{escape(ILLEGAL_XML.sub("", text))}</t></is></c>'
        for letter, text in zip(letters, table.headers, strict=True))
    stream.write((
        f'{XML_HEAD}<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheetViews>'
        '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
        'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols>'
        f'<sheetData><row r="1">{header}</row>').encode())
    chunk: list[str] = []
    texts: dict[str, str] = {}
    for number, row in enumerate(table.rows, start=2):
        chunk.append(f'<row r="{number}">')
        for letter, value in zip(letters, row, strict=True):
            kind = type(value)
            if kind is str:
                chunk.append(f'<c r="{letter}{number}{_text(value, texts)}')
            elif kind is int:
                chunk.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
            elif value is not None:
                chunk.append(_cell(f"{letter}{number}", value))
        chunk.append("</row>")
        if len(chunk) > 20_000:
            stream.write("".join(chunk).encode())
            chunk = []
    stream.write(("".join(chunk) + "</sheetData></worksheet>").encode())


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
