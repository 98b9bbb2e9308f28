"""The attendance API: every endpoint called by five callers (anonymous, an outsider with no
role, a staff member, HR and an administrator), the exact bodies of each answer, and the
exact messages bad input gets.

The clock is frozen on Friday 20 November 2026, 20:00 in Shanghai (``FROZEN_NOW``)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, get_args
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve

from taihe.kernel.events.models import OutboxEvent
from taihe.kernel.http import tokens
from taihe.kernel.testing.matrix import Call, assert_allowed, assert_denied, database_state
from taihe.modules.attendance import http, selectors, services
from taihe.modules.attendance.computing import recompute
from taihe.modules.attendance.models import (
    Absence,
    DayResult,
    ExportLayout,
    Group,
    LeaveType,
    LedgerEntry,
    Month,
    MonthSummary,
    Overtime,
    Punch,
    PunchCorrection,
    PunchImport,
)
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import FROZEN_NOW, local

pytestmark = pytest.mark.django_db

P = "/api/v1/attendance"
INVALID = "Some values are not valid."
MONDAY = date(2026, 11, 2)
TODAY = date(2026, 11, 20)
AT_THE_GATE = {"latitude": 39.91256, "longitude": 116.39713, "accuracy": 20}
"""The centre of the Meridian Gate site, a fix good to 20 m."""


def post(client: Client, path: str, body: Any = None, **extra: Any) -> Any:
    if body is None:
        return client.post(path, **extra)
    return client.post(path, data=json.dumps(body), content_type="application/json", **extra)


def error(response: Any) -> dict[str, Any]:
    """The envelope without its request id."""
    body = dict(response.json())
    assert body.pop("request_id")
    return body


def invalid(**fields: str) -> dict[str, Any]:
    return {"detail": INVALID, "code": "invalid", "fields": fields}


def csv_file(text: str, name: str = "clock.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def guard(museum: dict[str, Any]) -> Any:
    """A security guard: outside the lab, in no team a lab head sees."""
    return PersonFactory(username="guard", name_en="Secret Guard", name_zh="保安",
                         department=museum["security"], roles=["staff"])


@pytest.fixture
def lab_head(museum: dict[str, Any]) -> Any:
    """Heads the paper lab: sees its people's attendance without any grant."""
    head = PersonFactory(username="labhead", name_en="Lab Head", name_zh="实验室主任",
                         department=museum["lab"], roles=["staff"])
    museum["lab"].head = head
    museum["lab"].save(update_fields=["head"])
    return head


def judged(person: Any, day: date, *times: tuple[int, int]) -> DayResult:
    """Store time-clock punches at local ``times`` of ``day`` and judge the day."""
    for hour, minute in times:
        Punch.objects.create(person=person, at=local(day, hour, minute),
                             source=Punch.Source.IMPORT,
                             verification=Punch.Verification.TIME_CLOCK,
                             recorded_at=local(day, hour, minute))
    recompute([person.pk], day, day)
    return DayResult.objects.get(person=person, date=day)


# --- the five callers -----------------------------------------------------------------------

CALLERS = ("anonymous", "outsider", "member", "hr", "admin")
MINE = {"anonymous": 401, "outsider": 403, "member": 200, "hr": 200, "admin": 200}
"""One's own attendance: everyone who may punch."""
PUNCHING = {"anonymous": 401, "outsider": 403, "member": 201, "hr": 201, "admin": 201}
SOMEONE = {"anonymous": 401, "outsider": 404, "member": 404, "hr": 200, "admin": 200}
"""Another person's days: to a caller who may not see them, the person does not exist."""
TEAM = {"anonymous": 401, "outsider": 403, "member": 403, "hr": 200, "admin": 200}
HR_CREATES = {"anonymous": 401, "outsider": 403, "member": 403, "hr": 201, "admin": 201}


@dataclass
class Case:
    name: str
    method: str
    route: str
    """The OpenAPI path template this case covers (checked against the built call)."""
    build: Callable[[dict[str, Any]], Call]
    expected: dict[str, int]
    own: bool = False
    """The caller's own records: the secrets (someone else's) stay out of every answer,
    the allowed callers' included."""


def _next_month_to_close(c: dict[str, Any]) -> Call:
    return Call("POST", f"{P}/months/{next(c['months to close'])}/close")


