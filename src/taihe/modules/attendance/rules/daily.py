"""One person's attendance result for one working date, from plain values.

The service gathers a day's facts (the shift, punches, approved leave, business trips and
overtime) and ``compute_day`` judges them: late, left early, absent, missing punch, on leave,
worked and overtime minutes, each conclusion backed by a machine-readable ``Reason``. Pure and
deterministic, so a month can be recomputed whenever a punch, leave, roster or calendar
changes; fast enough for 5,000 people × 22 days in a few seconds (shift intervals and zones
are cached, nothing else is set up per call).

Minutes are whole minutes, rounded down: a punch at 09:05:59 is 5 minutes late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from taihe.modules.attendance.rules.calendar import DayKind
from taihe.modules.attendance.rules.shifts import (
    DEFAULT_TIME_ZONE,
    AnyShift,
    FixedShift,
    FlexibleShift,
    Interval,
    Segment,
    resolve_zone,
    segment_intervals,
)


class DayStatus(StrEnum):
    """The day's overall verdict (one per person per working date)."""

    ON_TIME = "on_time"
    LATE = "late"
    LEFT_EARLY = "left_early"
    LATE_AND_LEFT_EARLY = "late_and_left_early"
    ABSENT = "absent"
    MISSING_PUNCH_IN = "missing_punch_in"
    MISSING_PUNCH_OUT = "missing_punch_out"
    ON_LEAVE = "on_leave"
    PARTIAL_LEAVE = "partial_leave"
    BUSINESS_TRIP = "business_trip"
    REST = "rest"
    HOLIDAY = "holiday"


@dataclass(frozen=True, slots=True)
class Punch:
    """A clock-in record; only ``at`` (an aware datetime) matters to the rules."""

    at: datetime
    source: str = ""
    verification: str = ""


@dataclass(frozen=True, slots=True)
class DailyPolicy:
    """Tunable thresholds of the daily judgement.

    ``check_in_window_before``/``check_out_window_after``: how far before a segment's start
    a punch still counts as its check-in, and after its end as its check-out (4 h each way by
    default, so a night shift's 06:05 check-out belongs to the previous working date).
    ``minimum_overtime_minutes``: punched work beyond the schedule shorter than this is not
    overtime (a few minutes of packing up is not overtime work).
    """

    minimum_overtime_minutes: int = 30
    check_in_window_before: timedelta = timedelta(hours=4)
    check_out_window_after: timedelta = timedelta(hours=4)


DEFAULT_POLICY = DailyPolicy()


@dataclass(frozen=True, slots=True)
class DailyInput:
    """The facts of one person's working date, as plain values.

    ``day_kind`` is the person's own kind of day (a rostered guard's working day is a
    WORKDAY even on a Sunday). ``shift`` None or a ``RestDay`` means nothing is scheduled.
    ``punches`` may include punches outside the day's windows; they are ignored.
    Interval lists hold aware ``(start, end)`` pairs.
    """

    work_date: date
    day_kind: DayKind
    shift: AnyShift | None
    punches: Sequence[Punch] = ()
    leave: Sequence[Interval] = ()
    business_trips: Sequence[Interval] = ()
    approved_overtime: Sequence[Interval] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    """Evidence for a conclusion: a code, the segment it concerns (0-based), minutes, time."""

    code: str
    segment: int | None = None
    minutes: int | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DailyResult:
    """The judged day. Minutes are whole minutes; ``reasons`` explain every conclusion."""

    work_date: date
    status: DayStatus
    late_minutes: int = 0
    early_minutes: int = 0
    worked_minutes: int = 0
    overtime_minutes: int = 0
    approved_overtime_minutes: int = 0
    approved_overtime_worked_minutes: int = 0
    leave_minutes: int = 0
    business_trip_minutes: int = 0
    missing_punches: int = 0
    serious_late: bool = False
    check_in: datetime | None = None
    check_out: datetime | None = None
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def reason_codes(self) -> list[str]:
        """Just the codes, in order (handy for display filters and tests)."""
        return [reason.code for reason in self.reasons]


# ---------------------------------------------------------------------------------------------
# Interval arithmetic on aware datetimes


