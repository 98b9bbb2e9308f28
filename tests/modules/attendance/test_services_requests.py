"""Leave, overtime, make-up punches and business trips requested through approvals and
mirrored by ``services.do_follow_request`` (the subscriber of the approvals' events).

The clock is frozen at Friday 20 November 2026, 20:00 in Shanghai. Nobody heads the test
museum's departments, so every step falls to the administrator.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from taihe.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.testing.events import captured_events
from taihe.modules.attendance import services
from taihe.modules.attendance.models import (
    Absence,
    DayResult,
    Employment,
    Group,
    LeaveType,
    LedgerEntry,
    Overtime,
    Punch,
    PunchCorrection,
)
from taihe.modules.attendance.summary import tally_days
from taihe.modules.directory.models import Person
from taihe.modules.workflows import api as workflows
from taihe.modules.workflows.models import Task
from taihe.modules.workflows.services import (
    do_approve,
    do_reject,
    do_request_cancellation,
    do_withdraw,
)
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import local

NOVEMBER_9 = date(2026, 11, 9)  # a Monday
NOVEMBER_10 = date(2026, 11, 10)


@pytest.fixture
def flow(run_commit_hooks: Any, admin_person: Any, clock: Any) -> Any:
    """Start, approve, reject and cancel requests with the approvals' events delivered."""

    class Flow:
        def start(self, person: Any, subject: str, form: dict[str, Any]) -> Any:
            with run_commit_hooks():
                return workflows.start_request(person, subject, "", form)

        def _pending(self, request_id: int) -> Task | None:
            return Task.objects.filter(request_id=request_id, status="pending").first()

        def approve(self, info: Any) -> None:
            while (task := self._pending(info.id)) is not None:
                with run_commit_hooks():
                    do_approve(Person.objects.get(pk=task.assignee_id), info.number)

        def reject(self, info: Any) -> None:
            task = self._pending(info.id)
            assert task is not None
            with run_commit_hooks():
                do_reject(Person.objects.get(pk=task.assignee_id), info.number,
                          comment="Not this week")

        def withdraw(self, person: Any, info: Any) -> None:
            with run_commit_hooks():
                do_withdraw(person, info.number)

        def cancel(self, person: Any, info: Any) -> None:
            with run_commit_hooks():
                cancellation = do_request_cancellation(person, info.number,
                                                       reason="Plans changed")
            self.approve(cancellation)

        def status(self, info: Any) -> str:
            found = workflows.request(info.id)
            assert found is not None
            return found.status

    return Flow()


def leave_form(code: str, start: date, end: date, **halves: str) -> dict[str, Any]:
    return {"leave_type": code, "period": {"start": start.isoformat(), "end": end.isoformat(),
                                           **halves}, "reason": "Family matters"}


def grant(person: Any, code: str, amount: str, kind: str = "grant") -> None:
    LedgerEntry.objects.create(person=person, leave_type=LeaveType.objects.get(code=code),
                               kind=kind, on=date(2026, 1, 1), amount=Decimal(amount),
                               reference=f"test:{code}",
                               recorded_at=local(date(2026, 1, 1), 0))


def balance(person: Any, code: str) -> Decimal:
    return services.balance(person.pk, LeaveType.objects.get(code=code))


def ledger(person: Any, code: str) -> list[tuple[str, Decimal]]:
    return list(LedgerEntry.objects.filter(person=person, leave_type__code=code)
                .order_by("id").values_list("kind", "amount"))


def day(person: Any, on: date) -> DayResult:
    return DayResult.objects.get(person=person, date=on)


# --- Leave ---------------------------------------------------------------------------------


