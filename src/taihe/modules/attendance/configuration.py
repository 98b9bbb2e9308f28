"""HR's write path for the attendance rules: calendars and their dated days, shifts,
attendance groups and their members, roster cells and swaps, and punch sites.

Every function here requires ``attendance.rules.manage``, validates everything before it
writes (``ValidationFailed`` with one message per field, CSV problems per row), writes in one
transaction and publishes ``attendance.rules.changed.v1`` (``RulesChanged``) with ``what``
one of ``calendar``, ``shift``, ``group``, ``members``, ``roster`` or ``site``.

A change that alters how past days are judged queues the job
``attendance.days.recompute`` after commit, for the affected people and dates up to today
(never for the future: those days are judged when they happen). Rules carry no effective
date, so a change to a calendar's week, a shift, a group or its members applies to the days
not yet paid out: every day after the last closed month, or from the start of last month
when no month was ever closed (last month is then still waiting for payroll). Dated changes
(a calendar day, a roster cell, a swap) recompute just their dates; a date in a closed month
then becomes a correction paid in the next open month (``computing.recompute``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue
from taihe.kernel.text import decode_spreadsheet_text
from taihe.modules.attendance import events, services
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance.computing import local_zone, month_start, next_month
from taihe.modules.attendance.jobs import recompute_days
from taihe.modules.attendance.models import (
    REST_CODE,
    Calendar,
    CalendarDay,
    Group,
    Membership,
    Month,
    RosterCell,
    Shift,
    Site,
)
from taihe.modules.attendance.rulebook import Rulebook, load_rulebook, shift_rules
from taihe.modules.attendance.rules.calendar import (
    CalendarDataMissing,
    CsvErrorCode,
    CsvField,
    parse_holiday_csv,
    statutory_days,
)
from taihe.modules.attendance.rules.shifts import (
    AnyShift,
    RestDay,
    Roster,
    RosterConflict,
    _check_no_double_booking,
    swap,
)
from taihe.modules.directory import api as directory

NATIONAL_KINDS = (CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.ADJUSTED_WORKDAY,
                  CalendarDay.Kind.REST_IN_LIEU)
"""What the national calendar (rows without a calendar) may hold: the State Council's
yearly notice only makes holidays, make-up working days and days off in lieu. Closures and
special openings are a museum's own decisions and belong on a group's calendar."""

MINUTES_A_DAY = 24 * 60
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
SITE_RADIUS_M = (10, 5000)
"""A phone's position fix is seldom better than 10 m; beyond 5 km a circle no longer says
that someone is at the museum."""
MAX_CYCLE_DAYS = 366


# --- Shared helpers --------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(timezone.now(), local_zone())


def _open_period_start(today: date) -> date:
    """The first day whose judgement a rule change may still alter (see module docstring)."""
    last_closed = (Month.objects.filter(closed_at__isnull=False).order_by("-first_day")
                   .values_list("first_day", flat=True).first())
    if last_closed is not None:
        return next_month(last_closed)
    return month_start(month_start(today) - timedelta(days=1))


def _recompute_later(person_ids: Iterable[int] | None, start: date, end: date,
                     cause: str) -> bool:
    """Queue ``recompute_days`` after commit for the past part of ``start``..``end``.
    Returns False (and queues nothing) when no person or no past date is affected."""
    end = min(end, _today())
    if start > end:
        return False
    ids: list[int] | None = None
    if person_ids is not None:
        ids = sorted(set(person_ids))
        if not ids:
            return False
    enqueue(recompute_days, ids, start.isoformat(), end.isoformat(), cause[:200])
    return True


def _recompute_open_period(person_ids: Iterable[int] | None, cause: str) -> bool:
    today = _today()
    return _recompute_later(person_ids, _open_period_start(today), today, cause)


def _recompute_dates(person_ids: Iterable[int] | None, dates: Iterable[date],
                     cause: str) -> bool:
    found = sorted(set(dates))
    if not found:
        return False
    # The day after the last change too: a night shift's morning check-out belongs to the
    # changed day, and whether the next day has a lone punch depends on it.
    return _recompute_later(person_ids, found[0], found[-1] + timedelta(days=1), cause)


def _fail(fields: Mapping[str, str], detail: str | None = None) -> ValidationFailed:
    return ValidationFailed(detail, fields=dict(fields))


def _text(data: Mapping[str, Any], key: str, errors: dict[str, str], *, max_length: int,
          required: bool = True) -> str:
    value = data.get(key)
    text = "" if value is None else str(value).strip()
    if required and not text:
        errors[key] = _("Required.")
    elif len(text) > max_length:
        errors[key] = _("At most %(count)d characters.") % {"count": max_length}
    return text


def _whole_number(value: Any, key: str, errors: dict[str, str], *, low: int, high: int,
                  optional: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if not optional:
            errors[key] = _("Required.")
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        number = None
    if number is None or not low <= number <= high:
        errors[key] = _("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        return None
    return number


def _flag(value: Any, key: str, errors: dict[str, str]) -> bool:
    if not isinstance(value, bool):
        errors[key] = _("Yes or no.")
        return False
    return value


def _clock(value: Any) -> time | None:
    """A wall-clock time from ``time`` or ``"HH:MM"``; None when it is neither."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if not isinstance(value, str):
        return None
    match = CLOCK.match(value.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _reference(value: Any) -> int | None:
    """An id given as a number, a digit string or a model instance."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return getattr(value, "pk", None)


def _require(actor: Any) -> None:
    authz.require(actor, ops.MANAGE.code)


def _members_on_calendar(calendar_id: int) -> list[int]:
    return list(Membership.objects.filter(group__calendar_id=calendar_id)
                .values_list("person_id", flat=True))


def _changed_dates(before: Mapping[date, str], after: Mapping[date, str]) -> list[date]:
    """Dates whose kind differs (a name alone changes no judgement)."""
    return sorted(day for day in set(before) | set(after) if before.get(day) != after.get(day))


def _calendar_rows(calendar_id: int | None) -> Any:
    if calendar_id is None:
        return CalendarDay.objects.filter(calendar__isnull=True)
    return CalendarDay.objects.filter(calendar_id=calendar_id)


def _people_of_calendar_rows(calendar_id: int | None) -> list[int] | None:
    """Who a dated row affects: everyone for a national row, else the calendar's people."""
    return None if calendar_id is None else _members_on_calendar(calendar_id)


def _calendar(calendar_id: int) -> Calendar:
    found = Calendar.objects.filter(pk=calendar_id).first()
    if found is None:
        raise NotFound(_("No such calendar."))
    return found


def _calendar_label(calendar_id: int | None) -> str:
    if calendar_id is None:
        return _("the national calendar")
    return Calendar.objects.filter(pk=calendar_id).values_list("name", flat=True).first() or ""


# --- Calendars -------------------------------------------------------------------------------


def do_save_calendar(actor: Any, calendar_id: int | None, *, name: str,
                     rest_weekdays: list[int], follows_statutory: bool) -> Calendar:
    """Create (``calendar_id`` None) or change a work calendar. Weekdays are numbers, Monday
    0 to Sunday 6; at least one weekday must stay a working day.

    Emits ``attendance.rules.changed.v1`` (what ``calendar``) and, when the week or the
    statutory setting of a calendar in use changed, recomputes its people's open days.
    Raises PermissionDenied, NotFound or ValidationFailed (``name``, ``rest_weekdays``,
    ``follows_statutory``)."""
    _require(actor)
    calendar = _calendar(calendar_id) if calendar_id is not None else Calendar()
    errors: dict[str, str] = {}
    clean_name = _text({"name": name}, "name", errors, max_length=100)
    if clean_name and Calendar.objects.filter(name=clean_name).exclude(pk=calendar.pk).exists():
        errors["name"] = _("Another calendar is called %(name)s.") % {"name": clean_name}
    weekdays: list[int] = []
    if not isinstance(rest_weekdays, list | tuple | set) or any(
            isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6
            for day in rest_weekdays):
        errors["rest_weekdays"] = _("Weekdays are numbers from 0 (Monday) to 6 (Sunday).")
    else:
        weekdays = sorted(set(rest_weekdays))
        if len(weekdays) == 7:
            errors["rest_weekdays"] = _("At least one weekday must be a working day.")
    statutory = _flag(follows_statutory, "follows_statutory", errors)
    if errors:
        raise _fail(errors)
    judged_before = (calendar.rest_weekdays, calendar.follows_statutory)
    creating = calendar.pk is None
    calendar.name, calendar.rest_weekdays, calendar.follows_statutory = (
        clean_name, weekdays, statutory)
    with transaction.atomic():
        calendar.save()
        publish(events.RulesChanged(what="calendar", object_id=calendar.pk))
        if not creating and judged_before != (weekdays, statutory):
            _recompute_open_period(_members_on_calendar(calendar.pk),
                                   _("calendar %(name)s changed") % {"name": calendar.name})
    return calendar


def do_set_calendar_day(actor: Any, calendar_id: int | None, day: date, kind: str,
                        name: str = "") -> CalendarDay:
    """Set one dated exception, replacing the row the calendar (national when
    ``calendar_id`` is None) already has on ``day``. National rows may only be holidays,
    make-up working days or days off in lieu; a holiday needs a name.

    Emits ``attendance.rules.changed.v1`` (what ``calendar``, ``object_id`` the calendar or
    None) and recomputes the date when it is past. Raises PermissionDenied, NotFound or
    ValidationFailed (``day``, ``kind``, ``name``)."""
    _require(actor)
    if calendar_id is not None:
        _calendar(calendar_id)
    errors: dict[str, str] = {}
    if not isinstance(day, date):
        errors["day"] = _("Not a date.")
    allowed = NATIONAL_KINDS if calendar_id is None else tuple(CalendarDay.Kind)
    if kind not in CalendarDay.Kind.values:
        errors["kind"] = _("Choose one of: %(kinds)s.") % {
            "kinds": ", ".join(str(choice) for choice in allowed)}
    elif kind not in allowed:
        errors["kind"] = _("The national calendar holds statutory holidays, make-up working "
                           "days and days off in lieu only; set closures and special working "
                           "days on a group's calendar.")
    clean_name = _text({"name": name}, "name", errors, max_length=100, required=False)
    if kind == CalendarDay.Kind.HOLIDAY and not clean_name and "name" not in errors:
        errors["name"] = _("Name the holiday, such as Spring Festival.")
    if errors:
        raise _fail(errors)
    with transaction.atomic():
        row = _calendar_rows(calendar_id).filter(date=day).first() \
            or CalendarDay(calendar_id=calendar_id, date=day)
        was = row.kind if row.pk else None
        row.kind, row.name = kind, clean_name
        row.save()
        publish(events.RulesChanged(what="calendar", object_id=calendar_id))
        if was != kind:
            _recompute_dates(_people_of_calendar_rows(calendar_id), [day],
                             _("%(calendar)s: %(day)s changed") % {
                                 "calendar": _calendar_label(calendar_id),
                                 "day": day.isoformat()})
    return row


def do_remove_calendar_day(actor: Any, day_id: int) -> None:
    """Remove one dated exception, so the date follows the calendar's week again.

    Emits ``attendance.rules.changed.v1`` (what ``calendar``) and recomputes the date when
    it is past. Raises PermissionDenied or NotFound."""
    _require(actor)
    row = CalendarDay.objects.filter(pk=day_id).first()
    if row is None:
        raise NotFound(_("No such calendar day."))
    with transaction.atomic():
        row.delete()
        publish(events.RulesChanged(what="calendar", object_id=row.calendar_id))
        _recompute_dates(_people_of_calendar_rows(row.calendar_id), [row.date],
                         _("%(calendar)s: %(day)s removed") % {
                             "calendar": _calendar_label(row.calendar_id),
                             "day": row.date.isoformat()})


def do_seed_statutory_year(actor: Any, year: int, *, replace: bool = False) -> int:
    """Fill the national calendar of ``year`` from the built-in data (``chinese-calendar``)
    and return how many rows were written. With ``replace`` the year's national rows are
    replaced; without it a year that has rows is left alone.

    Emits ``attendance.rules.changed.v1`` (what ``calendar``, no object) and recomputes the
    past dates whose kind changed. Raises PermissionDenied, ValidationFailed (``year``: not
    covered by the built-in data; HR imports the State Council notice as CSV instead) or
    Conflict (``year_exists``)."""
    _require(actor)
    try:
        found = statutory_days(year)
    except CalendarDataMissing as missing:
        message = _("There is no built-in statutory calendar for %(year)d (it covers "
                    "%(first)d to %(last)d). Import the State Council notice for %(year)d as "
                    "a CSV file with the columns date,kind,name.") % {
            "year": year, "first": missing.covered[0], "last": missing.covered[1]}
        raise _fail({"year": message}, message) from None
    existing = CalendarDay.objects.filter(calendar__isnull=True, date__year=year)
    count = existing.count()
    if count and not replace:
        raise Conflict(_("The national calendar of %(year)d already has %(count)d days; "
                         "replace them to seed the year again.") % {"year": year,
                                                                    "count": count},
                       code="year_exists")
    rows = [CalendarDay(date=day, kind=CalendarDay.Kind.HOLIDAY, name=name)
            for day, name in found.holidays.items()]
    rows += [CalendarDay(date=day, kind=CalendarDay.Kind.ADJUSTED_WORKDAY)
             for day in sorted(found.adjusted_workdays)]
    rows += [CalendarDay(date=day, kind=CalendarDay.Kind.REST_IN_LIEU, name=name)
             for day, name in found.rest_days_in_lieu.items()]
    with transaction.atomic():
        before = dict(existing.values_list("date", "kind"))
        existing.delete()
        CalendarDay.objects.bulk_create(rows)
        publish(events.RulesChanged(what="calendar", object_id=None))
        changed = _changed_dates(before, {row.date: row.kind for row in rows})
        _recompute_dates(None, changed, _("statutory calendar %(year)d seeded")
                         % {"year": year})
    return len(rows)


_CSV_MESSAGES = {
    CsvErrorCode.MISSING_HEADER: lambda year: _(
        "The first line must be the header date,kind,name."),
    CsvErrorCode.WRONG_COLUMN_COUNT: lambda year: _(
        "Each line needs three columns: date, kind and name."),
    CsvErrorCode.INVALID_DATE: lambda year: _("Not a date such as 2027-01-01."),
    CsvErrorCode.WRONG_YEAR: lambda year: _("This date is not in %(year)s.") % {"year": year},
    CsvErrorCode.INVALID_KIND: lambda year: _("The kind must be holiday, workday or rest."),
    CsvErrorCode.MISSING_NAME: lambda year: _("A holiday needs a name, such as Spring "
                                              "Festival."),
    CsvErrorCode.DUPLICATE_DATE: lambda year: _("This date is already listed on an earlier "
                                                "line."),
}


def do_import_calendar_csv(actor: Any, calendar_id: int | None, content: bytes, *,
                           year: int | None = None) -> int:
    """Import a State Council notice (or a museum's own dates) as CSV ``date,kind,name``,
    kind ``holiday``, ``workday`` (make-up working day) or ``rest`` (day off in lieu), into
    the national calendar (``calendar_id`` None) or one calendar. With ``year`` every date
    must lie in that year. All or nothing: the rows of the imported dates are replaced only
    when every line is valid. Returns how many dates were written.

    Emits ``attendance.rules.changed.v1`` (what ``calendar``) and recomputes the past dates
    whose kind changed. Raises PermissionDenied, NotFound or ValidationFailed whose fields
    name each bad line and column (``row 3, date``; ``row 1`` for a whole line)."""
    _require(actor)
    if calendar_id is not None:
        _calendar(calendar_id)
    try:
        text = decode_spreadsheet_text(content)
    except UnicodeDecodeError:
        raise _fail({"file": _("Save the file as UTF-8 CSV.")},
                    _("The file is not UTF-8 or GB18030 text.")) from None
    parsed = parse_holiday_csv(text, year=year)
    if parsed.errors:
        fields: dict[str, str] = {}
        for error in parsed.errors:
            key = (f"row {error.row}" if error.field is CsvField.ROW
                   else f"row {error.row}, {error.field.value}")
            fields[key] = _CSV_MESSAGES[error.code](year)
        raise _fail(fields, _("Nothing was imported: %(count)d problems.")
                    % {"count": len(fields)})
    kinds: dict[date, tuple[str, str]] = {}
    kinds.update({day: (CalendarDay.Kind.HOLIDAY, name)
                  for day, name in parsed.holidays.items()})
    kinds.update(dict.fromkeys(parsed.adjusted_workdays,
                               (CalendarDay.Kind.ADJUSTED_WORKDAY, "")))
    kinds.update({day: (CalendarDay.Kind.REST_IN_LIEU, name)
                  for day, name in parsed.rest_days_in_lieu.items()})
    if not kinds:
        raise _fail({"file": _("The file lists no dates.")})
    with transaction.atomic():
        replaced = _calendar_rows(calendar_id).filter(date__in=list(kinds))
        before = dict(replaced.values_list("date", "kind"))
        replaced.delete()
        CalendarDay.objects.bulk_create([
            CalendarDay(calendar_id=calendar_id, date=day, kind=kind, name=name[:100])
            for day, (kind, name) in sorted(kinds.items())])
        publish(events.RulesChanged(what="calendar", object_id=calendar_id))
        changed = _changed_dates(before, {day: kind for day, (kind, _n) in kinds.items()})
        _recompute_dates(_people_of_calendar_rows(calendar_id), changed,
                         _("%(calendar)s: dates imported") % {
                             "calendar": _calendar_label(calendar_id)})
    return len(kinds)


# --- Shifts ----------------------------------------------------------------------------------

SHIFT_FIELDS = ("code", "name", "kind", "segments", "late_grace_minutes",
                "early_leave_grace_minutes", "serious_late_minutes", "absent_if_late_minutes",
                "core_start", "core_end", "target_minutes", "earliest_start", "latest_end",
                "color")

_SHIFT_RULE_PROBLEMS: dict[str, tuple[str, Any]] = {
    # The ValueError texts of rules.shifts and rulebook.shift_rules, as field messages.
    "a fixed shift needs at least one segment": (
        "segments", lambda: _("A fixed shift needs at least one stretch of working hours.")),
    "grace minutes cannot be negative": (
        "late_grace_minutes", lambda: _("Grace minutes cannot be negative.")),
    "core hours are supported on single-segment shifts only": (
        "core_start", lambda: _("Core hours work only with a single stretch of working "
                                "hours.")),
    "a flexible shift needs a target and a window": (
        "target_minutes", lambda: _("A flexible shift needs a daily target, an earliest "
                                    "start and a latest end.")),
    "a flexible shift needs a positive daily target": (
        "target_minutes", lambda: _("The daily target must be more than 0 minutes.")),
    "the daily target does not fit in the window": (
        "target_minutes", lambda: _("The daily target is longer than the time from the "
                                    "earliest start to the latest end.")),
}


def _segments(value: Any, errors: dict[str, str]) -> list[list[str]]:
    if not isinstance(value, list | tuple):
        errors["segments"] = _("A list of stretches, each a start and an end such as "
                               "09:00 and 17:30.")
        return []
    cleaned: list[list[str]] = []
    total = 0
    for number, pair in enumerate(value, start=1):
        times = ([_clock(part) for part in pair]
                 if isinstance(pair, list | tuple) and len(pair) == 2 else [None])
        start, end = [*times, None][:2]
        if start is None or end is None:
            errors["segments"] = _("Stretch %(number)d: give a start and an end as HH:MM, "
                                   "such as 09:00 and 17:30.") % {"number": number}
            return []
        if start == end:
            errors["segments"] = _("Stretch %(number)d starts and ends at the same "
                                   "time.") % {"number": number}
            return []
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        total += minutes if minutes > 0 else minutes + MINUTES_A_DAY
        cleaned.append([start.strftime("%H:%M"), end.strftime("%H:%M")])
    if total > MINUTES_A_DAY:
        errors["segments"] = _("The stretches add up to more than 24 hours.")
    return cleaned


def _shift_uses(shift: Shift) -> tuple[list[str], int]:
    """The groups whose shift, cycle or roster cells name ``shift``, and how many cells."""
    groups = sorted(group.name for group in Group.objects.select_related("shift")
                    if group.shift_id == shift.pk or shift.code in (group.cycle or []))
    cells = RosterCell.objects.filter(shift_code=shift.code).count()
    return groups, cells


def _people_on_shift(shift: Shift, since: date) -> set[int]:
    groups = [group.pk for group in Group.objects.all()
              if group.shift_id == shift.pk or shift.code in (group.cycle or [])]
    people = set(Membership.objects.filter(group_id__in=groups)
                 .values_list("person_id", flat=True))
    people |= set(RosterCell.objects.filter(shift_code=shift.code, date__gte=since)
                  .values_list("person_id", flat=True))
    return people


def do_save_shift(actor: Any, shift_id: int | None, data: dict[str, Any]) -> Shift:
    """Create (``shift_id`` None) or change a shift. ``data`` holds Shift field names;
    missing keys keep the stored (or default) values. ``segments`` is a list of
    ``["HH:MM", "HH:MM"]``; an end before its start ends the next day. The code is a unique
    slug, not ``rest``, and cannot change while groups or roster cells use it.

    Emits ``attendance.rules.changed.v1`` (what ``shift``) and, when the rules of a shift in
    use changed, recomputes the open days of the people on it. Raises PermissionDenied,
    NotFound or ValidationFailed (one message per field)."""
    _require(actor)
    shift = Shift.objects.filter(pk=shift_id).first() if shift_id is not None else Shift()
    if shift is None:
        raise NotFound(_("No such shift."))
    errors: dict[str, str] = {}
    for key in sorted(set(data) - set(SHIFT_FIELDS)):
        errors[key] = _("Unknown field.")
    values = {key: getattr(shift, key) for key in SHIFT_FIELDS}
    values.update({key: value for key, value in data.items() if key in SHIFT_FIELDS})
    code = _text(values, "code", errors, max_length=30)
    if code and "code" not in errors:
        if not SLUG.match(code):
            errors["code"] = _("Use letters, digits, hyphens and underscores only.")
        elif code.lower() == REST_CODE:
            errors["code"] = _("%(code)s is reserved for days off.") % {"code": REST_CODE}
        elif Shift.objects.filter(code=code).exclude(pk=shift.pk).exists():
            errors["code"] = _("Another shift has the code %(code)s.") % {"code": code}
        elif shift.pk is not None and code != shift.code and any(_shift_uses(shift)):
            errors["code"] = _("Groups or roster cells use the code %(code)s, so it cannot "
                               "change.") % {"code": shift.code}
    name = _text(values, "name", errors, max_length=100)
    kind = values["kind"]
    if kind not in Shift.Kind.values:
        errors["kind"] = _("Fixed or flexible.")
    segments = _segments(values["segments"], errors)
    minutes: dict[str, int | None] = {}
    for key, optional in (("late_grace_minutes", False), ("early_leave_grace_minutes", False),
                          ("serious_late_minutes", True), ("absent_if_late_minutes", True),
                          ("target_minutes", True)):
        minutes[key] = _whole_number(values[key], key, errors, low=0, high=MINUTES_A_DAY,
                                     optional=optional)
    clocks: dict[str, time | None] = {}
    for key in ("core_start", "core_end", "earliest_start", "latest_end"):
        raw = values[key]
        clocks[key] = None if raw in (None, "") else _clock(raw)
        if raw not in (None, "") and clocks[key] is None:
            errors[key] = _("A time such as 09:30.")
    if (clocks["core_start"] is None) != (clocks["core_end"] is None) \
            and "core_start" not in errors and "core_end" not in errors:
        errors["core_end" if clocks["core_start"] else "core_start"] = _(
            "Give both ends of the core hours, or neither.")
    if kind == Shift.Kind.FLEXIBLE:
        for key in ("target_minutes", "earliest_start", "latest_end"):
            if values[key] in (None, "") and key not in errors:
                errors[key] = _("A flexible shift needs this.")
    elif kind == Shift.Kind.FIXED and not segments and "segments" not in errors:
        errors["segments"] = _("A fixed shift needs at least one stretch of working hours.")
    colour = str(values["color"] or "").strip()
    if not COLOUR.match(colour):
        errors["color"] = _("A colour such as #2f6fb1.")
    if errors:
        raise _fail(errors)
    old_rules = _rules_or_none(shift) if shift.pk is not None else None
    shift.code, shift.name, shift.kind, shift.segments = code, name, kind, segments
    shift.late_grace_minutes = minutes["late_grace_minutes"] or 0
    shift.early_leave_grace_minutes = minutes["early_leave_grace_minutes"] or 0
    shift.serious_late_minutes = minutes["serious_late_minutes"]
    shift.absent_if_late_minutes = minutes["absent_if_late_minutes"]
    shift.target_minutes = minutes["target_minutes"]
    shift.core_start, shift.core_end = clocks["core_start"], clocks["core_end"]
    shift.earliest_start, shift.latest_end = clocks["earliest_start"], clocks["latest_end"]
    shift.color = colour.lower()
    try:
        new_rules = shift_rules(shift)
    except ValueError as problem:
        field, message = _SHIFT_RULE_PROBLEMS.get(
            str(problem), ("kind", lambda: _("These settings do not make a working shift.")))
        raise _fail({field: message()}) from None
    with transaction.atomic():
        shift.save()
        publish(events.RulesChanged(what="shift", object_id=shift.pk))
        if shift_id is not None and old_rules != new_rules:
            today = _today()
            _recompute_open_period(_people_on_shift(shift, _open_period_start(today)),
                                   _("shift %(code)s changed") % {"code": shift.code})
    return shift


def _rules_or_none(shift: Shift) -> AnyShift | None:
    try:
        return shift_rules(shift)
    except ValueError:
        return None


def do_delete_shift(actor: Any, shift_id: int) -> None:
    """Delete a shift no group, cycle or roster cell uses.

    Emits ``attendance.rules.changed.v1`` (what ``shift``). Raises PermissionDenied,
    NotFound or Conflict (``in_use``, naming the groups)."""
    _require(actor)
    shift = Shift.objects.filter(pk=shift_id).first()
    if shift is None:
        raise NotFound(_("No such shift."))
    groups, cells = _shift_uses(shift)
    if groups or cells:
        parts = []
        if groups:
            parts.append(_("groups %(names)s") % {"names": ", ".join(groups)})
        if cells:
            parts.append(_("%(count)d roster cells") % {"count": cells})
        raise Conflict(_("The shift %(code)s is used by %(uses)s; change them first.")
                       % {"code": shift.code, "uses": _(" and ").join(parts)},
                       code="in_use")
    with transaction.atomic():
        shift.delete()
        publish(events.RulesChanged(what="shift", object_id=shift_id))


# --- Groups and members ----------------------------------------------------------------------

GROUP_FIELDS = ("name", "calendar", "schedule", "shift", "cycle", "cycle_anchor",
                "allow_geofence", "allow_network", "allow_device", "allow_unverified",
                "overtime_basis", "workday_overtime", "rest_day_overtime",
                "minimum_overtime_minutes", "make_up_limit")
GROUP_ALIASES = {"calendar_id": "calendar", "shift_id": "shift"}
JUDGED_GROUP_FIELDS = ("calendar_id", "schedule", "shift_id", "cycle", "cycle_anchor",
                       "overtime_basis", "workday_overtime", "rest_day_overtime",
                       "minimum_overtime_minutes")
"""What a day's judgement reads from a group (the rest: name, punch methods, sites and
make-up limit, only matter when punching or requesting)."""


def _shift_map(book_shifts: Mapping[str, AnyShift], codes: Iterable[str]) -> dict[str, AnyShift]:
    """The shifts for roster checks; a code without a usable shift rests, as in the
    rulebook."""
    found = dict(book_shifts)
    for code in codes:
        found.setdefault(code, RestDay(code))
    return found


def _cycle(value: Any, errors: dict[str, str]) -> list[str]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
        errors["cycle"] = _("A list of shift codes.")
        return []
    cycle = [code.strip() for code in value]
    if len(cycle) > MAX_CYCLE_DAYS:
        errors["cycle"] = _("A cycle of at most %(count)d days.") % {"count": MAX_CYCLE_DAYS}
        return []
    known = set(Shift.objects.values_list("code", flat=True)) | {REST_CODE}
    unknown = sorted({code for code in cycle if code not in known})
    if unknown:
        errors["cycle"] = _("Unknown shift codes: %(codes)s.") % {"codes": ", ".join(unknown)}
    return cycle


def _cycle_overlap(cycle: list[str], anchor: date) -> str | None:
    """A message when one cycle day's shift runs into the next day's (a night ending at
    08:00 before an early shift at 06:00), checked over one whole turn."""
    book_shifts: dict[str, AnyShift] = {}
    for shift in Shift.objects.filter(code__in=set(cycle)):
        rules = _rules_or_none(shift)
        if rules is not None:
            book_shifts[shift.code] = rules
    shifts = _shift_map(book_shifts, cycle)
    roster = Roster("cycle", tuple(cycle), anchor)
    for position in range(len(cycle)):
        try:
            _check_no_double_booking(roster, anchor + timedelta(days=position), shifts,
                                     local_zone())
        except RosterConflict:
            return _("Day %(position)d of the cycle (%(code)s) overlaps the shift of the day "
                     "before or after.") % {"position": position + 1, "code": cycle[position]}
    return None


def do_save_group(actor: Any, group_id: int | None, data: dict[str, Any]) -> Group:
    """Create (``group_id`` None) or change an attendance group. ``data`` holds Group field
    names (``calendar``/``shift`` as ids, also as ``calendar_id``/``shift_id``) and
    ``site_ids``; missing keys keep the stored (or default) values. A fixed schedule needs a
    shift; a roster needs a cycle of known shift codes or ``rest`` and the date its first
    day falls on. At least one way of punching must be allowed.

    Emits ``attendance.rules.changed.v1`` (what ``group``) and, when what judges days
    changed, recomputes the members' open days. Raises PermissionDenied, NotFound or
    ValidationFailed (one message per field)."""
    _require(actor)
    group = Group.objects.filter(pk=group_id).first() if group_id is not None else Group()
    if group is None:
        raise NotFound(_("No such group."))
    errors: dict[str, str] = {}
    given = {GROUP_ALIASES.get(key, key): value for key, value in data.items()}
    for key in sorted(set(given) - set(GROUP_FIELDS) - {"site_ids"}):
        errors[key] = _("Unknown field.")
    values: dict[str, Any] = {key: getattr(group, key) for key in GROUP_FIELDS
                              if key not in ("calendar", "shift")}
    values["calendar"] = group.calendar_id
    values["shift"] = group.shift_id
    values.update({key: value for key, value in given.items() if key in GROUP_FIELDS})
    name = _text(values, "name", errors, max_length=100)
    if name and "name" not in errors \
            and Group.objects.filter(name=name).exclude(pk=group.pk).exists():
        errors["name"] = _("Another group is called %(name)s.") % {"name": name}
    calendar_id = _reference(values["calendar"])
    calendar = Calendar.objects.filter(pk=calendar_id).first() if calendar_id else None
    if calendar is None:
        errors["calendar"] = _("Choose a calendar.")
    schedule = values["schedule"]
    if schedule not in Group.Schedule.values:
        errors["schedule"] = _("A fixed shift or a rotating roster.")
    shift_id = _reference(values["shift"])
    shift = Shift.objects.filter(pk=shift_id).first() if shift_id else None
    if values["shift"] not in (None, "") and shift is None:
        errors["shift"] = _("No such shift.")
    elif schedule == Group.Schedule.FIXED and shift is None:
        errors["shift"] = _("A group on a fixed schedule needs a shift.")
    cycle = _cycle(values["cycle"], errors)
    anchor = None if values["cycle_anchor"] in (None, "") else _day(values["cycle_anchor"])
    if values["cycle_anchor"] not in (None, "") and anchor is None:
        errors["cycle_anchor"] = _("A date such as 2026-11-02.")
    if schedule == Group.Schedule.ROSTER:
        if not cycle and "cycle" not in errors:
            errors["cycle"] = _("A roster needs a cycle of shift codes, such as day, night, "
                                "rest.")
        elif "cycle" not in errors and all(code == REST_CODE for code in cycle):
            errors["cycle"] = _("The cycle needs at least one working shift.")
        if anchor is None and "cycle_anchor" not in errors:
            errors["cycle_anchor"] = _("Give the date on which the cycle's first day falls.")
    if cycle and anchor is not None and "cycle" not in errors:
        overlap = _cycle_overlap(cycle, anchor)
        if overlap:
            errors["cycle"] = overlap
    flags = {key: _flag(values[key], key, errors)
             for key in ("allow_geofence", "allow_network", "allow_device", "allow_unverified")}
    if not any(flags.values()) and not any(key in errors for key in flags):
        errors["allow_geofence"] = _("Allow at least one way of punching in.")
    choices = {"overtime_basis": Group.OvertimeBasis.values,
               "workday_overtime": Group.Settlement.values,
               "rest_day_overtime": Group.Settlement.values}
    for key, allowed in choices.items():
        if values[key] not in allowed:
            errors[key] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}
    minimum = _whole_number(values["minimum_overtime_minutes"], "minimum_overtime_minutes",
                            errors, low=0, high=MINUTES_A_DAY)
    make_up_limit = _whole_number(values["make_up_limit"], "make_up_limit", errors, low=0,
                                  high=31)
    site_ids: list[int] | None = None
    if "site_ids" in given:
        raw_sites = given["site_ids"]
        references = ([_reference(value) for value in raw_sites]
                      if isinstance(raw_sites, list | tuple) else [None])
        site_ids = [pk for pk in references if pk is not None]
        if len(site_ids) != len(references):
            errors["site_ids"] = _("A list of site ids.")
        else:
            known_sites = set(Site.objects.filter(pk__in=site_ids).values_list("pk", flat=True))
            unknown_sites = sorted(set(site_ids) - known_sites)
            if unknown_sites:
                errors["site_ids"] = _("No such sites: %(ids)s.") % {
                    "ids": ", ".join(str(pk) for pk in unknown_sites)}
    if errors or calendar is None:
        raise _fail(errors)
    judged_before = tuple(getattr(group, key) for key in JUDGED_GROUP_FIELDS)
    creating = group.pk is None
    group.name, group.calendar, group.schedule = name, calendar, schedule
    group.shift, group.cycle, group.cycle_anchor = shift, cycle, anchor
    for key, flag in flags.items():
        setattr(group, key, flag)
    group.overtime_basis = values["overtime_basis"]
    group.workday_overtime = values["workday_overtime"]
    group.rest_day_overtime = values["rest_day_overtime"]
    group.minimum_overtime_minutes = minimum or 0
    group.make_up_limit = make_up_limit or 0
    with transaction.atomic():
        group.save()
        if site_ids is not None:
            group.sites.set(site_ids)
        publish(events.RulesChanged(what="group", object_id=group.pk))
        if not creating and judged_before != tuple(getattr(group, key)
                                                   for key in JUDGED_GROUP_FIELDS):
            _recompute_open_period(
                Membership.objects.filter(group=group).values_list("person_id", flat=True),
                _("group %(name)s changed") % {"name": group.name})
    return group


