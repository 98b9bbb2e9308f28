"""HR's attendance rule pages: only people holding ``attendance.rules.manage`` (HR and
administrators) open them; each form stores exactly what was typed through the
configuration services, and a refused form shows the services' messages next to the fields
while keeping what was typed and storing nothing."""

from __future__ import annotations

import io
from datetime import date, time
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.attendance.models import (
    Calendar,
    CalendarDay,
    Employment,
    Group,
    LeaveType,
    LedgerEntry,
    Membership,
    Month,
    Punch,
    PunchImport,
    RosterCell,
    Shift,
    Site,
)
from taihe.modules.attendance.rules.calendar import statutory_days
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import local

pytestmark = pytest.mark.django_db


def _page(response: Any) -> str:
    return unescape(response.content.decode())


def _csv(content: str, name: str = "file.csv") -> io.BytesIO:
    upload = io.BytesIO(content.encode())
    upload.name = name
    return upload


@pytest.fixture
def guard(museum: dict[str, Any]) -> Any:
    """A second staff member of the lab, for rosters and swaps."""
    return PersonFactory(username="guard", name_zh="王五", name_en="Wang Wu",
                         department=museum["security"], roles=["staff"])


@pytest.fixture
def rota(office_calendar: Calendar, day_shift: Shift, night_shift: Shift) -> Group:
    """A rotating roster group: day, day, night, rest from Monday 2 November 2026."""
    return Group.objects.create(name="Guards", calendar=office_calendar,
                                schedule=Group.Schedule.ROSTER,
                                cycle=["day", "day", "night", "rest"],
                                cycle_anchor=date(2026, 11, 2))


def _urls(office: Group, calendar: Calendar, shift: Shift, site: Site) -> list[str]:
    return [reverse("attendance:manage"), reverse("attendance:calendar_new"),
            reverse("attendance:calendar", args=[calendar.pk]),
            reverse("attendance:national"), reverse("attendance:shift_new"),
            reverse("attendance:shift", args=[shift.pk]), reverse("attendance:group_new"),
            reverse("attendance:group", args=[office.pk]),
            reverse("attendance:roster", args=[office.pk]), reverse("attendance:site_new"),
            reverse("attendance:site", args=[site.pk]), reverse("attendance:import"),
            reverse("attendance:balances")]


def _snapshot() -> dict[str, Any]:
    """Everything the rule pages may write, to prove a refused post wrote nothing."""
    return {
        "calendars": list(Calendar.objects.order_by("pk").values()),
        "days": list(CalendarDay.objects.order_by("pk").values()),
        "shifts": list(Shift.objects.order_by("pk").values()),
        "groups": list(Group.objects.order_by("pk").values()),
        "group_sites": list(Group.sites.through.objects.order_by("pk").values()),
        "members": list(Membership.objects.order_by("pk").values()),
        "cells": list(RosterCell.objects.order_by("pk").values()),
        "sites": list(Site.objects.order_by("pk").values()),
        "imports": list(PunchImport.objects.order_by("pk").values()),
        "punches": list(Punch.objects.order_by("pk").values()),
        "employment": list(Employment.objects.order_by("pk").values()),
        "ledger": list(LedgerEntry.objects.order_by("pk").values()),
    }


def _hostile_posts(office: Group, calendar: Calendar, shift: Shift, site: Site,
                   person: Any) -> list[tuple[str, dict[str, Any]]]:
    """One valid post for every form of every page."""
    return [
        (reverse("attendance:calendar_new"), {"action": "save", "name": "Sneaky",
                                              "rest_weekdays": ["0"]}),
        (reverse("attendance:calendar", args=[calendar.pk]),
         {"action": "add_day", "day-date": "2026-11-11", "day-kind": "closure",
          "day-name": "Gone"}),
        (reverse("attendance:national"), {"action": "seed", "year": "2025", "replace": "on"}),
        (reverse("attendance:shift_new"), {"action": "save", "code": "x", "name": "X",
                                           "kind": "fixed", "late_grace_minutes": "0",
                                           "early_leave_grace_minutes": "0",
                                           "color": "#000000", "segment_start": "09:00",
                                           "segment_end": "10:00"}),
        (reverse("attendance:shift", args=[shift.pk]), {"action": "delete"}),
        (reverse("attendance:group", args=[office.pk]),
         {"action": "members", "add": str(person.pk)}),
        (reverse("attendance:roster", args=[office.pk]),
         {"action": "cells", "month": "2026-11",
          f"cell-{person.pk}-2026-11-02": "rest"}),
        (reverse("attendance:site", args=[site.pk]),
         {"name": "Moved", "latitude": "1", "longitude": "1", "radius_m": "100"}),
        (reverse("attendance:import"), {"file": _csv("person,time\nmember,2026-11-02 09:00\n")}),
        (reverse("attendance:balances"), {"action": "grant", "grant-year": "2026"}),
        (reverse("attendance:balances"), {"action": "adjust", "person": str(person.pk),
                                          "adjust-leave_type": "annual",
                                          "adjust-amount": "3", "adjust-note": "Gift"}),
    ]


# --- Who may open the pages ----------------------------------------------------------------


def test_hr_and_administrators_open_every_page(client_for: Any, hr_person: Any,
                                               admin_person: Any, office: Group,
                                               office_calendar: Calendar, day_shift: Shift,
                                               site: Site, clock: Any) -> None:
    # Given HR and an administrator
    for person in (hr_person, admin_person):
        client = client_for(person)
        # When they open every rule page, then every page opens
        statuses = [client.get(url).status_code
                    for url in _urls(office, office_calendar, day_shift, site)]
        assert statuses == [200] * 13, person.username


