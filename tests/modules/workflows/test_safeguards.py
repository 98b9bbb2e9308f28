"""Regression tests for the review of the approvals module: no one approves their own
request by a side door, names are shown only to those who may see them, and the inbox, the
notifications and the time-limit job tell the truth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from taihe.kernel.errors import Conflict, ValidationFailed
from taihe.modules.notifications.models import Notification
from taihe.modules.workflows import selectors, services
from taihe.modules.workflows.models import Process, Request, Task
from taihe.modules.workflows.resolving import Lookups
from tests.modules.workflows.conftest import label

pytestmark = pytest.mark.django_db

PEOPLE_FORM = [{"name": "note", "type": "text", "label": label("说明", "Note")},
               {"name": "expert", "type": "person", "label": label("专家", "Expert")}]


def flow(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"settings": {"dedup": "none", "auto_approve_applicant": True, "on_empty": "skip"},
            "nodes": list(nodes)}


def test_the_applicant_cannot_pick_themself_as_approver(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    publish("pick", PEOPLE_FORM, flow({"id": "pick", "type": "approval", "name": "Pick",
                                       "approvers": [{"kind": "applicant_choice"}]}))
    applicant = people["applicant"]
    with pytest.raises(ValidationFailed) as refused:
        services.do_submit_request(applicant, "pick", {}, chosen={"pick": [applicant.pk]})
    assert refused.value.fields == {
        "approvers.pick": "You cannot approve your own request: choose someone else for "
                          "step Pick."}
    assert not Request.objects.exists()


def test_a_person_field_naming_the_applicant_does_not_approve_for_them(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    publish("expert", PEOPLE_FORM, flow(
        {"id": "expert", "type": "approval", "name": "Expert",
         "approvers": [{"kind": "form_field", "field": "expert"}]},
        {"id": "boss", "type": "approval", "name": "Boss",
         "approvers": [{"kind": "manager", "levels": 1}]}))
    applicant = people["applicant"]
    request = services.do_submit_request(applicant, "expert", {"expert": applicant.pk})
    # the expert step finds nobody else and is skipped; the manager still decides
    assert request.status == "running"
    assert list(request.tasks.values_list("assignee__username", "status")) == [
        ("labhead", "pending")]


def test_steps_inside_branches_ask_the_applicant_to_choose_too(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    process = publish("nested", PEOPLE_FORM, flow({
        "id": "split", "type": "parallel", "name": "Split", "branches": [
            {"id": "left", "nodes": [{"id": "chosen", "type": "approval", "name": "Chosen",
                                      "approvers": [{"kind": "applicant_choice"}]}]},
            {"id": "right", "nodes": [{"id": "boss", "type": "approval", "name": "Boss",
                                       "approvers": [{"kind": "manager", "levels": 1}]}]}]}))
    assert process.current_version is not None
    assert [n["id"] for n in services.choice_nodes(process.current_version)] == ["chosen"]
    with pytest.raises(ValidationFailed) as refused:
        services.do_submit_request(people["applicant"], "nested", {})
    assert refused.value.fields == {"approvers.chosen": "Choose who approves at step Chosen."}
    request = services.do_submit_request(people["applicant"], "nested", {},
                                         chosen={"chosen": [people["colleague"].pk]})
    assert sorted(request.tasks.values_list("assignee__username", flat=True)) == [
        "colleague", "labhead"]


@pytest.mark.parametrize("action", ["transfer", "add"])
def test_a_task_cannot_be_handed_to_the_applicant(
        people: dict[str, Any], submit: Callable[..., Request], action: str) -> None:
    request = submit(people["applicant"])
    with pytest.raises(ValidationFailed) as refused:
        if action == "transfer":
            services.do_transfer(people["lab_head"], request.number, to=people["applicant"].pk)
        else:
            services.do_add_approver(people["lab_head"], request.number,
                                     person=people["applicant"].pk, position="before")
    assert str(refused.value.detail) == "The applicant cannot approve their own request."
    assert list(request.tasks.values_list("assignee__username", "status")) == [
        ("labhead", "pending")]


def test_names_are_given_only_for_what_the_reader_may_see(
        people: dict[str, Any]) -> None:
    private = services.do_upload_attachment(
        people["colleague"], SimpleUploadedFile("Dismissal of Zhang San.pdf", b"%PDF-1.4",
                                                content_type="application/pdf"))
    assert Lookups(people["applicant"]).name_of("attachment", private.pk) == f"#{private.pk}"
    assert Lookups(people["colleague"]).name_of("attachment", private.pk) == \
        "Dismissal of Zhang San.pdf"


def test_an_image_is_stored_with_the_type_read_from_the_image(people: dict[str, Any]) -> None:
    import io

    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (4, 4)).save(data, format="PNG")
    upload = SimpleUploadedFile("photo.jpg", data.getvalue(), content_type="image/svg+xml")
    stored = services.do_upload_attachment(people["applicant"], upload)
    assert (stored.is_image, stored.content_type) == (True, "image/png")


def test_nobody_is_told_to_approve_a_task_decided_in_the_same_moment(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    # an or-sign step with the applicant in it is decided at once by auto-approval
    publish("orsign", PEOPLE_FORM, flow({"id": "any", "type": "approval", "name": "Any",
                                         "mode": "any", "approvers": [
                                             {"kind": "people", "ids": [
                                                 people["lab_head"].pk,
                                                 people["applicant"].pk]}]}))
    request = services.do_submit_request(people["applicant"], "orsign", {})
    assert request.status == "approved"
    assert not Notification.objects.filter(recipient=people["lab_head"],
                                           category="workflows.tasks").exists()


def test_the_done_box_holds_only_what_the_person_decided(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    task = Task.objects.get(request=request, status="pending")
    services.do_reassign_task(people["admin"], request.number, task_key=task.key,
                              to=people["colleague"].pk, comment="Lee is away")
    done = selectors.inbox(people["lab_head"], selectors.InboxQuery(box="done"))
    assert list(done) == []


def test_readers_of_a_cancellation_read_the_request_it_cancels(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    original = submit(people["applicant"], {**_small_expense()})
    for approver in ("lab_head", "conservation_head"):
        services.do_approve(people[approver], original.number)
    original.refresh_from_db()
    assert original.status == "approved"
    cancellation = services.do_request_cancellation(people["applicant"], original.number,
                                                    reason="Trip called off")
    approver = Task.objects.get(request=cancellation, status="pending").assignee
    assert selectors.request_for(approver, original.number) is not None
    # and an approved cancellation cannot itself be cancelled
    services.do_approve(approver, cancellation.number)
    cancellation.refresh_from_db()
    assert cancellation.status == "approved"
    with pytest.raises(Conflict):
        services.do_request_cancellation(people["applicant"], cancellation.number,
                                         reason="Undo")
    assert not selectors.allowed_actions(people["admin"], cancellation).cancel


def test_one_failing_time_limit_does_not_stop_the_others(
        people: dict[str, Any], submit: Callable[..., Request],
        monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = submit(people["applicant"]), submit(people["colleague"])
    past = timezone.now() - dt.timedelta(hours=1)
    Task.objects.filter(status="pending").update(due_at=past)
    real = services._handle_due_task

    def flaky(request_id: int, key: int, now: dt.datetime) -> int:
        if request_id == first.pk:
            raise RuntimeError("disk full")
        return real(request_id, key, now)

    monkeypatch.setattr(services, "_handle_due_task", flaky)
    now = timezone.now()
    assert services.handle_due_tasks(now) == 1
    failed = Task.objects.get(request=first, status="pending")
    assert failed.due_at == now + dt.timedelta(hours=1)
    assert Task.objects.get(request=second, status="pending").reminded_at == now


def _small_expense() -> dict[str, Any]:
    from tests.modules.workflows.conftest import EXPENSE_DATA

    return {**EXPENSE_DATA, "amount": "100.00"}