def _whole_minutes(seconds: float) -> int:
    return int(seconds // 60) if seconds > 0 else 0


def _merge(intervals: Sequence[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of ``intervals`` (empty ones dropped)."""
    merged: list[Interval] = []
    for start, end in sorted(interval for interval in intervals if interval[1] > interval[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _overlap_seconds(start: datetime, end: datetime, merged: list[Interval]) -> float:
    """Seconds of ``[start, end)`` covered by the merged intervals."""
    total = 0.0
    for cover_start, cover_end in merged:
        low = max(start, cover_start)
        high = min(end, cover_end)
        if high > low:
            total += (high - low).total_seconds()
    return total


def _uncovered_edges(
    start: datetime, end: datetime, merged: list[Interval]
) -> tuple[datetime, datetime] | None:
    """First and last moments of ``[start, end)`` not covered by ``merged``; None if all is.

    Leave at either edge moves what is required: morning leave until 13:00 makes 13:00 the
    required arrival. Leave in the middle of the day needs no punches and moves nothing.
    """
    required_start = start
    for cover_start, cover_end in merged:
        if cover_start <= required_start < cover_end:
            required_start = cover_end
    if required_start >= end:
        return None
    required_end = end
    for cover_start, cover_end in reversed(merged):
        if cover_start < required_end <= cover_end:
            required_end = cover_start
    return required_start, required_end


def _first_occurrence(
    core: Segment, not_before: datetime, day: date, time_zone: tzinfo
) -> Interval:
    """The core-hours interval starting at or after ``not_before`` (core hours inside a night
    shift fall on the next local date)."""
    interval = segment_intervals((core,), day, time_zone)[0]
    if interval[0] < not_before:
        interval = segment_intervals((core,), day + timedelta(days=1), time_zone)[0]
    return interval


# ---------------------------------------------------------------------------------------------
# The judgement


@dataclass(slots=True)
class _Tally:
    """Running totals while segments are judged."""

    late_seconds: float = 0.0
    early_seconds: float = 0.0
    worked_seconds: float = 0.0
    overtime_seconds: float = 0.0
    missing_in: int = 0
    missing_out: int = 0
    required_segments: int = 0
    segments_without_punches: int = 0
    absent_by_lateness: bool = False
    serious_late: bool = False
    check_in: datetime | None = None
    check_out: datetime | None = None
    presence: list[Interval] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


def _status_from(tally: _Tally, late: bool, early: bool, leave_minutes: int) -> DayStatus:
    """The overall status, most serious first."""
    if tally.segments_without_punches == tally.required_segments or tally.absent_by_lateness:
        return DayStatus.ABSENT
    if tally.missing_in:
        return DayStatus.MISSING_PUNCH_IN
    if tally.missing_out:
        return DayStatus.MISSING_PUNCH_OUT
    if late and early:
        return DayStatus.LATE_AND_LEFT_EARLY
    if late:
        return DayStatus.LATE
    if early:
        return DayStatus.LEFT_EARLY
    if leave_minutes:
        return DayStatus.PARTIAL_LEAVE
    return DayStatus.ON_TIME


def _judge_fixed(
    shift: FixedShift,
    day: DailyInput,
    times: list[datetime],
    excuse: list[Interval],
    time_zone: tzinfo,
    policy: DailyPolicy,
    tally: _Tally,
) -> None:
    """Judge each segment of a fixed shift, adding to ``tally``."""
    intervals = segment_intervals(shift.segments, day.work_date, time_zone)
    last_index = len(intervals) - 1
    minimum_overtime = policy.minimum_overtime_minutes * 60
    for index, (start, end) in enumerate(intervals):
        # Windows: split shifts share the gap between segments half and half.
        before = policy.check_in_window_before
        after = policy.check_out_window_after
        if index > 0:
            before = min(before, (start - intervals[index - 1][1]) / 2)
        if index < last_index:
            after = min(after, (intervals[index + 1][0] - end) / 2)
        edges = _uncovered_edges(start, end, excuse)
        if edges is None:
            tally.reasons.append(Reason("segment_excused", index))
            continue
        tally.required_segments += 1
        required_start, required_end = edges
        # Punches before the middle of what is required are check-ins, after it check-outs
        # (with afternoon leave, a 13:00 punch is the morning's check-out).
        window_start, window_end = start - before, end + after
        middle = required_start + (required_end - required_start) / 2
        check_in = next((t for t in times if window_start <= t < middle), None)
        check_out = next((t for t in reversed(times) if middle <= t < window_end), None)
        late_reference = required_start
        if shift.core_hours is not None and required_start == start:
            # Flexible arrival up to the core start, paid back by staying as much longer.
            core_start, _ = _first_occurrence(shift.core_hours, start, day.work_date, time_zone)
            late_reference = core_start
            if required_end == end and check_in is not None and check_in > start:
                delay = min(check_in, core_start) - start
                required_end = end = end + delay
                tally.reasons.append(
                    Reason("flexible_arrival", index, _whole_minutes(delay.total_seconds()))
                )

        if check_in is None and check_out is None:
            tally.segments_without_punches += 1
            tally.missing_in += 1
            tally.missing_out += 1
            tally.reasons.append(Reason("no_punches", index))
            continue
        if tally.check_in is None:
            tally.check_in = check_in
        tally.check_out = check_out or tally.check_out
        if check_in is None:
            tally.missing_in += 1
            tally.reasons.append(Reason("missing_punch_in", index))
        if check_out is None:
            tally.missing_out += 1
            tally.reasons.append(Reason("missing_punch_out", index))

        if check_in is not None and check_in > late_reference:
            late = _whole_minutes((check_in - late_reference).total_seconds())
            if shift.absent_if_late_minutes is not None and late > shift.absent_if_late_minutes:
                tally.absent_by_lateness = True
                tally.reasons.append(Reason("late_beyond_absence_threshold", index, late, check_in))
            elif late <= shift.late_grace_minutes:
                if late:
                    tally.reasons.append(Reason("late_within_grace", index, late, check_in))
            else:
                tally.late_seconds += late * 60
                tally.reasons.append(Reason("late", index, late, check_in))
                if shift.serious_late_minutes is not None and late >= shift.serious_late_minutes:
                    tally.serious_late = True
                    tally.reasons.append(Reason("serious_late", index, late, check_in))
        if check_out is not None and check_out < required_end:
            early = _whole_minutes((required_end - check_out).total_seconds())
            if early <= shift.early_leave_grace_minutes:
                if early:
                    tally.reasons.append(Reason("early_within_grace", index, early, check_out))
            else:
                tally.early_seconds += early * 60
                tally.reasons.append(Reason("left_early", index, early, check_out))

        if check_in is not None and check_out is not None:
            tally.presence.append((check_in, check_out))
            low, high = max(check_in, start), min(check_out, end)
            if high > low:
                tally.worked_seconds += (high - low).total_seconds() - _overlap_seconds(
                    low, high, excuse
                )
            # Work after the day's last end is overtime; arriving early or staying through a
            # split shift's break is not (either needs an approved overtime request).
            beyond = (check_out - end).total_seconds()
            if index == last_index and beyond >= minimum_overtime:
                tally.overtime_seconds += beyond
                tally.reasons.append(
                    Reason("overtime_after_end", index, _whole_minutes(beyond), check_out)
                )


def _judge_flexible(
    shift: FlexibleShift,
    day: DailyInput,
    times: list[datetime],
    excuse: list[Interval],
    time_zone: tzinfo,
    policy: DailyPolicy,
    tally: _Tally,
) -> None:
    """Judge a flexible day: total hours against the target, and core-hours coverage."""
    start, end = segment_intervals((shift.window,), day.work_date, time_zone)[0]
    excused_seconds = min(_overlap_seconds(start, end, excuse), shift.target_minutes * 60)
    required_seconds = shift.target_minutes * 60 - excused_seconds
    if required_seconds <= 0:
        tally.reasons.append(Reason("segment_excused", 0))
        return
    tally.required_segments = 1
    window_start = start - policy.check_in_window_before
    window_end = end + policy.check_out_window_after
    inside = [t for t in times if window_start <= t < window_end]
    if not inside:
        tally.segments_without_punches = 1
        tally.reasons.append(Reason("no_punches", 0))
        return
    if len(inside) == 1:
        if inside[0] < start + (end - start) / 2:
            tally.check_in = inside[0]
            tally.missing_out = 1
            tally.reasons.append(Reason("missing_punch_out", 0, at=inside[0]))
        else:
            tally.check_out = inside[0]
            tally.missing_in = 1
            tally.reasons.append(Reason("missing_punch_in", 0, at=inside[0]))
        return
    check_in, check_out = inside[0], inside[-1]
    tally.check_in, tally.check_out = check_in, check_out
    tally.presence.append((check_in, check_out))
    low, high = max(check_in, start), min(check_out, end)
    worked = 0.0
    if high > low:
        worked = (high - low).total_seconds() - _overlap_seconds(low, high, excuse)
    tally.worked_seconds = worked

    if shift.core_hours is not None:
        core_start, core_end = _first_occurrence(shift.core_hours, start, day.work_date, time_zone)
        core_edges = _uncovered_edges(core_start, core_end, excuse)
        if core_edges is not None:
            if check_in > core_edges[0]:
                late = _whole_minutes((check_in - core_edges[0]).total_seconds())
                if late:
                    tally.late_seconds = late * 60
                    tally.reasons.append(Reason("late_for_core_hours", 0, late, check_in))
            if check_out < core_edges[1]:
                early = _whole_minutes((core_edges[1] - check_out).total_seconds())
                if early:
                    tally.early_seconds = early * 60
                    tally.reasons.append(Reason("left_core_hours_early", 0, early, check_out))
    short = _whole_minutes(required_seconds - worked)
    if short:
        tally.early_seconds = max(tally.early_seconds, short * 60)
        tally.reasons.append(Reason("short_of_target", 0, short))
    beyond = worked - required_seconds
    if beyond >= policy.minimum_overtime_minutes * 60:
        tally.overtime_seconds = beyond
        tally.reasons.append(Reason("overtime_beyond_target", 0, _whole_minutes(beyond)))


def _judge_unscheduled(
    day: DailyInput, times: list[datetime], time_zone: tzinfo, policy: DailyPolicy
) -> DailyResult:
    """A rest day or holiday without a shift: any punched work (first to last punch within the
    local date) is overtime, from the minimum on."""
    status = DayStatus.HOLIDAY if day.day_kind is DayKind.HOLIDAY else DayStatus.REST
    reasons = [Reason(status.value)]
    day_start = datetime.combine(day.work_date, time(), tzinfo=time_zone).astimezone(UTC)
    next_date = day.work_date + timedelta(days=1)
    day_end = datetime.combine(next_date, time(), tzinfo=time_zone).astimezone(UTC)
    inside = [t for t in times if day_start <= t < day_end]
    overtime = 0
    presence: list[Interval] = []
    if len(inside) == 1:
        reasons.append(Reason("single_punch_off_day", at=inside[0]))
    elif inside:
        presence.append((inside[0], inside[-1]))
        span = (inside[-1] - inside[0]).total_seconds()
        if span >= policy.minimum_overtime_minutes * 60:
            overtime = _whole_minutes(span)
            reasons.append(Reason("worked_off_day", minutes=overtime, at=inside[0]))
    approved = _merge(day.approved_overtime)
    return DailyResult(
        work_date=day.work_date,
        status=status,
        overtime_minutes=overtime,
        approved_overtime_minutes=_whole_minutes(
            sum((end - start).total_seconds() for start, end in approved)
        ),
        approved_overtime_worked_minutes=_whole_minutes(
            sum(_overlap_seconds(start, end, approved) for start, end in presence)
        ),
        check_in=inside[0] if len(inside) > 1 else None,
        check_out=inside[-1] if len(inside) > 1 else None,
        reasons=tuple(reasons),
    )


def compute_day(
    day: DailyInput,
    time_zone: tzinfo | str = DEFAULT_TIME_ZONE,
    policy: DailyPolicy = DEFAULT_POLICY,
) -> DailyResult:
    """Judge one person's working date.

    Pairing: per segment, the first punch from ``check_in_window_before`` before the start to
    the segment's midpoint is the check-in, the last from the midpoint to
    ``check_out_window_after`` after the end is the check-out. Lateness within grace is on
    time (0 late minutes). Leave or a business trip at a segment's edges moves the required
    arrival or departure; covering the whole schedule makes the day on leave / on a trip.
    No punches and no leave on a scheduled day is absent; one punch is a missing punch.
    Overtime from punches (after the end, from ``minimum_overtime_minutes``) is reported
    apart from approved overtime. A scheduled shift on a rest day or holiday is judged as
    usual and all its worked time is overtime; with no shift, punched time is overtime.
    """
    resolved = resolve_zone(time_zone)
    times = sorted(punch.at for punch in day.punches)
    shift = day.shift
    if not isinstance(shift, FixedShift | FlexibleShift):
        return _judge_unscheduled(day, times, resolved, policy)

    leave = _merge(day.leave)
    trips = _merge(day.business_trips)
    excuse = _merge([*leave, *trips])
    if isinstance(shift, FixedShift):
        scheduled = segment_intervals(shift.segments, day.work_date, resolved)
        leave_seconds = sum(_overlap_seconds(start, end, leave) for start, end in scheduled)
        trip_seconds = sum(_overlap_seconds(start, end, trips) for start, end in scheduled)
    else:
        start, end = segment_intervals((shift.window,), day.work_date, resolved)[0]
        target = shift.target_minutes * 60
        leave_seconds = min(_overlap_seconds(start, end, leave), target)
        trip_seconds = min(_overlap_seconds(start, end, trips), target)
    leave_minutes = _whole_minutes(leave_seconds)
    trip_minutes = _whole_minutes(trip_seconds)

    tally = _Tally()
    if isinstance(shift, FixedShift):
        _judge_fixed(shift, day, times, excuse, resolved, policy, tally)
    else:
        _judge_flexible(shift, day, times, excuse, resolved, policy, tally)

    if leave_minutes:
        tally.reasons.append(Reason("leave", minutes=leave_minutes))
    if trip_minutes:
        tally.reasons.append(Reason("business_trip", minutes=trip_minutes))

    worked = _whole_minutes(tally.worked_seconds)
    if tally.required_segments == 0:
        status = DayStatus.ON_LEAVE if leave_seconds >= trip_seconds else DayStatus.BUSINESS_TRIP
        tally.segments_without_punches = 0
    else:
        status = _status_from(tally, tally.late_seconds > 0, tally.early_seconds > 0, leave_minutes)
    if status is DayStatus.ABSENT or status in (DayStatus.ON_LEAVE, DayStatus.BUSINESS_TRIP):
        late_minutes = early_minutes = 0
    else:
        late_minutes = _whole_minutes(tally.late_seconds)
        early_minutes = _whole_minutes(tally.early_seconds)

    overtime = _whole_minutes(tally.overtime_seconds)
    if day.day_kind is not DayKind.WORKDAY:
        # Scheduled work on a rest day or statutory holiday is overtime in full
        # (PRC Labour Law art. 44(2)/(3)), from the same minimum as other punched overtime.
        off_day_work = tally.worked_seconds + tally.overtime_seconds
        overtime = (
            _whole_minutes(off_day_work)
            if off_day_work >= policy.minimum_overtime_minutes * 60
            else 0
        )
        tally.reasons.append(Reason(f"scheduled_on_{day.day_kind.name.lower()}", minutes=overtime))

    approved = _merge(day.approved_overtime)
    presence = tally.presence
    return DailyResult(
        work_date=day.work_date,
        status=status,
        late_minutes=late_minutes,
        early_minutes=early_minutes,
        worked_minutes=worked,
        overtime_minutes=overtime,
        approved_overtime_minutes=_whole_minutes(
            sum((end - start).total_seconds() for start, end in approved)
        ),
        approved_overtime_worked_minutes=_whole_minutes(
            sum(_overlap_seconds(start, end, approved) for start, end in presence)
        ),
        leave_minutes=leave_minutes,
        business_trip_minutes=trip_minutes,
        missing_punches=(
            tally.missing_in + tally.missing_out if status is not DayStatus.ABSENT else 0
        ),
        serious_late=tally.serious_late and status is not DayStatus.ABSENT,
        check_in=tally.check_in,
        check_out=tally.check_out,
        reasons=tuple(tally.reasons),
    )