def test_staff_and_outsiders_are_refused_and_see_nothing(
        client_for: Any, member: Any, outsider: Any, office: Group,
        office_calendar: Calendar, day_shift: Shift, site: Site, clock: Any) -> None:
    for person in (member, outsider):
        client = client_for(person)
        for url in _urls(office, office_calendar, day_shift, site):
            # When someone without the right opens a page
            response = client.get(url)
            # Then it is refused without showing the rules
            assert response.status_code == 403, (person.username, url)
            assert "Meridian Gate" not in _page(response)
            assert "Office" not in _page(response)


def test_anonymous_visitors_are_sent_to_sign_in(client_for: Any, office: Group,
                                                office_calendar: Calendar, day_shift: Shift,
                                                site: Site, member: Any) -> None:
    client = client_for(None)
    before = _snapshot()
    for url in _urls(office, office_calendar, day_shift, site):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("directory:login"))
    for url, data in _hostile_posts(office, office_calendar, day_shift, site, member):
        response = client.post(url, data)
        assert response.status_code == 302, url
    assert _snapshot() == before


def test_refused_posts_change_nothing(client_for: Any, member: Any, outsider: Any,
                                      office: Group, office_calendar: Calendar,
                                      day_shift: Shift, site: Site, join: Any,
                                      clock: Any) -> None:
    # Given a member of the office group and the rules as they are
    join(member, office)
    before = _snapshot()
    for person in (member, outsider):
        client = client_for(person)
        # When someone without the right posts every form
        for url, data in _hostile_posts(office, office_calendar, day_shift, site, member):
            response = client.post(url, data)
            # Then each post is refused
            assert response.status_code == 403, (person.username, url)
    # And nothing changed
    assert _snapshot() == before


# --- Overview --------------------------------------------------------------------------------


def test_overview_lists_groups_shifts_calendars_sites_and_imports(
        client_for: Any, hr_person: Any, member: Any, office: Group, night_shift: Shift,
        join: Any, clock: Any) -> None:
    # Given the office group with one member, a night shift and an import
    join(member, office)
    PunchImport.objects.create(file_name="gate.csv", source_system="East gate",
                               imported_by=hr_person, imported_at=local(date(2026, 11, 3), 9),
                               rows=4, added=3, duplicates=1)
    # When HR opens the overview
    page = _page(client_for(hr_person).get(reverse("attendance:manage")))
    # Then every list shows what is stored, times in the museum's zone
    assert reverse("attendance:group", args=[office.pk]) in page
    assert reverse("attendance:roster", args=[office.pk]) in page
    assert "09:00–17:30" in page
    assert "20:00–08:00 (next day)" in page
    assert "Saturday, Sunday" in page
    assert "Meridian Gate" in page and "10.20.0.0/16" in page
    assert "gate.csv" in page and "East gate" in page and "2026-11-03 09:00" in page


# --- Calendars -------------------------------------------------------------------------------


def test_hr_creates_a_calendar(client_for: Any, hr_person: Any, clock: Any) -> None:
    # When HR saves a new calendar resting on Mondays and not following the statutory days
    response = client_for(hr_person).post(reverse("attendance:calendar_new"), {
        "action": "save", "name": "Front of house", "rest_weekdays": ["0"]})
    # Then it is stored as typed and the calendar page opens
    calendar = Calendar.objects.get(name="Front of house")
    assert (calendar.rest_weekdays, calendar.follows_statutory) == ([0], False)
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:calendar", args=[calendar.pk]) \
        + "?year=2026"


def test_a_refused_calendar_keeps_what_was_typed(client_for: Any, admin_person: Any,
                                                 office_calendar: Calendar,
                                                 clock: Any) -> None:
    Calendar.objects.create(name="Galleries", rest_weekdays=[0])
    before = _snapshot()
    # When the office calendar is renamed to a name in use and given a seven-day rest
    response = client_for(admin_person).post(
        reverse("attendance:calendar", args=[office_calendar.pk]),
        {"action": "save", "name": "Galleries", "rest_weekdays": [str(day) for day in range(7)],
         "follows_statutory": "on"})
    # Then both problems are shown beside their fields, the input is kept, nothing changed
    page = _page(response)
    assert response.status_code == 422
    assert "Another calendar is called Galleries." in page
    assert "At least one weekday must be a working day." in page
    assert 'name="name" value="Galleries"' in page
    assert _snapshot() == before


def test_calendar_year_shows_own_and_followed_national_days(
        client_for: Any, hr_person: Any, office_calendar: Calendar, clock: Any) -> None:
    # Given a national holiday, a national closure row of another year and a closure
    CalendarDay.objects.create(date=date(2026, 10, 1), kind="holiday", name="National Day")
    CalendarDay.objects.create(date=date(2025, 10, 1), kind="holiday", name="Old year")
    CalendarDay.objects.create(calendar=office_calendar, date=date(2026, 11, 11),
                               kind="closure", name="Installation")
    url = reverse("attendance:calendar", args=[office_calendar.pk])
    client = client_for(hr_person)
    # When HR opens the year 2026
    page = _page(client.get(url + "?year=2026"))
    # Then both 2026 days show, colour-coded by kind, and only the calendar's own removable
    assert 'data-date="2026-10-01" data-kind="holiday"' in page
    assert 'data-date="2026-11-11" data-kind="closure"' in page
    assert "Old year" not in page
    assert page.count('value="remove_day"') == 1
    # And a calendar that does not follow the statutory days leaves the holiday out
    office_calendar.follows_statutory = False
    office_calendar.save()
    page = _page(client.get(url + "?year=2026"))
    assert "National Day" not in page and "Installation" in page