def test_leave_is_deducted_once_and_restored_once(member: Any, office: Group, join: Any,
                                                  flow: Any) -> None:
    # Given five days of annual leave
    join(member, office)
    grant(member, "annual", "5")
    # When a day and a half is asked for, waits, and is approved
    info = flow.start(member, "attendance.leave", leave_form(
        "annual", NOVEMBER_9, NOVEMBER_10, end_half="am"))
    absence = Absence.objects.get(request_id=info.id)
    assert (absence.status, absence.amount, absence.end_half) == ("pending", Decimal("1.5"),
                                                                   "am")
    assert balance(member, "annual") == 5
    flow.approve(info)
    # Then it is deducted once, even when the approval event is delivered again
    services.do_follow_request(info.id, "approved")
    assert flow.status(info) == "approved"
    assert balance(member, "annual") == Decimal("3.5")
    assert ledger(member, "annual") == [("grant", 5), ("deduction", Decimal("-1.5"))]
    assert LedgerEntry.objects.get(kind="deduction").reference == info.number
    assert (day(member, NOVEMBER_9).status, day(member, NOVEMBER_9).leave_days) == \
        ("on_leave", 1)
    # When the leave is cancelled through its cancellation approval (delivered twice)
    flow.cancel(member, info)
    services.do_follow_request(info.id, "cancelled")
    # Then it is given back once and the days are judged without it
    assert flow.status(info) == "cancelled"
    assert Absence.objects.get(request_id=info.id).status == "cancelled"
    assert balance(member, "annual") == 5
    assert ledger(member, "annual") == [("grant", 5), ("deduction", Decimal("-1.5")),
                                        ("restoration", Decimal("1.5"))]
    assert (day(member, NOVEMBER_9).status, day(member, NOVEMBER_9).leave_days) == \
        ("absent", 0)


def test_rejected_leave_keeps_the_balance(member: Any, office: Group, join: Any,
                                          flow: Any) -> None:
    join(member, office)
    grant(member, "annual", "5")
    info = flow.start(member, "attendance.leave", leave_form("annual", NOVEMBER_9, NOVEMBER_9))
    flow.reject(info)
    assert Absence.objects.get(request_id=info.id).status == "rejected"
    assert ledger(member, "annual") == [("grant", 5)]
    assert not DayResult.objects.filter(person=member, status="on_leave").exists()


def test_withdrawn_leave_keeps_the_balance(member: Any, office: Group, join: Any,
                                           flow: Any) -> None:
    join(member, office)
    grant(member, "annual", "5")
    info = flow.start(member, "attendance.leave", leave_form("annual", NOVEMBER_9, NOVEMBER_9))
    flow.withdraw(member, info)
    assert Absence.objects.get(request_id=info.id).status == "withdrawn"
    assert ledger(member, "annual") == [("grant", 5)]


def test_leave_beyond_the_balance_is_refused(member: Any, office: Group, join: Any,
                                             flow: Any) -> None:
    join(member, office)
    grant(member, "annual", "2")
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.leave", leave_form("annual", NOVEMBER_9,
                                                          date(2026, 11, 11)))
    assert raised.value.fields["period"] == (
        "This leave takes 3 days but only 2 are left (0 more are waiting for approval).")
    assert Absence.objects.count() == 0


def test_pending_leave_counts_against_the_balance(member: Any, office: Group, join: Any,
                                                  flow: Any) -> None:
    # Given five days, three of them asked for and waiting
    join(member, office)
    grant(member, "annual", "5")
    flow.start(member, "attendance.leave", leave_form("annual", NOVEMBER_9, date(2026, 11, 11)))
    # When three more are asked for
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.leave", leave_form("annual", date(2026, 11, 16),
                                                          date(2026, 11, 18)))
    # Then only two could be
    assert raised.value.fields["period"] == (
        "This leave takes 3 days but only 5 are left (3 more are waiting for approval).")
    info = flow.start(member, "attendance.leave", leave_form("annual", date(2026, 11, 16),
                                                             date(2026, 11, 17)))
    assert Absence.objects.get(request_id=info.id).amount == 2


def test_approved_future_leave_counts_against_the_balance(member: Any, office: Group,
                                                          join: Any, flow: Any) -> None:
    # Given five days, all of them approved for next week (deducted on the leave's first day)
    join(member, office)
    grant(member, "annual", "5")
    first = flow.start(member, "attendance.leave", leave_form(
        "annual", date(2026, 11, 23), date(2026, 11, 27)))
    flow.approve(first)
    # When another day is asked for
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.leave", leave_form("annual", date(2026, 11, 30),
                                                          date(2026, 11, 30)))
    # Then nothing is left for it
    assert raised.value.fields["period"] == (
        "This leave takes 1 days but only 0 are left (0 more are waiting for approval).")


