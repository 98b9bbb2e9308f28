"""The attendance pages of staff and managers: my day and month with the punch button, my
devices, a day in detail, the team board with its exceptions, a team member's month.

Thin like ``http.py``: parse, call one service or selector, render. Whoever may not see a
person gets "not found" for their pages, exactly as for a person who does not exist.
Every time is shown in the museum's zone (``computing.local_zone``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from taihe.kernel import authz
from taihe.kernel.errors import DomainError, ValidationFailed
from taihe.kernel.http.pages import forbidden, not_found, refuse, show_errors
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance import selectors, services
from taihe.modules.attendance.computing import (
    local_zone,
    month_end,
    next_month,
    parse_day,
    parse_month,
)
from taihe.modules.attendance.labels import (
    STATUS_LABELS,
    in_language,
    leave_type_name,
    leave_type_names,
)
from taihe.modules.attendance.models import (
    REST_CODE,
    Absence,
    DayResult,
    Device,
    Overtime,
    Punch,
    PunchCorrection,
    Shift,
)
from taihe.modules.attendance.rulebook import load_rulebook
from taihe.modules.attendance.rules.overtime import OvertimeClass, check_monthly_cap
from taihe.modules.attendance.summary import Tally, day_values
from taihe.modules.directory import api as directory

NOT_JUDGED = "not_judged"
NOT_JUDGED_LABEL = gettext_lazy("Not judged yet")

STATUS_TONES = {
    "on_time": "ok",
    "late": "warn", "left_early": "warn", "late_and_left_early": "warn",
    "missing_punch_in": "warn", "missing_punch_out": "warn",
    "absent": "bad",
    "on_leave": "away", "partial_leave": "away", "business_trip": "away",
    "rest": "off", "holiday": "off", NOT_JUDGED: "", "upcoming": "", "in_progress": "ok",
}
"""Colour families of the calendar and pills: fine, look at it, a problem, away, off."""

REQUEST_TONES = {"approved": "ok", "pending": "warn", "rejected": "bad"}

REQUEST_PROCESSES = (
    ("leave", gettext_lazy("Request leave")),
    ("overtime", gettext_lazy("Request overtime")),
    ("punch_correction", gettext_lazy("Make-up punch")),
    ("business_trip", gettext_lazy("Business trip")),
)
"""The built-in approval processes (workflows/builtin.py) staff start from their page."""

DEVICE_STORAGE_KEY = "taihe.attendance.device"
EXCEPTIONS_PAGE_SIZE = 50
LONGEST_PERIOD_DAYS = 366
"""The exceptions list covers at most a year at a time (it is read in one query)."""


# --- Small helpers ---------------------------------------------------------------------------

def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment, local_zone()) if moment is not None else None


def _clock(moment: datetime | None) -> str:
    found = _local(moment)
    return found.strftime("%H:%M") if found is not None else ""


def _status(code: str | None) -> dict[str, str]:
    code = code or NOT_JUDGED
    label = STATUS_LABELS.get(code, NOT_JUDGED_LABEL if code == NOT_JUDGED else code)
    return {"code": code, "label": str(label), "tone": STATUS_TONES.get(code, "")}


def _may_punch(actor: Any) -> bool:
    return authz.can(actor, ops.PUNCH.code)


def _may_view(actor: Any, person_id: int) -> bool:
    """One's own pages need the punch operation; anyone else's, that the actor sees them."""
    if person_id == actor.pk:
        return _may_punch(actor)
    return selectors.may_see_person(actor, person_id)


def _parse_month(text: str | None, today: date) -> tuple[date, str]:
    """The first day of ``?month=YYYY-MM`` (this month when absent), and an error text."""
    if not text:
        return today.replace(day=1), ""
    try:
        return parse_month(text), ""
    except ValidationFailed as error:
        return today.replace(day=1), _("“%(value)s”: %(problem)s Showing this month.") % {
            "value": text[:20], "problem": error.fields.get("month", "")}


def _parse_day(text: str) -> date | None:
    return parse_day(text)


def _segments_text(shift: Shift) -> str:
    if shift.kind == Shift.Kind.FLEXIBLE:
        text = _("%(hours)s h between %(start)s and %(end)s") % {
            "hours": _hours(shift.target_minutes or 0),
            "start": shift.earliest_start.strftime("%H:%M") if shift.earliest_start else "",
            "end": shift.latest_end.strftime("%H:%M") if shift.latest_end else ""}
        if shift.core_start and shift.core_end:
            text += _(", core hours %(start)s–%(end)s") % {
                "start": shift.core_start.strftime("%H:%M"),
                "end": shift.core_end.strftime("%H:%M")}
        return text
    return ", ".join(f"{start}–{end}" for start, end in shift.segments)


def duration(minutes: int) -> str:
    """Minutes as hours and minutes ("8 h 21 min"), for spans longer than an hour."""
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def _hours(minutes: int) -> str:
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()
    return f"{value:f}"


@dataclass(frozen=True)
class ShiftView:
    code: str
    name: str
    hours: str
    segments: list[list[str]]

    @property
    def is_rest(self) -> bool:
        return self.code == REST_CODE


def _shift_views() -> dict[str, ShiftView]:
    return {shift.code: ShiftView(shift.code, shift.name, _segments_text(shift),
                                  list(shift.segments) if shift.kind == Shift.Kind.FIXED
                                  else [])
            for shift in Shift.objects.all()}


def _shift_view(shifts: dict[str, ShiftView], code: str) -> ShiftView:
    if code in shifts:
        return shifts[code]
    if code in ("", REST_CODE):
        return ShiftView(REST_CODE, _("Rest day"), "", [])
    return ShiftView(code, code, _("This shift is not set up; tell HR."), [])


# --- Reasons in words ------------------------------------------------------------------------

def _minutes(count: int) -> str:
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


REASON_TEXTS: dict[str, Any] = {
    "segment_excused": gettext_lazy("Covered by leave or a business trip: no punches needed."),
    "flexible_arrival": gettext_lazy("Arrived %(minutes)s after the start, within the "
                                     "flexible arrival; the end moves as much later."),
    "no_punches": gettext_lazy("No punches."),
    "missing_punch_in": gettext_lazy("No clock-in punch."),
    "missing_punch_out": gettext_lazy("No clock-out punch."),
    "late_beyond_absence_threshold": gettext_lazy(
        "Arrived %(minutes)s late at %(at)s, beyond the shift's limit: counted as absent."),
    "late_within_grace": gettext_lazy("Arrived %(minutes)s late at %(at)s, within the grace "
                                      "period: counted as on time."),
    "late": gettext_lazy("Arrived %(minutes)s late at %(at)s."),
    "serious_late": gettext_lazy("Seriously late (%(minutes)s)."),
    "early_within_grace": gettext_lazy("Left %(minutes)s early at %(at)s, within the grace "
                                       "period: counted as on time."),
    "left_early": gettext_lazy("Left %(minutes)s early at %(at)s."),
    "overtime_after_end": gettext_lazy("Stayed %(minutes)s after the end of the shift "
                                       "(until %(at)s)."),
    "late_for_core_hours": gettext_lazy("Arrived at %(at)s, %(minutes)s after core hours "
                                        "began."),
    "left_core_hours_early": gettext_lazy("Left at %(at)s, %(minutes)s before core hours "
                                          "ended."),
    "short_of_target": gettext_lazy("Worked %(minutes)s less than the daily target."),
    "overtime_beyond_target": gettext_lazy("Worked %(minutes)s beyond the daily target."),
    "rest": gettext_lazy("A rest day: nothing is scheduled."),
    "holiday": gettext_lazy("A statutory holiday: nothing is scheduled."),
    "single_punch_off_day": gettext_lazy("A single punch on a day off (%(at)s): no "
                                         "overtime is counted from one punch."),
    "worked_off_day": gettext_lazy("Worked %(minutes)s on a day off, from %(at)s."),
    "leave": gettext_lazy("On leave for %(minutes)s of the schedule."),
    "business_trip": gettext_lazy("On a business trip for %(minutes)s of the schedule."),
    "scheduled_on_rest_day": gettext_lazy("Scheduled on a rest day: %(minutes)s count as "
                                          "overtime."),
    "scheduled_on_holiday": gettext_lazy("Scheduled on a statutory holiday: %(minutes)s "
                                         "count as overtime."),
}
"""Each reason code of ``rules/daily.py`` as a sentence."""


def reason_text(reason: dict[str, Any], segments: list[list[str]]) -> str:
    """One stored reason as a sentence; on a split shift it names the part it concerns."""
    code = str(reason.get("code", ""))
    at = reason.get("at")
    moment = None
    if at:
        try:
            moment = datetime.fromisoformat(str(at))
        except ValueError:
            moment = None
    template = REASON_TEXTS.get(code)
    if template is None:
        return code
    text = str(template) % {"minutes": _minutes(int(reason.get("minutes") or 0)),
                            "at": _clock(moment)}
    segment = reason.get("segment")
    if len(segments) > 1 and isinstance(segment, int) and 0 <= segment < len(segments):
        start, end = segments[segment]
        text = f"{start}–{end}: {text}"
    return text


# --- The month calendar ----------------------------------------------------------------------

@dataclass
class CalendarCell:
    day: date
    status: dict[str, str]
    notes: list[str]
    url: str
    is_today: bool


@dataclass
class MonthCalendar:
    first_day: date
    label: str
    weeks: list[list[CalendarCell | None]]
    previous_url: str
    next_url: str
    weekdays: list[str] = field(default_factory=list)


WEEKDAYS = (gettext_lazy("Mon"), gettext_lazy("Tue"), gettext_lazy("Wed"),
            gettext_lazy("Thu"), gettext_lazy("Fri"), gettext_lazy("Sat"), gettext_lazy("Sun"))


OVERTIME_CLASS_LABELS = {"workday": gettext_lazy("Workday overtime"),
                         "rest_day": gettext_lazy("Rest-day overtime"),
                         "holiday": gettext_lazy("Holiday overtime")}
"""Overtime classes of PRC Labour Law art. 44 (paid at 150 %, 200 % and 300 %)."""


def _day_notes(row: DayResult, leave_names: dict[str, str]) -> list[str]:
    notes = []
    if row.late_minutes:
        notes.append(_("%(minutes)d min late") % {"minutes": row.late_minutes})
    if row.early_minutes:
        notes.append(_("%(minutes)d min early") % {"minutes": row.early_minutes})
    if row.missing_punches and row.status != "absent":
        notes.append(ngettext("%(count)d punch missing", "%(count)d punches missing",
                              row.missing_punches) % {"count": row.missing_punches})
    if row.leave_type:
        name = leave_names.get(row.leave_type, row.leave_type)
        notes.append(name if row.leave_days >= 1 else
                     _("%(leave)s, %(days)s day") % {"leave": name,
                                                     "days": f"{row.leave_days.normalize():f}"})
    if row.trip_minutes and row.status != "business_trip":
        notes.append(_("Trip %(hours)s h") % {"hours": _hours(row.trip_minutes)})
    if row.overtime_minutes:
        notes.append(_("%(hours)s h overtime") % {"hours": _hours(row.overtime_minutes)})
    return notes


def month_calendar(actor: Any, person_id: int, first_day: date, page_url: str
                   ) -> tuple[MonthCalendar, list[DayResult]]:
    """A person's month: judged days as they stand, later days as planned by the rules."""
    today = selectors.today()
    last_day = month_end(first_day)
    rows = {row.date: row for row in selectors.days_of(actor, person_id, first_day)}
    book = load_rulebook([person_id], first_day, last_day)
    group = book.group_of(person_id)
    shifts = _shift_views()
    leave_names = leave_type_names()
    cells: list[CalendarCell | None] = [None] * first_day.weekday()
    for number in range(1, last_day.day + 1):
        day = first_day.replace(day=number)
        row = rows.get(day)
        notes: list[str] = []
        if row is not None:
            status = _status(row.status)
            notes = _day_notes(row, leave_names)
        elif group is not None:
            kind = book.day_kind(person_id, day).value
            code = book.shift_code(person_id, day)
            planned = "holiday" if kind == "holiday" else "rest" if code == REST_CODE else ""
            if planned:
                status = _status(planned)
            elif day > today:
                # A working day still to come: what is planned, not a verdict.
                status = {"code": "planned", "label": _shift_view(shifts, code).name,
                          "tone": "planned"}
            else:
                status = _status(NOT_JUDGED)
                notes.append(_shift_view(shifts, code).name)
        else:
            status = _status(NOT_JUDGED)
            status["label"] = ""
        if group is not None:
            holiday_name = book.calendar_of(group).holidays.get(day)
            if holiday_name:
                notes.insert(0, holiday_name)
        cells.append(CalendarCell(day, status, notes,
                                  reverse("attendance:day", args=[person_id, day.isoformat()]),
                                  day == today))
    cells.extend([None] * (-len(cells) % 7))
    previous_month = (first_day - timedelta(days=1)).replace(day=1)
    found = MonthCalendar(
        first_day=first_day, label=first_day.strftime("%Y-%m"),
        weeks=[cells[start:start + 7] for start in range(0, len(cells), 7)],
        previous_url=f"{page_url}?month={previous_month:%Y-%m}",
        next_url=f"{page_url}?month={next_month(first_day):%Y-%m}",
        weekdays=[str(name) for name in WEEKDAYS])
    return found, list(rows.values())


