"""What each judged day adds to a person's month (``summary.Tally``), how a closed month's
correction becomes a delta, and ``services.month_tallies`` reading both from the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from taihe.modules.attendance import services
from taihe.modules.attendance.models import Correction, DayResult
from taihe.modules.attendance.summary import Tally, day_values, tally_days
from tests.modules.attendance.conftest import local


def day(status: str, **values: Any) -> dict[str, Any]:
    return {"status": status, "late_minutes": 0, "early_minutes": 0, "overtime_minutes": 0,
            "overtime_class": "", "overtime_settlement": "", "leave_days": "0.00",
            "leave_type": "", "trip_minutes": 0, "missing_punches": 0, **values}


FIELDS = ("scheduled_days", "worked_days", "late_count", "late_minutes", "early_count",
          "early_minutes", "absent_days", "missing_punches", "trip_days")


def numbers(tally: Tally) -> tuple[Any, ...]:
    return tuple(getattr(tally, name) for name in FIELDS)


@pytest.mark.parametrize(("values", "expected", "leave", "overtime", "comp_time"), [
    pytest.param(day("on_time"), (1, 1, 0, 0, 0, 0, 0, 0, 0), {}, {}, 0, id="on time"),
    pytest.param(day("late", late_minutes=12), (1, 1, 1, 12, 0, 0, 0, 0, 0), {}, {}, 0,
                 id="late"),
    pytest.param(day("late_and_left_early", late_minutes=20, early_minutes=30),
                 (1, 1, 1, 20, 1, 30, 0, 0, 0), {}, {}, 0, id="late and left early"),
    pytest.param(day("absent"), (1, 0, 0, 0, 0, 0, 1, 0, 0), {}, {}, 0, id="absent"),
    pytest.param(day("absent", leave_days="0.50", leave_type="personal"),
                 (1, 0, 0, 0, 0, 0, Decimal("0.5"), 0, 0), {"personal": "0.50"}, {}, 0,
                 id="half a day of leave, absent the other half"),
    pytest.param(day("partial_leave", leave_days="0.50", leave_type="sick"),
                 (1, Decimal("0.5"), 0, 0, 0, 0, 0, 0, 0), {"sick": "0.50"}, {}, 0,
                 id="half a day of leave, worked the other half"),
    pytest.param(day("missing_punch_out", missing_punches=1), (1, 1, 0, 0, 0, 0, 0, 1, 0),
                 {}, {}, 0, id="missing punch"),
    pytest.param(day("on_leave", leave_days="1.00", leave_type="annual"),
                 (1, 0, 0, 0, 0, 0, 0, 0, 0), {"annual": "1.00"}, {}, 0, id="on leave"),
    pytest.param(day("rest", leave_days="1.00", leave_type="maternity"),
                 (0, 0, 0, 0, 0, 0, 0, 0, 0), {"maternity": "1.00"}, {}, 0,
                 id="maternity leave on a rest day"),
    pytest.param(day("business_trip", trip_minutes=510), (1, 0, 0, 0, 0, 0, 0, 0, 1), {},
                 {}, 0, id="business trip"),
    pytest.param(day("on_time", trip_minutes=240), (1, Decimal("0.5"), 0, 0, 0, 0, 0, 0,
                                                    Decimal("0.5")), {}, {}, 0,
                 id="half a day travelling"),
    pytest.param(day("on_time", overtime_minutes=90, overtime_class="workday",
                     overtime_settlement="pay"), (1, 1, 0, 0, 0, 0, 0, 0, 0), {},
                 {"workday": "1.50"}, 0, id="paid workday overtime"),
    pytest.param(day("rest", overtime_minutes=240, overtime_class="rest_day",
                     overtime_settlement="comp_time"), (0, 0, 0, 0, 0, 0, 0, 0, 0), {}, {},
                 Decimal("4.00"), id="rest day overtime as time off"),
    pytest.param(day("holiday", overtime_minutes=200, overtime_class="holiday",
                     overtime_settlement="pay"), (0, 0, 0, 0, 0, 0, 0, 0, 0), {},
                 {"holiday": "3.33"}, 0, id="holiday overtime"),
])
def test_what_a_day_adds(values: dict[str, Any], expected: tuple[Any, ...],
                         leave: dict[str, str], overtime: dict[str, str],
                         comp_time: Decimal) -> None:
    tally = Tally()
    tally.add_day(values)
    assert numbers(tally) == expected
    assert (tally.leave_days(), tally.overtime_hours(), tally.comp_time_hours()) == \
        (leave, overtime, comp_time)


def test_taking_a_day_away_undoes_it() -> None:
    tally = Tally()
    late = day("late", late_minutes=12, overtime_minutes=60, overtime_class="workday",
               overtime_settlement="pay", leave_days="0.50", leave_type="sick")
    tally.add_day(late)
    tally.add_day(late, -1)
    assert numbers(tally) == (0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert (tally.leave_days(), tally.overtime_hours(), tally.comp_time_hours()) == \
        ({}, {}, 0)


def test_a_correction_swaps_the_old_day_for_the_new() -> None:
    # Given a month of two on-time days
    tally = Tally()
    tally.add_day(day("on_time"))
    tally.add_day(day("on_time"))
    # When a late day of a closed month turns out to have been on time, and a day never
    # judged before turns out absent
    tally.add_correction(date(2026, 10, 5), {"before": day("late", late_minutes=12),
                                             "after": day("on_time")})
    tally.add_correction(date(2026, 10, 6), {"before": None, "after": day("absent")})
    # Then the late day is taken back and the absence added, each with its trace
    assert numbers(tally) == (3, 2, -1, -12, 0, 0, 1, 0, 0)
    assert [entry["day"] for entry in tally.corrections] == ["2026-10-05", "2026-10-06"]
    assert tally.corrections[1] == {"day": "2026-10-06", "before": None,
                                    "after": day("absent")}


def test_day_values_of_a_row_and_of_a_dict() -> None:
    row = DayResult(status="late", late_minutes=3, leave_days=Decimal("0.5"))
    assert day_values(row)["late_minutes"] == 3
    assert day_values({"status": "absent", "extra": 1}) == {
        "status": "absent", "late_minutes": None, "early_minutes": None,
        "overtime_minutes": None, "overtime_class": None, "overtime_settlement": None,
        "leave_days": None, "leave_type": None, "trip_minutes": None,
        "missing_punches": None}


def test_tally_days_by_person() -> None:
    tallies = tally_days([{"person_id": 1, **day("on_time")},
                          {"person_id": 2, **day("absent")},
                          {"person_id": 1, **day("late", late_minutes=4)}])
    assert {person: numbers(tally) for person, tally in tallies.items()} == {
        1: (2, 2, 1, 4, 0, 0, 0, 0, 0), 2: (1, 0, 0, 0, 0, 0, 1, 0, 0)}


def test_month_tallies_read_days_and_the_corrections_the_month_pays(
        member: Any, office: Any, join: Any, punch_at: Any, clock: Any) -> None:
    # Given two judged November days and a correction of October paid in November
    from taihe.modules.attendance.computing import recompute

    join(member, office)
    punch_at(member, local(date(2026, 11, 2), 9, 10))
    punch_at(member, local(date(2026, 11, 2), 17, 30))
    recompute([member.pk], date(2026, 11, 2), date(2026, 11, 3))
    Correction.objects.create(person=member, day=date(2026, 10, 30),
                              closed_month=date(2026, 10, 1), applies_to=date(2026, 11, 1),
                              changes={"before": day("absent"), "after": day("on_time")},
                              cause="late import", recorded_at=local(date(2026, 11, 3), 9))
    Correction.objects.create(person=member, day=date(2026, 9, 30),
                              closed_month=date(2026, 9, 1), applies_to=date(2026, 10, 1),
                              changes={"before": None, "after": day("absent")},
                              recorded_at=local(date(2026, 10, 3), 9))
    # When November is tallied
    tally = services.month_tallies(date(2026, 11, 1))[member.pk]
    # Then: Monday late, Tuesday absent, and October's absence given back as a worked day
    assert numbers(tally) == (2, 2, 1, 10, 0, 0, 0, 0, 0)
    assert [entry["day"] for entry in tally.corrections] == ["2026-10-30"]


def test_a_day_partly_on_a_business_trip_is_not_counted_one_and_a_half_times() -> None:
    from taihe.modules.attendance.summary import Tally

    tally = Tally()
    tally.add_day({"status": "on_time", "trip_minutes": 240, "leave_days": 0})
    assert (tally.worked_days, tally.trip_days) == (Decimal("0.5"), Decimal("0.5"))