def test_overlapping_leave_is_refused(member: Any, office: Group, join: Any,
                                      flow: Any) -> None:
    join(member, office)
    first = flow.start(member, "attendance.leave", leave_form("sick", NOVEMBER_9, NOVEMBER_10))
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.leave", leave_form("personal", NOVEMBER_10,
                                                          date(2026, 11, 12)))
    assert raised.value.fields["period"] == (
        "You already have leave or a trip from 2026-11-09 to 2026-11-10 "
        f"(request {first.number}).")
    assert Absence.objects.count() == 1


def test_leave_on_rest_days_only_is_refused(member: Any, office: Group, join: Any,
                                            flow: Any) -> None:
    join(member, office)
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.leave", leave_form("sick", date(2026, 11, 7),
                                                          date(2026, 11, 8)))
    assert raised.value.fields["period"] == "These dates hold no working day of yours."


def test_unbalanced_leave_needs_no_balance(member: Any, office: Group, join: Any,
                                           flow: Any) -> None:
    join(member, office)
    info = flow.start(member, "attendance.leave", leave_form("sick", NOVEMBER_9, NOVEMBER_10))
    flow.approve(info)
    assert ledger(member, "sick") == []
    assert day(member, NOVEMBER_10).leave_type == "sick"


@pytest.mark.parametrize(("halves", "end", "hours"), [
    pytest.param({}, NOVEMBER_9, Decimal("8.5"), id="a whole day"),
    pytest.param({"end_half": "am"}, NOVEMBER_9, Decimal("4.25"), id="a morning"),
    pytest.param({"start_half": "pm"}, NOVEMBER_10, Decimal("12.75"),
                 id="an afternoon and a day"),
])
def test_comp_time_leave_is_kept_in_hours(member: Any, office: Group, join: Any, flow: Any,
                                          halves: dict[str, str], end: date,
                                          hours: Decimal) -> None:
    # Given 16 hours of time off in lieu and the 8.5-hour office day
    join(member, office)
    grant(member, "comp_time", "16", kind="accrual")
    # When time off is taken and approved
    info = flow.start(member, "attendance.leave", leave_form("comp_time", NOVEMBER_9, end,
                                                             **halves))
    flow.approve(info)
    # Then the hours of the scheduled day are taken
    assert Absence.objects.get(request_id=info.id).amount == hours
    assert balance(member, "comp_time") == 16 - hours
    assert day(member, NOVEMBER_9).leave_type == "comp_time"


def test_comp_time_beyond_the_hours_left_is_refused(member: Any, office: Group, join: Any,
                                                    flow: Any) -> None:
    join(member, office)
    grant(member, "comp_time", "16", kind="accrual")
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.leave", leave_form("comp_time", NOVEMBER_9,
                                                          NOVEMBER_10))
    assert raised.value.fields["period"] == (
        "This leave takes 17 hours but only 16 are left (0 more are waiting for approval).")


def test_leave_of_someone_outside_every_group_is_still_deducted(hr_person: Any,
                                                                flow: Any) -> None:
    # Given a person in no attendance group with five days of annual leave
    grant(hr_person, "annual", "5")
    # When two weekdays are asked for and approved
    info = flow.start(hr_person, "attendance.leave", leave_form("annual", NOVEMBER_9,
                                                                NOVEMBER_10))
    flow.approve(info)
    # Then the two days are deducted, as the request showed
    assert Absence.objects.get(request_id=info.id).amount == 2
    assert balance(hr_person, "annual") == 3


# --- Overtime ----------------------------------------------------------------------------------


def overtime_form(**values: str) -> dict[str, Any]:
    return {"date": "2026-11-09", "start_time": "18:00", "end_time": "20:30", "hours": "2",
            "reason": "Evening opening", "compensation": "comp_time", **values}