def _group(group_id: int) -> Group:
    found = Group.objects.filter(pk=group_id).first()
    if found is None:
        raise NotFound(_("No such group."))
    return found


def do_set_members(actor: Any, group_id: int, person_ids: list[int], *,
                   offsets: dict[int, int] | None = None) -> int:
    """Make exactly ``person_ids`` the group's members; people in another group move here
    (joining today), members left out leave the group. ``offsets`` sets people's position
    in a roster cycle (a member keeps theirs otherwise, a newcomer starts at 0). Returns
    how many members the group has.

    Emits ``attendance.rules.changed.v1`` (what ``members``) and recomputes the open days of
    the people who joined, moved or changed position. Raises PermissionDenied, NotFound or
    ValidationFailed (``person_ids`` naming unknown or inactive people, ``offsets``)."""
    _require(actor)
    group = _group(group_id)
    errors: dict[str, str] = {}
    if not isinstance(person_ids, list | tuple) or any(
            isinstance(pk, bool) or not isinstance(pk, int) for pk in person_ids):
        raise _fail({"person_ids": _("A list of person ids.")})
    wanted = list(dict.fromkeys(person_ids))
    active = directory.active_people(wanted)
    if len(active) != len(wanted):
        names = directory.display_names([pk for pk in wanted if pk not in active])
        labels = [names.get(pk, f"#{pk}") for pk in wanted if pk not in active]
        errors["person_ids"] = _("Not found or no longer active: %(people)s.") % {
            "people": ", ".join(labels)}
    offsets = dict(offsets or {})
    cycle_length = len(group.cycle or []) if group.schedule == Group.Schedule.ROSTER else 0
    highest = cycle_length - 1 if cycle_length else MAX_CYCLE_DAYS
    strangers = sorted(pk for pk in offsets if pk not in wanted)
    if strangers:
        errors["offsets"] = _("Positions given for people not in the list: %(ids)s.") % {
            "ids": ", ".join(f"#{pk}" for pk in strangers)}
    elif any(isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest
             for value in offsets.values()):
        errors["offsets"] = _("Positions in the cycle are whole numbers from 0 to "
                              "%(highest)d.") % {"highest": highest}
    if errors:
        raise _fail(errors)
    today = _today()
    current = {row.person_id: row for row in Membership.objects.filter(person_id__in=wanted)}
    affected: list[int] = []
    with transaction.atomic():
        Membership.objects.filter(group=group).exclude(person_id__in=wanted).delete()
        for person_id in wanted:
            row = current.get(person_id)
            offset = offsets.get(person_id, row.roster_offset if row and row.group_id ==
                                 group.pk else 0)
            if row is None:
                Membership.objects.create(person_id=person_id, group=group,
                                          roster_offset=offset, joined_on=today)
                affected.append(person_id)
            elif row.group_id != group.pk or row.roster_offset != offset:
                if row.group_id != group.pk:
                    row.joined_on = today
                row.group, row.roster_offset = group, offset
                row.save(update_fields=["group", "roster_offset", "joined_on"])
                affected.append(person_id)
        publish(events.RulesChanged(what="members", object_id=group.pk))
        _recompute_open_period(affected, _("members of %(name)s changed")
                               % {"name": group.name})
    return len(wanted)


