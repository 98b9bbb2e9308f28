"""The approvals API: happy paths through a request's life, the designer, delegations and
uploads, and the exact error bodies callers get for bad input."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from taihe.kernel.events.models import OutboxEvent
from taihe.modules.workflows.models import (
    Action,
    Attachment,
    CarbonCopy,
    Delegation,
    Process,
    Request,
)
from tests.modules.workflows.conftest import EXPENSE_DATA, EXPENSE_FLOW, EXPENSE_FORM, label

pytestmark = pytest.mark.django_db

P = "/api/v1/workflows"
INVALID = "Some values are not valid."


def post(client: Client, path: str, body: Any = None) -> Any:
    if body is None:
        return client.post(path, content_type="application/json")
    return client.post(path, data=json.dumps(body), content_type="application/json")


def patch(client: Client, path: str, body: Any) -> Any:
    return client.patch(path, data=json.dumps(body), content_type="application/json")


def error(response: Any) -> dict[str, Any]:
    """The envelope without its request id."""
    body = dict(response.json())
    body.pop("request_id", None)
    return body


def without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_times(item) for key, item in value.items()
                if not key.endswith("_at") and key not in ("at", "pending_since")}
    if isinstance(value, list):
        return [without_times(item) for item in value]
    return value


def ref(person: Any) -> dict[str, Any]:
    return {"id": person.pk, "name": person.display_name}


def number_of(position: int) -> str:
    return f"AP-{timezone.localtime().year}-{position:06d}"


@pytest.fixture
def clients(people: dict[str, Any], client_for: Callable[[Any], Client]) -> dict[str, Client]:
    return {name: client_for(person) for name, person in people.items()}


@pytest.fixture
def number(submit: Callable[..., Request], people: dict[str, Any]) -> str:
    """An expense claim of 1 200 by the applicant, waiting for the lab head."""
    return submit(people["applicant"]).number


SIMPLE_FLOW = {"settings": {}, "nodes": [
    {"id": "head", "type": "approval", "name": "Head",
     "approvers": [{"kind": "manager", "levels": 1}]}]}
NOTHING_ALLOWED: dict[str, Any] = {
    "task_key": None, "task_kind": None, "approve": False, "reject": False, "return_to": [],
    "transfer": False, "add_approver": False, "withdraw": False, "urge": False,
    "resubmit": False, "cancel": False, "comment": True, "reassign": []}
EXPENSE_ROWS = [
    {"label": "Purpose", "name": "purpose", "table": False,
     "value": "Japanese tissue for the scroll repair", "columns": [], "rows": [],
     "totals": []},
    {"label": "Amount", "name": "amount", "table": False, "value": "CNY 1,200.00",
     "columns": [], "rows": [], "totals": []},
    {"label": "Items", "name": "items", "table": True, "value": None,
     "columns": ["Thing", "Cost"],
     "rows": [["Kozo tissue", "CNY 800.00"], ["Wheat starch", "CNY 400.00"]],
     "totals": ["", "1,200.00"]},
]


# --- starting a request -------------------------------------------------------------------

def test_processes_lists_what_i_may_start(expense: Process, clients: dict[str, Client],
                                          publish: Callable[..., Process],
                                          museum: dict[str, Any]) -> None:
    # given an approval only security may start, besides the expense claim
    publish("patrol", [], SIMPLE_FLOW, name_zh="巡查", name_en="Patrol",
            starter_departments=[museum["security"].pk])
    # when the applicant in the lab and a person without a role list them
    mine = clients["applicant"].get(f"{P}/processes")
    theirs = clients["outsider"].get(f"{P}/processes")
    # then the lab sees the expense claim (and the built-ins), not the patrol; the outsider
    # nothing
    assert mine.status_code == 200
    codes = [item["code"] for item in mine.json()]
    assert "patrol" not in codes
    assert [item for item in mine.json() if item["code"] == "expense"] == [{
        "code": "expense", "name": "Expense claim", "name_zh": "费用报销",
        "name_en": "Expense claim", "category": "finance", "icon": "approval",
        "description": "", "version": 1}]
    assert theirs.status_code == 200
    assert theirs.json() == []


def test_process_form_names_the_steps_to_choose(publish: Callable[..., Process],
                                                clients: dict[str, Client]) -> None:
    # given an approval whose approver the applicant picks
    form = [{"name": "topic", "type": "text", "label": label("主题", "Topic"),
             "required": True}]
    flow = {"settings": {}, "nodes": [
        {"id": "pick", "type": "approval", "name": "Chosen reviewer", "mode": "all",
         "approvers": [{"kind": "applicant_choice"}]}]}
    publish("review", form, flow, name_zh="评审", name_en="Review", category="general",
            icon="review", description="Ask a colleague")
    # when the applicant opens it
    response = clients["applicant"].get(f"{P}/processes/review")
    # then the form and the step to fill come with the version
    assert response.status_code == 200
    assert response.json() == {
        "code": "review", "name": "Review", "name_zh": "评审", "name_en": "Review",
        "category": "general", "icon": "review", "description": "Ask a colleague",
        "version": 1, "form": form,
        "choice_nodes": [{"id": "pick", "name": "Chosen reviewer", "type": "approval",
                          "mode": "all"}]}


def test_process_form_of_an_unknown_or_closed_approval_is_not_found(
        expense: Process, clients: dict[str, Client]) -> None:
    # given a closed approval
    Process.objects.filter(pk=expense.pk).update(is_active=False)
    # when the applicant asks for it, and for one that does not exist
    closed = clients["applicant"].get(f"{P}/processes/expense")
    missing = clients["applicant"].get(f"{P}/processes/nothing")
    # then both are not found, by name
    assert closed.status_code == 404
    assert error(closed) == {"detail": "No published approval expense.", "code": "not_found"}
    assert error(missing) == {"detail": "No published approval nothing.",
                              "code": "not_found"}


def test_submit_answers_with_the_request(expense: Process, people: dict[str, Any],
                                         clients: dict[str, Client],
                                         run_commit_hooks: Any) -> None:
    # when the applicant submits an expense claim
    with run_commit_hooks():
        response = post(clients["applicant"], f"{P}/requests",
                        {"process": "expense", "data": EXPENSE_DATA})
    # then it is created and waits for the lab head
    assert response.status_code == 201
    body = response.json()
    found = Request.objects.get()
    assert body["number"] == found.number == number_of(1)
    assert without_times(body) == {
        "number": number_of(1), "title": "费用报销: Ann Applicant",
        "summary": "Purpose: Japanese tissue for the scroll repair; Amount: CNY 1,200.00",
        "process": {"code": "expense", "name": "Expense claim", "version": 1},
        "status": "running", "status_label": "In approval",
        "applicant": ref(people["applicant"]), "department_id": people["applicant"].department_id,
        "subject_code": "", "subject_ref": "", "cancels": None, "form": EXPENSE_ROWS,
        "values": {"purpose": "Japanese tissue for the scroll repair", "amount": "1200.00",
                   "items": [{"thing": "Kozo tissue", "cost": "800.00"},
                             {"thing": "Wheat starch", "cost": "400.00"}]},
        "chosen": {}, "form_fields": EXPENSE_FORM, "choice_nodes": [],
        "tasks": [{"key": 1, "node_id": "lab", "node_name": "Lab head", "kind": "approval",
                   "assignee": ref(people["lab_head"]), "delegated_from": None,
                   "status": "pending", "status_label": "To do", "auto": "", "added": "",
                   "round": 1, "superseded": False}],
        "copied_to": [],
        "history": [{"id": Action.objects.get().pk, "kind": "submitted",
                     "kind_label": "Submitted", "actor": ref(people["applicant"]),
                     "on_behalf_of": None, "task_key": None, "node_id": "", "node_name": "",
                     "comment": "", "people": [], "detail": "", "attachments": []}],
        "attachments": [],
        "allowed": {**NOTHING_ALLOWED, "withdraw": True, "urge": True}}
    assert OutboxEvent.objects.filter(name="workflows.request.submitted.v1").count() == 1


def test_submit_with_bad_values_names_each_field(expense: Process,
                                                 clients: dict[str, Client]) -> None:
    # given a claim without a purpose, a negative amount and a row without its cost
    data = {"amount": "-5", "items": [{"thing": "Brush", "cost": "3"}, {"thing": "Glue"}]}
    # when the applicant submits it
    response = post(clients["applicant"], f"{P}/requests", {"process": "expense",
                                                             "data": data})
    # then each bad value is named and nothing is stored
    assert response.status_code == 422
    assert error(response) == {"detail": INVALID, "code": "invalid", "fields": {
        "purpose": "This field is required.", "amount": "Enter 0 or more.",
        "items[2].cost": "This field is required."}}
    assert Request.objects.count() == 0


@pytest.mark.parametrize(("body", "fields"), [
    ({"process": "expense", "data": "all of it"},
     {"data": "Input should be a valid dictionary"}),
    ({"process": "expense", "chosen": {"pick": ["x"]}},
     {"chosen.pick.0": "Input should be a valid integer, unable to parse string as an integer"}),
    ({"data": {}}, {"process": "Field required"}),
    ({"process": 12}, {"process": "Input should be a valid string"}),
])
def test_submit_with_wrong_json_types_is_refused(expense: Process, clients: dict[str, Client],
                                                 body: dict[str, Any],
                                                 fields: dict[str, str]) -> None:
    response = post(clients["applicant"], f"{P}/requests", body)
    assert response.status_code == 422
    assert error(response) == {"detail": INVALID, "code": "invalid", "fields": fields}


def test_submit_needs_a_chosen_approver(publish: Callable[..., Process],
                                        people: dict[str, Any],
                                        clients: dict[str, Client]) -> None:
    # given an approval whose reviewer the applicant chooses
    publish("review", [], {"settings": {}, "nodes": [
        {"id": "pick", "type": "approval", "name": "Reviewer",
         "approvers": [{"kind": "applicant_choice"}]}]})
    # when submitted without a choice, then with the colleague
    missing = post(clients["applicant"], f"{P}/requests", {"process": "review"})
    chosen = post(clients["applicant"], f"{P}/requests",
                  {"process": "review", "chosen": {"pick": [people["colleague"].pk]}})
    # then the first names the step; the second waits for the colleague
    assert error(missing) == {"detail": INVALID, "code": "invalid",
                              "fields": {"approvers.pick": "Choose who approves at step "
                                                           "Reviewer."}}
    assert chosen.status_code == 201
    assert chosen.json()["chosen"] == {"pick": [people["colleague"].pk]}
    assert [t["assignee"] for t in chosen.json()["tasks"]] == [ref(people["colleague"])]


def test_submit_without_the_permission_is_refused(expense: Process,
                                                  clients: dict[str, Client]) -> None:
    response = post(clients["outsider"], f"{P}/requests",
                    {"process": "expense", "data": EXPENSE_DATA})
    assert response.status_code == 403
    assert error(response) == {"detail": "You do not have permission to do this.",
                               "code": "permission_denied"}
    assert Request.objects.count() == 0


# --- reading requests ---------------------------------------------------------------------

def test_inbox_boxes(number: str, people: dict[str, Any], clients: dict[str, Client]) -> None:
    # given a claim waiting for the lab head
    # when the lab head looks at their to-do box and the applicant at what they submitted
    todo = clients["lab_head"].get(f"{P}/requests?box=todo")
    submitted = clients["applicant"].get(f"{P}/requests?box=submitted")
    nothing = clients["applicant"].get(f"{P}/requests?box=todo")
    # then both find it, with whom it waits for
    row = {"number": number, "title": "费用报销: Ann Applicant",
           "summary": "Purpose: Japanese tissue for the scroll repair; Amount: CNY 1,200.00",
           "process": {"code": "expense", "name": "Expense claim", "version": 1},
           "status": "running", "status_label": "In approval",
           "applicant": ref(people["applicant"]), "finished_at": None,
           "waiting_for": [ref(people["lab_head"])], "current_steps": ["Lab head"],
           "unread": False}
    assert without_times(todo.json()) == {"items": [without_times(row)], "count": 1}
    assert without_times(submitted.json()) == {"items": [without_times(row)], "count": 1}
    assert nothing.json() == {"items": [], "count": 0}


def test_inbox_filters_and_pages(submit: Callable[..., Request], people: dict[str, Any],
                                 clients: dict[str, Client]) -> None:
    # given three claims, one of them for conservation paper
    first = submit(people["applicant"]).number
    second = submit(people["applicant"], {**EXPENSE_DATA, "purpose": "Conservation paper"})
    third = submit(people["applicant"]).number
    client = clients["applicant"]
    # when the applicant searches, filters and pages
    found = client.get(f"{P}/requests?box=submitted&text=paper")
    page = client.get(f"{P}/requests?box=all&limit=2&offset=1")
    by_status = client.get(f"{P}/requests?box=all&status=approved")
    by_process = client.get(f"{P}/requests?box=all&process=leave")
    today = timezone.localdate().isoformat()
    by_date = client.get(f"{P}/requests?box=all&submitted_from={today}&submitted_to={today}")
    # then each answers with the matching requests, newest first
    assert [r["number"] for r in found.json()["items"]] == [second.number]
    assert page.json()["count"] == 3
    assert [r["number"] for r in page.json()["items"]] == [second.number, first]
    assert by_status.json() == {"items": [], "count": 0}
    assert by_process.json() == {"items": [], "count": 0}
    assert [r["number"] for r in by_date.json()["items"]] == [third, second.number, first]


@pytest.mark.parametrize(("query", "fields"), [
    ("box=mine", {"box": "Choose one of: todo, done, submitted, cc, all."}),
    ("status=lost", {"status": "Choose one of: running, returned, approved, rejected, "
                               "withdrawn, cancelled."}),
    ("submitted_from=2026-03-02&submitted_to=2026-03-01",
     {"submitted_to": "The end date is before the start date."}),
    ("submitted_from=yesterday", {"submitted_from": "Input should be a valid date or "
                                                    "datetime, input is too short"}),
    ("limit=many", {"limit": "Input should be a valid integer, unable to parse string as "
                             "an integer"}),
])
def test_inbox_refuses_bad_filters(clients: dict[str, Client], query: str,
                                   fields: dict[str, str]) -> None:
    response = clients["applicant"].get(f"{P}/requests?{query}")
    assert response.status_code == 422
    assert error(response) == {"detail": INVALID, "code": "invalid", "fields": fields}


def test_request_is_hidden_from_those_not_involved(number: str,
                                                   clients: dict[str, Client]) -> None:
    # when a colleague who has no part in the claim opens it
    response = clients["colleague"].get(f"{P}/requests/{number}")
    # then it does not exist for them
    assert response.status_code == 404
    assert error(response) == {"detail": "No such request.", "code": "not_found"}


def test_overseer_reads_and_may_reassign(number: str, clients: dict[str, Client]) -> None:
    response = clients["overseer"].get(f"{P}/requests/{number}")
    assert response.status_code == 200
    assert response.json()["allowed"] == {**NOTHING_ALLOWED, "reassign": [1]}


def test_administrator_reads_and_reassigns_any_request(number: str, people: dict[str, Any],
                                                       clients: dict[str, Client]) -> None:
    read = clients["admin"].get(f"{P}/requests/{number}")
    assert read.status_code == 200
    assert read.json()["allowed"] == {**NOTHING_ALLOWED, "reassign": [1]}
    moved = post(clients["admin"], f"{P}/requests/{number}/tasks/1/reassign",
                 {"to": people["director"].pk, "comment": "Lab head is abroad"})
    assert moved.status_code == 200


# --- acting on requests -------------------------------------------------------------------

def test_approvals_through_to_the_copy(number: str, people: dict[str, Any],
                                       clients: dict[str, Client],
                                       run_commit_hooks: Any) -> None:
    # when the lab head and then the conservation head approve
    with run_commit_hooks():
        first = post(clients["lab_head"], f"{P}/requests/{number}/approve",
                     {"comment": "Fine"})
        second = post(clients["conservation_head"], f"{P}/requests/{number}/approve")
    # then the claim is approved, HR got a copy and the history says who did what
    assert first.status_code == 200
    assert first.json()["status"] == "running"
    assert first.json()["allowed"] == NOTHING_ALLOWED
    body = second.json()
    assert body["status"] == "approved"
    assert body["copied_to"] == [ref(people["hr"])]
    assert [(h["kind"], h["actor"], h["comment"], h["people"]) for h in body["history"]] == [
        ("submitted", ref(people["applicant"]), "", []),
        ("approved", ref(people["lab_head"]), "Fine", []),
        ("approved", ref(people["conservation_head"]), "", []),
        ("copied", None, "", [ref(people["hr"])]),
        ("finished", None, "", [])]
    assert OutboxEvent.objects.filter(name="workflows.request.approved.v1").count() == 1
    done = clients["lab_head"].get(f"{P}/requests?box=done").json()
    assert [(row["number"], row["status"]) for row in done["items"]] == [(number, "approved")]
    # and HR's copy is unread until HR opens it
    assert clients["hr"].get(f"{P}/counts").json() == {"todo": 0, "cc_unread": 1}
    cc = clients["hr"].get(f"{P}/requests?box=cc").json()["items"]
    assert [(row["number"], row["unread"]) for row in cc] == [(number, True)]
    assert clients["hr"].get(f"{P}/requests/{number}").status_code == 200
    assert clients["hr"].get(f"{P}/counts").json() == {"todo": 0, "cc_unread": 0}
    assert CarbonCopy.objects.get().read_at is not None


def test_counts(number: str, clients: dict[str, Client]) -> None:
    assert clients["lab_head"].get(f"{P}/counts").json() == {"todo": 1, "cc_unread": 0}
    assert clients["outsider"].get(f"{P}/counts").json() == {"todo": 0, "cc_unread": 0}


def test_approving_what_does_not_wait_for_me(number: str, clients: dict[str, Client]) -> None:
    # when the applicant approves their own claim, and the lab head names a task it lacks
    mine = post(clients["applicant"], f"{P}/requests/{number}/approve")
    unknown = post(clients["lab_head"], f"{P}/requests/{number}/approve", {"task_key": 99})
    # then neither changes anything
    assert mine.status_code == 409
    assert error(mine) == {"detail": "Nothing here waits for you.", "code": "not_pending"}
    assert unknown.status_code == 422
    assert error(unknown) == {"detail": INVALID, "code": "invalid",
                              "fields": {"task_key": "This request has no such task."}}
    assert Action.objects.count() == 1


def test_reject_needs_a_reason(number: str, clients: dict[str, Client]) -> None:
    response = post(clients["lab_head"], f"{P}/requests/{number}/reject", {"comment": " "})
    assert response.status_code == 422
    assert error(response) == {"detail": INVALID, "code": "invalid",
                               "fields": {"comment": "Say why, for the applicant."}}
    missing = post(clients["lab_head"], f"{P}/requests/{number}/reject", {})
    assert error(missing) == {"detail": INVALID, "code": "invalid",
                              "fields": {"comment": "Field required"}}


def test_return_resubmit_and_approve_again(number: str, people: dict[str, Any],
                                           clients: dict[str, Client]) -> None:
    # given the lab head approved, and the conservation head may return it to the lab
    post(clients["lab_head"], f"{P}/requests/{number}/approve")
    waiting = clients["conservation_head"].get(f"{P}/requests/{number}").json()
    assert waiting["allowed"] == {**NOTHING_ALLOWED, "task_key": 2, "task_kind": "approval",
                                  "approve": True, "reject": True, "transfer": True,
                                  "add_approver": True,
                                  "return_to": [{"id": "lab", "name": "Lab head"}]}
    # when the conservation head returns it to the applicant
    returned = post(clients["conservation_head"], f"{P}/requests/{number}/reject",
                    {"to": "applicant", "comment": "Add the receipts"})
    # then the applicant may correct and resubmit it, and it starts again at the lab head
    assert returned.json()["status"] == "returned"
    assert clients["applicant"].get(f"{P}/requests/{number}").json()["allowed"] == {
        **NOTHING_ALLOWED, "withdraw": True, "resubmit": True}
    again = post(clients["applicant"], f"{P}/requests/{number}/resubmit",
                 {"data": {**EXPENSE_DATA, "purpose": "With receipts"},
                  "comment": "Receipts added"})
    assert again.status_code == 200
    body = again.json()
    assert body["status"] == "running"
    assert body["values"]["purpose"] == "With receipts"
    assert [(t["key"], t["round"], t["status"], t["superseded"]) for t in body["tasks"]] == [
        (1, 1, "approved", True), (2, 1, "rejected", True), (3, 2, "pending", False)]
    assert body["history"][-1]["kind"] == "resubmitted"
    assert body["history"][-1]["comment"] == "Receipts added"


def test_return_to_an_earlier_step(number: str, clients: dict[str, Client]) -> None:
    post(clients["lab_head"], f"{P}/requests/{number}/approve")
    response = post(clients["conservation_head"], f"{P}/requests/{number}/reject",
                    {"to": "lab", "comment": "Check the prices"})
    assert response.status_code == 200
    assert response.json()["status"] == "running"
    assert [(t["node_id"], t["status"]) for t in response.json()["tasks"]][-1] == (
        "lab", "pending")
    bad = post(clients["lab_head"], f"{P}/requests/{number}/reject",
               {"to": "director", "comment": "No"})
    assert bad.status_code == 422
    assert error(bad) == {"detail": "The request cannot be returned to that step.",
                          "code": "bad_return_target"}


def test_transfer_and_add_approver(number: str, people: dict[str, Any],
                                   clients: dict[str, Client]) -> None:
    # when the lab head hands the task to the director
    moved = post(clients["lab_head"], f"{P}/requests/{number}/transfer",
                 {"to": people["director"].pk, "comment": "You decide"})
    # then the director has it; and the director adds the clerk before themself
    assert moved.status_code == 200
    assert [(t["assignee"], t["status"], t["added"]) for t in moved.json()["tasks"]] == [
        (ref(people["lab_head"]), "transferred", ""),
        (ref(people["director"]), "pending", "transfer")]
    added = post(clients["director"], f"{P}/requests/{number}/add-approver",
                 {"person": people["clerk"].pk, "position": "before"})
    assert added.status_code == 200
    assert [(t["assignee"]["id"], t["status"]) for t in added.json()["tasks"]][1:] == [
        (people["director"].pk, "waiting"), (people["clerk"].pk, "pending")]
    assert added.json()["history"][-1]["people"] == [ref(people["clerk"])]


@pytest.mark.parametrize(("path", "body", "status", "expected"), [
    ("transfer", {"to": 0}, 422, {"detail": INVALID, "code": "invalid",
                                  "fields": {"to": "No active person with this id."}}),
    ("transfer", {"to": "lab_head"}, 422, {
        "detail": INVALID, "code": "invalid",
        "fields": {"to": "Input should be a valid integer, unable to parse string as an "
                         "integer"}}),
    ("add-approver", {"person": 1, "position": "beside"}, 422, {
        "detail": INVALID, "code": "invalid",
        "fields": {"position": "Input should be 'before' or 'after'"}}),
    ("add-approver", {"person": "self", "position": "before"}, 422, {
        "detail": INVALID, "code": "invalid",
        "fields": {"person": "Input should be a valid integer, unable to parse string as an "
                             "integer"}}),
])
def test_bad_task_actions(number: str, clients: dict[str, Client], path: str,
                          body: dict[str, Any], status: int,
                          expected: dict[str, Any]) -> None:
    response = post(clients["lab_head"], f"{P}/requests/{number}/{path}", body)
    assert response.status_code == status
    assert error(response) == expected
    assert Action.objects.count() == 1


def test_adding_oneself_is_refused(number: str, people: dict[str, Any],
                                   clients: dict[str, Client]) -> None:
    response = post(clients["lab_head"], f"{P}/requests/{number}/add-approver",
                    {"person": people["lab_head"].pk, "position": "after"})
    assert response.status_code == 422
    assert error(response) == {"detail": "You are already an approver at this step.",
                               "code": "self_add"}


def test_withdraw(number: str, clients: dict[str, Client]) -> None:
    other = post(clients["lab_head"], f"{P}/requests/{number}/withdraw")
    assert other.status_code == 403
    assert error(other) == {"detail": "Only the applicant can withdraw a request.",
                            "code": "not_applicant"}
    mine = post(clients["applicant"], f"{P}/requests/{number}/withdraw",
                {"comment": "Bought it myself"})
    assert mine.status_code == 200
    assert mine.json()["status"] == "withdrawn"
    assert mine.json()["allowed"] == NOTHING_ALLOWED
    again = post(clients["applicant"], f"{P}/requests/{number}/withdraw")
    assert again.status_code == 409
    assert error(again) == {"detail": "Only a pending or returned request can be withdrawn.",
                            "code": "not_withdrawable"}


def test_urge_at_most_every_ten_minutes(number: str, people: dict[str, Any],
                                        clients: dict[str, Client]) -> None:
    first = post(clients["applicant"], f"{P}/requests/{number}/urge")
    second = post(clients["applicant"], f"{P}/requests/{number}/urge")
    assert first.status_code == 200
    assert first.json()["history"][-1]["people"] == [ref(people["lab_head"])]
    assert first.json()["allowed"]["urge"] is False
    assert second.status_code == 409
    assert error(second) == {"detail": "You urged the approvers a few minutes ago; give "
                                       "them time.", "code": "urged_recently"}


def test_comment_with_an_attachment(number: str, people: dict[str, Any],
                                    clients: dict[str, Client]) -> None:
    # given the lab head uploaded a quote
    upload = clients["lab_head"].post(f"{P}/attachments", data={
        "file": SimpleUploadedFile("quote.txt", b"800 + 400", content_type="text/plain")})
    assert upload.status_code == 201
    attachment = Attachment.objects.get()
    assert upload.json() == {"id": attachment.pk, "name": "quote.txt", "size": 9,
                             "content_type": "text/plain", "is_image": False,
                             "url": f"/approvals/attachments/{attachment.pk}/"}
    # when the lab head comments with it
    response = post(clients["lab_head"], f"{P}/requests/{number}/comment",
                    {"comment": "The quote", "attachments": [attachment.pk]})
    # then the history shows the comment with the file, which now belongs to the request
    assert response.status_code == 200
    entry = response.json()["history"][-1]
    assert without_times(entry) == {
        "id": entry["id"], "kind": "commented", "kind_label": "Commented",
        "actor": ref(people["lab_head"]), "on_behalf_of": None, "task_key": None,
        "node_id": "", "node_name": "", "comment": "The quote", "people": [], "detail": "",
        "attachments": [upload.json()]}
    assert response.json()["attachments"] == [upload.json()]
    empty = post(clients["applicant"], f"{P}/requests/{number}/comment", {"comment": ""})
    assert error(empty) == {"detail": INVALID, "code": "invalid",
                            "fields": {"comment": "Say why, for the applicant."}}


def test_upload_of_a_broken_image_is_refused(clients: dict[str, Client]) -> None:
    broken = SimpleUploadedFile("scan.png", b"not a picture", content_type="image/png")
    response = clients["applicant"].post(f"{P}/attachments", data={"file": broken})
    assert response.status_code == 422
    assert error(response) == {"detail": INVALID, "code": "invalid",
                               "fields": {"file": "scan.png is not a readable image."}}
    assert Attachment.objects.count() == 0


def test_upload_of_an_image(clients: dict[str, Client]) -> None:
    data = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(data, format="PNG")
    picture = SimpleUploadedFile("damage.png", data.getvalue(), content_type="image/png")
    response = clients["applicant"].post(f"{P}/attachments", data={"file": picture})
    assert response.status_code == 201
    assert response.json()["is_image"] is True


def test_cancel_without_a_cancellation_approval(expense: Process, number: str,
                                                clients: dict[str, Client]) -> None:
    # given an approved claim of an approval that has no cancellation approval
    Process.objects.filter(pk=expense.pk).update(cancellation_process=None)
    post(clients["lab_head"], f"{P}/requests/{number}/approve")
    post(clients["conservation_head"], f"{P}/requests/{number}/approve")
    # when the applicant asks to cancel it, and then HR (who manages approvals)
    asked = post(clients["applicant"], f"{P}/requests/{number}/cancel",
                 {"reason": "Trip called off"})
    done = post(clients["hr"], f"{P}/requests/{number}/cancel", {"reason": "Called off"})
    # then only HR may, at once
    assert asked.status_code == 409
    assert error(asked) == {"detail": "Expense claim has no cancellation approval; ask an "
                                      "approvals administrator.", "code": "conflict"}
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "cancelled"


def test_cancel_starts_the_cancellation_approval(expense: Process, number: str,
                                                 people: dict[str, Any],
                                                 clients: dict[str, Client]) -> None:
    # given an approved claim of an approval with a cancellation approval
    expense.cancellation_process = Process.objects.get(code="cancellation")
    expense.save(update_fields=["cancellation_process"])
    post(clients["lab_head"], f"{P}/requests/{number}/approve")
    approved = post(clients["conservation_head"], f"{P}/requests/{number}/approve")
    assert clients["applicant"].get(f"{P}/requests/{number}").json()["allowed"]["cancel"]
    assert approved.json()["allowed"]["cancel"] is False
    # when the applicant asks to cancel it
    response = post(clients["applicant"], f"{P}/requests/{number}/cancel",
                    {"reason": "Trip called off"})
    # then a cancellation request starts, naming the claim
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == number_of(2)
    assert body["cancels"] == number
    assert body["process"]["code"] == "cancellation"
    assert body["values"] == {"request": number, "reason": "Trip called off"}
    again = post(clients["applicant"], f"{P}/requests/{number}/cancel", {"reason": "Again"})
    assert error(again) == {"detail": "A cancellation of this request is already in "
                                      "approval.", "code": "conflict"}


def test_overseer_reassigns_a_task(number: str, people: dict[str, Any],
                                   clients: dict[str, Client]) -> None:
    # when the overseer moves the lab head's task to the director
    response = post(clients["overseer"], f"{P}/requests/{number}/tasks/1/reassign",
                    {"to": people["director"].pk, "comment": "Lab head is abroad"})
    # then the director has it and the history says who moved it
    assert response.status_code == 200
    body = response.json()
    assert [(t["assignee"], t["status"]) for t in body["tasks"]] == [
        (ref(people["lab_head"]), "transferred"), (ref(people["director"]), "pending")]
    assert [(h["kind"], h["actor"], h["people"]) for h in body["history"]][-1] == (
        "reassigned", ref(people["overseer"]),
        [ref(people["lab_head"]), ref(people["director"])])
    # and the lab head, who does not oversee, may not
    refused = post(clients["lab_head"], f"{P}/requests/{number}/tasks/2/reassign",
                   {"to": people["clerk"].pk, "comment": "Back"})
    assert refused.status_code == 404
    assert error(refused) == {"detail": "No such request.", "code": "not_found"}
    done = post(clients["overseer"], f"{P}/requests/{number}/tasks/1/reassign",
                {"to": people["clerk"].pk, "comment": "Again"})
    assert error(done) == {"detail": "That task is not waiting for anyone.",
                           "code": "not_pending"}


# --- delegations --------------------------------------------------------------------------

def test_delegation_life(expense: Process, people: dict[str, Any],
                         clients: dict[str, Client]) -> None:
    # when the lab head names the colleague as stand-in for expense claims
    created = post(clients["lab_head"], f"{P}/delegations", {
        "delegate": people["colleague"].pk, "starts_at": "2025-01-01T09:00:00+08:00",
        "ends_at": "2099-01-01T09:00:00+08:00", "process_ids": [expense.pk],
        "reason": "Conference"})
    # then both see it, the applicant does not, and the lab head may end it
    assert created.status_code == 201
    delegation = Delegation.objects.get()
    expected = {"id": delegation.pk, "person": ref(people["lab_head"]),
                "delegate": ref(people["colleague"]),
                "starts_at": "2025-01-01T01:00:00Z", "ends_at": "2099-01-01T01:00:00Z",
                "processes": [{"id": expense.pk, "code": "expense", "name": "Expense claim"}],
                "reason": "Conference", "ended_at": None, "in_effect": True}
    assert created.json() == expected
    assert clients["colleague"].get(f"{P}/delegations").json() == [expected]
    assert clients["applicant"].get(f"{P}/delegations").json() == []
    refused = post(clients["applicant"], f"{P}/delegations/{delegation.pk}/end")
    assert error(refused) == {"detail": "No such delegation.", "code": "not_found"}
    ended = post(clients["lab_head"], f"{P}/delegations/{delegation.pk}/end")
    assert ended.status_code == 200
    assert ended.json()["in_effect"] is False
    assert ended.json()["ended_at"] is not None


def test_delegation_with_bad_values(people: dict[str, Any], clients: dict[str, Client]) -> None:
    response = post(clients["lab_head"], f"{P}/delegations", {
        "delegate": people["lab_head"].pk, "starts_at": "2025-02-01T09:00:00",
        "ends_at": "2025-01-01T09:00:00", "process_ids": [0]})
    assert response.status_code == 422
    assert error(response) == {"detail": INVALID, "code": "invalid", "fields": {
        "delegate": "Choose someone else as the stand-in.",
        "ends_at": "The end comes before the start.",
        "processes": "Choose approvals from the list."}}
    assert Delegation.objects.count() == 0


# --- designer -----------------------------------------------------------------------------

def test_designer_create_edit_check_and_publish(people: dict[str, Any],
                                                clients: dict[str, Client]) -> None:
    hr = clients["hr"]
    # when HR creates an approval with an empty flow
    created = post(hr, f"{P}/designer/processes", {
        "code": "mounting", "name_zh": "修复申请", "name_en": "Repair", "category": "collection",
        "form": EXPENSE_FORM})
    assert created.status_code == 201, created.json()
    process = Process.objects.get(code="mounting")
    assert without_times(created.json()) == {
        "id": process.pk, "code": "mounting", "name": "Repair", "name_zh": "修复申请",
        "name_en": "Repair", "description": "", "category": "collection", "icon": "approval",
        "subject_code": "", "starter_departments": [], "is_active": True,
        "is_builtin": False, "cancellation_process": "cancellation", "current_version": None,
        "has_unpublished_changes": True, "draft_form": EXPENSE_FORM,
        "draft_definition": {"nodes": [], "settings": {}}, "versions": []}
    # then it cannot be published yet, and the check says why
    checked = post(hr, f"{P}/designer/processes/{process.pk}/check")
    assert checked.json() == {"problems": [
        "A process needs at least one approval or handler step."]}
    refused = post(hr, f"{P}/designer/processes/{process.pk}/publish")
    assert refused.status_code == 422
    assert error(refused) == {"detail": "The approval cannot be published yet.",
                              "code": "invalid", "fields": {
                                  "problem1": "A process needs at least one approval or "
                                              "handler step."}}
    # when HR saves the flow and publishes
    saved = patch(hr, f"{P}/designer/processes/{process.pk}",
                  {"definition": EXPENSE_FLOW, "description": "Repairs of objects"})
    assert saved.status_code == 200
    assert saved.json()["draft_definition"] == EXPENSE_FLOW
    assert saved.json()["description"] == "Repairs of objects"
    published = post(hr, f"{P}/designer/processes/{process.pk}/publish", {"note": "First"})
    # then version 1 is out, and the staff may start it
    assert published.status_code == 200
    body = published.json()
    assert without_times(body["current_version"]) == {
        "number": 1, "note": "First", "published_by": ref(people["hr"])}
    assert body["has_unpublished_changes"] is False
    assert [v["number"] for v in body["versions"]] == [1]
    assert "mounting" in [p["code"] for p in clients["applicant"].get(f"{P}/processes").json()]
    listed = hr.get(f"{P}/designer/processes").json()
    assert [p["code"] for p in listed if p["code"] == "mounting"] == ["mounting"]


def test_designer_check_of_a_flow_sent(expense: Process, clients: dict[str, Client]) -> None:
    flow = {"settings": {}, "nodes": [{"id": "x", "type": "approval", "name": "Somebody",
                                       "approvers": [{"kind": "role", "code": "nobody"}]}]}
    response = post(clients["hr"], f"{P}/designer/processes/{expense.pk}/check",
                    {"definition": flow})
    assert response.json() == {"problems": ["Somebody: there is no role nobody."]}


@pytest.mark.parametrize(("body", "problems"), [
    ({"definition": {"nodes": [{"id": "c", "type": "condition",
                                "branches": [{"id": "x", "when": {"all": 5}, "nodes": []},
                                             {"id": "d", "default": True, "nodes": []}]}]}},
     ["c: branch x has a malformed condition.",
      "A process needs at least one approval or handler step."]),
    ({"form": [{"name": "a", "type": "text", "label": {"en": "A"}, "visible_if": "x"}]},
     ["a: the condition for showing it is malformed.",
      "Large amounts: branch Over 50 000 tests amount, which is not a field of the form."]),
])
def test_designer_check_of_malformed_json_lists_problems(expense: Process,
                                                         clients: dict[str, Client],
                                                         body: dict[str, Any],
                                                         problems: list[str]) -> None:
    # JSON of the wrong shape inside a form or flow is a problem to fix, not a server error
    response = post(clients["hr"], f"{P}/designer/processes/{expense.pk}/check", body)
    assert response.status_code == 200
    assert response.json() == {"problems": problems}


@pytest.mark.parametrize(("body", "fields"), [
    ({"code": "bad code", "name_zh": "坏"}, {"code": "Use letters, digits, - and _ (up to "
                                                    "64)."}),
    ({"code": "expense", "name_zh": "重复"}, {"code": "An approval with this code exists."}),
    ({"code": "ok", "name_zh": " "}, {"name_zh": "Give the approval a Chinese name."}),
    ({"code": "ok", "name_zh": "好", "definition": {"steps": []}},
     {"definition": "The process needs a list of nodes."}),
    ({"code": "ok", "name_zh": "好", "starter_departments": [0]},
     {"starter_departments": "No department with id 0."}),
    ({"code": "ok", "name_zh": "好", "definition": "text"},
     {"definition": "Input should be a valid dictionary"}),
    ({"code": "ok", "name_zh": "好", "starter_departments": "lab"},
     {"starter_departments": "Input should be a valid list"}),
    ({"code": "ok", "name_zh": "好" * 81},
     {"name_zh": "String should have at most 80 characters"}),
])
def test_designer_create_refuses_bad_values(expense: Process, clients: dict[str, Client],
                                            body: dict[str, Any],
                                            fields: dict[str, str]) -> None:
    before = Process.objects.count()
    response = post(clients["hr"], f"{P}/designer/processes", body)
    assert response.status_code == 422
    assert error(response) == {"detail": INVALID, "code": "invalid", "fields": fields}
    assert Process.objects.count() == before


def test_designer_export_and_import(expense: Process, clients: dict[str, Client]) -> None:
    hr = clients["hr"]
    # given the expense claim exported
    exported = hr.get(f"{P}/designer/processes/{expense.pk}/export")
    assert exported.status_code == 200
    document = exported.json()
    assert document == {
        "format": "taihe.workflows.process/1", "code": "expense", "name_zh": "费用报销",
        "name_en": "Expense claim", "description": "", "category": "finance",
        "icon": "approval", "subject_code": "", "starter_departments": [], "is_active": True,
        "form": EXPENSE_FORM, "definition": EXPENSE_FLOW}
    # when it is imported as it is, and under a new code
    same = post(hr, f"{P}/designer/processes/import", document)
    copy = post(hr, f"{P}/designer/processes/import?publish=false",
                {**document, "code": "expense-copy"})
    # then the first publishes version 2 of the same approval; the second is a new draft
    assert same.status_code == 200
    assert same.json()["current_version"]["number"] == 2
    assert copy.status_code == 201
    assert copy.json()["code"] == "expense-copy"
    assert copy.json()["current_version"] is None


def test_designer_import_of_something_else(clients: dict[str, Client]) -> None:
    response = post(clients["hr"], f"{P}/designer/processes/import",
                    {"format": "bpmn", "code": "x", "name_zh": "x"})
    assert response.status_code == 422
    assert error(response) == {"detail": "This is not an exported Taihe approval (format "
                                         "taihe.workflows.process/1).", "code": "invalid"}


def test_field_types(clients: dict[str, Client]) -> None:
    response = clients["hr"].get(f"{P}/designer/field-types")
    assert response.status_code == 200
    by_code = {item["code"]: item for item in response.json()}
    assert by_code["money"] == {"code": "money", "label": "Money", "kind": "number",
                                "options": ["currency", "max", "min"]}
    assert by_code["table"]["options"] == ["columns", "max_rows", "min_rows", "totals"]
    assert {"text", "select", "person", "daterange", "attachment", "computed"} <= set(by_code)


def test_designer_is_closed_to_staff(expense: Process, clients: dict[str, Client]) -> None:
    response = clients["applicant"].get(f"{P}/designer/processes/{expense.pk}")
    assert response.status_code == 403
    assert error(response) == {"detail": "You do not have permission to do this.",
                               "code": "permission_denied"}


def test_designer_unknown_process(clients: dict[str, Client]) -> None:
    response = clients["hr"].get(f"{P}/designer/processes/999999")
    assert response.status_code == 404
    assert error(response) == {"detail": "No such approval.", "code": "not_found"}


# --- the API document ---------------------------------------------------------------------

def test_openapi_lists_every_workflows_operation(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    operations = {(method.upper(), path) for path, item in spec["paths"].items()
                  if path.startswith(f"{P}/") for method in item}
    assert len(operations) == 29
    assert ("POST", f"{P}/requests/{{number}}/tasks/{{key}}/reassign") in operations
