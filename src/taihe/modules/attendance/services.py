"""The write path of attendance: punches and their verification, time-clock imports, the
leave, trip, overtime and make-up punch requests mirrored from approvals, balances, and the
month close. HR's rule editing lives in ``configuration``.

Every change that alters a judged day recomputes it (``computing.recompute``) in the same
transaction, so the daily result never lags the facts behind it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import math
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.text import decode_spreadsheet_text
from taihe.modules.attendance import events
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance.computing import (
    HALF,
    ONE,
    local_zone,
    month_end,
    month_start,
    next_month,
    recompute,
)
from taihe.modules.attendance.models import (
    Absence,
    Device,
    Employment,
    Group,
    LeaveType,
    LedgerEntry,
    Membership,
    Month,
    MonthSummary,
    Overtime,
    Punch,
    PunchCorrection,
    PunchImport,
    Site,
)
from taihe.modules.attendance.rulebook import Rulebook, load_rulebook, national_calendar
from taihe.modules.attendance.rules import leave as leave_rules
from taihe.modules.attendance.rules.calendar import dates_between
from taihe.modules.attendance.rules.shifts import FixedShift, FlexibleShift
from taihe.modules.attendance.summary import Tally, day_values
from taihe.modules.directory import api as directory
from taihe.modules.workflows import api as workflows

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), for the haversine distance of a punch to a site."""

MAX_ACCURACY_M = 500
"""A position fix vaguer than this cannot prove presence inside a site's circle."""

DEFAULT_DAY_HOURS = Decimal(8)
"""Hours of a leave day for hour-kept leave when the person's shift has no fixed length."""


# --- Punching -----------------------------------------------------------------------------


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def hash_device_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    method: str
    site: Site | None = None
    distance: int | None = None
    device: Device | None = None


def _in_networks(ip: str | None, networks: list[str]) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def verify_punch(group: Group, person_id: int, *, latitude: float | None,
                 longitude: float | None, accuracy: float | None, ip: str | None,
                 device_key: str | None) -> Verification:
    """How a web punch is proven, trying the group's allowed methods in turn: inside a
    site's circle (the fix's accuracy counted against the person), from a site's network,
    from a registered device. Raises ValidationFailed saying what failed when none holds
    and the group does not accept unverified punches."""
    # A group bound to sites punches only at them (even when all of them are closed); a
    # group with no sites of its own may punch at any site in use.
    own = list(group.sites.all())
    sites = [site for site in own if site.is_active] if own else \
        list(Site.objects.filter(is_active=True))
    nearest: tuple[float, Site] | None = None
    if group.allow_geofence and latitude is not None and longitude is not None:
        for site in sites:
            distance = distance_m(latitude, longitude, float(site.latitude),
                                  float(site.longitude))
            if nearest is None or distance < nearest[0]:
                nearest = (distance, site)
        if nearest is not None and (accuracy or 0) <= MAX_ACCURACY_M \
                and nearest[0] + (accuracy or 0) <= nearest[1].radius_m:
            return Verification(Punch.Verification.GEOFENCE, nearest[1], round(nearest[0]))
    if group.allow_network:
        for site in sites:
            if _in_networks(ip, site.networks):
                return Verification(Punch.Verification.NETWORK, site)
    if group.allow_device and device_key:
        device = Device.objects.filter(person_id=person_id, key_hash=hash_device_key(device_key),
                                       revoked_at__isnull=True).first()
        if device is not None:
            return Verification(Punch.Verification.DEVICE, device=device)
    if group.allow_unverified:
        return Verification(Punch.Verification.UNVERIFIED,
                            distance=round(nearest[0]) if nearest else None)
    if nearest is not None:
        # The centre of a vague fix inside the circle is no proof either: ask for a better
        # fix rather than claim the person is outside.
        if (accuracy or 0) > MAX_ACCURACY_M or nearest[0] <= nearest[1].radius_m:
            message = _("Your position is only known to within %(accuracy)d m; step outside "
                        "or turn on precise location and try again.") % {
                "accuracy": round(accuracy or 0)}
        else:
            message = _("You are %(distance)d m from %(site)s; punches count within "
                        "%(radius)d m.") % {"distance": round(nearest[0]),
                                           "site": nearest[1].name,
                                           "radius": nearest[1].radius_m}
        raise ValidationFailed(message, code="outside_site", fields={"location": message})
    message = _("This punch cannot be verified: allow location access, connect to the "
                "museum network or use a registered device.")
    raise ValidationFailed(message, code="unverified", fields={"location": message})


def _membership(person_id: int) -> Membership:
    found = Membership.objects.select_related("group").filter(person_id=person_id).first()
    if found is None:
        raise Conflict(_("You are not in an attendance group yet; HR adds people to groups."),
                       code="no_group")
    return found