# --- Roster cells and swaps ------------------------------------------------------------------


def _neighbourhood(days: Iterable[date]) -> list[date]:
    return sorted({day + timedelta(days=step) for day in days for step in (-1, 0, 1)})


def _roster_of(book: Rulebook, person_id: int, days: Iterable[date]) -> Roster:
    """The person's schedule around ``days`` as a ``Roster``: every date of the window is
    an override, so fixed groups, cycles and cells read alike."""
    window = _neighbourhood(days)
    return Roster(str(person_id), (REST_CODE,), window[0],
                  {day: book.shift_code(person_id, day) for day in window})


def _overlaps(roster: Roster, day: date, shifts: Mapping[str, AnyShift]) -> bool:
    try:
        _check_no_double_booking(roster, day, shifts, local_zone())
    except RosterConflict:
        return True
    return False


def _codes_of(rosters: Iterable[Roster]) -> set[str]:
    return {code for roster in rosters for code in roster.overrides.values()}


def _write_cell(book: Rulebook, person_id: int, day: date, code: str, note: str,
                actor: Any) -> bool:
    """Store ``code`` as the person's cell, or drop the cell when the schedule gives that
    code anyway. Returns whether a row was written or removed."""
    book.cells.pop((person_id, day), None)
    if code == book.shift_code(person_id, day):
        removed, _kinds_removed = RosterCell.objects.filter(person_id=person_id,
                                                            date=day).delete()
        return bool(removed)
    book.cells[(person_id, day)] = code
    RosterCell.objects.update_or_create(
        person_id=person_id, date=day,
        defaults={"shift_code": code, "note": note[:200], "changed_by_id": actor.pk})
    return True