def test_overtime_request_is_mirrored_and_counted(member: Any, office: Group, join: Any,
                                                  punch_at: Any, flow: Any) -> None:
    # Given a day worked until 20:40
    join(member, office)
    punch_at(member, local(NOVEMBER_9, 8, 55))
    punch_at(member, local(NOVEMBER_9, 20, 40))
    # When two hours from 18:00 are asked for
    info = flow.start(member, "attendance.overtime", overtime_form())
    overtime = Overtime.objects.get(request_id=info.id)
    assert (overtime.status, overtime.work_date, overtime.start, overtime.end,
            overtime.compensation) == ("pending", NOVEMBER_9, local(NOVEMBER_9, 18),
                                       local(NOVEMBER_9, 20), "comp_time")
    # and approved
    flow.approve(info)
    # Then the approved two hours count as workday overtime taken as time off
    row = day(member, NOVEMBER_9)
    assert Overtime.objects.get(request_id=info.id).status == "approved"
    assert (row.overtime_minutes, row.overtime_class, row.overtime_settlement) == \
        (120, "workday", "comp_time")
    assert not DayResult.objects.filter(person=member, date=NOVEMBER_10,
                                        overtime_minutes__gt=0).exists()
    tally = tally_days(DayResult.objects.filter(person=member).values(
        "person_id", "status", "late_minutes", "early_minutes", "overtime_minutes",
        "overtime_class", "overtime_settlement", "leave_days", "leave_type", "trip_minutes",
        "missing_punches"))[member.pk]
    assert (tally.comp_time_minutes, dict(tally.overtime_minutes)) == (120, {})
    # When it is cancelled
    flow.cancel(member, info)
    assert day(member, NOVEMBER_9).overtime_minutes == 0


@pytest.mark.parametrize(("values", "field", "message"), [
    pytest.param({"start_time": "6pm"}, "start_time",
                 "Write the time as HH:MM, for example 18:00.", id="start not a time"),
    pytest.param({"hours": "3"}, "hours", "3 hours do not fit between 18:00 and 20:30.",
                 id="more hours than the span"),
])
def test_overtime_request_checks(member: Any, office: Group, join: Any, flow: Any,
                                 values: dict[str, str], field: str, message: str) -> None:
    join(member, office)
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.overtime", overtime_form(**values))
    assert raised.value.fields[field] == message
    assert Overtime.objects.count() == 0


def test_overlapping_overtime_is_refused(member: Any, office: Group, join: Any,
                                         flow: Any) -> None:
    join(member, office)
    first = flow.start(member, "attendance.overtime", overtime_form())
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.overtime", overtime_form(start_time="19:00",
                                                                end_time="21:00"))
    assert raised.value.fields["start_time"] == \
        f"This overlaps your overtime request {first.number}."


# --- Make-up punches -----------------------------------------------------------------------------


def correction_form(on: date, time: str, punch: str = "out") -> dict[str, Any]:
    return {"date": on.isoformat(), "punch": punch, "time": time, "cause": "forgot",
            "explanation": "Left by the side door"}


def test_make_up_punch_adds_a_punch_and_the_monthly_limit_holds(
        member: Any, office: Group, join: Any, punch_at: Any, flow: Any) -> None:
    # Given a group allowing one make-up punch a month and a day without its check-out
    Group.objects.filter(pk=office.pk).update(make_up_limit=1)
    join(member, office)
    punch_at(member, local(NOVEMBER_9, 8, 58))
    # When the missed check-out is asked for and approved (the event delivered twice)
    info = flow.start(member, "attendance.punch_correction", correction_form(NOVEMBER_9,
                                                                              "17:40"))
    assert PunchCorrection.objects.get(request_id=info.id).status == "pending"
    assert not Punch.objects.filter(source="correction").exists()
    flow.approve(info)
    services.do_follow_request(info.id, "approved")
    # Then one punch of source correction is added and the day is whole
    made_up = Punch.objects.get(source="correction")
    assert (made_up.at, made_up.verification, made_up.request_number) == (
        local(NOVEMBER_9, 17, 40), "approval", info.number)
    assert day(member, NOVEMBER_9).status == "on_time"
    # and the month's one make-up punch is used
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.punch_correction", correction_form(NOVEMBER_10,
                                                                           "08:55", "in"))
    assert raised.value.fields["date"] == "You have used all 1 make-up punches of 2026-11."
    # while another month still has its own
    flow.start(member, "attendance.punch_correction", correction_form(date(2026, 10, 12),
                                                                       "08:55", "in"))