def test_hr_adds_and_removes_a_calendar_day(client_for: Any, hr_person: Any,
                                            office_calendar: Calendar, clock: Any) -> None:
    client = client_for(hr_person)
    url = reverse("attendance:calendar", args=[office_calendar.pk])
    # When HR adds a closure
    response = client.post(url, {"action": "add_day", "year": "2026",
                                 "day-date": "2026-11-11", "day-kind": "closure",
                                 "day-name": "Installation"})
    # Then it is stored for this calendar
    day = CalendarDay.objects.get(calendar=office_calendar)
    assert (day.date, day.kind, day.name) == (date(2026, 11, 11), "closure", "Installation")
    assert response["Location"] == url + "?year=2026"
    # When HR removes it
    response = client.post(url, {"action": "remove_day", "year": "2026", "day": day.pk})
    # Then it is gone
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(calendar=office_calendar).exists()


def test_a_calendar_page_cannot_remove_a_national_day(client_for: Any, hr_person: Any,
                                                      office_calendar: Calendar,
                                                      clock: Any) -> None:
    national = CalendarDay.objects.create(date=date(2026, 10, 1), kind="holiday",
                                          name="National Day")
    response = client_for(hr_person).post(
        reverse("attendance:calendar", args=[office_calendar.pk]),
        {"action": "remove_day", "day": national.pk})
    assert response.status_code == 404
    assert CalendarDay.objects.filter(pk=national.pk).exists()


def test_a_holiday_without_a_name_is_refused_beside_the_field(
        client_for: Any, hr_person: Any, office_calendar: Calendar, clock: Any) -> None:
    response = client_for(hr_person).post(
        reverse("attendance:calendar", args=[office_calendar.pk]),
        {"action": "add_day", "day-date": "2026-12-24", "day-kind": "holiday",
         "day-name": ""})
    page = _page(response)
    assert response.status_code == 422
    assert '<div class="field-error" id="id_day-name_error">Name the holiday, such as ' \
        'Spring Festival.</div>' in page
    assert 'value="2026-12-24"' in page
    assert not CalendarDay.objects.filter(calendar=office_calendar).exists()


def test_calendar_csv_import_stores_every_row(client_for: Any, hr_person: Any,
                                              office_calendar: Calendar, clock: Any) -> None:
    content = ("date,kind,name\n2027-02-06,holiday,Spring Festival\n2027-02-14,workday,\n"
               "2027/2/12,rest,Spring Festival\n")
    response = client_for(hr_person).post(
        reverse("attendance:calendar", args=[office_calendar.pk]),
        {"action": "import", "year": "2027", "csv-file": _csv(content), "csv-year": "2027"})
    assert response.status_code == 302
    stored = list(CalendarDay.objects.filter(calendar=office_calendar).order_by("date")
                  .values_list("date", "kind", "name"))
    assert stored == [(date(2027, 2, 6), "holiday", "Spring Festival"),
                      (date(2027, 2, 12), "rest_in_lieu", "Spring Festival"),
                      (date(2027, 2, 14), "adjusted_workday", "")]


def test_calendar_csv_errors_name_every_row_and_store_nothing(
        client_for: Any, hr_person: Any, office_calendar: Calendar, clock: Any) -> None:
    content = ("date,kind,name\n2027-02-06,holiday,Spring Festival\n2027-02-30,holiday,X\n"
               "2027-02-14,party,\n2026-05-01,workday,\n2027-03-01,holiday,\n")
    response = client_for(hr_person).post(
        reverse("attendance:calendar", args=[office_calendar.pk]),
        {"action": "import", "year": "2027", "csv-file": _csv(content), "csv-year": "2027"})
    page = _page(response)
    assert response.status_code == 422
    assert "Nothing was imported: 4 problems." in page
    for line in ("Row 3, date: Not a date such as 2027-01-01.",
                 "Row 4, kind: The kind must be holiday, workday or rest.",
                 "Row 5, date: This date is not in 2027.",
                 "Row 6, name: A holiday needs a name, such as Spring Festival."):
        assert f"<li>{line}</li>" in page
    assert not CalendarDay.objects.filter(calendar=office_calendar).exists()


# --- National days ----------------------------------------------------------------------------


def test_hr_seeds_a_year_then_must_confirm_to_replace(client_for: Any, hr_person: Any,
                                                      clock: Any) -> None:
    CalendarDay.objects.filter(calendar__isnull=True).delete()
    client = client_for(hr_person)
    url = reverse("attendance:national")
    expected = statutory_days(2025)
    count = len(expected.holidays) + len(expected.adjusted_workdays) \
        + len(expected.rest_days_in_lieu)
    # Given an empty 2025, the page offers to fill it
    assert "Fill 2025 from chinese-calendar" in _page(client.get(url + "?year=2025"))
    # When HR seeds 2025
    response = client.post(url, {"action": "seed", "year": "2025"})
    # Then the year holds the package's days
    assert response["Location"] == url + "?year=2025"
    assert CalendarDay.objects.filter(calendar__isnull=True, date__year=2025).count() == count
    assert CalendarDay.objects.get(date=date(2025, 10, 1)).kind == "holiday"
    # And the page now asks for confirmation before replacing
    page = _page(client.get(url + "?year=2025"))
    assert "Replace 2025 from chinese-calendar" in page
    assert f"This deletes the {count} national rows of 2025" in page
    # When seeding again without replacing, it is refused and nothing changes
    CalendarDay.objects.filter(date=date(2025, 10, 1)).update(name="Edited")
    response = client.post(url, {"action": "seed", "year": "2025"})
    assert response.status_code == 409
    assert f"The national calendar of 2025 already has {count} days" in _page(response)
    assert CalendarDay.objects.get(date=date(2025, 10, 1)).name == "Edited"
    # When replacing, the edit is replaced by the package's name
    client.post(url, {"action": "seed", "year": "2025", "replace": "on"})
    assert CalendarDay.objects.get(date=date(2025, 10, 1)).name == "National Day"


