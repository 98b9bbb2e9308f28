"""Shifts, rosters and scheduled intervals: midnight shifts, split shifts, DST nights, swaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from taihe.modules.attendance.rules.shifts import (
    AnyShift,
    FixedShift,
    FlexibleShift,
    RestDay,
    Roster,
    RosterConflict,
    Segment,
    scheduled_intervals,
    swap,
)


def utc(text: str) -> datetime:
    """'2025-03-03 01:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


OFFICE = FixedShift("office", (Segment(time(9), time(18)),), late_grace_minutes=5)
NIGHT = FixedShift("night", (Segment(time(22), time(6)),))
SPLIT = FixedShift("split", (Segment(time(9), time(12)), Segment(time(17), time(21))))
LATE_SPLIT = FixedShift("late_split", (Segment(time(18), time(23)), Segment(time(0, 30), time(3))))
FLEX = FlexibleShift("flex", 480, time(7), time(20), core_hours=Segment(time(10), time(16)))


@pytest.mark.parametrize(
    ("shift", "work_date", "zone", "expected"),
    [
        pytest.param(
            OFFICE,
            date(2025, 3, 3),
            "Asia/Shanghai",
            [("2025-03-03 01:00", "2025-03-03 10:00")],
            id="office-shanghai",
        ),
        pytest.param(
            NIGHT,
            date(2025, 3, 3),
            "Asia/Shanghai",
            [("2025-03-03 14:00", "2025-03-03 22:00")],
            id="night-crosses-midnight",
        ),
        pytest.param(
            SPLIT,
            date(2025, 3, 3),
            "Asia/Shanghai",
            [("2025-03-03 01:00", "2025-03-03 04:00"), ("2025-03-03 09:00", "2025-03-03 13:00")],
            id="split-shift-two-segments",
        ),
        pytest.param(
            LATE_SPLIT,
            date(2025, 3, 3),
            "Asia/Shanghai",
            [("2025-03-03 10:00", "2025-03-03 15:00"), ("2025-03-03 16:30", "2025-03-03 19:00")],
            id="split-second-segment-after-midnight",
        ),
        pytest.param(
            NIGHT,
            date(2025, 3, 29),
            "Europe/London",
            [("2025-03-29 22:00", "2025-03-30 05:00")],
            id="london-spring-forward-night-7h",
        ),
        pytest.param(
            NIGHT,
            date(2025, 10, 25),
            "Europe/London",
            [("2025-10-25 21:00", "2025-10-26 06:00")],
            id="london-fall-back-night-9h",
        ),
        pytest.param(
            NIGHT,
            date(2025, 6, 1),
            "Europe/London",
            [("2025-06-01 21:00", "2025-06-02 05:00")],
            id="london-summer-night-8h",
        ),
        pytest.param(
            NIGHT,
            date(2025, 3, 29),
            "Asia/Shanghai",
            [("2025-03-29 14:00", "2025-03-29 22:00")],
            id="shanghai-no-dst-night-8h",
        ),
        pytest.param(
            FLEX,
            date(2025, 3, 3),
            "Asia/Shanghai",
            [("2025-03-02 23:00", "2025-03-03 12:00")],
            id="flexible-window",
        ),
        pytest.param(RestDay(), date(2025, 3, 3), "Asia/Shanghai", [], id="rest-day"),
        pytest.param(None, date(2025, 3, 3), "Asia/Shanghai", [], id="no-shift"),
    ],
)
def test_scheduled_intervals(
    shift: FixedShift | FlexibleShift | RestDay | None,
    work_date: date,
    zone: str,
    expected: list[tuple[str, str]],
) -> None:
    assert scheduled_intervals(shift, work_date, ZoneInfo(zone)) == [
        (utc(start), utc(end)) for start, end in expected
    ]


