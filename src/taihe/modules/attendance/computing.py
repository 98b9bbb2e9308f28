"""Judging days in bulk and summing months.

``recompute`` gathers the facts of many people over a date range in a few queries, judges
each working date with ``rules.daily.compute_day`` and replaces the stored ``DayResult``
rows in one transaction. A day inside a closed month still gets its true result, but the
frozen summary is left alone: the difference is written as a ``Correction`` that the next
open month pays, with the day and the cause as its trace.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel.db.engine import insert_many
from taihe.kernel.errors import ValidationFailed
from taihe.modules.attendance.models import (
    Absence,
    Correction,
    DayResult,
    LeaveType,
    Month,
    Overtime,
    Punch,
    PunchCorrection,
)
from taihe.modules.attendance.rulebook import GroupRules, Rulebook, load_rulebook
from taihe.modules.attendance.rules.calendar import DayKind, dates_between
from taihe.modules.attendance.rules.daily import DailyInput, DailyResult, compute_day
from taihe.modules.attendance.rules.daily import Punch as PunchFact
from taihe.modules.attendance.rules.overtime import SettlementMode, classify, settle
from taihe.modules.attendance.rules.shifts import (
    AnyShift,
    FixedShift,
    FlexibleShift,
    Interval,
    scheduled_intervals,
)
from taihe.modules.directory import api as directory

HALF = Decimal("0.5")
ONE = Decimal(1)
CENTS = Decimal("0.01")
PRESENT = {"on_time", "late", "left_early", "late_and_left_early", "missing_punch_in",
           "missing_punch_out", "partial_leave", "in_progress"}
"""Statuses of a day the person came to work."""

SUMMARY_FIELDS = ("status", "late_minutes", "early_minutes", "overtime_minutes",
                  "overtime_class", "overtime_settlement", "leave_days", "leave_type",
                  "trip_minutes", "missing_punches")
"""What a closed month's correction compares: the fields the payroll summary is made of."""


def local_zone() -> tzinfo:
    return timezone.get_default_timezone()


def local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


FIRST_YEAR, LAST_YEAR = 2000, 2099
"""The years attendance dates may name (a typed 9999-12 must not reach date arithmetic)."""
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


def parse_month(value: str | None) -> date:
    """The first day of a ``YYYY-MM`` month typed by a person; ValidationFailed (field
    ``month``) saying what is wrong otherwise."""
    text = (value or "").strip()
    found = MONTH_PATTERN.match(text)
    if found is None:
        raise ValidationFailed(fields={"month": _(
            "Write the month as YYYY-MM, such as 2026-11.")})
    year, number = int(found[1]), int(found[2])
    if not 1 <= number <= 12:
        raise ValidationFailed(fields={"month": _(
            "There is no month %(number)s: months run from 01 to 12.") % {"number": found[2]}})
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(fields={"month": _(
            "Choose a month between %(first)s and %(last)s.") % {
            "first": f"{FIRST_YEAR}-01", "last": f"{LAST_YEAR}-12"}})
    return date(year, number, 1)