def _totals(rows: list[DayResult], leave_names: dict[str, str]) -> dict[str, Any]:
    """A month's numbers from its judged days, with the arithmetic the payroll close uses."""
    tally = Tally()
    by_class: dict[OvertimeClass, int] = {}
    for row in rows:
        tally.add_day(day_values(row))
        if row.overtime_minutes and row.overtime_class:
            kind = OvertimeClass(row.overtime_class)
            by_class[kind] = by_class.get(kind, 0) + row.overtime_minutes
    # PRC Labour Law art. 41: at most 36 hours of overtime a month, however it is settled.
    cap = check_monthly_cap(by_class)
    return {
        "cap": cap, "cap_hours": f"{Decimal(cap.counted_minutes) / 60:.1f}",
        "cap_limit": cap.cap_minutes // 60,
        "tally": tally,
        "leave": [(leave_names.get(code, code), f"{Decimal(days).normalize():f}")
                  for code, days in tally.leave_days().items()],
        "overtime": [(str(OVERTIME_CLASS_LABELS.get(kind, kind)), hours)
                     for kind, hours in tally.overtime_hours().items()],
        "comp_time_hours": tally.comp_time_hours(),
    }


# --- My attendance ---------------------------------------------------------------------------

@dataclass
class TodayView:
    """Today's card: group, shift, punches and the judged status so far."""

    day: date
    group_name: str
    shift: ShiftView | None
    day_kind: str
    punches: list[Punch]
    status: dict[str, str]
    result: DayResult | None

    @property
    def punch_label(self) -> str:
        return _("Clock out") if self.punches else _("Clock in")