GUARD_SECRETS = ["Secret Guard", "保安"]
CASES = [
    Case("punch", "POST", f"{P}/punches",
         lambda c: Call("POST", f"{P}/punches", AT_THE_GATE), PUNCHING),
    Case("my days", "GET", f"{P}/me/days",
         lambda c: Call("GET", f"{P}/me/days?month=2026-11", secrets=GUARD_SECRETS), MINE,
         own=True),
    Case("a person's days", "GET", f"{P}/people/{{person_id}}/days",
         lambda c: Call("GET", f"{P}/people/{c['guard'].pk}/days?month=2026-11",
                        secrets=[*GUARD_SECRETS, "late"]), SOMEONE),
    Case("my balances", "GET", f"{P}/me/balances",
         lambda c: Call("GET", f"{P}/me/balances", secrets=["15.00"]), MINE, own=True),
    Case("my requests", "GET", f"{P}/me/requests",
         lambda c: Call("GET", f"{P}/me/requests", secrets=["AP-2026-000042"]), MINE,
         own=True),
    Case("team today", "GET", f"{P}/team/today",
         lambda c: Call("GET", f"{P}/team/today", secrets=GUARD_SECRETS), TEAM),
    Case("team exceptions", "GET", f"{P}/team/exceptions",
         lambda c: Call("GET", f"{P}/team/exceptions", secrets=GUARD_SECRETS), TEAM),
    Case("months", "GET", f"{P}/months",
         lambda c: Call("GET", f"{P}/months", secrets=["2026-10"]), TEAM),
    Case("month summaries", "GET", f"{P}/months/{{month}}/summaries",
         lambda c: Call("GET", f"{P}/months/2026-10/summaries", secrets=GUARD_SECRETS), TEAM),
    Case("export a month", "GET", f"{P}/months/{{month}}/export",
         lambda c: Call("GET", f"{P}/months/2026-10/export?format=csv&sheet=detail",
                        secrets=GUARD_SECRETS), TEAM),
    Case("close a month", "POST", f"{P}/months/{{month}}/close", _next_month_to_close, TEAM),
    Case("import punches", "POST", f"{P}/imports",
         lambda c: Call("POST", f"{P}/imports", {"source_system": "ZKTeco"},
                        files={"file": csv_file("person,time\nguard,2026-11-03 08:58\n")}),
         HR_CREATES),
]


def covered_operations() -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every case, for the directory's meta-test."""
    return {(case.method, case.route) for case in CASES}


@pytest.fixture
def ctx(member: Any, outsider: Any, hr_person: Any, admin_person: Any, guard: Any,
        office: Group, join: Callable[..., Any], clock: Any) -> dict[str, Any]:
    """Everyone but the outsider in the office group; the guard late on 2 November, with
    a leave request and 15 days of annual leave; 5 days for the member; October closed."""
    for person in (member, hr_person, admin_person, guard):
        join(person, office)
    judged(guard, MONDAY, (9, 40), (17, 45))
    Absence.objects.create(person=guard, kind=Absence.Kind.LEAVE,
                           leave_type=LeaveType.objects.get(code="annual"),
                           start=date(2026, 11, 9), end=date(2026, 11, 9), amount=1,
                           request_id=42, request_number="AP-2026-000042")
    for person, days in ((member, 5), (guard, 15)):
        LedgerEntry.objects.create(person=person, leave_type=LeaveType.objects.get(code="annual"),
                                   kind=LedgerEntry.Kind.GRANT, on=date(2026, 1, 1),
                                   amount=days, recorded_at=FROZEN_NOW)
    services.do_close_month(hr_person, date(2026, 10, 1))
    return {"member": member, "outsider": outsider, "hr": hr_person, "admin": admin_person,
            "guard": guard,
            "months to close": iter(f"2026-{month:02d}" for month in range(9, 0, -1))}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_five_callers(case: Case, ctx: dict[str, Any], client_for: Callable[[Any], Client],
                      run_commit_hooks: Any) -> None:
    """Given the museum, when each caller makes the call, then the denied get the envelope
    with nothing of the data and nothing changed, and the allowed get their answer."""
    for caller in CALLERS:
        call = case.build(ctx)
        client = client_for(None if caller == "anonymous" else ctx[caller])
        status = case.expected[caller]
        if status >= 400:
            assert_denied(client, call, status)
            continue
        with run_commit_hooks():
            response = assert_allowed(client, call, status)
        if case.own:
            for secret in call.secrets:
                assert secret not in response.content.decode(), (caller, secret)


def test_case_routes_match_their_calls(ctx: dict[str, Any]) -> None:
    """Each case's route is the one its call reaches, and every attendance operation of the
    OpenAPI document has a case."""
    spec = Client().get("/api/v1/openapi.json").json()
    for case in CASES:
        call = case.build(ctx)
        assert call.method == case.method, case.name
        sample = case.route.replace("{person_id}", "1").replace("{month}", "2026-10")
        assert resolve(urlsplit(call.path).path).route == resolve(sample).route, case.name
    declared = {(method.upper(), path) for path, item in spec["paths"].items()
                if path.startswith(f"{P}/") for method in item}
    assert covered_operations() == declared


# --- punching -------------------------------------------------------------------------------