def parse_day(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` date within the years attendance knows; None otherwise."""
    try:
        found = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return found if FIRST_YEAR <= found.year <= LAST_YEAR else None


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(first_day: date) -> date:
    return (first_day + timedelta(days=32)).replace(day=1)


def month_end(first_day: date) -> date:
    return next_month(first_day) - timedelta(days=1)


@dataclass(frozen=True)
class AbsenceFact:
    kind: str
    leave_type: str
    start: date
    end: date
    start_half: str
    end_half: str
    calendar_days: bool


@dataclass(frozen=True)
class OvertimeFact:
    start: datetime
    end: datetime
    compensation: str
    work_date: date | None = None
    """The date the request is for; None applies it to any day judged with it."""


def day_fraction(fact: AbsenceFact, day: date) -> Decimal:
    """How much of ``day`` an absence covers: a leave starting in the afternoon takes only
    the afternoon of its first day, one ending in the morning only its last morning."""
    if (day == fact.start and fact.start_half == "pm") or (day == fact.end and
                                                           fact.end_half == "am"):
        return HALF
    return ONE


def _half_bounds(shift: Any, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """Where the morning ends and the afternoon starts for a half-day leave: the break of a
    split shift, the middle of a one-segment shift, noon for flexible hours. Taken from the
    shift's real intervals, so a split night shift's second part lies on the next date."""
    if isinstance(shift, FixedShift):
        intervals = scheduled_intervals(shift, day, zone)
        if len(intervals) >= 2:
            return intervals[0][1], intervals[1][0]
        start, end = intervals[0]
        middle = start + (end - start) / 2
        return middle, middle
    noon = local_midnight(day, zone).replace(hour=12)
    return noon, noon


def absence_interval(fact: AbsenceFact, day: date, shift: Any, zone: tzinfo) -> Interval:
    """The stretch of ``day`` an absence covers, wide enough for a night shift's tail."""
    start = local_midnight(day, zone) - timedelta(hours=12)
    end = local_midnight(day + timedelta(days=1), zone) + timedelta(hours=12)
    if day == fact.start and fact.start_half == "pm":
        start = _half_bounds(shift, day, zone)[1]
    if day == fact.end and fact.end_half == "am":
        end = _half_bounds(shift, day, zone)[0]
    return start, end


@dataclass
class Facts:
    punches: dict[int, list[datetime]]
    absences: dict[int, list[AbsenceFact]]
    overtime: dict[int, list[OvertimeFact]]


def load_facts(person_ids: Sequence[int] | None, start: date, end: date,
               zone: tzinfo) -> Facts:
    """Punches (a day either side, for night shifts), approved absences and overtime.

    A make-up punch stays stored when its request is cancelled (punches are insert-only),
    so the punches of cancelled make-up requests are left out here."""
    since = local_midnight(start - timedelta(days=1), zone)
    until = local_midnight(end + timedelta(days=2), zone)
    punches: dict[int, list[datetime]] = defaultdict(list)
    cancelled = PunchCorrection.objects.filter(status=Absence.Status.CANCELLED) \
        .values("request_number")
    rows = Punch.objects.filter(at__gte=since, at__lt=until).exclude(
        source=Punch.Source.CORRECTION, request_number__in=cancelled)
    absences = Absence.objects.filter(status=Absence.Status.APPROVED, start__lte=end,
                                      end__gte=start)
    overtime = Overtime.objects.filter(status=Overtime.Status.APPROVED,
                                       work_date__range=(start, end))
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
        absences = absences.filter(person_id__in=person_ids)
        overtime = overtime.filter(person_id__in=person_ids)
    for person_id, at in rows.order_by("person_id", "at").values_list("person_id", "at"):
        punches[person_id].append(at)
    calendar_days = set(LeaveType.objects.filter(calendar_days=True)
                        .values_list("pk", flat=True))
    by_person: dict[int, list[AbsenceFact]] = defaultdict(list)
    for row in absences.values("person_id", "kind", "leave_type_id", "leave_type__code",
                               "start", "end", "start_half", "end_half"):
        by_person[row["person_id"]].append(AbsenceFact(
            row["kind"], row["leave_type__code"] or "", row["start"], row["end"],
            row["start_half"], row["end_half"], row["leave_type_id"] in calendar_days))
    extra: dict[int, list[OvertimeFact]] = defaultdict(list)
    for person_id, ot_start, ot_end, compensation, work_date in overtime.values_list(
            "person_id", "start", "end", "compensation", "work_date"):
        extra[person_id].append(OvertimeFact(ot_start, ot_end, compensation, work_date))
    return Facts(punches, by_person, extra)


def _punches_near(times: list[datetime], day: date, zone: tzinfo) -> list[PunchFact]:
    low = bisect_left(times, local_midnight(day - timedelta(days=1), zone))
    high = bisect_right(times, local_midnight(day + timedelta(days=2), zone))
    return [PunchFact(at) for at in times[low:high]]


HANDOVER = timedelta(hours=1)
"""How long after a night shift ends a punch is still taken as its check-out."""


def _previous_shift_tail(book: Rulebook, person_id: int, day: date, shift: Any,
                         zone: tzinfo, group: GroupRules) -> datetime | None:
    """When yesterday's shift runs past midnight, the moment before which this morning's
    punches are yesterday's check-out (up to ``HANDOVER`` after its end), but never later
    than today's own check-in window opens. None when nothing crosses into today. Without
    it a guard's 08:00 check-out after a night shift reads as a lone punch on their rest
    day; later punches that morning stay today's (work on the rest day)."""
    previous = book.shift(person_id, day - timedelta(days=1))
    intervals = scheduled_intervals(previous, day - timedelta(days=1), zone)
    if not intervals:
        return None
    end = max(interval_end for _start, interval_end in intervals)
    if end <= local_midnight(day, zone):
        return None
    cutoff = end + HANDOVER
    own = scheduled_intervals(shift, day, zone)
    if own:
        cutoff = min(cutoff, min(start for start, _end in own)
                     - group.daily_policy.check_in_window_before)
    return cutoff


UPCOMING = "upcoming"
"""A working day not over yet with no punch so far: not (yet) an absence."""
IN_PROGRESS = "in_progress"
"""A working day not over yet, clocked in: its missing clock-out is still to come."""


def _still_open(result: DailyResult, shift: Any, day: date, zone: tzinfo,
                group: GroupRules, now: datetime) -> DailyResult:
    """A day judged before its shift has ended gets no absent or missing-punch verdict yet
    (lateness already incurred stays): at 08:00 nobody on the 09:00 shift is absent, and
    after clocking in at 08:55 nobody is missing a clock-out."""
    if result.status.value not in ("absent", "missing_punch_in", "missing_punch_out"):
        return result
    intervals = scheduled_intervals(shift, day, zone)
    if not intervals:
        return result
    # Until the shift's end: after it, a missing clock-out is shown as missing (a punch
    # in the check-out window that follows still mends it when it comes).
    closes = max(end for _start, end in intervals)
    if now >= closes:
        return result
    status = UPCOMING if result.status.value == "absent" else IN_PROGRESS
    return replace(result, status=status, missing_punches=0)  # type: ignore[arg-type]


def judge(book: Rulebook, facts: Facts, person_id: int, day: date, zone: tzinfo,
          now: datetime | None = None) -> tuple[DailyResult, dict[str, Any]] | None:
    """One person's day as its rules result and the extra columns; None outside a group.
    ``now`` (when the day may not be over) keeps an unfinished day from verdicts."""
    group = book.group_of(person_id)
    if group is None:
        return None
    shift = book.shift(person_id, day)
    kind = book.day_kind(person_id, day)
    leave: list[Interval] = []
    trips: list[Interval] = []
    leave_days = Decimal(0)
    leave_type = ""
    working = isinstance(shift, FixedShift | FlexibleShift) and kind is DayKind.WORKDAY
    for fact in facts.absences.get(person_id, ()):
        if not fact.start <= day <= fact.end:
            continue
        interval = absence_interval(fact, day, shift, zone)
        if fact.kind == Absence.Kind.TRIP:
            trips.append(interval)
            continue
        leave.append(interval)
        if working or fact.calendar_days:
            leave_days += day_fraction(fact, day)
            leave_type = leave_type or fact.leave_type
    # Each request counts on its own work date only, however many days are judged at once.
    requests = [fact for fact in facts.overtime.get(person_id, ())
                if fact.work_date in (None, day)]
    approved = [(fact.start, fact.end) for fact in requests]
    punches = _punches_near(facts.punches.get(person_id, []), day, zone)
    handed_over = _previous_shift_tail(book, person_id, day, shift, zone, group)
    if handed_over is not None:
        punches = [punch for punch in punches if punch.at >= handed_over]
    result = compute_day(
        DailyInput(work_date=day, day_kind=kind, shift=shift, punches=punches,
                   leave=leave, business_trips=trips, approved_overtime=approved),
        zone, group.daily_policy)
    if now is not None:
        result = _still_open(result, shift, day, zone, group, now)
    extra = _overtime_columns(result, group, kind, requests, shift, zone)
    extra.update(group_id=group.id, day_kind=kind.value, shift_code=book.shift_code(person_id,
                                                                                     day),
                 leave_days=min(leave_days, ONE), leave_type=leave_type)
    return result, extra


def _overtime_columns(result: DailyResult, group: GroupRules, kind: DayKind,
                      requests: Iterable[OvertimeFact], shift: AnyShift | None = None,
                      zone: tzinfo | None = None) -> dict[str, Any]:
    """Counted overtime by the group's basis, its class (PRC Labour Law art. 44) and how it
    is settled: an approved request's own choice, the group's policy for detected overtime,
    and always pay on a statutory holiday (art. 44(3)).

    With approvals as the basis, a shift that the roster itself puts on a rest day or a
    statutory holiday is overtime without a request (the museum arranged the work; art.
    44(2)/(3) pay it whatever the paperwork), and requests add only time outside it."""
    overtime_class = classify(kind)
    if group.overtime_basis == "approval":
        requests = list(requests)
        # Approved time counts only when the person was there that day (a punch): an
        # approved evening on a day of absence or leave is no overtime. Punches are not
        # required to cover the whole request, since a late stint after a normal day is
        # often punched out beyond the check-out window.
        came = result.check_in is not None or result.check_out is not None \
            or result.worked_minutes > 0
        present = result.approved_overtime_minutes if came else 0
        minutes = present
        chosen = {fact.compensation for fact in requests}
        working_shift = shift if isinstance(shift, FixedShift | FlexibleShift) else None
        if kind is DayKind.WORKDAY and working_shift is not None and zone is not None:
            # Only the part of a request outside the day's own shift is overtime.
            minutes = min(_minutes_outside(requests, working_shift, result.work_date, zone),
                          present)
        elif working_shift is not None and zone is not None:
            shift = working_shift
            scheduled = (result.worked_minutes if result.worked_minutes
                         >= group.daily_policy.minimum_overtime_minutes else 0)
            minutes = scheduled + min(
                _minutes_outside(requests, shift, result.work_date, zone), present)
            if scheduled:
                paid = settle(scheduled, overtime_class, group.overtime_policy).paid_minutes
                chosen.add("pay" if paid else "comp_time")
        mode = (SettlementMode.COMP_TIME if chosen == {"comp_time"} else SettlementMode.PAY)
        if overtime_class.value == "holiday":
            mode = SettlementMode.PAY
    else:
        minutes = result.overtime_minutes
        mode = (SettlementMode.PAY if settle(minutes, overtime_class,
                                             group.overtime_policy).paid_minutes or not minutes
                else SettlementMode.COMP_TIME)
    return {"overtime_minutes": minutes,
            "overtime_class": overtime_class.value if minutes else "",
            "overtime_settlement": mode.value if minutes else ""}


def _minutes_outside(requests: Iterable[OvertimeFact], shift: FixedShift | FlexibleShift,
                     day: date, zone: tzinfo) -> int:
    """Whole minutes of the approved requests that fall outside the day's shift."""
    scheduled = scheduled_intervals(shift, day, zone)
    merged: list[Interval] = []
    for start, end in sorted((fact.start, fact.end) for fact in requests):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        elif end > start:
            merged.append((start, end))
    seconds = 0.0
    for start, end in merged:
        seconds += (end - start).total_seconds()
        for low, high in scheduled:
            overlap = (min(end, high) - max(start, low)).total_seconds()
            seconds -= max(overlap, 0.0)
    return int(seconds // 60) if seconds > 0 else 0


DAY_COLUMNS = [field.attname for field in DayResult._meta.concrete_fields
               if not field.primary_key]


def _row(person_id: int, department_id: int | None, result: DailyResult,
         extra: dict[str, Any], now: datetime) -> DayResult:
    return DayResult(
        person_id=person_id, date=result.work_date, department_id=department_id,
        group_id=extra["group_id"], day_kind=extra["day_kind"], shift_code=extra["shift_code"],
        status=str(getattr(result.status, "value", result.status)),
        late_minutes=result.late_minutes,
        early_minutes=result.early_minutes, worked_minutes=result.worked_minutes,
        overtime_minutes=extra["overtime_minutes"], overtime_class=extra["overtime_class"],
        overtime_settlement=extra["overtime_settlement"],
        leave_minutes=result.leave_minutes, leave_days=extra["leave_days"],
        leave_type=extra["leave_type"], trip_minutes=result.business_trip_minutes,
        missing_punches=result.missing_punches, serious_late=result.serious_late,
        check_in=result.check_in, check_out=result.check_out,
        reasons=[_reason(reason) for reason in result.reasons], computed_at=now)


def _reason(reason: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"code": reason.code}
    if reason.segment is not None:
        found["segment"] = reason.segment
    if reason.minutes is not None:
        found["minutes"] = reason.minutes
    if reason.at is not None:
        found["at"] = reason.at.isoformat()
    return found


def _summary_values(row: DayResult) -> dict[str, Any]:
    """The payroll fields of a day, with the leave days as a two-place string: a row read
    back from the database (``Decimal("1.00")``) and a freshly judged one (``Decimal(1)``)
    must compare equal, or every recompute of a closed month would look like a change."""
    return {name: (str(Decimal(getattr(row, name)).quantize(CENTS)) if name == "leave_days"
                   else getattr(row, name))
            for name in SUMMARY_FIELDS}


def recompute(person_ids: Sequence[int] | None, start: date, end: date, *,
              cause: str = "") -> int:
    """Judge and store the days of ``person_ids`` (everyone in a group when None) from
    ``start`` to ``end``, never beyond today in the museum's time zone. Returns how many
    day results were written. Days of closed months produce ``Correction`` rows."""
    zone = local_zone()
    today = timezone.localdate(timezone.now(), zone)
    end = min(end, today)
    if end < start:
        return 0
    book = load_rulebook(person_ids, start, end)
    people = sorted(book.memberships) if person_ids is None else \
        list(dict.fromkeys(pid for pid in person_ids if pid in book.memberships))
    facts = load_facts(people if person_ids is not None else None, start, end, zone)
    departments = {info.id: info.department_id for info in directory.people(people)}
    now = timezone.now()
    rows: list[DayResult] = []
    days = list(dates_between(start, end))
    for person_id in people:
        joined = book.joined.get(person_id)
        for day in days:
            if joined is not None and day < joined:
                continue  # judged under the group the person was in then, or not at all
            judged = judge(book, facts, person_id, day, zone,
                           now if day >= today - timedelta(days=1) else None)
            if judged is not None:
                rows.append(_row(person_id, departments.get(person_id), judged[0], judged[1],
                                 now))
    closed = set(Month.objects.filter(closed_at__isnull=False, first_day__lte=end,
                                      first_day__gte=month_start(start))
                 .values_list("first_day", flat=True))
    with transaction.atomic():
        old: dict[tuple[int, date], DayResult] = {}
        # Only the people judged here, and only from the day each joined their group: the
        # days of people who left a group, or before someone joined, keep their results.
        stale = DayResult.objects.filter(date__range=(start, end), person_id__in=people)
        by_joining: dict[date, list[int]] = defaultdict(list)
        for person_id in people:
            joined = book.joined.get(person_id)
            if joined is not None and joined > start:
                by_joining[joined].append(person_id)
        for joined, joiners in by_joining.items():
            stale = stale.exclude(person_id__in=joiners, date__lt=joined)
        if closed:
            old = {(row.person_id, row.date): row for row in stale
                   if month_start(row.date) in closed}
        stale.delete()
        # One executemany instead of bulk_create's many small INSERTs (SQLite binds about
        # 40 rows of this width per statement): most of a month close's write time.
        insert_many(DayResult, DAY_COLUMNS,
                    [tuple(getattr(row, column) for column in DAY_COLUMNS) for row in rows])
        if closed:
            _carry_corrections(old, [row for row in rows if month_start(row.date) in closed],
                               cause, now)
    return len(rows)


def _carry_corrections(old: dict[tuple[int, date], DayResult], new: list[DayResult],
                       cause: str, now: datetime) -> None:
    """For each changed day of a closed month, a correction paid in the first open month."""
    open_month = first_open_month()
    corrections = []
    for row in new:
        before = old.get((row.person_id, row.date))
        was = _summary_values(before) if before else None
        is_now = _summary_values(row)
        if was != is_now:
            corrections.append(Correction(
                person_id=row.person_id, day=row.date, closed_month=month_start(row.date),
                applies_to=max(open_month, next_month(month_start(row.date))),
                changes={"before": was, "after": is_now}, cause=cause[:200],
                recorded_at=now))
    Correction.objects.bulk_create(corrections)


def first_open_month() -> date:
    """The earliest month after the last closed one (this month when none is closed).
    Months close in order, so a month HR has not closed yet (last month, early in this
    one) is the first open month and pays the corrections, not the current month."""
    last = (Month.objects.filter(closed_at__isnull=False).order_by("-first_day")
            .values_list("first_day", flat=True).first())
    if last is None:
        return month_start(timezone.localdate(timezone.now(), local_zone()))
    return next_month(last)