def do_punch(actor: Any, *, latitude: float | None = None, longitude: float | None = None,
             accuracy: float | None = None, ip: str | None = None,
             device_key: str | None = None) -> Punch:
    """Clock in or out now, verified by the group's rules. Emits
    ``attendance.punch.recorded.v1``; raises PermissionDenied, Conflict (no group) or
    ValidationFailed (cannot be verified, with ``fields["location"]``)."""
    authz.require(actor, ops.PUNCH.code)
    for name, value, low, high in (("latitude", latitude, -90, 90),
                                   ("longitude", longitude, -180, 180),
                                   ("accuracy", accuracy, 0, 100_000)):
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise ValidationFailed(fields={name: _("Out of range.")})
    if (latitude is None) != (longitude is None):
        raise ValidationFailed(fields={"location": _("Send both latitude and longitude.")})
    membership = _membership(actor.pk)
    proof = verify_punch(membership.group, actor.pk, latitude=latitude, longitude=longitude,
                         accuracy=accuracy, ip=ip, device_key=device_key)
    now = timezone.now()
    with transaction.atomic():
        punch = Punch.objects.create(
            person_id=actor.pk, at=now, source=Punch.Source.WEB,
            verification=proof.method, site=proof.site,
            latitude=_coordinate(latitude), longitude=_coordinate(longitude),
            accuracy_m=round(accuracy) if accuracy is not None else None,
            distance_m=proof.distance, ip_address=ip or None, device=proof.device,
            recorded_at=now)
        if proof.device is not None:
            Device.objects.filter(pk=proof.device.pk).update(last_used_at=now)
        today = timezone.localdate(now, local_zone())
        recompute([actor.pk], today - timedelta(days=1), today, cause=_("punch"))
        publish(events.PunchRecorded(punch_id=punch.pk, person_id=actor.pk,
                                     source=punch.source, verification=punch.verification))
    return punch


def _coordinate(value: float | None) -> Decimal | None:
    return Decimal(str(round(value, 6))) if value is not None else None


def do_register_device(actor: Any, name: str, *, ip: str | None = None) -> tuple[Device, str]:
    """Register the caller's phone or browser; returns the device and its key, shown once
    and kept by the browser. Only from the museum's network (a site's ranges): a device
    registered anywhere would verify punches made from anywhere. Raises ValidationFailed
    on an empty name or from outside the museum's network."""
    authz.require(actor, ops.PUNCH.code)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(fields={"name": _("Give the device a name of up to 100 "
                                                 "characters.")})
    networks = [network for site in Site.objects.filter(is_active=True)
                for network in site.networks]
    if not _in_networks(ip, networks):
        message = _("Register this device while connected to the museum's network (its "
                    "Wi-Fi or a wired socket at work), so that it is known to be yours at "
                    "work.")
        raise ValidationFailed(message, code="outside_network", fields={"name": message})
    key = secrets.token_urlsafe(32)
    device = Device.objects.create(person_id=actor.pk, name=name, key_hash=hash_device_key(key),
                                   registered_at=timezone.now())
    return device, key


def do_revoke_device(actor: Any, device_id: int) -> None:
    """Stop a device from verifying punches (its owner or HR). Raises NotFound."""
    device = Device.objects.filter(pk=device_id, revoked_at__isnull=True).first()
    if device is None or (device.person_id != actor.pk
                          and not authz.can(actor, ops.MANAGE.code)):
        raise NotFound(_("No such device."))
    Device.objects.filter(pk=device.pk).update(revoked_at=timezone.now())


# --- Time-clock import --------------------------------------------------------------------

IMPORT_COLUMNS = ("person", "time")
"""Required CSV columns; ``terminal`` is optional. ``person`` is the user name."""


@dataclass(frozen=True)
class ImportOutcome:
    batch: PunchImport
    added: int
    duplicates: int


def _parse_local(text: str, zone: Any) -> datetime | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
                    "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"):
        try:
            # The time clock writes wall time of the museum's zone.
            parsed = datetime.strptime(text, pattern)  # noqa: DTZ007
        except ValueError:
            continue
        return parsed.replace(tzinfo=zone)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _error_order(key: str) -> tuple[int, str]:
    """Row errors in file order (``row 10`` after ``row 9``), file-wide ones first."""
    number = key.removeprefix("row ").split(",")[0]
    return (int(number) if number.isdigit() else 0, key)


