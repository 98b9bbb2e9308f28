"""HR's rule pages of attendance: work calendars and the national statutory days, shifts,
groups and their members, the monthly roster grid with swaps, punch sites, time-clock
imports and leave balances.

Thin like ``http.py``: parse, call one service of ``configuration`` (the rules) or
``services`` (imports and balances), render. Every page needs ``attendance.rules.manage``
(HR and administrators); the services check it again. A refused post keeps what the person
typed and puts the service's messages next to the fields they name; a successful one
redirects (post, redirect, get) so a reload cannot post twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from taihe.kernel import authz
from taihe.kernel.errors import DomainError, ValidationFailed
from taihe.kernel.http.pages import forbidden, not_found, refuse, show_errors
from taihe.modules.attendance import configuration, selectors, services
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance.computing import month_end, month_start, next_month, parse_month
from taihe.modules.attendance.labels import leave_type_name
from taihe.modules.attendance.models import (
    REST_CODE,
    Calendar,
    CalendarDay,
    Employment,
    Group,
    LeaveType,
    LedgerEntry,
    Membership,
    PunchImport,
    RosterCell,
    Shift,
    Site,
)
from taihe.modules.attendance.rulebook import load_rulebook
from taihe.modules.attendance.rules.calendar import DayKind, dates_between
from taihe.modules.directory import api as directory

PAGE_SIZE = 25
RECENT_IMPORTS = 10
MAX_PUNCH_FILE_BYTES = 20 * 1024 * 1024
"""A year of door-access punches of a thousand people is about 15 MB of CSV."""
MAX_HOLIDAY_FILE_BYTES = 1024 * 1024
"""A year's holiday notice is a few dozen rows."""
MAX_SEGMENTS = 6
"""Split shifts have two or three stretches; six leaves room without inviting mistakes."""
FIRST_YEAR, LAST_YEAR = 2000, 2100

WEEKDAYS = [(0, gettext_lazy("Monday")), (1, gettext_lazy("Tuesday")),
            (2, gettext_lazy("Wednesday")), (3, gettext_lazy("Thursday")),
            (4, gettext_lazy("Friday")), (5, gettext_lazy("Saturday")),
            (6, gettext_lazy("Sunday"))]
WEEKDAY_SHORT = [gettext_lazy("Mon"), gettext_lazy("Tue"), gettext_lazy("Wed"),
                 gettext_lazy("Thu"), gettext_lazy("Fri"), gettext_lazy("Sat"),
                 gettext_lazy("Sun")]
STATUTORY_KINDS = (CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.ADJUSTED_WORKDAY,
                   CalendarDay.Kind.REST_IN_LIEU)
"""The kinds the State Council's yearly notice sets; national rows hold only these."""

COLUMN_LABELS: dict[str, Any] = {
    "person": gettext_lazy("person"), "time": gettext_lazy("time"),
    "terminal": gettext_lazy("terminal"), "date": gettext_lazy("date"),
    "kind": gettext_lazy("kind"), "name": gettext_lazy("name"), "row": gettext_lazy("row"),
    "file": gettext_lazy("file"),
}
"""Column names of the CSV files, as the error lines name them."""
_ROW_KEY = re.compile(r"^row (\d+)(?:, ?(.+))?$", re.IGNORECASE)
_CELL_KEY = re.compile(r"^person (\d+), (\d{4}-\d{2}-\d{2})$")
"""How ``configuration.do_set_roster_cells`` names a refused cell."""
_TIME_TEXT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _may_manage(request: HttpRequest) -> bool:
    return authz.can(request.user, ops.MANAGE.code)


def _is_zh() -> bool:
    return (get_language() or "").startswith("zh")


def _refused(request: HttpRequest, error: DomainError, form: forms.Form | None = None,
             names: Mapping[str, str] | None = None) -> HttpResponse | None:
    """The refusal page for permission and not-found errors; otherwise the error's messages
    go next to the form's fields (when a form is given) and None is returned."""
    denied = refuse(request, error)
    if denied is None and form is not None:
        show_errors(form, error, names)
    return denied


def _problems(error: DomainError) -> list[str]:
    """Every message of an error as a line: the error's sentence first, then its fields in
    row order (``row 7, time`` reads "Row 7, time: ...")."""
    lines: list[tuple[int, str]] = []
    for key, message in error.fields.items():
        if message == str(error.detail):
            continue  # the sentence is the field's message, as for a year not covered
        match = _ROW_KEY.match(key)
        if match is None:
            label = str(COLUMN_LABELS.get(key, key))
            lines.append((0, f"{label}: {message}" if label else message))
            continue
        row, column = int(match.group(1)), (match.group(2) or "").strip()
        if column:
            label = _("Row %(row)d, %(column)s") % {
                "row": row, "column": COLUMN_LABELS.get(column, column)}
        else:
            label = _("Row %(row)d") % {"row": row}
        lines.append((row, f"{label}: {message}"))
    lines.sort(key=lambda line: line[0])
    head = str(error.detail)
    return [head, *(text for _row, text in lines)]


def _year(value: Any, default: int) -> int:
    text = str(value or "").strip()
    if text.isdigit() and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return int(text)
    return default


def _weekday_names(numbers: Iterable[int]) -> str:
    names = dict(WEEKDAYS)
    return ", ".join(str(names[number]) for number in sorted(numbers) if number in names)


