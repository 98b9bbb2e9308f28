"""The demo attendance: every demo person in a fitting group, punches judged into days, a
closed month for payroll, annual leave for the approvals demo's stories, and loading twice
adding nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from taihe.kernel import demo as kernel_demo
from taihe.modules.attendance import demo, services
from taihe.modules.attendance.computing import local_zone
from taihe.modules.attendance.models import (
    Calendar,
    CalendarDay,
    DayResult,
    Employment,
    Group,
    LeaveType,
    LedgerEntry,
    Membership,
    Month,
    MonthSummary,
    Punch,
    PunchImport,
    Shift,
    Site,
)
from taihe.modules.attendance.rulebook import load_rulebook
from taihe.modules.directory import demo as directory_demo
from taihe.modules.workflows import demo as workflows_demo
from tests.modules.attendance.conftest import FROZEN_NOW

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)
"""FROZEN_NOW in Shanghai: the month before last is September 2026."""

TABLES = (Calendar, CalendarDay, Shift, Site, Group, Membership, Employment, LedgerEntry,
          PunchImport, Punch, DayResult, Month, MonthSummary)


@pytest.fixture
def loaded(clock: Callable[[datetime], None]) -> dict[str, Any]:
    directory_demo.load(lambda line: None)
    lines: list[str] = []
    summary = demo.load(lines.append)
    return {"summary": summary, "lines": lines}


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def test_the_loader_runs_after_the_directory_and_before_the_approvals() -> None:
    orders = {entry.name: entry.order for entry in kernel_demo.loaders()}
    assert orders["directory"] < orders["attendance"] == 45 < orders["workflows"]


# Loading the demo takes seconds: one test looks at everything one load made.
def test_the_demo_museum_keeps_time(loaded: dict[str, Any]) -> None:
    roster = directory_demo.demo_people()
    people = {p.username: p for p in get_user_model().objects.all()}

    # the rules
    assert dict(Calendar.objects.values_list("name", "rest_weekdays")) == {
        "Offices": [5, 6], "Galleries": [0]}
    assert list(Shift.objects.order_by("code").values_list("code", "kind", "segments")) == [
        ("conservation-flex", "flexible", []),
        ("desk-split", "fixed", [["08:30", "12:00"], ["13:30", "17:30"]]),
        ("gallery-day", "fixed", [["08:30", "17:30"]]),
        ("office-day", "fixed", [["08:30", "17:00"]]),
        ("security-day", "fixed", [["08:00", "20:00"]]),
        ("security-night", "fixed", [["20:00", "08:00"]]),
    ]
    office = Shift.objects.get(code="office-day")
    assert (office.late_grace_minutes, str(office.core_start)) == (5, "09:00:00")
    flexible = Shift.objects.get(code="conservation-flex")
    assert (flexible.target_minutes, str(flexible.earliest_start),
            str(flexible.latest_end)) == (450, "07:00:00", "20:00:00")
    assert list(Site.objects.values_list("name", "radius_m", "networks")) == [
        ("Conservation Hospital", 200, ["10.21.0.0/16"]),
        ("Palace Museum", 500, ["10.20.0.0/16"])]
    palace = Site.objects.get(name="Palace Museum")
    assert (palace.latitude, palace.longitude) == (Decimal("39.912560"), Decimal("116.397130"))
    security = Group.objects.get(name="Security")
    assert (security.schedule, security.cycle) == ("roster", [
        "security-day", "security-day", "security-night", "security-night", "rest", "rest"])

    # every demo person is in a fitting group, the sign-ins included
    assert Membership.objects.count() == len(roster) == 197
    members = Counter(Membership.objects.values_list("group__name", flat=True))
    assert members == {"Administration & HR": 84, "Conservation": 45,
                       "Galleries & education": 17, "Visitor services desk": 6,
                       "Security": 45}
    groups = dict(Membership.objects.values_list("person__username", "group__name"))
    assert {username: groups[username] for _role, username in directory_demo.LOGINS} == {
        "admin": "Administration & HR", "hr": "Administration & HR",
        "conservator": "Conservation", "curator": "Administration & HR",
        "registrar": "Administration & HR", "educator": "Galleries & education",
        "security": "Security", "staff": "Administration & HR"}
    # the three security teams relieve each other: one on days, one on nights, one resting
    book = load_rulebook(None, TODAY, TODAY)
    leaders = [people[spec.username].pk for spec in roster
               if spec.department.startswith("security-shift-") and spec.is_head]
    assert [book.shift_code(pk, TODAY) for pk in leaders] == [
        "rest", "security-day", "security-night"]

    # employment dates for staff, annual leave granted by statutory service
    assert Employment.objects.count() == 169
    annual = LeaveType.objects.get(code="annual")
    balances = {name: services.balance(people[name].pk, annual)
                for name in ("admin", "hr", "curator", "registrar", "staff", "educator",
                             "yu.jie")}
    assert balances == {"admin": Decimal(15), "hr": Decimal(15), "curator": Decimal(15),
                        "registrar": Decimal(10), "staff": Decimal(5),
                        "educator": Decimal(10), "yu.jie": Decimal(0)}

    # punches judged into days, of every kind
    assert Punch.objects.count() == 22254
    assert Counter(Punch.objects.values_list("source", "verification")) == {
        ("web", "geofence"): 17435, ("web", "network"): 3100, ("import", "time_clock"): 1719}
    assert PunchImport.objects.count() == 12
    assert DayResult.objects.count() == 15957
    statuses = Counter(DayResult.objects.values_list("status", flat=True))
    assert statuses == {"on_time": 10212, "rest": 4004, "holiday": 1002, "late": 263,
                        "left_early": 180, "missing_punch_out": 125, "absent": 91,
                        "missing_punch_in": 65, "in_progress": 14, "upcoming": 1}
    # (at 20:00 the night guards who have clocked in are at work, one is not in yet)
    night = DayResult.objects.filter(shift_code="security-night", status="on_time").first()
    assert night is not None and night.check_out is not None
    assert timezone.localdate(night.check_out, local_zone()) > night.date
    # the sign-ins find something to follow up
    mine = {(username, day): status for username, day, status in DayResult.objects.filter(
        person__username__in=["staff", "educator", "curator"],
        date__in=[date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)])
        .values_list("person__username", "date", "status")}
    assert (mine[("staff", date(2026, 11, 19))], mine[("educator", date(2026, 11, 18))],
            mine[("curator", date(2026, 11, 17))]) == ("missing_punch_out", "late", "absent")

    # September is closed for payroll, October is left to close
    assert list(Month.objects.values_list("first_day", "people")) == [(date(2026, 9, 1), 197)]
    assert Month.objects.get().closed_at == FROZEN_NOW
    assert MonthSummary.objects.count() == 197
    assert LedgerEntry.objects.filter(kind="accrual", leave_type__code="comp_time").count() == 26

    assert loaded["summary"] == {"groups": 5, "members": 197, "punches": 22254,
                                 "created": 22970}
    assert loaded["lines"] == ["  created 5 attendance groups, 197 memberships, 169 "
                               "employment dates, 22254 punches; closed 2026-09"]


def test_loading_again_changes_nothing(loaded: dict[str, Any]) -> None:
    # given the loaded demo
    before = _counts()
    stamps = list(DayResult.objects.order_by("id").values_list("id", "computed_at"))
    # when it is loaded again
    lines: list[str] = []
    summary = demo.load(lines.append)
    # then nothing was written
    assert summary == {"groups": 5, "members": 197, "punches": 0, "created": 0}
    assert lines == []
    assert _counts() == before
    assert list(DayResult.objects.order_by("id").values_list("id", "computed_at")) == stamps


def test_everyone_taking_annual_leave_in_the_approvals_demo_has_the_days(
        loaded: dict[str, Any]) -> None:
    # given the approvals demo's annual leave stories, as it would submit them today
    cast = workflows_demo.Cast()
    wanted = []
    for story in workflows_demo._stories(TODAY):
        data = story.data(cast) if story.process == "leave" else {}
        if data.get("leave_type") == "annual":
            wanted.append((cast.username(story.applicant), data))
    assert [username for username, _data in wanted] == [
        "fu.hao", "conservator", "admin", "curator", "registrar"]
    # then each passes the attendance checks, the balance included
    for username, data in wanted:
        assert services.check_leave(cast.person(username), data, None) == {}


def test_without_the_directory_demo_the_loader_says_what_is_missing(
        clock: Callable[[datetime], None]) -> None:
    with pytest.raises(RuntimeError, match="directory demo"):
        demo.load(lambda line: None)
    assert not Group.objects.exists()
    assert not Punch.objects.exists()