def do_import_punches(actor: Any, file_name: str, content: bytes, *,
                      source_system: str = "") -> ImportOutcome:
    """Import a door-access or time-clock CSV (``person,time[,terminal]``, local time unless
    the time carries an offset). All or nothing: any bad row raises ValidationFailed whose
    fields name every bad row and column (``row 7, time``); punches already stored are
    skipped as duplicates. Emits ``attendance.punches.imported.v1``."""
    authz.require(actor, ops.MANAGE.code)
    try:
        text = decode_spreadsheet_text(content)
    except UnicodeDecodeError:
        raise ValidationFailed(_("The file is not UTF-8 or GB18030 text."),
                               fields={"file": _("Save the file as UTF-8 CSV.")}) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in IMPORT_COLUMNS if name not in header]
    if missing:
        raise ValidationFailed(_("The file needs the columns person and time."),
                               fields={"file": _("Missing columns: %(columns)s")
                                       % {"columns": ", ".join(missing)}})
    reader.fieldnames = header
    zone = local_zone()
    parsed: list[tuple[int, str, datetime, str]] = []
    errors: dict[str, str] = {}
    usernames: set[str] = set()
    rows = list(reader)
    named: list[tuple[int, str]] = []
    for number, row in enumerate(rows, start=2):
        username = (row.get("person") or "").strip()
        at = _parse_local(row.get("time") or "", zone)
        if not username:
            errors[f"row {number}, person"] = _("Empty.")
        else:
            usernames.add(username)
            named.append((number, username))
        if at is None:
            errors[f"row {number}, time"] = _("Not a date and time such as 2026-11-02 "
                                              "08:57.")
        elif at > timezone.now() + timedelta(minutes=5):
            errors[f"row {number}, time"] = _("In the future.")
        if username and at is not None:
            parsed.append((number, username, at, (row.get("terminal") or "").strip()[:100]))
    known = directory.person_ids_by_username(sorted(usernames))
    # Every row's user name is checked, also on rows whose time is wrong too.
    for number, username in named:
        if username not in known:
            errors[f"row {number}, person"] = _("No person with the user name %(name)s.") % {
                "name": username}
    errors = dict(sorted(errors.items(), key=lambda item: _error_order(item[0])))
    if not rows:
        errors["file"] = _("The file has no rows.")
    if errors:
        raise ValidationFailed(_("Nothing was imported: %(count)d problems.")
                               % {"count": len(errors)}, fields=dict(list(errors.items())[:200]))
    now = timezone.now()
    with transaction.atomic():
        batch = PunchImport.objects.create(file_name=file_name[:200],
                                           source_system=source_system[:100],
                                           imported_by_id=actor.pk, imported_at=now,
                                           rows=len(rows))
        people = {known[username] for _n, username, _a, _t in parsed}
        times = [at for _n, _u, at, _t in parsed]
        existing = set(Punch.objects.filter(person_id__in=people, at__gte=min(times),
                                            at__lte=max(times))
                       .values_list("person_id", "at"))
        fresh: list[Punch] = []
        for _number, username, at, terminal in parsed:
            key = (known[username], at)
            if key in existing:
                continue
            existing.add(key)
            fresh.append(Punch(person_id=known[username], at=at, source=Punch.Source.IMPORT,
                               verification=Punch.Verification.TIME_CLOCK, batch=batch,
                               terminal=terminal, recorded_at=now))
        Punch.objects.bulk_create(fresh, batch_size=2000)
        duplicates = len(parsed) - len(fresh)
        PunchImport.objects.filter(pk=batch.pk).update(added=len(fresh), duplicates=duplicates)
        batch.added, batch.duplicates = len(fresh), duplicates
        if fresh:
            local_days = [timezone.localdate(at, zone) for at in times]
            recompute(sorted(people), min(local_days) - timedelta(days=1), max(local_days),
                      cause=_("time clock import %(file)s") % {"file": file_name[:80]})
        publish(events.PunchesImported(import_id=batch.pk, added=len(fresh),
                                       duplicates=duplicates))
    return ImportOutcome(batch, len(fresh), duplicates)


# --- Leave, trips, overtime and make-up punches through approvals -------------------------

LEAVE_SUBJECT = "attendance.leave"
TRIP_SUBJECT = "attendance.business_trip"
OVERTIME_SUBJECT = "attendance.overtime"
CORRECTION_SUBJECT = "attendance.punch_correction"
SUBJECTS = (LEAVE_SUBJECT, TRIP_SUBJECT, OVERTIME_SUBJECT, CORRECTION_SUBJECT)


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _clock(value: Any) -> time | None:
    try:
        parsed = time.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return parsed.replace(second=0, microsecond=0)


def day_hours(book: Rulebook, person_id: int, day: date) -> Decimal:
    """Scheduled hours of ``day`` for hour-kept leave (comp time)."""
    shift = book.shift(person_id, day)
    if isinstance(shift, FixedShift):
        return Decimal(shift.planned_minutes) / 60
    if isinstance(shift, FlexibleShift):
        return Decimal(shift.target_minutes) / 60
    return DEFAULT_DAY_HOURS


def leave_amount(person_id: int, leave_type: LeaveType, start: date, end: date,
                 start_half: str, end_half: str) -> Decimal:
    """What a leave costs in the type's unit: days (working days, or calendar days for
    maternity leave) or hours (each working day's scheduled hours, half of it for a half
    day). Rest days and holidays of the person's calendar cost nothing."""
    book = load_rulebook([person_id], start, end)
    group = book.group_of(person_id)
    # Someone outside every attendance group (a volunteer, a contractor) still takes leave:
    # it is counted on a Monday-to-Friday week with the national holidays.
    calendar = book.calendar_of(group) if group is not None else \
        national_calendar(start, end)
    counting = (leave_rules.DayCounting.CALENDAR_DAYS if leave_type.calendar_days
                else leave_rules.DayCounting.WORKING_DAYS)
    halves = {"start_half": start_half or None, "end_half": end_half or None}
    if leave_type.unit == LeaveType.Unit.DAY:
        if counting is leave_rules.DayCounting.WORKING_DAYS and group is not None:
            # A day costs leave when the person is scheduled to work it: their roster or
            # roster-grid cell decides, as it does for the day's judgement (computing.judge).
            total = Decimal(0)
            for day in dates_between(start, end):
                if book.works_on(person_id, day):
                    total += HALF if (day == start and start_half == "pm") or \
                        (day == end and end_half == "am") else ONE
            return total
        return leave_rules.leave_duration(start, end, calendar, counting=counting,
                                          **halves)  # type: ignore[arg-type]
    hours = Decimal(0)
    for day in dates_between(start, end):
        working = (book.works_on(person_id, day) if group is not None
                   else calendar.is_working_day(day))
        if not working:
            continue
        full = day_hours(book, person_id, day)
        half = (day == start and start_half == "pm") or (day == end and end_half == "am")
        hours += full / 2 if half else full
    return hours.quantize(Decimal("0.01"))