def _today(actor: Any) -> TodayView:
    today = selectors.today()
    membership = selectors.membership_of(actor.pk)
    punches = [punch for punch in selectors.punches_of(actor, actor.pk, today)
               if timezone.localdate(punch.at, local_zone()) == today]
    result = DayResult.objects.filter(person_id=actor.pk, date=today).first()
    if membership is None:
        return TodayView(today, "", None, "", punches, _status(None), result)
    book = load_rulebook([actor.pk], today, today)
    shift = _shift_view(_shift_views(), book.shift_code(actor.pk, today))
    return TodayView(today, membership.group.name, shift, book.day_kind(actor.pk, today).value,
                     punches, _status(result.status if result else None), result)


def _request_rows(actor: Any, person_id: int) -> list[dict[str, Any]]:
    """My leave, trips, overtime and make-up punches, newest first, each with its request."""
    found = selectors.requests_of(actor, person_id)
    rows: list[dict[str, Any]] = []
    for absence in found.absences:
        unit = absence.leave_type.get_unit_display() if absence.leave_type else _("Days")
        rows.append({
            "sort": absence.start, "number": absence.request_number,
            "what": leave_type_name(absence.leave_type) if absence.kind == Absence.Kind.LEAVE
            else _("Business trip"),
            "when": absence.start.isoformat() if absence.start == absence.end
            else f"{absence.start.isoformat()} – {absence.end.isoformat()}",
            "amount": (f"{absence.amount.normalize():f} {str(unit).lower()}"
                       if absence.kind == Absence.Kind.LEAVE else ""),
            "status": absence.get_status_display(), "tone": REQUEST_TONES.get(absence.status, "")})
    for overtime in found.overtime:
        rows.append({
            "sort": overtime.work_date, "number": overtime.request_number,
            "what": _("Overtime"),
            "when": f"{overtime.work_date.isoformat()} {_clock(overtime.start)}–"
                    f"{_clock(overtime.end)}",
            "amount": overtime.get_compensation_display(),
            "status": overtime.get_status_display(),
            "tone": REQUEST_TONES.get(overtime.status, "")})
    for correction in found.corrections:
        rows.append({
            "sort": correction.work_date, "number": correction.request_number,
            "what": _("Make-up clock-in") if correction.direction == "in"
            else _("Make-up clock-out"),
            "when": f"{correction.work_date.isoformat()} {_clock(correction.at)}",
            "amount": "", "status": correction.get_status_display(),
            "tone": REQUEST_TONES.get(correction.status, "")})
    rows.sort(key=lambda row: (row["sort"], row["number"]), reverse=True)
    for row in rows:
        row["url"] = reverse("workflows:request", args=[row["number"]])
    return rows


