"""The approval pages: inbox, catalogue, the request form rendered from its field JSON, the
request page with its path, history and actions, attachments and delegations.

Every page is refused to anonymous people (sign-in), and a request page answers "not found"
to everyone who may not read the request (an outsider, an unrelated colleague), exactly as
for a number that does not exist, and nothing changes when they post to it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from taihe.modules.workflows import services
from taihe.modules.workflows.models import (
    Action,
    Attachment,
    CarbonCopy,
    Delegation,
    Process,
    Request,
    Task,
)
from tests.modules.workflows.conftest import EXPENSE_DATA, label

pytestmark = pytest.mark.django_db

def png() -> bytes:
    """A valid 1×1 PNG."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, format="PNG")
    return buffer.getvalue()

EXPENSE_POST = {"f.purpose": "Japanese tissue for the scroll repair", "f.amount": "1200",
                "f.items.0.thing": "Kozo tissue", "f.items.0.cost": "800",
                "f.items.1.thing": "Wheat starch", "f.items.1.cost": "400"}

EVERY_FIELD_FORM: list[dict[str, Any]] = [
    {"name": "title", "type": "text", "label": label("标题", "Title"), "required": True},
    {"name": "notes", "type": "textarea", "label": label("说明", "Notes")},
    {"name": "count", "type": "number", "label": label("数量", "Count"), "decimals": 0,
     "unit": "pcs"},
    {"name": "price", "type": "money", "label": label("单价", "Price")},
    {"name": "day", "type": "date", "label": label("日期", "Day")},
    {"name": "trip", "type": "daterange", "label": label("行程", "Trip")},
    {"name": "kind", "type": "select", "label": label("类别", "Kind"),
     "choices": [{"value": "a", "label": label("甲", "Alpha")},
                 {"value": "b", "label": label("乙", "Beta")}]},
    {"name": "tags", "type": "multiselect", "label": label("标签", "Tags"),
     "choices": [{"value": "x", "label": label("X", "Ex")},
                 {"value": "y", "label": label("Y", "Why")}]},
    {"name": "buddy", "type": "person", "label": label("同行人", "Buddy")},
    {"name": "unit", "type": "department", "label": label("部门", "Unit")},
    {"name": "place", "type": "location", "label": label("地点", "Place")},
    {"name": "thing", "type": "object", "label": label("藏品", "Thing")},
    {"name": "files", "type": "attachment", "label": label("附件", "Files")},
    {"name": "photo", "type": "image", "label": label("照片", "Photo")},
    {"name": "total", "type": "computed", "label": label("合计", "Total"),
     "formula": "count * price"},
    {"name": "secret", "type": "text", "label": label("只在乙", "Only for Beta"),
     "visible_if": {"all": [{"field": "kind", "op": "eq", "value": "b"}]}},
    {"name": "rows", "type": "table", "label": label("明细", "Rows"), "totals": ["cost"],
     "columns": [{"name": "what", "type": "text", "label": label("项目", "What")},
                 {"name": "cost", "type": "money", "label": label("费用", "Cost")}]},
]
ONE_STEP = {"settings": {"dedup": "none", "auto_approve_applicant": False, "on_empty": "skip"},
            "nodes": [{"id": "boss", "type": "approval", "name": "Boss", "mode": "sequential",
                       "approvers": [{"kind": "manager", "levels": 1}]}]}


def page(client: Any, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.content.decode() if response.status_code == 200 \
        else ""


def messages_of(response: Any) -> list[str]:
    """The messages this response added (earlier ones wait unread in the same storage)."""
    return [str(message) for message in response.wsgi_request._messages._queued_messages]


# --- Who may open what ----------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/approvals/", "/approvals/new/", "/approvals/new/expense/",
                                 "/approvals/delegations/"])
def test_anonymous_people_are_sent_to_sign_in(client: Any, expense: Process, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('directory:login')}?next={url}"