def balance(person_id: int, leave_type: LeaveType, on: date | None = None) -> Decimal:
    """The balance at the end of ``on`` (today when None)."""
    on = on or timezone.localdate(timezone.now(), local_zone())
    total = sum((amount for amount in LedgerEntry.objects.filter(
        person_id=person_id, leave_type=leave_type, on__lte=on).values_list("amount", flat=True)),
        Decimal(0))
    return Decimal(total)


def pending_amount(person_id: int, leave_type: LeaveType, *, excluding: int | None = None
                   ) -> Decimal:
    rows = Absence.objects.filter(person_id=person_id, leave_type=leave_type,
                                  status=Absence.Status.PENDING)
    if excluding is not None:
        rows = rows.exclude(request_id=excluding)
    return sum((row.amount for row in rows), Decimal(0))


def _unit_label(leave_type: LeaveType) -> str:
    return _("hours") if leave_type.unit == LeaveType.Unit.HOUR else _("days")


def check_leave(actor: Any, values: dict[str, Any], request_id: int | None) -> dict[str, str]:
    """The attendance rules a leave request must meet, as field messages: a known type,
    the person in a group, at least one working day, no overlap with other leave or trips,
    and enough balance for balance-kept types after what is already waiting."""
    leave_type = LeaveType.objects.filter(code=values.get("leave_type")).first()
    if leave_type is None:
        return {"leave_type": _("Choose a leave type.")}
    period = values.get("period") or {}
    start, end = _iso_date(period.get("start")), _iso_date(period.get("end"))
    if start is None or end is None:
        return {"period": _("Enter a start and an end date.")}
    amount = leave_amount(actor.pk, leave_type, start, end, period.get("start_half", ""),
                          period.get("end_half", ""))
    if amount <= 0:
        return {"period": _("These dates hold no working day of yours.")}
    return _overlap_problem(actor.pk, start, end, request_id) or \
        _balance_problem(actor.pk, leave_type, amount, request_id)


def _overlap_problem(person_id: int, start: date, end: date,
                     request_id: int | None) -> dict[str, str]:
    clash = (Absence.objects.filter(person_id=person_id, start__lte=end, end__gte=start,
                                    status__in=(Absence.Status.PENDING,
                                                Absence.Status.APPROVED))
             .exclude(request_id=request_id or 0).first())
    if clash is None:
        return {}
    return {"period": _("You already have leave or a trip from %(start)s to %(end)s "
                        "(request %(number)s).") % {"start": clash.start, "end": clash.end,
                                                    "number": clash.request_number}}


def _balance_problem(person_id: int, leave_type: LeaveType, amount: Decimal,
                     request_id: int | None) -> dict[str, str]:
    if not leave_type.has_balance:
        return {}
    left = balance(person_id, leave_type)
    waiting = pending_amount(person_id, leave_type, excluding=request_id)
    if amount <= left - waiting:
        return {}
    return {"period": _("This leave takes %(amount)s %(unit)s but only %(left)s are left "
                        "(%(waiting)s more are waiting for approval).")
            % {"amount": amount.normalize(), "unit": _unit_label(leave_type),
               "left": left.normalize(), "waiting": waiting.normalize()}}


def check_trip(actor: Any, values: dict[str, Any], request_id: int | None) -> dict[str, str]:
    period = values.get("period") or {}
    start, end = _iso_date(period.get("start")), _iso_date(period.get("end"))
    if start is None or end is None:
        return {"period": _("Enter a start and an end date.")}
    return _overlap_problem(actor.pk, start, end, request_id)


def overtime_window(values: dict[str, Any]) -> tuple[date, datetime, datetime] | None:
    """The overtime request's date and local start and end (an end at or before the start
    is the next morning)."""
    day = _iso_date(values.get("date"))
    start, end = _clock(values.get("start_time")), _clock(values.get("end_time"))
    if day is None or start is None or end is None:
        return None
    zone = local_zone()
    begins = datetime.combine(day, start, tzinfo=zone)
    ends = datetime.combine(day + timedelta(days=1 if end <= start else 0), end, tzinfo=zone)
    return day, begins, ends


def check_overtime(actor: Any, values: dict[str, Any], request_id: int | None
                   ) -> dict[str, str]:
    """Times as HH:MM, the hours no longer than the span between them, and no overlap with
    another overtime request of the person."""
    if _clock(values.get("start_time")) is None:
        return {"start_time": _("Write the time as HH:MM, for example 18:00.")}
    if _clock(values.get("end_time")) is None:
        return {"end_time": _("Write the time as HH:MM, for example 21:30.")}
    window = overtime_window(values)
    if window is None:  # the form's date field was edited away in the designer
        return {"date": _("Enter a date.")}
    _day, begins, ends = window
    try:
        hours = Decimal(str(values.get("hours")))
    except InvalidOperation:
        return {"hours": _("Enter the hours.")}
    span = Decimal((ends - begins).total_seconds()) / 3600
    if hours > span:
        return {"hours": _("%(hours)s hours do not fit between %(start)s and %(end)s.")
                % {"hours": hours.normalize(), "start": values.get("start_time"),
                   "end": values.get("end_time")}}
    clash = (Overtime.objects.filter(person_id=actor.pk, start__lt=ends, end__gt=begins,
                                     status__in=(Overtime.Status.PENDING,
                                                 Overtime.Status.APPROVED))
             .exclude(request_id=request_id or 0).first())
    if clash is not None:
        return {"start_time": _("This overlaps your overtime request %(number)s.")
                % {"number": clash.request_number}}
    return {}


