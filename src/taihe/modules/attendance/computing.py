"""Judging days in bulk and summing months.

``recompute`` gathers the facts of many people over a date range in a few queries, judges
each working date with ``rules.daily.compute_day`` and replaces the stored ``DayResult``
rows in one transaction. A day inside a closed month still gets its true result, but the
frozen summary is left alone: the difference is written as a ``Correction`` that the next
open month pays, with the day and the cause as its trace.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from taihe.modules.attendance.models import (
    Absence,
    Correction,
    DayResult,
    LeaveType,
    Month,
    Overtime,
    Punch,
)
from taihe.modules.attendance.rulebook import GroupRules, Rulebook, load_rulebook
from taihe.modules.attendance.rules.calendar import DayKind, dates_between
from taihe.modules.attendance.rules.daily import DailyInput, DailyResult, compute_day
from taihe.modules.attendance.rules.daily import Punch as PunchFact
from taihe.modules.attendance.rules.overtime import SettlementMode, classify, settle
from taihe.modules.attendance.rules.shifts import FixedShift, FlexibleShift, Interval
from taihe.modules.directory import api as directory

HALF = Decimal("0.5")
ONE = Decimal(1)
PRESENT = {"on_time", "late", "left_early", "late_and_left_early", "missing_punch_in",
           "missing_punch_out", "partial_leave"}
"""Statuses of a day the person came to work."""

SUMMARY_FIELDS = ("status", "late_minutes", "early_minutes", "overtime_minutes",
                  "overtime_class", "overtime_settlement", "leave_days", "leave_type",
                  "trip_minutes", "missing_punches")
"""What a closed month's correction compares: the fields the payroll summary is made of."""


def local_zone() -> tzinfo:
    return timezone.get_default_timezone()


def local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


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


def day_fraction(fact: AbsenceFact, day: date) -> Decimal:
    """How much of ``day`` an absence covers: a leave starting in the afternoon takes only
    the afternoon of its first day, one ending in the morning only its last morning."""
    if (day == fact.start and fact.start_half == "pm") or (day == fact.end and
                                                           fact.end_half == "am"):
        return HALF
    return ONE


def _half_bounds(shift: Any, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """Where the morning ends and the afternoon starts for a half-day leave: the break of a
    split shift, the middle of a one-segment shift, noon for flexible hours."""
    if isinstance(shift, FixedShift):
        segments = shift.segments
        if len(segments) >= 2:
            return (local_midnight(day, zone).replace(hour=segments[0].end.hour,
                                                      minute=segments[0].end.minute),
                    local_midnight(day, zone).replace(hour=segments[1].start.hour,
                                                      minute=segments[1].start.minute))
        start = local_midnight(day, zone).replace(hour=segments[0].start.hour,
                                                  minute=segments[0].start.minute)
        middle = start + timedelta(minutes=segments[0].wall_minutes / 2)
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
    """Punches (a day either side, for night shifts), approved absences and overtime."""
    since = local_midnight(start - timedelta(days=1), zone)
    until = local_midnight(end + timedelta(days=2), zone)
    punches: dict[int, list[datetime]] = defaultdict(list)
    rows = Punch.objects.filter(at__gte=since, at__lt=until)
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
    for person_id, ot_start, ot_end, compensation in overtime.values_list(
            "person_id", "start", "end", "compensation"):
        extra[person_id].append(OvertimeFact(ot_start, ot_end, compensation))
    return Facts(punches, by_person, extra)


def _punches_near(times: list[datetime], day: date, zone: tzinfo) -> list[PunchFact]:
    low = bisect_left(times, local_midnight(day - timedelta(days=1), zone))
    high = bisect_right(times, local_midnight(day + timedelta(days=2), zone))
    return [PunchFact(at) for at in times[low:high]]


def judge(book: Rulebook, facts: Facts, person_id: int, day: date, zone: tzinfo,
          ) -> tuple[DailyResult, dict[str, Any]] | None:
    """One person's day as its rules result and the extra columns; None outside a group."""
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
    approved = [(fact.start, fact.end) for fact in facts.overtime.get(person_id, ())]
    result = compute_day(
        DailyInput(work_date=day, day_kind=kind, shift=shift,
                   punches=_punches_near(facts.punches.get(person_id, []), day, zone),
                   leave=leave, business_trips=trips, approved_overtime=approved),
        zone, group.daily_policy)
    extra = _overtime_columns(result, group, kind, facts.overtime.get(person_id, ()))
    extra.update(group_id=group.id, day_kind=kind.value, shift_code=book.shift_code(person_id,
                                                                                     day),
                 leave_days=min(leave_days, ONE), leave_type=leave_type)
    return result, extra


def _overtime_columns(result: DailyResult, group: GroupRules, kind: DayKind,
                      requests: Iterable[OvertimeFact]) -> dict[str, Any]:
    """Counted overtime by the group's basis, its class (PRC Labour Law art. 44) and how it
    is settled: an approved request's own choice, the group's policy for detected overtime,
    and always pay on a statutory holiday (art. 44(3))."""
    overtime_class = classify(kind)
    if group.overtime_basis == "approval":
        minutes = result.approved_overtime_minutes
        chosen = {fact.compensation for fact in requests}
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


def _row(person_id: int, department_id: int | None, result: DailyResult,
         extra: dict[str, Any], now: datetime) -> DayResult:
    return DayResult(
        person_id=person_id, date=result.work_date, department_id=department_id,
        group_id=extra["group_id"], day_kind=extra["day_kind"], shift_code=extra["shift_code"],
        status=result.status.value, late_minutes=result.late_minutes,
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
    return {name: (str(getattr(row, name)) if name == "leave_days" else getattr(row, name))
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
        [pid for pid in person_ids if pid in book.memberships]
    facts = load_facts(people if person_ids is not None else None, start, end, zone)
    departments = {info.id: info.department_id for info in directory.people(people)}
    now = timezone.now()
    rows: list[DayResult] = []
    days = list(dates_between(start, end))
    for person_id in people:
        for day in days:
            judged = judge(book, facts, person_id, day, zone)
            if judged is not None:
                rows.append(_row(person_id, departments.get(person_id), judged[0], judged[1],
                                 now))
    closed = set(Month.objects.filter(closed_at__isnull=False, first_day__lte=end,
                                      first_day__gte=month_start(start))
                 .values_list("first_day", flat=True))
    with transaction.atomic():
        old: dict[tuple[int, date], DayResult] = {}
        stale = DayResult.objects.filter(date__range=(start, end))
        if person_ids is not None:
            stale = stale.filter(person_id__in=people)
        if closed:
            old = {(row.person_id, row.date): row for row in stale
                   if month_start(row.date) in closed}
        stale.delete()
        DayResult.objects.bulk_create(rows, batch_size=2000)
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
    """The earliest month after the last closed one (this month when none is closed)."""
    last = (Month.objects.filter(closed_at__isnull=False).order_by("-first_day")
            .values_list("first_day", flat=True).first())
    current = month_start(timezone.localdate(timezone.now(), local_zone()))
    return next_month(last) if last and next_month(last) > current else current