def test_outsider_without_a_role_is_refused_the_approval_pages(
        client_for: Any, people: dict[str, Any], expense: Process) -> None:
    client = client_for(people["outsider"])
    urls = ["/approvals/", "/approvals/new/", "/approvals/new/expense/",
            "/approvals/delegations/"]
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 403)
    assert client.post("/approvals/new/expense/", EXPENSE_POST).status_code == 403
    assert not Request.objects.exists()


def test_request_pages_are_not_found_for_people_who_may_not_read_them(
        client_for: Any, people: dict[str, Any], submit: Callable[..., Request]) -> None:
    # given a request of the applicant, waiting for the lab head
    request = submit(people["applicant"])
    before = list(Action.objects.filter(request=request).values_list("kind", flat=True))
    base = f"/approvals/r/{request.number}/"
    for who in ("outsider", "guard", "colleague"):
        client = client_for(people[who])
        # then every page of it is "not found", as for a number that does not exist
        assert client.get(base).status_code == 404
        assert client.get(f"{base}record.pdf").status_code == 404
        assert client.get(f"{base}resubmit/").status_code == 404
        assert client.get("/approvals/r/AP-1999-000001/").status_code == 404
        assert client.post(f"{base}act/", {"action": "approve"}).status_code == 404
        assert client.post(f"{base}act/", {"action": "comment",
                                           "comment": "hello"}).status_code == 404
    # and nothing changed
    assert list(Action.objects.filter(request=request).values_list("kind", flat=True)) == before
    request.refresh_from_db()
    assert request.status == "running"