def check_correction(actor: Any, values: dict[str, Any], request_id: int | None
                     ) -> dict[str, str]:
    """A make-up punch: a past date and time, and within the group's monthly limit."""
    day = _iso_date(values.get("date"))
    at = _clock(values.get("time"))
    if day is None:
        return {"date": _("Enter a date.")}
    if at is None:
        return {"time": _("Write the time as HH:MM, for example 08:30.")}
    zone = local_zone()
    if datetime.combine(day, at, tzinfo=zone) > timezone.now():
        return {"time": _("A make-up punch cannot be in the future.")}
    membership = Membership.objects.select_related("group").filter(person_id=actor.pk).first()
    if membership is None:
        return {}  # outside attendance groups there is no monthly limit to keep
    first = month_start(day)
    used = (PunchCorrection.objects.filter(person_id=actor.pk, work_date__gte=first,
                                           work_date__lt=next_month(first),
                                           status__in=(Absence.Status.PENDING,
                                                       Absence.Status.APPROVED))
            .exclude(request_id=request_id or 0).count())
    limit = membership.group.make_up_limit
    if used >= limit:
        return {"date": _("You have used all %(limit)d make-up punches of %(month)s.")
                % {"limit": limit, "month": first.strftime("%Y-%m")}}
    return {}


def register_subjects() -> None:
    """Declare the attendance subjects, with their checks, to the approvals module."""
    from django.utils.translation import gettext_lazy

    workflows.register_subject(LEAVE_SUBJECT, gettext_lazy("Leave"), process_code="leave",
                               check=check_leave)
    workflows.register_subject(TRIP_SUBJECT, gettext_lazy("Business trip"),
                               process_code="business_trip", check=check_trip)
    workflows.register_subject(OVERTIME_SUBJECT, gettext_lazy("Overtime"),
                               process_code="overtime", check=check_overtime)
    workflows.register_subject(CORRECTION_SUBJECT, gettext_lazy("Make-up punch"),
                               process_code="punch_correction", check=check_correction)


STATUS_OF_OUTCOME = {"submitted": Absence.Status.PENDING, "returned": Absence.Status.PENDING,
                     "approved": Absence.Status.APPROVED, "rejected": Absence.Status.REJECTED,
                     "withdrawn": Absence.Status.WITHDRAWN,
                     "cancelled": Absence.Status.CANCELLED}
STATUS_OF_REQUEST = {"running": Absence.Status.PENDING, "returned": Absence.Status.PENDING,
                     "approved": Absence.Status.APPROVED, "rejected": Absence.Status.REJECTED,
                     "withdrawn": Absence.Status.WITHDRAWN,
                     "cancelled": Absence.Status.CANCELLED}
"""The mirror follows the request's status now, not the event's name: events are delivered
by separate jobs with retries, so a late "submitted" must not turn approved leave back into
a pending one, nor a "cancelled" arriving first leave the deduction behind."""


def do_follow_request(approval_id: int, outcome: str) -> None:
    """Mirror an attendance approval's new state (idempotent: events arrive at least once).

    Approved leave of a balance-kept type is deducted (once per request), cancelled leave
    given back; approved make-up punches add a punch; every change recomputes the days it
    touches. Requests of other subjects are ignored."""
    info = workflows.request(approval_id)
    if info is None or info.subject_code not in SUBJECTS or outcome not in STATUS_OF_OUTCOME:
        return
    status = STATUS_OF_REQUEST.get(info.status, STATUS_OF_OUTCOME[outcome])
    with transaction.atomic():
        if info.subject_code in (LEAVE_SUBJECT, TRIP_SUBJECT):
            span = _follow_absence(info, status)
        elif info.subject_code == OVERTIME_SUBJECT:
            span = _follow_overtime(info, status)
        else:
            span = _follow_correction(info, status)
        if span is not None:
            recompute([info.applicant_id], span[0], span[1],
                      cause=_("request %(number)s %(outcome)s") % {"number": info.number,
                                                                  "outcome": outcome})


def _follow_absence(info: Any, status: str) -> tuple[date, date] | None:
    period = info.form_data.get("period") or {}
    start, end = _iso_date(period.get("start")), _iso_date(period.get("end"))
    if start is None or end is None:
        return None
    is_leave = info.subject_code == LEAVE_SUBJECT
    leave_type = LeaveType.objects.filter(code=info.form_data.get("leave_type")).first() \
        if is_leave else None
    start_half, end_half = period.get("start_half", ""), period.get("end_half", "")
    amount = Decimal(0)
    if leave_type is not None:
        # Counted as check_leave counted it (people outside groups on a Monday-to-Friday
        # week), so what the balance check allowed is what approval deducts.
        amount = leave_amount(info.applicant_id, leave_type, start, end, start_half, end_half)
    absence, _created = Absence.objects.select_for_update().update_or_create(
        request_id=info.id,
        defaults={"person_id": info.applicant_id,
                  "kind": Absence.Kind.LEAVE if is_leave else Absence.Kind.TRIP,
                  "leave_type": leave_type, "start": start, "end": end,
                  "start_half": start_half if start_half == "pm" else "",
                  "end_half": end_half if end_half == "am" else "", "amount": amount,
                  "status": status, "request_number": info.number})
    if leave_type is not None and leave_type.has_balance:
        _settle_ledger(absence, leave_type, status)
    if status in (Absence.Status.APPROVED, Absence.Status.CANCELLED):
        return start, end
    return None