def test_a_cancelled_make_up_punch_no_longer_counts(member: Any, office: Group, join: Any,
                                                    punch_at: Any, flow: Any) -> None:
    # Given an approved make-up check-out
    join(member, office)
    punch_at(member, local(NOVEMBER_9, 8, 58))
    info = flow.start(member, "attendance.punch_correction", correction_form(NOVEMBER_9,
                                                                              "17:40"))
    flow.approve(info)
    assert day(member, NOVEMBER_9).status == "on_time"
    # When the make-up punch is cancelled
    flow.cancel(member, info)
    # Then the punch stays (punches are never deleted) but the day is judged without it
    assert PunchCorrection.objects.get(request_id=info.id).status == "cancelled"
    assert Punch.objects.filter(source="correction").count() == 1
    row = day(member, NOVEMBER_9)
    assert (row.status, row.missing_punches) == ("missing_punch_out", 1)
    # and the month's allowance is free again
    again = flow.start(member, "attendance.punch_correction", correction_form(NOVEMBER_9,
                                                                               "17:35"))
    flow.approve(again)
    assert day(member, NOVEMBER_9).check_out == local(NOVEMBER_9, 17, 35)


@pytest.mark.parametrize(("values", "field", "message"), [
    pytest.param({"time": "25:00"}, "time", "Write the time as HH:MM, for example 08:30.",
                 id="not a time"),
    pytest.param({"date": "2026-11-21"}, "time", "A make-up punch cannot be in the future.",
                 id="future"),
])
def test_make_up_punch_checks(member: Any, office: Group, join: Any, flow: Any,
                              values: dict[str, str], field: str, message: str) -> None:
    join(member, office)
    with pytest.raises(ValidationFailed) as raised:
        flow.start(member, "attendance.punch_correction",
                   {**correction_form(NOVEMBER_9, "17:40"), **values})
    assert raised.value.fields[field] == message


def test_outside_groups_there_is_no_monthly_limit(member: Any, flow: Any) -> None:
    for time in ("08:55", "17:40"):
        flow.start(member, "attendance.punch_correction", correction_form(NOVEMBER_9, time))
    assert PunchCorrection.objects.filter(status="pending").count() == 2


# --- Business trips -------------------------------------------------------------------------------


def test_business_trip_is_mirrored_as_trip_days(member: Any, office: Group, join: Any,
                                                flow: Any) -> None:
    join(member, office)
    info = flow.start(member, "attendance.business_trip", {
        "destination": "Xi'an", "purpose": "Courier for a loan",
        "period": {"start": "2026-11-11", "end": "2026-11-12"}, "transport": "train",
        "estimated_cost": "3000"})
    flow.approve(info)
    trip = Absence.objects.get(request_id=info.id)
    assert (trip.kind, trip.status, trip.leave_type, trip.amount) == ("trip", "approved",
                                                                      None, 0)
    assert [(row.status, row.trip_minutes) for row in DayResult.objects.filter(
        person=member, date__range=(date(2026, 11, 11), date(2026, 11, 12))).order_by("date")
    ] == [("business_trip", 510), ("business_trip", 510)]
    with pytest.raises(ValidationFailed):
        flow.start(member, "attendance.leave", leave_form("sick", date(2026, 11, 12),
                                                          date(2026, 11, 12)))


def test_requests_of_other_subjects_are_ignored(member: Any, clock: Any) -> None:
    services.do_follow_request(999_999, "approved")
    assert (Absence.objects.count(), Overtime.objects.count()) == (0, 0)



# --- Balances --------------------------------------------------------------------------------


def employ(joined: str, service_start: str, left: str | None = None) -> Person:
    person = PersonFactory(roles=["staff"])
    Employment.objects.create(person=person, joined_on=date.fromisoformat(joined),
                              service_start=date.fromisoformat(service_start),
                              left_on=date.fromisoformat(left) if left else None)
    return person