def test_a_punch_inside_the_site_is_stored_with_its_proof(
        member: Any, office: Group, site: Any, join: Any, clock: Any,
        client_for: Callable[[Any], Client], run_commit_hooks: Any) -> None:
    join(member, office)
    with run_commit_hooks():
        response = post(client_for(member), f"{P}/punches", AT_THE_GATE)
    assert response.status_code == 201
    punch = Punch.objects.get(person=member)
    assert response.json() == {"id": punch.pk, "at": "2026-11-20T12:00:00Z",
                               "verification": "geofence",
                               "site": {"id": site.pk, "name": "Meridian Gate"}}
    assert (punch.source, punch.distance_m, punch.accuracy_m, punch.ip_address) == \
        ("web", 0, 20, "127.0.0.1")
    assert OutboxEvent.objects.filter(name="attendance.punch.recorded.v1").count() == 1


def test_a_punch_from_the_museum_network_needs_no_position(
        member: Any, office: Group, site: Any, join: Any, clock: Any) -> None:
    join(member, office)
    client = Client(REMOTE_ADDR="10.20.3.4")
    client.force_login(member)
    response = post(client, f"{P}/punches", {})
    assert response.status_code == 201
    assert response.json()["verification"] == "network"
    assert Punch.objects.get(person=member).ip_address == "10.20.3.4"