def _clock(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _department_names() -> dict[int, str]:
    zh = _is_zh()
    return {info.id: (info.name_zh if zh or not info.name_en else info.name_en)
            for info in directory.departments()}


# --- Overview --------------------------------------------------------------------------------


def shift_hours(shift: Shift) -> str:
    """A shift's hours as a rota writes them: "09:00–12:00, 13:30–17:30 (+1 day)" or, for
    flexible hours, "8 h between 07:00 and 20:00"."""
    if shift.kind == Shift.Kind.FLEXIBLE:
        hours = Decimal(shift.target_minutes or 0) / 60
        return _("%(hours)s h between %(start)s and %(end)s") % {
            "hours": f"{hours.normalize():f}", "start": _clock(shift.earliest_start) or "–",
            "end": _clock(shift.latest_end) or "–"}
    parts = []
    for segment in shift.segments or []:
        start, end = [*segment, "", ""][:2] if isinstance(segment, list) else ("", "")
        text = f"{start}–{end}"
        if _crosses_midnight(str(start), str(end)):
            text += " " + _("(next day)")
        parts.append(text)
    return ", ".join(parts) or "–"


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Groups, shifts, calendars, sites and the latest punch imports, each linking to its
    page."""
    if not _may_manage(request):
        return forbidden(request)
    groups = (Group.objects.select_related("calendar", "shift").prefetch_related("sites")
              .annotate(members=Count("memberships")).order_by("name"))
    calendars = Calendar.objects.annotate(used_by=Count("groups")).order_by("name")
    imports = list(PunchImport.objects.order_by("-imported_at")[:RECENT_IMPORTS])
    names = directory.display_names(sorted({row.imported_by_id for row in imports}))
    return render(request, "attendance/manage_overview.html", {
        "section": "overview",
        "groups": groups,
        "shifts": [{"shift": shift, "hours": shift_hours(shift)}
                   for shift in Shift.objects.order_by("code")],
        "calendars": [{"calendar": calendar, "rest": _weekday_names(calendar.rest_weekdays)}
                      for calendar in calendars],
        "sites": Site.objects.annotate(used_by=Count("groups")).order_by("name"),
        "imports": [{"batch": row, "by": names.get(row.imported_by_id, "")}
                    for row in imports],
    })


# --- Calendars and national days -------------------------------------------------------------


class CalendarForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    rest_weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Weekly rest days"), choices=WEEKDAYS, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Front-of-house teams of a museum open at weekends often "
                               "rest on Monday."))
    follows_statutory = forms.BooleanField(
        label=gettext_lazy("Follows the national statutory holidays and make-up working "
                           "days"), required=False)


class DayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DATE_WIDGET)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False,
                           help_text=gettext_lazy("Required for a statutory holiday, such "
                                                  "as Spring Festival."))

    def __init__(self, *args: Any, national: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if national:
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                (kind.value, kind.label) for kind in STATUTORY_KINDS]


class HolidayCsvForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8, a header date,kind,name then one row a day. Kind is "
                               "holiday (a name is required), workday (a make-up working "
                               "day) or rest (a day off in lieu). Dates as 2027-02-06 or "
                               "2027/2/6."))
    year = forms.IntegerField(label=gettext_lazy("Only dates of the year"), required=False,
                              min_value=FIRST_YEAR, max_value=LAST_YEAR)


DAY_FIELD_NAMES = {"day": "date"}
"""``configuration.do_set_calendar_day`` calls the date ``day``."""


@dataclass
class DayRow:
    """One exception day of a year view."""

    day: CalendarDay
    national: bool
    weekday: str
    removable: bool


def _year_days(calendar: Calendar | None, year: int) -> list[DayRow]:
    """The dated exceptions of ``year``: the national rows (``calendar`` None), or a
    calendar's own rows with the national ones that apply to it, as ``rulebook`` applies
    them (the statutory kinds only when it follows the statutory holidays)."""
    rows = CalendarDay.objects.filter(date__year=year)
    if calendar is None:
        rows = rows.filter(calendar__isnull=True)
    else:
        rows = rows.filter(Q(calendar=calendar) | Q(calendar__isnull=True))
    found = []
    for day in rows.order_by("date", "calendar_id"):
        national = day.calendar_id is None
        if calendar is not None and national and not calendar.follows_statutory \
                and day.kind in STATUTORY_KINDS:
            continue
        found.append(DayRow(day, national, str(WEEKDAY_SHORT[day.date.weekday()]),
                            removable=(calendar is None) == national))
    return found


def _kind_legend(rows: list[DayRow]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.day.kind] = counts.get(row.day.kind, 0) + 1
    return [{"kind": kind.value, "label": kind.label, "count": counts.get(kind.value, 0)}
            for kind in CalendarDay.Kind]


def _read_upload(form: forms.Form, limit: int) -> bytes | None:
    upload = form.cleaned_data["file"]
    if upload.size is not None and upload.size > limit:
        form.add_error("file", _("The file is larger than %(size)d MB.")
                       % {"size": max(1, limit // (1024 * 1024))})
        return None
    return bytes(upload.read())


def _year_links(url: str, year: int) -> dict[str, str]:
    return {"previous": f"{url}?year={year - 1}", "next": f"{url}?year={year + 1}"}


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, calendar_id: int | None = None) -> HttpResponse:
    """A work calendar: its name, weekly rest days and whether it follows the statutory
    holidays; for a saved calendar also a year of its exception days with add, remove and
    CSV import. Posts carry ``action``: ``save``, ``add_day``, ``remove_day`` or
    ``import``."""
    if not _may_manage(request):
        return forbidden(request)
    calendar: Calendar | None = None
    if calendar_id is not None:
        calendar = Calendar.objects.filter(pk=calendar_id).first()
        if calendar is None:
            return not_found(request)
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "save") if posted is not None else ""
    allowed = ("save", "add_day", "remove_day", "import") if calendar is not None else ("save",)
    if posted is not None and action not in allowed:
        return not_found(request)
    year = _year(request.POST.get("year") if posted else request.GET.get("year"),
                 selectors.today().year)
    initial = ({"name": calendar.name, "rest_weekdays": calendar.rest_weekdays,
                "follows_statutory": calendar.follows_statutory} if calendar is not None
               else {"rest_weekdays": [5, 6], "follows_statutory": True})
    form = CalendarForm(posted if action == "save" else None, initial=initial)
    day_form = DayForm(posted if action == "add_day" else None, prefix="day")
    csv_form = HolidayCsvForm(posted if action == "import" else None,
                              request.FILES if action == "import" else None, prefix="csv",
                              initial={"year": year})
    problems: list[str] = []
    status = 200
    if posted is not None:
        status = 422
        here = (reverse("attendance:calendar", args=[calendar.pk]) + f"?year={year}"
                if calendar is not None else "")
        try:
            if action == "save" and form.is_valid():
                data = form.cleaned_data
                saved = configuration.do_save_calendar(
                    request.user, calendar.pk if calendar else None, name=data["name"],
                    rest_weekdays=sorted(data["rest_weekdays"]),
                    follows_statutory=data["follows_statutory"])
                messages.success(request, _("The calendar %(name)s is saved.")
                                 % {"name": saved.name})
                return redirect(reverse("attendance:calendar", args=[saved.pk])
                                + f"?year={year}")
            if calendar is not None and action == "add_day" and day_form.is_valid():
                data = day_form.cleaned_data
                configuration.do_set_calendar_day(request.user, calendar.pk, data["date"],
                                                  data["kind"], name=data["name"])
                messages.success(request, _("%(date)s is set.")
                                 % {"date": data["date"].isoformat()})
                return redirect(here)
            if calendar is not None and action == "remove_day":
                day = CalendarDay.objects.filter(pk=_int(request.POST.get("day")) or 0,
                                                 calendar=calendar).first()
                if day is None:
                    return not_found(request)
                configuration.do_remove_calendar_day(request.user, day.pk)
                messages.success(request, _("%(date)s is removed.")
                                 % {"date": day.date.isoformat()})
                return redirect(here)
            if calendar is not None and action == "import" and csv_form.is_valid():
                content = _read_upload(csv_form, MAX_HOLIDAY_FILE_BYTES)
                if content is not None:
                    count = configuration.do_import_calendar_csv(
                        request.user, calendar.pk, content, year=csv_form.cleaned_data["year"])
                    messages.success(request, _("%(count)d days imported.") % {"count": count})
                    return redirect(here)
        except DomainError as error:
            target = {"save": form, "add_day": day_form}.get(action)
            denied = _refused(request, error, target, DAY_FIELD_NAMES)
            if denied is not None:
                return denied
            if target is None:
                problems = _problems(error)
            status = error.status
    rows = _year_days(calendar, year) if calendar is not None else []
    url = reverse("attendance:calendar", args=[calendar.pk]) if calendar is not None else ""
    return render(request, "attendance/manage_calendar.html", {
        "section": "overview", "calendar": calendar, "form": form, "day_form": day_form,
        "csv_form": csv_form, "problems": problems, "action": action, "year": year,
        "rows": rows, "legend": _kind_legend(rows), "years": _year_links(url, year),
        "groups": calendar.groups.order_by("name") if calendar is not None else [],
    }, status=status)


class SeedForm(forms.Form):
    year = forms.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR)
    replace = forms.BooleanField(required=False)


@login_required
@require_http_methods(["GET", "POST"])
def national_days(request: HttpRequest) -> HttpResponse:
    """The national statutory days of a year (``?year=``): fill or replace them from the
    ``chinese-calendar`` package, import the State Council notice as CSV, add and remove
    rows. Posts carry ``action``: ``seed``, ``import``, ``add_day`` or ``remove_day``."""
    if not _may_manage(request):
        return forbidden(request)
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "") if posted is not None else ""
    if posted is not None and action not in ("seed", "add_day", "remove_day", "import"):
        return not_found(request)
    year = _year(request.POST.get("year") if posted else request.GET.get("year"),
                 selectors.today().year)
    day_form = DayForm(posted if action == "add_day" else None, prefix="day", national=True)
    csv_form = HolidayCsvForm(posted if action == "import" else None,
                              request.FILES if action == "import" else None, prefix="csv",
                              initial={"year": year})
    problems: list[str] = []
    status = 200
    here = reverse("attendance:national") + f"?year={year}"
    if posted is not None:
        status = 422
        try:
            if action == "seed":
                seed = SeedForm(posted)
                if seed.is_valid():
                    count = configuration.do_seed_statutory_year(
                        request.user, seed.cleaned_data["year"],
                        replace=seed.cleaned_data["replace"])
                    messages.success(request, _("%(count)d national days of %(year)d filled "
                                                "in from chinese-calendar.")
                                     % {"count": count, "year": seed.cleaned_data["year"]})
                    return redirect(reverse("attendance:national")
                                    + f"?year={seed.cleaned_data['year']}")
                problems = [_("Choose a year between %(first)d and %(last)d.")
                            % {"first": FIRST_YEAR, "last": LAST_YEAR}]
            elif action == "add_day" and day_form.is_valid():
                data = day_form.cleaned_data
                configuration.do_set_calendar_day(request.user, None, data["date"],
                                                  data["kind"], name=data["name"])
                messages.success(request, _("%(date)s is set.")
                                 % {"date": data["date"].isoformat()})
                return redirect(here)
            elif action == "remove_day":
                day = CalendarDay.objects.filter(pk=_int(request.POST.get("day")) or 0,
                                                 calendar__isnull=True).first()
                if day is None:
                    return not_found(request)
                configuration.do_remove_calendar_day(request.user, day.pk)
                messages.success(request, _("%(date)s is removed.")
                                 % {"date": day.date.isoformat()})
                return redirect(here)
            elif action == "import" and csv_form.is_valid():
                content = _read_upload(csv_form, MAX_HOLIDAY_FILE_BYTES)
                if content is not None:
                    count = configuration.do_import_calendar_csv(
                        request.user, None, content, year=csv_form.cleaned_data["year"])
                    messages.success(request, _("%(count)d days imported.") % {"count": count})
                    return redirect(here)
        except DomainError as error:
            target = day_form if action == "add_day" else None
            denied = _refused(request, error, target, DAY_FIELD_NAMES)
            if denied is not None:
                return denied
            if target is None:
                problems = _problems(error)
            status = error.status
    rows = _year_days(None, year)
    return render(request, "attendance/manage_national.html", {
        "section": "national", "day_form": day_form, "csv_form": csv_form,
        "problems": problems, "action": action, "year": year, "rows": rows,
        "legend": [item for item in _kind_legend(rows) if item["kind"] in STATUTORY_KINDS],
        "years": _year_links(reverse("attendance:national"), year),
    }, status=status)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


# --- Shifts ----------------------------------------------------------------------------------


def _crosses_midnight(start: str, end: str) -> bool:
    """An end at or before the start ends the next day (``models.Shift``)."""
    first, last = _TIME_TEXT.match(start.strip()), _TIME_TEXT.match(end.strip())
    if first is None or last is None:
        return False
    return (int(last.group(1)), int(last.group(2))) <= (int(first.group(1)),
                                                         int(first.group(2)))


class ShiftForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=30, help_text=gettext_lazy(
        "Short, as the roster shows it: letters, digits, - and _ (day, night, early)."))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Shift.Kind.choices,
                             widget=forms.RadioSelect, initial=Shift.Kind.FIXED)
    late_grace_minutes = forms.IntegerField(
        label=gettext_lazy("Late grace (minutes)"), min_value=0, max_value=600, initial=0,
        help_text=gettext_lazy("Arriving up to this many minutes late counts as on time."))
    early_leave_grace_minutes = forms.IntegerField(
        label=gettext_lazy("Early leave grace (minutes)"), min_value=0, max_value=600,
        initial=0)
    serious_late_minutes = forms.IntegerField(
        label=gettext_lazy("Seriously late from (minutes)"), min_value=1, max_value=1440,
        required=False)
    absent_if_late_minutes = forms.IntegerField(
        label=gettext_lazy("Absent if later than (minutes)"), min_value=1, max_value=1440,
        required=False, help_text=gettext_lazy("Lateness beyond this makes the day an "
                                               "absence."))
    core_start = forms.TimeField(label=gettext_lazy("Core hours from"), required=False,
                                 widget=TIME_WIDGET)
    core_end = forms.TimeField(label=gettext_lazy("Core hours until"), required=False,
                               widget=TIME_WIDGET)
    target_minutes = forms.IntegerField(
        label=gettext_lazy("Daily target (minutes)"), min_value=1, max_value=1440,
        required=False, help_text=gettext_lazy("480 minutes are 8 hours."))
    earliest_start = forms.TimeField(label=gettext_lazy("Earliest start"), required=False,
                                     widget=TIME_WIDGET)
    latest_end = forms.TimeField(label=gettext_lazy("Latest end"), required=False,
                                 widget=TIME_WIDGET)
    color = forms.RegexField(label=gettext_lazy("Colour"), regex=r"^#[0-9a-fA-F]{6}$",
                             initial="#2f6fb1",
                             widget=forms.TextInput(attrs={"type": "color"}))


SHIFT_TIMES = ("core_start", "core_end", "earliest_start", "latest_end")


@dataclass
class SegmentRow:
    start: str = ""
    end: str = ""
    error: str = ""

    @property
    def crosses_midnight(self) -> bool:
        return _crosses_midnight(self.start, self.end)


def _posted_segments(request: HttpRequest) -> list[SegmentRow]:
    starts = request.POST.getlist("segment_start")
    ends = request.POST.getlist("segment_end")
    rows = [SegmentRow(start.strip()[:5], end.strip()[:5])
            for start, end in zip(starts, ends, strict=False)][:MAX_SEGMENTS]
    return [row for row in rows if row.start or row.end]


def _check_segments(rows: list[SegmentRow]) -> bool:
    fine = True
    for row in rows:
        if not (_TIME_TEXT.match(row.start) and _TIME_TEXT.match(row.end)):
            row.error = _("Enter both times as hours and minutes, such as 09:00.")
            fine = False
    return fine


def _hhmm(text: str) -> str:
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


@login_required
@require_http_methods(["GET", "POST"])
def shift_edit(request: HttpRequest, shift_id: int | None = None) -> HttpResponse:
    """A shift: fixed hours in one or more segments (split shifts; a segment ending at or
    before its start ends the next day) with grace, serious lateness, absence and core
    hours, or flexible hours (a daily target within a window). Posts carry ``action``:
    ``save``, ``add_segment`` (another empty segment row, for browsers without
    JavaScript) or ``delete`` (refused while a group or roster uses the shift)."""
    if not _may_manage(request):
        return forbidden(request)
    shift: Shift | None = None
    if shift_id is not None:
        shift = Shift.objects.filter(pk=shift_id).first()
        if shift is None:
            return not_found(request)
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "save") if posted is not None else ""
    allowed = ("save", "add_segment", "delete") if shift is not None else ("save", "add_segment")
    if posted is not None and action not in allowed:
        return not_found(request)
    if shift is not None:
        initial: dict[str, Any] = {name: getattr(shift, name) for name in ShiftForm.base_fields}
        segments = [SegmentRow(str(start), str(end)) for start, end in shift.segments or []]
    else:
        initial = {}
        segments = [SegmentRow("09:00", "17:30")]
    problems: list[str] = []
    if posted is not None and action == "add_segment":
        # Another empty row; what was typed so far comes back as it was, not yet judged.
        typed = {name: posted.get(name) for name in ShiftForm.base_fields if name in posted}
        segments = _posted_segments(request)
        if len(segments) < MAX_SEGMENTS:
            segments.append(SegmentRow())
        return render(request, "attendance/manage_shift.html", _shift_context(
            shift, ShiftForm(initial={**initial, **typed}), segments, problems))
    form = ShiftForm(posted if action == "save" else None, initial=initial)
    status = 200
    segments_error = ""
    if posted is not None:
        status = 422
        try:
            if action == "delete" and shift is not None:
                configuration.do_delete_shift(request.user, shift.pk)
                messages.success(request, _("The shift %(code)s is deleted.")
                                 % {"code": shift.code})
                return redirect("attendance:manage")
            if action == "save":
                segments = _posted_segments(request)
                fixed = posted.get("kind") != Shift.Kind.FLEXIBLE
                segments_fine = _check_segments(segments) if fixed else True
                if form.is_valid() and segments_fine:
                    data = dict(form.cleaned_data)
                    for name in SHIFT_TIMES:
                        data[name] = _clock(data[name])
                    fixed = data["kind"] == Shift.Kind.FIXED
                    data["segments"] = ([[_hhmm(row.start), _hhmm(row.end)] for row in segments]
                                        if fixed else [])
                    saved = configuration.do_save_shift(request.user,
                                                         shift.pk if shift else None, data)
                    messages.success(request, _("The shift %(code)s is saved.")
                                     % {"code": saved.code})
                    return redirect("attendance:shift", shift_id=saved.pk)
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            status = error.status
            if action == "save":
                # The segments are rows of this page, not a form field: their message goes
                # beside them, the rest beside the fields.
                segments_error = error.fields.get("segments", "")
                show_errors(form, ValidationFailed(error.detail, fields={
                    key: message for key, message in error.fields.items()
                    if key != "segments"}))
            else:
                problems = [str(error.detail)]
    return render(request, "attendance/manage_shift.html",
                  _shift_context(shift, form, segments, problems, segments_error),
                  status=status)


def _shift_context(shift: Shift | None, form: ShiftForm, segments: list[SegmentRow],
                   problems: list[str], segments_error: str = "") -> dict[str, Any]:
    return {"section": "overview", "shift": shift, "form": form,
            "segments": segments or [SegmentRow()], "problems": problems,
            "segments_error": segments_error,
            "max_segments": MAX_SEGMENTS,
            "groups": shift.groups.order_by("name") if shift is not None else []}


# --- Groups and members ---------------------------------------------------------------------


class GroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    calendar = forms.ModelChoiceField(label=gettext_lazy("Calendar"),
                                      queryset=Calendar.objects.order_by("name"))
    schedule = forms.ChoiceField(label=gettext_lazy("Schedule"), choices=Group.Schedule.choices,
                                 widget=forms.RadioSelect, initial=Group.Schedule.FIXED)
    shift = forms.ModelChoiceField(
        label=gettext_lazy("Shift"), queryset=Shift.objects.order_by("code"), required=False,
        help_text=gettext_lazy("Worked on every working day of the calendar."))
    cycle = forms.CharField(
        label=gettext_lazy("Roster cycle"), max_length=500, required=False,
        help_text=gettext_lazy("Shift codes in order, separated by commas; rest for a day "
                               "off. Example: day, day, night, night, rest, rest."))
    cycle_anchor = forms.DateField(label=gettext_lazy("Cycle starts on"), required=False,
                                   widget=DATE_WIDGET,
                                   help_text=gettext_lazy("The date of the cycle's first "
                                                          "code for position 0."))
    sites = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Sites"), queryset=Site.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Where the group may punch; none ticked means every site "
                               "in use."))
    allow_geofence = forms.BooleanField(label=gettext_lazy("Punch by location"),
                                        required=False)
    allow_network = forms.BooleanField(label=gettext_lazy("Punch from the museum network"),
                                       required=False)
    allow_device = forms.BooleanField(label=gettext_lazy("Punch from a registered device"),
                                      required=False)
    allow_unverified = forms.BooleanField(
        label=gettext_lazy("Accept punches that cannot be verified (marked for review)"),
        required=False)
    overtime_basis = forms.ChoiceField(label=gettext_lazy("Overtime counts"),
                                       choices=Group.OvertimeBasis.choices)
    workday_overtime = forms.ChoiceField(label=gettext_lazy("Workday overtime"),
                                         choices=Group.Settlement.choices)
    rest_day_overtime = forms.ChoiceField(label=gettext_lazy("Rest-day overtime"),
                                          choices=Group.Settlement.choices)
    minimum_overtime_minutes = forms.IntegerField(
        label=gettext_lazy("Overtime from (minutes)"), min_value=0, max_value=1440,
        initial=30)
    make_up_limit = forms.IntegerField(
        label=gettext_lazy("Make-up punches a month"), min_value=0, max_value=31, initial=3)

    def clean_cycle(self) -> list[str]:
        text = self.cleaned_data.get("cycle") or ""
        return [code for code in re.split(r"[\s,，;；]+", text) if code]


GROUP_FLAGS = ("allow_geofence", "allow_network", "allow_device", "allow_unverified")


def _group_initial(group: Group | None) -> dict[str, Any]:
    if group is None:
        blank = Group()  # the model's defaults, never saved
        return {"schedule": blank.schedule, **{name: getattr(blank, name) for name in
                                               (*GROUP_FLAGS, "overtime_basis",
                                                "workday_overtime", "rest_day_overtime",
                                                "minimum_overtime_minutes", "make_up_limit")}}
    return {"name": group.name, "calendar": group.calendar_id, "schedule": group.schedule,
            "shift": group.shift_id, "cycle": ", ".join(group.cycle or []),
            "cycle_anchor": group.cycle_anchor,
            "sites": list(group.sites.values_list("pk", flat=True)),
            **{name: getattr(group, name) for name in
               (*GROUP_FLAGS, "overtime_basis", "workday_overtime", "rest_day_overtime",
                "minimum_overtime_minutes", "make_up_limit")}}


def _group_data(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The form's values as ``configuration.do_save_group`` takes them: Group field names
    with ids for the calendar and shift and ``site_ids`` for the sites."""
    data = {key: value for key, value in cleaned.items()
            if key not in ("calendar", "shift", "sites")}
    data["calendar_id"] = cleaned["calendar"].pk
    data["shift_id"] = cleaned["shift"].pk if cleaned["shift"] is not None else None
    data["site_ids"] = sorted(site.pk for site in cleaned["sites"])
    return data


GROUP_FIELD_NAMES = {"calendar_id": "calendar", "shift_id": "shift", "site_ids": "sites"}
"""Service field names that the group form calls differently."""


@dataclass
class MemberRow:
    person_id: int
    name: str
    offset: str = "0"
    kept: bool = True
    error: str = ""


@dataclass
class MembersInput:
    rows: list[MemberRow] = field(default_factory=list)
    add_text: str = ""
    errors: list[str] = field(default_factory=list)


def _current_members(group: Group) -> MembersInput:
    memberships = list(Membership.objects.filter(group=group)
                       .values_list("person_id", "roster_offset"))
    names = directory.display_names([person_id for person_id, _offset in memberships])
    rows = [MemberRow(person_id, names.get(person_id, f"#{person_id}"), str(offset))
            for person_id, offset in memberships]
    rows.sort(key=lambda row: row.name.casefold())
    return MembersInput(rows)


def _posted_members(request: HttpRequest) -> tuple[MembersInput, list[int], dict[int, int]]:
    """The member rows as posted (ticked ones stay, ``add`` names new ids), the ids to keep
    and the offsets typed; the rows carry their own messages when a value is not valid."""
    kept = {_int(value) for value in request.POST.getlist("person")} - {None}
    listed = [_int(value) for value in request.POST.getlist("listed")]
    add_text = request.POST.get("add", "").strip()[:2000]
    errors: list[str] = []
    added: list[int] = []
    for part in re.split(r"[\s,，;；]+", add_text):
        if not part:
            continue
        number = _int(part)
        if number is None:
            errors.append(_("“%(text)s” is not a person id.") % {"text": part[:20]})
        elif number not in added:
            added.append(number)
    ids = [person_id for person_id in listed if person_id is not None]
    ids += [person_id for person_id in added if person_id not in ids]
    kept.update(added)
    names = directory.display_names(ids)
    unknown = [person_id for person_id in added if person_id not in names]
    if unknown:
        errors.append(_("No person with the id %(ids)s.")
                      % {"ids": ", ".join(str(person_id) for person_id in unknown)})
    rows: list[MemberRow] = []
    offsets: dict[int, int] = {}
    for person_id in ids:
        if person_id in unknown:
            continue
        text = request.POST.get(f"offset-{person_id}", "0").strip() or "0"
        row = MemberRow(person_id, names.get(person_id, f"#{person_id}"), text[:6],
                        kept=person_id in kept)
        if text.isdigit() and int(text) < 1000:
            offsets[person_id] = int(text)
        elif row.kept:
            row.error = _("A whole number from 0, the person's day in the cycle.")
        rows.append(row)
    chosen = [row.person_id for row in rows if row.kept]
    failed = bool(errors) or any(row.error for row in rows)
    return (MembersInput(rows, add_text if failed else "", errors),
            chosen if not failed else [], {pid: offsets[pid] for pid in chosen
                                           if pid in offsets})


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, group_id: int | None = None) -> HttpResponse:
    """An attendance group: calendar, fixed shift or rotating cycle, sites, clock-in methods
    and overtime rules; for a saved group also its members with their cycle positions.
    Posts carry ``action``: ``save`` or ``members``."""
    if not _may_manage(request):
        return forbidden(request)
    group: Group | None = None
    if group_id is not None:
        group = Group.objects.select_related("calendar", "shift").filter(pk=group_id).first()
        if group is None:
            return not_found(request)
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "save") if posted is not None else ""
    allowed = ("save", "members") if group is not None else ("save",)
    if posted is not None and action not in allowed:
        return not_found(request)
    form = GroupForm(posted if action == "save" else None, initial=_group_initial(group))
    members = _current_members(group) if group is not None else MembersInput()
    status = 200
    if posted is not None:
        status = 422
        try:
            if action == "save" and form.is_valid():
                saved = configuration.do_save_group(request.user, group.pk if group else None,
                                                    _group_data(form.cleaned_data))
                messages.success(request, _("The group %(name)s is saved.")
                                 % {"name": saved.name})
                return redirect("attendance:group", group_id=saved.pk)
            if action == "members" and group is not None:
                members, person_ids, offsets = _posted_members(request)
                if not members.errors and not any(row.error for row in members.rows):
                    count = configuration.do_set_members(request.user, group.pk, person_ids,
                                                         offsets=offsets)
                    messages.success(request, _("%(count)d people are in %(name)s.")
                                     % {"count": count, "name": group.name})
                    return redirect("attendance:group", group_id=group.pk)
        except DomainError as error:
            denied = _refused(request, error, form if action == "save" else None,
                              GROUP_FIELD_NAMES)
            if denied is not None:
                return denied
            if action == "members":
                members.errors = list(error.fields.values()) or [str(error.detail)]
            status = error.status
    return render(request, "attendance/manage_group.html", {
        "section": "overview", "group": group, "form": form, "members": members,
        "action": action, "shift_codes": list(Shift.objects.values_list("code", flat=True)),
        "rest_code": REST_CODE,
    }, status=status)


