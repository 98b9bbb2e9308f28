"""Approvals' API under ``/api/v1/workflows``: parse, call one service or selector, serialise.

Requests are found through the selectors, so a request the caller may not read answers 404
as if it did not exist; the services check the rest (who may act on which task) and their
errors reach the caller through the kernel's envelope (``{"detail", "code", "fields"}``).
Every person in an answer comes with their display name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, ValidationFailed
from taihe.kernel.http.api import as_utc, user_id
from taihe.modules.directory import api as directory
from taihe.modules.workflows import fields as field_registry
from taihe.modules.workflows import operations as ops
from taihe.modules.workflows import schemas as s
from taihe.modules.workflows import selectors, services
from taihe.modules.workflows.engine.machine import paths
from taihe.modules.workflows.models import (
    Action,
    Attachment,
    CarbonCopy,
    Delegation,
    Process,
    ProcessVersion,
    Request,
    Task,
)
from taihe.modules.workflows.resolving import Lookups

router = Router()
MAX_PAGE = 200
# The checker walks the designer's JSON assuming each part has its documented shape; a
# document that is JSON but not that shape (a number where a list belongs) is the caller's
# mistake, answered with a field message, never a server error.
MALFORMED = (AttributeError, TypeError, ValueError, KeyError, IndexError)


# --- helpers ------------------------------------------------------------------------------

def _page(limit: int, offset: int) -> tuple[int, int]:
    start = max(offset, 0)
    return start, start + min(max(limit, 1), MAX_PAGE)


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    return directory.display_names(sorted({int(i) for i in ids if i is not None}))


def _person(person_id: int | None, names: dict[int, str]) -> dict[str, Any] | None:
    if person_id is None:
        return None
    return {"id": person_id, "name": names.get(person_id, f"#{person_id}")}


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _malformed() -> ValidationFailed:
    return ValidationFailed(fields={"draft": _(
        "This is not in the shape of an approval's form and process; open it in the "
        "designer and check it.")})


def _choice_nodes(version: ProcessVersion) -> list[dict[str, Any]]:
    return [{"id": node["id"], "name": str(node.get("name") or node["id"]),
             "type": node["type"],
             "mode": str(node.get("mode") or ("sequential" if node["type"] == "approval"
                                               else "any"))}
            for node in services.choice_nodes(version)]


def _process(process: Process) -> dict[str, Any]:
    version = process.current_version
    return {"code": process.code, "name": process.name, "name_zh": process.name_zh,
            "name_en": process.name_en, "category": process.category, "icon": process.icon,
            "description": process.description,
            "version": version.number if version is not None else 0}


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.pk, "name": attachment.name, "size": attachment.size,
            "content_type": attachment.content_type, "is_image": attachment.is_image,
            "url": reverse("workflows:attachment", args=[attachment.pk])}


def _found(actor: Any, number: str) -> Request:
    found = selectors.request_for(actor, number)
    if found is None:
        raise NotFound(_("No such request."))
    return found


# --- what the caller may do ---------------------------------------------------------------

def _allowed(actor: Any, found: Request, tasks: list[Task]) -> dict[str, Any]:
    allowed = selectors.allowed_actions(actor, found, tasks)
    task = allowed.tasks[0].task if allowed.tasks else None
    index = paths(found.version.definition)
    targets = allowed.tasks[0].return_targets if allowed.tasks else []
    return {
        "task_key": task.key if task else None, "task_kind": task.kind if task else None,
        "approve": task is not None, "reject": task is not None,
        "return_to": [{"id": node_id, "name": str(index[node_id][0].get("name") or node_id)}
                      for node_id in targets],
        "transfer": task is not None,
        "add_approver": task is not None and task.kind == "approval",
        "withdraw": allowed.withdraw, "urge": allowed.urge, "resubmit": allowed.resubmit,
        "cancel": allowed.cancel, "comment": True,
        "reassign": [t.key for t in allowed.reassign],
    }


# --- serialising requests -----------------------------------------------------------------

def _process_ref(found: Request) -> dict[str, Any]:
    return {"code": found.process.code, "name": found.process.name,
            "version": found.version.number}


def _detail(actor: Any, found: Request) -> dict[str, Any]:
    tasks = list(found.tasks.order_by("key"))
    history = list(selectors.history_of(found))
    copies = list(found.copies.order_by("created_at", "id"))
    files = {item.pk: item for item in found.attachments.order_by("id")}
    names = _names([found.applicant_id,
                    *(t.assignee_id for t in tasks), *(t.delegated_from_id for t in tasks),
                    *(a.actor_id for a in history), *(a.on_behalf_of_id for a in history),
                    *(int(p) for a in history for p in a.people or []),
                    *(c.person_id for c in copies)])
    rows = field_registry.display_rows(found.version.form, found.form_data,
                                       Lookups(actor, request_id=found.pk))
    return {
        "number": found.number, "title": found.title, "summary": found.summary,
        "process": _process_ref(found), "status": found.status,
        "status_label": _label(Request.Status, found.status),
        "applicant": _person(found.applicant_id, names), "department_id": found.department_id,
        "submitted_at": found.submitted_at, "updated_at": found.updated_at,
        "finished_at": found.finished_at, "subject_code": found.subject_code,
        "subject_ref": found.subject_ref,
        "cancels": found.cancels.number if found.cancels_id and found.cancels else None,
        "form": rows, "values": found.form_data, "chosen": found.chosen_approvers or {},
        "form_fields": found.version.form, "choice_nodes": _choice_nodes(found.version),
        "tasks": [{"key": t.key, "node_id": t.node_id, "node_name": t.node_name,
                   "kind": t.kind, "assignee": _person(t.assignee_id, names),
                   "delegated_from": _person(t.delegated_from_id, names),
                   "status": t.status, "status_label": _label(Task.Status, t.status),
                   "auto": t.auto, "added": t.added, "round": t.round,
                   "superseded": t.superseded, "pending_since": t.pending_since,
                   "acted_at": t.acted_at, "due_at": t.due_at} for t in tasks],
        "copied_to": [_person(c.person_id, names) for c in copies],
        "history": [{"id": a.pk, "kind": a.kind, "kind_label": _label(Action.Kind, a.kind),
                     "actor": _person(a.actor_id, names),
                     "on_behalf_of": _person(a.on_behalf_of_id, names),
                     "task_key": a.task_key, "node_id": a.node_id, "node_name": a.node_name,
                     "comment": a.comment,
                     "people": [_person(int(p), names) for p in a.people or []],
                     "detail": a.detail,
                     "attachments": [_attachment(files[int(i)]) for i in a.attachments or []
                                     if int(i) in files],
                     "at": a.at} for a in history],
        "attachments": [_attachment(item) for item in files.values()],
        "allowed": _allowed(actor, found, tasks),
    }


def _reread(actor: Any, number: str) -> dict[str, Any]:
    return _detail(actor, _found(actor, number))


def _rows(actor: Any, page: list[Request]) -> list[dict[str, Any]]:
    ids = [found.pk for found in page]
    pending: dict[int, list[tuple[int, str]]] = {}
    for request_id, assignee, step in (Task.objects.filter(request_id__in=ids,
                                                           status=Task.Status.PENDING)
                                       .order_by("key")
                                       .values_list("request_id", "assignee_id", "node_name")):
        pending.setdefault(request_id, []).append((assignee, step))
    unread = set(CarbonCopy.objects.filter(request_id__in=ids, person_id=actor.pk,
                                           read_at__isnull=True)
                 .values_list("request_id", flat=True))
    names = _names([*(found.applicant_id for found in page),
                    *(person for rows in pending.values() for person, _step in rows)])
    return [{"number": found.number, "title": found.title, "summary": found.summary,
             "process": _process_ref(found), "status": found.status,
             "status_label": _label(Request.Status, found.status),
             "applicant": _person(found.applicant_id, names),
             "submitted_at": found.submitted_at, "updated_at": found.updated_at,
             "finished_at": found.finished_at,
             "waiting_for": [_person(person, names) for person in
                             dict.fromkeys(p for p, _step in pending.get(found.pk, []))],
             "current_steps": list(dict.fromkeys(step for _p, step in
                                                 pending.get(found.pk, []) if step)),
             "unread": found.pk in unread} for found in page]


# --- starting requests --------------------------------------------------------------------

@router.get("/processes", response=list[s.ProcessOut],
            summary="Approvals I may start, with the version new requests use")
def list_processes(request: HttpRequest) -> Any:
    return [_process(process) for process in services.startable_processes(request.user)]


@router.get("/processes/{code}", response=s.ProcessFormOut,
            summary="An approval's form and the steps whose approvers I choose")
def get_process(request: HttpRequest, code: str) -> Any:
    authz.require(request.user, ops.REQUEST_SUBMIT.code)
    process = next((p for p in services.startable_processes(request.user) if p.code == code),
                   None)
    if process is None or process.current_version is None:
        raise NotFound(_("No published approval %(code)s.") % {"code": code[:64]})
    return {**_process(process), "form": process.current_version.form,
            "choice_nodes": _choice_nodes(process.current_version)}


@router.post("/requests", response={201: s.RequestDetailOut}, summary="Submit a request")
def submit_request(request: HttpRequest, payload: s.RequestIn) -> Any:
    """Field messages name the place: ``amount``, ``items[2].cost``, ``approvers.<step>``."""
    found = services.do_submit_request(request.user, payload.process, payload.data,
                                       chosen=payload.chosen)
    return Status(201, _reread(request.user, found.number))


# --- reading requests ---------------------------------------------------------------------

@router.get("/requests", response=s.RequestPageOut, summary="My inbox: one box, filtered")
def list_requests(request: HttpRequest, box: str = "todo", text: str = "", process: str = "",
                  status: str = "", submitted_from: dt.date | None = None,
                  submitted_to: dt.date | None = None, limit: int = 50,
                  offset: int = 0) -> Any:
    """``box``: ``todo`` (waiting for me), ``done`` (I acted), ``submitted`` (mine), ``cc``
    (copied to me) or ``all`` (everything I may read); ``text``: words of the number,
    title, summary or form; ``process``: an approval's code; ``status``: a request status;
    ``submitted_from``/``submitted_to``: dates (inclusive, in the museum's zone)."""
    errors: dict[str, str] = {}
    if box not in selectors.BOXES:
        errors["box"] = _("Choose one of: %(boxes)s.") % {"boxes": ", ".join(selectors.BOXES)}
    if status and status not in Request.Status.values:
        errors["status"] = _("Choose one of: %(statuses)s.") % {
            "statuses": ", ".join(Request.Status.values)}
    if submitted_from and submitted_to and submitted_to < submitted_from:
        errors["submitted_to"] = _("The end date is before the start date.")
    if errors:
        raise ValidationFailed(fields=errors)
    rows = selectors.inbox(request.user, selectors.InboxQuery(
        box=box, text=text[:200], process=process[:64], status=status,
        submitted_from=submitted_from, submitted_to=submitted_to))
    start, stop = _page(limit, offset)
    page = list(rows.select_related("version")[start:stop])
    return {"items": _rows(request.user, page), "count": rows.count()}


@router.get("/requests/{number}", response=s.RequestDetailOut,
            summary="A request: its form, steps, history and what I may do now")
def get_request(request: HttpRequest, number: str) -> Any:
    """Opening a request copied to the caller marks the copy read."""
    found = _found(request.user, number)
    services.mark_copy_read(request.user, found)
    return _detail(request.user, found)


@router.get("/counts", response=s.CountsOut,
            summary="How many tasks wait for me and how many copies I have not read")
def counts(request: HttpRequest) -> Any:
    return selectors.inbox_counts(user_id(request))


# --- acting on requests -------------------------------------------------------------------

@router.post("/requests/{number}/approve", response=s.RequestDetailOut,
             summary="Approve my task (on a handler step: mark it done)")
def approve(request: HttpRequest, number: str, payload: s.ApproveIn) -> Any:
    services.do_approve(request.user, number, task_key=payload.task_key,
                        comment=payload.comment, attachments=payload.attachments)
    return _reread(request.user, number)


@router.post("/requests/{number}/reject", response=s.RequestDetailOut,
             summary="Reject, return to the applicant, or return to an earlier step")
def reject(request: HttpRequest, number: str, payload: s.RejectIn) -> Any:
    services.do_reject(request.user, number, to=payload.to, task_key=payload.task_key,
                       comment=payload.comment, attachments=payload.attachments)
    return _reread(request.user, number)


@router.post("/requests/{number}/transfer", response=s.RequestDetailOut,
             summary="Hand my task to someone else")
def transfer(request: HttpRequest, number: str, payload: s.TransferIn) -> Any:
    services.do_transfer(request.user, number, to=payload.to, task_key=payload.task_key,
                         comment=payload.comment)
    return _reread(request.user, number)


@router.post("/requests/{number}/add-approver", response=s.RequestDetailOut,
             summary="Add an approver before me, or approve and add one after me")
def add_approver(request: HttpRequest, number: str, payload: s.AddApproverIn) -> Any:
    services.do_add_approver(request.user, number, person=payload.person,
                             position=payload.position, task_key=payload.task_key,
                             comment=payload.comment)
    return _reread(request.user, number)


@router.post("/requests/{number}/withdraw", response=s.RequestDetailOut,
             summary="Take back my request while it is pending or returned")
def withdraw(request: HttpRequest, number: str, payload: s.WithdrawIn) -> Any:
    services.do_withdraw(request.user, number, comment=payload.comment)
    return _reread(request.user, number)


@router.post("/requests/{number}/resubmit", response=s.RequestDetailOut,
             summary="Correct my returned request and send it again")
def resubmit(request: HttpRequest, number: str, payload: s.ResubmitIn) -> Any:
    services.do_resubmit(request.user, number, payload.data, chosen=payload.chosen,
                         comment=payload.comment)
    return _reread(request.user, number)


@router.post("/requests/{number}/comment", response=s.RequestDetailOut,
             summary="Add a comment (with files) to the history")
def comment(request: HttpRequest, number: str, payload: s.CommentIn) -> Any:
    services.do_comment(request.user, number, comment=payload.comment,
                        attachments=payload.attachments)
    return _reread(request.user, number)


@router.post("/requests/{number}/urge", response=s.RequestDetailOut,
             summary="Remind the approvers of my request (at most every ten minutes)")
def urge(request: HttpRequest, number: str) -> Any:
    services.do_urge(request.user, number)
    return _reread(request.user, number)


@router.post("/requests/{number}/cancel", response={200: s.RequestDetailOut,
                                                    201: s.RequestDetailOut},
             summary="Ask to cancel an approved request")
def cancel(request: HttpRequest, number: str, payload: s.CancelIn) -> Any:
    """When the approval has a cancellation approval, that request starts (201, its detail;
    approving it cancels this one). Without one, an approvals manager cancels at once (200,
    this request's detail)."""
    result = services.do_request_cancellation(request.user, number, reason=payload.reason)
    if result.number != number:
        return Status(201, _reread(request.user, result.number))
    return _reread(request.user, number)


@router.post("/requests/{number}/tasks/{key}/reassign", response=s.RequestDetailOut,
             summary="Move a pending task to someone else (overseers)")
def reassign(request: HttpRequest, number: str, key: int, payload: s.ReassignIn) -> Any:
    services.do_reassign_task(request.user, number, task_key=key, to=payload.to,
                              comment=payload.comment)
    return _reread(request.user, number)


# --- attachments --------------------------------------------------------------------------

@router.post("/attachments", response={201: s.UploadOut},
             summary="Upload a file for a form field or a comment (up to 20 MB)")
def upload_attachment(request: HttpRequest,
                      file: UploadedFile = File(...)) -> Any:  # noqa: B008 (ninja idiom)
    """Use the returned id in an attachment or image field, or a comment's attachments."""
    return Status(201, _attachment(services.do_upload_attachment(request.user, file)))


# --- delegations --------------------------------------------------------------------------

def _delegations(rows: list[Delegation]) -> list[dict[str, Any]]:
    names = _names([person for row in rows for person in (row.person_id, row.delegate_id)])
    now = timezone.now()
    return [{"id": row.pk, "person": _person(row.person_id, names),
             "delegate": _person(row.delegate_id, names), "starts_at": row.starts_at,
             "ends_at": row.ends_at,
             "processes": [{"id": p.pk, "code": p.code, "name": p.name}
                           for p in sorted(row.processes.all(), key=lambda p: p.code)],
             "reason": row.reason, "ended_at": row.ended_at,
             "in_effect": row.ended_at is None and row.starts_at <= now < row.ends_at}
            for row in rows]


def _delegation(actor: Any, delegation_id: int) -> dict[str, Any]:
    found = selectors.delegations_for(actor).filter(pk=delegation_id).first()
    if found is None:
        raise NotFound(_("No such delegation."))
    return _delegations([found])[0]


@router.get("/delegations", response=list[s.DelegationOut],
            summary="Who acts for me while I am away, and for whom I act")
def list_delegations(request: HttpRequest) -> Any:
    return _delegations(list(selectors.delegations_for(request.user)))


@router.post("/delegations", response={201: s.DelegationOut},
             summary="Send my new tasks to a stand-in for a period")
def create_delegation(request: HttpRequest, payload: s.DelegationIn) -> Any:
    delegation = services.do_create_delegation(
        request.user, delegate_id=payload.delegate,
        starts_at=as_utc(payload.starts_at, "starts_at") or payload.starts_at,
        ends_at=as_utc(payload.ends_at, "ends_at") or payload.ends_at,
        process_ids=payload.process_ids, reason=payload.reason, person_id=payload.person)
    return Status(201, _delegation(request.user, delegation.pk))


@router.post("/delegations/{delegation_id}/end", response=s.DelegationOut,
             summary="End a delegation now")
def end_delegation(request: HttpRequest, delegation_id: int) -> Any:
    services.do_end_delegation(request.user, delegation_id)
    return _delegation(request.user, delegation_id)


# --- designer -----------------------------------------------------------------------------

def _designed(actor: Any, process_id: int) -> Process:
    authz.require(actor, ops.PROCESS_MANAGE.code)
    found = selectors.process_for_design(actor, process_id)
    if found is None:
        raise NotFound(_("No such approval."))
    return found


def _version(version: ProcessVersion, names: dict[int, str]) -> dict[str, Any]:
    return {"number": version.number, "note": version.note,
            "published_at": version.published_at,
            "published_by": _person(version.published_by_id, names)}


def _design(process: Process, *, detail: bool = False) -> dict[str, Any]:
    current = process.current_version
    versions = list(process.versions.order_by("-number")) if detail else []
    names = _names([v.published_by_id for v in versions]
                   + ([current.published_by_id] if current else []))
    body: dict[str, Any] = {
        "id": process.pk, "code": process.code, "name": process.name,
        "name_zh": process.name_zh, "name_en": process.name_en,
        "description": process.description, "category": process.category,
        "icon": process.icon, "subject_code": process.subject_code,
        "starter_departments": [int(i) for i in process.starter_departments or []],
        "is_active": process.is_active, "is_builtin": process.is_builtin,
        "cancellation_process": process.cancellation_process.code
        if process.cancellation_process_id and process.cancellation_process else None,
        "current_version": _version(current, names) if current else None,
        "has_unpublished_changes": current is None or current.form != process.draft_form
        or current.definition != process.draft_definition,
        "updated_at": process.updated_at,
    }
    if detail:
        body.update(draft_form=process.draft_form, draft_definition=process.draft_definition,
                    versions=[_version(v, names) for v in versions])
    return body


def _design_detail(actor: Any, process_id: int) -> dict[str, Any]:
    return _design(_designed(actor, process_id), detail=True)


def _check_definition(definition: dict[str, Any] | None) -> None:
    if definition is not None and not isinstance(definition.get("nodes"), list):
        raise ValidationFailed(fields={"definition": _("The process needs a list of nodes.")})


@router.get("/designer/processes", response=list[s.DesignProcessOut],
            summary="Every approval, with its published version")
def design_list(request: HttpRequest) -> Any:
    authz.require(request.user, ops.PROCESS_MANAGE.code)
    return [_design(process) for process in
            selectors.processes_for_design(request.user).select_related("cancellation_process")]


@router.post("/designer/processes", response={201: s.DesignProcessDetailOut},
             summary="Create an approval with a draft form and flow")
def design_create(request: HttpRequest, payload: s.ProcessCreateIn) -> Any:
    authz.require(request.user, ops.PROCESS_MANAGE.code)
    _check_definition(payload.definition)
    process = services.do_create_process(request.user, payload.dict())
    return Status(201, _design_detail(request.user, process.pk))


# Declared before the routes with an id: the path "import" would be taken for one.
@router.post("/designer/processes/import", response={200: s.DesignProcessDetailOut,
                                                    201: s.DesignProcessDetailOut},
             summary="Create (201) or update (200) an approval from an exported document")
def design_import(request: HttpRequest, payload: s.ProcessDocumentIn,
                  publish: bool = True) -> Any:
    """``publish``: publish it at once (refused, storing nothing, when it has problems)."""
    authz.require(request.user, ops.PROCESS_MANAGE.code)
    existed = selectors.processes_for_design(request.user).filter(code=payload.code).exists()
    try:
        process = services.do_import_process(request.user, payload.dict(), publish_now=publish)
    except MALFORMED:
        raise _malformed() from None
    return Status(200 if existed else 201, _design_detail(request.user, process.pk))


@router.get("/designer/processes/{process_id}", response=s.DesignProcessDetailOut,
            summary="An approval's draft, details and versions")
def design_get(request: HttpRequest, process_id: int) -> Any:
    return _design_detail(request.user, process_id)


@router.patch("/designer/processes/{process_id}", response=s.DesignProcessDetailOut,
              summary="Save the draft form, flow or details (published versions stay)")
def design_update(request: HttpRequest, process_id: int, payload: s.ProcessPatchIn) -> Any:
    process = _designed(request.user, process_id)
    changes = payload.dict(exclude_unset=True)
    form, definition = changes.pop("form", None), changes.pop("definition", None)
    details = {name: value for name, value in changes.items() if value is not None}
    services.do_save_draft(request.user, process.pk, form=form, definition=definition,
                           details=details)
    return _design_detail(request.user, process.pk)


@router.post("/designer/processes/{process_id}/check", response=s.ProblemsOut,
             summary="What stops the draft (or the form and flow sent) from being published")
def design_check(request: HttpRequest, process_id: int, payload: s.CheckIn) -> Any:
    process = _designed(request.user, process_id)
    form = payload.form if payload.form is not None else process.draft_form
    definition = payload.definition if payload.definition is not None \
        else process.draft_definition
    try:
        return {"problems": services.check_process(form, definition)}
    except MALFORMED:
        raise _malformed() from None


@router.post("/designer/processes/{process_id}/publish", response=s.DesignProcessDetailOut,
             summary="Publish the draft as the next version")
def design_publish(request: HttpRequest, process_id: int, payload: s.PublishIn) -> Any:
    """Refused with every problem listed (``fields``: ``problem1``, ``problem2``, ...)."""
    process = _designed(request.user, process_id)
    try:
        services.do_publish_process(request.user, process.pk, note=payload.note)
    except MALFORMED:
        raise _malformed() from None
    return _design_detail(request.user, process.pk)


@router.get("/designer/processes/{process_id}/export", response=s.ProcessDocumentOut,
            summary="The draft as a document to import elsewhere")
def design_export(request: HttpRequest, process_id: int) -> Any:
    return services.export_process(_designed(request.user, process_id))


@router.get("/designer/field-types", response=list[s.FieldTypeOut],
            summary="The form field types a designer may use")
def field_types(request: HttpRequest) -> Any:
    authz.require(request.user, ops.PROCESS_MANAGE.code)
    return [{"code": ft.code, "label": str(ft.label), "kind": ft.kind,
             "options": sorted(ft.options)} for ft in field_registry.field_types()]


__all__ = ["router"]
