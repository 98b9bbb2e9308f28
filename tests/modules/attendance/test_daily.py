"""The daily judgement, table-driven: midnight shifts, holiday-adjusted weekends, leave across
a holiday, half-day leave, late within grace, missing punches, holiday overtime, DST nights,
split shifts and flexible shifts with core hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from taihe.modules.attendance.rules.calendar import DayKind
from taihe.modules.attendance.rules.daily import (
    DailyInput,
    DailyResult,
    DayStatus,
    Punch,
    compute_day,
)
from taihe.modules.attendance.rules.shifts import (
    AnyShift,
    FixedShift,
    FlexibleShift,
    Interval,
    RestDay,
    Segment,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")

OFFICE = FixedShift(
    "office",
    (Segment(time(9), time(18)),),
    late_grace_minutes=5,
    early_leave_grace_minutes=5,
    serious_late_minutes=30,
    absent_if_late_minutes=120,
)
OFFICE_CORE = FixedShift(
    "office_core", (Segment(time(9), time(18)),), core_hours=Segment(time(10), time(16))
)
NIGHT = FixedShift("night", (Segment(time(22), time(6)),), late_grace_minutes=5)
GUARD_DAY = FixedShift("guard_day", (Segment(time(8), time(20)),), late_grace_minutes=5)
SPLIT = FixedShift(
    "evening_opening",
    (Segment(time(9), time(12)), Segment(time(17), time(21))),
    late_grace_minutes=5,
)
FLEX = FlexibleShift("conservator", 480, time(7), time(20), core_hours=Segment(time(10), time(16)))

MONDAY = date(2025, 3, 3)


def at(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    """A local wall time ('2025-03-03 09:00') as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def on(day: date, clock_time: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    """'09:00' on ``day``, or '+06:05' on the next day, as an aware UTC datetime."""
    if clock_time.startswith("+"):
        day, clock_time = day + timedelta(days=1), clock_time[1:]
    return at(f"{day.isoformat()} {clock_time}", zone)


@dataclass
class Case:
    """One row: the day's facts (local times on ``day``) and the expected judgement."""

    shift: AnyShift | None
    punches: tuple[str, ...] = ()
    status: DayStatus = DayStatus.ON_TIME
    late: int = 0
    early: int = 0
    worked: int = 0
    overtime: int = 0
    leave_minutes: int = 0
    missing: int = 0
    day: date = MONDAY
    kind: DayKind = DayKind.WORKDAY
    zone: ZoneInfo = SHANGHAI
    leave: tuple[tuple[str, str], ...] = ()
    trips: tuple[tuple[str, str], ...] = ()
    approved: tuple[tuple[str, str], ...] = ()
    reasons: tuple[str, ...] = field(default_factory=tuple)
    extra: dict[str, object] = field(default_factory=dict)

    def intervals(self, pairs: tuple[tuple[str, str], ...]) -> list[Interval]:
        return [(self.moment(start), self.moment(end)) for start, end in pairs]

    def moment(self, text: str) -> datetime:
        return at(text, self.zone) if "-" in text else on(self.day, text, self.zone)

    def run(self) -> DailyResult:
        return compute_day(
            DailyInput(
                work_date=self.day,
                day_kind=self.kind,
                shift=self.shift,
                punches=[Punch(self.moment(text), source="web") for text in self.punches],
                leave=self.intervals(self.leave),
                business_trips=self.intervals(self.trips),
                approved_overtime=self.intervals(self.approved),
            ),
            self.zone,
        )


CASES = [
    # --- fixed office day, grace, lateness thresholds --------------------------------------
    pytest.param(Case(OFFICE, ("08:58", "18:02"), worked=540), id="on-time"),
    pytest.param(
        Case(OFFICE, ("09:04:59", "18:00"), worked=535, reasons=("late_within_grace",)),
        id="late-within-grace-counts-on-time-zero-minutes",
    ),
    pytest.param(
        Case(OFFICE, ("09:06", "18:00"), DayStatus.LATE, late=6, worked=534, reasons=("late",)),
        id="late-past-grace-counts-all-minutes",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("09:45", "18:00"),
            DayStatus.LATE,
            late=45,
            worked=495,
            reasons=("late", "serious_late"),
            extra={"serious_late": True},
        ),
        id="serious-late",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("11:01", "18:00"),
            DayStatus.ABSENT,
            worked=419,
            reasons=("late_beyond_absence_threshold",),
        ),
        id="late-beyond-absence-threshold",
    ),
    pytest.param(
        Case(OFFICE, ("08:55", "17:56"), worked=536, reasons=("early_within_grace",)),
        id="early-within-grace",
    ),
    pytest.param(
        Case(OFFICE, ("08:55", "17:30"), DayStatus.LEFT_EARLY, early=30, worked=510),
        id="left-early",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("09:10", "17:50"),
            DayStatus.LATE_AND_LEFT_EARLY,
            late=10,
            early=10,
            worked=520,
        ),
        id="late-and-left-early",
    ),
    # --- missing punches and absence --------------------------------------------------------
    pytest.param(
        Case(
            OFFICE,
            ("08:55",),
            DayStatus.MISSING_PUNCH_OUT,
            missing=1,
            reasons=("missing_punch_out",),
            extra={"check_in": "08:55"},
        ),
        id="missing-punch-out",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("18:03",),
            DayStatus.MISSING_PUNCH_IN,
            missing=1,
            reasons=("missing_punch_in",),
            extra={"check_out": "18:03"},
        ),
        id="missing-punch-in",
    ),
    pytest.param(
        Case(OFFICE, ("08:50", "08:55", "09:20"), DayStatus.MISSING_PUNCH_OUT, missing=1),
        id="only-morning-punches-first-is-check-in",
    ),
    pytest.param(Case(OFFICE, (), DayStatus.ABSENT, reasons=("no_punches",)), id="absent"),
    pytest.param(
        Case(OFFICE, ("04:59", "22:00"), DayStatus.ABSENT),
        id="punches-outside-windows-ignored",
    ),
    # --- overtime from punches vs approved overtime -----------------------------------------
    pytest.param(
        Case(OFFICE, ("08:55", "18:45"), worked=540, overtime=45, reasons=("overtime_after_end",)),
        id="overtime-after-end",
    ),
    pytest.param(
        Case(OFFICE, ("08:55", "18:29"), worked=540),
        id="overtime-below-minimum",
    ),
    pytest.param(
        Case(OFFICE, ("07:00", "18:00"), worked=540),
        id="arriving-early-is-not-overtime",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("08:55", "20:10"),
            worked=540,
            overtime=130,
            approved=(("18:00", "20:00"), ("19:00", "21:00")),
            extra={"approved_overtime_minutes": 180, "approved_overtime_worked_minutes": 130},
        ),
        id="approved-overtime-reported-separately",
    ),
    # --- half-day leave and business trips --------------------------------------------------
    pytest.param(
        Case(
            OFFICE,
            ("13:00", "18:00"),
            DayStatus.PARTIAL_LEAVE,
            worked=300,
            leave_minutes=240,
            leave=(("09:00", "13:00"),),
        ),
        id="half-day-leave-morning-arrive-13-on-time",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("13:20", "18:00"),
            DayStatus.LATE,
            late=20,
            worked=280,
            leave_minutes=240,
            leave=(("09:00", "13:00"),),
        ),
        id="half-day-leave-morning-then-late",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("08:57", "13:00"),
            DayStatus.PARTIAL_LEAVE,
            worked=240,
            leave_minutes=300,
            leave=(("13:00", "18:00"),),
        ),
        id="half-day-leave-afternoon",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("08:57", "18:00"),
            DayStatus.PARTIAL_LEAVE,
            worked=420,
            leave_minutes=120,
            leave=(("11:00", "13:00"),),
        ),
        id="hourly-leave-midday-needs-no-punch",
    ),
    pytest.param(
        Case(
            OFFICE,
            (),
            DayStatus.ON_LEAVE,
            leave_minutes=540,
            leave=(("2025-03-03 00:00", "2025-03-04 00:00"),),
            reasons=("segment_excused",),
        ),
        id="full-day-leave",
    ),
    pytest.param(
        Case(
            OFFICE,
            (),
            DayStatus.BUSINESS_TRIP,
            trips=(("2025-03-02 08:00", "2025-03-05 20:00"),),
            extra={"business_trip_minutes": 540},
        ),
        id="business-trip",
    ),
    pytest.param(
        Case(
            OFFICE,
            ("12:00", "18:00"),
            worked=360,
            trips=(("09:00", "12:00"),),
            extra={"business_trip_minutes": 180},
        ),
        id="business-trip-morning-then-office",
    ),
    # --- midnight (night) shifts ------------------------------------------------------------
    pytest.param(
        Case(NIGHT, ("21:55", "+06:05"), worked=480, extra={"check_out": "+06:05"}),
        id="night-check-out-next-morning-belongs-to-this-date",
    ),
    pytest.param(
        Case(
            NIGHT,
            ("2025-03-02 21:57", "06:03", "21:55", "+06:05", "+21:58"),
            worked=480,
            extra={"check_in": "21:55", "check_out": "+06:05"},
        ),
        id="night-ignores-neighbouring-nights-punches",
    ),
    pytest.param(
        Case(NIGHT, ("22:20", "+06:00"), DayStatus.LATE, late=20, worked=460),
        id="night-late",
    ),
    pytest.param(
        Case(NIGHT, ("21:50",), DayStatus.MISSING_PUNCH_OUT, missing=1),
        id="night-missing-punch-out",
    ),
    pytest.param(
        Case(NIGHT, ("21:55", "+07:00"), worked=480, overtime=60),
        id="night-overtime",
    ),
    # --- holiday-adjusted weekends (调休) and holidays: the day kind is passed in ----------
    pytest.param(
        Case(OFFICE, (), DayStatus.ABSENT, day=date(2025, 9, 28)),
        id="adjusted-working-sunday-absent-without-punches",
    ),
    pytest.param(
        Case(OFFICE, ("08:55", "18:00"), worked=540, day=date(2025, 9, 28)),
        id="adjusted-working-sunday-on-time-no-overtime",
    ),
    pytest.param(
        Case(RestDay(), (), DayStatus.REST, day=date(2025, 10, 12), kind=DayKind.REST_DAY),
        id="ordinary-sunday-rest",
    ),
    pytest.param(
        Case(
            None, ("10:00", "10:20"), DayStatus.REST, day=date(2025, 10, 12), kind=DayKind.REST_DAY
        ),
        id="rest-day-short-visit-not-overtime",
    ),
    pytest.param(
        Case(
            None,
            ("09:00", "13:30"),
            DayStatus.REST,
            overtime=270,
            day=date(2025, 10, 12),
            kind=DayKind.REST_DAY,
            reasons=("rest", "worked_off_day"),
        ),
        id="rest-day-work-is-overtime",
    ),
    # --- leave across a holiday: leave 30 Sep – 10 Oct 2025 around National Day ------------
    *[
        pytest.param(
            Case(
                shift,
                (),
                status,
                leave_minutes=minutes,
                day=day,
                kind=kind,
                leave=(("2025-09-30 00:00", "2025-10-11 00:00"),),
            ),
            id=name,
        )
        for name, shift, day, kind, status, minutes in [
            (
                "leave-across-holiday-workday-before",
                OFFICE,
                date(2025, 9, 30),
                DayKind.WORKDAY,
                DayStatus.ON_LEAVE,
                540,
            ),
            (
                "leave-across-holiday-holiday-uses-none",
                None,
                date(2025, 10, 3),
                DayKind.HOLIDAY,
                DayStatus.HOLIDAY,
                0,
            ),
            (
                "leave-across-holiday-workday-after",
                OFFICE,
                date(2025, 10, 9),
                DayKind.WORKDAY,
                DayStatus.ON_LEAVE,
                540,
            ),
            (
                "leave-across-holiday-ends-before-adjusted-saturday",
                OFFICE,
                date(2025, 10, 11),
                DayKind.WORKDAY,
                DayStatus.ABSENT,
                0,
            ),
        ]
    ],
    # --- overtime on a statutory holiday ----------------------------------------------------
    pytest.param(
        Case(
            None,
            ("09:00", "17:00"),
            DayStatus.HOLIDAY,
            overtime=480,
            day=date(2025, 10, 1),
            kind=DayKind.HOLIDAY,
            reasons=("holiday", "worked_off_day"),
        ),
        id="holiday-unscheduled-work-all-overtime",
    ),
    pytest.param(
        Case(
            GUARD_DAY,
            ("07:55", "20:05"),
            worked=720,
            overtime=720,
            day=date(2025, 10, 1),
            kind=DayKind.HOLIDAY,
            reasons=("scheduled_on_holiday",),
        ),
        id="holiday-rostered-guard-all-worked-time-overtime",
    ),
    pytest.param(
        Case(
            GUARD_DAY,
            ("07:55", "20:40"),
            worked=720,
            overtime=760,
            day=date(2025, 10, 1),
            kind=DayKind.HOLIDAY,
        ),
        id="holiday-rostered-guard-stays-late",
    ),
    pytest.param(
        Case(GUARD_DAY, (), DayStatus.ABSENT, day=date(2025, 10, 1), kind=DayKind.HOLIDAY),
        id="holiday-rostered-guard-absent",
    ),
    # --- time zones and DST: London nights over the clock changes ---------------------------
    pytest.param(
        Case(NIGHT, ("21:55", "+06:05"), worked=420, day=date(2025, 3, 29), zone=LONDON),
        id="london-spring-forward-night-7h-on-time",
    ),
    pytest.param(
        Case(NIGHT, ("21:55", "+06:05"), worked=540, day=date(2025, 10, 25), zone=LONDON),
        id="london-fall-back-night-9h-on-time-no-overtime",
    ),
    pytest.param(
        Case(
            NIGHT,
            ("21:55", "+05:00"),
            DayStatus.LEFT_EARLY,
            early=60,
            worked=360,
            day=date(2025, 3, 29),
            zone=LONDON,
        ),
        id="london-spring-forward-leaving-at-5-is-one-hour-early",
    ),
    pytest.param(
        Case(
            NIGHT,
            ("21:55", "+05:00"),
            DayStatus.LEFT_EARLY,
            early=60,
            worked=480,
            day=date(2025, 10, 25),
            zone=LONDON,
        ),
        id="london-fall-back-leaving-at-5-is-one-hour-early",
    ),
    pytest.param(
        Case(NIGHT, ("21:55", "+06:05"), worked=480, day=date(2025, 3, 29)),
        id="shanghai-same-night-8h",
    ),
    pytest.param(
        Case(OFFICE, ("08:59", "18:00"), worked=540, day=date(2025, 7, 1), zone=LONDON),
        id="london-summer-office-day",
    ),
    # --- split shifts -----------------------------------------------------------------------
    pytest.param(
        Case(SPLIT, ("08:55", "12:02", "16:58", "21:01"), worked=420),
        id="split-on-time",
    ),
    pytest.param(
        Case(SPLIT, ("08:55", "12:02", "17:10", "21:00"), DayStatus.LATE, late=10, worked=410),
        id="split-late-second-segment",
    ),
    pytest.param(
        Case(
            SPLIT,
            ("08:55", "12:02"),
            DayStatus.MISSING_PUNCH_IN,
            worked=180,
            missing=2,
            reasons=("no_punches",),
        ),
        id="split-evening-segment-without-punches",
    ),
    pytest.param(
        Case(
            SPLIT,
            ("08:55", "12:00"),
            DayStatus.PARTIAL_LEAVE,
            worked=180,
            leave_minutes=240,
            leave=(("17:00", "21:00"),),
        ),
        id="split-evening-on-leave",
    ),
    pytest.param(
        Case(SPLIT, ("08:55", "14:20", "14:40", "21:00"), worked=420),
        id="split-gap-punches-go-to-nearer-segment",
    ),
    # --- flexible shifts with core hours (10:00–16:00), 8 h in 07:00–20:00 -----------------
    pytest.param(Case(FLEX, ("08:00", "16:00"), worked=480), id="flexible-on-target"),
    pytest.param(
        Case(
            FLEX,
            ("10:30", "18:30"),
            DayStatus.LATE,
            late=30,
            worked=480,
            reasons=("late_for_core_hours",),
        ),
        id="flexible-late-for-core-hours",
    ),
    pytest.param(
        Case(
            FLEX,
            ("07:00", "15:30"),
            DayStatus.LEFT_EARLY,
            early=30,
            worked=510,
            overtime=30,
            reasons=("left_core_hours_early", "overtime_beyond_target"),
        ),
        id="flexible-left-core-hours-early",
    ),
    pytest.param(
        Case(
            FLEX,
            ("09:00", "16:00"),
            DayStatus.LEFT_EARLY,
            early=60,
            worked=420,
            reasons=("short_of_target",),
        ),
        id="flexible-short-of-target",
    ),
    pytest.param(
        Case(
            FLEX,
            ("06:00", "14:00"),
            DayStatus.LEFT_EARLY,
            early=120,
            worked=420,
            reasons=("left_core_hours_early", "short_of_target"),
        ),
        id="flexible-time-before-window-does-not-count",
    ),
    pytest.param(
        Case(FLEX, ("07:30", "17:00"), worked=570, overtime=90),
        id="flexible-overtime",
    ),
    pytest.param(
        Case(FLEX, ("08:00",), DayStatus.MISSING_PUNCH_OUT, missing=1),
        id="flexible-missing-punch-out",
    ),
    pytest.param(
        Case(
            FLEX,
            ("08:00", "12:00"),
            DayStatus.PARTIAL_LEAVE,
            worked=240,
            leave_minutes=240,
            leave=(("12:00", "16:00"),),
        ),
        id="flexible-half-day-leave",
    ),
    pytest.param(Case(FLEX, (), DayStatus.ABSENT), id="flexible-absent"),
    # --- fixed shift with core hours: arrive up to 10:00, stay as much longer ---------------
    pytest.param(
        Case(OFFICE_CORE, ("09:40", "18:40"), worked=540, reasons=("flexible_arrival",)),
        id="core-hours-late-arrival-made-up",
    ),
    pytest.param(
        Case(OFFICE_CORE, ("09:40", "18:00"), DayStatus.LEFT_EARLY, early=40, worked=500),
        id="core-hours-late-arrival-not-made-up",
    ),
    pytest.param(
        Case(OFFICE_CORE, ("10:10", "19:00"), DayStatus.LATE, late=10, worked=530),
        id="core-hours-late-past-core-start",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_compute_day(case: Case) -> None:
    result = case.run()
    assert (
        result.status,
        result.late_minutes,
        result.early_minutes,
        result.worked_minutes,
        result.overtime_minutes,
        result.leave_minutes,
        result.missing_punches,
    ) == (
        case.status,
        case.late,
        case.early,
        case.worked,
        case.overtime,
        case.leave_minutes,
        case.missing,
    )
    codes = result.reason_codes()
    for code in case.reasons:
        assert code in codes
    for name, expected in case.extra.items():
        if name in {"check_in", "check_out"}:
            assert isinstance(expected, str)
            expected = case.moment(expected)
        assert getattr(result, name) == expected


def test_late_within_grace_keeps_evidence_minutes() -> None:
    result = Case(OFFICE, ("09:04:59", "18:00")).run()
    grace = [reason for reason in result.reasons if reason.code == "late_within_grace"]
    assert [(reason.minutes, reason.at) for reason in grace] == [(4, on(MONDAY, "09:04:59"))]


def test_deterministic_whatever_the_punch_order() -> None:
    forwards = Case(SPLIT, ("08:55", "12:02", "17:10", "21:00")).run()
    backwards = Case(SPLIT, ("21:00", "17:10", "12:02", "08:55")).run()
    assert forwards == backwards