# --- Roster grid ------------------------------------------------------------------------------


def _month(value: Any, default: date) -> date:
    try:
        return parse_month(str(value or ""))
    except ValidationFailed:
        return month_start(default)


@dataclass
class RosterDay:
    day: date
    weekday: str
    kind: str
    name: str


@dataclass
class RosterCellView:
    day: date
    name: str
    code: str
    effective: str
    explicit: bool
    color: str
    wrong: bool = False

    @property
    def changed(self) -> bool:
        return self.code != self.effective


@dataclass
class RosterRow:
    person_id: int
    name: str
    offset: int
    cells: list[RosterCellView]


class SwapForm(forms.Form):
    person_a = forms.TypedChoiceField(label=gettext_lazy("Person"), coerce=int)
    person_b = forms.TypedChoiceField(label=gettext_lazy("Swaps with"), coerce=int)
    day = forms.DateField(label=gettext_lazy("Day"), widget=DATE_WIDGET)
    swap_back_day = forms.DateField(
        label=gettext_lazy("Swapped back on"), required=False, widget=DATE_WIDGET,
        help_text=gettext_lazy("Optional: the day the two swap the other way."))

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("person_a", "person_b"):
            self.fields[name].choices = [("", "–"), *people]  # type: ignore[attr-defined]