def test_scheduled_intervals_accepts_zone_name() -> None:
    assert scheduled_intervals(NIGHT, date(2025, 3, 29), "Europe/London") == scheduled_intervals(
        NIGHT, date(2025, 3, 29), ZoneInfo("Europe/London")
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: FixedShift("x", ()), "at least one segment", id="no-segments"),
        pytest.param(
            lambda: FixedShift("x", (Segment(time(9), time(18)),), late_grace_minutes=-1),
            "negative",
            id="negative-grace",
        ),
        pytest.param(
            lambda: FixedShift("x", SPLIT.segments, core_hours=Segment(time(10), time(11))),
            "single-segment",
            id="core-hours-on-split-shift",
        ),
        pytest.param(
            lambda: FlexibleShift("x", 600, time(9), time(17)),
            "does not fit",
            id="target-longer-than-window",
        ),
        pytest.param(lambda: Roster("a", (), date(2025, 1, 1)), "non-empty", id="empty-cycle"),
    ],
)
def test_invalid_definitions(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


GUARDS = Roster("guard-team-a", ("day", "night", "rest", "rest"), date(2025, 3, 1))


@pytest.mark.parametrize(
    ("roster", "day", "code"),
    [
        pytest.param(GUARDS, date(2025, 3, 1), "day", id="anchor-day"),
        pytest.param(GUARDS, date(2025, 3, 2), "night", id="second-day"),
        pytest.param(GUARDS, date(2025, 3, 4), "rest", id="fourth-day"),
        pytest.param(GUARDS, date(2025, 3, 5), "day", id="cycle-repeats"),
        pytest.param(GUARDS, date(2025, 2, 28), "rest", id="before-anchor"),
        pytest.param(GUARDS, date(2025, 2, 26), "night", id="before-anchor-wraps"),
        pytest.param(
            GUARDS.with_overrides({date(2025, 3, 5): "rest"}),
            date(2025, 3, 5),
            "rest",
            id="grid-override-wins",
        ),
        pytest.param(
            GUARDS.with_overrides({date(2025, 3, 5): "rest"}),
            date(2025, 3, 9),
            "day",
            id="override-is-one-day-only",
        ),
    ],
)
def test_roster_shift_code(roster: Roster, day: date, code: str) -> None:
    assert roster.shift_code(day) == code


def test_roster_copies_overrides() -> None:
    grid = {date(2025, 3, 5): "rest"}
    roster = Roster("p", ("day",), date(2025, 3, 1), grid)
    grid[date(2025, 3, 6)] = "rest"
    assert roster.shift_code(date(2025, 3, 6)) == "day"


SHIFTS: dict[str, AnyShift] = {
    "day": FixedShift("day", (Segment(time(8), time(20)),)),
    "night": FixedShift("night", (Segment(time(20), time(8)),)),
    "early": FixedShift("early", (Segment(time(6), time(14)),)),
    "rest": RestDay(),
}
ALICE = Roster("alice", ("day", "night", "rest", "rest"), date(2025, 3, 1))
BOB = Roster("bob", ("rest", "rest", "day", "night"), date(2025, 3, 1))
CAROL = Roster("carol", ("early",), date(2025, 3, 1))


@pytest.mark.parametrize(
    ("first", "second", "day", "swap_back_day", "expected"),
    [
        pytest.param(
            ALICE,
            BOB,
            date(2025, 3, 1),
            None,
            {date(2025, 3, 1): ("rest", "day")},
            id="day-for-rest",
        ),
        pytest.param(
            ALICE,
            BOB,
            date(2025, 3, 1),
            date(2025, 3, 3),
            {date(2025, 3, 1): ("rest", "day"), date(2025, 3, 3): ("day", "rest")},
            id="swap-and-swap-back",
        ),
    ],
)
def test_swap(
    first: Roster,
    second: Roster,
    day: date,
    swap_back_day: date | None,
    expected: dict[date, tuple[str, str]],
) -> None:
    new_first, new_second = swap(first, second, day, shifts=SHIFTS, swap_back_day=swap_back_day)
    for swapped_day, (code_first, code_second) in expected.items():
        assert new_first.shift_code(swapped_day) == code_first
        assert new_second.shift_code(swapped_day) == code_second
    # The originals are untouched, and other days keep their cycle.
    assert first.shift_code(day) == expected[day][1]
    assert new_first.shift_code(date(2025, 3, 2)) == first.shift_code(date(2025, 3, 2))


@pytest.mark.parametrize(
    ("first", "second", "day", "swap_back_day", "code"),
    [
        pytest.param(ALICE, ALICE, date(2025, 3, 1), None, "same_owner", id="same-owner"),
        pytest.param(
            ALICE,
            BOB,
            date(2025, 3, 1),
            date(2025, 3, 1),
            "swap_back_on_same_day",
            id="swap-back-same-day",
        ),
        pytest.param(
            ALICE,
            Roster("erin", ("day",), date(2025, 3, 1)),
            date(2025, 3, 1),
            None,
            "same_shift",
            id="nothing-to-swap",
        ),
        # Alice works nights on 2 March (20:00–08:00); taking Carol's 06:00 early shift on the
        # 3rd would put her on two shifts at once from 06:00 to 08:00.
        pytest.param(
            ALICE,
            CAROL,
            date(2025, 3, 3),
            None,
            "overlapping_shifts",
            id="two-shifts-at-once-after-night",
        ),
        pytest.param(
            ALICE,
            Roster("dan", ("gala",), date(2025, 3, 1)),
            date(2025, 3, 1),
            None,
            "unknown_shift_code",
            id="unknown-code",
        ),
    ],
)
def test_swap_conflicts(
    first: Roster, second: Roster, day: date, swap_back_day: date | None, code: str
) -> None:
    with pytest.raises(RosterConflict) as raised:
        swap(first, second, day, shifts=SHIFTS, swap_back_day=swap_back_day)
    assert raised.value.code == code