def _request_links() -> list[dict[str, str]]:
    return [{"code": code, "label": str(label), "url": reverse("workflows:submit", args=[code])}
            for code, label in REQUEST_PROCESSES]


@login_required
def me(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    if not _may_punch(actor):
        return forbidden(request)
    today_view = _today(actor)
    first_day, month_error = _parse_month(request.GET.get("month"), today_view.day)
    if month_error:
        messages.warning(request, month_error)
    calendar, rows = month_calendar(actor, actor.pk, first_day, reverse("attendance:me"))
    leave_names = leave_type_names()
    return render(request, "attendance/me.html", {
        "today": today_view, "calendar": calendar, "totals": _totals(rows, leave_names),
        "balances": [{"balance": balance, "name": leave_type_name(balance.leave_type)}
                     for balance in selectors.balances_of(actor, actor.pk)],
        "requests": _request_rows(actor, actor.pk),
        "request_links": _request_links(), "storage_key": DEVICE_STORAGE_KEY,
        "may_see_team": selectors.has_team(actor),
    })


# --- Punching --------------------------------------------------------------------------------

def _number(request: HttpRequest, name: str) -> float | None:
    text = (request.POST.get(name) or "").strip()
    return float(text) if text else None


def _judged_status(person_id: int, made: Punch) -> str | None:
    """The status of the working date the punch counted for (a night shift's morning
    check-out belongs to the day before), else today's."""
    today = timezone.localdate(made.at, local_zone())
    rows = list(DayResult.objects.filter(person_id=person_id,
                                         date__in=[today - timedelta(days=1), today]))
    for row in rows:
        if made.at in (row.check_in, row.check_out):
            return row.status
    return next((row.status for row in rows if row.date == today), None)


@login_required
@require_POST
def punch(request: HttpRequest) -> HttpResponse:
    """Clock in or out now (JSON for punch.js): the time, how it was verified and the day's
    status, or the service's error with its status (422 unverifiable, 409 no group,
    403 not allowed)."""
    actor: Any = request.user
    values: dict[str, float | None] = {}
    for name in ("latitude", "longitude", "accuracy"):
        try:
            values[name] = _number(request, name)
        except ValueError:
            message = _("%(field)s must be a number.") % {"field": name}
            return JsonResponse({"detail": message, "code": "invalid",
                                 "fields": {name: message}}, status=422)
    try:
        made = services.do_punch(actor, latitude=values["latitude"],
                                 longitude=values["longitude"], accuracy=values["accuracy"],
                                 ip=request.META.get("REMOTE_ADDR") or None,
                                 device_key=(request.POST.get("device_key") or "").strip()
                                 or None)
    except DomainError as error:
        return JsonResponse(error.as_dict(), status=error.status)
    status = _judged_status(actor.pk, made)
    verification = str(made.get_verification_display())
    at = _local(made.at)
    assert at is not None
    if made.site is not None and made.distance_m is not None:
        how = _("%(method)s, %(distance)d m from %(site)s") % {
            "method": verification, "distance": made.distance_m, "site": made.site.name}
    elif made.site is not None:
        how = _("%(method)s at %(site)s") % {"method": verification, "site": made.site.name}
    else:
        how = verification
    return JsonResponse({
        "at": at.isoformat(), "time": at.strftime("%H:%M"), "verification": verification,
        "method": made.verification, "site": made.site.name if made.site else None,
        "distance_m": made.distance_m,
        "status": status, "status_label": _status(status)["label"] if status else None,
        "message": _("Punched at %(time)s (%(how)s).") % {"time": at.strftime("%H:%M"),
                                                          "how": how},
    })


# --- Devices ---------------------------------------------------------------------------------

class DeviceForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of this phone or browser"), max_length=100,
                           help_text=gettext_lazy("For example “My phone” or “Front desk "
                                                  "PC”, so you recognise it in this list."))