def _cell_key(person_id: int, day: date) -> str:
    return f"cell-{person_id}-{day.isoformat()}"


@login_required
@require_http_methods(["GET", "POST"])
def roster(request: HttpRequest, group_id: int) -> HttpResponse:
    """The month grid of a group (``?month=YYYY-MM``): one row a member, one column a day,
    each cell the effective shift code (a roster cell, else the cycle or the group's shift).
    A post of ``action=cells`` sends the grid; only cells whose code differs from the
    effective one are changes (roster.js posts just those), stored together or not at all.
    ``action=swap`` swaps two people's shifts on a day. A closed month is read-only."""
    if not _may_manage(request):
        return forbidden(request)
    group = Group.objects.select_related("calendar", "shift").filter(pk=group_id).first()
    if group is None:
        return not_found(request)
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "") if posted is not None else ""
    first = _month(request.POST.get("month") if posted else request.GET.get("month"),
                   selectors.today())
    last = month_end(first)
    days = list(dates_between(first, last))
    memberships = dict(Membership.objects.filter(group=group)
                       .values_list("person_id", "roster_offset"))
    names = directory.display_names(list(memberships))
    people = sorted(memberships, key=lambda pid: (names.get(pid, "").casefold(), pid))
    book = load_rulebook(people, first, last)
    calendar = book.calendars.get(group.calendar_id)
    explicit = set(RosterCell.objects.filter(person_id__in=people, date__range=(first, last))
                   .values_list("person_id", "date"))
    effective = {(pid, day): book.shift_code(pid, day) for pid in people for day in days}
    closed = selectors.is_closed(first)
    swap_form = SwapForm(posted if action == "swap" else None,
                         people=[(pid, names.get(pid, f"#{pid}")) for pid in people])
    problems: list[str] = []
    status = 200
    typed: dict[tuple[int, date], str] = {}
    wrong: set[tuple[int, date]] = set()
    here = reverse("attendance:roster", args=[group.pk]) + f"?month={first:%Y-%m}"
    if posted is not None:
        status = 422
        try:
            if action == "cells":
                changes: list[tuple[int, date, str]] = []
                for pid in people:
                    for day in days:
                        value = posted.get(_cell_key(pid, day))
                        if value is None:
                            continue
                        typed[(pid, day)] = value.strip()[:30]
                        if typed[(pid, day)] != effective[(pid, day)]:
                            changes.append((pid, day, typed[(pid, day)]))
                if not changes:
                    messages.info(request, _("Nothing changed in the roster."))
                    return redirect(here)
                count = configuration.do_set_roster_cells(
                    request.user, group.pk, changes, note=posted.get("note", "").strip()[:200])
                messages.success(request, _("%(count)d roster cells are saved.")
                                 % {"count": count})
                return redirect(here)
            if action == "swap":
                if swap_form.is_valid():
                    data = swap_form.cleaned_data
                    configuration.do_swap_shifts(request.user, data["person_a"],
                                                 data["person_b"], data["day"],
                                                 swap_back_day=data["swap_back_day"])
                    messages.success(request, _("%(first)s and %(second)s swap their shifts on "
                                                "%(day)s.") % {
                        "first": names.get(data["person_a"], ""),
                        "second": names.get(data["person_b"], ""),
                        "day": data["day"].isoformat()})
                    return redirect(here)
            else:
                return not_found(request)
        except DomainError as error:
            denied = _refused(request, error, swap_form if action == "swap" else None)
            if denied is not None:
                return denied
            if action == "cells":
                # Each message names the person and the date; the cells get marked too.
                problems = [str(error.detail), *error.fields.values()] if error.fields \
                    else [str(error.detail)]
                for key in error.fields:
                    match = _CELL_KEY.match(key)
                    if match:
                        wrong.add((int(match.group(1)), date.fromisoformat(match.group(2))))
            status = error.status
    header = []
    for day in days:
        kind = calendar.kind(day) if calendar is not None else DayKind.WORKDAY
        name = calendar.holidays.get(day, "") if calendar is not None else ""
        header.append(RosterDay(day, str(WEEKDAY_SHORT[day.weekday()]), kind.value, name))
    shifts = list(Shift.objects.order_by("code"))
    colors = {shift.code: shift.color for shift in shifts}
    rows = []
    for pid in people:
        cells = []
        for day in days:
            code = typed.get((pid, day), effective[(pid, day)])
            cells.append(RosterCellView(day, _cell_key(pid, day), code, effective[(pid, day)],
                                        (pid, day) in explicit, colors.get(code, ""),
                                        (pid, day) in wrong))
        rows.append(RosterRow(pid, names.get(pid, f"#{pid}"), memberships[pid], cells))
    codes = [shift.code for shift in shifts] + [REST_CODE]
    codes += sorted({cell.code for row in rows for cell in row.cells} - set(codes))
    return render(request, "attendance/manage_roster.html", {
        "section": "overview", "group": group, "month": first, "header": header,
        "rows": rows, "codes": codes, "colors": colors,
        "closed": closed, "problems": problems, "swap_form": swap_form, "action": action,
        "note": posted.get("note", "") if posted is not None and action == "cells" else "",
        "previous_month": f"{month_start(first - timedelta(days=1)):%Y-%m}",
        "next_month": f"{next_month(first):%Y-%m}",
    }, status=status)