def _settle_ledger(absence: Absence, leave_type: LeaveType, status: str) -> None:
    reference = absence.request_number
    entries = [leave_rules.LedgerEntry(leave_rules.EntryKind(row.kind), row.on, abs(row.amount),
                                       row.reference)
               for row in LedgerEntry.objects.filter(person_id=absence.person_id,
                                                     leave_type=leave_type,
                                                     reference=reference)
               if row.kind in ("deduction", "restoration") and row.amount]
    now = timezone.now()
    today = timezone.localdate(now, local_zone())
    deducted = any(entry.kind is leave_rules.EntryKind.DEDUCTION for entry in entries)
    if status == Absence.Status.APPROVED and not deducted and absence.amount > 0:
        LedgerEntry.objects.create(person_id=absence.person_id, leave_type=leave_type,
                                   # Dated the approval day, not the leave's first day:
                                   # leave booked ahead must lower today's balance too.
                                   kind=LedgerEntry.Kind.DEDUCTION, on=today,
                                   amount=-absence.amount, reference=reference,
                                   recorded_at=now)
    elif status == Absence.Status.CANCELLED:
        back = leave_rules.restore(entries, reference, today)
        if back is not None:
            LedgerEntry.objects.create(person_id=absence.person_id, leave_type=leave_type,
                                       kind=LedgerEntry.Kind.RESTORATION, on=today,
                                       amount=back.amount, reference=reference,
                                       recorded_at=now)


def _follow_overtime(info: Any, status: str) -> tuple[date, date] | None:
    window = overtime_window(info.form_data)
    if window is None:
        return None
    day, begins, ends = window
    hours = Decimal(str(info.form_data.get("hours") or 0))
    # The approved length is the hours asked for, placed from the start time.
    ends = min(ends, begins + timedelta(hours=float(hours))) if hours > 0 else ends
    Overtime.objects.update_or_create(
        request_id=info.id,
        defaults={"person_id": info.applicant_id, "work_date": day, "start": begins,
                  "end": ends,
                  "compensation": info.form_data.get("compensation") or Group.Settlement.PAY,
                  "status": status, "request_number": info.number})
    if status in (Absence.Status.APPROVED, Absence.Status.CANCELLED):
        return day, day + timedelta(days=1)
    return None


def _follow_correction(info: Any, status: str) -> tuple[date, date] | None:
    day, at = _iso_date(info.form_data.get("date")), _clock(info.form_data.get("time"))
    if day is None or at is None:
        return None
    moment = datetime.combine(day, at, tzinfo=local_zone())
    PunchCorrection.objects.update_or_create(
        request_id=info.id,
        defaults={"person_id": info.applicant_id, "work_date": day, "at": moment,
                  "direction": info.form_data.get("punch") or "", "status": status,
                  "request_number": info.number})
    if status == Absence.Status.APPROVED and not Punch.objects.filter(
            request_number=info.number, source=Punch.Source.CORRECTION).exists():
        Punch.objects.create(person_id=info.applicant_id, at=moment,
                             source=Punch.Source.CORRECTION,
                             verification=Punch.Verification.APPROVAL,
                             request_number=info.number, recorded_at=timezone.now())
    if status in (Absence.Status.APPROVED, Absence.Status.CANCELLED):
        return day - timedelta(days=1), day
    return None


# --- Balances -----------------------------------------------------------------------------


def do_set_employment(actor: Any, person_id: int, *, joined_on: date, service_start: date,
                      left_on: date | None = None) -> Employment:
    """Record when a person joined and started working (for annual leave). Raises
    ValidationFailed when working life starts after joining or leaving precedes joining."""
    authz.require(actor, ops.MANAGE.code)
    if directory.person(person_id) is None:
        raise NotFound(_("No such person."))
    if service_start > joined_on:
        raise ValidationFailed(fields={"service_start": _(
            "Working life cannot start after joining the museum.")})
    if left_on is not None and left_on < joined_on:
        raise ValidationFailed(fields={"left_on": _("Leaving cannot precede joining.")})
    found, _created = Employment.objects.update_or_create(
        person_id=person_id, defaults={"joined_on": joined_on, "service_start": service_start,
                                       "left_on": left_on})
    return found