def _my_devices(actor: Any) -> list[Device]:
    return list(Device.objects.filter(person_id=actor.pk).order_by("revoked_at",
                                                                  "-registered_at"))


@login_required
@require_http_methods(["GET", "POST"])
def devices(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    if not _may_punch(actor):
        return forbidden(request)
    form = DeviceForm()
    registered: tuple[Device, str] | None = None
    status = 200
    if request.method == "POST" and request.POST.get("action") == "revoke":
        try:
            services.do_revoke_device(actor, int(request.POST.get("device") or 0))
        except ValueError:
            return not_found(request)
        except DomainError as error:
            return refuse(request, error) or not_found(request)
        messages.success(request, _("The device can no longer verify your punches."))
        return redirect("attendance:devices")
    if request.method == "POST":
        form = DeviceForm(request.POST)
        if form.is_valid():
            try:
                registered = services.do_register_device(
                    actor, form.cleaned_data["name"], ip=request.META.get("REMOTE_ADDR"))
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, error)
                status = 422
            else:
                form = DeviceForm()
        else:
            status = 422
    response = render(request, "attendance/devices.html", {
        "form": form, "devices": _my_devices(actor), "registered": registered,
        "storage_key": DEVICE_STORAGE_KEY,
    }, status=status)
    # The device key is handed over once, inside this page: never keep it in any cache.
    response["Cache-Control"] = "no-store"
    return response