# --- Sites -------------------------------------------------------------------------------------


class SiteForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    latitude = forms.DecimalField(label=gettext_lazy("Latitude"), max_digits=9,
                                  decimal_places=6, min_value=-90, max_value=90,
                                  help_text=gettext_lazy("Decimal degrees, such as 39.9163."))
    longitude = forms.DecimalField(label=gettext_lazy("Longitude"), max_digits=9,
                                   decimal_places=6, min_value=-180, max_value=180,
                                   help_text=gettext_lazy("Decimal degrees, such as "
                                                          "116.3972."))
    radius_m = forms.IntegerField(
        label=gettext_lazy("Radius (metres)"), min_value=10, max_value=100_000, initial=300,
        help_text=gettext_lazy("Punches count inside this circle, less the accuracy of the "
                               "phone's position."))
    networks = forms.CharField(
        label=gettext_lazy("Network ranges"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=gettext_lazy("One range a line, such as 10.20.0.0/16; punches from these "
                               "addresses count as on site."))
    is_active = forms.BooleanField(label=gettext_lazy("In use"), required=False, initial=True)

    def clean_networks(self) -> list[str]:
        text = self.cleaned_data.get("networks") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, site_id: int | None = None) -> HttpResponse:
    """A punch site: a circle on the map and the museum's network ranges there."""
    if not _may_manage(request):
        return forbidden(request)
    site: Site | None = None
    if site_id is not None:
        site = Site.objects.filter(pk=site_id).first()
        if site is None:
            return not_found(request)
    initial = ({"name": site.name, "latitude": site.latitude, "longitude": site.longitude,
                "radius_m": site.radius_m, "networks": "\n".join(site.networks or []),
                "is_active": site.is_active} if site is not None else {})
    posted = request.POST if request.method == "POST" else None
    form = SiteForm(posted, initial=initial)
    status = 200
    if posted is not None:
        status = 422
        if form.is_valid():
            try:
                saved = configuration.do_save_site(request.user, site.pk if site else None,
                                                   dict(form.cleaned_data))
            except DomainError as error:
                denied = _refused(request, error, form)
                if denied is not None:
                    return denied
                status = error.status
            else:
                messages.success(request, _("The site %(name)s is saved.")
                                 % {"name": saved.name})
                return redirect("attendance:site", site_id=saved.pk)
    return render(request, "attendance/manage_site.html", {
        "section": "overview", "site": site, "form": form,
        "groups": Group.objects.filter(sites=site).order_by("name") if site is not None
        else [],
    }, status=status)