def do_set_roster_cells(actor: Any, group_id: int, cells: list[tuple[int, date, str]], *,
                        note: str = "") -> int:
    """Set cells of the group's roster grid: ``(person_id, date, shift code or "rest")``.
    A code the schedule already gives that day removes the cell. Every person must be a
    member, every month open, and afterwards nobody may work shifts that overlap a
    neighbouring day's. Returns how many cells were written or removed.

    Emits ``attendance.rules.changed.v1`` (what ``roster``) and recomputes the past dates
    whose shift changed. Raises PermissionDenied, NotFound, Conflict (``closed`` month) or
    ValidationFailed with one message per bad cell (key ``person 12, 2026-11-05``) or
    ``note``."""
    _require(actor)
    group = _group(group_id)
    errors: dict[str, str] = {}
    clean_note = _text({"note": note}, "note", errors, max_length=200, required=False)
    if not cells or not all(
            isinstance(cell, list | tuple) and len(cell) == 3 and isinstance(cell[1], date)
            and isinstance(cell[0], int) and not isinstance(cell[0], bool)
            and isinstance(cell[2], str) for cell in cells):
        raise _fail({"cells": _("Give the cells to change, each a person id, a date and a "
                                "shift code.")})
    people = sorted({person_id for person_id, _day, _code in cells})
    names = directory.display_names(people)
    members = set(Membership.objects.filter(group=group, person_id__in=people)
                  .values_list("person_id", flat=True))
    known = set(Shift.objects.values_list("code", flat=True)) | {REST_CODE}
    wanted: dict[tuple[int, date], str] = {}
    for person_id, day, code in cells:
        key = f"person {person_id}, {day.isoformat()}"
        label = names.get(person_id, f"#{person_id}")
        clean_code = code.strip()
        if (person_id, day) in wanted:
            errors[key] = _("%(person)s on %(day)s is listed twice.") % {
                "person": label, "day": day.isoformat()}
        elif person_id not in members:
            errors[key] = _("%(person)s is not a member of %(group)s.") % {
                "person": label, "group": group.name}
        elif clean_code not in known:
            errors[key] = _("%(code)s is not a shift code.") % {"code": clean_code or '""'}
        wanted[(person_id, day)] = clean_code
    if errors:
        raise _fail(errors)
    for first_day in sorted({month_start(day) for _person, day in wanted}):
        services.require_open_month(first_day)
    days = [day for _person, day in wanted]
    book = load_rulebook(people, min(days), max(days))
    before = {key: book.shift_code(*key) for key in wanted}
    stored = {key: book.cells.get(key) for key in wanted}
    for (person_id, day), code in wanted.items():
        book.cells.pop((person_id, day), None)
        if code != book.shift_code(person_id, day):
            book.cells[(person_id, day)] = code
    for person_id, day in sorted(wanted, key=lambda key: (key[1], key[0])):
        roster = _roster_of(book, person_id, [day])
        if _overlaps(roster, day, _shift_map(book.shifts, _codes_of([roster]))):
            errors[f"person {person_id}, {day.isoformat()}"] = _(
                "%(person)s would work overlapping shifts: %(code)s on %(day)s runs into the "
                "shift of the day before or after.") % {
                "person": names.get(person_id, f"#{person_id}"), "code": wanted[(person_id,
                                                                                  day)],
                "day": day.isoformat()}
    if errors:
        raise _fail(errors)
    written = 0
    with transaction.atomic():
        for cell, code in wanted.items():
            new = book.cells.get(cell)
            if new is None and stored[cell] is not None:
                RosterCell.objects.filter(person_id=cell[0], date=cell[1]).delete()
                written += 1
            elif new is not None and new != stored[cell]:
                RosterCell.objects.update_or_create(
                    person_id=cell[0], date=cell[1],
                    defaults={"shift_code": code, "note": clean_note,
                              "changed_by_id": actor.pk})
                written += 1
        publish(events.RulesChanged(what="roster", object_id=group.pk))
        changed = [key for key in wanted if book.shift_code(*key) != before[key]]
        _recompute_dates([person_id for person_id, _day in changed],
                         [day for _person, day in changed],
                         _("roster of %(name)s changed") % {"name": group.name})
    return written


