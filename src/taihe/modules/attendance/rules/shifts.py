"""Shift types, rotating rosters and the UTC intervals a shift covers on a working date.

A shift is a plan in local wall-clock time (what the museum's rota says: "22:00–06:00");
punches are instants in UTC. ``scheduled_intervals`` is the one place the two meet: it turns
a shift on a local working date into aware UTC intervals through ``zoneinfo``, so a night shift
over a daylight-saving change is exactly as long as the clock on the wall says it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from types import MappingProxyType
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
"""A half-open span ``[start, end)`` of aware datetimes."""

DEFAULT_TIME_ZONE = "Asia/Shanghai"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for ``name``, cached so callers computing many days pay for it once."""
    return ZoneInfo(name)


def resolve_zone(time_zone: tzinfo | str) -> tzinfo:
    """Accept either a zone name or a ready ``tzinfo`` (services hold names, tests hold zones)."""
    return zone(time_zone) if isinstance(time_zone, str) else time_zone


def _minutes(start: time, end: time) -> int:
    """Wall-clock minutes from ``start`` to ``end``, wrapping past midnight when end <= start."""
    start_minutes = start.hour * 60 + start.minute
    end_minutes = end.hour * 60 + end.minute
    if end_minutes <= start_minutes:
        end_minutes += 24 * 60
    return end_minutes - start_minutes


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of a shift in local time; ``end <= start`` means it ends the next day."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        """Whether the segment ends on the day after it starts (22:00–06:00 for night guards)."""
        return self.end <= self.start

    @property
    def wall_minutes(self) -> int:
        """Planned length by the wall clock; the real length may differ on a DST night."""
        return _minutes(self.start, self.end)


@runtime_checkable
class Shift(Protocol):
    """What every shift type offers: a code (as rosters name it) and whether it is work."""

    @property
    def code(self) -> str: ...

    @property
    def is_working(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class FixedShift:
    """Fixed start and end times, in one segment or several (split shifts).

    ``late_grace_minutes``/``early_leave_grace_minutes``: lateness or early leave up to this
    many minutes counts as on time. ``serious_late_minutes``: lateness from this many minutes
    on is flagged as serious (DingTalk's 严重迟到). ``absent_if_late_minutes``: lateness beyond
    this makes the day absent (旷工). ``core_hours``: when set, the person may arrive as late
    as the core start without being late, and must then stay correspondingly longer so the
    shift keeps its length (flexible arrival around fixed core hours, 弹性上下班).
    """

    code: str
    segments: tuple[Segment, ...]
    late_grace_minutes: int = 0
    early_leave_grace_minutes: int = 0
    serious_late_minutes: int | None = None
    absent_if_late_minutes: int | None = None
    core_hours: Segment | None = None

    def __post_init__(self) -> None:
        if not self.segments:
            raise ValueError("a fixed shift needs at least one segment")
        if self.late_grace_minutes < 0 or self.early_leave_grace_minutes < 0:
            raise ValueError("grace minutes cannot be negative")
        if self.core_hours is not None and len(self.segments) != 1:
            # Flexible arrival shifts the end of the one segment; with several segments it
            # would be ambiguous which one moves.
            raise ValueError("core hours are supported on single-segment shifts only")

    @property
    def is_working(self) -> bool:
        """A fixed shift is always a working shift."""
        return True

    @property
    def planned_minutes(self) -> int:
        """Total wall-clock minutes of all segments."""
        return sum(segment.wall_minutes for segment in self.segments)


@dataclass(frozen=True, slots=True)
class FlexibleShift:
    """Flexible hours: work ``target_minutes`` anywhere between ``earliest_start`` and
    ``latest_end`` (the window may cross midnight), covering ``core_hours`` when set."""

    code: str
    target_minutes: int
    earliest_start: time
    latest_end: time
    core_hours: Segment | None = None

    def __post_init__(self) -> None:
        if self.target_minutes <= 0:
            raise ValueError("a flexible shift needs a positive daily target")
        if self.target_minutes > _minutes(self.earliest_start, self.latest_end):
            raise ValueError("the daily target does not fit in the window")

    @property
    def is_working(self) -> bool:
        """A flexible shift is always a working shift."""
        return True

    @property
    def window(self) -> Segment:
        """The window in which work counts, as a segment."""
        return Segment(self.earliest_start, self.latest_end)


@dataclass(frozen=True, slots=True)
class RestDay:
    """A roster day off."""

    code: str = "rest"

    @property
    def is_working(self) -> bool:
        """A rest day is never a working shift."""
        return False


AnyShift = FixedShift | FlexibleShift | RestDay


def _local_to_utc(day: date, at: time, time_zone: tzinfo) -> datetime:
    """Local wall time on ``day`` as an aware UTC datetime.

    zoneinfo resolves the two DST edge cases deterministically: a wall time that does not
    exist (spring forward) is read with the offset before the change, and one that occurs
    twice (fall back) is the first occurrence (fold=0).
    """
    return datetime.combine(day, at, tzinfo=time_zone).astimezone(UTC)


def _segment_dates(segments: tuple[Segment, ...], work_date: date) -> list[tuple[date, date]]:
    """Local start and end dates of each segment, in order.

    Segments are listed in the order they are worked; a segment starting earlier in the day
    than the previous one ended starts on the following day (18:00–23:00 then 00:30–03:00).
    """
    dates: list[tuple[date, date]] = []
    offset_days = 0
    previous_end_minutes: int | None = None
    for segment in segments:
        start_minutes = segment.start.hour * 60 + segment.start.minute
        if previous_end_minutes is not None and start_minutes < previous_end_minutes:
            offset_days += 1
        start_date = work_date + timedelta(days=offset_days)
        if segment.crosses_midnight:
            offset_days += 1
        end_date = work_date + timedelta(days=offset_days)
        previous_end_minutes = segment.end.hour * 60 + segment.end.minute
        dates.append((start_date, end_date))
    return dates


@lru_cache(maxsize=65536)
def _cached_intervals(
    segments: tuple[Segment, ...], work_date: date, time_zone: tzinfo
) -> tuple[Interval, ...]:
    return tuple(
        (
            _local_to_utc(start_date, segment.start, time_zone),
            _local_to_utc(end_date, segment.end, time_zone),
        )
        for segment, (start_date, end_date) in zip(
            segments, _segment_dates(segments, work_date), strict=True
        )
    )


def segment_intervals(
    segments: tuple[Segment, ...], work_date: date, time_zone: tzinfo | str
) -> list[Interval]:
    """UTC intervals of local ``segments`` worked on the local ``work_date`` (cached)."""
    return list(_cached_intervals(segments, work_date, resolve_zone(time_zone)))


def scheduled_intervals(
    shift: AnyShift | None, work_date: date, time_zone: tzinfo | str = DEFAULT_TIME_ZONE
) -> list[Interval]:
    """The shift's segments on the local ``work_date`` as aware UTC ``(start, end)`` pairs.

    A fixed shift gives its segments; a flexible shift gives its window (when work may be
    done); a rest day or no shift gives nothing. A segment ending before it starts ends the
    next day, and lengths follow the real clock (a 22:00–06:00 night in London is 7 hours
    when the clocks go forward and 9 when they go back).
    """
    if isinstance(shift, FixedShift):
        return segment_intervals(shift.segments, work_date, time_zone)
    if isinstance(shift, FlexibleShift):
        return segment_intervals((shift.window,), work_date, time_zone)
    return []


class RosterConflict(ValueError):
    """A roster change that cannot be made; ``code`` says why (machine-readable)."""

    def __init__(self, code: str, day: date | None = None) -> None:
        super().__init__(code if day is None else f"{code}: {day.isoformat()}")
        self.code = code
        self.day = day


@dataclass(frozen=True)
class Roster:
    """A rotating cycle of shift codes anchored on a date, with per-day overrides.

    ``cycle`` repeats from ``anchor`` (the date that takes ``cycle[0]``), forwards and
    backwards; ``overrides`` are the explicit cells of the monthly roster grid and win over
    the cycle. ``owner`` names the person or team the roster belongs to.
    """

    owner: str
    cycle: tuple[str, ...]
    anchor: date
    overrides: Mapping[date, str] = field(default_factory=dict, hash=False, compare=True)

    def __post_init__(self) -> None:
        if not self.cycle:
            raise ValueError("a roster needs a non-empty cycle")
        # Freeze a private copy so the roster stays immutable even if the caller's dict changes.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def shift_code(self, day: date) -> str:
        """The shift code on ``day``: the grid override if any, else the cycle position."""
        override = self.overrides.get(day)
        if override is not None:
            return override
        return self.cycle[(day - self.anchor).days % len(self.cycle)]

    def with_overrides(self, changes: Mapping[date, str]) -> Roster:
        """A copy with ``changes`` laid over the existing overrides (the roster grid edit)."""
        merged = dict(self.overrides)
        merged.update(changes)
        return Roster(self.owner, self.cycle, self.anchor, merged)


def _overlaps(first: list[Interval], second: list[Interval]) -> bool:
    return any(
        a_start < b_end and b_start < a_end for a_start, a_end in first for b_start, b_end in second
    )


def _check_no_double_booking(
    roster: Roster,
    day: date,
    shifts: Mapping[str, AnyShift],
    time_zone: tzinfo,
) -> None:
    """Raise if ``roster``'s shift on ``day`` overlaps its shift on the day before or after.

    Each date has one code, so "two shifts in one day" happens when a swapped-in shift runs
    into a neighbouring one: a day shift at 06:00 right after a night shift ending 08:00.
    """

    def intervals(on: date) -> list[Interval]:
        code = roster.shift_code(on)
        if code not in shifts:
            raise RosterConflict("unknown_shift_code", on)
        return scheduled_intervals(shifts[code], on, time_zone)

    own = intervals(day)
    for neighbour in (day - timedelta(days=1), day + timedelta(days=1)):
        if _overlaps(own, intervals(neighbour)):
            raise RosterConflict("overlapping_shifts", day)


def swap(
    roster_a: Roster,
    roster_b: Roster,
    day: date,
    *,
    shifts: Mapping[str, AnyShift],
    swap_back_day: date | None = None,
    time_zone: tzinfo | str = DEFAULT_TIME_ZONE,
) -> tuple[Roster, Roster]:
    """Both rosters with their shifts on ``day`` exchanged (and back on ``swap_back_day``).

    Checked: the two rosters belong to different owners, the exchange changes something, the
    swap-back day is another day, every code is a known shift, and neither person ends up with
    shifts overlapping a neighbouring day's. Raises ``RosterConflict`` with a code otherwise.
    """
    if roster_a.owner == roster_b.owner:
        raise RosterConflict("same_owner")
    if swap_back_day == day:
        raise RosterConflict("swap_back_on_same_day", day)
    days = [day] if swap_back_day is None else [day, swap_back_day]
    changes_a: dict[date, str] = {}
    changes_b: dict[date, str] = {}
    for swapped_day in days:
        code_a, code_b = roster_a.shift_code(swapped_day), roster_b.shift_code(swapped_day)
        if code_a == code_b:
            raise RosterConflict("same_shift", swapped_day)
        changes_a[swapped_day], changes_b[swapped_day] = code_b, code_a
    new_a, new_b = roster_a.with_overrides(changes_a), roster_b.with_overrides(changes_b)
    resolved = resolve_zone(time_zone)
    for roster in (new_a, new_b):
        for swapped_day in days:
            _check_no_double_booking(roster, swapped_day, shifts, resolved)
    return new_a, new_b