# --- Time-clock import -----------------------------------------------------------------------


class PunchImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 with the columns person (the user name) and time "
                               "(museum time, such as 2026-11-02 08:57), and optionally "
                               "terminal. Punches already stored are skipped."))
    source_system = forms.CharField(label=gettext_lazy("System it comes from"),
                                    max_length=100, required=False,
                                    help_text=gettext_lazy("Such as the east gate's door "
                                                           "access."))


@login_required
@require_http_methods(["GET", "POST"])
def punch_import(request: HttpRequest) -> HttpResponse:
    """Upload a time-clock CSV: all of it is imported or, when any row is wrong, none of it,
    with every wrong row listed. Below, the latest imports."""
    if not _may_manage(request):
        return forbidden(request)
    posted = request.POST if request.method == "POST" else None
    form = PunchImportForm(posted, request.FILES if posted is not None else None)
    problems: list[str] = []
    status = 200
    if posted is not None:
        status = 422
        if form.is_valid():
            content = _read_upload(form, MAX_PUNCH_FILE_BYTES)
            if content is not None:
                upload_name = str(form.cleaned_data["file"].name or "")
                try:
                    outcome = services.do_import_punches(
                        request.user, upload_name, content,
                        source_system=form.cleaned_data["source_system"].strip())
                except DomainError as error:
                    denied = _refused(request, error)
                    if denied is not None:
                        return denied
                    problems = _problems(error)
                    status = error.status
                else:
                    messages.success(request, _(
                        "%(file)s: %(added)d punches added, %(duplicates)d already stored.")
                        % {"file": upload_name, "added": outcome.added,
                           "duplicates": outcome.duplicates})
                    return redirect("attendance:import")
    imports = list(PunchImport.objects.order_by("-imported_at")[:RECENT_IMPORTS * 2])
    names = directory.display_names(sorted({row.imported_by_id for row in imports}))
    return render(request, "attendance/manage_import.html", {
        "section": "import", "form": form, "problems": problems,
        "imports": [{"batch": row, "by": names.get(row.imported_by_id, "")}
                    for row in imports],
    }, status=status)