_SWAP_MESSAGES = {
    "same_owner": ("person_b", lambda values: _("Choose two different people.")),
    "swap_back_on_same_day": ("swap_back_day", lambda values: _(
        "The swap-back day must be another day.")),
    "same_shift": (None, lambda values: _(
        "Both have %(code)s on %(day)s; there is nothing to swap.") % values),
    "unknown_shift_code": (None, lambda values: _(
        "%(day)s has a shift code that no longer exists.") % values),
}


def do_swap_shifts(actor: Any, person_a: int, person_b: int, day: date, *,
                   swap_back_day: date | None = None) -> None:
    """Exchange two people's shifts on ``day`` (and back on ``swap_back_day``), checked by
    ``rules.shifts.swap``: different people with different shifts, and nobody working
    overlapping shifts afterwards. The changed cells carry a note naming the swap.

    Emits ``attendance.rules.changed.v1`` (what ``roster``, ``object_id`` person A's group)
    and recomputes the past swapped dates. Raises PermissionDenied, Conflict (``closed``
    month) or ValidationFailed (``person_a``, ``person_b``, ``day``, ``swap_back_day``)."""
    _require(actor)
    names = directory.display_names([person_a, person_b])
    if person_a == person_b:
        raise _fail({"person_b": _("Choose two different people.")})
    groups = dict(Membership.objects.filter(person_id__in=[person_a, person_b])
                  .values_list("person_id", "group_id"))
    errors: dict[str, str] = {}
    for field, person_id in (("person_a", person_a), ("person_b", person_b)):
        if person_id not in groups:
            errors[field] = _("%(person)s is not in an attendance group.") % {
                "person": names.get(person_id, f"#{person_id}")}
    if errors:
        raise _fail(errors)
    days = [day] if swap_back_day is None else [day, swap_back_day]
    for swapped_day in days:
        services.require_open_month(swapped_day)
    book = load_rulebook([person_a, person_b], min(days), max(days))
    roster_a, roster_b = (_roster_of(book, person_a, days), _roster_of(book, person_b, days))
    shifts = _shift_map(book.shifts, _codes_of([roster_a, roster_b]))
    try:
        new_a, new_b = swap(roster_a, roster_b, day, shifts=shifts,
                            swap_back_day=swap_back_day, time_zone=local_zone())
    except RosterConflict as conflict:
        raise _swap_problem(conflict, roster_a, roster_b, day, days, shifts, names,
                            (person_a, person_b)) from None
    note_values = {"day": day.isoformat(),
                   "back": swap_back_day.isoformat() if swap_back_day else ""}
    with transaction.atomic():
        for person_id, other, roster in ((person_a, person_b, new_a),
                                         (person_b, person_a, new_b)):
            values = {**note_values, "person": names.get(other, f"#{other}")}
            note = (_("Swapped with %(person)s on %(day)s and back on %(back)s") % values
                    if swap_back_day else _("Swapped with %(person)s on %(day)s") % values)
            for swapped_day in days:
                _write_cell(book, person_id, swapped_day, roster.shift_code(swapped_day),
                            note, actor)
        publish(events.RulesChanged(what="roster", object_id=groups[person_a]))
        _recompute_dates([person_a, person_b], days,
                         _("shift swap of %(a)s and %(b)s") % {
                             "a": names.get(person_a, f"#{person_a}"),
                             "b": names.get(person_b, f"#{person_b}")})