def do_adjust_balance(actor: Any, person_id: int, leave_code: str, amount: Decimal,
                      note: str) -> LedgerEntry:
    """HR corrects a balance by a signed amount, with a note (a new ledger line; nothing is
    rewritten). Emits ``attendance.balance.adjusted.v1``."""
    authz.require(actor, ops.MANAGE.code)
    leave_type = LeaveType.objects.filter(code=leave_code, has_balance=True).first()
    if leave_type is None:
        raise ValidationFailed(fields={"leave_type": _("Choose a leave type with a balance.")})
    if directory.person(person_id) is None:
        raise NotFound(_("No such person."))
    # The ledger keeps two decimal places: a third one would be rounded away unseen, and
    # NaN or infinity cannot be compared at all.
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or not amount or abs(amount) > 1000 \
            or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(fields={"amount": _("Enter a non-zero amount up to 1000, "
                                                   "with at most two decimal places.")})
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(fields={"note": _("Say why the balance changes.")})
    now = timezone.now()
    with transaction.atomic():
        entry = LedgerEntry.objects.create(
            person_id=person_id, leave_type=leave_type, kind=LedgerEntry.Kind.ADJUSTMENT,
            on=timezone.localdate(now, local_zone()), amount=amount, note=note[:200],
            recorded_by_id=actor.pk, recorded_at=now)
        publish(events.BalanceAdjusted(person_id=person_id, leave_type=leave_code,
                                       amount=str(amount), kind=entry.kind))
    return entry


def do_grant_annual_leave(actor: Any | None, year: int) -> int:
    """Grant each employed person the statutory annual leave of ``year`` (Regulations on
    Paid Annual Leave art. 3, prorated under the Implementing Measures art. 5). Idempotent:
    a person already granted for the year is skipped. Returns how many were granted."""
    if actor is not None:
        authz.require(actor, ops.MANAGE.code)
    annual = LeaveType.objects.get(code="annual")
    reference = f"annual:{year}"
    done = set(LedgerEntry.objects.filter(leave_type=annual, reference=reference)
               .values_list("person_id", flat=True))
    now = timezone.now()
    fresh = []
    for employment in Employment.objects.exclude(person_id__in=done):
        days = leave_rules.annual_leave_for_year(year, employment.service_start,
                                                 employment.joined_on,
                                                 left_this_employer=employment.left_on)
        if days > 0:
            fresh.append(LedgerEntry(person_id=employment.person_id, leave_type=annual,
                                     kind=LedgerEntry.Kind.GRANT,
                                     on=max(date(year, 1, 1), employment.joined_on),
                                     amount=Decimal(days), reference=reference,
                                     recorded_by_id=getattr(actor, "pk", None),
                                     recorded_at=now))
    LedgerEntry.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


CARRY_OVER_CAP_DAYS = Decimal(5)
CARRY_OVER_UNTIL = (3, 31)
"""Museum policy defaults: at most 5 unused annual days move into the next year and lapse
after 31 March (the Regulations art. 5 allow one year's move at most)."""


def do_carry_over(actor: Any | None, year: int) -> int:
    """Close the annual leave of ``year``: the rest expires and up to the cap comes back
    until the end of March. Idempotent per person and year. Returns people processed."""
    if actor is not None:
        authz.require(actor, ops.MANAGE.code)
    annual = LeaveType.objects.get(code="annual")
    year_end = date(year, 12, 31)
    reference = leave_rules.carry_over_reference(year_end)
    done = set(LedgerEntry.objects.filter(leave_type=annual, reference=reference)
               .values_list("person_id", flat=True))
    by_person: dict[int, list[leave_rules.LedgerEntry]] = defaultdict(list)
    for row in LedgerEntry.objects.filter(leave_type=annual, on__lte=year_end) \
            .exclude(person_id__in=done):
        if row.amount:
            by_person[row.person_id].append(_rule_entry(row))
    now = timezone.now()
    fresh = []
    until = date(year + 1, *CARRY_OVER_UNTIL)
    for person_id, entries in by_person.items():
        for entry in leave_rules.carry_over(entries, year_end, CARRY_OVER_CAP_DAYS, until):
            fresh.append(LedgerEntry(person_id=person_id, leave_type=annual, kind=entry.kind.value,
                                     on=entry.on, amount=entry.signed_amount,
                                     reference=entry.reference, expires_on=entry.expires_on,
                                     recorded_at=now))
    LedgerEntry.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(by_person)


def _rule_entry(row: LedgerEntry) -> leave_rules.LedgerEntry:
    kind = leave_rules.EntryKind.GRANT if row.kind == LedgerEntry.Kind.ADJUSTMENT and \
        row.amount > 0 else leave_rules.EntryKind.DEDUCTION \
        if row.kind == LedgerEntry.Kind.ADJUSTMENT else leave_rules.EntryKind(row.kind)
    return leave_rules.LedgerEntry(kind, row.on, abs(row.amount), row.reference, row.expires_on)


def do_expire_carried_over(on: date) -> int:
    """Expire what is left of carry-overs whose last day was before ``on`` (idempotent)."""
    annual = LeaveType.objects.get(code="annual")
    count = 0
    carried_rows = LedgerEntry.objects.filter(leave_type=annual, kind=LedgerEntry.Kind.CARRY_OVER,
                                              expires_on__lt=on)
    for carried in carried_rows:
        already = LedgerEntry.objects.filter(person_id=carried.person_id, leave_type=annual,
                                             reference=carried.reference,
                                             kind=LedgerEntry.Kind.EXPIRY,
                                             on__gt=carried.on).exists()
        if already:
            continue
        entries = [_rule_entry(row) for row in LedgerEntry.objects.filter(
            person_id=carried.person_id, leave_type=annual) if row.amount]
        expiry = leave_rules.expire_carried_over(entries, _rule_entry(carried))
        if expiry is not None:
            LedgerEntry.objects.create(person_id=carried.person_id, leave_type=annual,
                                       kind=LedgerEntry.Kind.EXPIRY, on=expiry.on,
                                       amount=-expiry.amount, reference=expiry.reference,
                                       recorded_at=timezone.now())
            count += 1
    return count