# --- One day ---------------------------------------------------------------------------------

def _day_requests(person_id: int, day: date) -> dict[str, list[Any]]:
    """Leave, trips, overtime and make-up punches touching ``day`` (the caller has checked
    that the actor sees the person)."""
    return {
        "absences": list(Absence.objects.select_related("leave_type")
                         .filter(person_id=person_id, start__lte=day, end__gte=day)
                         .order_by("start", "id")),
        "overtime": list(Overtime.objects.filter(person_id=person_id, work_date=day)
                         .order_by("start", "id")),
        "corrections": list(PunchCorrection.objects.filter(person_id=person_id, work_date=day)
                            .order_by("at", "id")),
    }


@login_required
def day(request: HttpRequest, person_id: int, day: str) -> HttpResponse:
    actor: Any = request.user
    when = _parse_day(day)
    if when is None or not _may_view(actor, person_id):
        return not_found(request)
    info = directory.person(person_id)
    if info is None:
        return not_found(request)
    result = DayResult.objects.filter(person_id=person_id, date=when).first()
    shifts = _shift_views()
    book = load_rulebook([person_id], when, when)
    group = book.group_of(person_id)
    shift_code = result.shift_code if result else (
        book.shift_code(person_id, when) if group else "")
    shift = _shift_view(shifts, shift_code) if group or result else None
    holiday_name = book.calendar_of(group).holidays.get(when) if group else None
    reasons = [reason_text(reason, shift.segments if shift else [])
               for reason in (result.reasons if result else [])]
    counted = {result.check_in: _("Clock-in"), result.check_out: _("Clock-out")} \
        if result else {}
    counted.pop(None, None)
    # The punches of the date, and a night shift's check-out on the next morning; the
    # next day's clock-in is that day's business.
    punches = [{"punch": punch, "at": _local(punch.at), "counts_as": counted.get(punch.at, ""),
                "other_day": timezone.localdate(punch.at, local_zone()) != when}
               for punch in selectors.punches_of(actor, person_id, when)
               if punch.at in counted or timezone.localdate(punch.at, local_zone()) == when]
    facts = _day_requests(person_id, when)
    is_self = person_id == actor.pk
    return render(request, "attendance/day.html", {
        "person": info, "name": directory.display_names([person_id]).get(person_id, ""),
        "day": when, "result": result, "status": _status(result.status if result else None),
        "shift": shift, "holiday_name": holiday_name, "in_group": group is not None,
        "reasons": reasons, "punches": punches,
        "worked": duration(result.worked_minutes) if result else "",
        "absences": [{"absence": absence, "what": leave_type_name(absence.leave_type)
                      if absence.kind == Absence.Kind.LEAVE else _("Business trip"),
                      "tone": REQUEST_TONES.get(absence.status, "")}
                     for absence in facts["absences"]],
        "overtime": [{"overtime": overtime, "tone": REQUEST_TONES.get(overtime.status, "")}
                     for overtime in facts["overtime"]],
        "corrections": [{"correction": correction,
                         "tone": REQUEST_TONES.get(correction.status, "")}
                        for correction in facts["corrections"]],
        "leave_type_name": leave_type_names().get(result.leave_type, result.leave_type)
        if result and result.leave_type else "",
        "overtime_class": OVERTIME_CLASS_LABELS.get(result.overtime_class, "")
        if result else "",
        "is_self": is_self, "is_future": when > selectors.today(),
        "correction_url": reverse("workflows:submit", args=["punch_correction"])
        + f"?f.date={when:%Y-%m-%d}",
        "leave_url": reverse("workflows:submit", args=["leave"]),
        "back_url": reverse("attendance:me") + f"?month={when:%Y-%m}" if is_self
        else reverse("attendance:person", args=[person_id]) + f"?month={when:%Y-%m}",
    })