def _swap_problem(conflict: RosterConflict, roster_a: Roster, roster_b: Roster, day: date,
                  days: list[date], shifts: Mapping[str, AnyShift], names: Mapping[int, str],
                  people: tuple[int, int]) -> ValidationFailed:
    """The refused swap as a field message naming the day, and the person for overlaps."""
    problem_day = conflict.day or day
    field = "day" if problem_day == day else "swap_back_day"
    if conflict.code == "overlapping_shifts":
        new_a = roster_a.with_overrides({d: roster_b.shift_code(d) for d in days})
        new_b = roster_b.with_overrides({d: roster_a.shift_code(d) for d in days})
        for person_id, roster in zip(people, (new_a, new_b), strict=True):
            for swapped_day in days:
                if _overlaps(roster, swapped_day, shifts):
                    return _fail({"day" if swapped_day == day else "swap_back_day": _(
                        "After the swap %(person)s would work %(code)s on %(day)s, "
                        "overlapping the shift of the day before or after.") % {
                        "person": names.get(person_id, f"#{person_id}"),
                        "code": roster.shift_code(swapped_day),
                        "day": swapped_day.isoformat()}})
    known_field, message = _SWAP_MESSAGES.get(
        conflict.code, (None, lambda values: _("This swap is not possible on %(day)s.")
                        % values))
    values = {"day": problem_day.isoformat(), "code": roster_a.shift_code(problem_day)}
    return _fail({known_field or field: message(values)})