# --- Month close --------------------------------------------------------------------------


def month_tallies(first_day: date) -> dict[int, Tally]:
    """Each person's month so far from the stored days, plus the corrections it pays."""
    from taihe.modules.attendance.models import Correction, DayResult
    from taihe.modules.attendance.summary import tally_days

    rows = DayResult.objects.filter(date__range=(first_day, month_end(first_day))).values(
        "person_id", *day_values({}).keys())
    tallies = tally_days(rows)
    for correction in Correction.objects.filter(applies_to=first_day).order_by("day", "id"):
        tallies[correction.person_id].add_correction(correction.day, correction.changes)
    return tallies


def do_close_month(actor: Any, first_day: date) -> Month:
    """Recompute every day of the month, freeze each person's summary, credit overtime
    turned into time off to the comp-time balance, and lock the month; later changes to
    its days become corrections paid in the next open month. Only a month that has ended,
    and only after the month before it is closed (when that one has data). Raises
    Conflict otherwise. Emits ``attendance.month.closed.v1``."""
    authz.require(actor, ops.PAYROLL.code)
    first_day = month_start(first_day)
    today = timezone.localdate(timezone.now(), local_zone())
    if month_end(first_day) >= today:
        raise Conflict(_("%(month)s has not ended yet.") % {"month": first_day.strftime("%Y-%m")},
                       code="month_not_over")
    started = timezone.now()
    with transaction.atomic():
        month, _created = Month.objects.select_for_update().get_or_create(first_day=first_day)
        if month.closed_at is not None:
            raise Conflict(_("%(month)s is already closed.")
                           % {"month": first_day.strftime("%Y-%m")}, code="closed")
        _require_previous_closed(first_day)
        recompute(None, first_day, month_end(first_day), cause=_("month close"))
        tallies = month_tallies(first_day)
        memberships = dict(Membership.objects.values_list("person_id", "group__name"))
        departments = {info.id: info.department_id
                       for info in directory.people(sorted(tallies))}
        # A correction may take back more than the month holds (a late day of a closed
        # month made on time): the counts are signed, and payroll sees the negative delta.
        summaries = [MonthSummary(
            month=month, person_id=person_id, department_id=departments.get(person_id),
            group_name=memberships.get(person_id, ""),
            scheduled_days=tally.scheduled_days, worked_days=tally.worked_days,
            late_count=tally.late_count, late_minutes=tally.late_minutes,
            early_count=tally.early_count, early_minutes=tally.early_minutes,
            absent_days=tally.absent_days, missing_punches=tally.missing_punches,
            trip_days=tally.trip_days,
            leave=tally.leave_days(), overtime=tally.overtime_hours(),
            comp_time_hours=tally.comp_time_hours(), corrections=tally.corrections)
            for person_id, tally in tallies.items()]
        MonthSummary.objects.bulk_create(summaries, batch_size=2000)
        comp_time = LeaveType.objects.filter(code="comp_time").first()
        now = timezone.now()
        if comp_time is not None:
            # Earned comp time is an accrual; a month whose corrections take back more comp
            # time than it earned lowers the balance by an adjustment (a signed line).
            LedgerEntry.objects.bulk_create([
                LedgerEntry(person_id=summary.person_id, leave_type=comp_time,
                            kind=(LedgerEntry.Kind.ACCRUAL if summary.comp_time_hours > 0
                                  else LedgerEntry.Kind.ADJUSTMENT),
                            on=month_end(first_day), amount=summary.comp_time_hours,
                            reference=f"overtime:{first_day:%Y-%m}",
                            note=_("Overtime of %(month)s taken as time off")
                            % {"month": first_day.strftime("%Y-%m")}, recorded_at=now)
                for summary in summaries if summary.comp_time_hours], batch_size=2000)
        month.closed_at = now
        month.closed_by_id = actor.pk
        month.people = len(summaries)
        month.seconds = (now - started).total_seconds()
        month.save()
        publish(events.MonthClosed(month=first_day.strftime("%Y-%m"), people=len(summaries)))
    return month


def _require_previous_closed(first_day: date) -> None:
    """Months close in order, so every correction has one open month to go to: the month
    before must be closed first when any day of it was judged."""
    from taihe.modules.attendance.models import DayResult

    previous = month_start(first_day - timedelta(days=1))
    if DayResult.objects.filter(date__range=(previous, month_end(previous))).exists() and \
            not Month.objects.filter(first_day=previous, closed_at__isnull=False).exists():
        raise Conflict(_("Close %(previous)s first: months are closed in order.")
                       % {"previous": previous.strftime("%Y-%m")}, code="previous_open")


def require_open_month(day: date) -> None:
    """Raise Conflict when ``day`` lies in a closed month (for edits that must not touch
    a frozen payroll, such as roster cells)."""
    from taihe.modules.attendance.selectors import is_closed

    if is_closed(day):
        raise Conflict(_("%(month)s is closed; its roster can no longer change.")
                       % {"month": month_start(day).strftime("%Y-%m")}, code="closed")

