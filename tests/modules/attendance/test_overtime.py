"""Overtime classes and rates (PRC Labour Law art. 44), splitting at midnight (also over DST
nights), settlement as pay or comp time, and the monthly cap (art. 41)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from taihe.modules.attendance.rules.calendar import DayKind
from taihe.modules.attendance.rules.overtime import (
    CapCheck,
    OvertimeClass,
    OvertimePolicy,
    Settlement,
    SettlementMode,
    check_monthly_cap,
    classify,
    settle,
    split_by_day,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")

# 2025 National Day: 1–8 October off; 28 September (Sunday) and 11 October (Saturday) are
# adjusted working days (State Council notice for 2025).
HOLIDAYS = {date(2025, 10, day) for day in range(1, 9)}
ADJUSTED_WORKDAYS = {date(2025, 9, 28), date(2025, 10, 11)}


def day_kind_of(day: date) -> DayKind:
    """A tiny stand-in for ``WorkCalendar.kind`` around National Day 2025."""
    if day in HOLIDAYS:
        return DayKind.HOLIDAY
    if day in ADJUSTED_WORKDAYS or day.weekday() < 5:
        return DayKind.WORKDAY
    return DayKind.REST_DAY


def local(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("day_kind", "overtime_class", "rate"),
    [
        pytest.param(DayKind.WORKDAY, OvertimeClass.WORKDAY, Decimal("1.5"), id="workday-150"),
        pytest.param(DayKind.REST_DAY, OvertimeClass.REST_DAY, Decimal("2.0"), id="rest-day-200"),
        pytest.param(DayKind.HOLIDAY, OvertimeClass.HOLIDAY, Decimal("3.0"), id="holiday-300"),
    ],
)
def test_classify_and_rate(day_kind: DayKind, overtime_class: OvertimeClass, rate: Decimal) -> None:
    assert classify(day_kind) is overtime_class
    assert overtime_class.pay_rate == rate


@pytest.mark.parametrize(
    ("start", "end", "zone", "expected"),
    [
        pytest.param(
            "2025-09-30 20:00",
            "2025-10-01 02:00",
            SHANGHAI,
            [
                (date(2025, 9, 30), OvertimeClass.WORKDAY, 240),
                (date(2025, 10, 1), OvertimeClass.HOLIDAY, 120),
            ],
            id="eve-of-national-day-into-holiday",
        ),
        pytest.param(
            "2025-10-08 18:00",
            "2025-10-09 01:00",
            SHANGHAI,
            [
                (date(2025, 10, 8), OvertimeClass.HOLIDAY, 360),
                (date(2025, 10, 9), OvertimeClass.WORKDAY, 60),
            ],
            id="last-holiday-into-workday",
        ),
        pytest.param(
            "2025-09-27 22:00",
            "2025-09-28 03:00",
            SHANGHAI,
            [
                (date(2025, 9, 27), OvertimeClass.REST_DAY, 120),
                (date(2025, 9, 28), OvertimeClass.WORKDAY, 180),
            ],
            id="saturday-into-adjusted-working-sunday",
        ),
        pytest.param(
            "2025-10-02 09:00",
            "2025-10-02 17:00",
            SHANGHAI,
            [(date(2025, 10, 2), OvertimeClass.HOLIDAY, 480)],
            id="holiday-within-one-day",
        ),
        pytest.param(
            "2025-10-03 20:00",
            "2025-10-05 04:00",
            SHANGHAI,
            [
                (date(2025, 10, 3), OvertimeClass.HOLIDAY, 240),
                (date(2025, 10, 4), OvertimeClass.HOLIDAY, 1440),
                (date(2025, 10, 5), OvertimeClass.HOLIDAY, 240),
            ],
            id="over-two-midnights",
        ),
        pytest.param(
            "2025-03-29 22:00",
            "2025-03-30 06:00",
            LONDON,
            [
                (date(2025, 3, 29), OvertimeClass.REST_DAY, 120),
                (date(2025, 3, 30), OvertimeClass.REST_DAY, 300),
            ],
            id="london-spring-forward-night-loses-no-real-hour",
        ),
        pytest.param(
            "2025-10-25 22:00",
            "2025-10-26 06:00",
            LONDON,
            [
                (date(2025, 10, 25), OvertimeClass.REST_DAY, 120),
                (date(2025, 10, 26), OvertimeClass.REST_DAY, 420),
            ],
            id="london-fall-back-night-counts-the-extra-hour-once",
        ),
    ],
)
def test_split_by_day(
    start: str, end: str, zone: ZoneInfo, expected: list[tuple[date, OvertimeClass, int]]
) -> None:
    pieces = split_by_day([(local(start, zone), local(end, zone))], zone, day_kind_of)
    assert [(piece.work_date, piece.overtime_class, piece.minutes) for piece in pieces] == expected
    # The pieces tile the interval exactly: no gap, no overlap.
    assert pieces[0].start == local(start, zone)
    assert pieces[-1].end == local(end, zone)
    assert all(a.end == b.start for a, b in pairwise(pieces))


def test_split_by_day_without_calendar_counts_workdays() -> None:
    pieces = split_by_day([(local("2025-10-01 09:00"), local("2025-10-01 10:00"))], "Asia/Shanghai")
    assert [(piece.overtime_class, piece.minutes) for piece in pieces] == [
        (OvertimeClass.WORKDAY, 60)
    ]


COMP_EVERYTHING = OvertimePolicy(
    workday=SettlementMode.COMP_TIME, rest_day=SettlementMode.COMP_TIME
)
PAY_EVERYTHING = OvertimePolicy(workday=SettlementMode.PAY, rest_day=SettlementMode.PAY)


@pytest.mark.parametrize(
    ("minutes", "overtime_class", "policy", "expected"),
    [
        pytest.param(
            120,
            OvertimeClass.WORKDAY,
            OvertimePolicy(),
            Settlement(OvertimeClass.WORKDAY, 120, Decimal("1.5"), 0),
            id="workday-paid-by-default",
        ),
        pytest.param(
            480,
            OvertimeClass.REST_DAY,
            OvertimePolicy(),
            Settlement(OvertimeClass.REST_DAY, 0, Decimal("2.0"), 480),
            id="rest-day-comp-time-by-default",
        ),
        pytest.param(
            480,
            OvertimeClass.REST_DAY,
            PAY_EVERYTHING,
            Settlement(OvertimeClass.REST_DAY, 480, Decimal("2.0"), 0),
            id="rest-day-paid",
        ),
        pytest.param(
            480,
            OvertimeClass.HOLIDAY,
            OvertimePolicy(),
            Settlement(OvertimeClass.HOLIDAY, 480, Decimal("3.0"), 0),
            id="statutory-holiday-paid-300",
        ),
        pytest.param(
            480,
            OvertimeClass.HOLIDAY,
            COMP_EVERYTHING,
            Settlement(OvertimeClass.HOLIDAY, 480, Decimal("3.0"), 0),
            id="statutory-holiday-never-comp-time",
        ),
        pytest.param(
            90,
            OvertimeClass.WORKDAY,
            COMP_EVERYTHING,
            Settlement(OvertimeClass.WORKDAY, 0, Decimal("1.5"), 90),
            id="workday-comp-by-policy",
        ),
        pytest.param(
            90,
            OvertimeClass.REST_DAY,
            OvertimePolicy(rest_day=SettlementMode.COMP_TIME, comp_time_ratio=Decimal("1.5")),
            Settlement(OvertimeClass.REST_DAY, 0, Decimal("2.0"), 135),
            id="comp-time-ratio",
        ),
        pytest.param(
            0,
            OvertimeClass.HOLIDAY,
            OvertimePolicy(),
            Settlement(OvertimeClass.HOLIDAY, 0, Decimal("3.0"), 0),
            id="nothing",
        ),
    ],
)
def test_settle(
    minutes: int, overtime_class: OvertimeClass, policy: OvertimePolicy, expected: Settlement
) -> None:
    assert settle(minutes, overtime_class, policy) == expected


def test_settle_holiday_weighted_pay() -> None:
    settlement = settle(480, OvertimeClass.HOLIDAY)
    assert settlement.weighted_paid_minutes == Decimal("1440.0")
    assert settlement.paid_minutes_by_rate == {Decimal("3.0"): 480}
    assert settle(60, OvertimeClass.REST_DAY).paid_minutes_by_rate == {}


def test_settle_rejects_negative_minutes() -> None:
    with pytest.raises(ValueError, match="negative"):
        settle(-1, OvertimeClass.WORKDAY)


@pytest.mark.parametrize(
    ("minutes_by_class", "counted_classes", "expected"),
    [
        pytest.param(
            {OvertimeClass.WORKDAY: 36 * 60},
            None,
            CapCheck(2160, 2160, False),
            id="exactly-36-hours-allowed",
        ),
        pytest.param(
            {OvertimeClass.WORKDAY: 36 * 60 + 1},
            None,
            CapCheck(2161, 2160, True),
            id="one-minute-over",
        ),
        pytest.param(
            {OvertimeClass.WORKDAY: 1200, OvertimeClass.REST_DAY: 600, OvertimeClass.HOLIDAY: 480},
            None,
            CapCheck(2280, 2160, True),
            id="all-classes-count-by-default",
        ),
        pytest.param(
            {OvertimeClass.WORKDAY: 1200, OvertimeClass.REST_DAY: 600, OvertimeClass.HOLIDAY: 480},
            frozenset({OvertimeClass.WORKDAY}),
            CapCheck(1200, 2160, False),
            id="workday-extensions-only",
        ),
        pytest.param({}, None, CapCheck(0, 2160, False), id="no-overtime"),
    ],
)
def test_monthly_cap(
    minutes_by_class: dict[OvertimeClass, int],
    counted_classes: frozenset[OvertimeClass] | None,
    expected: CapCheck,
) -> None:
    if counted_classes is None:
        assert check_monthly_cap(minutes_by_class) == expected
    else:
        assert check_monthly_cap(minutes_by_class, counted_classes=counted_classes) == expected