def test_a_punch_far_from_the_site_says_how_far_and_stores_nothing(
        member: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    join(member, office)
    a_kilometre_north = {"latitude": 39.92156, "longitude": 116.39713}
    response = post(client_for(member), f"{P}/punches", a_kilometre_north)
    message = "You are 1001 m from Meridian Gate; punches count within 300 m."
    assert (response.status_code, error(response)) == (
        422, {"detail": message, "code": "outside_site", "fields": {"location": message}})
    assert Punch.objects.count() == 0
    assert OutboxEvent.objects.count() == 0


@pytest.mark.parametrize(("body", "fields"), [
    ({"latitude": 91, "longitude": 116.4}, {
        "latitude": "Input should be less than or equal to 90"}),
    ({"latitude": 39.9, "longitude": -181}, {
        "longitude": "Input should be greater than or equal to -180"}),
    ({"accuracy": -1}, {"accuracy": "Input should be greater than or equal to 0"}),
    ({"latitude": 39.9}, {"location": "Send both latitude and longitude."}),
    ({"device_key": "k" * 201}, {"device_key": "String should have at most 200 characters"}),
])
def test_bad_positions_name_the_field(body: dict[str, Any], fields: dict[str, str],
                                      member: Any, office: Group, join: Any, clock: Any,
                                      client_for: Callable[[Any], Client]) -> None:
    join(member, office)
    response = post(client_for(member), f"{P}/punches", body)
    assert (response.status_code, error(response)) == (422, invalid(**fields))
    assert Punch.objects.count() == 0


def test_a_punch_that_is_not_json_is_a_bad_request(
        member: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    join(member, office)
    response = client_for(member).post(f"{P}/punches", data="{latitude",
                                       content_type="application/json")
    assert (response.status_code, error(response)) == (
        400, {"detail": "Cannot parse request body", "code": "http_error"})
    assert Punch.objects.count() == 0


def test_a_punch_outside_every_group_is_a_conflict(
        member: Any, site: Any, clock: Any, client_for: Callable[[Any], Client]) -> None:
    response = post(client_for(member), f"{P}/punches", AT_THE_GATE)
    assert (response.status_code, error(response)) == (409, {
        "detail": "You are not in an attendance group yet; HR adds people to groups.",
        "code": "no_group"})
    assert Punch.objects.count() == 0


def test_tokens_punch_only_when_they_may_write(
        member: Any, office: Group, join: Any, clock: Any) -> None:
    """Given a read-only and a read-write token, when each punches, then only the second
    is stored; both may read."""
    join(member, office)
    reader = tokens.issue(member, name="watch", scopes=["read"]).secret
    writer = tokens.issue(member, name="phone", scopes=["read", "write"]).secret
    refused = post(Client(), f"{P}/punches", AT_THE_GATE, HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert (refused.status_code, error(refused)) == (
        401, {"detail": "Sign in or send a valid API token.", "code": "not_authenticated"})
    assert Punch.objects.count() == 0
    stored = post(Client(), f"{P}/punches", AT_THE_GATE, HTTP_AUTHORIZATION=f"Bearer {writer}")
    assert stored.status_code == 201
    read = Client().get(f"{P}/me/days", HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert read.status_code == 200
    assert [day["date"] for day in read.json()["days"]] == ["2026-11-19", "2026-11-20"]


# --- days -----------------------------------------------------------------------------------

LATE_MONDAY = {
    "date": "2026-11-02", "status": "late", "shift_code": "day", "day_kind": "workday",
    "late_minutes": 12, "early_minutes": 0, "worked_minutes": 498, "overtime_minutes": 0,
    "overtime_class": "", "overtime_settlement": "", "leave_type": "", "leave_days": "0.00",
    "trip_minutes": 0, "missing_punches": 0, "check_in": "2026-11-02T01:12:00Z",
    "check_out": "2026-11-02T09:40:00Z",
    "reasons": [{"code": "late", "segment": 0, "minutes": 12, "at": "2026-11-02T01:12:00Z"}]}
"""Monday 2 November, in at 09:12 and out at 17:40 on a 09:00–17:30 shift with 5 minutes'
grace."""


def test_my_days_of_a_month(member: Any, guard: Any, office: Group, join: Any, clock: Any,
                            client_for: Callable[[Any], Client]) -> None:
    """Given a late Monday of mine and one of the guard's, when I read November (named or
    by default), then I get mine only; October has no days."""
    join(member, office)
    join(guard, office)
    judged(member, MONDAY, (9, 12), (17, 40))
    judged(guard, MONDAY, (9, 40), (17, 45))
    client = client_for(member)
    expected = {"person": {"id": member.pk, "name": member.name_en}, "month": "2026-11",
                "closed": False, "days": [LATE_MONDAY]}
    assert client.get(f"{P}/me/days?month=2026-11").json() == expected
    assert client.get(f"{P}/me/days").json() == expected
    assert client.get(f"{P}/me/days?month=2026-10").json() == {
        **expected, "month": "2026-10", "days": []}


@pytest.mark.parametrize(("month", "message"), [
    ("2026-13", "There is no month 13: months run from 01 to 12."),
    ("2026-00", "There is no month 00: months run from 01 to 12."),
    ("November", "Write the month as YYYY-MM, such as 2026-11."),
    ("2026-1", "Write the month as YYYY-MM, such as 2026-11."),
    ("2026/11", "Write the month as YYYY-MM, such as 2026-11."),
    ("1999-12", "Choose a month between 2000-01 and 2099-12."),
    ("9999-12", "Choose a month between 2000-01 and 2099-12."),
])
def test_bad_months_get_a_message_naming_the_month(
        month: str, message: str, member: Any, hr_person: Any, office: Group, join: Any,
        clock: Any, client_for: Callable[[Any], Client]) -> None:
    join(member, office)
    before = database_state()
    calls = [(client_for(member), "get", f"{P}/me/days?month={month}"),
             (client_for(member), "get", f"{P}/people/{member.pk}/days?month={month}")]
    if "/" not in month:  # a slash would be another path, not a month
        calls += [(client_for(hr_person), "get", f"{P}/months/{month}/summaries"),
                  (client_for(hr_person), "get", f"{P}/months/{month}/export"),
                  (client_for(hr_person), "post", f"{P}/months/{month}/close")]
    for client, method, path in calls:
        response = getattr(client, method)(path)
        assert (response.status_code, error(response)) == (422, invalid(month=message)), path
    assert database_state() == before


def test_a_persons_days_only_for_those_who_may_see_them(
        member: Any, guard: Any, lab_head: Any, museum: dict[str, Any], office: Group,
        join: Any, clock: Any, client_for: Callable[[Any], Client]) -> None:
    """Given the member's late Monday, when the lab's head reads it, then they get it; the
    security head and the guard get the same 404 as for an id that does not exist."""
    join(member, office)
    judged(member, MONDAY, (9, 12), (17, 40))
    security_head = PersonFactory(name_en="Security Head", department=museum["security"],
                                  roles=["staff"])
    museum["security"].head = security_head
    museum["security"].save(update_fields=["head"])
    path = f"{P}/people/{member.pk}/days?month=2026-11"
    assert client_for(lab_head).get(path).json() == {
        "person": {"id": member.pk, "name": member.name_en}, "month": "2026-11",
        "closed": False, "days": [LATE_MONDAY]}
    assert client_for(member).get(path).status_code == 200
    missing = client_for(security_head).get(f"{P}/people/999999/days?month=2026-11")
    not_found = (404, {"detail": "No such person.", "code": "not_found"})
    assert (missing.status_code, error(missing)) == not_found
    for stranger in (security_head, guard):
        hidden = client_for(stranger).get(path)
        assert (hidden.status_code, error(hidden)) == not_found
        assert "Person" not in hidden.content.decode()


# --- balances and requests ------------------------------------------------------------------

def test_my_balances_count_what_waits_for_approval(
        member: Any, guard: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    """Given 5 days of annual leave, 1.5 days waiting for approval and 2 hours of time off
    in lieu earned, when I read my balances, then 3.50 days are available; the guard's
    grant is not mine."""
    join(member, office)
    annual = LeaveType.objects.get(code="annual")
    comp_time = LeaveType.objects.get(code="comp_time")
    for person, leave_type, amount in ((member, annual, Decimal(5)),
                                       (member, comp_time, Decimal(2)),
                                       (guard, annual, Decimal(15))):
        LedgerEntry.objects.create(person=person, leave_type=leave_type,
                                   kind=LedgerEntry.Kind.GRANT, on=date(2026, 1, 1),
                                   amount=amount, recorded_at=FROZEN_NOW)
    Absence.objects.create(person=member, kind=Absence.Kind.LEAVE, leave_type=annual,
                           start=date(2026, 11, 23), end=date(2026, 11, 24), end_half="am",
                           amount=Decimal("1.5"), request_id=7,
                           request_number="AP-2026-000007")
    expected = [
        {"leave_type": "annual", "name": "Annual leave", "unit": "day", "balance": "5.00",
         "pending": "1.50", "available": "3.50"},
        {"leave_type": "comp_time", "name": "Time off in lieu", "unit": "hour",
         "balance": "2.00", "pending": "0.00", "available": "2.00"}]
    assert client_for(member).get(f"{P}/me/balances").json() == expected
    member.language = "zh-hans"
    member.save(update_fields=["language"])
    in_chinese = client_for(member).get(f"{P}/me/balances").json()
    assert [row["name"] for row in in_chinese] == ["年假", "调休"]


def test_my_requests_with_their_numbers_and_statuses(
        member: Any, guard: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    join(member, office)
    annual = LeaveType.objects.get(code="annual")
    Absence.objects.create(person=member, kind=Absence.Kind.LEAVE, leave_type=annual,
                           start=date(2026, 11, 23), end=date(2026, 11, 24), end_half="am",
                           amount=Decimal("1.5"), request_id=7,
                           request_number="AP-2026-000007")
    Absence.objects.create(person=member, kind=Absence.Kind.TRIP, start=date(2026, 11, 3),
                           end=date(2026, 11, 4), status=Absence.Status.APPROVED,
                           request_id=8, request_number="AP-2026-000008")
    Absence.objects.create(person=guard, kind=Absence.Kind.LEAVE, leave_type=annual,
                           start=date(2026, 11, 5), end=date(2026, 11, 5), amount=1,
                           request_id=9, request_number="AP-2026-000009")
    Overtime.objects.create(person=member, work_date=date(2026, 11, 7),
                            start=local(date(2026, 11, 7), 9), end=local(date(2026, 11, 7), 13),
                            compensation="comp_time", status=Overtime.Status.APPROVED,
                            request_id=10, request_number="AP-2026-000010")
    PunchCorrection.objects.create(person=member, work_date=date(2026, 11, 6),
                                   at=local(date(2026, 11, 6), 17, 35), direction="out",
                                   status=Absence.Status.REJECTED, request_id=11,
                                   request_number="AP-2026-000011")
    assert client_for(member).get(f"{P}/me/requests").json() == {
        "absences": [
            {"number": "AP-2026-000007", "url": "/approvals/r/AP-2026-000007/",
             "kind": "leave", "leave_type": "annual", "start": "2026-11-23",
             "end": "2026-11-24", "start_half": "", "end_half": "am", "amount": "1.50",
             "unit": "day", "status": "pending", "status_label": "Waiting for approval"},
            {"number": "AP-2026-000008", "url": "/approvals/r/AP-2026-000008/",
             "kind": "trip", "leave_type": None, "start": "2026-11-03", "end": "2026-11-04",
             "start_half": "", "end_half": "", "amount": "0.00", "unit": "day",
             "status": "approved", "status_label": "Approved"}],
        "overtime": [
            {"number": "AP-2026-000010", "url": "/approvals/r/AP-2026-000010/",
             "work_date": "2026-11-07", "start": "2026-11-07T01:00:00Z",
             "end": "2026-11-07T05:00:00Z", "compensation": "comp_time",
             "status": "approved", "status_label": "Approved"}],
        "corrections": [
            {"number": "AP-2026-000011", "url": "/approvals/r/AP-2026-000011/",
             "work_date": "2026-11-06", "at": "2026-11-06T09:35:00Z", "direction": "out",
             "status": "rejected", "status_label": "Rejected"}]}


# --- team -----------------------------------------------------------------------------------

def test_team_today_for_a_department_head(
        member: Any, guard: Any, lab_head: Any, museum: dict[str, Any], office: Group,
        join: Any, clock: Any, client_for: Callable[[Any], Client]) -> None:
    """Given the member in at 08:55 today, a lab colleague not seen yet and the guard in
    security, when the lab's head looks at today, then they see the lab only."""
    colleague = PersonFactory(username="colleague", name_en="Another Conservator",
                              department=museum["lab"], roles=["staff"])
    for person in (member, colleague, guard, lab_head):
        join(person, office)
    judged(member, TODAY, (8, 55))
    judged(guard, TODAY, (8, 50))
    response = client_for(lab_head).get(f"{P}/team/today")
    rows = {row["name"]: row for row in response.json()["rows"]}
    assert response.json() == {
        "date": "2026-11-20", "counts": {"missing_punch_out": 1, "not_judged": 2},
        "rows": [
            {"person_id": colleague.pk, "name": "Another Conservator", "status": "not_judged",
             "check_in": None, "check_out": None, "late_minutes": 0},
            {"person_id": lab_head.pk, "name": "Lab Head", "status": "not_judged",
             "check_in": None, "check_out": None, "late_minutes": 0},
            {"person_id": member.pk, "name": member.name_en, "status": "missing_punch_out",
             "check_in": "2026-11-20T00:55:00Z", "check_out": None, "late_minutes": 0}]}
    assert "Secret Guard" not in rows


def test_team_pages_are_refused_to_someone_without_a_team(
        member: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    join(member, office)
    for path in (f"{P}/team/today", f"{P}/team/exceptions"):
        response = client_for(member).get(path)
        assert (response.status_code, error(response)) == (403, {
            "detail": "You have no team whose attendance you may see.",
            "code": "permission_denied"})


def test_team_exceptions_are_filtered_paged_and_checked(
        member: Any, guard: Any, hr_person: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    """Given the member late on Monday and absent on Tuesday, the guard late on Wednesday
    and on time on Thursday, when HR asks for those days, then three problem days come,
    newest first."""
    join(member, office)
    join(guard, office)
    judged(member, MONDAY, (9, 12), (17, 40))
    judged(member, date(2026, 11, 3))
    judged(guard, date(2026, 11, 4), (9, 30), (17, 45))
    judged(guard, date(2026, 11, 5), (8, 55), (17, 45))
    client = client_for(hr_person)
    span = "start=2026-11-02&end=2026-11-05"
    everything = client.get(f"{P}/team/exceptions?{span}").json()
    assert [(row["date"], row["name"], row["status"]) for row in everything["items"]] == [
        ("2026-11-04", "Secret Guard", "late"), ("2026-11-03", member.name_en, "absent"),
        ("2026-11-02", member.name_en, "late")]
    assert everything["count"] == 3
    assert everything["items"][2] == {
        "person_id": member.pk, "name": member.name_en, "date": "2026-11-02",
        "status": "late", "late_minutes": 12, "early_minutes": 0, "missing_punches": 0,
        "check_in": "2026-11-02T01:12:00Z", "check_out": "2026-11-02T09:40:00Z",
        "reasons": [{"code": "late", "segment": 0, "minutes": 12,
                     "at": "2026-11-02T01:12:00Z"}]}
    late = client.get(f"{P}/team/exceptions?{span}&status=late").json()
    assert [row["date"] for row in late["items"]] == ["2026-11-04", "2026-11-02"]
    second = client.get(f"{P}/team/exceptions?{span}&limit=1&offset=1").json()
    assert (second["count"], [row["date"] for row in second["items"]]) == (3, ["2026-11-03"])


@pytest.mark.parametrize(("query", "fields"), [
    ("start=2026-11-05&end=2026-11-02", {"end": "The end date is before the start date."}),
    ("start=2025-11-01&end=2026-11-05", {"end": "Ask for at most 366 days at a time."}),
    ("status=bogus", {"status": "Input should be 'late', 'left_early', 'late_and_left_early', "
                                "'absent', 'missing_punch_in' or 'missing_punch_out'"}),
    ("start=2026-02-30", {"start": "Input should be a valid date or datetime, day value is "
                                   "outside expected range"}),
    ("limit=0", {"limit": "Input should be greater than or equal to 1"}),
])
def test_bad_exception_queries_name_the_parameter(
        query: str, fields: dict[str, str], hr_person: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    response = client_for(hr_person).get(f"{P}/team/exceptions?{query}")
    assert (response.status_code, error(response)) == (422, invalid(**fields))


def test_problem_statuses_are_the_selectors() -> None:
    assert set(get_args(http.ProblemStatus)) == set(selectors.PROBLEMS)


# --- months ---------------------------------------------------------------------------------

def test_months_open_since_the_last_close(
        member: Any, hr_person: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    join(member, office)
    client = client_for(hr_person)
    open_month = {"closed": False, "closed_at": None, "closed_by": None, "people": 0}
    assert client.get(f"{P}/months").json() == [
        {"month": "2026-11", "first_day": "2026-11-01", **open_month},
        {"month": "2026-10", "first_day": "2026-10-01", **open_month}]
    services.do_close_month(hr_person, date(2026, 9, 1))
    assert [(row["month"], row["closed"]) for row in client.get(f"{P}/months").json()] == [
        ("2026-11", False), ("2026-10", False), ("2026-09", True)]


def test_closing_a_month_then_reading_its_summaries(
        member: Any, hr_person: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client], run_commit_hooks: Any) -> None:
    """Given the member in the office group from October, when HR closes October, then
    the month and its frozen summary answer; closing it again, closing November (not
    over) and reading November's or December's summaries are refused."""
    join(member, office)
    client = client_for(hr_person)
    with run_commit_hooks():
        closed = client.post(f"{P}/months/2026-10/close")
    assert closed.json() == {
        "month": "2026-10", "first_day": "2026-10-01", "closed": True,
        "closed_at": "2026-11-20T12:00:00Z",
        "closed_by": {"id": hr_person.pk, "name": hr_person.name_en}, "people": 1}
    assert Month.objects.get().closed_by == hr_person
    assert OutboxEvent.objects.filter(name="attendance.month.closed.v1").count() == 1
    summaries = client.get(f"{P}/months/2026-10/summaries").json()
    assert summaries == {"count": 1, "items": [{
        "person_id": member.pk, "name": member.name_en, "department_id": member.department_id,
        "group_name": "Office", "scheduled_days": 22, "worked_days": "0.00", "late_count": 0,
        "late_minutes": 0, "early_count": 0, "early_minutes": 0, "absent_days": "22.00",
        "missing_punches": 0, "trip_days": "0.00", "leave": {}, "overtime": {},
        "comp_time_hours": "0.00", "corrections": []}]}
    before = database_state()
    for path, status, body in (
            (f"{P}/months/2026-10/close", 409,
             {"detail": "2026-10 is already closed.", "code": "closed"}),
            (f"{P}/months/2026-11/close", 409,
             {"detail": "2026-11 has not ended yet.", "code": "month_not_over"})):
        response = client.post(path)
        assert (response.status_code, error(response)) == (status, body)
    for path, status, body in (
            (f"{P}/months/2026-11/summaries", 409, {
                "detail": "2026-11 is not closed yet; summaries and payroll exports come "
                          "from a closed month.",
                "code": "month_open"}),
            (f"{P}/months/2026-12/summaries", 404,
             {"detail": "2026-12 has not begun.", "code": "not_found"})):
        response = client.get(path)
        assert (response.status_code, error(response)) == (status, body)
    assert database_state() == before
    assert MonthSummary.objects.count() == 1


def test_exporting_a_closed_month(
        member: Any, hr_person: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    """Given October closed with the member absent every working day, when HR exports it
    in a short layout as CSV and in full as XLSX, then the files hold the frozen month."""
    from openpyxl import load_workbook

    join(member, office)
    services.do_close_month(hr_person, date(2026, 10, 1))
    layout = ExportLayout.objects.create(
        name="Short", columns=["username", "name", "scheduled_days", "absent_days"])
    client = client_for(hr_person)
    as_csv = client.get(f"{P}/months/2026-10/export?format=csv&layout={layout.pk}")
    assert as_csv.status_code == 200
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv["Content-Disposition"] == 'attachment; filename="taihe-attendance-2026-10.csv"'
    assert as_csv.content.decode("utf-8") == (
        f"\ufeffUser name,Name,Scheduled days,Days absent\r\nmember,{member.name_en},22,22\r\n")
    detail = client.get(f"{P}/months/2026-10/export?format=csv&sheet=detail")
    assert detail["Content-Disposition"] == \
        'attachment; filename="taihe-attendance-2026-10-detail.csv"'
    assert detail.content.decode("utf-8").splitlines()[1] == \
        f"2026-10-01,member,{member.name_en},Paper lab,Absent,Day,,,0,0,0,0,,,,"
    as_xlsx = client.get(f"{P}/months/2026-10/export")
    assert as_xlsx["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(as_xlsx.content), read_only=True)
    assert workbook.sheetnames == ["Summary", "Detail", "Corrections"]
    summary = list(workbook["Summary"].iter_rows(values_only=True))
    assert (summary[1][0], summary[1][1], len(summary)) == ("member", member.name_en, 2)


@pytest.mark.parametrize(("query", "status", "body"), [
    ("format=pdf", 422, invalid(format="Input should be 'xlsx' or 'csv'")),
    ("format=csv&sheet=totals", 422,
     invalid(sheet="Input should be 'summary', 'detail' or 'corrections'")),
    ("layout=999999", 404, {"detail": "This layout does not exist (any more).",
                            "code": "not_found"}),
])
def test_bad_exports_say_what_is_wrong(
        query: str, status: int, body: dict[str, Any], hr_person: Any, clock: Any,
        client_for: Callable[[Any], Client]) -> None:
    services.do_close_month(hr_person, date(2026, 10, 1))
    response = client_for(hr_person).get(f"{P}/months/2026-10/export?{query}")
    assert (response.status_code, error(response)) == (status, body)


def test_open_and_future_months_are_not_exported(
        hr_person: Any, clock: Any, client_for: Callable[[Any], Client]) -> None:
    client = client_for(hr_person)
    still_open = client.get(f"{P}/months/2026-10/export")
    assert (still_open.status_code, error(still_open)) == (409, {
        "detail": "2026-10 is not closed yet; summaries and payroll exports come from a "
                  "closed month.", "code": "month_open"})
    future = client.get(f"{P}/months/2027-01/export")
    assert (future.status_code, error(future)) == (
        404, {"detail": "2027-01 has not begun.", "code": "not_found"})


# --- imports --------------------------------------------------------------------------------

def test_importing_a_time_clock_file(
        member: Any, guard: Any, hr_person: Any, office: Group, join: Any, clock: Any,
        client_for: Callable[[Any], Client], run_commit_hooks: Any) -> None:
    join(member, office)
    text = "person,time,terminal\nmember,2026-11-03 08:58,East door\nguard,2026-11-03 09:01,\n"
    client = client_for(hr_person)
    with run_commit_hooks():
        first = client.post(f"{P}/imports", {"file": csv_file(text),
                                             "source_system": " ZKTeco "})
    batch = PunchImport.objects.get()
    assert (first.status_code, first.json()) == (
        201, {"id": batch.pk, "rows": 2, "added": 2, "duplicates": 0})
    assert (batch.file_name, batch.source_system, batch.imported_by) == \
        ("clock.csv", "ZKTeco", hr_person)
    assert sorted(Punch.objects.values_list("person__username", "at", "terminal")) == [
        ("guard", datetime(2026, 11, 3, 1, 1, tzinfo=FROZEN_NOW.tzinfo), ""),
        ("member", datetime(2026, 11, 3, 0, 58, tzinfo=FROZEN_NOW.tzinfo), "East door")]
    again = client.post(f"{P}/imports", {"file": csv_file(text)})
    assert again.json() == {"id": batch.pk + 1, "rows": 2, "added": 0, "duplicates": 2}
    assert Punch.objects.count() == 2


def test_a_bad_time_clock_file_names_each_bad_row_and_stores_nothing(
        member: Any, hr_person: Any, clock: Any, client_for: Callable[[Any], Client],
        monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(hr_person)
    before = database_state()
    bad = client.post(f"{P}/imports", {"file": csv_file(
        "person,time\nmember,2026-11-03 08:58\nmember,yesterday\nnobody,2026-11-03 09:00\n")})
    assert (bad.status_code, error(bad)) == (422, {
        "detail": "Nothing was imported: 2 problems.", "code": "invalid",
        "fields": {"row 3, time": "Not a date and time such as 2026-11-02 08:57.",
                   "row 4, person": "No person with the user name nobody."}})
    no_columns = client.post(f"{P}/imports", {"file": csv_file("who,when\nmember,08:58\n")})
    assert (no_columns.status_code, error(no_columns)) == (422, {
        "detail": "The file needs the columns person and time.", "code": "invalid",
        "fields": {"file": "Missing columns: person, time"}})
    not_utf8 = client.post(f"{P}/imports", {"file": SimpleUploadedFile(
        "clock.csv", b"person,time\n\x81\x20\xff,2026-11-03 08:58\n")})
    assert (not_utf8.status_code, error(not_utf8)) == (422, {
        "detail": "The file is not UTF-8 or GB18030 text.", "code": "invalid",
        "fields": {"file": "Save the file as UTF-8 CSV."}})
    monkeypatch.setattr(http, "MAX_IMPORT_BYTES", 10)
    too_big = client.post(f"{P}/imports",
                          {"file": csv_file("person,time\nmember,2026-11-03 08:58\n")})
    assert (too_big.status_code, error(too_big)) == (422, invalid(
        file="The file is larger than 10 MB; split it, for example by month."))
    missing = client.post(f"{P}/imports", {"source_system": "ZKTeco"})
    assert (missing.status_code, error(missing)) == (
        422, invalid(file="Choose the CSV file to import."))
    assert database_state() == before


# --- the OpenAPI document -------------------------------------------------------------------

def test_every_operation_documents_each_answer(db: Any) -> None:
    """Each attendance operation has a summary, a description, and a description and a
    schema for every status it declares: 401 and its failures answer with the envelope."""
    spec = Client().get("/api/v1/openapi.json").json()
    operations = [(path, method, operation) for path, item in spec["paths"].items()
                  if path.startswith(f"{P}/") for method, operation in item.items()]
    assert len(operations) == len(CASES)
    for path, method, operation in operations:
        assert operation["summary"] and operation["description"], (method, path)
        assert operation["tags"] == ["attendance"]
        responses = operation["responses"]
        assert "401" in responses, (method, path)
        for status, answer in responses.items():
            assert answer["description"] not in ("OK", "Created", "Unauthorized", "Forbidden",
                                                 "Not Found", "Conflict",
                                                 "Unprocessable Entity"), (method, path, status)
            if int(status) >= 400:
                assert answer["content"] == {"application/json": {"schema": {
                    "$ref": "#/components/schemas/AttendanceErrorOut"}}}, (method, path)
            elif path.endswith("/export"):
                assert sorted(answer["content"]) == [
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "text/csv"]
            else:
                assert list(answer["content"]) == ["application/json"], (method, path)