def test_a_year_the_package_lacks_asks_for_a_csv(client_for: Any, hr_person: Any,
                                                 clock: Any) -> None:
    before = _snapshot()
    response = client_for(hr_person).post(reverse("attendance:national"),
                                          {"action": "seed", "year": "2090"})
    page = _page(response)
    assert response.status_code == 422
    assert "There is no built-in statutory calendar for 2090" in page
    assert _snapshot() == before


def test_national_days_are_added_imported_and_removed(client_for: Any, hr_person: Any,
                                                      clock: Any) -> None:
    CalendarDay.objects.filter(calendar__isnull=True).delete()
    client = client_for(hr_person)
    url = reverse("attendance:national")
    client.post(url, {"action": "add_day", "year": "2031", "day-date": "2031-01-01",
                      "day-kind": "holiday", "day-name": "New Year's Day"})
    client.post(url, {"action": "import", "year": "2031", "csv-year": "2031",
                      "csv-file": _csv("date,kind,name\n2031-10-01,holiday,National Day\n"
                                       "2031-10-11,workday,\n")})
    stored = list(CalendarDay.objects.filter(calendar__isnull=True).order_by("date")
                  .values_list("date", "kind", "name"))
    assert stored == [(date(2031, 1, 1), "holiday", "New Year's Day"),
                      (date(2031, 10, 1), "holiday", "National Day"),
                      (date(2031, 10, 11), "adjusted_workday", "")]
    page = _page(client.get(url + "?year=2031"))
    assert page.count('value="remove_day"') == 3
    first = CalendarDay.objects.get(date=date(2031, 1, 1))
    response = client.post(url, {"action": "remove_day", "year": "2031", "day": first.pk})
    assert response["Location"] == url + "?year=2031"
    assert CalendarDay.objects.filter(calendar__isnull=True).count() == 2


def test_the_national_calendar_offers_statutory_kinds_only(client_for: Any, hr_person: Any,
                                                           clock: Any) -> None:
    before = _snapshot()
    response = client_for(hr_person).post(reverse("attendance:national"), {
        "action": "add_day", "day-date": "2031-05-05", "day-kind": "closure",
        "day-name": "Shut"})
    assert response.status_code == 422
    assert 'value="2031-05-05"' in _page(response)
    assert _snapshot() == before


# --- Shifts -----------------------------------------------------------------------------------


def _shift_post(**changes: Any) -> dict[str, Any]:
    data = {"action": "save", "code": "split", "name": "Split", "kind": "fixed",
            "segment_start": ["09:00", "13:30"], "segment_end": ["12:00", "17:30"],
            "late_grace_minutes": "5", "early_leave_grace_minutes": "0",
            "serious_late_minutes": "30", "absent_if_late_minutes": "120",
            "core_start": "", "core_end": "", "target_minutes": "", "earliest_start": "",
            "latest_end": "", "color": "#AA3300"}
    data.update(changes)
    return data


def test_hr_creates_a_split_shift(client_for: Any, hr_person: Any, clock: Any) -> None:
    response = client_for(hr_person).post(reverse("attendance:shift_new"), _shift_post())
    shift = Shift.objects.get(code="split")
    assert response["Location"] == reverse("attendance:shift", args=[shift.pk])
    assert (shift.name, shift.kind, shift.segments) == (
        "Split", "fixed", [["09:00", "12:00"], ["13:30", "17:30"]])
    assert (shift.late_grace_minutes, shift.early_leave_grace_minutes,
            shift.serious_late_minutes, shift.absent_if_late_minutes) == (5, 0, 30, 120)
    assert (shift.core_start, shift.core_end, shift.color) == (None, None, "#aa3300")


def test_hr_creates_a_flexible_shift(client_for: Any, admin_person: Any, clock: Any) -> None:
    client_for(admin_person).post(reverse("attendance:shift_new"), _shift_post(
        code="flex", name="Flexible", kind="flexible", segment_start=[""], segment_end=[""],
        target_minutes="480", earliest_start="07:00", latest_end="20:00",
        core_start="10:00", core_end="15:00"))
    shift = Shift.objects.get(code="flex")
    assert (shift.kind, shift.segments, shift.target_minutes) == ("flexible", [], 480)
    assert (shift.earliest_start, shift.latest_end, shift.core_start, shift.core_end) == (
        time(7), time(20), time(10), time(15))


def test_a_night_segment_says_it_ends_the_next_day(client_for: Any, hr_person: Any,
                                                   night_shift: Shift, day_shift: Shift,
                                                   clock: Any) -> None:
    client = client_for(hr_person)
    night = _page(client.get(reverse("attendance:shift", args=[night_shift.pk])))
    day = _page(client.get(reverse("attendance:shift", args=[day_shift.pk])))
    shown = '<span class="segment-note" data-midnight>Ends the next day</span>'
    assert shown in night
    assert shown not in day


def test_adding_a_segment_without_javascript_keeps_the_input(client_for: Any, hr_person: Any,
                                                             clock: Any) -> None:
    before = _snapshot()
    response = client_for(hr_person).post(reverse("attendance:shift_new"), _shift_post(
        action="add_segment", segment_start=["22:00"], segment_end=["06:00"]))
    page = _page(response)
    assert response.status_code == 200
    assert page.count('name="segment_start"') == 3  # two rows and the template's
    assert 'name="segment_start" value="22:00"' in page
    assert '<span class="segment-note" data-midnight>Ends the next day</span>' in page
    assert 'name="code" value="split"' in page
    assert _snapshot() == before


