"""Staff pages of attendance: my day and month with the punch button, the punch endpoint,
my devices and a day in detail.

Every page sends anonymous people to sign in; a person without the punch operation (the
outsider) is refused; another person's day answers "not found" to whoever may not see them,
exactly as for a person who does not exist. The clock stands at Friday 20 November 2026,
20:00 in Shanghai (``FROZEN_NOW``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.attendance.computing import recompute
from taihe.modules.attendance.models import (
    Absence,
    Device,
    Group,
    LeaveType,
    LedgerEntry,
    Membership,
    Punch,
)
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import FROZEN_NOW, local

MUSEUM_IP = "10.20.0.5"
"""Inside the site's network: devices are registered from the museum's network."""

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 2)
TODAY = date(2026, 11, 20)
INSIDE = {"latitude": "39.9130", "longitude": "116.3975", "accuracy": "20"}
"""58 m from the Meridian Gate (haversine), well inside its 300 m circle."""
OUTSIDE = {"latitude": "39.919935", "longitude": "116.397130", "accuracy": "15"}
"""820 m due north of the Meridian Gate."""

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Texts(HTMLParser):
    """The whitespace-collapsed text of every element carrying ``attribute`` (= ``value``)."""

    def __init__(self, attribute: str, value: str | None) -> None:
        super().__init__()
        self.attribute, self.value = attribute, value
        self.found: list[str] = []
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        if self.depth:
            self.depth += 1
            return
        values = dict(attrs)
        if self.attribute in values and (self.value is None
                                         or values[self.attribute] == self.value):
            self.depth, self.parts = 1, []

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.depth:
            return
        self.depth -= 1
        if not self.depth:
            self.found.append(" ".join("".join(self.parts).split()))

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def texts(page: Any, attribute: str, value: str | None = None) -> list[str]:
    """Texts of the elements of a response (or HTML) with the attribute (and value)."""
    html = page.content.decode() if hasattr(page, "content") else str(page)
    finder = _Texts(attribute, value)
    finder.feed(html)
    return finder.found


def text(page: Any, attribute: str, value: str | None = None) -> str:
    found = texts(page, attribute, value)
    assert len(found) == 1, f"{attribute}={value!r}: {found}"
    return found[0]


def login_url(path: str) -> str:
    return f"{reverse('directory:login')}?next={path}"


@pytest.fixture
def colleague(museum: dict[str, Any]) -> Any:
    """A guard in security: no one in the paper lab sees their attendance."""
    return PersonFactory(username="guard", name_en="Guard Wang", name_zh="王卫",
                         department=museum["security"], roles=["staff"])


@pytest.fixture
def late_monday(member: Any, office: Any, join: Any, punch_at: Any, clock: Any) -> date:
    """The member in the office group, 12 minutes late on Monday 2 November."""
    join(member, office)
    punch_at(member, local(MONDAY, 9, 12))
    punch_at(member, local(MONDAY, 17, 40))
    recompute([member.pk], MONDAY, MONDAY)
    return MONDAY


# --- Who may open what ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["me", "devices", "team"])
def test_anonymous_people_are_sent_to_sign_in(client: Any, name: str) -> None:
    path = reverse(f"attendance:{name}")
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == login_url(path)


def test_anonymous_day_and_punch_are_sent_to_sign_in(client: Any, member: Any, office: Any,
                                                     clock: Any) -> None:
    day_path = reverse("attendance:day", args=[member.pk, "2026-11-02"])
    assert client.get(day_path).url == login_url(day_path)
    punch_path = reverse("attendance:punch")
    response = client.post(punch_path, INSIDE, REMOTE_ADDR="10.20.3.4")
    assert response.status_code == 302
    assert response.url == login_url(punch_path)
    assert Punch.objects.count() == 0


def test_an_outsider_may_not_punch_or_open_the_pages(client_for: Any, outsider: Any,
                                                     member: Any, office: Any, join: Any,
                                                     clock: Any) -> None:
    join(outsider, office)
    client = client_for(outsider)
    assert client.get(reverse("attendance:me")).status_code == 403
    assert client.get(reverse("attendance:devices")).status_code == 403
    response = client.post(reverse("attendance:punch"), INSIDE)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    response = client.post(reverse("attendance:devices"), {"action": "register",
                                                          "name": "Contractor phone"},
                           REMOTE_ADDR=MUSEUM_IP)
    assert response.status_code == 403
    assert client.get(reverse("attendance:day", args=[member.pk, "2026-11-02"])
                      ).status_code == 404
    assert Punch.objects.count() == 0
    assert Device.objects.count() == 0


# --- My page -------------------------------------------------------------------------------

def test_my_page_shows_today_the_month_and_the_punch_button(client_for: Any, member: Any,
                                                            late_monday: date,
                                                            punch_at: Any) -> None:
    # Given a clock-in this morning
    punch_at(member, local(TODAY, 8, 57))
    recompute([member.pk], TODAY, TODAY)
    # When the member opens their page on November
    response = client_for(member).get(reverse("attendance:me"), {"month": "2026-11"})
    # Then today's card names the group, the shift, the punch and the verdict so far
    assert response.status_code == 200
    assert text(response, "data-today-group") == "Office"
    assert text(response, "data-today-shift") == "Day 09:00–17:30"
    assert text(response, "data-today-punches") == "08:57 · Time clock"
    assert text(response, "data-today-status") == "Missing clock-out"
    # and the button clocks out, working only with JavaScript
    assert text(response, "data-punch-button") == "Clock out"
    assert 'data-punch-button disabled' in response.content.decode()
    assert 'action="/attendance/punch/"' in response.content.decode()
    # and Monday is late by 12 minutes, linking to its day page
    assert text(response, "data-day", "2026-11-02") == "2 2026-11-02 Late 12 min late"
    assert f'href="/attendance/day/{member.pk}/2026-11-02/" data-day="2026-11-02" ' \
           'data-status="late"' in response.content.decode()
    # a weekend is a rest day, a day to come shows its planned shift
    assert text(response, "data-day", "2026-11-07") == "7 2026-11-07 Rest day"
    assert text(response, "data-day", "2026-11-23") == "23 2026-11-23 Day"
    # and the month's numbers count what has been judged
    assert text(response, "data-total", "late") == "1 times late, 12 minutes in all"
    assert text(response, "data-total", "scheduled") == "2 scheduled days"
    # and the requests link to their approval forms
    assert re.findall(r'href="([^"]+)" data-request=', response.content.decode()) == [
        "/approvals/new/leave/", "/approvals/new/overtime/",
        "/approvals/new/punch_correction/", "/approvals/new/business_trip/"]


def test_my_page_shows_balances_and_requests(client_for: Any, member: Any, office: Any,
                                             join: Any, clock: Any) -> None:
    # Given five days of annual leave and two of them waiting for approval
    join(member, office)
    annual = LeaveType.objects.get(code="annual")
    LedgerEntry.objects.create(person=member, leave_type=annual, kind="grant",
                               on=date(2026, 1, 1), amount=Decimal(5),
                               recorded_at=local(date(2026, 1, 1), 9))
    Absence.objects.create(person=member, kind="leave", leave_type=annual,
                           start=date(2026, 11, 23), end=date(2026, 11, 24), amount=2,
                           status="pending", request_id=9001, request_number="QJ-9001")
    # When the member opens their page
    response = client_for(member).get(reverse("attendance:me"))
    # Then the balance, what waits and what is left are shown in days
    assert text(response, "data-balance", "annual") == "Annual leave (days) 5 2 3"
    # and the request links to its approval page
    assert '<a class="mono" href="/approvals/r/QJ-9001/">QJ-9001</a>' in \
        response.content.decode()
    assert "2026-11-23 – 2026-11-24" in response.content.decode()
    assert "Waiting for approval" in response.content.decode()


def test_without_a_group_my_page_says_so_and_offers_no_punch(client_for: Any, member: Any,
                                                             clock: Any) -> None:
    response = client_for(member).get(reverse("attendance:me"))
    assert response.status_code == 200
    assert text(response, "data-no-group") == (
        "You are not in an attendance group yet, so there is nothing to clock in to. HR adds "
        "people to groups; ask them if you should be in one.")
    assert "data-punch-form" not in response.content.decode()


@pytest.mark.parametrize("who", ["hr_person", "admin_person"])
def test_hr_and_administrators_have_their_own_page(request: Any, client_for: Any, who: str,
                                                   late_monday: date, member: Any) -> None:
    person = request.getfixturevalue(who)
    response = client_for(person).get(reverse("attendance:me"), {"month": "2026-11"})
    assert response.status_code == 200
    # Their own page: not in a group, and nothing of the member's month
    assert "data-no-group" in response.content.decode()
    assert 'data-status="late"' not in response.content.decode()
    assert f"/attendance/day/{member.pk}/" not in response.content.decode()


def test_a_bad_month_says_what_was_wrong_and_shows_this_month(client_for: Any, member: Any,
                                                             office: Any, join: Any,
                                                             clock: Any) -> None:
    join(member, office)
    response = client_for(member).get(reverse("attendance:me"), {"month": "2026-13"})
    assert response.status_code == 200
    assert "“2026-13”: There is no month 13: months run from 01 to 12. Showing this month." in \
        response.content.decode()
    assert text(response, "id", "month-title") == "November 2026"


# --- Punching ------------------------------------------------------------------------------

def test_a_punch_inside_the_circle_is_stored_once_verified_by_location(
        client_for: Any, member: Any, office: Any, join: Any, site: Any, clock: Any) -> None:
    join(member, office)
    response = client_for(member).post(reverse("attendance:punch"), INSIDE)
    assert response.status_code == 200
    assert response.json() == {
        "at": "2026-11-20T20:00:00+08:00", "time": "20:00", "verification": "Location",
        "method": "geofence", "site": "Meridian Gate", "distance_m": 58,
        "status": "missing_punch_in", "status_label": "Missing clock-in",
        "message": "Punched at 20:00 (Location, 58 m from Meridian Gate)."}
    punch = Punch.objects.get()
    assert (punch.person_id, punch.source, punch.verification, punch.site_id,
            punch.distance_m, punch.accuracy_m) == (member.pk, "web", "geofence", site.pk, 58,
                                                    20)


def test_a_punch_outside_the_circle_is_refused_and_nothing_is_stored(
        client_for: Any, member: Any, office: Any, join: Any, clock: Any) -> None:
    join(member, office)
    response = client_for(member).post(reverse("attendance:punch"), OUTSIDE)
    assert response.status_code == 422
    message = "You are 820 m from Meridian Gate; punches count within 300 m."
    assert response.json() == {"detail": message, "code": "outside_site",
                               "fields": {"location": message}}
    assert Punch.objects.count() == 0


def test_a_punch_from_the_museum_network_needs_no_location(client_for: Any, member: Any,
                                                           office: Any, join: Any, site: Any,
                                                           clock: Any) -> None:
    join(member, office)
    response = client_for(member).post(reverse("attendance:punch"), {},
                                       REMOTE_ADDR="10.20.3.4")
    assert response.status_code == 200
    assert (response.json()["verification"], response.json()["site"]) == (
        "Museum network", "Meridian Gate")
    punch = Punch.objects.get()
    assert (punch.verification, punch.site_id, punch.ip_address, punch.latitude) == (
        "network", site.pk, "10.20.3.4", None)


def test_a_punch_from_a_registered_device(client_for: Any, member: Any, office: Any,
                                          join: Any, clock: Any) -> None:
    join(member, office)
    client = client_for(member)
    page = client.post(reverse("attendance:devices"), {"action": "register", "name": "Phone"},
                       REMOTE_ADDR=MUSEUM_IP)
    key = re.search(r'data-device-key="([^"]+)"', page.content.decode())
    assert key is not None
    response = client.post(reverse("attendance:punch"), {"device_key": key.group(1)})
    assert response.status_code == 200
    assert response.json()["verification"] == "Registered device"
    assert Punch.objects.get().device_id == Device.objects.get().pk


def test_punch_answers_bad_numbers_no_group_and_get(client_for: Any, member: Any,
                                                     admin_person: Any, office: Any,
                                                     join: Any, clock: Any) -> None:
    join(member, office)
    client = client_for(member)
    response = client.post(reverse("attendance:punch"), {"latitude": "north",
                                                         "longitude": "116.4"})
    assert response.status_code == 422
    assert response.json()["fields"] == {"latitude": "latitude must be a number."}
    assert client.get(reverse("attendance:punch")).status_code == 405
    # The administrator may punch but is in no group: a conflict, nothing stored
    response = client_for(admin_person).post(reverse("attendance:punch"), INSIDE)
    assert response.status_code == 409
    assert response.json()["code"] == "no_group"
    assert Punch.objects.count() == 0


# --- Devices -------------------------------------------------------------------------------

def test_registering_a_browser_hands_its_key_to_the_page_once(client_for: Any,
                                                              member: Any, site: Any) -> None:
    client = client_for(member)
    response = client.post(reverse("attendance:devices"), {"action": "register",
                                                          "name": "My phone"},
                           REMOTE_ADDR=MUSEUM_IP)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    device = Device.objects.get()
    key = re.search(r'data-device-key="([^"]+)"', response.content.decode())
    assert key is not None
    assert (device.person_id, device.name, device.key_hash) == (
        member.pk, "My phone", hashlib.sha256(key.group(1).encode()).hexdigest())
    assert text(response, "data-device-registered") == \
        "This browser is registered as “My phone”."
    # The next visit lists the device but never shows its key again
    again = client.get(reverse("attendance:devices"))
    assert "data-device-key" not in again.content.decode()
    assert text(again, "data-device-id-row", str(device.pk)).startswith("My phone this browser")


def test_a_device_needs_a_name(client_for: Any, member: Any) -> None:
    response = client_for(member).post(reverse("attendance:devices"), {"action": "register",
                                                                      "name": " "},
                                       REMOTE_ADDR=MUSEUM_IP)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert Device.objects.count() == 0


def test_only_the_owner_revokes_a_device(client_for: Any, member: Any, colleague: Any,
                                         admin_person: Any, site: Any, clock: Any) -> None:
    client_for(member).post(reverse("attendance:devices"), {"action": "register",
                                                           "name": "My phone"},
                            REMOTE_ADDR=MUSEUM_IP)
    device = Device.objects.get()
    revoke = {"action": "revoke", "device": str(device.pk)}
    # A colleague gets "not found" and the device keeps working
    assert client_for(colleague).post(reverse("attendance:devices"), revoke
                                      ).status_code == 404
    device.refresh_from_db()
    assert device.revoked_at is None
    # The owner revokes it
    owner = client_for(member)
    response = owner.post(reverse("attendance:devices"), revoke)
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at == local(TODAY, 20)
    page = owner.get(reverse("attendance:devices"))
    assert "The device can no longer verify your punches." in page.content.decode()
    assert "data-revoke-device" not in page.content.decode()


# --- One day -------------------------------------------------------------------------------

def test_my_day_explains_itself(client_for: Any, member: Any, late_monday: date) -> None:
    response = client_for(member).get(reverse("attendance:day",
                                              args=[member.pk, "2026-11-02"]))
    assert response.status_code == 200
    assert text(response, "data-status", "late") == "Late"
    assert text(response, "data-shift") == "Day 09:00–17:30"
    assert text(response, "data-check-in") == "09:12"
    assert text(response, "data-check-out") == "17:40"
    assert text(response, "data-late") == "12 minutes"
    assert texts(response, "data-reason") == ["Arrived 12 minutes late at 09:12."]
    assert text(response, "data-worked") == "8 h 18 min"
    assert texts(response, "data-punch") == [
        "09:12:00 Time clock import Clock-in Time clock —",
        "17:40:00 Time clock import Clock-out Time clock —"]
    assert text(response, "data-make-up") == "Request a make-up punch"
    assert 'href="/approvals/new/punch_correction/?f.date=' in response.content.decode()


def test_a_day_with_leave_lists_the_request(client_for: Any, member: Any, office: Any,
                                            join: Any, clock: Any) -> None:
    join(member, office)
    annual = LeaveType.objects.get(code="annual")
    Absence.objects.create(person=member, kind="leave", leave_type=annual, start=MONDAY,
                           end=MONDAY, amount=1, status="approved", request_id=9002,
                           request_number="QJ-9002")
    recompute([member.pk], MONDAY, MONDAY)
    response = client_for(member).get(reverse("attendance:day",
                                              args=[member.pk, "2026-11-02"]))
    assert text(response, "data-status", "on_leave") == "On leave"
    assert text(response, "data-leave") == "Annual leave, 1 day"
    assert texts(response, "data-reason") == [
        "Covered by leave or a business trip: no punches needed.",
        "On leave for 510 minutes of the schedule."]
    assert text(response, "data-absence", "QJ-9002") == \
        "Annual leave 2026-11-02 – 2026-11-02 QJ-9002 Approved"


def test_someone_elses_day_is_not_found_unless_seen(client_for: Any, member: Any,
                                                    colleague: Any, hr_person: Any,
                                                    admin_person: Any,
                                                    late_monday: date) -> None:
    path = reverse("attendance:day", args=[member.pk, "2026-11-02"])
    assert client_for(colleague).get(path).status_code == 404
    missing = reverse("attendance:day", args=[987654, "2026-11-02"])
    assert client_for(colleague).get(missing).status_code == 404
    for viewer in (hr_person, admin_person):
        response = client_for(viewer).get(path)
        assert response.status_code == 200
        assert text(response, "data-late") == "12 minutes"
        # Only the person themself is offered a make-up punch
        assert "data-make-up" not in response.content.decode()
    bad = reverse("attendance:day", args=[member.pk, "2026-02-30"])
    assert client_for(member).get(bad).status_code == 404


def test_a_night_shifts_morning_check_out_belongs_to_the_evening_before(
        client_for: Any, member: Any, office_calendar: Any, night_shift: Any, site: Any,
        punch_at: Any, clock: Any) -> None:
    # Given a night watch from 20:00 to 08:00, with Tuesday evening's next watch begun
    night = Group.objects.create(name="Night watch", calendar=office_calendar,
                                 shift=night_shift)
    Membership.objects.create(person=member, group=night)
    punch_at(member, local(MONDAY, 19, 55))
    punch_at(member, local(date(2026, 11, 3), 8, 5))
    punch_at(member, local(date(2026, 11, 3), 19, 58))
    recompute([member.pk], MONDAY, MONDAY)
    # When the member opens Monday
    response = client_for(member).get(reverse("attendance:day",
                                              args=[member.pk, "2026-11-02"]))
    # Then Monday's check-out is Tuesday morning's punch; Tuesday evening's is not listed
    assert text(response, "data-status", "on_time") == "On time"
    assert text(response, "data-shift") == "Night 20:00–08:00"
    assert texts(response, "data-punch") == [
        "19:55:00 Time clock import Clock-in Time clock —",
        "2026-11-03 08:05:00 Time clock import Clock-out Time clock —"]


def test_the_page_speaks_the_persons_language(client_for: Any, member: Any, office: Any,
                                             join: Any, clock: Any) -> None:
    join(member, office)
    member.language = "zh-hans"
    member.save(update_fields=["language"])
    response = client_for(member).get(reverse("attendance:me"), {"month": "2026-11"})
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert text(response, "id", "month-title") == "2026年11月"


def test_overtime_above_the_monthly_limit_is_flagged(client_for: Any, member: Any, office: Any,
                                                     join: Any, clock: Any) -> None:
    from taihe.modules.attendance.models import DayResult

    # Given 37 hours of overtime judged in November: a 13-hour Saturday and 24 workday hours
    join(member, office)
    common = {"person": member, "group": office, "computed_at": FROZEN_NOW}
    DayResult.objects.create(date=date(2026, 11, 7), day_kind="rest_day", status="rest",
                             overtime_minutes=13 * 60, overtime_class="rest_day",
                             overtime_settlement="comp_time", **common)
    for day in (2, 3, 4, 5, 6, 9):
        DayResult.objects.create(date=date(2026, 11, day), day_kind="workday",
                                 status="on_time", overtime_minutes=4 * 60,
                                 overtime_class="workday", overtime_settlement="pay", **common)
    # When the member opens November
    response = client_for(member).get(reverse("attendance:me"), {"month": "2026-11"})
    # Then the month's totals say it is above the Labour Law's 36 hours (art. 41)
    assert text(response, "data-total", "over-cap") == (
        "37.0 hours of overtime this month: above the 36-hour monthly limit of the Labour "
        "Law (art. 41)")
    # and a month within the limit says nothing
    DayResult.objects.filter(date=date(2026, 11, 9)).delete()
    calm = client_for(member).get(reverse("attendance:me"), {"month": "2026-11"})
    assert texts(calm, "data-total", "over-cap") == []


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30"])
def test_a_day_outside_the_known_years_is_not_found(client_for: Any, member: Any,
                                                     office: Any, join: Any, clock: Any,
                                                     day: str) -> None:
    join(member, office)
    response = client_for(member).get(reverse("attendance:day", args=[member.pk, day]))
    assert response.status_code == 404