def test_statutory_annual_leave_is_granted_once_a_year(hr_person: Any, clock: Any) -> None:
    # Given people at each step of the Regulations art. 3 and some joining or leaving
    people = {
        "six years": employ("2020-03-01", "2020-03-01"),
        "eleven years, new here": employ("2022-01-01", "2015-06-01"),
        "twenty-six years": employ("2000-01-01", "2000-01-01"),
        "ten years on 2 July": employ("2016-07-02", "2016-07-02"),
        "joins 1 July, sixteen years": employ("2026-07-01", "2010-01-01"),
        "first job this year": employ("2026-01-01", "2026-01-01"),
        "leaves 31 March": employ("2019-01-01", "2019-01-01", "2026-03-31"),
    }
    # When HR grants 2026
    granted = services.do_grant_annual_leave(hr_person, 2026)
    # Then each gets the statutory days, prorated for the part of the year worked
    rows = {entry.person_id: (entry.on, entry.amount, entry.kind, entry.reference,
                              entry.recorded_by_id)
            for entry in LedgerEntry.objects.filter(leave_type__code="annual")}
    expected = {
        "six years": (date(2026, 1, 1), 5),
        "eleven years, new here": (date(2026, 1, 1), 10),
        "twenty-six years": (date(2026, 1, 1), 15),
        "ten years on 2 July": (date(2026, 1, 1), 7),       # (182 × 5 + 183 × 10) / 365
        "joins 1 July, sixteen years": (date(2026, 7, 1), 5),  # 184 × 10 / 365
        "leaves 31 March": (date(2026, 1, 1), 1),            # 90 × 5 / 365
    }
    assert granted == 6
    assert {name: rows[person.pk][:2] for name, person in people.items()
            if person.pk in rows} == expected
    assert {row[2:] for row in rows.values()} == {("grant", "annual:2026", hr_person.pk)}
    # and granting again gives nothing more
    assert services.do_grant_annual_leave(None, 2026) == 0
    assert LedgerEntry.objects.count() == 6


def test_granting_needs_the_rules_permission(member: Any, clock: Any) -> None:
    employ("2020-03-01", "2020-03-01")
    with pytest.raises(PermissionDenied):
        services.do_grant_annual_leave(member, 2026)
    assert LedgerEntry.objects.count() == 0


def annual_entry(person: Any, kind: str, on: str, amount: str, reference: str = "",
                 expires_on: str | None = None) -> None:
    LedgerEntry.objects.create(person=person, leave_type=LeaveType.objects.get(code="annual"),
                               kind=kind, on=date.fromisoformat(on), amount=Decimal(amount),
                               reference=reference, recorded_at=local(date(2026, 1, 1), 0),
                               expires_on=date.fromisoformat(expires_on) if expires_on
                               else None)


def test_carry_over_caps_what_moves_into_the_next_year(member: Any, hr_person: Any,
                                                       admin_person: Any,
                                                       clock: Any) -> None:
    # Given 2025 balances of 7, 2 and 0 days
    annual_entry(member, "grant", "2025-01-01", "10", "annual:2025")
    annual_entry(member, "deduction", "2025-06-01", "-3", "AP-1")
    annual_entry(hr_person, "grant", "2025-01-01", "5", "annual:2025")
    annual_entry(hr_person, "deduction", "2025-08-01", "-3", "AP-2")
    annual_entry(admin_person, "grant", "2025-01-01", "5", "annual:2025")
    annual_entry(admin_person, "deduction", "2025-08-01", "-5", "AP-3")
    # When 2025 is closed
    assert services.do_carry_over(hr_person, 2025) == 3
    # Then what was left lapses and at most five days come back until 31 March
    lines = list(LedgerEntry.objects.filter(reference="carry-over:2025-12-31")
                 .order_by("person_id", "id")
                 .values_list("person_id", "kind", "on", "amount", "expires_on"))
    assert lines == [
        (member.pk, "expiry", date(2026, 1, 1), Decimal("-7"), None),
        (member.pk, "carry_over", date(2026, 1, 1), Decimal("5"), date(2026, 3, 31)),
        (hr_person.pk, "expiry", date(2026, 1, 1), Decimal("-2"), None),
        (hr_person.pk, "carry_over", date(2026, 1, 1), Decimal("2"), date(2026, 3, 31)),
    ]
    annual = LeaveType.objects.get(code="annual")
    assert services.balance(member.pk, annual, date(2026, 1, 1)) == 5
    # and carrying over again changes nothing
    services.do_carry_over(None, 2025)
    assert LedgerEntry.objects.filter(reference="carry-over:2025-12-31").count() == 4


