"""Closing a payroll month: refusals, the frozen summaries with exact figures, comp time
credited once, and later changes to closed days paid in the next month.

The clock starts at Friday 20 November 2026, 20:00 in Shanghai, so October 2026 can close.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from taihe.kernel.errors import Conflict, PermissionDenied
from taihe.kernel.testing.events import captured_events
from taihe.modules.attendance import services
from taihe.modules.attendance.computing import recompute
from taihe.modules.attendance.models import (
    Absence,
    Correction,
    DayResult,
    Group,
    LeaveType,
    LedgerEntry,
    Month,
    MonthSummary,
    Overtime,
    Punch,
)
from tests.modules.attendance.conftest import local

OCTOBER = date(2026, 10, 1)
NOVEMBER = date(2026, 11, 1)
REQUEST_IDS = count(5000)

USUAL = ((8, 55), (17, 35))
OCTOBER_DAYS: dict[int, tuple[tuple[int, int], ...]] = {
    5: ((9, 12), (17, 35)),   # late 12
    6: ((9, 20), (17, 0)),    # late 20, left 30 early
    7: (),                    # absent
    8: ((8, 55),),            # no check-out
    9: (),                    # annual leave
    12: ((8, 55), (13, 20)),  # sick in the afternoon
    13: ((8, 55), (20, 5)),   # two hours' paid overtime approved
    14: ((8, 55), (19, 35)),  # an hour and a half approved as time off
    15: (), 16: (),           # business trip
    17: ((10, 0), (14, 0)),   # Saturday: four hours approved as time off
    19: (),                   # personal leave in the morning, absent in the afternoon
}


def punch_days(person: Any, first: date, last: date,
               special: dict[int, tuple[tuple[int, int], ...]]) -> None:
    """Punches for every weekday (and the special days) as a time clock would store them."""
    rows = []
    day = first
    while day <= last:
        times = special.get(day.day, USUAL if day.weekday() < 5 else ())
        for hour, minute in times:
            moment = local(day, hour, minute)
            rows.append(Punch(person=person, at=moment, source="import",
                              verification="time_clock", recorded_at=moment))
        day += timedelta(days=1)
    Punch.objects.bulk_create(rows)


def absence(person: Any, start: date, end: date, leave: str | None, **halves: str) -> None:
    number = next(REQUEST_IDS)
    Absence.objects.create(person=person, kind="leave" if leave else "trip",
                           leave_type=LeaveType.objects.get(code=leave) if leave else None,
                           start=start, end=end, status="approved", request_id=number,
                           request_number=f"R{number}", **halves)


def overtime(person: Any, day: date, start: tuple[int, int], end: tuple[int, int],
             compensation: str) -> Overtime:
    number = next(REQUEST_IDS)
    return Overtime.objects.create(person=person, work_date=day, start=local(day, *start),
                                   end=local(day, *end), compensation=compensation,
                                   status="approved", request_id=number,
                                   request_number=f"R{number}")


@pytest.fixture
def october(member: Any, hr_person: Any, office: Group, join: Any, clock: Any) -> Any:
    """The member's eventful October beside HR's uneventful one."""
    join(member, office)
    join(hr_person, office)
    punch_days(member, OCTOBER, date(2026, 10, 31), OCTOBER_DAYS)
    punch_days(hr_person, OCTOBER, date(2026, 10, 31), {})
    absence(member, date(2026, 10, 9), date(2026, 10, 9), "annual")
    absence(member, date(2026, 10, 12), date(2026, 10, 12), "sick", start_half="pm")
    absence(member, date(2026, 10, 15), date(2026, 10, 16), None)
    absence(member, date(2026, 10, 19), date(2026, 10, 19), "personal", end_half="am")
    overtime(member, date(2026, 10, 13), (18, 0), (20, 0), "pay")
    overtime(member, date(2026, 10, 14), (18, 0), (19, 30), "comp_time")
    return overtime(member, date(2026, 10, 17), (10, 0), (14, 0), "comp_time")


def summary_of(person: Any, first_day: date) -> dict[str, Any]:
    row = MonthSummary.objects.get(person=person, month__first_day=first_day)
    return {"scheduled_days": row.scheduled_days, "worked_days": row.worked_days,
            "late_count": row.late_count, "late_minutes": row.late_minutes,
            "early_count": row.early_count, "early_minutes": row.early_minutes,
            "absent_days": row.absent_days, "missing_punches": row.missing_punches,
            "trip_days": row.trip_days, "leave": row.leave, "overtime": row.overtime,
            "comp_time_hours": row.comp_time_hours}


def test_closing_a_month_freezes_exact_summaries(member: Any, hr_person: Any, office: Group,
                                                 october: Any, museum: Any) -> None:
    # When HR closes October
    with captured_events() as events:
        month = services.do_close_month(hr_person, date(2026, 10, 15))
    # Then the month is locked by HR with a summary per person
    assert (month.first_day, month.closed_by_id, month.people) == (OCTOBER, hr_person.pk, 2)
    assert month.closed_at is not None
    assert summary_of(member, OCTOBER) == {
        "scheduled_days": 22, "worked_days": Decimal("16.5"), "late_count": 2,
        "late_minutes": 32, "early_count": 1, "early_minutes": 30,
        "absent_days": Decimal("1.5"), "missing_punches": 1, "trip_days": 2,
        "leave": {"annual": "1.00", "personal": "0.50", "sick": "0.50"},
        "overtime": {"workday": "2.00"}, "comp_time_hours": Decimal("5.50")}
    assert summary_of(hr_person, OCTOBER) == {
        "scheduled_days": 22, "worked_days": 22, "late_count": 0, "late_minutes": 0,
        "early_count": 0, "early_minutes": 0, "absent_days": 0, "missing_punches": 0,
        "trip_days": 0, "leave": {}, "overtime": {}, "comp_time_hours": 0}
    frozen = MonthSummary.objects.get(person=member)
    assert (frozen.department_id, frozen.group_name, frozen.corrections) == \
        (museum["lab"].pk, "Office", [])
    # and the time off earned is credited to the comp-time balance once
    assert list(LedgerEntry.objects.filter(leave_type__code="comp_time").values_list(
        "person_id", "kind", "on", "amount", "reference")) == [
        (member.pk, "accrual", date(2026, 10, 31), Decimal("5.50"), "overtime:2026-10")]
    assert [(event.name, event.payload["month"], event.payload["people"])
            for event in events] == [("attendance.month.closed.v1", "2026-10", 2)]


def test_a_closed_month_cannot_close_again(hr_person: Any, october: Any) -> None:
    services.do_close_month(hr_person, OCTOBER)
    with pytest.raises(Conflict) as raised:
        services.do_close_month(hr_person, OCTOBER)
    assert (raised.value.code, str(raised.value.detail)) == ("closed",
                                                             "2026-10 is already closed.")
    assert (MonthSummary.objects.count(), LedgerEntry.objects.filter(
        leave_type__code="comp_time").count()) == (2, 1)


@pytest.mark.parametrize("now", [
    pytest.param(local(date(2026, 11, 20), 20), id="in the month"),
    pytest.param(local(date(2026, 11, 30), 23, 59), id="on its last evening"),
])
def test_a_month_that_has_not_ended_cannot_close(member: Any, hr_person: Any, office: Group,
                                                 join: Any, clock: Any, now: Any) -> None:
    join(member, office)
    clock(now)
    with pytest.raises(Conflict) as raised:
        services.do_close_month(hr_person, NOVEMBER)
    assert (raised.value.code, str(raised.value.detail)) == ("month_not_over",
                                                             "2026-11 has not ended yet.")
    assert (Month.objects.count(), MonthSummary.objects.count()) == (0, 0)


def test_months_close_in_order(member: Any, hr_person: Any, office: Group, join: Any,
                               clock: Any) -> None:
    # Given September judged but not closed
    join(member, office)
    recompute([member.pk], date(2026, 9, 28), date(2026, 9, 30))
    # Then October cannot close before it
    with pytest.raises(Conflict) as raised:
        services.do_close_month(hr_person, OCTOBER)
    assert (raised.value.code, str(raised.value.detail)) == (
        "previous_open", "Close 2026-09 first: months are closed in order.")
    assert Month.objects.filter(closed_at__isnull=False).count() == 0
    # and once September is closed, October can
    services.do_close_month(hr_person, date(2026, 9, 1))
    assert services.do_close_month(hr_person, OCTOBER).people == 1


@pytest.mark.parametrize("actor_name", ["member", "outsider"])
def test_closing_needs_the_payroll_permission(request: Any, october: Any,
                                              actor_name: str) -> None:
    actor = request.getfixturevalue(actor_name)
    with pytest.raises(PermissionDenied):
        services.do_close_month(actor, OCTOBER)
    assert (Month.objects.count(), MonthSummary.objects.count(),
            DayResult.objects.count()) == (0, 0, 0)


def test_an_administrator_may_close(admin_person: Any, october: Any) -> None:
    assert services.do_close_month(admin_person, OCTOBER).closed_by_id == admin_person.pk


def test_later_changes_are_paid_in_the_next_month(member: Any, hr_person: Any,
                                                  october: Overtime, clock: Any) -> None:
    # Given October closed
    services.do_close_month(hr_person, OCTOBER)
    frozen = summary_of(member, OCTOBER)
    # When, later, the missed check-out of 8 October and an earlier punch of the late 5th
    # are found, and the Saturday overtime of the 17th is cancelled
    for moment in (local(date(2026, 10, 8), 17, 40), local(date(2026, 10, 5), 8, 50)):
        Punch.objects.create(person=member, at=moment, source="import",
                             verification="time_clock", recorded_at=moment)
    recompute([member.pk], date(2026, 10, 5), date(2026, 10, 8), cause="time clock import")
    Overtime.objects.filter(pk=october.pk).update(status="cancelled")
    recompute([member.pk], date(2026, 10, 17), date(2026, 10, 17), cause="request cancelled")
    # Then October's summary stays as it was and three corrections wait for November
    assert summary_of(member, OCTOBER) == frozen
    assert list(Correction.objects.order_by("day").values_list(
        "day", "applies_to", "cause")) == [
        (date(2026, 10, 5), NOVEMBER, "time clock import"),
        (date(2026, 10, 8), NOVEMBER, "time clock import"),
        (date(2026, 10, 17), NOVEMBER, "request cancelled")]
    # When November (with a missing check-out and an hour of time off earned) closes
    november_days: dict[int, tuple[tuple[int, int], ...]] = {3: ((8, 55),),
                                                             5: ((8, 55), (19, 5))}
    punch_days(member, NOVEMBER, date(2026, 11, 30), november_days)
    punch_days(hr_person, NOVEMBER, date(2026, 11, 30), {})
    overtime(member, date(2026, 11, 5), (18, 0), (19, 0), "comp_time")
    clock(local(date(2026, 12, 1), 9))
    services.do_close_month(hr_person, NOVEMBER)
    # Then November carries the corrections: the missing punch and the late day taken
    # back (November itself had none, so its late figures go negative for payroll), the
    # four hours of time off taken back from the one earned
    november = MonthSummary.objects.get(person=member, month__first_day=NOVEMBER)
    assert summary_of(member, NOVEMBER) == {
        "scheduled_days": 21, "worked_days": 21, "late_count": -1, "late_minutes": -12,
        "early_count": 0, "early_minutes": 0, "absent_days": 0, "missing_punches": 0,
        "trip_days": 0, "leave": {}, "overtime": {}, "comp_time_hours": Decimal("-3.00")}
    assert [(entry["day"], entry["before"]["status"], entry["after"]["status"])
            for entry in november.corrections] == [
        ("2026-10-05", "late", "on_time"), ("2026-10-08", "missing_punch_out", "on_time"),
        ("2026-10-17", "rest", "rest")]
    assert list(LedgerEntry.objects.filter(leave_type__code="comp_time").order_by("id")
                .values_list("kind", "amount", "reference")) == [
        ("accrual", Decimal("5.50"), "overtime:2026-10"),
        ("adjustment", Decimal("-3.00"), "overtime:2026-11")]
    assert services.balance(member.pk, LeaveType.objects.get(code="comp_time")) == \
        Decimal("2.50")