# --- Sites -----------------------------------------------------------------------------------

SITE_FIELDS = ("name", "latitude", "longitude", "radius_m", "networks", "is_active")


def _coordinate(value: Any, key: str, low: int, high: int, errors: dict[str, str]
                ) -> Decimal | None:
    try:
        number = Decimal(str(value).strip()) if value not in (None, "") else None
    except InvalidOperation:
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() \
            or not low <= number <= high:
        errors[key] = _("A number from %(low)d to %(high)d.") % {"low": low, "high": high}
        return None
    return number.quantize(Decimal("0.000001"))


def _networks(value: Any, errors: dict[str, str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,;]+", value) if part]
    if not isinstance(value, list | tuple):
        errors["networks"] = _("A list of network ranges such as 10.20.0.0/16.")
        return []
    found: list[str] = []
    for entry in value:
        try:
            network = str(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            errors["networks"] = _("%(entry)s is not a network range; write it like "
                                   "10.20.0.0/16.") % {"entry": str(entry)[:60]}
            return []
        if network not in found:
            found.append(network)
    return found


def do_save_site(actor: Any, site_id: int | None, data: dict[str, Any]) -> Site:
    """Create (``site_id`` None) or change a punch site: a circle (latitude -90..90,
    longitude -180..180, radius 10..5000 m) and network ranges (CIDR, stored normalised,
    e.g. ``10.20.1.7/16`` as ``10.20.0.0/16``). Missing keys keep the stored (or default)
    values.

    Emits ``attendance.rules.changed.v1`` (what ``site``); judged days do not change (a
    punch is verified when it is made). Raises PermissionDenied, NotFound or
    ValidationFailed (one message per field)."""
    _require(actor)
    site = Site.objects.filter(pk=site_id).first() if site_id is not None else Site()
    if site is None:
        raise NotFound(_("No such site."))
    errors: dict[str, str] = {}
    for key in sorted(set(data) - set(SITE_FIELDS)):
        errors[key] = _("Unknown field.")
    values = {key: getattr(site, key) for key in SITE_FIELDS}
    values.update({key: value for key, value in data.items() if key in SITE_FIELDS})
    name = _text(values, "name", errors, max_length=100)
    if name and "name" not in errors \
            and Site.objects.filter(name=name).exclude(pk=site.pk).exists():
        errors["name"] = _("Another site is called %(name)s.") % {"name": name}
    latitude = _coordinate(values["latitude"], "latitude", -90, 90, errors)
    longitude = _coordinate(values["longitude"], "longitude", -180, 180, errors)
    radius = _whole_number(values["radius_m"], "radius_m", errors, low=SITE_RADIUS_M[0],
                           high=SITE_RADIUS_M[1])
    networks = _networks(values["networks"], errors)
    active = _flag(values["is_active"], "is_active", errors)
    if errors or latitude is None or longitude is None or radius is None:
        raise _fail(errors)
    site.name, site.latitude, site.longitude = name, latitude, longitude
    site.radius_m, site.networks, site.is_active = radius, networks, active
    with transaction.atomic():
        site.save()
        publish(events.RulesChanged(what="site", object_id=site.pk))
    return site
