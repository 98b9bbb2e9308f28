"""HR's rule editing (``attendance.configuration``): calendars, shifts, groups, members,
roster cells, swaps and sites — stored values, field messages, permissions, nothing
half-written, and the recompute of past days after commit.

The clock stands at Friday 20 November 2026, 20:00 in Shanghai (``FROZEN_NOW``); no month is
closed unless a test closes one, so a rule change re-judges from 1 October (last month is
still waiting for payroll) to today.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events.models import OutboxEvent
from taihe.kernel.jobs.models import JobRecord
from taihe.kernel.testing.events import captured_events
from taihe.modules.attendance import configuration as config
from taihe.modules.attendance.models import (
    Calendar,
    CalendarDay,
    DayResult,
    Group,
    Membership,
    Month,
    RosterCell,
    Shift,
    Site,
)
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import FROZEN_NOW, local

RECOMPUTE = "attendance.days.recompute"
ANCHOR = date(2026, 11, 2)
"""Monday; the security cycle day, night, rest, rest starts here for offset 0."""


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def early_shift(db: Any) -> Shift:
    return Shift.objects.create(code="early", name="Early", segments=[["06:00", "14:00"]])


@pytest.fixture
def guards(museum: dict[str, Any]) -> tuple[Any, Any]:
    wang = PersonFactory(username="wang", name_zh="王立", name_en="Wang Li",
                         department=museum["security"], roles=["staff"])
    zhao = PersonFactory(username="zhao", name_zh="赵敏", name_en="Zhao Min",
                         department=museum["security"], roles=["staff"])
    return wang, zhao


@pytest.fixture
def security(office_calendar: Calendar, day_shift: Shift, night_shift: Shift,
             early_shift: Shift, guards: tuple[Any, Any]) -> Group:
    """A day/night rota: Wang on offset 0, Zhao one day ahead (offset 1)."""
    group = Group.objects.create(name="Security", calendar=office_calendar,
                                 schedule=Group.Schedule.ROSTER,
                                 cycle=["day", "night", "rest", "rest"], cycle_anchor=ANCHOR)
    Membership.objects.create(person=guards[0], group=group, roster_offset=0)
    Membership.objects.create(person=guards[1], group=group, roster_offset=1)
    return group


def recompute_jobs() -> list[tuple[Any, str]]:
    return [(row.args, row.status) for row in
            JobRecord.objects.filter(name=RECOMPUTE).order_by("id")]


def rules_changed(found: list[OutboxEvent]) -> list[tuple[str, Any]]:
    return [(event.payload["what"], event.payload["object_id"]) for event in found
            if event.name == "attendance.rules.changed.v1"]


def state() -> dict[str, Any]:
    """Everything these services may write, to prove that a refused call wrote nothing."""
    return {
        "calendars": list(Calendar.objects.order_by("pk").values()),
        "days": list(CalendarDay.objects.order_by("pk").values()),
        "shifts": list(Shift.objects.order_by("pk").values()),
        "groups": list(Group.objects.order_by("pk").values()),
        "sites_of_groups": list(Group.sites.through.objects.order_by("pk").values()),
        "members": list(Membership.objects.order_by("pk").values()),
        "cells": list(RosterCell.objects.order_by("pk").values()),
        "sites": list(Site.objects.order_by("pk").values()),
        "events": OutboxEvent.objects.count(),
        "jobs": JobRecord.objects.count(),
    }


def refused(error: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return error.value.fields


# --- Permissions: every function, every actor ---------------------------------------------

CSV_2027 = b"date,kind,name\n2027-01-01,holiday,New Year's Day\n"


def _calls() -> dict[str, Callable[[Any, dict[str, Any]], Any]]:
    return {
        "save_calendar": lambda actor, w: config.do_save_calendar(
            actor, None, name="Galleries", rest_weekdays=[0], follows_statutory=True),
        "set_calendar_day": lambda actor, w: config.do_set_calendar_day(
            actor, None, date(2026, 12, 25), "holiday", "Museum day"),
        "remove_calendar_day": lambda actor, w: config.do_remove_calendar_day(
            actor, w["closure"].pk),
        "seed_statutory_year": lambda actor, w: config.do_seed_statutory_year(actor, 2025),
        "import_calendar_csv": lambda actor, w: config.do_import_calendar_csv(
            actor, None, CSV_2027, year=2027),
        "save_shift": lambda actor, w: config.do_save_shift(
            actor, None, {"code": "late", "name": "Late", "segments": [["13:00", "21:00"]]}),
        "delete_shift": lambda actor, w: config.do_delete_shift(actor, w["spare"].pk),
        "save_group": lambda actor, w: config.do_save_group(
            actor, None, {"name": "Galleries", "calendar": w["calendar"].pk,
                          "shift": w["day"].pk}),
        "set_members": lambda actor, w: config.do_set_members(
            actor, w["office"].pk, [w["wang"].pk]),
        "set_roster_cells": lambda actor, w: config.do_set_roster_cells(
            actor, w["security"].pk, [(w["wang"].pk, date(2026, 11, 22), "rest")]),
        "swap_shifts": lambda actor, w: config.do_swap_shifts(
            actor, w["wang"].pk, w["zhao"].pk, date(2026, 11, 22)),
        "save_site": lambda actor, w: config.do_save_site(
            actor, None, {"name": "North Gate", "latitude": "39.9", "longitude": "116.4"}),
    }


@pytest.fixture
def world(office: Group, security: Group, guards: tuple[Any, Any], clock: Any) -> dict[str, Any]:
    closure = CalendarDay.objects.create(calendar=office.calendar, date=date(2026, 12, 1),
                                         kind=CalendarDay.Kind.CLOSURE, name="Installation")
    spare = Shift.objects.create(code="spare", name="Spare", segments=[["10:00", "18:00"]])
    return {"office": office, "security": security, "calendar": office.calendar,
            "day": office.shift, "wang": guards[0], "zhao": guards[1], "closure": closure,
            "spare": spare}


@pytest.mark.parametrize("actor", ["anonymous", "member", "outsider"])
@pytest.mark.parametrize("call", sorted(_calls()))
def test_nobody_without_the_permission_changes_anything(
        call: str, actor: str, world: dict[str, Any], run_commit_hooks: Any,
        request: pytest.FixtureRequest) -> None:
    # given the rules as they stand
    person = AnonymousUser() if actor == "anonymous" else request.getfixturevalue(actor)
    before = state()
    # when someone without attendance.rules.manage tries to change them
    with run_commit_hooks(), pytest.raises(PermissionDenied):
        _calls()[call](person, world)
    # then nothing changed, nothing was published or queued
    assert state() == before


@pytest.mark.parametrize("actor", ["hr_person", "admin_person"])
@pytest.mark.parametrize("call", sorted(_calls()))
def test_hr_and_the_administrator_may_change_the_rules(
        call: str, actor: str, world: dict[str, Any], request: pytest.FixtureRequest) -> None:
    # given HR or the administrator
    person = request.getfixturevalue(actor)
    # when they make the change, then it is made and announced
    with captured_events() as found:
        _calls()[call](person, world)
    assert len(rules_changed(found)) == 1


# --- Calendars -----------------------------------------------------------------------------


def test_a_calendar_is_stored_as_given(hr_person: Any, clock: Any) -> None:
    # when HR creates a front-of-house calendar resting on Mondays (listed twice)
    with captured_events() as found:
        calendar = config.do_save_calendar(hr_person, None, name="  Galleries ",
                                           rest_weekdays=[0, 0], follows_statutory=False)
    # then it is stored cleaned, and announced
    stored = Calendar.objects.get(pk=calendar.pk)
    assert (stored.name, stored.rest_weekdays, stored.follows_statutory) == (
        "Galleries", [0], False)
    assert rules_changed(found) == [("calendar", calendar.pk)]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": " "}, "name", "Required."),
    ({"name": "x" * 101}, "name", "At most 100 characters."),
    ({"name": "Office"}, "name", "Another calendar is called Office."),
    ({"rest_weekdays": [7]}, "rest_weekdays",
     "Weekdays are numbers from 0 (Monday) to 6 (Sunday)."),
    ({"rest_weekdays": [True]}, "rest_weekdays",
     "Weekdays are numbers from 0 (Monday) to 6 (Sunday)."),
    ({"rest_weekdays": "5,6"}, "rest_weekdays",
     "Weekdays are numbers from 0 (Monday) to 6 (Sunday)."),
    ({"rest_weekdays": [0, 1, 2, 3, 4, 5, 6]}, "rest_weekdays",
     "At least one weekday must be a working day."),
    ({"follows_statutory": "yes"}, "follows_statutory", "Yes or no."),
])
def test_a_calendar_with_bad_values_is_refused(
        changes: dict[str, Any], field: str, message: str, hr_person: Any,
        office_calendar: Calendar) -> None:
    # given an existing calendar
    before = state()
    values = {"name": "Galleries", "rest_weekdays": [0], "follows_statutory": True, **changes}
    # when HR saves bad values, then the field says what is wrong and nothing is stored
    with pytest.raises(ValidationFailed) as error:
        config.do_save_calendar(hr_person, None, **values)
    assert refused(error) == {field: message}
    assert state() == before


def test_an_unknown_calendar_is_not_found(hr_person: Any, db: Any) -> None:
    with pytest.raises(NotFound):
        config.do_save_calendar(hr_person, 999_999, name="X", rest_weekdays=[],
                                follows_statutory=True)


def test_a_changed_week_rejudges_the_open_days_of_its_people(
        hr_person: Any, member: Any, office: Group, join: Any, clock: Any,
        run_commit_hooks: Any) -> None:
    # given a member of the office, absent on a Saturday that was a rest day
    join(member, office)
    saturday = date(2026, 11, 14)
    # when HR makes Saturday a working day
    with run_commit_hooks():
        config.do_save_calendar(hr_person, office.calendar_id, name="Office",
                                rest_weekdays=[6], follows_statutory=True)
    # then the member's days since last month are judged again: Saturday is now absent
    assert recompute_jobs() == [([[member.pk], "2026-10-01", "2026-11-20",
                                  "calendar Office changed"], "done")]
    day = DayResult.objects.get(person=member, date=saturday)
    assert (day.day_kind, day.status, day.shift_code) == ("workday", "absent", "day")
    assert not DayResult.objects.filter(date__gt=date(2026, 11, 20)).exists()


def test_a_new_calendar_or_a_new_name_rejudges_nothing(
        hr_person: Any, member: Any, office: Group, join: Any, clock: Any,
        run_commit_hooks: Any) -> None:
    join(member, office)
    with run_commit_hooks():
        config.do_save_calendar(hr_person, None, name="Galleries", rest_weekdays=[0],
                                follows_statutory=True)
        config.do_save_calendar(hr_person, office.calendar_id, name="Offices",
                                rest_weekdays=[5, 6], follows_statutory=True)
    assert recompute_jobs() == []
    assert Calendar.objects.get(pk=office.calendar_id).name == "Offices"


# --- Calendar days -------------------------------------------------------------------------


def test_a_national_holiday_on_a_past_day_rejudges_everyone(
        hr_person: Any, member: Any, office: Group, join: Any, clock: Any,
        run_commit_hooks: Any) -> None:
    # given a member who did not come on Monday 16 November (absent)
    join(member, office)
    monday = date(2026, 11, 16)
    # when HR declares that Monday a national holiday
    with run_commit_hooks(), captured_events() as found:
        row = config.do_set_calendar_day(hr_person, None, monday, "holiday", " Museum Day ")
    # then it is one national row, announced, and the day is judged again for everyone
    assert list(CalendarDay.objects.filter(calendar__isnull=True).values_list(
        "pk", "date", "kind", "name")) == [(row.pk, monday, "holiday", "Museum Day")]
    assert rules_changed(found) == [("calendar", None)]
    assert recompute_jobs() == [([None, "2026-11-16", "2026-11-17",
                                  "the national calendar: 2026-11-16 changed"], "done")]
    day = DayResult.objects.get(person=member, date=monday)
    assert (day.day_kind, day.status) == ("holiday", "holiday")


def test_setting_a_day_again_replaces_its_row(hr_person: Any, office_calendar: Calendar,
                                              clock: Any) -> None:
    # given a closure on the office calendar
    first = config.do_set_calendar_day(hr_person, office_calendar.pk, date(2026, 12, 1),
                                       "closure", "Installation")
    # when HR makes the same date a special working day
    second = config.do_set_calendar_day(hr_person, office_calendar.pk, date(2026, 12, 1),
                                        "event", "Night at the museum")
    # then the calendar has one row for that date, the new one
    assert second.pk == first.pk
    assert list(CalendarDay.objects.filter(calendar=office_calendar).values_list(
        "date", "kind", "name")) == [(date(2026, 12, 1), "event", "Night at the museum")]


def test_a_calendar_day_rejudges_only_that_calendars_people(
        hr_person: Any, member: Any, office: Group, security: Group, join: Any, clock: Any,
        run_commit_hooks: Any) -> None:
    # given a member on the office calendar (the guards use it too)
    join(member, office)
    galleries = Calendar.objects.create(name="Galleries", rest_weekdays=[0])
    # when HR closes the galleries' calendar on a past day, nobody is affected
    with run_commit_hooks():
        config.do_set_calendar_day(hr_person, galleries.pk, date(2026, 11, 17), "closure",
                                   "Repairs")
    assert recompute_jobs() == []
    # when HR closes the office calendar, its people's day is judged again
    with run_commit_hooks():
        config.do_set_calendar_day(hr_person, office.calendar_id, date(2026, 11, 17),
                                   "closure", "Repairs")
    guards = sorted(security.memberships.values_list("person_id", flat=True))
    assert recompute_jobs() == [([sorted([member.pk, *guards]), "2026-11-17", "2026-11-18",
                                  "Office: 2026-11-17 changed"], "done")]
    day = DayResult.objects.get(person=member, date=date(2026, 11, 17))
    assert (day.day_kind, day.status) == ("rest_day", "rest")


def test_a_future_calendar_day_queues_nothing(hr_person: Any, office: Group, member: Any,
                                              join: Any, clock: Any,
                                              run_commit_hooks: Any) -> None:
    join(member, office)
    with run_commit_hooks():
        config.do_set_calendar_day(hr_person, None, date(2026, 11, 21), "adjusted_workday")
    assert recompute_jobs() == []
    assert CalendarDay.objects.filter(date=date(2026, 11, 21)).count() == 1


@pytest.mark.parametrize(("national", "kind", "name", "field", "message"), [
    (True, "closure", "Repairs", "kind",
     "The national calendar holds statutory holidays, make-up working days and days off in "
     "lieu only; set closures and special working days on a group's calendar."),
    (True, "event", "Opening", "kind",
     "The national calendar holds statutory holidays, make-up working days and days off in "
     "lieu only; set closures and special working days on a group's calendar."),
    (True, "party", "", "kind", "Choose one of: holiday, adjusted_workday, rest_in_lieu."),
    (False, "party", "", "kind",
     "Choose one of: holiday, adjusted_workday, rest_in_lieu, closure, event."),
    (True, "holiday", " ", "name", "Name the holiday, such as Spring Festival."),
    (False, "closure", "x" * 101, "name", "At most 100 characters."),
])
def test_a_calendar_day_with_bad_values_is_refused(
        national: bool, kind: str, name: str, field: str, message: str, hr_person: Any,
        office_calendar: Calendar) -> None:
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_set_calendar_day(hr_person, None if national else office_calendar.pk,
                                   date(2026, 12, 1), kind, name)
    assert refused(error) == {field: message}
    assert state() == before


def test_a_calendar_day_of_an_unknown_calendar_is_not_found(hr_person: Any, db: Any) -> None:
    with pytest.raises(NotFound):
        config.do_set_calendar_day(hr_person, 999_999, date(2026, 12, 1), "closure", "X")


def test_removing_a_past_day_rejudges_it(hr_person: Any, member: Any, office: Group,
                                         join: Any, clock: Any, run_commit_hooks: Any) -> None:
    # given a past closure of the office calendar
    join(member, office)
    closure = CalendarDay.objects.create(calendar=office.calendar, date=date(2026, 11, 17),
                                         kind="closure", name="Repairs")
    # when HR removes it
    with run_commit_hooks(), captured_events() as found:
        config.do_remove_calendar_day(hr_person, closure.pk)
    # then the day is a working day again
    assert not CalendarDay.objects.exists()
    assert rules_changed(found) == [("calendar", office.calendar_id)]
    assert recompute_jobs() == [([[member.pk], "2026-11-17", "2026-11-18",
                                  "Office: 2026-11-17 removed"], "done")]
    day = DayResult.objects.get(person=member, date=date(2026, 11, 17))
    assert (day.day_kind, day.status) == ("workday", "absent")


def test_removing_an_unknown_day_is_not_found(hr_person: Any, db: Any) -> None:
    with pytest.raises(NotFound):
        config.do_remove_calendar_day(hr_person, 999_999)


# --- Seeding a statutory year ----------------------------------------------------------------


def test_seeding_a_year_writes_the_national_rows(hr_person: Any, member: Any, office: Group,
                                                 join: Any, clock: Any,
                                                 run_commit_hooks: Any) -> None:
    # given no national rows of 2025 (the office calendar fixture removed them)
    join(member, office)
    # when HR seeds 2025
    with run_commit_hooks(), captured_events() as found:
        count = config.do_seed_statutory_year(hr_person, 2025)
    # then the 17 holidays, 5 make-up working days and 5 days in lieu are stored
    assert count == 27
    national = CalendarDay.objects.filter(calendar__isnull=True)
    assert national.count() == 27
    assert list(national.filter(date__in=[date(2025, 1, 28), date(2025, 2, 8),
                                          date(2025, 10, 8)])
                .values_list("date", "kind", "name")) == [
        (date(2025, 1, 28), "holiday", "Spring Festival"),
        (date(2025, 2, 8), "adjusted_workday", ""),
        (date(2025, 10, 8), "rest_in_lieu", "National Day")]
    assert rules_changed(found) == [("calendar", None)]
    # and every changed past date is judged again
    assert recompute_jobs() == [([None, "2025-01-01", "2025-10-12",
                                  "statutory calendar 2025 seeded"], "done")]
    day = DayResult.objects.get(person=member, date=date(2025, 1, 28))
    assert (day.day_kind, day.status) == ("holiday", "holiday")


def test_a_seeded_year_is_not_seeded_twice_unless_replaced(
        hr_person: Any, office_calendar: Calendar, clock: Any, run_commit_hooks: Any) -> None:
    # given 2025 seeded, and one date since changed by hand
    config.do_seed_statutory_year(hr_person, 2025)
    CalendarDay.objects.filter(calendar__isnull=True, date=date(2025, 10, 8)).update(
        kind="adjusted_workday")
    before = state()
    # when HR seeds it again, then it is refused and nothing changes
    with pytest.raises(Conflict) as error:
        config.do_seed_statutory_year(hr_person, 2025)
    assert (error.value.code, str(error.value.detail)) == (
        "year_exists",
        "The national calendar of 2025 already has 27 days; replace them to seed the year "
        "again.")
    assert state() == before
    # when HR replaces it, the year is as built in and only the changed date is re-judged
    with run_commit_hooks():
        assert config.do_seed_statutory_year(hr_person, 2025, replace=True) == 27
    assert CalendarDay.objects.get(calendar__isnull=True, date=date(2025, 10, 8)).kind == \
        "rest_in_lieu"
    assert CalendarDay.objects.filter(calendar__isnull=True).count() == 27
    assert [args for args, _status in recompute_jobs()] == [
        [None, "2025-10-08", "2025-10-09", "statutory calendar 2025 seeded"]]


def test_a_year_without_built_in_data_asks_for_the_csv(hr_person: Any, db: Any) -> None:
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_seed_statutory_year(hr_person, 2031)
    message = ("There is no built-in statutory calendar for 2031 (it covers 2004 to 2026). "
               "Import the State Council notice for 2031 as a CSV file with the columns "
               "date,kind,name.")
    assert refused(error) == {"year": message}
    assert str(error.value.detail) == message
    assert state() == before


# --- Importing a calendar CSV ----------------------------------------------------------------


def test_a_csv_import_replaces_the_rows_of_its_dates(hr_person: Any, office_calendar: Calendar,
                                                     clock: Any, run_commit_hooks: Any) -> None:
    # given national rows for two 2027 dates
    CalendarDay.objects.create(date=date(2027, 1, 1), kind="rest_in_lieu", name="Old")
    CalendarDay.objects.create(date=date(2027, 5, 1), kind="holiday", name="Labour Day")
    content = ("\ufeffdate,kind,name\n"
               "2027-01-01,holiday,New Year's Day\n"
               "\n"
               "2027/2/20,workday,\n"
               "2027-02-22,rest,Spring Festival\n").encode()
    # when HR imports the notice for 2027
    with run_commit_hooks(), captured_events() as found:
        count = config.do_import_calendar_csv(hr_person, None, content, year=2027)
    # then its three dates are stored, the other row is kept, and nothing past is re-judged
    assert count == 3
    assert list(CalendarDay.objects.filter(calendar__isnull=True).order_by("date")
                .values_list("date", "kind", "name")) == [
        (date(2027, 1, 1), "holiday", "New Year's Day"),
        (date(2027, 2, 20), "adjusted_workday", ""),
        (date(2027, 2, 22), "rest_in_lieu", "Spring Festival"),
        (date(2027, 5, 1), "holiday", "Labour Day")]
    assert rules_changed(found) == [("calendar", None)]
    assert recompute_jobs() == []


def test_a_csv_import_into_a_calendar_rejudges_its_past_dates(
        hr_person: Any, member: Any, office: Group, join: Any, clock: Any,
        run_commit_hooks: Any) -> None:
    join(member, office)
    content = b"date,kind,name\n2026-11-16,rest,Staff day\n2026-11-28,workday,\n"
    with run_commit_hooks():
        assert config.do_import_calendar_csv(hr_person, office.calendar_id, content) == 2
    assert list(CalendarDay.objects.filter(calendar=office.calendar).order_by("date")
                .values_list("date", "kind")) == [(date(2026, 11, 16), "rest_in_lieu"),
                                                  (date(2026, 11, 28), "adjusted_workday")]
    assert recompute_jobs() == [([[member.pk], "2026-11-16", "2026-11-20",
                                  "Office: dates imported"], "done")]
    day = DayResult.objects.get(person=member, date=date(2026, 11, 16))
    assert (day.day_kind, day.status) == ("rest_day", "rest")


def test_a_gb18030_csv_from_excel_is_read(hr_person: Any, office_calendar: Calendar) -> None:
    # Excel in a Chinese locale saves CSV as GB18030
    content = "date,kind,name\n2027-01-01,holiday,元旦\n".encode("gb18030")
    config.do_import_calendar_csv(hr_person, None, content, year=2027)
    assert CalendarDay.objects.get(calendar=None, date=date(2027, 1, 1)).name == "元旦"



@pytest.mark.parametrize(("content", "year", "fields"), [
    (b"date,kind,name\n"
     b"2027-13-01,holiday,Bad\n"
     b"2027-01-02,party,Bad\n"
     b"2027-01-03,holiday,\n"
     b"2027-01-04,workday\n"
     b"2026-01-05,rest,\n"
     b"2027-01-06,rest,\n"
     b"2027-01-06,workday,\n",
     2027,
     {"row 2, date": "Not a date such as 2027-01-01.",
      "row 3, kind": "The kind must be holiday, workday or rest.",
      "row 4, name": "A holiday needs a name, such as Spring Festival.",
      "row 5": "Each line needs three columns: date, kind and name.",
      "row 6, date": "This date is not in 2027.",
      "row 8, date": "This date is already listed on an earlier line."}),
    (b"day,type\n2027-01-01,holiday,X\n", None,
     {"row 1": "The first line must be the header date,kind,name."}),
    (b"", None, {"row 1": "The first line must be the header date,kind,name."}),
    (b"date,kind,name\n", None, {"file": "The file lists no dates."}),
    (b"date,kind,name\n2027-01-01,holiday,\x81\x20\xff\n", None,
     {"file": "Save the file as UTF-8 CSV."}),
])
def test_a_bad_csv_imports_nothing(content: bytes, year: int | None, fields: dict[str, str],
                                   hr_person: Any, office_calendar: Calendar) -> None:
    # given a national row that a partial import would overwrite
    CalendarDay.objects.create(date=date(2027, 1, 6), kind="holiday", name="Kept")
    before = state()
    # when HR imports a file with problems, every problem is named by row and column
    with pytest.raises(ValidationFailed) as error:
        config.do_import_calendar_csv(hr_person, None, content, year=year)
    assert refused(error) == fields
    # and nothing was written
    assert state() == before


# --- Shifts ----------------------------------------------------------------------------------


def test_a_fixed_shift_is_stored_normalised(hr_person: Any, clock: Any) -> None:
    with captured_events() as found:
        shift = config.do_save_shift(hr_person, None, {
            "code": "late", "name": " Late ", "segments": [["13:00", "17:00"], ("7:30", "21:30")],
            "late_grace_minutes": "5", "serious_late_minutes": None, "color": "#AA3300"})
    stored = Shift.objects.get(pk=shift.pk)
    assert (stored.code, stored.name, stored.kind, stored.segments, stored.late_grace_minutes,
            stored.early_leave_grace_minutes, stored.serious_late_minutes, stored.color) == (
        "late", "Late", "fixed", [["13:00", "17:00"], ["07:30", "21:30"]], 5, 0, None,
        "#aa3300")
    assert rules_changed(found) == [("shift", shift.pk)]


def test_a_flexible_shift_is_stored_with_its_window(hr_person: Any, clock: Any) -> None:
    shift = config.do_save_shift(hr_person, None, {
        "code": "flex", "name": "Flexible", "kind": "flexible", "target_minutes": 480,
        "earliest_start": "07:00", "latest_end": "20:00", "core_start": "10:00",
        "core_end": "15:00"})
    stored = Shift.objects.get(pk=shift.pk)
    assert (stored.kind, stored.target_minutes, str(stored.earliest_start),
            str(stored.latest_end), str(stored.core_start), str(stored.core_end),
            stored.segments) == ("flexible", 480, "07:00:00", "20:00:00", "10:00:00",
                                 "15:00:00", [])


FIXED = {"code": "late", "name": "Late", "segments": [["13:00", "21:00"]]}
FLEXIBLE = {"code": "flex", "name": "Flexible", "kind": "flexible", "target_minutes": 480,
            "earliest_start": "07:00", "latest_end": "20:00"}


@pytest.mark.parametrize(("data", "fields"), [
    ({**FIXED, "code": ""}, {"code": "Required."}),
    ({**FIXED, "code": "late shift"},
     {"code": "Use letters, digits, hyphens and underscores only."}),
    ({**FIXED, "code": "x" * 31}, {"code": "At most 30 characters."}),
    ({**FIXED, "code": "REST"}, {"code": "rest is reserved for days off."}),
    ({**FIXED, "code": "day"}, {"code": "Another shift has the code day."}),
    ({**FIXED, "name": ""}, {"name": "Required."}),
    ({**FIXED, "kind": "split"}, {"kind": "Fixed or flexible."}),
    ({**FIXED, "segments": "13:00-21:00"},
     {"segments": "A list of stretches, each a start and an end such as 09:00 and 17:30."}),
    ({**FIXED, "segments": [["13:00", "21:00"], ["1pm", "9pm"]]},
     {"segments": "Stretch 2: give a start and an end as HH:MM, such as 09:00 and 17:30."}),
    ({**FIXED, "segments": [["24:00", "08:00"]]},
     {"segments": "Stretch 1: give a start and an end as HH:MM, such as 09:00 and 17:30."}),
    ({**FIXED, "segments": [["09:00", "09:00"]]},
     {"segments": "Stretch 1 starts and ends at the same time."}),
    ({**FIXED, "segments": []},
     {"segments": "A fixed shift needs at least one stretch of working hours."}),
    ({**FIXED, "segments": [["06:00", "20:00"], ["20:30", "07:00"]]},
     {"segments": "The stretches add up to more than 24 hours."}),
    ({**FIXED, "late_grace_minutes": -1}, {"late_grace_minutes": "A whole number from 0 to 1440."}),
    ({**FIXED, "early_leave_grace_minutes": "five"},
     {"early_leave_grace_minutes": "A whole number from 0 to 1440."}),
    ({**FIXED, "late_grace_minutes": None}, {"late_grace_minutes": "Required."}),
    ({**FIXED, "absent_if_late_minutes": 1441},
     {"absent_if_late_minutes": "A whole number from 0 to 1440."}),
    ({**FIXED, "core_start": "14:00"},
     {"core_end": "Give both ends of the core hours, or neither."}),
    ({**FIXED, "core_end": "18:00"},
     {"core_start": "Give both ends of the core hours, or neither."}),
    ({**FIXED, "core_start": "25:00", "core_end": "18:00"},
     {"core_start": "A time such as 09:30."}),
    ({**FIXED, "segments": [["09:00", "12:00"], ["13:00", "18:00"]], "core_start": "10:00",
      "core_end": "16:00"},
     {"core_start": "Core hours work only with a single stretch of working hours."}),
    ({**FLEXIBLE, "target_minutes": None}, {"target_minutes": "A flexible shift needs this."}),
    ({**FLEXIBLE, "latest_end": ""}, {"latest_end": "A flexible shift needs this."}),
    ({**FLEXIBLE, "target_minutes": 0},
     {"target_minutes": "The daily target must be more than 0 minutes."}),
    ({**FLEXIBLE, "target_minutes": 800},
     {"target_minutes": "The daily target is longer than the time from the earliest start to "
                        "the latest end."}),
    ({**FIXED, "color": "blue"}, {"color": "A colour such as #2f6fb1."}),
    ({**FIXED, "colour": "#ffffff"}, {"colour": "Unknown field."}),
])
def test_a_shift_with_bad_values_is_refused(data: dict[str, Any], fields: dict[str, str],
                                            hr_person: Any, day_shift: Shift) -> None:
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_save_shift(hr_person, None, data)
    assert refused(error) == fields
    assert state() == before


def test_the_code_of_a_shift_in_use_cannot_change(hr_person: Any, office: Group) -> None:
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_save_shift(hr_person, office.shift_id, {"code": "office"})
    assert refused(error) == {"code": "Groups or roster cells use the code day, so it cannot "
                                      "change."}
    assert state() == before


def test_an_unknown_shift_is_not_found(hr_person: Any, db: Any) -> None:
    with pytest.raises(NotFound):
        config.do_save_shift(hr_person, 999_999, {"name": "X"})


def test_new_hours_rejudge_the_open_days_of_the_people_on_the_shift(
        hr_person: Any, member: Any, office: Group, join: Any, punch_at: Any, clock: Any,
        security: Group, guards: tuple[Any, Any], run_commit_hooks: Any) -> None:
    # given a member on time for 09:00 on Monday 16 November
    join(member, office)
    monday = date(2026, 11, 16)
    punch_at(member, local(monday, 8, 58))
    punch_at(member, local(monday, 17, 31))
    # when HR moves the day shift to start at 08:30 (5 minutes' grace stays)
    with run_commit_hooks(), captured_events() as found:
        config.do_save_shift(hr_person, office.shift_id, {"segments": [["08:30", "17:30"]]})
    # then everyone whose group or cycle uses it is judged again since last month
    assert rules_changed(found) == [("shift", office.shift_id)]
    people = sorted([member.pk, guards[0].pk, guards[1].pk])
    assert recompute_jobs() == [([people, "2026-10-01", "2026-11-20", "shift day changed"],
                                 "done")]
    day = DayResult.objects.get(person=member, date=monday)
    assert (day.status, day.late_minutes) == ("late", 28)


def test_a_new_name_or_colour_rejudges_nothing(hr_person: Any, member: Any, office: Group,
                                               join: Any, clock: Any,
                                               run_commit_hooks: Any) -> None:
    join(member, office)
    with run_commit_hooks():
        config.do_save_shift(hr_person, office.shift_id, {"name": "Office day",
                                                          "color": "#123456"})
    assert recompute_jobs() == []
    assert Shift.objects.filter(pk=office.shift_id).values_list("name", "color").get() == (
        "Office day", "#123456")


def test_an_unused_shift_is_deleted(hr_person: Any, early_shift: Shift) -> None:
    with captured_events() as found:
        config.do_delete_shift(hr_person, early_shift.pk)
    assert not Shift.objects.filter(pk=early_shift.pk).exists()
    assert rules_changed(found) == [("shift", early_shift.pk)]


@pytest.mark.parametrize(("code", "message"), [
    ("day", "The shift day is used by groups Office, Security; change them first."),
    ("night", "The shift night is used by groups Security; change them first."),
    ("early", "The shift early is used by 1 roster cells; change them first."),
])
def test_a_shift_in_use_is_not_deleted(code: str, message: str, hr_person: Any,
                                       office: Group, security: Group,
                                       guards: tuple[Any, Any]) -> None:
    # given the day shift in the office group, night in the rota, early in one cell
    RosterCell.objects.create(person=guards[0], date=date(2026, 11, 24), shift_code="early")
    before = state()
    # when HR deletes one of them, it is refused naming who uses it
    with pytest.raises(Conflict) as error:
        config.do_delete_shift(hr_person, Shift.objects.get(code=code).pk)
    assert (error.value.code, str(error.value.detail)) == ("in_use", message)
    assert state() == before


def test_deleting_an_unknown_shift_is_not_found(hr_person: Any, db: Any) -> None:
    with pytest.raises(NotFound):
        config.do_delete_shift(hr_person, 999_999)


# --- Groups ----------------------------------------------------------------------------------


def test_a_fixed_group_is_stored_with_its_sites(hr_person: Any, office_calendar: Calendar,
                                                day_shift: Shift, site: Site) -> None:
    with captured_events() as found:
        group = config.do_save_group(hr_person, None, {
            "name": " Galleries ", "calendar_id": office_calendar.pk, "shift": str(day_shift.pk),
            "site_ids": [site.pk], "allow_unverified": True, "workday_overtime": "comp_time",
            "minimum_overtime_minutes": "60", "make_up_limit": 2})
    stored = Group.objects.get(pk=group.pk)
    assert (stored.name, stored.calendar_id, stored.schedule, stored.shift_id, stored.cycle,
            stored.cycle_anchor, stored.allow_geofence, stored.allow_unverified,
            stored.overtime_basis, stored.workday_overtime, stored.rest_day_overtime,
            stored.minimum_overtime_minutes, stored.make_up_limit) == (
        "Galleries", office_calendar.pk, "fixed", day_shift.pk, [], None, True, True,
        "approval", "comp_time", "comp_time", 60, 2)
    assert list(stored.sites.values_list("pk", flat=True)) == [site.pk]
    assert rules_changed(found) == [("group", group.pk)]


def test_a_roster_group_is_stored_with_its_cycle(hr_person: Any, office_calendar: Calendar,
                                                 day_shift: Shift, night_shift: Shift) -> None:
    group = config.do_save_group(hr_person, None, {
        "name": "Night watch", "calendar": office_calendar, "schedule": "roster",
        "cycle": "day, night,rest rest", "cycle_anchor": "2026-11-02"})
    stored = Group.objects.get(pk=group.pk)
    assert (stored.schedule, stored.shift_id, stored.cycle, stored.cycle_anchor) == (
        "roster", None, ["day", "night", "rest", "rest"], ANCHOR)


ROSTER = {"name": "Watch", "schedule": "roster", "cycle": ["day", "night", "rest"],
          "cycle_anchor": ANCHOR}


@pytest.mark.parametrize(("data", "fields"), [
    ({"name": ""}, {"name": "Required."}),
    ({"name": "Office"}, {"name": "Another group is called Office."}),
    ({"calendar": None}, {"calendar": "Choose a calendar."}),
    ({"calendar": 999_999}, {"calendar": "Choose a calendar."}),
    ({"schedule": "weekly"}, {"schedule": "A fixed shift or a rotating roster."}),
    ({"shift": None}, {"shift": "A group on a fixed schedule needs a shift."}),
    ({"shift": 999_999}, {"shift": "No such shift."}),
    ({**ROSTER, "cycle": []},
     {"cycle": "A roster needs a cycle of shift codes, such as day, night, rest."}),
    ({**ROSTER, "cycle": ["day", "swing", "dusk"]},
     {"cycle": "Unknown shift codes: dusk, swing."}),
    ({**ROSTER, "cycle": [1, 2]}, {"cycle": "A list of shift codes."}),
    ({**ROSTER, "cycle": ["rest", "rest"]},
     {"cycle": "The cycle needs at least one working shift."}),
    ({**ROSTER, "cycle": ["night", "early", "rest"]},
     {"cycle": "Day 1 of the cycle (night) overlaps the shift of the day before or after."}),
    ({**ROSTER, "cycle_anchor": None},
     {"cycle_anchor": "Give the date on which the cycle's first day falls."}),
    ({**ROSTER, "cycle_anchor": "02/11/2026"}, {"cycle_anchor": "A date such as 2026-11-02."}),
    ({"allow_geofence": False, "allow_network": False, "allow_device": False},
     {"allow_geofence": "Allow at least one way of punching in."}),
    ({"allow_network": "no"}, {"allow_network": "Yes or no."}),
    ({"overtime_basis": "hours"}, {"overtime_basis": "Choose one of: approval, punches."}),
    ({"rest_day_overtime": "cash"}, {"rest_day_overtime": "Choose one of: pay, comp_time."}),
    ({"minimum_overtime_minutes": 1441},
     {"minimum_overtime_minutes": "A whole number from 0 to 1440."}),
    ({"make_up_limit": 32}, {"make_up_limit": "A whole number from 0 to 31."}),
    ({"site_ids": [999_999]}, {"site_ids": "No such sites: 999999."}),
    ({"site_ids": "1"}, {"site_ids": "A list of site ids."}),
    ({"sites": [1]}, {"sites": "Unknown field."}),
])
def test_a_group_with_bad_values_is_refused(data: dict[str, Any], fields: dict[str, str],
                                            hr_person: Any, office: Group,
                                            early_shift: Shift, night_shift: Shift) -> None:
    before = state()
    values = {"name": "Galleries", "calendar": office.calendar_id, "shift": office.shift_id,
              **data}
    with pytest.raises(ValidationFailed) as error:
        config.do_save_group(hr_person, None, values)
    assert refused(error) == fields
    assert state() == before


def test_an_unknown_group_is_not_found(hr_person: Any, db: Any) -> None:
    with pytest.raises(NotFound):
        config.do_save_group(hr_person, 999_999, {"name": "X"})


def test_a_group_change_that_judges_differently_rejudges_its_members(
        hr_person: Any, member: Any, office: Group, join: Any, clock: Any,
        night_shift: Shift, run_commit_hooks: Any) -> None:
    # given a member of the office and October closed for payroll
    join(member, office)
    Month.objects.create(first_day=date(2026, 10, 1), closed_at=FROZEN_NOW,
                         closed_by=hr_person)
    # when HR only renames the group and allows unverified punches, nothing is re-judged
    with run_commit_hooks():
        config.do_save_group(hr_person, office.pk, {"name": "Offices",
                                                    "allow_unverified": True})
    assert recompute_jobs() == []
    # when HR moves the group to the night shift, its open days (November) are re-judged
    with run_commit_hooks():
        config.do_save_group(hr_person, office.pk, {"shift_id": night_shift.pk})
    assert recompute_jobs() == [([[member.pk], "2026-11-01", "2026-11-20",
                                  "group Offices changed"], "done")]
    assert DayResult.objects.get(person=member, date=date(2026, 11, 16)).shift_code == "night"
    assert not DayResult.objects.filter(date__lt=date(2026, 11, 1)).exists()


# --- Members ---------------------------------------------------------------------------------


def test_members_are_set_exactly(hr_person: Any, member: Any, office: Group, security: Group,
                                 guards: tuple[Any, Any], join: Any, clock: Any,
                                 run_commit_hooks: Any) -> None:
    # given the member in the office and Wang in the security rota
    join(member, office)
    wang, zhao = guards
    # when HR makes Wang and HR the office's members
    with run_commit_hooks(), captured_events() as found:
        count = config.do_set_members(hr_person, office.pk, [wang.pk, hr_person.pk, wang.pk])
    # then Wang moved (joining today), HR joined, the member left
    assert count == 2
    assert sorted(Membership.objects.filter(group=office).values_list(
        "person_id", "roster_offset", "joined_on")) == sorted([
        (wang.pk, 0, date(2026, 11, 20)), (hr_person.pk, 0, date(2026, 11, 20))])
    assert not Membership.objects.filter(person=member).exists()
    assert list(Membership.objects.filter(group=security).values_list("person_id",
                                                                       flat=True)) == [zhao.pk]
    assert rules_changed(found) == [("members", office.pk)]
    # and the days of those who joined are judged again, from the day they joined: the
    # days before belong to the group they were in then
    assert recompute_jobs() == [([sorted([wang.pk, hr_person.pk]), "2026-10-01",
                                  "2026-11-20", "members of Office changed"], "done")]
    assert DayResult.objects.get(person=wang, date=date(2026, 11, 20)).shift_code == "day"
    assert not DayResult.objects.filter(person=wang, date__lt=date(2026, 11, 20)).exists()


def test_roster_positions_are_kept_or_set(hr_person: Any, security: Group,
                                          guards: tuple[Any, Any], clock: Any,
                                          run_commit_hooks: Any) -> None:
    wang, zhao = guards
    # when HR moves Zhao to position 3 and keeps Wang, only Zhao is re-judged
    with run_commit_hooks():
        config.do_set_members(hr_person, security.pk, [wang.pk, zhao.pk],
                              offsets={zhao.pk: 3})
    assert sorted(Membership.objects.values_list("person_id", "roster_offset")) == sorted(
        [(wang.pk, 0), (zhao.pk, 3)])
    assert [args for args, _status in recompute_jobs()] == [
        [[zhao.pk], "2026-10-01", "2026-11-20", "members of Security changed"]]
    # when HR sets the same members again, nothing is re-judged
    with run_commit_hooks():
        assert config.do_set_members(hr_person, security.pk, [zhao.pk, wang.pk]) == 2
    assert len(recompute_jobs()) == 1


def test_unknown_or_inactive_people_are_named(hr_person: Any, member: Any, office: Group,
                                              join: Any) -> None:
    join(member, office)
    gone = PersonFactory(username="gone", name_zh="李去", name_en="Li Left", is_active=False)
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_set_members(hr_person, office.pk, [member.pk, gone.pk, 999_999])
    assert refused(error) == {"person_ids": "Not found or no longer active: Li Left, #999999."}
    assert state() == before


@pytest.mark.parametrize(("offsets", "message"), [
    ({"stranger": 1}, "Positions given for people not in the list: #{stranger}."),
    ({"wang": 4}, "Positions in the cycle are whole numbers from 0 to 3."),
    ({"wang": -1}, "Positions in the cycle are whole numbers from 0 to 3."),
])
def test_bad_roster_positions_are_refused(offsets: dict[str, int], message: str,
                                          hr_person: Any, security: Group,
                                          guards: tuple[Any, Any], member: Any) -> None:
    people = {"wang": guards[0].pk, "stranger": member.pk}
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_set_members(hr_person, security.pk, [guards[0].pk],
                              offsets={people[name]: value for name, value in offsets.items()})
    assert refused(error) == {"offsets": message.format(stranger=member.pk)}
    assert state() == before


def test_members_of_an_unknown_group_are_not_found(hr_person: Any, db: Any) -> None:
    with pytest.raises(NotFound):
        config.do_set_members(hr_person, 999_999, [])


# --- Roster cells ----------------------------------------------------------------------------


def test_a_roster_cell_is_stored_with_its_note(hr_person: Any, security: Group,
                                               guards: tuple[Any, Any], clock: Any,
                                               run_commit_hooks: Any) -> None:
    wang, zhao = guards
    sunday = date(2026, 11, 22)  # Wang's cycle gives day, Zhao's night
    # when HR gives Wang the day off and Zhao the shift the cycle already gives
    with run_commit_hooks(), captured_events() as found:
        written = config.do_set_roster_cells(hr_person, security.pk, [
            (wang.pk, sunday, "rest"), (zhao.pk, sunday, " night ")], note="Training")
    # then one cell is stored; the future day is not judged
    assert written == 1
    assert list(RosterCell.objects.values_list("person_id", "date", "shift_code", "note",
                                               "changed_by_id")) == [
        (wang.pk, sunday, "rest", "Training", hr_person.pk)]
    assert rules_changed(found) == [("roster", security.pk)]
    assert recompute_jobs() == []


def test_the_code_the_cycle_gives_removes_the_cell(hr_person: Any, security: Group,
                                                   guards: tuple[Any, Any], clock: Any) -> None:
    wang = guards[0]
    sunday = date(2026, 11, 22)
    RosterCell.objects.create(person=wang, date=sunday, shift_code="rest", note="Training")
    assert config.do_set_roster_cells(hr_person, security.pk, [(wang.pk, sunday, "day")]) == 1
    assert not RosterCell.objects.exists()


def test_a_past_cell_rejudges_the_day(hr_person: Any, security: Group, guards: tuple[Any, Any],
                                      clock: Any, run_commit_hooks: Any) -> None:
    wang = guards[0]
    monday = date(2026, 11, 16)  # a rest day in Wang's cycle
    with run_commit_hooks():
        config.do_set_roster_cells(hr_person, security.pk, [(wang.pk, monday, "day")])
    assert recompute_jobs() == [([[wang.pk], "2026-11-16", "2026-11-17",
                                  "roster of Security changed"], "done")]
    day = DayResult.objects.get(person=wang, date=monday)
    assert (day.shift_code, day.day_kind, day.status) == ("day", "workday", "absent")


def test_a_cell_that_overlaps_the_night_before_is_refused(
        hr_person: Any, security: Group, guards: tuple[Any, Any], clock: Any) -> None:
    # given Wang on nights on Monday 23 November (20:00 to 08:00 on Tuesday)
    wang, zhao = guards
    tuesday = date(2026, 11, 24)
    before = state()
    # when HR puts Wang on the early shift (06:00) on Tuesday, with a harmless cell for Zhao
    with pytest.raises(ValidationFailed) as error:
        config.do_set_roster_cells(hr_person, security.pk, [
            (zhao.pk, tuesday, "day"), (wang.pk, tuesday, "early")])
    # then the overlap is named by person and date, and no cell is written
    assert refused(error) == {
        f"person {wang.pk}, 2026-11-24": "Wang Li would work overlapping shifts: early on "
                                         "2026-11-24 runs into the shift of the day before or "
                                         "after."}
    assert state() == before


@pytest.mark.parametrize(("cells", "note", "fields"), [
    ([("stranger", "2026-11-22", "day")], "",
     {"person {stranger}, 2026-11-22": "Sun Yu is not a member of Security."}),
    ([("wang", "2026-11-22", "swing")], "",
     {"person {wang}, 2026-11-22": "swing is not a shift code."}),
    ([("wang", "2026-11-22", "rest"), ("wang", "2026-11-22", "night")], "",
     {"person {wang}, 2026-11-22": "Wang Li on 2026-11-22 is listed twice."}),
    ([("wang", "2026-11-22", "rest")], "x" * 201, {"note": "At most 200 characters."}),
    ([], "", {"cells": "Give the cells to change, each a person id, a date and a shift code."}),
    ([("wang", "22/11/2026", "rest")], "",
     {"cells": "Give the cells to change, each a person id, a date and a shift code."}),
])
def test_bad_roster_cells_are_refused(cells: list[tuple[str, str, str]], note: str,
                                      fields: dict[str, str], hr_person: Any, security: Group,
                                      guards: tuple[Any, Any]) -> None:
    stranger = PersonFactory(username="sun", name_zh="孙宇", name_en="Sun Yu")
    people = {"wang": guards[0].pk, "stranger": stranger.pk}
    given = [(people[who], date.fromisoformat(day) if "-" in day else day, code)
             for who, day, code in cells]
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_set_roster_cells(hr_person, security.pk, given, note=note)  # type: ignore[arg-type]
    assert refused(error) == {key.format(**people): message for key, message in fields.items()}
    assert state() == before


def test_a_closed_month_keeps_its_roster(hr_person: Any, security: Group,
                                         guards: tuple[Any, Any], clock: Any) -> None:
    Month.objects.create(first_day=date(2026, 10, 1), closed_at=FROZEN_NOW, closed_by=hr_person)
    before = state()
    with pytest.raises(Conflict) as error:
        config.do_set_roster_cells(hr_person, security.pk, [
            (guards[0].pk, date(2026, 11, 22), "rest"), (guards[0].pk, date(2026, 10, 12),
                                                         "rest")])
    assert (error.value.code, str(error.value.detail)) == (
        "closed", "2026-10 is closed; its roster can no longer change.")
    assert state() == before


# --- Swaps -----------------------------------------------------------------------------------


def test_a_day_and_a_night_guard_swap(hr_person: Any, security: Group, guards: tuple[Any, Any],
                                      clock: Any, run_commit_hooks: Any) -> None:
    # given Wang on days and Zhao on nights on Sunday 22 November, and the other way round
    # on Thursday 26 November
    wang, zhao = guards
    sunday, thursday = date(2026, 11, 22), date(2026, 11, 26)
    # when HR swaps them on Sunday and back on Thursday
    with run_commit_hooks(), captured_events() as found:
        config.do_swap_shifts(hr_person, wang.pk, zhao.pk, sunday, swap_back_day=thursday)
    # then both have cells on both days, each noting the swap; nothing past is re-judged
    assert sorted(RosterCell.objects.values_list("person_id", "date", "shift_code", "note",
                                                 "changed_by_id")) == sorted([
        (wang.pk, sunday, "night",
         "Swapped with Zhao Min on 2026-11-22 and back on 2026-11-26", hr_person.pk),
        (wang.pk, thursday, "night",
         "Swapped with Zhao Min on 2026-11-22 and back on 2026-11-26", hr_person.pk),
        (zhao.pk, sunday, "day",
         "Swapped with Wang Li on 2026-11-22 and back on 2026-11-26", hr_person.pk),
        (zhao.pk, thursday, "day",
         "Swapped with Wang Li on 2026-11-22 and back on 2026-11-26", hr_person.pk)])
    assert rules_changed(found) == [("roster", security.pk)]
    assert recompute_jobs() == []


def test_a_past_swap_rejudges_both(hr_person: Any, security: Group, guards: tuple[Any, Any],
                                   clock: Any, run_commit_hooks: Any) -> None:
    wang, zhao = guards
    wednesday = date(2026, 11, 18)  # Wang on days, Zhao on nights
    with run_commit_hooks():
        config.do_swap_shifts(hr_person, wang.pk, zhao.pk, wednesday)
    assert sorted(RosterCell.objects.values_list("person_id", "shift_code", "note")) == sorted(
        [(wang.pk, "night", "Swapped with Zhao Min on 2026-11-18"),
         (zhao.pk, "day", "Swapped with Wang Li on 2026-11-18")])
    assert recompute_jobs() == [([sorted([wang.pk, zhao.pk]), "2026-11-18", "2026-11-19",
                                  "shift swap of Wang Li and Zhao Min"], "done")]
    assert DayResult.objects.get(person=wang, date=wednesday).shift_code == "night"
    assert DayResult.objects.get(person=zhao, date=wednesday).shift_code == "day"


def test_swapping_back_to_the_cycle_removes_the_cells(hr_person: Any, security: Group,
                                                      guards: tuple[Any, Any],
                                                      clock: Any) -> None:
    wang, zhao = guards
    sunday = date(2026, 11, 22)
    config.do_swap_shifts(hr_person, wang.pk, zhao.pk, sunday)
    config.do_swap_shifts(hr_person, wang.pk, zhao.pk, sunday)
    assert not RosterCell.objects.exists()


def test_a_swap_into_overlapping_shifts_is_refused(hr_person: Any, security: Group,
                                                   guards: tuple[Any, Any], clock: Any) -> None:
    # given Wang on nights on Monday 23 November and Zhao moved to the early shift on Tuesday
    wang, zhao = guards
    tuesday = date(2026, 11, 24)
    RosterCell.objects.create(person=zhao, date=tuesday, shift_code="early")
    before = state()
    # when HR gives Wang Zhao's early shift the morning after his night
    with pytest.raises(ValidationFailed) as error:
        config.do_swap_shifts(hr_person, zhao.pk, wang.pk, tuesday)
    # then it is refused naming Wang and the day, and nothing is written
    assert refused(error) == {"day": "After the swap Wang Li would work early on 2026-11-24, "
                                     "overlapping the shift of the day before or after."}
    assert state() == before


@pytest.mark.parametrize(("first", "second", "day", "back", "fields"), [
    ("wang", "wang", "2026-11-22", None, {"person_b": "Choose two different people."}),
    ("wang", "zhao", "2026-11-22", "2026-11-22",
     {"swap_back_day": "The swap-back day must be another day."}),
    ("wang", "zhao", "2026-11-16", None,
     {"day": "Both have rest on 2026-11-16; there is nothing to swap."}),
    ("wang", "zhao", "2026-11-22", "2026-11-24",
     {"swap_back_day": "Both have rest on 2026-11-24; there is nothing to swap."}),
    ("wang", "outsider", "2026-11-22", None,
     {"person_b": "Outsider is not in an attendance group."}),
])
def test_a_swap_that_cannot_be_made_is_refused(
        first: str, second: str, day: str, back: str | None, fields: dict[str, str],
        hr_person: Any, security: Group, guards: tuple[Any, Any], clock: Any,
        museum: dict[str, Any]) -> None:
    outsider = PersonFactory(username="x", name_zh="外人", name_en="Outsider")
    people = {"wang": guards[0].pk, "zhao": guards[1].pk, "outsider": outsider.pk}
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_swap_shifts(hr_person, people[first], people[second],
                              date.fromisoformat(day),
                              swap_back_day=date.fromisoformat(back) if back else None)
    assert refused(error) == fields
    assert state() == before


def test_a_swap_in_a_closed_month_is_refused(hr_person: Any, security: Group,
                                             guards: tuple[Any, Any], clock: Any) -> None:
    Month.objects.create(first_day=date(2026, 10, 1), closed_at=FROZEN_NOW, closed_by=hr_person)
    with pytest.raises(Conflict) as error:
        config.do_swap_shifts(hr_person, guards[0].pk, guards[1].pk, date(2026, 11, 22),
                              swap_back_day=date(2026, 10, 12))
    assert error.value.code == "closed"
    assert not RosterCell.objects.exists()


# --- Sites -----------------------------------------------------------------------------------


def test_a_site_is_stored_normalised(hr_person: Any, clock: Any, run_commit_hooks: Any) -> None:
    with run_commit_hooks(), captured_events() as found:
        site = config.do_save_site(hr_person, None, {
            "name": " North Gate ", "latitude": "39.9", "longitude": 116.4, "radius_m": 200,
            "networks": ["10.20.1.7/16", "2001:db8::1/64", "10.20.0.0/16"]})
    stored = Site.objects.get(pk=site.pk)
    assert (stored.name, stored.latitude, stored.longitude, stored.radius_m, stored.networks,
            stored.is_active) == ("North Gate", Decimal("39.900000"), Decimal("116.400000"),
                                  200, ["10.20.0.0/16", "2001:db8::/64"], True)
    assert rules_changed(found) == [("site", site.pk)]
    assert recompute_jobs() == []


def test_a_site_change_keeps_what_is_not_given(hr_person: Any, site: Site) -> None:
    config.do_save_site(hr_person, site.pk, {"radius_m": "500", "networks": "10.1.0.0/16, "
                                                                            "10.2.0.0/16"})
    stored = Site.objects.get(pk=site.pk)
    assert (stored.name, stored.latitude, stored.radius_m, stored.networks) == (
        "Meridian Gate", Decimal("39.912560"), 500, ["10.1.0.0/16", "10.2.0.0/16"])


SITE = {"name": "North Gate", "latitude": "39.9", "longitude": "116.4"}


@pytest.mark.parametrize(("data", "fields"), [
    ({**SITE, "name": ""}, {"name": "Required."}),
    ({**SITE, "name": "Meridian Gate"}, {"name": "Another site is called Meridian Gate."}),
    ({**SITE, "latitude": "90.5"}, {"latitude": "A number from -90 to 90."}),
    ({**SITE, "latitude": -91}, {"latitude": "A number from -90 to 90."}),
    ({**SITE, "latitude": "north"}, {"latitude": "A number from -90 to 90."}),
    ({**SITE, "latitude": "NaN"}, {"latitude": "A number from -90 to 90."}),
    ({"name": "North Gate", "longitude": "116.4"}, {"latitude": "A number from -90 to 90."}),
    ({**SITE, "longitude": "180.1"}, {"longitude": "A number from -180 to 180."}),
    ({**SITE, "radius_m": 9}, {"radius_m": "A whole number from 10 to 5000."}),
    ({**SITE, "radius_m": 5001}, {"radius_m": "A whole number from 10 to 5000."}),
    ({**SITE, "networks": ["10.20.0.0/16", "10.20.0.0/33"]},
     {"networks": "10.20.0.0/33 is not a network range; write it like 10.20.0.0/16."}),
    ({**SITE, "networks": 10}, {"networks": "A list of network ranges such as 10.20.0.0/16."}),
    ({**SITE, "is_active": "yes"}, {"is_active": "Yes or no."}),
    ({**SITE, "radius": 300}, {"radius": "Unknown field."}),
])
def test_a_site_with_bad_values_is_refused(data: dict[str, Any], fields: dict[str, str],
                                           hr_person: Any, site: Site) -> None:
    before = state()
    with pytest.raises(ValidationFailed) as error:
        config.do_save_site(hr_person, None, data)
    assert refused(error) == fields
    assert state() == before


def test_an_unknown_site_is_not_found(hr_person: Any, db: Any) -> None:
    with pytest.raises(NotFound):
        config.do_save_site(hr_person, 999_999, {"name": "X"})