def test_a_refused_shift_shows_each_problem_and_keeps_the_input(
        client_for: Any, hr_person: Any, day_shift: Shift, clock: Any) -> None:
    before = _snapshot()
    client = client_for(hr_person)
    # A code in use and a time that is not one
    response = client.post(reverse("attendance:shift_new"), _shift_post(
        code="day", segment_start=["25:00", "13:30"]))
    page = _page(response)
    assert response.status_code == 422
    assert "Enter both times as hours and minutes, such as 09:00." in page
    assert 'name="segment_start" value="25:00"' in page
    # The service's own messages: the code in use and a core with one end only
    response = client.post(reverse("attendance:shift_new"), _shift_post(
        code="day", segment_start=["09:00"], segment_end=["17:00"], core_start="10:00"))
    page = _page(response)
    assert response.status_code == 422
    assert "Another shift has the code day." in page
    assert '<div class="field-error" id="id_core_end_error">Give both ends of the core ' \
        'hours, or neither.</div>' in page
    assert 'name="name" value="Split"' in page
    # A fixed shift without any segment: the message stands beside the segments
    response = client.post(reverse("attendance:shift_new"), _shift_post(
        code="empty", segment_start=[""], segment_end=[""]))
    assert '<div class="field-error" id="segments-error">A fixed shift needs at least one ' \
        'stretch of working hours.</div>' in _page(response)
    assert _snapshot() == before


def test_a_shift_in_use_is_not_deleted(client_for: Any, hr_person: Any, office: Group,
                                       day_shift: Shift, night_shift: Shift,
                                       clock: Any) -> None:
    client = client_for(hr_person)
    response = client.post(reverse("attendance:shift", args=[day_shift.pk]),
                           {"action": "delete"})
    assert response.status_code == 409
    assert "The shift day is used by groups Office; change them first." in _page(response)
    assert Shift.objects.filter(pk=day_shift.pk).exists()
    response = client.post(reverse("attendance:shift", args=[night_shift.pk]),
                           {"action": "delete"})
    assert response["Location"] == reverse("attendance:manage")
    assert not Shift.objects.filter(pk=night_shift.pk).exists()


# --- Groups and members -------------------------------------------------------------------------


def _group_post(calendar: Calendar, **changes: Any) -> dict[str, Any]:
    data = {"action": "save", "name": "Guards", "calendar": str(calendar.pk),
            "schedule": "roster", "shift": "", "cycle": "day, day，night rest",
            "cycle_anchor": "2026-11-02", "allow_geofence": "on", "allow_device": "on",
            "overtime_basis": "punches", "workday_overtime": "comp_time",
            "rest_day_overtime": "pay", "minimum_overtime_minutes": "45",
            "make_up_limit": "2"}
    data.update(changes)
    return data


def test_hr_creates_a_roster_group(client_for: Any, hr_person: Any,
                                   office_calendar: Calendar, day_shift: Shift,
                                   night_shift: Shift, site: Site, clock: Any) -> None:
    response = client_for(hr_person).post(reverse("attendance:group_new"), _group_post(
        office_calendar, sites=[str(site.pk)]))
    group = Group.objects.get(name="Guards")
    assert response["Location"] == reverse("attendance:group", args=[group.pk])
    assert (group.calendar_id, group.schedule, group.shift_id, group.cycle,
            group.cycle_anchor) == (office_calendar.pk, "roster", None,
                                    ["day", "day", "night", "rest"], date(2026, 11, 2))
    assert (group.allow_geofence, group.allow_network, group.allow_device,
            group.allow_unverified) == (True, False, True, False)
    assert (group.overtime_basis, group.workday_overtime, group.rest_day_overtime,
            group.minimum_overtime_minutes, group.make_up_limit) == (
        "punches", "comp_time", "pay", 45, 2)
    assert list(group.sites.values_list("pk", flat=True)) == [site.pk]


def test_a_refused_group_keeps_the_input(client_for: Any, hr_person: Any,
                                         office_calendar: Calendar, clock: Any) -> None:
    before = _snapshot()
    response = client_for(hr_person).post(reverse("attendance:group_new"), _group_post(
        office_calendar, schedule="fixed", cycle="", name="Curators"))
    page = _page(response)
    assert response.status_code == 422
    assert '<div class="field-error" id="id_shift_error">A group on a fixed schedule needs ' \
        'a shift.</div>' in page
    assert 'name="name" value="Curators"' in page
    assert _snapshot() == before


def test_hr_sets_members_and_their_cycle_positions(client_for: Any, hr_person: Any,
                                                   member: Any, guard: Any, rota: Group,
                                                   clock: Any) -> None:
    client = client_for(hr_person)
    url = reverse("attendance:group", args=[rota.pk])
    # When HR adds two people by id (the no-JavaScript way), one at position 2
    response = client.post(url, {"action": "members", "add": f"{member.pk}, {guard.pk}",
                                 f"offset-{guard.pk}": "2"})
    assert response["Location"] == url
    assert dict(Membership.objects.filter(group=rota)
                .values_list("person_id", "roster_offset")) == {member.pk: 0, guard.pk: 2}
    page = _page(client.get(url))
    assert f'name="offset-{guard.pk}" id="id_offset_{guard.pk}" value="2"' in page
    # When HR keeps only the guard and moves them to position 1
    client.post(url, {"action": "members", "listed": [str(member.pk), str(guard.pk)],
                      "person": [str(guard.pk)], f"offset-{member.pk}": "0",
                      f"offset-{guard.pk}": "1"})
    assert dict(Membership.objects.filter(group=rota)
                .values_list("person_id", "roster_offset")) == {guard.pk: 1}


