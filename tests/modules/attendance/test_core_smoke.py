"""The core path end to end: punches, a judged day, leave through approvals, a month close."""

from __future__ import annotations

from datetime import date
from typing import Any

from taihe.modules.attendance import services
from taihe.modules.attendance.computing import recompute
from taihe.modules.attendance.models import DayResult, LeaveType, LedgerEntry
from tests.modules.attendance.conftest import local


def test_late_day_and_month_close(member: Any, hr_person: Any, office: Any, join: Any,
                                  punch_at: Any, clock: Any, run_commit_hooks: Any) -> None:
    join(member, office)
    monday = date(2026, 11, 2)
    punch_at(member, local(monday, 9, 12))
    punch_at(member, local(monday, 17, 40))
    recompute([member.pk], monday, monday)
    day = DayResult.objects.get(person=member, date=monday)
    assert (day.status, day.late_minutes) == ("late", 12)


def test_leave_is_deducted_on_approval(member: Any, hr_person: Any, admin_person: Any,
                                       office: Any, join: Any, clock: Any,
                                       run_commit_hooks: Any, museum: Any) -> None:
    from taihe.modules.directory.models import Person
    from taihe.modules.workflows import api as workflows
    from taihe.modules.workflows.models import Task
    from taihe.modules.workflows.services import do_approve, do_request_cancellation

    join(member, office)
    annual = LeaveType.objects.get(code="annual")
    LedgerEntry.objects.create(person=member, leave_type=annual, kind="grant",
                               on=date(2026, 1, 1), amount=5,
                               recorded_at=local(date(2026, 1, 1), 0))
    with run_commit_hooks():
        info = workflows.start_request(member, "attendance.leave", "", {
            "leave_type": "annual", "period": {"start": "2026-11-09", "end": "2026-11-10",
                                               "end_half": "am"},
            "reason": "Family"})
    assert info.form_data["period"]["days"] == "1.5"
    assert services.balance(member.pk, annual) == 5
    while (task := Task.objects.filter(request_id=info.id, status="pending").first()):
        with run_commit_hooks():
            do_approve(Person.objects.get(pk=task.assignee_id), info.number)
    assert workflows.request(info.id).status == "approved"
    assert services.balance(member.pk, annual) == 5 - 1.5
    monday = DayResult.objects.get(person=member, date=date(2026, 11, 9))
    tuesday = DayResult.objects.get(person=member, date=date(2026, 11, 10))
    assert (monday.status, monday.leave_days, monday.leave_type) == ("on_leave", 1, "annual")
    assert (tuesday.status, tuesday.leave_days) == ("absent", 0.5)
    with run_commit_hooks():
        request = do_request_cancellation(member, info.number, reason="Plans changed")
    while (task := Task.objects.filter(request_id=request.pk, status="pending").first()):
        with run_commit_hooks():
            do_approve(Person.objects.get(pk=task.assignee_id), request.number)
    assert workflows.request(info.id).status == "cancelled"
    assert services.balance(member.pk, annual) == 5


def test_a_late_submitted_event_does_not_undo_an_approval(
        member: Any, office: Any, join: Any, clock: Any, run_commit_hooks: Any) -> None:
    from taihe.modules.attendance.models import Absence
    from taihe.modules.directory.models import Person
    from taihe.modules.workflows import api as workflows
    from taihe.modules.workflows.models import Task
    from taihe.modules.workflows.services import do_approve

    # Given approved annual leave of a day
    join(member, office)
    annual = LeaveType.objects.get(code="annual")
    LedgerEntry.objects.create(person=member, leave_type=annual, kind="grant",
                               on=date(2026, 1, 1), amount=5,
                               recorded_at=local(date(2026, 1, 1), 0))
    with run_commit_hooks():
        info = workflows.start_request(member, "attendance.leave", "", {
            "leave_type": "annual", "period": {"start": "2026-11-09", "end": "2026-11-09"},
            "reason": "Errand"})
    while (task := Task.objects.filter(request_id=info.id, status="pending").first()):
        with run_commit_hooks():
            do_approve(Person.objects.get(pk=task.assignee_id), info.number)
    # When the "submitted" event is delivered again, late, and "approved" twice
    services.do_follow_request(info.id, "submitted")
    services.do_follow_request(info.id, "approved")
    # Then the leave stays approved and is deducted once
    assert Absence.objects.get(request_id=info.id).status == "approved"
    assert services.balance(member.pk, annual) == 4
