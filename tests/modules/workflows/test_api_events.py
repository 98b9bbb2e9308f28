"""The public surface for other modules: subjects, starting a request for a record, reading
requests about it, and the outcome events, each published exactly once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from taihe.kernel.errors import Conflict, ValidationFailed
from taihe.kernel.testing.events import captured_events
from taihe.modules.workflows import api, services, subjects
from taihe.modules.workflows.models import Process, Request
from tests.modules.workflows.conftest import EXPENSE_DATA

SUBJECT = "tests.purchase"


@pytest.fixture
def subject(expense: Process) -> Iterator[api.Subject]:
    """Purchases (a pretend module's records) go through the expense approval."""
    registered = api.register_subject(SUBJECT, "Purchase", process_code="expense")
    yield registered
    subjects._SUBJECTS.pop(SUBJECT, None)


def event_summary(events: list[Any]) -> list[tuple[str, str, str, str]]:
    return [(e.name, e.payload["number"], e.payload["subject_code"], e.payload["subject_ref"])
            for e in events if e.name.startswith("workflows.request.")]


def test_a_registered_subject_starts_its_approval_and_hears_the_outcome_once(
        people: dict[str, Any], subject: api.Subject, run_commit_hooks: Any) -> None:
    assert subject in api.subjects()
    applicant = people["applicant"]
    # when the module starts the approval for purchase 17
    with run_commit_hooks(), captured_events() as started:
        info = api.start_request(applicant, SUBJECT, 17, EXPENSE_DATA)
    # then it gets the request's public data and a submitted event naming its record
    request = Request.objects.get(pk=info.id)
    assert info == api.RequestInfo(
        id=request.pk, number=request.number, process_code="expense", status="running",
        applicant_id=applicant.pk, subject_code=SUBJECT, subject_ref="17",
        form_data=request.form_data, url=f"/approvals/r/{request.number}/")
    assert event_summary(started) == [
        ("workflows.request.submitted.v1", request.number, SUBJECT, "17")]
    assert started[0].payload["approval_id"] == request.pk
    assert started[0].payload["applicant_id"] == applicant.pk
    assert started[0].payload["process_code"] == "expense"
    # when the chain approves it
    with run_commit_hooks(), captured_events() as decided:
        services.do_approve(people["lab_head"], request.number)
        services.do_approve(people["conservation_head"], request.number)
    # then exactly one approved event carries the record's code and reference
    assert event_summary(decided) == [
        ("workflows.request.approved.v1", request.number, SUBJECT, "17")]
    assert api.request(request.pk) == api.RequestInfo(
        id=request.pk, number=request.number, process_code="expense", status="approved",
        applicant_id=applicant.pk, subject_code=SUBJECT, subject_ref="17",
        form_data=request.form_data, url=f"/approvals/r/{request.number}/")


def test_acting_again_after_the_outcome_publishes_nothing(
        people: dict[str, Any], subject: api.Subject) -> None:
    info = api.start_request(people["applicant"], SUBJECT, "9", EXPENSE_DATA)
    services.do_approve(people["lab_head"], info.number)
    services.do_approve(people["conservation_head"], info.number)
    with captured_events() as later:
        services.do_comment(people["applicant"], info.number, comment="Thanks")
        with pytest.raises(Conflict):
            services.do_approve(people["conservation_head"], info.number)
        with pytest.raises(Conflict):
            services.do_withdraw(people["applicant"], info.number)
    assert event_summary(later) == []


def test_a_bad_form_from_another_module_is_refused_with_field_messages(
        people: dict[str, Any], subject: api.Subject) -> None:
    with pytest.raises(ValidationFailed) as raised:
        api.start_request(people["applicant"], SUBJECT, "3", {**EXPENSE_DATA, "amount": ""})
    assert raised.value.fields == {"amount": "This field is required."}
    assert api.requests_about(SUBJECT, "3") == []
    with pytest.raises(LookupError):
        api.start_request(people["applicant"], "tests.unknown", "3", EXPENSE_DATA)


def test_requests_about_a_record_newest_first(people: dict[str, Any],
                                              subject: api.Subject) -> None:
    first = api.start_request(people["applicant"], SUBJECT, 5, EXPENSE_DATA)
    services.do_withdraw(people["applicant"], first.number)
    second = api.start_request(people["applicant"], SUBJECT, 5, EXPENSE_DATA)
    api.start_request(people["applicant"], SUBJECT, 6, EXPENSE_DATA)
    found = api.requests_about(SUBJECT, 5)
    assert [(r.number, r.status) for r in found] == [(second.number, "running"),
                                                     (first.number, "withdrawn")]
    assert api.requests_about(SUBJECT, "404") == []
    assert api.request(999999) is None


@pytest.mark.parametrize(("outcome", "event"), [
    ("rejected", "workflows.request.rejected.v1"),
    ("returned", "workflows.request.returned.v1"),
    ("withdrawn", "workflows.request.withdrawn.v1"),
])
def test_each_outcome_publishes_its_event_once(
        people: dict[str, Any], subject: api.Subject, run_commit_hooks: Any,
        outcome: str, event: str) -> None:
    info = api.start_request(people["applicant"], SUBJECT, "8", EXPENSE_DATA)
    with run_commit_hooks(), captured_events() as events:
        if outcome == "rejected":
            services.do_reject(people["lab_head"], info.number, comment="No budget")
        elif outcome == "returned":
            services.do_reject(people["lab_head"], info.number, to="applicant",
                               comment="Add a quote")
        else:
            services.do_withdraw(people["applicant"], info.number)
    assert event_summary(events) == [(event, info.number, SUBJECT, "8")]
    assert api.request(info.id).status == outcome


def test_resubmitting_and_approving_after_a_return_publishes_one_approval(
        people: dict[str, Any], subject: api.Subject) -> None:
    info = api.start_request(people["applicant"], SUBJECT, "8", EXPENSE_DATA)
    services.do_reject(people["lab_head"], info.number, to="applicant", comment="Add a quote")
    with captured_events() as events:
        services.do_resubmit(people["applicant"], info.number, EXPENSE_DATA)
        services.do_approve(people["lab_head"], info.number)
        services.do_approve(people["conservation_head"], info.number)
    assert event_summary(events) == [("workflows.request.approved.v1", info.number, SUBJECT, "8")]


def test_a_flow_that_needs_nobody_is_approved_at_once(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    publish("notice", [], {"settings": {"auto_approve_applicant": True}, "nodes": [
        {"id": "self", "type": "approval", "name": "Self", "mode": "sequential",
         "approvers": [{"kind": "applicant"}]},
        {"id": "tell", "type": "cc", "name": "Tell HR",
         "approvers": [{"kind": "role", "code": "hr"}]}]}, subject_code="tests.notice")
    with captured_events() as events:
        request = services.do_submit_request(people["applicant"], "notice", {},
                                             subject_ref="n-1")
    assert request.status == "approved"
    assert event_summary(events) == [
        ("workflows.request.submitted.v1", request.number, "tests.notice", "n-1"),
        ("workflows.request.approved.v1", request.number, "tests.notice", "n-1")]


def test_readable_request_answers_only_those_who_may_read_it(people, submit):
    from taihe.modules.workflows import api as workflows_api

    request = submit(people["applicant"])
    info = workflows_api.readable_request(people["applicant"], request.number)
    assert (info.id, info.number, info.applicant_id) == (request.pk, request.number,
                                                         people["applicant"].pk)
    assert workflows_api.readable_request(people["guard"], request.number) is None
    assert workflows_api.readable_request(people["applicant"], "AP-0000-000000") is None