def test_the_member_picker_searches_the_directory_api(client_for: Any, hr_person: Any,
                                                     guard: Any, rota: Group,
                                                     clock: Any) -> None:
    # Given the group page, whose picker searches the endpoint it names
    client = client_for(hr_person)
    page = _page(client.get(reverse("attendance:group", args=[rota.pk])))
    assert 'data-members data-people-url="/api/v1/directory/people"' in page
    assert 'name="add" id="id_add"' in page and "data-member-search" in page
    # When HR searches it by name, then the person comes back with the id the form posts
    found = client.get("/api/v1/directory/people", {"search": "Wang", "limit": 8}).json()
    assert [(item["id"], item["name_en"]) for item in found["items"]] == [(guard.pk, "Wang Wu")]


def test_unknown_actions_are_not_found(client_for: Any, hr_person: Any, office: Group,
                                       office_calendar: Calendar, day_shift: Shift,
                                       clock: Any) -> None:
    before = _snapshot()
    client = client_for(hr_person)
    for url in (reverse("attendance:calendar_new"),
                reverse("attendance:calendar", args=[office_calendar.pk]),
                reverse("attendance:national"), reverse("attendance:shift_new"),
                reverse("attendance:group_new"), reverse("attendance:group", args=[office.pk]),
                reverse("attendance:roster", args=[office.pk]),
                reverse("attendance:balances")):
        assert client.post(url, {"action": "explode"}).status_code == 404, url
    # Deleting or setting members needs a saved shift or group
    assert client.post(reverse("attendance:shift_new"), {"action": "delete"}).status_code == 404
    assert client.post(reverse("attendance:group_new"),
                       {"action": "members", "add": "1"}).status_code == 404
    assert _snapshot() == before


def test_refused_members_are_named_and_nothing_changes(client_for: Any, hr_person: Any,
                                                       member: Any, rota: Group, join: Any,
                                                       clock: Any) -> None:
    join(member, rota)
    before = _snapshot()
    client = client_for(hr_person)
    url = reverse("attendance:group", args=[rota.pk])
    response = client.post(url, {"action": "members", "listed": [str(member.pk)],
                                 "person": [str(member.pk)], "add": "abc, 99999",
                                 f"offset-{member.pk}": "0"})
    page = _page(response)
    assert response.status_code == 422
    assert "“abc” is not a person id." in page
    assert "No person with the id 99999." in page
    assert 'value="abc, 99999"' in page
    # A position beyond the four-day cycle is the service's to refuse
    response = client.post(url, {"action": "members", "listed": [str(member.pk)],
                                 "person": [str(member.pk)], f"offset-{member.pk}": "7"})
    assert response.status_code == 422
    assert "Positions in the cycle are whole numbers from 0 to 3." in _page(response)
    assert _snapshot() == before


# --- Roster grid --------------------------------------------------------------------------------


def test_the_roster_shows_the_shift_in_force(client_for: Any, hr_person: Any, member: Any,
                                             guard: Any, rota: Group, join: Any,
                                             clock: Any) -> None:
    # Given two guards on the cycle, one a day later, a cell and a national holiday
    join(member, rota)
    join(guard, rota, 1)
    RosterCell.objects.create(person=member, date=date(2026, 11, 5), shift_code="day")
    CalendarDay.objects.create(date=date(2026, 11, 12), kind="holiday", name="Museum Day")
    # When HR opens November 2026
    page = _page(client_for(hr_person).get(
        reverse("attendance:roster", args=[rota.pk]) + "?month=2026-11"))
    # Then each cell selects the effective code; the set cell and the holiday are marked
    def selected(person: Any, day: str) -> str:
        marker = f'name="cell-{person.pk}-{day}" data-initial="'
        start = page.index(marker) + len(marker)
        return page[start:page.index('"', start)]
    assert [selected(member, f"2026-11-0{day}") for day in (2, 3, 4, 5)] == [
        "day", "day", "night", "day"]
    assert [selected(guard, f"2026-11-0{day}") for day in (2, 3, 4, 5)] == [
        "day", "night", "rest", "day"]
    assert page.count("roster-cell is-set") == 1
    assert 'class="roster-day day-holiday" title="Museum Day"' in page
    assert page.count('<select name="cell-') == 60


def test_only_changed_cells_are_saved(client_for: Any, hr_person: Any, member: Any,
                                      guard: Any, rota: Group, join: Any, clock: Any) -> None:
    join(member, rota)
    join(guard, rota, 1)
    url = reverse("attendance:roster", args=[rota.pk])
    # Given the whole grid posted as it is (no JavaScript), with one cell changed
    grid = {f"cell-{person.pk}-2026-11-{day:02d}": code
            for person, offset in ((member, 0), (guard, 1)) for day in range(1, 31)
            for code in [["day", "day", "night", "rest"][(day - 2 + offset) % 4]]}
    grid[f"cell-{guard.pk}-2026-11-04"] = "day"
    response = client_for(hr_person).post(url, {"action": "cells", "month": "2026-11",
                                                "note": "Covers a sick colleague", **grid})
    # Then exactly that cell is stored, with the note and who changed it
    assert response["Location"] == url + "?month=2026-11"
    assert list(RosterCell.objects.values_list("person_id", "date", "shift_code", "note",
                                               "changed_by_id")) == [
        (guard.pk, date(2026, 11, 4), "day", "Covers a sick colleague", hr_person.pk)]


def test_a_refused_cell_names_person_and_date(client_for: Any, hr_person: Any, member: Any,
                                              rota: Group, join: Any, clock: Any) -> None:
    join(member, rota)
    before = _snapshot()
    url = reverse("attendance:roster", args=[rota.pk])
    response = client_for(hr_person).post(url, {
        "action": "cells", "month": "2026-11", f"cell-{member.pk}-2026-11-07": "ghost",
        f"cell-{member.pk}-2026-11-08": "day"})
    page = _page(response)
    assert response.status_code == 422
    assert "<li>ghost is not a shift code.</li>" in page
    # The refused cell is marked and keeps the typed code
    assert f'name="cell-{member.pk}-2026-11-07" data-initial="day" aria-label' in page
    assert '<option value="ghost" selected>ghost</option>' in page
    assert "roster-cell is-changed is-wrong" in page
    assert _snapshot() == before