# --- Leave balances ----------------------------------------------------------------------------


class BalanceFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int,
                                        required=False, empty_value=None)

    def __init__(self, *args: Any, departments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", _("All departments")), *departments]


class EmploymentForm(forms.Form):
    joined_on = forms.DateField(label=gettext_lazy("Joined the museum"), widget=DATE_WIDGET)
    service_start = forms.DateField(
        label=gettext_lazy("Started working"), widget=DATE_WIDGET,
        help_text=gettext_lazy("The start of the cumulative working life, with every "
                               "employer; annual leave depends on it."))
    left_on = forms.DateField(label=gettext_lazy("Left the museum"), required=False,
                              widget=DATE_WIDGET)


class AdjustForm(forms.Form):
    leave_type = forms.ChoiceField(label=gettext_lazy("Leave type"))
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=8, decimal_places=2,
        help_text=gettext_lazy("Days or hours in the leave type's unit; negative to take "
                               "away."))
    note = forms.CharField(label=gettext_lazy("Why"), max_length=200)

    def __init__(self, *args: Any, leave_types: list[LeaveType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leave_type"].choices = [  # type: ignore[attr-defined]
            (leave_type.code, leave_type_name(leave_type)) for leave_type in leave_types]


class YearForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=FIRST_YEAR,
                              max_value=LAST_YEAR)


def _unit(leave_type: LeaveType) -> str:
    return _("hours") if leave_type.unit == LeaveType.Unit.HOUR else _("days")


