"""The write path of approvals against the database: submitting (field errors, who may
start what, numbers), every action on a request, the history it leaves, the task rows that
mirror the engine's state, copies, notifications and versions."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from PIL import Image

from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.testing.events import captured_events
from taihe.modules.notifications.models import Notification
from taihe.modules.workflows import services
from taihe.modules.workflows.models import (
    Action,
    Attachment,
    CarbonCopy,
    Process,
    Request,
    RequestCounter,
    Task,
)
from tests.modules.workflows.conftest import EXPENSE_DATA, EXPENSE_FLOW, EXPENSE_FORM, label

# --- helpers -------------------------------------------------------------------------------


def tasks_of(request: Request) -> list[tuple[str, str, str]]:
    """(node, assignee's username, status) of every task row, in key order."""
    return [(t.node_id, t.assignee.username, t.status)
            for t in Task.objects.filter(request=request).select_related("assignee")
            .order_by("key")]


def history_of(request: Request) -> list[tuple[str, str | None]]:
    """(kind, actor's username) of every history row, in order."""
    return [(a.kind, a.actor.username if a.actor else None)
            for a in Action.objects.filter(request=request).select_related("actor")
            .order_by("at", "id")]


def assert_projection(request: Request) -> None:
    """The task rows say exactly what the engine state says."""
    request.refresh_from_db()
    rows = list(Task.objects.filter(request=request).order_by("key").values_list(
        "key", "node_id", "kind", "assignee_id", "status", "round", "superseded", "auto",
        "added", "delegated_from_id"))
    state = sorted(request.state["tasks"], key=lambda t: t["key"])
    assert rows == [(t["key"], t["node_id"], t["kind"], t["assignee"], t["status"], t["round"],
                     t["superseded"], t["auto"], t["added"], t["delegated_from"])
                    for t in state]


def amount(value: str) -> dict[str, Any]:
    return {**EXPENSE_DATA, "amount": value}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def notified(category: str) -> list[str]:
    return sorted(Notification.objects.filter(category=category)
                  .values_list("recipient__username", flat=True))


PEOPLE_FORM = [{"name": "note", "type": "text", "label": label("说明", "Note")}]


def flow(*nodes: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"settings": {"dedup": "none", "auto_approve_applicant": True, "on_empty": "skip",
                         **settings}, "nodes": list(nodes)}


def step(node_id: str, ids: list[int], mode: str = "sequential", kind: str = "approval"
         ) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "type": kind, "name": node_id.title(),
                            "approvers": [{"kind": "people", "ids": ids}]}
    if kind == "approval":
        node["mode"] = mode
    return node


# --- submitting ----------------------------------------------------------------------------