def test_overlapping_shifts_are_refused_with_person_and_day(
        client_for: Any, hr_person: Any, member: Any, rota: Group, join: Any,
        clock: Any) -> None:
    join(member, rota)
    Shift.objects.create(code="early", name="Early", segments=[["06:00", "14:00"]])
    before = _snapshot()
    # The night of 4 November ends at 08:00 on the 5th; an early shift then would overlap
    response = client_for(hr_person).post(reverse("attendance:roster", args=[rota.pk]), {
        "action": "cells", "month": "2026-11", f"cell-{member.pk}-2026-11-05": "early"})
    page = _page(response)
    assert response.status_code == 422
    assert f"{member.display_name} would work overlapping shifts: early on 2026-11-05" in page
    assert _snapshot() == before


def test_a_closed_month_is_read_only(client_for: Any, hr_person: Any, member: Any,
                                     rota: Group, join: Any, clock: Any) -> None:
    join(member, rota)
    Month.objects.create(first_day=date(2026, 10, 1), closed_at=local(date(2026, 11, 3), 9))
    before = _snapshot()
    client = client_for(hr_person)
    url = reverse("attendance:roster", args=[rota.pk])
    page = _page(client.get(url + "?month=2026-10"))
    assert "This month is closed for payroll" in page
    assert "<select" not in page.split('id="roster"')[1].split("</table>")[0]
    response = client.post(url, {"action": "cells", "month": "2026-10",
                                 f"cell-{member.pk}-2026-10-06": "rest"})
    assert response.status_code == 409
    assert "2026-10 is closed; its roster can no longer change." in _page(response)
    assert _snapshot() == before


def test_hr_swaps_two_shifts(client_for: Any, hr_person: Any, member: Any, guard: Any,
                             rota: Group, join: Any, clock: Any) -> None:
    join(member, rota)
    join(guard, rota, 1)
    url = reverse("attendance:roster", args=[rota.pk])
    # On Tuesday 3 November the member works day and the guard night
    response = client_for(hr_person).post(url, {
        "action": "swap", "month": "2026-11", "person_a": str(member.pk),
        "person_b": str(guard.pk), "day": "2026-11-03", "swap_back_day": ""})
    assert response["Location"] == url + "?month=2026-11"
    assert sorted(RosterCell.objects.values_list("person_id", "date", "shift_code")) == sorted([
        (member.pk, date(2026, 11, 3), "night"), (guard.pk, date(2026, 11, 3), "day")])


def test_a_refused_swap_is_shown_beside_the_field(client_for: Any, hr_person: Any,
                                                  member: Any, guard: Any, rota: Group,
                                                  join: Any, clock: Any) -> None:
    join(member, rota)
    join(guard, rota, 4)  # the same position: both work the same code every day
    before = _snapshot()
    response = client_for(hr_person).post(reverse("attendance:roster", args=[rota.pk]), {
        "action": "swap", "month": "2026-11", "person_a": str(member.pk),
        "person_b": str(guard.pk), "day": "2026-11-03"})
    page = _page(response)
    assert response.status_code == 422
    assert "Both have day on 2026-11-03; there is nothing to swap." in page
    assert 'name="day" value="2026-11-03"' in page
    assert _snapshot() == before


# --- Sites ------------------------------------------------------------------------------------


def test_hr_saves_a_site(client_for: Any, hr_person: Any, clock: Any) -> None:
    response = client_for(hr_person).post(reverse("attendance:site_new"), {
        "name": "East Wing", "latitude": "39.9163", "longitude": "116.3972",
        "radius_m": "250", "networks": "10.30.0.0/16\n\n 192.168.5.7/24 \n",
        "is_active": "on"})
    site = Site.objects.get(name="East Wing")
    assert response["Location"] == reverse("attendance:site", args=[site.pk])
    assert (site.latitude, site.longitude, site.radius_m, site.networks, site.is_active) == (
        Decimal("39.916300"), Decimal("116.397200"), 250, ["10.30.0.0/16", "192.168.5.0/24"],
        True)


def test_a_refused_site_keeps_the_input(client_for: Any, hr_person: Any, site: Site,
                                        clock: Any) -> None:
    before = _snapshot()
    response = client_for(hr_person).post(reverse("attendance:site", args=[site.pk]), {
        "name": "Meridian Gate", "latitude": "39.9", "longitude": "116.4",
        "radius_m": "300", "networks": "10.20.0.0/16\nnot-a-network"})
    page = _page(response)
    assert response.status_code == 422
    assert "not-a-network is not a network range; write it like 10.20.0.0/16." in page
    assert "10.20.0.0/16\nnot-a-network</textarea>" in page
    assert _snapshot() == before


# --- Time-clock import ------------------------------------------------------------------------


def test_hr_imports_punches(client_for: Any, hr_person: Any, member: Any, punch_at: Any,
                            clock: Any) -> None:
    punch_at(member, local(date(2026, 11, 2), 8, 57))
    content = "person,time,terminal\nmember,2026-11-02 08:57,East\nmember,2026-11-02 17:41,East\n"
    client = client_for(hr_person)
    response = client.post(reverse("attendance:import"), {
        "file": _csv(content, "gate.csv"), "source_system": "Door access"})
    assert response["Location"] == reverse("attendance:import")
    batch = PunchImport.objects.get()
    assert (batch.file_name, batch.source_system, batch.rows, batch.added,
            batch.duplicates) == ("gate.csv", "Door access", 2, 1, 1)
    page = _page(client.get(reverse("attendance:import")))
    assert "gate.csv: 1 punches added, 1 already stored." in page
    assert f'data-import="{batch.pk}"' in page


