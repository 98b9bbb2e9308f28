"""Every approvals endpoint, called by four actors: anonymous, a member without the
permission, a member with it, and an administrator. Denied callers get the error envelope
with nothing of the data in it, and the database is unchanged.

For a request, "with the permission" is the person the action is for (the approver whose
task waits, the applicant, an overseer of the applicant's department) and "without" a staff
member with no part in it, to whom it does not exist (404). The administrator, who oversees
every department, reads every request and may reassign its tasks, but acts only where the
flow lets them: approving a task that waits for someone else is a conflict (409), and the
applicant's own actions are refused (403)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from taihe.kernel.testing.matrix import Call, assert_allowed, assert_denied
from taihe.modules.workflows import services
from taihe.modules.workflows.models import Process
from tests.modules.workflows.conftest import EXPENSE_FORM

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "without", "with", "admin")
P = "/api/v1/workflows"
SECRETS = ["Secret scroll", "Kozo tissue"]

READ = {"anonymous": 401, "without": 200, "with": 200, "admin": 200}
HIDDEN = {"anonymous": 401, "without": 404, "with": 200, "admin": 200}
FORBIDDEN_READ = {"anonymous": 401, "without": 403, "with": 200, "admin": 200}
CREATE = {"anonymous": 401, "without": 403, "with": 201, "admin": 201}
WRITE = {"anonymous": 401, "without": 403, "with": 200, "admin": 200}
TASK = {"anonymous": 401, "without": 404, "with": 200, "admin": 409}
"""An action on a task waiting for the caller: the administrator has none."""
APPLICANT = {"anonymous": 401, "without": 404, "with": 200, "admin": 403}
"""An action only the applicant may take."""

DATA = {"purpose": "Secret scroll repair", "amount": "1200",
        "items": [{"thing": "Kozo tissue", "cost": "1200"}]}
FLOW = {"settings": {"dedup": "none", "auto_approve_applicant": True, "on_empty": "skip"},
        "nodes": [
            {"id": "lab", "type": "approval", "name": "Lab head",
             "approvers": [{"kind": "manager", "levels": 1}]},
            {"id": "department", "type": "approval", "name": "Department head",
             "approvers": [{"kind": "manager", "levels": 2}]}]}


@dataclass
class Case:
    name: str
    method: str
    route: str
    """The OpenAPI path template this case covers (checked against the built call)."""
    build: Callable[[dict[str, Any]], Call]
    expected: dict[str, int]
    holder: str = "applicant"
    without: str = "colleague"
    filtered: Callable[[Any], bool] | None = None
    """For reads that answer 200 to the unpermitted member: what the empty answer is."""


def empty_page(body: Any) -> bool:
    return body == {"items": [], "count": 0}


def empty_list(body: Any) -> bool:
    return body == []


def no_counts(body: Any) -> bool:
    return body == {"todo": 0, "cc_unread": 0}


_counter = {"n": 0}


def n() -> int:
    _counter["n"] += 1
    return _counter["n"]


def _request(c: dict[str, Any], *, stage: str = "submitted") -> str:
    """A fresh claim by the applicant: waiting for the lab head (``submitted``), returned
    to the applicant (``returned``) or approved (``approved``)."""
    people = c["people"]
    number = services.do_submit_request(people["applicant"], "matrix", DATA).number
    if stage == "returned":
        services.do_reject(people["lab_head"], number, to="applicant", comment="Receipts?")
    elif stage == "approved":
        services.do_approve(people["lab_head"], number)
        services.do_approve(people["conservation_head"], number)
    return number


def _delegation(c: dict[str, Any]) -> int:
    people = c["people"]
    now = timezone.now()
    return services.do_create_delegation(
        people["lab_head"], delegate_id=people["director"].pk, starts_at=now,
        ends_at=now + dt.timedelta(days=3), reason="Secret conference").pk


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("quote.txt", b"800 + 400", content_type="text/plain")


def _document(c: dict[str, Any]) -> dict[str, Any]:
    return {**services.export_process(c["process"]), "code": f"imported-{n()}"}


def _req(path: str = "") -> Callable[[dict[str, Any]], str]:
    return lambda c: f"{P}/requests/{_request(c)}{path}"


R = f"{P}/requests/{{number}}"
D = f"{P}/designer/processes/{{process_id}}"
CASES = [
    # --- starting a request
    Case("processes", "GET", f"{P}/processes",
         lambda c: Call("GET", f"{P}/processes"), READ, without="outsider",
         filtered=empty_list),
    Case("process form", "GET", f"{P}/processes/{{code}}",
         lambda c: Call("GET", f"{P}/processes/matrix", secrets=["Secret"]), FORBIDDEN_READ,
         without="outsider"),
    Case("submit", "POST", f"{P}/requests",
         lambda c: Call("POST", f"{P}/requests", {"process": "matrix", "data": DATA}),
         CREATE, without="outsider"),
    # --- reading requests
    Case("inbox", "GET", f"{P}/requests",
         lambda c: Call("GET", f"{P}/requests?box=all&x={_request(c)}", secrets=SECRETS),
         READ, filtered=empty_page),
    Case("request", "GET", R,
         lambda c: Call("GET", _req()(c), secrets=SECRETS), HIDDEN),
    Case("counts", "GET", f"{P}/counts",
         lambda c: Call("GET", f"{P}/counts?x={_request(c)}"), READ, holder="lab_head",
         without="outsider", filtered=no_counts),
    # --- acting on a request
    Case("approve", "POST", f"{R}/approve",
         lambda c: Call("POST", _req("/approve")(c), {"comment": "Fine"}, secrets=SECRETS),
         TASK, holder="lab_head"),
    Case("reject", "POST", f"{R}/reject",
         lambda c: Call("POST", _req("/reject")(c), {"comment": "Too dear"},
                        secrets=SECRETS), TASK, holder="lab_head"),
    Case("transfer", "POST", f"{R}/transfer",
         lambda c: Call("POST", _req("/transfer")(c), {"to": c["people"]["director"].pk},
                        secrets=SECRETS), TASK, holder="lab_head"),
    Case("add approver", "POST", f"{R}/add-approver",
         lambda c: Call("POST", _req("/add-approver")(c),
                        {"person": c["people"]["clerk"].pk, "position": "before"},
                        secrets=SECRETS), TASK, holder="lab_head"),
    Case("withdraw", "POST", f"{R}/withdraw",
         lambda c: Call("POST", _req("/withdraw")(c), {"comment": "Bought it"},
                        secrets=SECRETS), APPLICANT),
    Case("resubmit", "POST", f"{R}/resubmit",
         lambda c: Call("POST", f"{P}/requests/{_request(c, stage='returned')}/resubmit",
                        {"data": DATA, "comment": "Receipts added"}, secrets=SECRETS),
         APPLICANT),
    Case("comment", "POST", f"{R}/comment",
         lambda c: Call("POST", _req("/comment")(c), {"comment": "Any news?"},
                        secrets=SECRETS), HIDDEN),
    Case("urge", "POST", f"{R}/urge",
         lambda c: Call("POST", _req("/urge")(c), secrets=SECRETS), APPLICANT),
    Case("cancel", "POST", f"{R}/cancel",
         lambda c: Call("POST", f"{P}/requests/{_request(c, stage='approved')}/cancel",
                        {"reason": "Called off"}, secrets=SECRETS),
         {**APPLICANT, "with": 201}),
    Case("reassign", "POST", f"{R}/tasks/{{key}}/reassign",
         lambda c: Call("POST", _req("/tasks/1/reassign")(c),
                        {"to": c["people"]["director"].pk, "comment": "Lab head abroad"},
                        secrets=SECRETS), HIDDEN, holder="overseer", without="lab_head"),
    # --- attachments and delegations
    Case("upload", "POST", f"{P}/attachments",
         lambda c: Call("POST", f"{P}/attachments", files={"file": _upload()}), CREATE,
         without="outsider"),
    Case("delegations", "GET", f"{P}/delegations",
         lambda c: Call("GET", f"{P}/delegations?x={_delegation(c)}",
                        secrets=["Secret conference"]), READ, holder="lab_head",
         without="outsider", filtered=empty_list),
    Case("create delegation", "POST", f"{P}/delegations",
         lambda c: Call("POST", f"{P}/delegations", {
             "delegate": c["people"]["colleague"].pk, "starts_at": "2025-01-01T09:00:00",
             "ends_at": "2025-01-05T18:00:00", "reason": f"Holiday {n()}"}), CREATE,
         holder="lab_head", without="outsider"),
    Case("end delegation", "POST", f"{P}/delegations/{{delegation_id}}/end",
         lambda c: Call("POST", f"{P}/delegations/{_delegation(c)}/end",
                        secrets=["Secret conference"]), HIDDEN, holder="lab_head"),
    # --- designer
    Case("designer list", "GET", f"{P}/designer/processes",
         lambda c: Call("GET", f"{P}/designer/processes", secrets=["Secret"]),
         FORBIDDEN_READ, holder="hr"),
    Case("designer create", "POST", f"{P}/designer/processes",
         lambda c: Call("POST", f"{P}/designer/processes",
                        {"code": f"new-{n()}", "name_zh": "新审批", "form": EXPENSE_FORM}),
         CREATE, holder="hr"),
    Case("designer import", "POST", f"{P}/designer/processes/import",
         lambda c: Call("POST", f"{P}/designer/processes/import", _document(c)), CREATE,
         holder="hr"),
    Case("designer get", "GET", D,
         lambda c: Call("GET", f"{P}/designer/processes/{c['process'].pk}",
                        secrets=["Secret"]), FORBIDDEN_READ, holder="hr"),
    Case("designer save", "PATCH", D,
         lambda c: Call("PATCH", f"{P}/designer/processes/{c['process'].pk}",
                        {"description": f"Edited {n()}"}), WRITE, holder="hr"),
    Case("designer check", "POST", f"{D}/check",
         lambda c: Call("POST", f"{P}/designer/processes/{c['process'].pk}/check", {},
                        secrets=["Secret"]), WRITE, holder="hr"),
    Case("designer publish", "POST", f"{D}/publish",
         lambda c: Call("POST", f"{P}/designer/processes/{c['process'].pk}/publish",
                        {"note": f"Round {n()}"}), WRITE, holder="hr"),
    Case("designer export", "GET", f"{D}/export",
         lambda c: Call("GET", f"{P}/designer/processes/{c['process'].pk}/export",
                        secrets=["Secret"]), FORBIDDEN_READ, holder="hr"),
    Case("field types", "GET", f"{P}/designer/field-types",
         lambda c: Call("GET", f"{P}/designer/field-types", secrets=["formula"]),
         FORBIDDEN_READ, holder="hr"),
]


def covered_operations() -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every case, for the directory's meta-test."""
    return {(case.method, case.route) for case in CASES}