def _people_for(department_id: int | None, text: str) -> list[directory.PersonInfo]:
    """The active people of a department and below; without a department, those of every
    department plus anyone with employment dates or in a group (people who left keep their
    balances). Only those whose name or user name holds ``text``."""
    if department_id is not None:
        ids = set(directory.members_of_department(department_id))
    else:
        ids = set()
        for info in directory.departments():
            if info.parent_id is None:
                ids.update(directory.members_of_department(info.id))
        ids.update(Employment.objects.values_list("person_id", flat=True))
        ids.update(Membership.objects.values_list("person_id", flat=True))
    needle = text.strip().casefold()
    found = directory.people(sorted(ids))
    if needle:
        found = [info for info in found
                 if needle in f"{info.name_zh} {info.name_en} {info.username}".casefold()]
    found.sort(key=lambda info: (info.name_zh or info.name_en or info.username).casefold())
    return found


@dataclass
class LedgerLine:
    entry: LedgerEntry
    total: Decimal
    by: str


def _ledger(actor: Any, person_id: int, code: str) -> list[LedgerLine]:
    entries = selectors.ledger_of(actor, person_id, code)
    names = directory.display_names(sorted({entry.recorded_by_id for entry in entries
                                            if entry.recorded_by_id is not None}))
    total = Decimal(0)
    lines = []
    for entry in entries:
        total += entry.amount
        lines.append(LedgerLine(entry, total, names.get(entry.recorded_by_id or 0, "")))
    return lines


@login_required
@require_http_methods(["GET", "POST"])
def balances(request: HttpRequest) -> HttpResponse:
    """People with their employment dates and balances (filter by name and department);
    ``?person=ID`` opens one person's forms (employment dates, an adjustment with a note)
    and ledger (``&type=annual``). Posts carry ``action``: ``employment``, ``adjust``,
    ``grant`` (annual leave of a year) or ``carry_over`` (close a year's annual leave)."""
    if not _may_manage(request):
        return forbidden(request)
    actor = request.user
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "") if posted is not None else ""
    leave_types = list(LeaveType.objects.filter(has_balance=True).order_by("order", "code"))
    departments = _department_names()
    person_id = _int(request.POST.get("person") if posted else request.GET.get("person"))
    person = directory.person(person_id) if person_id is not None else None
    if person_id is not None and person is None:
        return not_found(request)
    employment = Employment.objects.filter(person_id=person.id).first() if person else None
    employment_form = EmploymentForm(
        posted if action == "employment" else None, prefix="employment",
        initial={"joined_on": employment.joined_on, "service_start": employment.service_start,
                 "left_on": employment.left_on} if employment else {})
    adjust_form = AdjustForm(posted if action == "adjust" else None, prefix="adjust",
                             leave_types=leave_types)
    this_year = selectors.today().year
    grant_form = YearForm(posted if action == "grant" else None, prefix="grant",
                          initial={"year": this_year})
    carry_form = YearForm(posted if action == "carry_over" else None, prefix="carry",
                          initial={"year": this_year - 1})
    status = 200
    back = reverse("attendance:balances") + (f"?{urlencode({'person': person.id})}"
                                             if person else "")
    if posted is not None:
        status = 422
        forms_by_action: dict[str, forms.Form] = {
            "employment": employment_form, "adjust": adjust_form, "grant": grant_form,
            "carry_over": carry_form}
        target = forms_by_action.get(action)
        if target is None or (action in ("employment", "adjust") and person is None):
            return not_found(request)
        if target.is_valid():
            data = target.cleaned_data
            try:
                if action == "employment" and person is not None:
                    services.do_set_employment(actor, person.id, joined_on=data["joined_on"],
                                               service_start=data["service_start"],
                                               left_on=data["left_on"])
                    messages.success(request, _("The employment dates are saved."))
                elif action == "adjust" and person is not None:
                    services.do_adjust_balance(actor, person.id, data["leave_type"],
                                               data["amount"], data["note"])
                    messages.success(request, _("The balance is adjusted."))
                    back = reverse("attendance:balances") + "?" + urlencode(
                        {"person": person.id, "type": data["leave_type"]})
                elif action == "grant":
                    count = services.do_grant_annual_leave(actor, data["year"])
                    messages.success(request, _("Annual leave of %(year)d granted to %(count)d "
                                                "people.") % {"year": data["year"],
                                                              "count": count})
                else:
                    count = services.do_carry_over(actor, data["year"])
                    messages.success(request, _("The annual leave of %(year)d is closed for "
                                                "%(count)d people.") % {"year": data["year"],
                                                                        "count": count})
            except DomainError as error:
                denied = _refused(request, error, target)
                if denied is not None:
                    return denied
                status = error.status
            else:
                return redirect(back)
    filters = BalanceFilterForm(request.GET, departments=list(departments.items()))
    query = filters.cleaned_data if filters.is_valid() else {"q": "", "department": None}
    page = Paginator(_people_for(query["department"], query["q"]), PAGE_SIZE).get_page(
        request.GET.get("page") or 1)
    page_people: list[directory.PersonInfo] = list(page.object_list)
    employments = {row.person_id: row for row in Employment.objects.filter(
        person_id__in=[info.id for info in page_people])}
    rows = []
    every_balance = selectors.balances_for(actor, [info.id for info in page_people])
    for info in page_people:
        amounts = {found.leave_type.code: found for found in every_balance.get(info.id, [])}
        rows.append({"person": info, "department": departments.get(info.department_id or 0,
                                                                   ""),
                     "employment": employments.get(info.id),
                     "balances": [amounts.get(leave_type.code) for leave_type in leave_types]})
    rest = request.GET.copy()
    rest.pop("page", None)
    chosen_type = request.GET.get("type") or "annual"
    chosen = next((leave_type for leave_type in leave_types if leave_type.code == chosen_type),
                  leave_types[0] if leave_types else None)
    return render(request, "attendance/manage_balances.html", {
        "section": "balances", "filters": filters, "rows": rows, "page_obj": page,
        "query_string": rest.urlencode(), "leave_types": [
            {"type": leave_type, "name": leave_type_name(leave_type), "unit": _unit(leave_type)}
            for leave_type in leave_types],
        "person": person, "person_name": directory.display_names([person.id]).get(person.id)
        if person else "", "person_department": departments.get(person.department_id or 0, "")
        if person else "", "employment": employment,
        "person_balances": selectors.balances_of(actor, person.id) if person else [],
        "chosen_type": chosen, "chosen_name": leave_type_name(chosen) if chosen else "",
        "ledger": _ledger(actor, person.id, chosen.code) if person and chosen else [],
        "employment_form": employment_form, "adjust_form": adjust_form,
        "grant_form": grant_form, "carry_form": carry_form, "action": action,
    }, status=status)