def test_applicant_approver_cc_and_overseer_read_the_request(
        client_for: Any, people: dict[str, Any], submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    url = f"/approvals/r/{request.number}/"
    for who in ("applicant", "lab_head", "overseer"):
        status, body = page(client_for(people[who]), url)
        assert status == 200, who
        assert request.number in body
        assert "Japanese tissue for the scroll repair" in body


# --- Inbox ------------------------------------------------------------------------------------

def test_inbox_lists_the_boxes_with_counts(client_for: Any, people: dict[str, Any],
                                           submit: Callable[..., Request]) -> None:
    # given two requests of the applicant waiting for the lab head
    first = submit(people["applicant"])
    second = submit(people["applicant"], {**EXPENSE_DATA, "purpose": "Brushes"})
    client = client_for(people["lab_head"])
    # when the lab head opens the to-do box
    response = client.get("/approvals/")
    assert response.status_code == 200
    rows = response.context["rows"]
    # then both are there, oldest first, with the time they have waited
    assert [row["request"].number for row in rows] == [first.number, second.number]
    assert all(row["waiting_since"] is not None for row in rows)
    assert response.context["counts"] == {"todo": 2, "cc_unread": 0}
    body = response.content.decode()
    assert 'data-inbox-count="todo">2</span>' in body
    assert "Ann Applicant" in body
    # and the applicant sees them under "Submitted by me", newest first
    mine = client_for(people["applicant"]).get("/approvals/?box=submitted")
    assert [row["request"].number for row in mine.context["rows"]] == [second.number,
                                                                       first.number]
    # and nothing waits for the applicant
    assert client_for(people["applicant"]).get("/approvals/").context["rows"] == []


def test_overseers_have_a_box_of_every_request_they_may_see(
        client_for: Any, people: dict[str, Any], submit: Callable[..., Request]) -> None:
    # given a request in the paper lab, under the Conservation overseer's watch
    request = submit(people["applicant"])
    # when the overseer opens the "all" box, the request is there though they play no part
    overseer = client_for(people["overseer"]).get("/approvals/?box=all")
    assert [tab["code"] for tab in overseer.context["tabs"]] == [
        "todo", "done", "submitted", "cc", "all"]
    assert [row["request"].number for row in overseer.context["rows"]] == [request.number]
    # and a colleague has no such box: asking for it shows their to-do box instead
    colleague = client_for(people["colleague"]).get("/approvals/?box=all")
    assert [tab["code"] for tab in colleague.context["tabs"]] == [
        "todo", "done", "submitted", "cc"]
    assert colleague.context["box"] == "todo"
    assert colleague.context["rows"] == []


def test_inbox_counts_answer_json_for_the_live_badge(client_for: Any, people: dict[str, Any],
                                                     submit: Callable[..., Request]) -> None:
    submit(people["applicant"])
    response = client_for(people["lab_head"]).get("/approvals/?counts=1")
    assert response.json() == {"todo": 1, "cc_unread": 0}


def test_inbox_filters_and_searches(client_for: Any, people: dict[str, Any],
                                    submit: Callable[..., Request]) -> None:
    submit(people["applicant"])
    brushes = submit(people["applicant"], {**EXPENSE_DATA, "purpose": "Brushes"})
    client = client_for(people["applicant"])
    found = client.get("/approvals/", {"box": "submitted", "q": "Brushes"})
    assert [row["request"].number for row in found.context["rows"]] == [brushes.number]
    today = timezone.localdate().isoformat()
    by_status = client.get("/approvals/", {"box": "submitted", "status": "approved",
                                           "submitted_from": today})
    assert by_status.context["rows"] == []
    by_type = client.get("/approvals/", {"box": "submitted", "process": "expense",
                                         "submitted_to": today})
    assert len(by_type.context["rows"]) == 2
    wrong = client.get("/approvals/", {"box": "submitted", "submitted_from": today,
                                       "submitted_to": "2000-01-01"})
    assert wrong.context["filters"].errors == {
        "submitted_to": ["The last day is before the first."]}


def test_cc_box_shows_unread_until_the_request_is_opened(
        client_for: Any, people: dict[str, Any], submit: Callable[..., Request]) -> None:
    # given a request approved by both heads, which copies HR
    request = submit(people["applicant"])
    services.do_approve(people["lab_head"], request.number)
    services.do_approve(people["conservation_head"], request.number)
    client = client_for(people["hr"])
    box = client.get("/approvals/?box=cc")
    assert [(row["request"].number, row["unread"]) for row in box.context["rows"]] == [
        (request.number, True)]
    assert box.context["counts"]["cc_unread"] == 1
    # when HR opens it
    assert client.get(f"/approvals/r/{request.number}/").status_code == 200
    # then it is read
    assert CarbonCopy.objects.get(request=request, person=people["hr"]).read_at is not None
    assert client.get("/approvals/?counts=1").json() == {"todo": 0, "cc_unread": 0}


# --- Catalogue and the form ---------------------------------------------------------------------

def test_catalogue_groups_what_the_person_may_start(client_for: Any, people: dict[str, Any],
                                                    expense: Process) -> None:
    response = client_for(people["applicant"]).get("/approvals/new/")
    groups = {str(group["label"]): [item["process"].code for item in group["items"]]
              for group in response.context["groups"]}
    assert "expense" in groups["Finance"]
    assert "leave" in groups["Attendance and leave"]
    assert "/approvals/new/expense/" in response.content.decode()


def test_a_link_prefills_simple_fields_and_nothing_else(client_for: Any,
                                                        people: dict[str, Any],
                                                        expense: Process) -> None:
    # given a link carrying a purpose, an amount and a value for the items table
    response = client_for(people["applicant"]).get(
        "/approvals/new/expense/?f.purpose=Frames&f.amount=120&f.items=ignored")
    # then the simple fields start with those values and the table does not
    fields = {field.name: field for field in response.context["fields"]}
    assert (fields["purpose"].text, fields["amount"].text) == ("Frames", "120")
    assert fields["items"].rows == [] or all(
        cell.text == "" for row in fields["items"].rows for cell in row)


def test_a_process_closed_to_the_department_is_forbidden(
        client_for: Any, people: dict[str, Any], publish: Callable[..., Process],
        museum: dict[str, Any]) -> None:
    publish("guards", [{"name": "why", "type": "text", "label": label("原因", "Why")}],
            ONE_STEP, starter_departments=[museum["security"].pk])
    client = client_for(people["applicant"])
    assert client.get("/approvals/new/guards/").status_code == 403
    assert client.get("/approvals/new/nothing/").status_code == 404
    assert "guards" not in client.get("/approvals/new/").content.decode()


def test_every_field_type_renders(client_for: Any, people: dict[str, Any],
                                  publish: Callable[..., Process],
                                  museum: dict[str, Any]) -> None:
    publish("everything", EVERY_FIELD_FORM, ONE_STEP)
    status, body = page(client_for(people["applicant"]), "/approvals/new/everything/")
    assert status == 200
    for name in ("f.title", "f.notes", "f.count", "f.price", "f.day", "f.trip.start",
                 "f.trip.end", "f.kind", "f.tags", "f.buddy", "f.unit", "f.place", "f.thing",
                 "file.files", "file.photo", "f.rows.0.what", "f.rows.0.cost",
                 "f.rows.__row__.what"):
        assert f'name="{name}"' in body, name
    assert 'data-formula="count * price"' in body
    assert 'data-picker="person"' in body
    assert f'<option value="{museum["security"].pk}">' in body
    assert 'data-picker="object"' in body
    assert 'data-total="cost"' in body
    # PostgreSQL's jsonb keeps keys in its own order: compare the rule, not its spelling
    shown_if = [json.loads(html.unescape(found))
                for found in re.findall(r'data-visible-if="([^"]*)"', body)]
    assert any(rule.get("all", [{}])[0].get("field") == "kind" for rule in shown_if), shown_if


def test_submit_happy_path_without_javascript(client_for: Any, people: dict[str, Any],
                                              expense: Process) -> None:
    client = client_for(people["applicant"])
    response = client.post("/approvals/new/expense/", {**EXPENSE_POST,
                                                       "f.items.2.thing": "",
                                                       "f.items.2.cost": ""})
    request = Request.objects.get()
    assert response.status_code == 302
    assert response.url == f"/approvals/r/{request.number}/"
    assert request.form_data == {"purpose": "Japanese tissue for the scroll repair",
                                 "amount": "1200.00",
                                 "items": [{"thing": "Kozo tissue", "cost": "800.00"},
                                           {"thing": "Wheat starch", "cost": "400.00"}]}
    assert request.applicant == people["applicant"]
    assert messages_of(response) == [f"{request.number} is submitted."]
    assert list(Task.objects.filter(request=request).values_list("assignee__username",
                                                                 "status")) == [
        ("labhead", "pending")]


def test_submit_shows_each_error_beside_its_field(client_for: Any, people: dict[str, Any],
                                                  expense: Process) -> None:
    client = client_for(people["applicant"])
    response = client.post("/approvals/new/expense/", {
        "f.purpose": "", "f.amount": "12.345",
        "f.items.0.thing": "Tissue", "f.items.0.cost": "-1",
        "f.items.1.thing": "", "f.items.1.cost": "5"})
    assert response.status_code == 422
    assert not Request.objects.exists()
    fields = {view.name: view for view in response.context["fields"]}
    assert fields["purpose"].error == "This field is required."
    assert fields["amount"].error == "Money has at most two decimal places."
    assert fields["amount"].text == "12.345"
    cells = [[(cell.name, cell.text, cell.error) for cell in row]
             for row in fields["items"].rows]
    assert cells == [[("thing", "Tissue", ""), ("cost", "-1", "Enter 0 or more.")],
                     [("thing", "", "This field is required."), ("cost", "5", "")]]
    body = response.content.decode()
    assert 'id="id_f_items_0_cost_error">Enter 0 or more.</div>' in body
    assert 'name="f.items.1.cost" id="id_f_items_1_cost" value="5"' in body


def test_submit_every_field_type(client_for: Any, people: dict[str, Any],
                                 publish: Callable[..., Process],
                                 museum: dict[str, Any]) -> None:
    publish("everything", EVERY_FIELD_FORM, ONE_STEP)
    client = client_for(people["applicant"])
    upload = client.post("/approvals/attachments/", {
        "file": SimpleUploadedFile("quote.txt", b"1 sheet", content_type="text/plain")})
    assert upload.status_code == 201
    attachment_id = upload.json()["id"]
    response = client.post("/approvals/new/everything/", {
        "f.title": "Survey trip", "f.notes": "Two days", "f.count": "3", "f.price": "2.5",
        "f.day": "2026-03-02", "f.trip.start": "2026-03-02", "f.trip.end": "2026-03-08",
        "f.kind": "a", "f.tags": ["y", "x"], "f.buddy": str(people["colleague"].pk),
        "f.unit": str(museum["security"].pk), "f.files": [str(attachment_id)],
        "file.photo": SimpleUploadedFile("p.png", png(), content_type="image/png"),
        "f.secret": "hidden because kind is a",
        "f.rows.0.what": "Train", "f.rows.0.cost": "100", "f.rows.3.what": "Hotel",
        "f.rows.3.cost": "50.5"})
    assert response.status_code == 302, response.context and response.context["errors"]
    request = Request.objects.get()
    photo = Attachment.objects.get(name="p.png")
    assert request.form_data == {
        "title": "Survey trip", "notes": "Two days", "count": 3, "price": "2.50",
        "day": "2026-03-02",
        "trip": {"start": "2026-03-02", "end": "2026-03-08", "days": "5",
                 "calendar": "Monday to Friday"},
        "kind": "a", "tags": ["x", "y"], "buddy": people["colleague"].pk,
        "unit": museum["security"].pk, "files": [attachment_id], "photo": [photo.pk],
        "total": 7.5,
        "rows": [{"what": "Train", "cost": "100.00"}, {"what": "Hotel", "cost": "50.50"}]}
    assert set(Attachment.objects.filter(request=request).values_list("pk", flat=True)) == {
        attachment_id, photo.pk}


def test_choosing_approvers_at_submit(client_for: Any, people: dict[str, Any],
                                      publish: Callable[..., Process]) -> None:
    publish("pick", [{"name": "why", "type": "text", "label": label("原因", "Why")}],
            {"settings": {}, "nodes": [{"id": "chosen", "type": "approval", "name": "Chosen",
                                        "approvers": [{"kind": "applicant_choice"}]}]})
    client = client_for(people["applicant"])
    body = client.get("/approvals/new/pick/").content.decode()
    assert 'name="approvers.chosen"' in body
    missing = client.post("/approvals/new/pick/", {"f.why": "x"})
    assert missing.status_code == 422
    assert missing.context["steps"][0].error == "Choose who approves at step Chosen."
    done = client.post("/approvals/new/pick/", {
        "f.why": "x", "approvers.chosen": f"{people['guard'].pk}, {people['clerk'].pk}"})
    assert done.status_code == 302
    request = Request.objects.get()
    assert request.chosen_approvers == {"chosen": [people["guard"].pk, people["clerk"].pk]}


# --- The request page and acting ---------------------------------------------------------------

def test_request_page_shows_values_path_and_history(client_for: Any, people: dict[str, Any],
                                                    submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    services.do_approve(people["lab_head"], request.number, comment="Fine by me")
    response = client_for(people["applicant"]).get(f"/approvals/r/{request.number}/")
    context = response.context
    values = {row["label"]: row.get("value") for row in context["values"]}
    assert values["Purpose"] == "Japanese tissue for the scroll repair"
    assert values["Amount"] == "CNY 1,200.00"
    table = next(row for row in context["values"] if row["table"])
    assert table["rows"] == [["Kozo tissue", "CNY 800.00"], ["Wheat starch", "CNY 400.00"]]
    assert table["totals"] == ["", "1,200.00"]
    steps = [(step.node_id, step.state, [(e.person, e.status, e.comment) for e in step.entries])
             for step in context["path"]]
    assert steps == [
        ("lab", "done", [(people["lab_head"].display_name, "approved", "Fine by me")]),
        ("department", "current", [(people["conservation_head"].display_name, "pending",
                                    "")]),
        ("big", "upcoming", []),
        ("tell_hr", "upcoming", []),
    ]
    assert [entry["action"].kind for entry in context["history"]] == ["submitted", "approved"]
    body = response.content.decode()
    assert "Fine by me" in body
    assert f'href="/approvals/r/{request.number}/record.pdf"' in body
    # the applicant may urge and withdraw, and has no task to decide
    assert context["panel"]["tasks"] == []
    assert context["panel"]["may_urge"] and context["panel"]["may_withdraw"]


def test_approver_approves_through_the_act_view(client_for: Any, people: dict[str, Any],
                                                submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    client = client_for(people["lab_head"])
    body = client.get(f"/approvals/r/{request.number}/").content.decode()
    assert 'name="action" value="approve"' in body
    response = client.post(f"/approvals/r/{request.number}/act/", {
        "action": "approve", "comment": "Agreed",
        "files": SimpleUploadedFile("note.txt", b"ok", content_type="text/plain")})
    assert response.status_code == 302
    assert response.url == f"/approvals/r/{request.number}/"
    assert messages_of(response) == [f"You approved {request.number}."]
    action = Action.objects.get(request=request, kind="approved")
    assert (action.actor, action.comment) == (people["lab_head"], "Agreed")
    assert [Attachment.objects.get(pk=i).name for i in action.attachments] == ["note.txt"]
    # when the lab head tries again
    again = client.post(f"/approvals/r/{request.number}/act/", {"action": "approve"})
    # then the page says it was dealt with, and nothing changed
    assert messages_of(again) == ["This could not be done: Nothing here waits for you."]
    assert Action.objects.filter(request=request, kind="approved").count() == 1


def test_reject_needs_a_reason_and_can_return_to_the_applicant(
        client_for: Any, people: dict[str, Any], submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    client = client_for(people["lab_head"])
    url = f"/approvals/r/{request.number}/act/"
    no_reason = client.post(url, {"action": "reject", "target": "applicant"})
    assert messages_of(no_reason) == ["Say why, for the applicant."]
    request.refresh_from_db()
    assert request.status == "running"
    client.post(url, {"action": "reject", "target": "applicant", "comment": "Add a quote"})
    request.refresh_from_db()
    assert request.status == "returned"
    # the applicant now may edit and resubmit
    applicant = client_for(people["applicant"])
    page_ = applicant.get(f"/approvals/r/{request.number}/")
    assert page_.context["panel"]["may_resubmit"]
    form = applicant.get(f"/approvals/r/{request.number}/resubmit/")
    assert form.status_code == 200
    assert {view.name: view.text for view in form.context["fields"]}["purpose"] == \
        "Japanese tissue for the scroll repair"
    sent = applicant.post(f"/approvals/r/{request.number}/resubmit/", {
        **EXPENSE_POST, "f.purpose": "Tissue and a quote", "comment": "Quote attached"})
    assert sent.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.form_data["purpose"]) == ("running", "Tissue and a quote")
    assert Action.objects.filter(request=request).last().kind in ("resubmitted", "approved")


def test_reject_to_an_earlier_step(client_for: Any, people: dict[str, Any],
                                   submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    services.do_approve(people["lab_head"], request.number)
    client = client_for(people["conservation_head"])
    response = client.get(f"/approvals/r/{request.number}/")
    assert response.context["panel"]["tasks"][0]["targets"] == [("lab", "Lab head")]
    client.post(f"/approvals/r/{request.number}/act/", {"action": "reject", "target": "lab",
                                                        "comment": "Lab head, check again"})
    assert Task.objects.get(request=request, assignee=people["lab_head"],
                            status="pending") is not None


def test_transfer_and_add_approver(client_for: Any, people: dict[str, Any],
                                   submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    url = f"/approvals/r/{request.number}/act/"
    lab = client_for(people["lab_head"])
    bad = lab.post(url, {"action": "transfer", "person": "nobody"})
    assert messages_of(bad) == ["Choose one person."]
    lab.post(url, {"action": "transfer", "person": str(people["colleague"].pk),
                   "comment": "Please take this"})
    assert list(Task.objects.filter(request=request).order_by("key")
                .values_list("assignee__username", "status")) == [
        ("labhead", "transferred"), ("colleague", "pending")]
    colleague = client_for(people["colleague"])
    colleague.post(url, {"action": "add_before", "person": str(people["clerk"].pk)})
    assert Task.objects.get(request=request, status="pending").assignee == people["clerk"]


def test_applicant_withdraws_and_urges(client_for: Any, people: dict[str, Any],
                                       submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    client = client_for(people["applicant"])
    url = f"/approvals/r/{request.number}/act/"
    urged = client.post(url, {"action": "urge"})
    assert messages_of(urged) == ["The approvers are reminded."]
    again = client.post(url, {"action": "urge"})
    assert messages_of(again) == ["This could not be done: You urged the approvers a few "
                                  "minutes ago; give them time."]
    # the approver may not withdraw the applicant's request
    assert messages_of(client_for(people["lab_head"]).post(url, {"action": "withdraw"})) == [
        "Only the applicant can withdraw a request."]
    client.post(url, {"action": "withdraw"})
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_anyone_who_reads_may_comment_with_a_file(client_for: Any, people: dict[str, Any],
                                                  submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    client = client_for(people["overseer"])
    client.post(f"/approvals/r/{request.number}/act/", {
        "action": "comment", "comment": "Seen",
        "files": SimpleUploadedFile("a.txt", b"a", content_type="text/plain")})
    action = Action.objects.get(request=request, kind="commented")
    assert (action.actor, action.comment) == (people["overseer"], "Seen")
    history = client.get(f"/approvals/r/{request.number}/").context["history"]
    assert history[-1]["files"] == [{"name": "a.txt", "url": reverse(
        "workflows:attachment", args=[action.attachments[0]])}]


def test_overseer_reassigns_a_task(client_for: Any, people: dict[str, Any],
                                   submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    client = client_for(people["overseer"])
    panel = client.get(f"/approvals/r/{request.number}/").context["panel"]
    key = panel["reassignable"][0]["key"]
    client.post(f"/approvals/r/{request.number}/act/", {
        "action": "reassign", "task": str(key), "person": str(people["clerk"].pk),
        "comment": "Lab head is away"})
    assert Task.objects.get(request=request, status="pending").assignee == people["clerk"]
    # the applicant is no overseer and gets nothing to reassign
    assert client_for(people["applicant"]).get(
        f"/approvals/r/{request.number}/").context["panel"]["reassignable"] == []


# --- Attachments ------------------------------------------------------------------------------

def test_attachment_access_rules(client_for: Any, people: dict[str, Any],
                                 expense: Process) -> None:
    applicant = client_for(people["applicant"])
    uploaded = applicant.post("/approvals/attachments/", {
        "file": SimpleUploadedFile("quote.txt", b"the quote", content_type="text/plain")})
    attachment_id = uploaded.json()["id"]
    url = f"/approvals/attachments/{attachment_id}/"
    # before it is used, only its uploader may fetch it
    response = applicant.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"the quote"
    assert response["Content-Disposition"] == 'attachment; filename="quote.txt"'
    assert client_for(people["lab_head"]).get(url).status_code == 404
    # once it is part of a request, whoever may read the request may fetch it
    services.do_submit_request(people["applicant"], "expense", {
        **EXPENSE_DATA, "purpose": "With a quote"})
    request = Request.objects.get()
    services.do_comment(people["applicant"], request.number, comment="quote",
                        attachments=[attachment_id])
    assert client_for(people["lab_head"]).get(url).status_code == 200
    for who in ("colleague", "outsider", "guard"):
        assert client_for(people[who]).get(url).status_code == 404, who
    assert applicant.get("/approvals/attachments/999999/").status_code == 404


def test_images_are_shown_inline(client_for: Any, people: dict[str, Any],
                                 expense: Process) -> None:
    client = client_for(people["applicant"])
    uploaded = client.post("/approvals/attachments/", {
        "file": SimpleUploadedFile("p.png", png(), content_type="image/png")})
    assert uploaded.json()["is_image"] is True
    response = client.get(f"/approvals/attachments/{uploaded.json()['id']}/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="p.png"'


def test_upload_errors_answer_json(client_for: Any, people: dict[str, Any],
                                   expense: Process) -> None:
    client = client_for(people["applicant"])
    assert client.post("/approvals/attachments/", {}).json()["fields"] == {
        "file": "Choose a file."}
    bad = client.post("/approvals/attachments/", {
        "file": SimpleUploadedFile("p.png", b"not a png", content_type="image/png")})
    assert bad.status_code == 422
    assert bad.json()["fields"] == {"file": "p.png is not a readable image."}
    assert client.get("/approvals/attachments/").status_code == 405
    outsider = client_for(people["outsider"]).post("/approvals/attachments/", {
        "file": SimpleUploadedFile("a.txt", b"a", content_type="text/plain")})
    assert outsider.status_code == 403
    assert not Attachment.objects.exists()


# --- Delegations ----------------------------------------------------------------------------

def test_delegation_create_and_end(client_for: Any, people: dict[str, Any],
                                   expense: Process) -> None:
    client = client_for(people["lab_head"])
    assert client.get("/approvals/delegations/").status_code == 200
    zone = timezone.get_default_timezone()
    start = (timezone.localdate() + dt.timedelta(days=1))
    response = client.post("/approvals/delegations/", {
        "action": "create", "delegate": str(people["colleague"].pk),
        "starts_at": f"{start.isoformat()}T08:00",
        "ends_at": f"{(start + dt.timedelta(days=7)).isoformat()}T18:00",
        "processes": [str(expense.pk)], "reason": "Holiday"})
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.person, delegation.delegate, delegation.reason) == (
        people["lab_head"], people["colleague"], "Holiday")
    assert delegation.starts_at == dt.datetime.combine(start, dt.time(8, 0), tzinfo=zone)
    assert list(delegation.processes.all()) == [expense]
    listed = client.get("/approvals/delegations/")
    assert [(row["person"], row["state"]) for row in listed.context["mine"]] == [
        (people["colleague"].display_name, "planned")]
    assert [row["person"] for row in client_for(people["colleague"]).get(
        "/approvals/delegations/").context["for_me"]] == [people["lab_head"].display_name]
    # someone else cannot end it
    assert client_for(people["clerk"]).post("/approvals/delegations/", {
        "action": "end", "delegation": str(delegation.pk)}).status_code == 404
    delegation.refresh_from_db()
    assert delegation.ended_at is None
    client.post("/approvals/delegations/", {"action": "end", "delegation": str(delegation.pk)})
    delegation.refresh_from_db()
    assert delegation.ended_at is not None


def test_delegation_errors_are_shown(client_for: Any, people: dict[str, Any],
                                     expense: Process) -> None:
    client = client_for(people["lab_head"])
    response = client.post("/approvals/delegations/", {
        "action": "create", "delegate": str(people["lab_head"].pk),
        "starts_at": "2026-05-08T08:00", "ends_at": "2026-05-01T18:00"})
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "delegate": ["Choose someone else as the stand-in."],
        "ends_at": ["The end comes before the start."]}
    assert not Delegation.objects.exists()


def test_pages_fit_a_phone(client_for: Any, people: dict[str, Any],
                           submit: Callable[..., Request]) -> None:
    # the inbox is a list, not a wide table, and every page sets the phone viewport
    request = submit(people["applicant"])
    client = client_for(people["lab_head"])
    inbox = client.get("/approvals/").content.decode()
    assert '<ul class="list wf-requests">' in inbox
    assert "<table" not in inbox
    detail = client.get(f"/approvals/r/{request.number}/").content.decode()
    assert re.search(r'<meta name="viewport" content="width=device-width', detail)
    assert 'class="wf-value-table"' in detail