@pytest.fixture
def ctx(people: dict[str, Any], publish: Callable[..., Process]) -> dict[str, Any]:
    process = publish("matrix", EXPENSE_FORM, FLOW, name_zh="矩阵报销",
                      name_en="Matrix claim", description="Secret budget line")
    process.cancellation_process = Process.objects.get(code="cancellation")
    process.save(update_fields=["cancellation_process"])
    return {"people": people, "process": process}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_four_actors(case: Case, ctx: dict[str, Any], client_for: Callable[[Any], Client],
                     run_commit_hooks: Any) -> None:
    people = ctx["people"]
    callers = {"anonymous": None, "without": people[case.without],
               "with": people[case.holder], "admin": people["admin"]}
    for actor in ACTORS:
        call = case.build(ctx)
        client = client_for(callers[actor])
        status = case.expected[actor]
        if status >= 400:
            assert_denied(client, call, status)
        elif actor == "without" and case.filtered is not None:
            response = assert_allowed(client, call, status)
            assert case.filtered(response.json()), (case.name, response.json())
        else:
            with run_commit_hooks():
                assert_allowed(client, call, status)


def test_case_routes_match_their_calls(ctx: dict[str, Any]) -> None:
    """Each case's declared route is the one its call reaches, and every workflows
    operation of the OpenAPI document has a case."""
    spec = Client().get("/api/v1/openapi.json").json()
    for case in CASES:
        call = case.build(ctx)
        assert call.method == case.method, case.name
        sample = case.route
        for part, value in (("{number}", "AP-2026-000001"), ("{code}", "leave"),
                            ("{key}", "1"), ("{process_id}", "1"),
                            ("{delegation_id}", "1")):
            sample = sample.replace(part, value)
        assert resolve(urlsplit(call.path).path).route == resolve(sample).route, case.name
        assert call.method.lower() in spec["paths"][case.route], case.name
    declared = {(method.upper(), path) for path, item in spec["paths"].items()
                if path.startswith(f"{P}/") for method in item}
    assert covered_operations() == declared
