"""Overtime classes, splitting overtime across midnight, settlement as pay or comp time, and
the monthly cap check.

PRC Labour Law art. 44 sets the minimum pay for work beyond normal hours: (1) extended hours
on a workday at least 150 % of wages; (2) work on a rest day for which no compensatory time
off is arranged at least 200 %; (3) work on a statutory holiday at least 300 %. Art. 41 caps
extended hours at 36 hours a month.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import Enum, StrEnum

from taihe.modules.attendance.rules.calendar import DayKind
from taihe.modules.attendance.rules.shifts import DEFAULT_TIME_ZONE, Interval, resolve_zone

MONTHLY_CAP_MINUTES = 36 * 60
"""PRC Labour Law art. 41: extended working hours may not exceed 36 hours a month."""


class OvertimeClass(StrEnum):
    """Which kind of day the overtime was worked on, deciding its pay rate."""

    WORKDAY = "workday"
    REST_DAY = "rest_day"
    HOLIDAY = "holiday"

    @property
    def pay_rate(self) -> Decimal:
        """The statutory minimum rate (PRC Labour Law art. 44(1)/(2)/(3): 150/200/300 %)."""
        return _PAY_RATES[self]


_PAY_RATES = {
    OvertimeClass.WORKDAY: Decimal("1.5"),
    OvertimeClass.REST_DAY: Decimal("2.0"),
    OvertimeClass.HOLIDAY: Decimal("3.0"),
}


def classify(day_kind: DayKind) -> OvertimeClass:
    """The overtime class of work done on a day of ``day_kind``."""
    return {
        DayKind.WORKDAY: OvertimeClass.WORKDAY,
        DayKind.REST_DAY: OvertimeClass.REST_DAY,
        DayKind.HOLIDAY: OvertimeClass.HOLIDAY,
    }[day_kind]


@dataclass(frozen=True, slots=True)
class OvertimePiece:
    """The part of an overtime interval that falls on one local date."""

    work_date: date
    overtime_class: OvertimeClass
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        """Real elapsed whole minutes (a DST night is as long as it really was)."""
        return int((self.end - self.start).total_seconds() // 60)


def split_by_day(
    intervals: Sequence[Interval],
    time_zone: tzinfo | str = DEFAULT_TIME_ZONE,
    day_kind_of: Callable[[date], DayKind] | None = None,
) -> list[OvertimePiece]:
    """Cut overtime intervals at local midnights, classing each piece by the day it falls on.

    Overtime from 20:00 on the eve of National Day to 02:00 is two pieces: 4 hours of
    workday overtime and 2 hours on the holiday (300 %), since art. 44 pays by the day the
    work is done on. ``day_kind_of`` is normally ``WorkCalendar.kind``; without it every day
    counts as a workday.
    """
    resolved = resolve_zone(time_zone)
    pieces: list[OvertimePiece] = []
    for start, end in sorted(intervals):
        cursor = start
        while cursor < end:
            local_date = cursor.astimezone(resolved).date()
            next_midnight = datetime.combine(
                local_date + timedelta(days=1), time(), tzinfo=resolved
            ).astimezone(UTC)
            piece_end = min(end, next_midnight)
            kind = day_kind_of(local_date) if day_kind_of is not None else DayKind.WORKDAY
            pieces.append(OvertimePiece(local_date, classify(kind), cursor, piece_end))
            cursor = piece_end
    return pieces


class SettlementMode(Enum):
    """How overtime of a class is settled."""

    PAY = "pay"
    COMP_TIME = "comp_time"


@dataclass(frozen=True, slots=True)
class OvertimePolicy:
    """How the museum settles workday and rest-day overtime; holiday overtime is always paid.

    ``rest_day``: art. 44(2) lets rest-day work be compensated with time off instead of
    200 % pay. ``workday``: art. 44(1) names pay only; comp time for workday overtime is an
    employer's choice by agreement, so it is off by default. ``comp_time_ratio``: comp-time
    minutes granted per overtime minute (1 by default).
    """

    workday: SettlementMode = SettlementMode.PAY
    rest_day: SettlementMode = SettlementMode.COMP_TIME
    comp_time_ratio: Decimal = Decimal(1)


DEFAULT_OVERTIME_POLICY = OvertimePolicy()


@dataclass(frozen=True, slots=True)
class Settlement:
    """The outcome for some overtime minutes: paid minutes at a rate, or comp-time minutes."""

    overtime_class: OvertimeClass
    paid_minutes: int
    pay_rate: Decimal
    comp_time_minutes: int

    @property
    def paid_minutes_by_rate(self) -> dict[Decimal, int]:
        """Paid minutes keyed by rate (empty when nothing is paid), for payroll columns."""
        return {self.pay_rate: self.paid_minutes} if self.paid_minutes else {}

    @property
    def weighted_paid_minutes(self) -> Decimal:
        """Paid minutes times the rate: minutes of base wage owed."""
        return self.pay_rate * self.paid_minutes


def settle(
    minutes: int,
    overtime_class: OvertimeClass,
    policy: OvertimePolicy = DEFAULT_OVERTIME_POLICY,
) -> Settlement:
    """Settle ``minutes`` of overtime of a class as pay or comp time per ``policy``.

    Statutory-holiday overtime is always paid at 300 % (art. 44(3) gives no comp-time
    alternative), whatever the policy says about other days.
    """
    if minutes < 0:
        raise ValueError("overtime minutes cannot be negative")
    mode = {
        OvertimeClass.WORKDAY: policy.workday,
        OvertimeClass.REST_DAY: policy.rest_day,
        OvertimeClass.HOLIDAY: SettlementMode.PAY,
    }[overtime_class]
    if mode is SettlementMode.COMP_TIME:
        comp = int(minutes * policy.comp_time_ratio)
        return Settlement(overtime_class, 0, overtime_class.pay_rate, comp)
    return Settlement(overtime_class, minutes, overtime_class.pay_rate, 0)


@dataclass(frozen=True, slots=True)
class CapCheck:
    """Monthly overtime against the cap; ``exceeded`` is the warning flag."""

    counted_minutes: int
    cap_minutes: int
    exceeded: bool


def check_monthly_cap(
    minutes_by_class: dict[OvertimeClass, int],
    cap_minutes: int = MONTHLY_CAP_MINUTES,
    counted_classes: frozenset[OvertimeClass] = frozenset(OvertimeClass),
) -> CapCheck:
    """Whether a person's month of overtime exceeds the cap (art. 41: 36 hours).

    All classes count by default (work on rest days and holidays lengthens working time
    too); ``counted_classes`` narrows that where a local rule counts only workday extensions.
    The result is a warning for managers, not a block: the work has been done.
    """
    counted = sum(
        minutes
        for overtime_class, minutes in minutes_by_class.items()
        if overtime_class in counted_classes
    )
    return CapCheck(counted, cap_minutes, counted > cap_minutes)
