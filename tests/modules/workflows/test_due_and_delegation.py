"""Time limits (remind, escalate, approve or reject when a task waits too long) and
delegations (a stand-in receives the tasks created while someone is away)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.testing.events import captured_events
from taihe.modules.notifications.models import Notification
from taihe.modules.workflows import services
from taihe.modules.workflows.models import Action, Delegation, Process, Request, Task
from tests.modules.workflows.conftest import EXPENSE_DATA, EXPENSE_FLOW, EXPENSE_FORM

HOUR = dt.timedelta(hours=1)


def tasks_of(request: Request) -> list[tuple[str, str, str]]:
    return [(t.node_id, t.assignee.username, t.status)
            for t in Task.objects.filter(request=request).select_related("assignee")
            .order_by("key")]


def with_timeout(timeout: dict[str, Any]) -> dict[str, Any]:
    """The expense flow with a time limit on the lab head's step."""
    lab, *rest = EXPENSE_FLOW["nodes"]
    return {**EXPENSE_FLOW, "nodes": [{**lab, "timeout": timeout}, *rest]}


@pytest.fixture
def timed(people: dict[str, Any], publish: Callable[..., Process]) -> Callable[..., Request]:
    """``timed(timeout)``: publish the expense flow with that time limit on its first step
    and submit a request for the applicant."""

    def make(timeout: dict[str, Any]) -> Request:
        publish("timed", EXPENSE_FORM, with_timeout(timeout))
        request = services.do_submit_request(people["applicant"], "timed", EXPENSE_DATA)
        Notification.objects.all().delete()
        return request

    return make


# --- time limits -----------------------------------------------------------------------------