def test_unused_carried_days_expire_after_march(member: Any, hr_person: Any,
                                                clock: Any) -> None:
    # Given five days carried into 2026 by the member (two used in February) and two by
    # HR (three used)
    for person, used in ((member, "-2"), (hr_person, "-3")):
        annual_entry(person, "carry_over", "2026-01-01", "5" if person == member else "2",
                     "carry-over:2025-12-31", "2026-03-31")
        annual_entry(person, "grant", "2026-01-01", "5", "annual:2026")
        annual_entry(person, "deduction", "2026-02-10", used, f"AP-{person.pk}")
    # When expiry runs on the last valid day, nothing lapses yet
    assert services.do_expire_carried_over(date(2026, 3, 31)) == 0
    # When it runs after March
    assert services.do_expire_carried_over(date(2026, 4, 1)) == 1
    # Then the member's three unused carried days lapse; HR used all carried days
    assert list(LedgerEntry.objects.filter(kind="expiry").values_list(
        "person_id", "on", "amount", "reference")) == [
        (member.pk, date(2026, 4, 1), Decimal("-3"), "carry-over:2025-12-31")]
    annual = LeaveType.objects.get(code="annual")
    assert services.balance(member.pk, annual, date(2026, 4, 1)) == 5
    # and running again expires nothing twice
    assert services.do_expire_carried_over(date(2026, 4, 2)) == 0


@pytest.mark.parametrize(("code", "amount", "note", "field"), [
    pytest.param("sick", "1", "Fix", "leave_type", id="a type without a balance"),
    pytest.param("nonsense", "1", "Fix", "leave_type", id="an unknown type"),
    pytest.param("annual", "0", "Fix", "amount", id="zero"),
    pytest.param("annual", "1000.01", "Fix", "amount", id="too much"),
    pytest.param("annual", "0.125", "Fix", "amount", id="three decimals"),
    pytest.param("annual", "NaN", "Fix", "amount", id="not a number"),
    pytest.param("annual", "Infinity", "Fix", "amount", id="infinite"),
    pytest.param("annual", "1", "   ", "note", id="no note"),
])
def test_balance_adjustments_are_validated(hr_person: Any, member: Any, clock: Any, code: str,
                                           amount: str, note: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        services.do_adjust_balance(hr_person, member.pk, code, Decimal(amount), note)
    assert list(raised.value.fields) == [field]
    assert LedgerEntry.objects.count() == 0


def test_balance_adjustment(hr_person: Any, member: Any, clock: Any) -> None:
    with captured_events() as events:
        entry = services.do_adjust_balance(hr_person, member.pk, "comp_time",
                                           Decimal("-1.5"), "  Counted twice ")
    assert (entry.kind, entry.on, entry.amount, entry.note, entry.recorded_by_id) == (
        "adjustment", date(2026, 11, 20), Decimal("-1.5"), "Counted twice", hr_person.pk)
    assert [(event.name, event.payload["amount"]) for event in events] == [
        ("attendance.balance.adjusted.v1", "-1.5")]
    with pytest.raises(NotFound):
        services.do_adjust_balance(hr_person, 987_654, "annual", Decimal(1), "Fix")
    with pytest.raises(PermissionDenied):
        services.do_adjust_balance(member, member.pk, "annual", Decimal(10), "More please")
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize(("dates", "field"), [
    pytest.param({"joined_on": date(2020, 1, 1), "service_start": date(2020, 1, 2)},
                 "service_start", id="working life starting after joining"),
    pytest.param({"joined_on": date(2020, 1, 1), "service_start": date(2015, 1, 1),
                  "left_on": date(2019, 12, 31)}, "left_on", id="leaving before joining"),
])
def test_employment_dates_are_validated(hr_person: Any, member: Any, dates: dict[str, date],
                                        field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        services.do_set_employment(hr_person, member.pk, **dates)
    assert list(raised.value.fields) == [field]
    assert Employment.objects.count() == 0


def test_employment_dates_are_set_and_replaced(hr_person: Any, member: Any) -> None:
    services.do_set_employment(hr_person, member.pk, joined_on=date(2020, 1, 1),
                               service_start=date(2015, 1, 1))
    services.do_set_employment(hr_person, member.pk, joined_on=date(2020, 1, 1),
                               service_start=date(2014, 1, 1), left_on=date(2026, 12, 31))
    assert list(Employment.objects.values_list("person_id", "joined_on", "service_start",
                                               "left_on")) == [
        (member.pk, date(2020, 1, 1), date(2014, 1, 1), date(2026, 12, 31))]
    with pytest.raises(NotFound):
        services.do_set_employment(hr_person, 987_654, joined_on=date(2020, 1, 1),
                                   service_start=date(2015, 1, 1))
    with pytest.raises(PermissionDenied):
        services.do_set_employment(member, member.pk, joined_on=date(2010, 1, 1),
                                   service_start=date(2010, 1, 1))
    assert Employment.objects.get().service_start == date(2014, 1, 1)