# --- The team --------------------------------------------------------------------------------

@dataclass
class BoardRow:
    """One person on today's team board."""

    person_id: int
    name: str
    department: str
    result: DayResult | None

    @property
    def status(self) -> dict[str, str]:
        return _status(self.result.status if self.result else None)

    @property
    def check_in(self) -> str:
        return _clock(self.result.check_in) if self.result else ""

    @property
    def check_out(self) -> str:
        return _clock(self.result.check_out) if self.result else ""


def _department_names(department_ids: set[int] | None) -> list[tuple[int, str]]:
    return [(info.id, in_language(info.name_zh, info.name_en)) for info in directory.departments()
            if department_ids is None or info.id in department_ids]


def _subtree(department_id: int) -> set[int]:
    """The department and every open department below it (one query)."""
    children: dict[int | None, list[int]] = {}
    for info in directory.departments():
        children.setdefault(info.parent_id, []).append(info.id)
    found, waiting = set(), [department_id]
    while waiting:
        current = waiting.pop()
        if current not in found:
            found.add(current)
            waiting.extend(children.get(current, []))
    return found


class ExceptionFilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("Until"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int,
                                        required=False, empty_value=None)

    def __init__(self, *args: Any, departments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        department = self.fields["department"]
        assert isinstance(status, forms.ChoiceField)
        assert isinstance(department, forms.ChoiceField)
        status.choices = [("", _("Every problem"))] + [
            (code, STATUS_LABELS[code]) for code in selectors.PROBLEMS]
        department.choices = [("", _("Every department"))] + [
            (str(pk), name) for pk, name in departments]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end is before the start."))
        elif start and end and (end - start).days >= LONGEST_PERIOD_DAYS:
            self.add_error("end", _("Choose a period of at most %(days)d days.")
                           % {"days": LONGEST_PERIOD_DAYS})
        return data


@login_required
def team(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    if not selectors.has_team(actor):
        return forbidden(request)
    today = selectors.today()
    visible = selectors.team_departments(actor)
    departments = _department_names(visible)
    department_names = dict(departments)
    results = {row.person_id: row for row in selectors.team_day(actor, today)}
    people = sorted(set(selectors.team_people(actor)) | set(results))
    names = directory.display_names(people)
    person_departments = {info.id: info.department_id for info in directory.people(people)}
    board = [BoardRow(pid, names.get(pid, f"#{pid}"),
                      department_names.get(person_departments.get(pid) or 0, ""),
                      results.get(pid))
             for pid in people]
    # Problems first, then names: the board is read top-down in the morning.
    board.sort(key=lambda row: (row.status["code"] == "on_time", row.name.casefold()))
    counts = Counter(row.status["code"] for row in board)
    order = [*STATUS_LABELS, NOT_JUDGED]
    count_rows = [{**_status(code), "count": counts[code]} for code in order if counts[code]]

    start, end = today.replace(day=1), today
    filters = ExceptionFilterForm(request.GET or None, departments=departments,
                                  initial={"start": start, "end": end})
    chosen_status, chosen_department = "", None
    if filters.is_bound and filters.is_valid():
        start = filters.cleaned_data["start"] or start
        end = filters.cleaned_data["end"] or max(end, start)
        chosen_status = filters.cleaned_data["status"]
        chosen_department = filters.cleaned_data["department"]
        if end < start or (end - start).days >= LONGEST_PERIOD_DAYS:
            # One end given and the other defaulted: the form could not check the pair.
            filters.add_error("end", _("Choose an end on or after the start, at most "
                                       "%(days)d days later.") % {"days": LONGEST_PERIOD_DAYS})
            start, end = today.replace(day=1), today
    exceptions = selectors.exceptions_of(
        actor, start, end, status=chosen_status or None,
        department_ids=set(_subtree(chosen_department)) if chosen_department is not None
        else None)
    page = Paginator(exceptions, EXCEPTIONS_PAGE_SIZE).get_page(request.GET.get("page") or 1)
    exception_names = directory.display_names(sorted({row.person_id for row in page}))
    exception_rows = [{"row": row, "name": exception_names.get(row.person_id,
                                                               f"#{row.person_id}"),
                       "department": department_names.get(row.department_id or 0, ""),
                       "status": _status(row.status), "check_in": _clock(row.check_in),
                       "check_out": _clock(row.check_out),
                       "url": reverse("attendance:day", args=[row.person_id,
                                                              row.date.isoformat()])}
                      for row in page]
    rest = request.GET.copy()
    rest.pop("page", None)
    return render(request, "attendance/team.html", {
        "today": today, "board": board, "counts": count_rows, "filters": filters,
        "start": start, "end": end, "exceptions": exception_rows, "page_obj": page,
        "query_string": rest.urlencode(),
        "filtered": any(request.GET.get(name) for name in ("start", "end", "status",
                                                           "department")),
    })


@login_required
def person_month(request: HttpRequest, person_id: int) -> HttpResponse:
    actor: Any = request.user
    if not _may_view(actor, person_id):
        return not_found(request)
    info = directory.person(person_id)
    if info is None:
        return not_found(request)
    today = selectors.today()
    first_day, month_error = _parse_month(request.GET.get("month"), today)
    if month_error:
        messages.warning(request, month_error)
    calendar, rows = month_calendar(actor, person_id, first_day,
                                    reverse("attendance:person", args=[person_id]))
    department = directory.department(info.department_id) if info.department_id else None
    membership = selectors.membership_of(person_id)
    return render(request, "attendance/person.html", {
        "person": info, "name": directory.display_names([person_id]).get(person_id, ""),
        "department": in_language(department.name_zh, department.name_en) if department else "",
        "group_name": membership.group.name if membership else "",
        "calendar": calendar, "totals": _totals(rows, leave_type_names()),
        "may_see_team": selectors.has_team(actor),
    })