def test_a_submission_with_bad_values_names_every_field_and_stores_nothing(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    # given a purpose left empty, an amount that is no number and two bad item rows
    data = {"purpose": "  ", "amount": "twelve",
            "items": [{"thing": "Kozo", "cost": "1.234"}, {"thing": "", "cost": "-5"}]}
    # when the applicant submits
    with pytest.raises(ValidationFailed) as raised:
        submit(people["applicant"], data)
    # then each problem is named by its field, table cells by row number and column
    assert raised.value.fields == {
        "purpose": "This field is required.",
        "amount": "Enter a number.",
        "items[1].cost": "Money has at most two decimal places.",
        "items[2].thing": "This field is required.",
        "items[2].cost": "Enter 0 or more.",
    }
    assert (Request.objects.count(), Action.objects.count(), Task.objects.count(),
            RequestCounter.objects.count()) == (0, 0, 0, 0)


def test_an_empty_table_below_its_minimum_rows_is_refused(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    with pytest.raises(ValidationFailed) as raised:
        submit(people["applicant"], {**EXPENSE_DATA, "items": "not a table"})
    assert raised.value.fields == {"items": "Enter the table as a list of rows."}


def test_approvers_the_applicant_must_choose_are_named_by_step(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    # given an approval whose second step the applicant picks
    publish("pick", PEOPLE_FORM, flow(
        step("lab", [people["lab_head"].pk]),
        {"id": "expert", "type": "approval", "name": "Expert", "mode": "any",
         "approvers": [{"kind": "applicant_choice"}]}))
    applicant = people["applicant"]
    # when nobody, or an inactive person, is chosen
    people["guard"].is_active = False
    people["guard"].save(update_fields=["is_active"])
    for chosen in (None, {"expert": []}, {"expert": [people["guard"].pk]}, {"expert": ["x"]}):
        with pytest.raises(ValidationFailed) as raised:
            services.do_submit_request(applicant, "pick", {"note": "n"}, chosen=chosen)
        # then the error names the step
        assert raised.value.fields == {"approvers.expert": "Choose who approves at step Expert."}
    # and a proper choice is kept on the request and used when the step is reached
    request = services.do_submit_request(applicant, "pick", {"note": "n"},
                                         chosen={"expert": [people["clerk"].pk,
                                                            people["clerk"].pk]})
    assert request.chosen_approvers == {"expert": [people["clerk"].pk]}
    services.do_approve(people["lab_head"], request.number)
    assert tasks_of(request) == [("lab", "labhead", "approved"), ("expert", "clerk", "pending")]


def test_who_may_start_what(people: dict[str, Any], publish: Callable[..., Process],
                            museum: dict[str, Any]) -> None:
    # given an open approval for everyone, one for conservation only, a closed one and one
    # that was created but never published
    publish("everyone", PEOPLE_FORM, flow(step("a", [people["clerk"].pk])))
    publish("conservation_only", PEOPLE_FORM, flow(step("a", [people["clerk"].pk])),
            starter_departments=[museum["conservation"].pk])
    publish("closed", PEOPLE_FORM, flow(step("a", [people["clerk"].pk])), is_active=False)
    services.do_create_process(people["hr"], {"code": "draft_only", "name_zh": "草稿"})

    def codes(person: Any) -> list[str]:
        return sorted(p.code for p in services.startable_processes(person)
                      if not p.is_builtin)

    # then the lab member (below conservation) may start both open ones, the guard only
    # the general one, and someone without a role nothing at all
    assert codes(people["applicant"]) == ["conservation_only", "everyone"]
    assert codes(people["guard"]) == ["everyone"]
    assert services.startable_processes(people["outsider"]) == []
    # and submitting follows the same rules
    with pytest.raises(PermissionDenied):
        services.do_submit_request(people["guard"], "conservation_only", {})
    with pytest.raises(PermissionDenied):
        services.do_submit_request(people["outsider"], "everyone", {})
    with pytest.raises(Conflict):
        services.do_submit_request(people["applicant"], "closed", {})
    with pytest.raises(NotFound):
        services.do_submit_request(people["applicant"], "draft_only", {})
    with pytest.raises(NotFound):
        services.do_submit_request(people["applicant"], "no_such_code", {})
    assert Request.objects.count() == 0


def test_the_cancellation_approval_cannot_be_started_on_its_own(
        people: dict[str, Any]) -> None:
    assert "cancellation" not in [p.code for p in
                                  services.startable_processes(people["applicant"])]


def test_request_numbers_count_up_within_the_year(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    year = timezone.localtime().year
    numbers = [submit(people["applicant"]).number for _ in range(3)]
    assert numbers == [f"AP-{year}-000001", f"AP-{year}-000002", f"AP-{year}-000003"]
    RequestCounter.objects.filter(year=year).update(last=41)
    assert submit(people["colleague"]).number == f"AP-{year}-000042"


# --- the whole flow --------------------------------------------------------------------------


def test_a_large_amount_goes_through_the_chain_to_the_director(
        people: dict[str, Any], submit: Callable[..., Request], run_commit_hooks: Any) -> None:
    # given an expense over 50 000
    with run_commit_hooks():
        request = submit(people["applicant"], amount("80000"))
    # then the lab head has it first, and the request reads as the form says
    assert (request.status, request.version.number, request.department_id) == (
        "running", 1, people["applicant"].department_id)
    assert request.form_data == {
        "purpose": "Japanese tissue for the scroll repair", "amount": "80000.00",
        "items": [{"thing": "Kozo tissue", "cost": "800.00"},
                  {"thing": "Wheat starch", "cost": "400.00"}]}
    assert tasks_of(request) == [("lab", "labhead", "pending")]
    assert notified("workflows.tasks") == ["labhead"]
    assert_projection(request)
    # when the lab head and the conservation head approve
    services.do_approve(people["lab_head"], request.number, comment="Needed for the scroll")
    assert tasks_of(request) == [("lab", "labhead", "approved"),
                                 ("department", "conshead", "pending")]
    assert_projection(request)
    services.do_approve(people["conservation_head"], request.number)
    # then the director must approve too
    assert tasks_of(request)[-1] == ("director", "director", "pending")
    assert_projection(request)
    with run_commit_hooks():
        services.do_approve(people["director"], request.number)
    request.refresh_from_db()
    assert (request.status, request.finished_at is not None) == ("approved", True)
    assert_projection(request)
    # and the history tells the whole story, with the comment where it was given
    assert history_of(request) == [
        ("submitted", "applicant"), ("approved", "labhead"), ("approved", "conshead"),
        ("approved", "director"), ("copied", None), ("finished", None)]
    comments = list(Action.objects.filter(request=request, kind="approved")
                    .values_list("node_id", "node_name", "comment"))
    assert comments == [("lab", "Lab head", "Needed for the scroll"),
                        ("department", "Department head", ""), ("director", "Director", "")]
    # and HR got a copy, the applicant the outcome
    assert list(CarbonCopy.objects.filter(request=request).values_list(
        "person__username", "node_id", "read_at")) == [("hr", "tell_hr", None)]
    assert notified("workflows.copies") == ["hr"]
    assert notified("workflows.outcomes") == ["applicant"]
    assert Action.objects.get(request=request, kind="copied").people == [people["hr"].pk]


def test_a_small_amount_skips_the_director(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"], amount("50000"))
    services.do_approve(people["lab_head"], request.number)
    services.do_approve(people["conservation_head"], request.number)
    request.refresh_from_db()
    assert request.status == "approved"
    assert tasks_of(request) == [("lab", "labhead", "approved"),
                                 ("department", "conshead", "approved")]


def test_countersign_needs_everyone_and_or_sign_needs_one(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    colleague, clerk = people["colleague"], people["clerk"]
    publish("all", PEOPLE_FORM, flow(step("both", [colleague.pk, clerk.pk], mode="all")))
    publish("any", PEOPLE_FORM, flow(step("either", [colleague.pk, clerk.pk], mode="any")))
    # countersign (会签): both pending at once, the request waits for the second
    together = services.do_submit_request(people["applicant"], "all", {})
    assert tasks_of(together) == [("both", "colleague", "pending"), ("both", "clerk", "pending")]
    services.do_approve(clerk, together.number)
    together.refresh_from_db()
    assert together.status == "running"
    services.do_approve(colleague, together.number)
    together.refresh_from_db()
    assert together.status == "approved"
    # or-sign (或签): the first approval decides and the other task is no longer needed
    either = services.do_submit_request(people["applicant"], "any", {})
    services.do_approve(clerk, either.number)
    either.refresh_from_db()
    assert either.status == "approved"
    assert tasks_of(either) == [("either", "colleague", "cancelled"),
                                ("either", "clerk", "approved")]
    assert_projection(either)
    with pytest.raises(Conflict) as raised:
        services.do_approve(colleague, either.number)
    assert raised.value.code == "not_pending"


def test_a_handler_step_is_marked_done(people: dict[str, Any],
                                       publish: Callable[..., Process]) -> None:
    publish("handled", PEOPLE_FORM, flow(step("archive", [people["clerk"].pk],
                                              kind="handler")))
    request = services.do_submit_request(people["applicant"], "handled", {})
    services.do_approve(people["clerk"], request.number)
    request.refresh_from_db()
    assert request.status == "approved"
    assert history_of(request)[1] == ("completed", "clerk")


def test_the_applicant_as_approver_is_approved_automatically(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    applicant = people["applicant"]
    publish("self", PEOPLE_FORM, flow(step("a", [applicant.pk, people["clerk"].pk])))
    request = services.do_submit_request(applicant, "self", {})
    assert tasks_of(request) == [("a", "applicant", "approved"), ("a", "clerk", "pending")]
    auto = Action.objects.get(request=request, kind="auto_approved")
    assert (auto.actor_id, auto.people, auto.detail) == (None, [applicant.pk], "applicant")
    assert Task.objects.get(request=request, assignee=applicant).auto == "applicant"


def test_a_step_without_approver_is_skipped_or_sent_to_the_administrators(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    # given the director, who has nobody above them
    director = people["director"]
    manager = {"id": "boss", "type": "approval", "name": "Boss", "mode": "sequential",
               "approvers": [{"kind": "manager", "levels": 1}]}
    publish("skip", PEOPLE_FORM, flow(manager, step("b", [people["clerk"].pk])))
    publish("admin", PEOPLE_FORM, flow({**manager, "on_empty": "admin"}))
    # then the step is skipped by the process's rule, or goes to the approvals managers
    skipped = services.do_submit_request(director, "skip", {})
    assert tasks_of(skipped) == [("b", "clerk", "pending")]
    assert history_of(skipped)[1] == ("skipped", None)
    routed = services.do_submit_request(director, "admin", {})
    assert {(node, who) for node, who, _status in tasks_of(routed)} == {("boss", "admin"),
                                                                         ("boss", "hr")}
    assert Task.objects.filter(request=routed, added="admin").count() == 2
    assert sorted(Action.objects.get(request=routed, kind="routed_to_admin").people) == sorted(
        [people["admin"].pk, people["hr"].pk])


def test_a_step_routed_to_the_administrators_needs_one_of_them(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    publish("admin", PEOPLE_FORM, flow({"id": "boss", "type": "approval", "name": "Boss",
                                        "mode": "sequential", "on_empty": "admin",
                                        "approvers": [{"kind": "manager", "levels": 1}]}))
    routed = services.do_submit_request(people["director"], "admin", {})
    assert sorted(status for _node, _who, status in tasks_of(routed)) == ["pending", "pending"]
    services.do_approve(people["hr"], routed.number)
    routed.refresh_from_db()
    assert routed.status == "approved"


# --- rejecting and returning --------------------------------------------------------------


def test_rejecting_needs_a_reason_and_ends_the_request(
        people: dict[str, Any], submit: Callable[..., Request], run_commit_hooks: Any) -> None:
    request = submit(people["applicant"])
    with pytest.raises(ValidationFailed) as raised:
        services.do_reject(people["lab_head"], request.number, comment="  ")
    assert raised.value.fields == {"comment": "Say why, for the applicant."}
    with run_commit_hooks():
        services.do_reject(people["lab_head"], request.number, comment="Too expensive")
    request.refresh_from_db()
    assert request.status == "rejected"
    assert tasks_of(request) == [("lab", "labhead", "rejected")]
    rejected = Action.objects.get(request=request, kind="rejected")
    assert (rejected.actor_id, rejected.comment, rejected.node_id) == (
        people["lab_head"].pk, "Too expensive", "lab")
    assert notified("workflows.outcomes") == ["applicant"]
    with pytest.raises(Conflict):
        services.do_approve(people["lab_head"], request.number)


def test_returned_to_the_applicant_and_resubmitted_as_a_new_round(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    # given a request the lab head returns for changes
    request = submit(people["applicant"])
    services.do_approve(people["lab_head"], request.number)
    services.do_reject(people["conservation_head"], request.number, to="applicant",
                       comment="Split the items")
    request.refresh_from_db()
    assert request.status == "returned"
    # when someone else tries to resubmit, or the applicant sends bad values
    with pytest.raises(PermissionDenied):
        services.do_resubmit(people["lab_head"], request.number, EXPENSE_DATA)
    with pytest.raises(ValidationFailed) as raised:
        services.do_resubmit(people["applicant"], request.number, amount("-1"))
    assert raised.value.fields == {"amount": "Enter 0 or more."}
    # then the applicant corrects it and it starts again from the first step
    services.do_resubmit(people["applicant"], request.number, amount("900"),
                         comment="Fixed")
    request.refresh_from_db()
    assert (request.status, request.form_data["amount"], request.state["round"]) == (
        "running", "900.00", 2)
    assert tasks_of(request) == [("lab", "labhead", "approved"),
                                 ("department", "conshead", "rejected"),
                                 ("lab", "labhead", "pending")]
    assert list(Task.objects.filter(request=request).order_by("key")
                .values_list("round", "superseded")) == [(1, True), (1, True), (2, False)]
    assert_projection(request)
    assert [kind for kind, _actor in history_of(request)] == [
        "submitted", "approved", "returned", "finished", "resubmitted"]
    # and resubmitting a running request is refused
    with pytest.raises(Conflict):
        services.do_resubmit(people["applicant"], request.number, EXPENSE_DATA)


def test_returned_to_an_earlier_step(people: dict[str, Any],
                                     submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    services.do_approve(people["lab_head"], request.number)
    with pytest.raises(ValidationFailed) as raised:
        services.do_reject(people["conservation_head"], request.number, to="director",
                           comment="x")
    assert raised.value.code == "bad_return_target"
    services.do_reject(people["conservation_head"], request.number, to="lab",
                       comment="Check the prices")
    request.refresh_from_db()
    assert request.status == "running"
    assert tasks_of(request) == [("lab", "labhead", "approved"),
                                 ("department", "conshead", "rejected"),
                                 ("lab", "labhead", "pending")]
    assert_projection(request)
    returned = Action.objects.get(request=request, kind="returned_to_step")
    assert (returned.detail, returned.comment, returned.node_id) == (
        "lab", "Check the prices", "department")


# --- transferring, adding approvers, withdrawing ------------------------------------------------


def test_transfer_hands_the_task_to_someone_else(people: dict[str, Any],
                                                 submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    lab_head, colleague = people["lab_head"], people["colleague"]
    with pytest.raises(ValidationFailed) as raised:
        services.do_transfer(lab_head, request.number, to=lab_head.pk)
    assert raised.value.code == "self_transfer"
    with pytest.raises(ValidationFailed) as raised:
        services.do_transfer(lab_head, request.number, to=999999)
    assert raised.value.fields == {"to": "No active person with this id."}
    services.do_transfer(lab_head, request.number, to=colleague.pk, comment="On leave")
    assert tasks_of(request) == [("lab", "labhead", "transferred"), ("lab", "colleague", "pending")]
    assert_projection(request)
    moved = Action.objects.get(request=request, kind="transferred")
    assert (moved.actor_id, moved.people, moved.comment) == (lab_head.pk, [colleague.pk],
                                                             "On leave")
    with pytest.raises(Conflict):
        services.do_approve(lab_head, request.number)
    services.do_approve(colleague, request.number)
    assert tasks_of(request)[-1] == ("department", "conshead", "pending")


def test_adding_an_approver_before_and_after(people: dict[str, Any],
                                             submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    lab_head, colleague, clerk = people["lab_head"], people["colleague"], people["clerk"]
    # before: the colleague approves first, then the lab head again
    services.do_add_approver(lab_head, request.number, person=colleague.pk, position="before")
    assert tasks_of(request) == [("lab", "labhead", "waiting"), ("lab", "colleague", "pending")]
    services.do_approve(colleague, request.number)
    assert tasks_of(request) == [("lab", "labhead", "pending"), ("lab", "colleague", "approved")]
    # after: the lab head approves now and the clerk must approve next
    services.do_add_approver(lab_head, request.number, person=clerk.pk, position="after")
    assert tasks_of(request) == [("lab", "labhead", "approved"), ("lab", "colleague", "approved"),
                                 ("lab", "clerk", "pending")]
    assert_projection(request)
    with pytest.raises(ValidationFailed) as raised:
        services.do_add_approver(clerk, request.number, person=colleague.pk, position="after")
    assert raised.value.code == "already_on_node"
    services.do_approve(clerk, request.number)
    assert tasks_of(request)[-1] == ("department", "conshead", "pending")
    assert [(a.kind, a.people) for a in Action.objects.filter(
        request=request, kind__in=["added_before", "added_after"]).order_by("id")] == [
        ("added_before", [colleague.pk]), ("added_after", [clerk.pk])]


def test_the_applicant_withdraws(people: dict[str, Any], submit: Callable[..., Request],
                                 run_commit_hooks: Any) -> None:
    request = submit(people["applicant"])
    with pytest.raises(PermissionDenied):
        services.do_withdraw(people["lab_head"], request.number)
    with pytest.raises(NotFound):
        services.do_withdraw(people["guard"], request.number)
    with run_commit_hooks():
        services.do_withdraw(people["applicant"], request.number, comment="Bought elsewhere")
    request.refresh_from_db()
    assert request.status == "withdrawn"
    assert tasks_of(request) == [("lab", "labhead", "cancelled")]
    assert_projection(request)
    assert history_of(request)[-2:] == [("withdrawn", "applicant"), ("finished", None)]
    with pytest.raises(Conflict):
        services.do_withdraw(people["applicant"], request.number)


# --- urging and commenting ---------------------------------------------------------------------


def test_urging_reminds_the_approvers_at_most_every_ten_minutes(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    Notification.objects.all().delete()
    with pytest.raises(PermissionDenied):
        services.do_urge(people["lab_head"], request.number)
    services.do_urge(people["applicant"], request.number)
    assert notified("workflows.tasks") == ["labhead"]
    urged = Action.objects.get(request=request, kind="urged")
    assert (urged.actor_id, urged.people) == (people["applicant"].pk, [people["lab_head"].pk])
    # nine minutes later: too soon
    Request.objects.filter(pk=request.pk).update(
        last_urged_at=timezone.now() - dt.timedelta(minutes=9))
    with pytest.raises(Conflict) as raised:
        services.do_urge(people["applicant"], request.number)
    assert raised.value.code == "urged_recently"
    # a little over ten minutes later: allowed again
    Request.objects.filter(pk=request.pk).update(
        last_urged_at=timezone.now() - dt.timedelta(minutes=10, seconds=1))
    services.do_urge(people["applicant"], request.number)
    assert Action.objects.filter(request=request, kind="urged").count() == 2
    services.do_withdraw(people["applicant"], request.number)
    with pytest.raises(Conflict):
        services.do_urge(people["applicant"], request.number)


def test_a_comment_with_a_file_goes_into_the_history(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    Notification.objects.all().delete()
    lab_head = people["lab_head"]
    upload = services.do_upload_attachment(
        lab_head, SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote",
                                     content_type="application/pdf"))
    assert (upload.name, upload.size, upload.is_image, upload.request_id) == (
        "quote.pdf", 14, False, None)
    # a comment needs text or a file, and only the uploader's unused files
    with pytest.raises(ValidationFailed) as raised:
        services.do_comment(lab_head, request.number, comment=" ")
    assert raised.value.fields == {"comment": "Say why, for the applicant."}
    with pytest.raises(ValidationFailed) as raised:
        services.do_comment(people["applicant"], request.number, comment="mine?",
                            attachments=[upload.pk])
    assert raised.value.fields == {
        "attachments": f"Upload the file again (attachment not found: {upload.pk})"}
    services.do_comment(lab_head, request.number, comment="See the quote",
                        attachments=[upload.pk])
    comment = Action.objects.get(request=request, kind="commented")
    assert (comment.actor_id, comment.comment, comment.attachments) == (
        lab_head.pk, "See the quote", [upload.pk])
    upload.refresh_from_db()
    assert upload.request_id == request.pk
    assert notified("workflows.tasks") == ["applicant"]
    # the file now belongs to the request: anyone who reads it may attach it again
    services.do_comment(people["applicant"], request.number, comment="Thanks",
                        attachments=[upload.pk])
    with pytest.raises(NotFound):
        services.do_comment(people["guard"], request.number, comment="hello")
    # the approval itself may carry a comment and files too
    second = services.do_upload_attachment(
        lab_head, SimpleUploadedFile("ok.txt", b"ok", content_type="text/plain"))
    services.do_approve(lab_head, request.number, comment="Fine", attachments=[second.pk])
    approved = Action.objects.get(request=request, kind="approved")
    assert (approved.comment, approved.attachments) == ("Fine", [second.pk])


def test_uploaded_images_are_verified(people: dict[str, Any],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    applicant = people["applicant"]
    image = services.do_upload_attachment(
        applicant, SimpleUploadedFile("scroll.png", png_bytes(), content_type="image/png"))
    assert (image.is_image, image.content_type, image.uploaded_by_id) == (
        True, "image/png", applicant.pk)
    with image.file.open("rb") as stored:
        assert stored.read() == png_bytes()
    with pytest.raises(ValidationFailed) as raised:
        services.do_upload_attachment(applicant, SimpleUploadedFile(
            "fake.png", b"not really a picture", content_type="image/png"))
    assert raised.value.fields == {"file": "fake.png is not a readable image."}
    monkeypatch.setattr(services, "MAX_UPLOAD", 10)
    with pytest.raises(ValidationFailed) as raised:
        services.do_upload_attachment(applicant, SimpleUploadedFile(
            "big.txt", b"x" * 11, content_type="text/plain"))
    assert raised.value.fields == {"file": "Files may be up to 20 MB."}
    with pytest.raises(PermissionDenied):
        services.do_upload_attachment(people["outsider"], SimpleUploadedFile(
            "a.txt", b"a", content_type="text/plain"))
    assert Attachment.objects.count() == 1


# --- cancelling an approved request -----------------------------------------------------------


def _approved(people: dict[str, Any], submit: Callable[..., Request]) -> Request:
    request = submit(people["applicant"])
    services.do_approve(people["lab_head"], request.number)
    services.do_approve(people["conservation_head"], request.number)
    request.refresh_from_db()
    assert request.status == "approved"
    return request


def test_cancelling_through_the_built_in_cancellation_approval(
        people: dict[str, Any], expense: Process, submit: Callable[..., Request],
        run_commit_hooks: Any) -> None:
    # given an expense approval cancelled through the built-in cancellation approval
    Process.objects.filter(pk=expense.pk).update(
        cancellation_process=Process.objects.get(code="cancellation"))
    running = submit(people["applicant"])
    with pytest.raises(Conflict):
        services.do_request_cancellation(people["applicant"], running.number, reason="x")
    original = _approved(people, submit)
    # when someone else, or the applicant without a reason, asks
    with pytest.raises(PermissionDenied):
        services.do_request_cancellation(people["lab_head"], original.number, reason="x")
    with pytest.raises(ValidationFailed):
        services.do_request_cancellation(people["applicant"], original.number, reason="")
    # then the applicant's request starts the cancellation approval
    cancellation = services.do_request_cancellation(people["applicant"], original.number,
                                                    reason="The supplier closed")
    assert (cancellation.process.code, cancellation.cancels_id, cancellation.subject_code,
            cancellation.subject_ref) == ("cancellation", original.pk, "workflows.cancellation",
                                          original.number)
    assert cancellation.form_data == {"request": original.number,
                                      "reason": "The supplier closed"}
    asked = Action.objects.get(request=original, kind="cancellation_requested")
    assert (asked.actor_id, asked.comment, asked.detail) == (
        people["applicant"].pk, "The supplier closed", cancellation.number)
    assert tasks_of(cancellation) == [("manager", "labhead", "pending")]
    with pytest.raises(Conflict):
        services.do_request_cancellation(people["applicant"], original.number, reason="again")
    # when the lab head approves the cancellation
    with run_commit_hooks(), captured_events() as events:
        services.do_approve(people["lab_head"], cancellation.number)
    # then the original is cancelled, once, and says by which request
    original.refresh_from_db()
    cancellation.refresh_from_db()
    assert (original.status, cancellation.status) == ("cancelled", "approved")
    assert [(e.name, e.payload["number"]) for e in events] == [
        ("workflows.request.approved.v1", cancellation.number),
        ("workflows.request.cancelled.v1", original.number)]
    cancelled = Action.objects.get(request=original, kind="cancelled")
    assert (cancelled.actor_id, cancelled.detail) == (people["applicant"].pk,
                                                      cancellation.number)
    assert history_of(original)[-2:] == [("cancelled", "applicant"), ("finished", None)]


def test_a_designed_approval_is_cancelled_through_the_built_in_cancellation(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    original = _approved(people, submit)
    cancellation = services.do_request_cancellation(people["applicant"], original.number,
                                                    reason="No longer needed")
    assert cancellation.process.code == "cancellation"


def test_without_a_cancellation_approval_only_a_process_manager_cancels(
        people: dict[str, Any], submit: Callable[..., Request], run_commit_hooks: Any) -> None:
    original = _approved(people, submit)
    Process.objects.filter(pk=original.process_id).update(cancellation_process=None)
    with pytest.raises(Conflict):
        services.do_request_cancellation(people["applicant"], original.number, reason="x")
    # HR (got a copy, manages approvals) cancels it directly
    with run_commit_hooks(), captured_events() as events:
        services.do_request_cancellation(people["hr"], original.number, reason="Duplicate")
    original.refresh_from_db()
    assert original.status == "cancelled"
    assert [e.name for e in events] == ["workflows.request.cancelled.v1"]
    assert history_of(original)[-2:] == [("cancelled", "hr"), ("finished", None)]


# --- overseers ------------------------------------------------------------------------------------


def test_an_overseer_reassigns_a_task(people: dict[str, Any],
                                      submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    key = Task.objects.get(request=request).key
    overseer, colleague = people["overseer"], people["colleague"]
    # not for people who do not oversee the applicant's department
    for stranger in (people["colleague"], people["guard"]):
        with pytest.raises(NotFound):
            services.do_reassign_task(stranger, request.number, task_key=key,
                                      to=colleague.pk, comment="x")
    with pytest.raises(ValidationFailed) as raised:
        services.do_reassign_task(overseer, request.number, task_key=key, to=colleague.pk)
    assert raised.value.fields == {"comment": "Say why, for the applicant."}
    services.do_reassign_task(overseer, request.number, task_key=key, to=colleague.pk,
                              comment="The lab head left")
    assert tasks_of(request) == [("lab", "labhead", "transferred"), ("lab", "colleague", "pending")]
    assert_projection(request)
    moved = Action.objects.get(request=request, kind="reassigned")
    assert (moved.actor_id, moved.people, moved.comment, moved.task_key) == (
        overseer.pk, [people["lab_head"].pk, colleague.pk], "The lab head left", key)
    with pytest.raises(Conflict):
        services.do_reassign_task(overseer, request.number, task_key=key, to=colleague.pk,
                                  comment="again")


# --- history, versions ---------------------------------------------------------------------------


def test_the_history_table_refuses_changes(people: dict[str, Any],
                                           submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    action = Action.objects.get(request=request)
    with connection.cursor() as cursor:
        for sql in ("UPDATE workflows_action SET comment = 'forged' WHERE id = %s",
                    "DELETE FROM workflows_action WHERE id = %s"):
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute(sql, [action.pk])
    action.refresh_from_db()
    assert (action.kind, action.comment) == ("submitted", "")
    assert Action.objects.filter(request=request).count() == 1


def test_a_running_request_keeps_its_version_when_a_new_one_is_published(
        people: dict[str, Any], expense: Process, submit: Callable[..., Request]) -> None:
    # given a running request on version 1
    old = submit(people["applicant"])
    # when HR adds a first step for the clerk and publishes version 2
    changed = {**EXPENSE_FLOW, "nodes": [step("clerk", [people["clerk"].pk]),
                                         *EXPENSE_FLOW["nodes"]]}
    services.do_save_draft(people["hr"], expense.pk, definition=changed)
    version = services.do_publish_process(people["hr"], expense.pk, note="clerk first")
    assert (version.number, version.note) == (2, "clerk first")
    # then the old request still follows version 1, a new one version 2
    services.do_approve(people["lab_head"], old.number)
    old.refresh_from_db()
    assert old.version.number == 1
    assert tasks_of(old) == [("lab", "labhead", "approved"), ("department", "conshead", "pending")]
    new = submit(people["applicant"])
    assert new.version.number == 2
    assert tasks_of(new) == [("clerk", "clerk", "pending")]
    assert list(expense.versions.order_by("number").values_list("number", "form")) == [
        (1, EXPENSE_FORM), (2, EXPENSE_FORM)]


def test_publishing_a_broken_draft_lists_the_problems(
        people: dict[str, Any], expense: Process) -> None:
    services.do_save_draft(people["hr"], expense.pk, definition={
        "nodes": [step("ghost", [999999])]})
    with pytest.raises(ValidationFailed) as raised:
        services.do_publish_process(people["hr"], expense.pk)
    assert raised.value.fields == {"problem1": "Ghost: no active person with id 999999."}
    expense.refresh_from_db()
    assert expense.current_version.number == 1
    with pytest.raises(PermissionDenied):
        services.do_publish_process(people["applicant"], expense.pk)
