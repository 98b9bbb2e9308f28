"""Judging stored facts into day results: ``computing.recompute`` over the database.

The pure rules are tested in test_daily.py; these tests check what the bulk path feeds them
(shifts from groups, rosters and cells, day kinds, leave and trip intervals, approved
overtime, punches around midnight) and what it stores (one row per person and day, in UTC,
corrections for closed months). The clock is frozen at Friday 20 November 2026, 20:00 in
Shanghai.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from taihe.modules.attendance import services
from taihe.modules.attendance.computing import first_open_month, recompute
from taihe.modules.attendance.models import (
    Absence,
    CalendarDay,
    Correction,
    DayResult,
    Group,
    LeaveType,
    Month,
    Overtime,
    RosterCell,
    Shift,
)
from tests.modules.attendance.conftest import FROZEN_NOW, local

MONDAY = date(2026, 11, 2)
TUESDAY = date(2026, 11, 3)
WEDNESDAY = date(2026, 11, 4)
SATURDAY = date(2026, 11, 7)
REQUEST_IDS = count(9000)


def approved_absence(person: Any, start: date, end: date, *, leave: str | None = "annual",
                     start_half: str = "", end_half: str = "") -> Absence:
    """An approved leave (or a trip when ``leave`` is None) as the approvals mirror it."""
    number = next(REQUEST_IDS)
    return Absence.objects.create(
        person=person, kind=Absence.Kind.LEAVE if leave else Absence.Kind.TRIP,
        leave_type=LeaveType.objects.get(code=leave) if leave else None, start=start, end=end,
        start_half=start_half, end_half=end_half, status=Absence.Status.APPROVED,
        request_id=number, request_number=f"R{number}")


def approved_overtime(person: Any, day: date, start: datetime, end: datetime,
                      compensation: str = "pay") -> Overtime:
    number = next(REQUEST_IDS)
    return Overtime.objects.create(person=person, work_date=day, start=start, end=end,
                                   compensation=compensation, status=Overtime.Status.APPROVED,
                                   request_id=number, request_number=f"R{number}")


def national(day: date, kind: str = CalendarDay.Kind.HOLIDAY, name: str = "Test day") -> None:
    CalendarDay.objects.create(calendar=None, date=day, kind=kind, name=name)


def result(person: Any, day: date) -> DayResult:
    return DayResult.objects.get(person=person, date=day)


def figures(row: DayResult) -> tuple[Any, ...]:
    return (row.status, row.late_minutes, row.early_minutes, row.worked_minutes,
            row.missing_punches)


# --- Fixed shift ------------------------------------------------------------------------


@pytest.mark.parametrize(("punches", "expected", "codes"), [
    pytest.param([(8, 55), (17, 35)], ("on_time", 0, 0, 510, 0), [], id="on time"),
    pytest.param([(9, 5), (17, 30)], ("on_time", 0, 0, 505, 0), ["late_within_grace"],
                 id="late within grace"),
    pytest.param([(9, 12), (17, 40)], ("late", 12, 0, 498, 0), ["late"], id="late"),
    pytest.param([(8, 50), (17, 0)], ("left_early", 0, 30, 480, 0), ["left_early"],
                 id="left early"),
    pytest.param([(9, 20), (17, 0)], ("late_and_left_early", 20, 30, 460, 0),
                 ["late", "left_early"], id="late and left early"),
    pytest.param([], ("absent", 0, 0, 0, 0), ["no_punches"], id="absent"),
    pytest.param([(8, 55)], ("missing_punch_out", 0, 0, 0, 1), ["missing_punch_out"],
                 id="missing punch out"),
    pytest.param([(17, 35)], ("missing_punch_in", 0, 0, 0, 1), ["missing_punch_in"],
                 id="missing punch in"),
])
def test_fixed_shift_day(member: Any, office: Group, join: Any, punch_at: Any, clock: Any,
                         punches: list[tuple[int, int]], expected: tuple[Any, ...],
                         codes: list[str]) -> None:
    # Given a member of the office group (09:00-17:30, 5 minutes' grace) and Monday's punches
    join(member, office)
    for hour, minute in punches:
        punch_at(member, local(MONDAY, hour, minute))
    # When Monday is judged
    written = recompute([member.pk], MONDAY, MONDAY)
    # Then one row holds the verdict with its evidence
    row = result(member, MONDAY)
    assert written == 1
    assert figures(row) == expected
    assert [reason["code"] for reason in row.reasons] == codes
    assert (row.day_kind, row.shift_code, row.group_id) == ("workday", "day", office.pk)
    assert row.department_id == member.department_id


def test_weekend_without_punches_is_rest(member: Any, office: Group, join: Any,
                                         clock: Any) -> None:
    join(member, office)
    recompute([member.pk], SATURDAY, SATURDAY)
    row = result(member, SATURDAY)
    assert (row.status, row.day_kind, row.shift_code, row.overtime_minutes) == \
        ("rest", "rest_day", "rest", 0)


# --- Time zone ------------------------------------------------------------------------------


def test_days_are_judged_in_shanghai_and_stored_in_utc(member: Any, office: Group, join: Any,
                                                       punch_at: Any, clock: Any) -> None:
    # Given punches stored in UTC: 23:50 UTC on Sunday is 07:50 on Monday in Shanghai,
    # 01:10 UTC on Monday is 09:10 there
    join(member, office)
    punch_at(member, datetime(2026, 11, 1, 23, 50, tzinfo=UTC))
    punch_at(member, datetime(2026, 11, 2, 9, 35, tzinfo=UTC))
    # When Sunday and Monday are judged
    recompute([member.pk], date(2026, 11, 1), MONDAY)
    # Then the early punch is Monday's check-in, not a Sunday punch
    sunday = result(member, date(2026, 11, 1))
    monday = result(member, MONDAY)
    assert (sunday.status, sunday.reasons) == ("rest", [{"code": "rest"}])
    assert figures(monday) == ("on_time", 0, 0, 510, 0)
    assert monday.check_in == local(MONDAY, 7, 50)
    assert monday.check_out == local(MONDAY, 17, 35)
    assert monday.check_in.utcoffset() == timedelta(0)
    assert monday.check_in.hour == 23  # stored as 23:50 UTC


def test_late_by_shanghai_time(member: Any, office: Group, join: Any, punch_at: Any,
                               clock: Any) -> None:
    join(member, office)
    punch_at(member, datetime(2026, 11, 2, 1, 10, tzinfo=UTC))  # 09:10 in Shanghai
    punch_at(member, datetime(2026, 11, 2, 9, 31, tzinfo=UTC))  # 17:31
    recompute([member.pk], MONDAY, MONDAY)
    assert figures(result(member, MONDAY)) == ("late", 10, 0, 500, 0)


# --- Night shift --------------------------------------------------------------------------


@pytest.fixture
def guards(db: Any, night_shift: Shift) -> Group:
    from taihe.modules.attendance.models import Calendar

    every_day = Calendar.objects.create(name="Every day", rest_weekdays=[])
    return Group.objects.create(name="Night guards", calendar=every_day, shift=night_shift)


def test_night_shift_punches_belong_to_the_evening_they_start(
        member: Any, guards: Group, office_calendar: Any, join: Any, punch_at: Any,
        clock: Any) -> None:
    # Given a night guard (20:00-08:00) who works Monday night and Tuesday night
    join(member, guards)
    for day, hour, minute in ((MONDAY, 19, 55), (TUESDAY, 8, 5), (TUESDAY, 20, 10),
                              (WEDNESDAY, 8, 0)):
        punch_at(member, local(day, hour, minute))
    # When Monday and Tuesday are judged
    recompute([member.pk], MONDAY, TUESDAY)
    # Then Tuesday morning's punch closes Monday's shift, Tuesday's shift starts at 20:10
    monday, tuesday = result(member, MONDAY), result(member, TUESDAY)
    assert figures(monday) == ("on_time", 0, 0, 720, 0)
    assert (monday.check_in, monday.check_out) == (local(MONDAY, 19, 55),
                                                   local(TUESDAY, 8, 5))
    assert figures(tuesday) == ("late", 10, 0, 710, 0)
    assert (tuesday.check_in, tuesday.check_out) == (local(TUESDAY, 20, 10),
                                                     local(WEDNESDAY, 8, 0))


def test_night_shift_without_its_morning_punch(member: Any, guards: Group,
                                               office_calendar: Any, join: Any,
                                               punch_at: Any, clock: Any) -> None:
    join(member, guards)
    punch_at(member, local(MONDAY, 19, 58))
    recompute([member.pk], MONDAY, TUESDAY)
    assert figures(result(member, MONDAY)) == ("missing_punch_out", 0, 0, 0, 1)
    assert figures(result(member, TUESDAY)) == ("absent", 0, 0, 0, 0)


# --- Rosters ----------------------------------------------------------------------------------


@pytest.fixture
def rota(office_calendar: Any, day_shift: Shift, night_shift: Shift) -> Group:
    """Day, day, night, rest from Monday 2 November, on the office calendar (which a roster
    follows only for statutory holidays)."""
    return Group.objects.create(name="Security", calendar=office_calendar,
                                schedule=Group.Schedule.ROSTER,
                                cycle=["day", "day", "night", "rest"], cycle_anchor=MONDAY)


def test_roster_cycle_with_offsets_and_cells(member: Any, hr_person: Any, rota: Group,
                                             join: Any, clock: Any) -> None:
    # Given two guards a day apart on the cycle, and two roster-grid cells
    join(member, rota, offset=0)
    join(hr_person, rota, offset=1)
    RosterCell.objects.create(person=member, date=date(2026, 11, 5), shift_code="day")
    RosterCell.objects.create(person=hr_person, date=date(2026, 11, 6), shift_code="rest")
    # When their first week is judged
    recompute([member.pk, hr_person.pk], MONDAY, date(2026, 11, 8))
    # Then each day follows the cycle at the guard's offset, cells win, weekends included
    rows = DayResult.objects.filter(date__range=(MONDAY, date(2026, 11, 8)))
    plan = {(row.person_id, row.date.day): (row.shift_code, row.day_kind, row.status)
            for row in rows}
    assert [plan[(member.pk, day)] for day in range(2, 9)] == [
        ("day", "workday", "absent"), ("day", "workday", "absent"),
        ("night", "workday", "absent"), ("day", "workday", "absent"),
        ("day", "workday", "absent"), ("day", "workday", "absent"),
        ("night", "workday", "absent")]
    assert [plan[(hr_person.pk, day)] for day in range(2, 9)] == [
        ("day", "workday", "absent"), ("night", "workday", "absent"),
        ("rest", "rest_day", "rest"), ("day", "workday", "absent"),
        ("rest", "rest_day", "rest"), ("night", "workday", "absent"),
        ("rest", "rest_day", "rest")]


@pytest.mark.parametrize("basis", ["punches", "approval"])
def test_statutory_holiday_on_a_rostered_day_is_holiday_overtime(
        member: Any, rota: Group, join: Any, punch_at: Any, clock: Any, basis: str) -> None:
    # Given a guard rostered on day shift on a statutory holiday (Tuesday 10 November here)
    Group.objects.filter(pk=rota.pk).update(overtime_basis=basis,
                                            rest_day_overtime="comp_time",
                                            workday_overtime="comp_time")
    national(date(2026, 11, 10))
    join(member, rota)
    punch_at(member, local(date(2026, 11, 10), 8, 55))
    punch_at(member, local(date(2026, 11, 10), 17, 35))
    # When the day is judged
    recompute([member.pk], date(2026, 11, 10), date(2026, 11, 10))
    # Then the whole rostered shift is holiday overtime, always paid (Labour Law art. 44(3)),
    # whether the group counts overtime from punches or from approvals: the roster itself
    # arranged the work
    row = result(member, date(2026, 11, 10))
    assert (row.shift_code, row.day_kind, row.status) == ("day", "holiday", "on_time")
    assert (row.overtime_minutes, row.overtime_class, row.overtime_settlement) == \
        (510, "holiday", "pay")


def test_rostered_rest_day_work_follows_the_rest_day_policy(member: Any, rota: Group,
                                                            join: Any, punch_at: Any,
                                                            clock: Any) -> None:
    Group.objects.filter(pk=rota.pk).update(overtime_basis="punches")
    join(member, rota)
    thursday = date(2026, 11, 5)  # the member's rest day on the cycle
    punch_at(member, local(thursday, 10, 0))
    punch_at(member, local(thursday, 14, 0))
    recompute([member.pk], thursday, thursday)
    row = result(member, thursday)
    assert (row.status, row.day_kind, row.overtime_minutes, row.overtime_class,
            row.overtime_settlement) == ("rest", "rest_day", 240, "rest_day", "comp_time")


# --- Flexible shift ---------------------------------------------------------------------------


@pytest.fixture
def flexible(office_calendar: Any) -> Group:
    from datetime import time

    shift = Shift.objects.create(code="flex", name="Flexible", kind=Shift.Kind.FLEXIBLE,
                                 target_minutes=480, earliest_start=time(7),
                                 latest_end=time(20), core_start=time(10),
                                 core_end=time(15))
    return Group.objects.create(name="Conservators", calendar=office_calendar, shift=shift)


@pytest.mark.parametrize(("punches", "expected"), [
    pytest.param([(8, 0), (16, 0)], ("on_time", 0, 0, 480, 0), id="target met"),
    pytest.param([(10, 30), (18, 30)], ("late", 30, 0, 480, 0), id="late for core hours"),
    pytest.param([(8, 0), (15, 0)], ("left_early", 0, 60, 420, 0), id="short of target"),
    pytest.param([(9, 0)], ("missing_punch_out", 0, 0, 0, 1), id="one punch"),
    pytest.param([], ("absent", 0, 0, 0, 0), id="absent"),
])
def test_flexible_shift(member: Any, flexible: Group, join: Any, punch_at: Any, clock: Any,
                        punches: list[tuple[int, int]], expected: tuple[Any, ...]) -> None:
    join(member, flexible)
    for hour, minute in punches:
        punch_at(member, local(MONDAY, hour, minute))
    recompute([member.pk], MONDAY, MONDAY)
    row = result(member, MONDAY)
    assert figures(row) == expected
    assert row.shift_code == "flex"


# --- Leave and trips ------------------------------------------------------------------------


@pytest.mark.parametrize(("halves", "punches", "expected"), [
    pytest.param({"start_half": "pm"}, [(8, 58), (13, 15)],
                 ("partial_leave", 0, 0, 255, 0), id="afternoon off, morning worked"),
    pytest.param({"start_half": "pm"}, [(8, 58), (12, 45)],
                 ("left_early", 0, 30, 225, 0), id="afternoon off, left before 13:15"),
    pytest.param({"end_half": "am"}, [(13, 20), (17, 31)],
                 ("partial_leave", 0, 0, 250, 0), id="morning off, within grace"),
    pytest.param({"end_half": "am"}, [(13, 30), (17, 31)],
                 ("late", 15, 0, 240, 0), id="morning off, late after 13:15"),
    pytest.param({"end_half": "am"}, [], ("absent", 0, 0, 0, 0),
                 id="morning off, afternoon absent"),
])
def test_half_day_leave_on_a_one_segment_shift(member: Any, office: Group, join: Any,
                                               punch_at: Any, clock: Any,
                                               halves: dict[str, str],
                                               punches: list[tuple[int, int]],
                                               expected: tuple[Any, ...]) -> None:
    # Given half a day of annual leave on Monday: a 09:00-17:30 day splits at 13:15
    join(member, office)
    approved_absence(member, MONDAY, MONDAY, **halves)
    for hour, minute in punches:
        punch_at(member, local(MONDAY, hour, minute))
    # When Monday is judged
    recompute([member.pk], MONDAY, MONDAY)
    # Then the other half is required, and the half day is counted
    row = result(member, MONDAY)
    assert figures(row) == expected
    assert (row.leave_days, row.leave_type, row.leave_minutes) == (Decimal("0.5"), "annual",
                                                                   255)


@pytest.mark.parametrize(("halves", "punches", "leave_minutes"), [
    pytest.param({"end_half": "am"}, [(13, 28), (17, 30)], 180, id="morning off"),
    pytest.param({"start_half": "pm"}, [(8, 59), (12, 0)], 240, id="afternoon off"),
])
def test_half_day_leave_on_a_split_shift_splits_at_the_break(
        member: Any, office: Group, join: Any, punch_at: Any, clock: Any,
        halves: dict[str, str], punches: list[tuple[int, int]], leave_minutes: int) -> None:
    Shift.objects.filter(code="day").update(segments=[["09:00", "12:00"], ["13:30", "17:30"]])
    join(member, office)
    approved_absence(member, MONDAY, MONDAY, **halves)
    for hour, minute in punches:
        punch_at(member, local(MONDAY, hour, minute))
    recompute([member.pk], MONDAY, MONDAY)
    row = result(member, MONDAY)
    assert (row.status, row.late_minutes, row.early_minutes, row.leave_minutes,
            row.leave_days) == ("partial_leave", 0, 0, leave_minutes, Decimal("0.5"))


@pytest.mark.parametrize(("halves", "punches", "excused"), [
    pytest.param({"start_half": "pm"}, [(17, 58), (22, 1)], 1, id="second half off"),
    pytest.param({"end_half": "am"}, [(25, 59), (30, 2)], 0, id="first half off"),
])
def test_half_day_leave_on_a_split_night_shift(member: Any, guards: Group, join: Any,
                                               punch_at: Any, clock: Any,
                                               halves: dict[str, str],
                                               punches: list[tuple[int, int]],
                                               excused: int) -> None:
    # Given a split night shift 18:00-22:00 and 02:00-06:00 (the second part the next
    # morning) and half of Monday's shift off
    Shift.objects.filter(code="night").update(segments=[["18:00", "22:00"],
                                                        ["02:00", "06:00"]])
    join(member, guards)
    approved_absence(member, MONDAY, MONDAY, **halves)
    for hour, minute in punches:  # hours past 24 fall on Tuesday
        punch_at(member, local(MONDAY + timedelta(days=hour // 24), hour % 24, minute))
    # When Monday is judged
    recompute([member.pk], MONDAY, MONDAY)
    # Then only the other part of the shift is required, and it was worked
    row = result(member, MONDAY)
    assert (row.status, row.leave_minutes, row.worked_minutes, row.leave_days) == \
        ("partial_leave", 240, 240, Decimal("0.5"))
    assert {"code": "segment_excused", "segment": excused} in row.reasons


def test_leave_from_an_afternoon_to_a_morning(member: Any, office: Group, join: Any,
                                              clock: Any) -> None:
    join(member, office)
    approved_absence(member, MONDAY, WEDNESDAY, start_half="pm", end_half="am")
    recompute([member.pk], MONDAY, WEDNESDAY)
    days = [(row.status, row.leave_days) for row in
            DayResult.objects.filter(person=member).order_by("date")]
    assert days == [("absent", Decimal("0.5")), ("on_leave", 1), ("absent", Decimal("0.5"))]


def test_leave_across_a_statutory_holiday_counts_working_days_only(
        member: Any, office: Group, join: Any, clock: Any) -> None:
    # Given a holiday on Wednesday 11 November and a make-up working Saturday on the 14th
    national(date(2026, 11, 11))
    national(date(2026, 11, 14), CalendarDay.Kind.ADJUSTED_WORKDAY)
    join(member, office)
    approved_absence(member, date(2026, 11, 10), date(2026, 11, 16))
    # When the week is judged
    recompute([member.pk], date(2026, 11, 10), date(2026, 11, 16))
    # Then the holiday and the Sunday cost nothing and the make-up Saturday costs a day
    days = [(row.date.day, row.status, row.leave_days, row.leave_type) for row in
            DayResult.objects.filter(person=member).order_by("date")]
    assert days == [(10, "on_leave", 1, "annual"), (11, "holiday", 0, ""),
                    (12, "on_leave", 1, "annual"), (13, "on_leave", 1, "annual"),
                    (14, "on_leave", 1, "annual"), (15, "rest", 0, ""),
                    (16, "on_leave", 1, "annual")]
    # and the request would have cost the same
    annual = LeaveType.objects.get(code="annual")
    assert services.leave_amount(member.pk, annual, date(2026, 11, 10), date(2026, 11, 16),
                                 "", "") == 5


def test_maternity_leave_counts_calendar_days(member: Any, office: Group, join: Any,
                                              clock: Any) -> None:
    join(member, office)
    approved_absence(member, date(2026, 11, 6), date(2026, 11, 9), leave="maternity")
    recompute([member.pk], date(2026, 11, 6), date(2026, 11, 9))
    days = [(row.status, row.leave_days, row.leave_type) for row in
            DayResult.objects.filter(person=member).order_by("date")]
    assert days == [("on_leave", 1, "maternity"), ("rest", 1, "maternity"),
                    ("rest", 1, "maternity"), ("on_leave", 1, "maternity")]
    maternity = LeaveType.objects.get(code="maternity")
    assert services.leave_amount(member.pk, maternity, date(2026, 11, 6), date(2026, 11, 9),
                                 "", "") == 4


def test_business_trip_days(member: Any, office: Group, join: Any, clock: Any) -> None:
    join(member, office)
    approved_absence(member, TUESDAY, WEDNESDAY, leave=None)
    recompute([member.pk], MONDAY, WEDNESDAY)
    days = [(row.status, row.trip_minutes, row.leave_days) for row in
            DayResult.objects.filter(person=member).order_by("date")]
    assert days == [("absent", 0, 0), ("business_trip", 510, 0), ("business_trip", 510, 0)]


def test_leave_not_approved_does_not_excuse(member: Any, office: Group, join: Any,
                                            clock: Any) -> None:
    join(member, office)
    absence = approved_absence(member, MONDAY, MONDAY)
    Absence.objects.filter(pk=absence.pk).update(status=Absence.Status.CANCELLED)
    recompute([member.pk], MONDAY, MONDAY)
    assert (result(member, MONDAY).status, result(member, MONDAY).leave_days) == ("absent", 0)


# --- Overtime and its settlement ---------------------------------------------------------------


HOLIDAY = date(2026, 11, 11)


@pytest.mark.parametrize(("group", "day", "punches", "overtime_request", "expected"), [
    pytest.param({}, MONDAY, [(8, 55), (21, 0)], ((18, 0), (20, 0), "pay"),
                 (120, "workday", "pay"), id="approval: the approved hours, not the punches"),
    pytest.param({}, MONDAY, [(8, 55), (21, 0)], ((18, 0), (20, 0), "comp_time"),
                 (120, "workday", "comp_time"), id="approval: comp time as requested"),
    pytest.param({}, MONDAY, [(8, 55), (21, 0)], None, (0, "", ""),
                 id="approval: nothing without a request"),
    pytest.param({}, HOLIDAY, [(10, 0), (14, 0)], ((10, 0), (14, 0), "comp_time"),
                 (240, "holiday", "pay"), id="approval: a holiday is always paid"),
    pytest.param({"overtime_basis": "punches"}, MONDAY, [(8, 55), (21, 0)], None,
                 (210, "workday", "pay"), id="punches: after the end, paid by policy"),
    pytest.param({"overtime_basis": "punches", "workday_overtime": "comp_time"}, MONDAY,
                 [(8, 55), (21, 0)], None, (210, "workday", "comp_time"),
                 id="punches: workday comp time by policy"),
    pytest.param({"overtime_basis": "punches"}, MONDAY, [(8, 55), (17, 50)], None,
                 (0, "", ""), id="punches: below the 30-minute minimum"),
    pytest.param({"overtime_basis": "punches"}, SATURDAY, [(10, 0), (14, 0)], None,
                 (240, "rest_day", "comp_time"), id="punches: rest day comp time by default"),
    pytest.param({"overtime_basis": "punches", "rest_day_overtime": "pay"}, SATURDAY,
                 [(10, 0), (14, 0)], None, (240, "rest_day", "pay"),
                 id="punches: rest day paid by policy"),
    pytest.param({"overtime_basis": "punches", "rest_day_overtime": "comp_time",
                  "workday_overtime": "comp_time"}, HOLIDAY, [(10, 0), (14, 0)], None,
                 (240, "holiday", "pay"), id="punches: holiday always paid"),
])
def test_overtime_counting_and_settlement(member: Any, office: Group, join: Any,
                                          punch_at: Any, clock: Any, group: dict[str, str],
                                          day: date, punches: list[tuple[int, int]],
                                          overtime_request: Any,
                                          expected: tuple[Any, ...]) -> None:
    # Given the group's overtime rules, a holiday on Wednesday 11 November, the day's
    # punches and maybe an approved overtime request
    national(HOLIDAY)
    Group.objects.filter(pk=office.pk).update(**group)
    join(member, office)
    for hour, minute in punches:
        punch_at(member, local(day, hour, minute))
    if overtime_request is not None:
        (start_hour, start_minute), (end_hour, end_minute), compensation = overtime_request
        approved_overtime(member, day, local(day, start_hour, start_minute),
                          local(day, end_hour, end_minute), compensation)
    # When the day is judged
    recompute([member.pk], day, day)
    # Then overtime is counted by the group's basis and settled by class and policy
    row = result(member, day)
    assert (row.overtime_minutes, row.overtime_class, row.overtime_settlement) == expected


def test_approved_overtime_counts_on_its_own_date_only(member: Any, office: Group, join: Any,
                                                       punch_at: Any, clock: Any) -> None:
    # Given overtime approved for Monday evening and Wednesday evening, worked both days
    join(member, office)
    for day in (MONDAY, date(2026, 11, 3), WEDNESDAY):
        punch_at(member, local(day, 8, 58))
    approved_overtime(member, MONDAY, local(MONDAY, 18), local(MONDAY, 20))
    approved_overtime(member, WEDNESDAY, local(WEDNESDAY, 18), local(WEDNESDAY, 19),
                      "comp_time")
    # When Monday to Wednesday are judged together
    recompute([member.pk], MONDAY, WEDNESDAY)
    # Then each day counts its own request and Tuesday none
    days = [(row.overtime_minutes, row.overtime_settlement) for row in
            DayResult.objects.filter(person=member).order_by("date")]
    assert days == [(120, "pay"), (0, ""), (60, "comp_time")]


def test_approved_overtime_past_midnight_belongs_to_its_work_date(
        member: Any, office: Group, join: Any, punch_at: Any, clock: Any) -> None:
    join(member, office)
    punch_at(member, local(MONDAY, 8, 58))
    approved_overtime(member, MONDAY, local(MONDAY, 22), local(TUESDAY, 1))
    recompute([member.pk], MONDAY, TUESDAY)
    assert (result(member, MONDAY).overtime_minutes, result(member, TUESDAY).overtime_minutes) \
        == (180, 0)


@pytest.mark.parametrize(("punches", "minutes"), [
    ([(8, 58), (20, 2)], 120),  # there: the two approved hours after the shift
    ([], 0),                    # absent: an approved evening nobody came to is no overtime
])
def test_approved_overtime_counts_outside_the_shift_and_only_when_there(
        member: Any, office: Group, join: Any, punch_at: Any, clock: Any,
        punches: list[tuple[int, int]], minutes: int) -> None:
    # Given the 09:00-17:30 shift and overtime approved from 17:30 to 19:30
    join(member, office)
    for hour, minute in punches:
        punch_at(member, local(MONDAY, hour, minute))
    approved_overtime(member, MONDAY, local(MONDAY, 17, 30), local(MONDAY, 19, 30))
    recompute([member.pk], MONDAY, MONDAY)
    assert result(member, MONDAY).overtime_minutes == minutes


def test_approved_overtime_overlapping_the_shift_counts_only_the_part_outside(
        member: Any, office: Group, join: Any, punch_at: Any, clock: Any) -> None:
    join(member, office)
    punch_at(member, local(MONDAY, 8, 58))
    punch_at(member, local(MONDAY, 20, 2))
    approved_overtime(member, MONDAY, local(MONDAY, 17), local(MONDAY, 20))
    recompute([member.pk], MONDAY, MONDAY)
    assert result(member, MONDAY).overtime_minutes == 150  # 17:30-20:00


# --- Storing ------------------------------------------------------------------------------------


def test_recompute_never_goes_beyond_today(member: Any, office: Group, join: Any,
                                           clock: Any) -> None:
    join(member, office)
    written = recompute([member.pk], date(2026, 11, 19), date(2026, 11, 30))
    assert written == 2
    assert sorted(DayResult.objects.values_list("date", flat=True)) == [
        date(2026, 11, 19), date(2026, 11, 20)]
    assert recompute([member.pk], date(2026, 11, 21), date(2026, 11, 30)) == 0


def test_recompute_replaces_rows_and_is_idempotent(member: Any, office: Group, join: Any,
                                                   punch_at: Any, clock: Any) -> None:
    join(member, office)
    recompute([member.pk], MONDAY, WEDNESDAY)
    punch_at(member, local(TUESDAY, 8, 50))
    punch_at(member, local(TUESDAY, 17, 31))
    assert recompute([member.pk], MONDAY, WEDNESDAY) == 3
    assert recompute([member.pk], MONDAY, WEDNESDAY) == 3
    assert DayResult.objects.filter(person=member).count() == 3
    assert [row.status for row in DayResult.objects.filter(person=member).order_by("date")] \
        == ["absent", "on_time", "absent"]


def test_a_person_named_twice_is_judged_once(member: Any, office: Group, join: Any,
                                             clock: Any) -> None:
    join(member, office)
    assert recompute([member.pk, member.pk], MONDAY, MONDAY) == 1


def test_recompute_of_everyone_skips_people_outside_groups(member: Any, hr_person: Any,
                                                           office: Group, join: Any,
                                                           clock: Any) -> None:
    join(member, office)
    assert recompute(None, MONDAY, TUESDAY) == 2
    assert set(DayResult.objects.values_list("person_id", flat=True)) == {member.pk}
    assert recompute([hr_person.pk], MONDAY, TUESDAY) == 0


# --- Closed months ---------------------------------------------------------------------------


OCTOBER = date(2026, 10, 1)
OCTOBER_MONDAY = date(2026, 10, 12)


def close(first_day: date) -> Month:
    return Month.objects.create(first_day=first_day, closed_at=FROZEN_NOW - timedelta(days=10))


def test_a_changed_day_of_a_closed_month_becomes_one_correction(
        member: Any, office: Group, join: Any, punch_at: Any, clock: Any) -> None:
    # Given October judged and closed with the member absent on the 12th
    join(member, office)
    recompute([member.pk], OCTOBER, date(2026, 10, 31))
    close(OCTOBER)
    # When punches of that day arrive late from the time clock
    punch_at(member, local(OCTOBER_MONDAY, 9, 12))
    punch_at(member, local(OCTOBER_MONDAY, 17, 40))
    recompute([member.pk], OCTOBER_MONDAY, OCTOBER_MONDAY, cause="time clock import")
    # Then the day shows the truth and one correction, paid in November, traces the change
    assert figures(result(member, OCTOBER_MONDAY)) == ("late", 12, 0, 498, 0)
    correction = Correction.objects.get()
    assert (correction.person_id, correction.day, correction.closed_month,
            correction.applies_to, correction.cause) == (
        member.pk, OCTOBER_MONDAY, OCTOBER, date(2026, 11, 1), "time clock import")
    unchanged = {"early_minutes": 0, "overtime_minutes": 0, "overtime_class": "",
                 "overtime_settlement": "", "leave_days": "0.00", "leave_type": "",
                 "trip_minutes": 0}
    assert correction.changes == {
        "before": {"status": "absent", "late_minutes": 0, "missing_punches": 0, **unchanged},
        "after": {"status": "late", "late_minutes": 12, "missing_punches": 0, **unchanged}}
    # and judging the day again changes nothing more
    recompute([member.pk], OCTOBER_MONDAY, OCTOBER_MONDAY, cause="again")
    recompute(None, OCTOBER, date(2026, 10, 31), cause="everyone")
    assert Correction.objects.count() == 1


def test_recomputing_an_unchanged_closed_month_writes_no_correction(
        member: Any, office: Group, join: Any, punch_at: Any, clock: Any) -> None:
    # Given a closed October with a half day of leave, overtime and a late day
    Group.objects.filter(pk=office.pk).update(overtime_basis="punches")
    join(member, office)
    approved_absence(member, OCTOBER_MONDAY, OCTOBER_MONDAY, start_half="pm")
    punch_at(member, local(OCTOBER_MONDAY, 8, 59))
    punch_at(member, local(OCTOBER_MONDAY, 13, 20))
    punch_at(member, local(date(2026, 10, 13), 9, 20))
    punch_at(member, local(date(2026, 10, 13), 19, 0))
    recompute([member.pk], OCTOBER, date(2026, 10, 31))
    close(OCTOBER)
    # When the month is judged again with the same facts
    recompute([member.pk], OCTOBER, date(2026, 10, 31), cause="again")
    # Then nothing changed, so nothing is carried
    assert Correction.objects.count() == 0


def test_a_day_first_judged_after_its_month_closed(member: Any, office: Group, join: Any,
                                                   clock: Any) -> None:
    close(OCTOBER)
    join(member, office)
    recompute([member.pk], OCTOBER_MONDAY, OCTOBER_MONDAY, cause="joined late")
    correction = Correction.objects.get()
    assert correction.changes["before"] is None
    assert correction.changes["after"]["status"] == "absent"


def test_recompute_across_a_closed_and_an_open_month(member: Any, office: Group, join: Any,
                                                     punch_at: Any, clock: Any) -> None:
    join(member, office)
    recompute([member.pk], date(2026, 10, 30), MONDAY)
    close(OCTOBER)
    punch_at(member, local(date(2026, 10, 30), 8, 55))
    punch_at(member, local(MONDAY, 8, 55))
    recompute([member.pk], date(2026, 10, 30), MONDAY)
    assert list(Correction.objects.values_list("day", flat=True)) == [date(2026, 10, 30)]


@pytest.mark.parametrize(("closed", "expected"), [
    pytest.param([], date(2026, 11, 1), id="none closed: this month"),
    pytest.param([OCTOBER], date(2026, 11, 1), id="last month closed"),
    pytest.param([date(2026, 9, 1)], OCTOBER, id="October still open"),
])
def test_first_open_month(db: Any, clock: Any, closed: list[date], expected: date) -> None:
    for first_day in closed:
        close(first_day)
    assert first_open_month() == expected


def test_a_correction_is_paid_in_the_first_open_month(member: Any, office: Group, join: Any,
                                                      punch_at: Any, clock: Any) -> None:
    # Given September closed and October not yet closed
    join(member, office)
    september_day = date(2026, 9, 14)
    recompute([member.pk], september_day, september_day)
    close(date(2026, 9, 1))
    # When a September day changes
    punch_at(member, local(september_day, 8, 55))
    recompute([member.pk], september_day, september_day)
    # Then October pays it
    assert Correction.objects.get().applies_to == OCTOBER


def test_days_before_joining_the_group_are_neither_judged_nor_erased(
        member: Any, office: Any, join: Any, clock: Any) -> None:
    # given a result of 2 November from the member's earlier group, and a membership of the
    # office from 4 November
    membership = join(member, office)
    recompute([member.pk], date(2026, 11, 2), date(2026, 11, 2))
    earlier = DayResult.objects.get(person=member, date=date(2026, 11, 2))
    membership.joined_on = date(2026, 11, 4)
    membership.save()
    # when the week is judged again
    written = recompute([member.pk], date(2026, 11, 2), date(2026, 11, 6))
    # then only the days from joining are written, and the earlier day keeps its result
    assert written == 3
    assert sorted(DayResult.objects.filter(person=member).values_list("date", flat=True)) == [
        date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 6)]
    assert DayResult.objects.get(person=member, date=date(2026, 11, 2)).pk == earlier.pk


def test_the_morning_check_out_after_a_night_shift_is_not_a_punch_of_the_rest_day(
        member: Any, rota: Group, join: Any, punch_at: Any, clock: Any) -> None:
    # Given a guard on night duty on Wednesday 4 November (rest on Thursday), punching in
    # at 19:55 and out at 08:03 on Thursday
    join(member, rota, offset=0)
    punch_at(member, local(date(2026, 11, 4), 19, 55))
    punch_at(member, local(date(2026, 11, 5), 8, 3))
    # When the two days are judged
    recompute([member.pk], date(2026, 11, 4), date(2026, 11, 5))
    # Then the night is on time and Thursday is a plain rest day without a lone punch
    night, rest = result(member, date(2026, 11, 4)), result(member, date(2026, 11, 5))
    assert (night.status, night.check_out) == ("on_time", local(date(2026, 11, 5), 8, 3))
    assert (rest.status, rest.overtime_minutes) == ("rest", 0)
    assert [reason["code"] for reason in rest.reasons] == ["rest"]


@pytest.mark.parametrize(("hour", "punches", "status", "missing"), [
    (8, [], "upcoming", 0),                  # before the 09:00 shift: not absent yet
    (12, [], "upcoming", 0),                 # not in yet at noon: still not a verdict
    (12, [(8, 57)], "in_progress", 0),       # clocked in: the clock-out is still to come
    (18, [(8, 57)], "missing_punch_out", 1),  # after 17:30: the clock-out is missing
    (18, [], "absent", 0),                   # after the shift without a punch: absent
])
def test_today_gets_no_verdict_before_its_shift_ends(
        member: Any, office: Group, join: Any, punch_at: Any, clock: Any, hour: int,
        punches: list[tuple[int, int]], status: str, missing: int) -> None:
    friday = date(2026, 11, 20)
    join(member, office)
    clock(local(friday, hour))
    for punch_hour, minute in punches:
        punch_at(member, local(friday, punch_hour, minute))
    recompute([member.pk], friday, friday)
    assert (result(member, friday).status, result(member, friday).missing_punches) == (
        status, missing)