def test_a_task_without_a_time_limit_is_never_due(people: dict[str, Any],
                                                  submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    assert Task.objects.get(request=request).due_at is None
    assert services.handle_due_tasks(timezone.now() + dt.timedelta(days=365)) == 0


def test_an_overdue_task_is_reminded_and_gets_a_new_limit(
        people: dict[str, Any], timed: Callable[..., Request]) -> None:
    request = timed({"hours": 24, "action": "remind"})
    task = Task.objects.get(request=request)
    assert task.due_at == task.pending_since + 24 * HOUR
    # not yet due
    assert services.handle_due_tasks(task.due_at - dt.timedelta(seconds=1)) == 0
    # an hour after the limit
    late = task.due_at + HOUR
    assert services.handle_due_tasks(late) == 1
    task.refresh_from_db()
    assert (task.status, task.reminded_at, task.due_at) == ("pending", late, late + 24 * HOUR)
    reminded = Action.objects.get(request=request, kind="reminded")
    assert (reminded.actor_id, reminded.people, reminded.task_key, reminded.node_id,
            reminded.at) == (None, [people["lab_head"].pk], task.key, "lab", late)
    assert list(Notification.objects.values_list("recipient__username", "category")) == [
        ("labhead", "workflows.tasks")]
    # the same run again does nothing more
    assert services.handle_due_tasks(late) == 0
    assert Action.objects.filter(request=request, kind="reminded").count() == 1


def test_an_overdue_task_is_escalated(people: dict[str, Any],
                                      timed: Callable[..., Request]) -> None:
    request = timed({"hours": 2, "action": "escalate",
                     "escalate_to": [{"kind": "people", "ids": [people["clerk"].pk]}]})
    task = Task.objects.get(request=request)
    late = task.due_at + HOUR
    assert services.handle_due_tasks(late) == 1
    assert tasks_of(request) == [("lab", "labhead", "transferred"), ("lab", "clerk", "pending")]
    escalated = Task.objects.get(request=request, assignee=people["clerk"])
    assert (escalated.added, escalated.pending_since, escalated.due_at) == (
        "escalation", late, late + 2 * HOUR)
    action = Action.objects.get(request=request, kind="escalated")
    assert (action.actor_id, action.people) == (None, [people["lab_head"].pk, people["clerk"].pk])
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["clerk"]
    with pytest.raises(Conflict):
        services.do_approve(people["lab_head"], request.number)
    services.do_approve(people["clerk"], request.number)
    assert tasks_of(request)[-1] == ("department", "conshead", "pending")


def test_escalating_to_nobody_else_reminds_instead(people: dict[str, Any],
                                                   timed: Callable[..., Request]) -> None:
    request = timed({"hours": 2, "action": "escalate",
                     "escalate_to": [{"kind": "manager", "levels": 1}]})  # the lab head again
    task = Task.objects.get(request=request)
    late = task.due_at + HOUR
    assert services.handle_due_tasks(late) == 1
    assert tasks_of(request) == [("lab", "labhead", "pending")]
    assert [a.kind for a in Action.objects.filter(request=request).order_by("id")] == [
        "submitted", "reminded"]


def test_an_overdue_task_is_approved_automatically(people: dict[str, Any],
                                                   timed: Callable[..., Request]) -> None:
    request = timed({"hours": 8, "action": "approve"})
    task = Task.objects.get(request=request)
    assert services.handle_due_tasks(task.due_at + HOUR) == 1
    assert tasks_of(request) == [("lab", "labhead", "approved"),
                                 ("department", "conshead", "pending")]
    action = Action.objects.get(request=request, kind="timed_out")
    assert (action.actor_id, action.detail, action.people, action.node_id) == (
        None, "approve", [people["lab_head"].pk], "lab")


def test_an_overdue_task_is_rejected_automatically(people: dict[str, Any],
                                                   timed: Callable[..., Request]) -> None:
    request = timed({"hours": 8, "action": "reject"})
    task = Task.objects.get(request=request)
    with captured_events() as events:
        assert services.handle_due_tasks(task.due_at + HOUR) == 1
    request.refresh_from_db()
    assert request.status == "rejected"
    assert tasks_of(request) == [("lab", "labhead", "rejected")]
    assert [e.name for e in events] == ["workflows.request.rejected.v1"]
    assert Action.objects.get(request=request, kind="timed_out").detail == "reject"
    assert list(Notification.objects.values_list("recipient__username", "category")) == [
        ("applicant", "workflows.outcomes")]


def test_a_task_dealt_with_in_time_is_left_alone(people: dict[str, Any],
                                                 timed: Callable[..., Request]) -> None:
    request = timed({"hours": 8, "action": "reject"})
    task = Task.objects.get(request=request)
    services.do_approve(people["lab_head"], request.number)
    assert services.handle_due_tasks(task.due_at + HOUR) == 0
    request.refresh_from_db()
    assert request.status == "running"


# --- delegations -------------------------------------------------------------------------------


def delegate(person: Any, stand_in: Any, *, starts: dt.timedelta = -HOUR,
             ends: dt.timedelta = 24 * HOUR, processes: list[int] | None = None,
             by: Any = None) -> Delegation:
    now = timezone.now()
    return services.do_create_delegation(
        by or person, delegate_id=stand_in.pk, starts_at=now + starts, ends_at=now + ends,
        process_ids=processes or [], reason="Conference in Xi'an",
        person_id=None if by is None else person.pk)


def test_a_task_created_during_a_delegation_goes_to_the_stand_in(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    lab_head, colleague = people["lab_head"], people["colleague"]
    delegation = delegate(lab_head, colleague)
    assert (delegation.person_id, delegation.delegate_id, delegation.reason) == (
        lab_head.pk, colleague.pk, "Conference in Xi'an")
    request = submit(people["applicant"])
    task = Task.objects.get(request=request)
    assert (task.assignee_id, task.delegated_from_id, task.status) == (
        colleague.pk, lab_head.pk, "pending")
    assert Task.objects.filter(assignee=lab_head).count() == 0
    services.do_approve(colleague, request.number, comment="For Lee")
    action = Action.objects.get(request=request, kind="approved")
    assert (action.actor_id, action.on_behalf_of_id, action.comment) == (
        colleague.pk, lab_head.pk, "For Lee")


def test_a_delegation_reaches_the_steps_entered_while_it_lasts(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    # given a request submitted before the conservation head went away
    request = submit(people["applicant"])
    delegate(people["conservation_head"], people["clerk"])
    # when its step is reached
    services.do_approve(people["lab_head"], request.number)
    # then the stand-in has it
    task = Task.objects.get(request=request, node_id="department")
    assert (task.assignee_id, task.delegated_from_id) == (people["clerk"].pk,
                                                          people["conservation_head"].pk)


def test_a_delegation_for_some_approvals_only(people: dict[str, Any], expense: Process,
                                              submit: Callable[..., Request]) -> None:
    lab_head, colleague = people["lab_head"], people["colleague"]
    leave = Process.objects.get(code="leave")
    delegate(lab_head, colleague, processes=[leave.pk])
    request = submit(people["applicant"])
    assert tasks_of(request) == [("lab", "labhead", "pending")]
    delegate(lab_head, people["clerk"], processes=[expense.pk])
    request = submit(people["applicant"])
    assert tasks_of(request) == [("lab", "clerk", "pending")]


@pytest.mark.parametrize("period", ["ended", "expired", "future", "stand-in left"])
def test_delegations_not_in_force_are_ignored(people: dict[str, Any],
                                              submit: Callable[..., Request],
                                              period: str) -> None:
    lab_head, colleague = people["lab_head"], people["colleague"]
    if period == "ended":
        services.do_end_delegation(lab_head, delegate(lab_head, colleague).pk)
    elif period == "expired":
        delegate(lab_head, colleague, starts=-48 * HOUR, ends=-HOUR)
    elif period == "future":
        delegate(lab_head, colleague, starts=HOUR, ends=48 * HOUR)
    else:
        delegate(lab_head, colleague)
        colleague.is_active = False
        colleague.save(update_fields=["is_active"])
    request = submit(people["applicant"])
    task = Task.objects.get(request=request)
    assert (task.assignee_id, task.delegated_from_id) == (lab_head.pk, None)


def test_ending_a_delegation_leaves_the_tasks_already_handed_over(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    lab_head, colleague = people["lab_head"], people["colleague"]
    delegation = delegate(lab_head, colleague)
    before = submit(people["applicant"])
    with pytest.raises(NotFound):
        services.do_end_delegation(people["guard"], delegation.pk)
    services.do_end_delegation(lab_head, delegation.pk)
    delegation.refresh_from_db()
    assert delegation.ended_at is not None
    after = submit(people["applicant"])
    assert tasks_of(before) == [("lab", "colleague", "pending")]
    assert tasks_of(after) == [("lab", "labhead", "pending")]


def test_a_delegation_with_bad_values_names_each_and_stores_nothing(
        people: dict[str, Any]) -> None:
    lab_head = people["lab_head"]
    now = timezone.now()
    with pytest.raises(ValidationFailed) as raised:
        services.do_create_delegation(lab_head, delegate_id=lab_head.pk, starts_at=now,
                                      ends_at=now - HOUR, process_ids=[999999])
    assert raised.value.fields == {
        "delegate": "Choose someone else as the stand-in.",
        "ends_at": "The end comes before the start.",
        "processes": "Choose approvals from the list."}
    with pytest.raises(ValidationFailed) as raised:
        services.do_create_delegation(lab_head, delegate_id=999999, starts_at=now,
                                      ends_at=now)
    assert raised.value.fields == {"delegate": "No active person with this id.",
                                   "ends_at": "The end comes before the start."}
    assert Delegation.objects.count() == 0


def test_only_approval_managers_delegate_for_someone_else(people: dict[str, Any]) -> None:
    lab_head, colleague = people["lab_head"], people["colleague"]
    with pytest.raises(PermissionDenied):
        delegate(lab_head, colleague, by=people["applicant"])
    with pytest.raises(PermissionDenied):
        delegate(lab_head, colleague, by=people["outsider"])
    made = delegate(lab_head, colleague, by=people["hr"])
    assert (made.person_id, made.delegate_id) == (lab_head.pk, colleague.pk)
    services.do_end_delegation(people["hr"], made.pk)
    assert Delegation.objects.get().ended_at is not None