def test_every_bad_import_row_is_listed_and_nothing_imported(client_for: Any,
                                                             hr_person: Any, member: Any,
                                                             clock: Any) -> None:
    before = _snapshot()
    content = ("person,time\nmember,2026-11-02 08:57\nnobody,2026-11-02 09:00\n"
               "member,yesterday\nmember,2027-01-01 09:00\n")
    response = client_for(hr_person).post(reverse("attendance:import"),
                                          {"file": _csv(content), "source_system": "Gate"})
    page = _page(response)
    assert response.status_code == 422
    assert "Nothing was imported: 3 problems." in page
    assert "<li>Row 3, person: No person with the user name nobody.</li>" in page
    assert "<li>Row 4, time: Not a date and time such as 2026-11-02 08:57.</li>" in page
    assert "<li>Row 5, time: In the future.</li>" in page
    assert 'name="source_system" value="Gate"' in page
    assert _snapshot() == before


# --- Leave balances -----------------------------------------------------------------------------


def test_balances_list_people_with_dates_and_balances(client_for: Any, hr_person: Any,
                                                      member: Any, guard: Any, museum: Any,
                                                      clock: Any) -> None:
    annual = LeaveType.objects.get(code="annual")
    Employment.objects.create(person=member, joined_on=date(2020, 3, 1),
                              service_start=date(2012, 7, 1))
    LedgerEntry.objects.create(person=member, leave_type=annual, kind="grant",
                               on=date(2026, 1, 1), amount=Decimal(10),
                               recorded_at=local(date(2026, 1, 1), 0))
    client = client_for(hr_person)
    url = reverse("attendance:balances")
    page = _page(client.get(url))
    row = page.split(f'data-person="{member.pk}"')[1].split("</tr>")[0]
    assert "2020-03-01" in row and "2012-07-01" in row and "10.00" in row
    assert f'data-person="{guard.pk}"' in page
    # Filtered by department and by name
    page = _page(client.get(url, {"department": museum["security"].pk}))
    assert f'data-person="{guard.pk}"' in page and f'data-person="{member.pk}"' not in page
    page = _page(client.get(url, {"q": "wang"}))
    assert f'data-person="{guard.pk}"' in page and f'data-person="{member.pk}"' not in page


def test_hr_sets_employment_dates_and_adjusts_a_balance(client_for: Any, hr_person: Any,
                                                        member: Any, clock: Any) -> None:
    client = client_for(hr_person)
    url = reverse("attendance:balances")
    response = client.post(url, {"action": "employment", "person": str(member.pk),
                                 "employment-joined_on": "2021-04-01",
                                 "employment-service_start": "2015-09-01",
                                 "employment-left_on": ""})
    assert response["Location"] == f"{url}?person={member.pk}"
    employment = Employment.objects.get(person=member)
    assert (employment.joined_on, employment.service_start, employment.left_on) == (
        date(2021, 4, 1), date(2015, 9, 1), None)
    response = client.post(url, {"action": "adjust", "person": str(member.pk),
                                 "adjust-leave_type": "annual", "adjust-amount": "-1.5",
                                 "adjust-note": "Taken before the system"})
    assert response["Location"] == f"{url}?person={member.pk}&type=annual"
    entry = LedgerEntry.objects.get(person=member)
    assert (entry.kind, entry.amount, entry.note, entry.recorded_by_id) == (
        "adjustment", Decimal("-1.50"), "Taken before the system", hr_person.pk)
    # The person's ledger lists the line with the running balance
    page = _page(client.get(url, {"person": member.pk, "type": "annual"}))
    ledger = page.split('id="ledger"')[1].split("</table>")[0]
    assert "Adjusted by HR" in ledger and "-1.50" in ledger and "Taken before the system" in ledger


def test_refused_balance_forms_keep_the_input(client_for: Any, hr_person: Any, member: Any,
                                              clock: Any) -> None:
    before = _snapshot()
    client = client_for(hr_person)
    url = reverse("attendance:balances")
    response = client.post(url, {"action": "employment", "person": str(member.pk),
                                 "employment-joined_on": "2021-04-01",
                                 "employment-service_start": "2022-01-01"})
    page = _page(response)
    assert response.status_code == 422
    assert "Working life cannot start after joining the museum." in page
    assert 'value="2022-01-01"' in page
    response = client.post(url, {"action": "adjust", "person": str(member.pk),
                                 "adjust-leave_type": "annual", "adjust-amount": "2",
                                 "adjust-note": "  "})
    page = _page(response)
    assert response.status_code == 422
    assert 'name="adjust-amount" value="2"' in page
    assert _snapshot() == before


def test_hr_grants_annual_leave_and_carries_a_year_over(client_for: Any, hr_person: Any,
                                                        member: Any, clock: Any) -> None:
    Employment.objects.create(person=member, joined_on=date(2020, 1, 1),
                              service_start=date(2010, 1, 1))
    client = client_for(hr_person)
    url = reverse("attendance:balances")
    response = client.post(url, {"action": "grant", "grant-year": "2025"})
    assert response["Location"] == url
    grant = LedgerEntry.objects.get(person=member, kind="grant")
    assert (grant.amount, grant.reference) == (Decimal(10), "annual:2025")
    assert "Annual leave of 2025 granted to 1 people." in _page(client.get(url))
    client.post(url, {"action": "carry_over", "carry-year": "2025"})
    kinds = sorted(LedgerEntry.objects.filter(person=member).values_list("kind", "amount"))
    assert kinds == [("carry_over", Decimal(5)), ("expiry", Decimal(-10)),
                     ("grant", Decimal(10))]
