"""The only write path of approvals.

Every action on a request locks its row, runs the engine on the stored state, and in the
same transaction writes the new state, the task rows, the history and the outcome event, so
two approvers acting at once produce one outcome: the second finds the task already dealt
with and gets a conflict.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taihe.kernel import authz
from taihe.kernel.db.engine import lock_rows_query
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.search import clear, index_documents
from taihe.modules.directory import api as directory
from taihe.modules.notifications import api as notifications
from taihe.modules.workflows import engine, events, live, selectors, subjects
from taihe.modules.workflows import fields as field_registry
from taihe.modules.workflows import operations as ops
from taihe.modules.workflows.builtin import CANCELLATION_CODE
from taihe.modules.workflows.engine import definition as definitions
from taihe.modules.workflows.engine.machine import paths
from taihe.modules.workflows.models import (
    Action,
    Attachment,
    CarbonCopy,
    Delegation,
    Process,
    ProcessVersion,
    Request,
    RequestCounter,
    Task,
)
from taihe.modules.workflows.resolving import Lookups, Resolver, within

notifications.register_category("workflows.tasks", _("Approvals waiting for me"),
                                email_by_default=True)
notifications.register_category("workflows.outcomes", _("Outcome of my approval requests"),
                                email_by_default=True)
notifications.register_category("workflows.copies", _("Approvals copied to me"))

logger = logging.getLogger(__name__)

MAX_COMMENT = 2000
MAX_UPLOAD = 20 * 1024 * 1024
EXPORT_FORMAT = "taihe.workflows.process/1"


def _engine_error(error: engine.EngineError) -> Exception:
    if error.code in ("not_assignee", "not_applicant"):
        return PermissionDenied(error.message, code=error.code)
    if error.code in ("bad_return_target", "self_transfer", "self_add", "bad_position",
                      "already_on_node", "not_approval", "applicant"):
        return ValidationFailed(error.message, code=error.code)
    return Conflict(error.message, code=error.code)


# --- designing processes -----------------------------------------------------------------


def check_process(form: Any, definition: Any) -> list[str]:
    """Problems that stop a form and flow from being published, each naming its place."""
    if not isinstance(form, list) or not all(isinstance(f, dict) for f in form):
        return [str(_("The form is a list of fields."))]
    problems = field_registry.check_fields(form)
    problems.extend(definitions.validate(definition, field_registry.kinds_of(form)))
    if problems:
        return problems
    for node, _path in paths(definition).values():
        for source in [*node.get("approvers", []),
                       *((node.get("timeout") or {}).get("escalate_to") or [])]:
            name = node.get("name") or node["id"]
            if source.get("kind") == "people":
                wanted = [int(i) for i in source.get("ids", [])]
                missing = set(wanted) - directory.active_people(wanted)
                if missing:
                    problems.append(str(_("%(node)s: no active person with id %(ids)s.")
                                        % {"node": name,
                                           "ids": ", ".join(map(str, sorted(missing)))}))
            elif source.get("kind") == "role" and not directory.role_exists(source["code"]):
                problems.append(str(_("%(node)s: there is no role %(code)s.")
                                    % {"node": name, "code": source["code"]}))
            elif source.get("kind") == "department_head" and not directory.department(
                    int(source.get("department_id") or 0)):
                problems.append(str(_("%(node)s: there is no department with id %(id)s.")
                                    % {"node": name, "id": source.get("department_id")}))
    return problems


PROCESS_FIELDS = ("name_zh", "name_en", "description", "category", "icon", "subject_code",
                  "starter_departments", "is_active")


def _process_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: data[key] for key in PROCESS_FIELDS if key in data}
    errors: dict[str, Any] = {}
    if "name_zh" in values and not str(values["name_zh"]).strip():
        errors["name_zh"] = _("Give the approval a Chinese name.")
    if "starter_departments" in values:
        wanted = values["starter_departments"] or []
        if not isinstance(wanted, list) or not all(isinstance(i, int) for i in wanted):
            errors["starter_departments"] = _("Choose departments from the list.")
        elif missing := set(wanted) - directory.department_ids(wanted):
            errors["starter_departments"] = _("No department with id %(ids)s.") % {
                "ids": ", ".join(map(str, sorted(missing)))}
    for key in ("name_zh", "name_en", "category", "icon", "subject_code"):
        if key in values and len(str(values[key])) > 120:
            errors[key] = _("Too long.")
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def do_create_process(actor: Any, data: dict[str, Any]) -> Process:
    """A new approval with an empty draft. Raises ValidationFailed, PermissionDenied."""
    authz.require(actor, ops.PROCESS_MANAGE.code)
    code = str(data.get("code") or "").strip()
    values = _process_values(data)
    if not code or not all(c.isalnum() or c in "-_" for c in code) or len(code) > 64:
        raise ValidationFailed(fields={"code": _("Use letters, digits, - and _ (up to 64).")})
    if "name_zh" not in values:
        raise ValidationFailed(fields={"name_zh": _("Give the approval a Chinese name.")})
    if Process.objects.filter(code=code).exists():
        raise ValidationFailed(fields={"code": _("An approval with this code exists.")})
    form = data.get("form") or []
    definition = data.get("definition") or {"nodes": [], "settings": {}}
    if not isinstance(form, list) or not all(isinstance(f, dict) for f in form):
        raise ValidationFailed(fields={"form": _("The form is a list of fields.")})
    if not isinstance(definition, dict) or not isinstance(definition.get("nodes"), list):
        raise ValidationFailed(fields={"definition": _("The process needs a list of nodes.")})
    with transaction.atomic():
        process = Process.objects.create(
            code=code, **values,
            cancellation_process=Process.objects.filter(code=CANCELLATION_CODE).first(),
            draft_form=form, draft_definition=definition)
        publish(events.ProcessSaved(process_id=process.pk, code=code,
                                    subject_type="workflows.process", subject_id=code,
                                    after=values))
    return process


def do_save_draft(actor: Any, process_id: int, *, form: Any = None, definition: Any = None,
                  details: dict[str, Any] | None = None) -> Process:
    """Keep the designer's work; nothing changes for running or new requests until it is
    published. Drafts may be incomplete, but must be the right shape."""
    authz.require(actor, ops.PROCESS_MANAGE.code)
    process = Process.objects.filter(pk=process_id).first()
    if process is None:
        raise NotFound(_("No such approval."))
    if form is not None:
        if not isinstance(form, list) or not all(isinstance(f, dict) for f in form):
            raise ValidationFailed(fields={"form": _("The form is a list of fields.")})
        process.draft_form = form
    if definition is not None:
        if not isinstance(definition, dict) or not isinstance(definition.get("nodes"), list):
            raise ValidationFailed(fields={"definition": _("The process needs a list of nodes.")})
        process.draft_definition = definition
    changed = {key: value for key, value in _process_values(details or {}).items()
               if getattr(process, key) != value}
    with transaction.atomic():
        before = {key: getattr(process, key) for key in changed}
        for key, value in changed.items():
            setattr(process, key, value)
        process.save()
        if changed:
            publish(events.ProcessSaved(process_id=process.pk, code=process.code,
                                        subject_type="workflows.process",
                                        subject_id=process.code, before=before, after=changed))
    return process


def do_publish_process(actor: Any, process_id: int, *, note: str = "") -> ProcessVersion:
    """Publish the draft as the next version. Raises ValidationFailed listing every
    problem. Emits ``workflows.process.published.v1``."""
    authz.require(actor, ops.PROCESS_MANAGE.code)
    with transaction.atomic():
        process = lock_rows_query(Process.objects.filter(pk=process_id)).first()
        if process is None:
            raise NotFound(_("No such approval."))
        problems = check_process(process.draft_form, process.draft_definition)
        if problems:
            raise ValidationFailed(_("The approval cannot be published yet."),
                                   fields={f"problem{n}": p for n, p in enumerate(problems, 1)})
        number = (process.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        version = ProcessVersion.objects.create(
            process=process, number=number, form=process.draft_form,
            definition=process.draft_definition, note=note[:200],
            published_by_id=getattr(actor, "pk", None))
        process.current_version = version
        process.save(update_fields=["current_version", "updated_at"])
        publish(events.ProcessPublished(process_id=process.pk, code=process.code,
                                        version=number, subject_type="workflows.process",
                                        subject_id=process.code))
    return version


def export_process(process: Process) -> dict[str, Any]:
    """The draft as portable JSON (people named by id stay ids; roles by code)."""
    return {"format": EXPORT_FORMAT, "code": process.code,
            **{key: getattr(process, key) for key in PROCESS_FIELDS},
            "form": process.draft_form, "definition": process.draft_definition}


def do_import_process(actor: Any, data: Any, *, publish_now: bool = True) -> Process:
    """Create or update an approval from exported JSON; publish it when it is valid.
    Raises ValidationFailed naming what is wrong; nothing is stored then."""
    authz.require(actor, ops.PROCESS_MANAGE.code)
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as error:
            raise ValidationFailed(_("The file is not JSON: %(error)s") % {"error": error}) \
                from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValidationFailed(_("This is not an exported Taihe approval (format %(format)s).")
                               % {"format": EXPORT_FORMAT})
    problems = check_process(data.get("form"), data.get("definition"))
    if problems and publish_now:
        raise ValidationFailed(_("The approval in the file has problems."),
                               fields={f"problem{n}": p for n, p in enumerate(problems, 1)})
    with transaction.atomic():
        process = Process.objects.filter(code=data.get("code")).first()
        if process is None:
            process = do_create_process(actor, data)
        else:
            do_save_draft(actor, process.pk, form=data["form"], definition=data["definition"],
                          details=data)
        if publish_now:
            do_publish_process(actor, process.pk, note=str(_("Imported")))
    process.refresh_from_db()
    return process


# --- attachments and delegations ---------------------------------------------------------


def do_upload_attachment(actor: Any, upload: UploadedFile) -> Attachment:
    """Store a file for a form field or a comment. Raises ValidationFailed."""
    authz.require(actor, ops.REQUEST_SUBMIT.code)
    if upload.size is None or upload.size > MAX_UPLOAD:
        raise ValidationFailed(fields={"file": _("Files may be up to 20 MB.")})
    name = (upload.name or "file")[-200:]
    is_image = False
    content_type = (upload.content_type or "application/octet-stream")[:100]
    if content_type.startswith("image/"):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(upload) as image:
                image.verify()
                # served inline, so the type comes from the image, not from the browser
                content_type = Image.MIME.get(image.format or "", "application/octet-stream")
            is_image = content_type.startswith("image/")
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise ValidationFailed(fields={"file": _("%(name)s is not a readable image.")
                                           % {"name": name}}) from None
        upload.seek(0)
    return Attachment.objects.create(file=upload, name=name, size=upload.size,
                                     content_type=content_type,
                                     is_image=is_image, uploaded_by=actor)


def do_create_delegation(actor: Any, *, delegate_id: int, starts_at: dt.datetime,
                         ends_at: dt.datetime, process_ids: Iterable[int] = (),
                         reason: str = "", person_id: int | None = None) -> Delegation:
    """Send the person's new tasks to a stand-in for a period (their own, or anyone's for
    process managers). Raises ValidationFailed."""
    authz.require(actor, ops.REQUEST_SUBMIT.code)
    person = person_id if person_id is not None else actor.pk
    if person != actor.pk:
        authz.require(actor, ops.PROCESS_MANAGE.code)
    errors: dict[str, Any] = {}
    if delegate_id == person:
        errors["delegate"] = _("Choose someone else as the stand-in.")
    elif not directory.active_people([delegate_id]):
        errors["delegate"] = _("No active person with this id.")
    if ends_at <= starts_at:
        errors["ends_at"] = _("The end comes before the start.")
    processes = list(Process.objects.filter(pk__in=list(process_ids)))
    if len(processes) != len(set(process_ids)):
        errors["processes"] = _("Choose approvals from the list.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        delegation = Delegation.objects.create(person_id=person, delegate_id=delegate_id,
                                               starts_at=starts_at, ends_at=ends_at,
                                               reason=reason[:200])
        delegation.processes.set(processes)
    return delegation


def do_end_delegation(actor: Any, delegation_id: int) -> None:
    delegation = Delegation.objects.filter(pk=delegation_id).first()
    if delegation is None or (delegation.person_id != actor.pk
                              and not authz.can(actor, ops.PROCESS_MANAGE.code)):
        raise NotFound(_("No such delegation."))
    if delegation.ended_at is None:
        delegation.ended_at = timezone.now()
        delegation.save(update_fields=["ended_at", "updated_at"])


# --- submitting ------------------------------------------------------------------------


def _next_number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    try:
        with transaction.atomic():
            RequestCounter.objects.get_or_create(year=year)
    except IntegrityError:
        pass
    counter = lock_rows_query(RequestCounter.objects.filter(year=year)).get()
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"AP-{year}-{counter.last:06d}"


def _choice_nodes(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Steps (inside branches too, CC steps included) whose people the applicant picks:
    every one is asked at submission, since the branch taken may depend on later edits."""
    return [node for node, _path in paths(definition).values()
            if node.get("type") in ("approval", "handler", "cc")
            and any(s.get("kind") == "applicant_choice" for s in node.get("approvers", []))]


def choice_nodes(version: ProcessVersion) -> list[dict[str, Any]]:
    return _choice_nodes(version.definition)


def _clean_submission(actor: Any, version: ProcessVersion, data: Any,
                      chosen: dict[str, Any] | None, *, request_id: int | None = None,
                      department_id: int | None = None,
                      subject_code: str = "") -> tuple[dict[str, Any], dict[str, list[int]]]:
    lookups = Lookups(actor, request_id=request_id)
    values, errors = field_registry.clean_form(
        version.form, data if isinstance(data, dict) else {}, lookups,
        applicant_department=department_id, within=within)
    picked: dict[str, list[int]] = {}
    for node in _choice_nodes(version.definition):
        raw = (chosen or {}).get(node["id"]) or []
        try:
            wanted = [int(i) for i in (raw if isinstance(raw, list) else [raw])]
        except (TypeError, ValueError):
            wanted = []
        wanted = list(dict.fromkeys(wanted))
        active = directory.active_people(wanted)
        if getattr(actor, "pk", None) in wanted and node.get("type") != "cc":
            errors[f"approvers.{node['id']}"] = str(
                _("You cannot approve your own request: choose someone else for step "
                  "%(step)s.") % {"step": node.get("name") or node["id"]})
        elif not wanted or any(i not in active for i in wanted):
            errors[f"approvers.{node['id']}"] = str(
                _("Choose who approves at step %(step)s.") % {"step": node.get("name")
                                                              or node["id"]})
        picked[node["id"]] = wanted
    if not errors and subject_code:
        errors.update(subjects.problems(subject_code, actor, values, request_id))
    if errors:
        raise ValidationFailed(_("Some values are not valid."), fields=errors)
    return values, picked


def _summary(version: ProcessVersion, values: dict[str, Any], actor: Any) -> str:
    parts = []
    for row in field_registry.display_rows(version.form, values, Lookups(actor))[:3]:
        if not row["table"] and row["value"]:
            parts.append(f"{row['label']}: {row['value']}")
    return "; ".join(parts)[:300]


def startable_processes(actor: Any) -> list[Process]:
    """Published, open approvals this person may start."""
    if not authz.can(actor, ops.REQUEST_SUBMIT.code):
        return []
    lineage = directory.department_lineage(getattr(actor, "department_id", None))
    found = []
    # A cancellation approval is started from the approved request it cancels, never alone.
    serving = Process.objects.filter(cancellation_process__isnull=False).values(
        "cancellation_process")
    for process in (Process.objects.filter(is_active=True, current_version__isnull=False)
                    .exclude(code=CANCELLATION_CODE).exclude(pk__in=serving)):
        wanted = process.starter_departments or []
        if not wanted or any(int(d) in lineage for d in wanted):
            found.append(process)
    return found


def do_submit_request(actor: Any, process_code: str, data: Any, *,
                      chosen: dict[str, Any] | None = None, subject_code: str = "",
                      subject_ref: str = "", cancels: Request | None = None) -> Request:
    """Start a request on the process's current version. Raises ValidationFailed with
    field messages (``items[2].amount``, ``approvers.<step>``), PermissionDenied when the
    person may not start it. Emits ``workflows.request.submitted.v1`` (and an outcome
    event when the flow finishes at once)."""
    authz.require(actor, ops.REQUEST_SUBMIT.code)
    process = Process.objects.select_related("current_version").filter(code=process_code).first()
    if process is None or process.current_version is None:
        raise NotFound(_("No published approval %(code)s.") % {"code": process_code})
    if not process.is_active:
        raise Conflict(_("%(name)s is closed for new requests.") % {"name": process.name})
    if cancels is None and process not in startable_processes(actor):
        raise PermissionDenied(_("You may not start %(name)s.") % {"name": process.name})
    version = process.current_version
    department_id = getattr(actor, "department_id", None)
    values, picked = _clean_submission(actor, version, data, chosen,
                                       department_id=department_id,
                                       subject_code=subject_code or process.subject_code)
    now = timezone.now()
    with transaction.atomic():
        resolver = Resolver(applicant_id=actor.pk, department_id=department_id,
                            form=version.form, values=values, chosen=picked,
                            process_id=process.pk)
        state, effects = engine.start(version.definition, actor.pk, resolver)
        request = Request.objects.create(
            number=_next_number(now), process=process, version=version, applicant=actor,
            department_id=department_id,
            title=str(_("%(process)s: %(person)s") % {"process": process.name_zh,
                                                       "person": actor.display_name})[:200],
            summary=_summary(version, values, actor), form_data=values,
            chosen_approvers=picked, status=Request.Status.RUNNING, state=state.to_json(),
            subject_code=subject_code or process.subject_code, subject_ref=subject_ref,
            cancels=cancels, submitted_at=now, updated_at=now)
        _bind_attachments(request, version.form, values)
        index_requests([request])
        _history(request, Action.Kind.SUBMITTED, actor=actor, at=now)
        publish(events.RequestSubmitted(**_event_values(request)))
        _apply(request, version.definition, state, effects, now=now)
    return request


def search_text(request: Request) -> str:
    """What inbox search matches: number, title, summary, applicant and the form's text."""
    parts = [request.number, request.title, request.summary, request.process.name_zh,
             request.process.name_en]

    def collect(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    collect(request.form_data)
    return " ".join(parts)


def index_requests(requests: Iterable[Request], *, using: str = "default") -> None:
    index_documents("workflow_requests", ((r.pk, search_text(r)) for r in requests),
                    using=using)


def reindex_all(using: str = "default") -> None:
    """Rebuild the request search index (after a restore or a database copy)."""
    clear("workflow_requests", using=using)
    rows = Request.objects.using(using).select_related("process").order_by("pk")
    index_requests(rows.iterator(chunk_size=2000), using=using)


def _bind_attachments(request: Request, form: list[dict[str, Any]],
                      values: dict[str, Any]) -> None:
    ids: list[int] = []

    def collect(fields: list[dict[str, Any]], row: dict[str, Any]) -> None:
        for field in fields:
            value = row.get(field["name"])
            if field.get("type") in ("attachment", "image") and isinstance(value, list):
                ids.extend(int(i) for i in value)

    collect(form, values)
    if ids:
        Attachment.objects.filter(pk__in=ids, request__isnull=True).update(request=request)


def _event_values(request: Request) -> dict[str, Any]:
    return {"subject_type": "workflows.request", "subject_id": request.number,
            "approval_id": request.pk, "number": request.number,
            "process_code": request.process.code, "subject_code": request.subject_code,
            "subject_ref": request.subject_ref, "applicant_id": request.applicant_id}


def _history(request: Request, kind: str, *, actor: Any = None, at: dt.datetime,
             **values: Any) -> Action:
    actor_id = actor if isinstance(actor, int) or actor is None else actor.pk
    return Action.objects.create(request=request, kind=kind, actor_id=actor_id, at=at, **values)


# --- applying the engine's result ----------------------------------------------------------


def _node_names(definition: dict[str, Any]) -> dict[str, str]:
    return {node_id: str(node.get("name") or "") for node_id, (node, _p)
            in paths(definition).items()}


def _apply(request: Request, definition: dict[str, Any], state: engine.State,
           effects: list[engine.Effect], *, now: dt.datetime) -> None:
    """Write the engine's state, tasks, history, notifications and outcome event."""
    previous_status = request.status
    request.state = state.to_json()
    request.status = state.status
    request.updated_at = now
    if state.status in engine.FINAL_STATUSES and request.finished_at is None:
        request.finished_at = now
    request.save(update_fields=["state", "status", "updated_at", "finished_at"])

    index = paths(definition)
    names = _node_names(definition)
    existing = {task.key: task for task in request.tasks.all()}
    touched: set[int] = {request.applicant_id}
    for task in state.tasks:
        row = existing.get(task.key)
        if row is None:
            row = Task(request=request, key=task.key, node_id=task.node_id,
                       node_name=names.get(task.node_id, "")[:120], kind=task.kind,
                       created_at=now)
        changed = (row.pk is None or row.status != task.status or row.assignee_id
                   != task.assignee or row.superseded != task.superseded)
        if not changed:
            continue
        if task.status == "pending" and row.status != "pending":
            row.pending_since = now
            timeout = index[task.node_id][0].get("timeout") if task.node_id in index else None
            row.due_at = now + dt.timedelta(hours=float(timeout["hours"])) if timeout else None
        if row.status == "pending" and task.status in ("approved", "rejected", "transferred"):
            row.acted_at = now
        if task.status == "approved" and task.auto:
            row.acted_at = now
        row.status = task.status
        row.assignee_id = task.assignee
        row.delegated_from_id = task.delegated_from
        row.auto = task.auto
        row.added = task.added
        row.round = task.round
        row.superseded = task.superseded
        row.save()
        touched.add(task.assignee)

    pending: list[int] = []
    still_pending = {t.key for t in state.tasks if t.status == "pending"}
    for effect in effects:
        node_name = names.get(effect.node_id, "")[:120]
        if effect.kind == "task_pending":
            if effect.task_key in still_pending:  # not decided again within this run
                pending.extend(effect.people)
        elif effect.kind == "task_auto_approved":
            _history(request, Action.Kind.AUTO_APPROVED, actor=None, at=now,
                     node_id=effect.node_id, node_name=node_name, task_key=effect.task_key,
                     people=list(effect.people), detail=effect.detail)
        elif effect.kind == "node_skipped":
            _history(request, Action.Kind.SKIPPED, at=now, node_id=effect.node_id,
                     node_name=node_name)
        elif effect.kind == "routed_to_admin":
            _history(request, Action.Kind.ROUTED_TO_ADMIN, at=now, node_id=effect.node_id,
                     node_name=node_name, people=list(effect.people))
        elif effect.kind == "cc":
            people = list(effect.people)
            for person in people:
                CarbonCopy.objects.get_or_create(request=request, person_id=person,
                                                 defaults={"node_id": effect.node_id,
                                                           "created_at": now})
            _history(request, Action.Kind.COPIED, at=now, node_id=effect.node_id,
                     node_name=node_name, people=people)
            touched.update(people)
            notifications.notify(people, category="workflows.copies",
                                 title=_("For your information: %(title)s"),
                                 url=_url(request), params={"title": request.title})
        elif effect.kind == "finished":
            _history(request, Action.Kind.FINISHED, at=now, detail=effect.detail)
    if pending:
        notifications.notify(pending, category="workflows.tasks",
                             title=_("Waiting for your approval: %(title)s"),
                             body=_("%(summary)s"), url=_url(request),
                             params={"title": request.title, "summary": request.summary})
    if request.status != previous_status and request.status in events.OUTCOME_EVENTS:
        publish(events.OUTCOME_EVENTS[request.status](**_event_values(request)))
        if request.status == Request.Status.WITHDRAWN:
            # the applicant did it; those whose to-do vanished are told why
            withdrawn_from = sorted({p for e in effects if e.kind == "task_cancelled"
                                     for p in e.people})
            notifications.notify(withdrawn_from, category="workflows.tasks",
                                 title=_("%(title)s was withdrawn by the applicant"),
                                 url=_url(request), params={"title": request.title})
        else:
            notifications.notify([request.applicant_id], category="workflows.outcomes",
                                 title=_("%(title)s: %(status)s"), url=_url(request),
                                 params={"title": request.title,
                                         "status": Request.Status(request.status).label})
        if request.status == Request.Status.APPROVED and request.cancels_id:
            _cancel_original(request, now=now)
    live.push_counts(touched)


def _url(request: Request) -> str:
    from django.urls import reverse

    return reverse("workflows:request", args=[request.number])


def _cancel_original(cancellation: Request, *, now: dt.datetime) -> None:
    assert cancellation.cancels_id is not None
    original = lock_rows_query(Request.objects.filter(id=cancellation.cancels_id)).get()
    state = engine.State.from_json(original.state)
    try:
        effects = engine.cancel_approved(state)
    except engine.EngineError:
        return  # cancelled already by another way
    _history(original, Action.Kind.CANCELLED, actor=cancellation.applicant_id, at=now,
             detail=cancellation.number)
    _apply(original, original.version.definition, state, effects, now=now)


# --- acting on a request -------------------------------------------------------------------


def _locked(actor: Any, number: str) -> Request:
    request = (lock_rows_query(Request.objects.filter(number=number))
               .select_related("process", "version").first())
    if request is None or not selectors.may_read(actor, request):
        raise NotFound(_("No such request."))
    return request


def _resolver(request: Request) -> Resolver:
    return Resolver(applicant_id=request.applicant_id, department_id=request.department_id,
                    form=request.version.form, values=request.form_data,
                    chosen=request.chosen_approvers, process_id=request.process_id)


def _task_key(request: Request, actor: Any, task_key: int | None) -> int:
    if task_key is not None:
        return task_key
    key = (request.tasks.filter(assignee_id=actor.pk, status=Task.Status.PENDING)
           .order_by("key").values_list("key", flat=True).first())
    if key is None:
        raise Conflict(_("Nothing here waits for you."), code="not_pending")
    return int(key)


def _comment(comment: str, *, required: bool = False) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise ValidationFailed(fields={"comment": _("Say why, for the applicant.")})
    if len(text) > MAX_COMMENT:
        raise ValidationFailed(fields={"comment": _("Use at most %(n)d characters.")
                                       % {"n": MAX_COMMENT}})
    return text


def _comment_attachments(request: Request, actor: Any, ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return []
    usable = Lookups(actor, request_id=request.pk).attachments_usable(wanted, images=False)
    if missing := [str(i) for i in wanted if i not in usable]:
        raise ValidationFailed(fields={"attachments": _("Upload the file again (attachment "
                                                        "not found: %(ids)s)")
                                       % {"ids": ", ".join(missing)}})
    Attachment.objects.filter(pk__in=wanted, request__isnull=True).update(request=request)
    return wanted


def _act(actor: Any, number: str, run: Any, *, kind: str, task_key: int | None = None,
         comment: str = "", attachments: Iterable[int] = (), people: Iterable[int] = (),
         detail: str = "", history_actor: Any = None) -> Request:
    now = timezone.now()
    with transaction.atomic():
        request = _locked(actor, number)
        state = engine.State.from_json(request.state)
        key = _task_key(request, actor, task_key) if task_key != -1 else None
        try:
            task = state.task(key) if key is not None else None
        except engine.EngineError:
            raise ValidationFailed(fields={"task_key": _("This request has no such task.")}) \
                from None
        files = _comment_attachments(request, actor, attachments)
        try:
            effects = run(request, state, key)
        except engine.EngineError as error:
            raise _engine_error(error) from None
        names = _node_names(request.version.definition)
        on_behalf = (task.delegated_from if task is not None
                     and kind != Action.Kind.REASSIGNED else None)
        _history(request, kind, actor=history_actor if history_actor is not None else actor,
                 at=now, task_key=key, node_id=task.node_id if task else "",
                 node_name=names.get(task.node_id, "")[:120] if task else "",
                 comment=comment, attachments=files, people=list(people), detail=detail,
                 on_behalf_of_id=on_behalf)
        _apply(request, request.version.definition, state, effects, now=now)
    return request


def do_approve(actor: Any, number: str, *, task_key: int | None = None, comment: str = "",
               attachments: Iterable[int] = ()) -> Request:
    """Approve the actor's pending task (or mark a handler task done). Raises Conflict
    when it was dealt with meanwhile. May emit ``workflows.request.approved.v1``."""
    text = _comment(comment)

    def run(request: Request, state: engine.State, key: int) -> list[engine.Effect]:
        return engine.approve(request.version.definition, state, key, actor.pk,
                              _resolver(request))

    request = Request.objects.filter(number=number).only("state").first()
    kind = Action.Kind.APPROVED
    if request is not None and task_key is not None:
        found = [t for t in request.state.get("tasks", []) if t["key"] == task_key]
        if found and found[0]["kind"] == "handler":
            kind = Action.Kind.COMPLETED
    elif request is not None:
        mine = [t for t in request.state.get("tasks", [])
                if t["assignee"] == actor.pk and t["status"] == "pending"]
        if mine and mine[0]["kind"] == "handler":
            kind = Action.Kind.COMPLETED
    return _act(actor, number, run, kind=kind, task_key=task_key, comment=text,
                attachments=attachments)


def do_reject(actor: Any, number: str, *, to: str = "end", task_key: int | None = None,
              comment: str = "", attachments: Iterable[int] = ()) -> Request:
    """Reject: end the request (``end``), return it to the applicant (``applicant``) or to
    an earlier step (its node id). A reason is required. May emit
    ``workflows.request.rejected.v1`` or ``workflows.request.returned.v1``."""
    text = _comment(comment, required=True)

    def run(request: Request, state: engine.State, key: int) -> list[engine.Effect]:
        return engine.reject(request.version.definition, state, key, actor.pk,
                             _resolver(request), to=to)

    kind = {"end": Action.Kind.REJECTED, "applicant": Action.Kind.RETURNED}.get(
        to, Action.Kind.RETURNED_TO_STEP)
    return _act(actor, number, run, kind=kind, task_key=task_key, comment=text,
                attachments=attachments, detail="" if to in ("end", "applicant") else to)


def do_transfer(actor: Any, number: str, *, to: int, task_key: int | None = None,
                comment: str = "") -> Request:
    """Hand the actor's pending task to someone else (转交)."""
    text = _comment(comment)
    if not directory.active_people([to]):
        raise ValidationFailed(fields={"to": _("No active person with this id.")})

    def run(request: Request, state: engine.State, key: int) -> list[engine.Effect]:
        return engine.transfer(request.version.definition, state, key, actor.pk, to,
                               _resolver(request))

    return _act(actor, number, run, kind=Action.Kind.TRANSFERRED, task_key=task_key,
                comment=text, people=[to])


def do_add_approver(actor: Any, number: str, *, person: int, position: str,
                    task_key: int | None = None, comment: str = "") -> Request:
    """Add an approver before the actor, or approve and add one after (加签)."""
    text = _comment(comment)
    if not directory.active_people([person]):
        raise ValidationFailed(fields={"person": _("No active person with this id.")})

    def run(request: Request, state: engine.State, key: int) -> list[engine.Effect]:
        return engine.add_approver(request.version.definition, state, key, actor.pk, person,
                                   position, _resolver(request))

    kind = Action.Kind.ADDED_BEFORE if position == "before" else Action.Kind.ADDED_AFTER
    return _act(actor, number, run, kind=kind, task_key=task_key, comment=text,
                people=[person])


def do_withdraw(actor: Any, number: str, *, comment: str = "") -> Request:
    """The applicant takes back a pending or returned request (撤销). Emits
    ``workflows.request.withdrawn.v1``."""
    text = _comment(comment)

    def run(request: Request, state: engine.State, key: None) -> list[engine.Effect]:
        return engine.withdraw(state, actor.pk)

    return _act(actor, number, run, kind=Action.Kind.WITHDRAWN, task_key=-1, comment=text)


def do_resubmit(actor: Any, number: str, data: Any, *, chosen: dict[str, Any] | None = None,
                comment: str = "") -> Request:
    """The applicant corrects a returned request and sends it again from the first step."""
    text = _comment(comment)
    existing = Request.objects.select_related("version").filter(number=number).first()
    if existing is None or not selectors.may_read(actor, existing):
        raise NotFound(_("No such request."))
    if existing.applicant_id != actor.pk:
        raise PermissionDenied(_("Only the applicant can resubmit a request."))
    values, picked = _clean_submission(actor, existing.version, data, chosen,
                                       request_id=existing.pk,
                                       department_id=existing.department_id,
                                       subject_code=existing.subject_code)

    def run(request: Request, state: engine.State, key: None) -> list[engine.Effect]:
        if state.status != engine.machine.RETURNED:
            raise engine.EngineError("not_returned",
                                     _("Only a returned request can be resubmitted."))
        request.form_data = values
        request.chosen_approvers = picked
        request.summary = _summary(request.version, values, actor)
        request.finished_at = None
        request.save(update_fields=["form_data", "chosen_approvers", "summary",
                                    "finished_at"])
        _bind_attachments(request, request.version.form, values)
        index_requests([request])
        return engine.resubmit(request.version.definition, state, actor.pk,
                               _resolver(request))

    return _act(actor, number, run, kind=Action.Kind.RESUBMITTED, task_key=-1, comment=text)


def do_comment(actor: Any, number: str, *, comment: str,
               attachments: Iterable[int] = ()) -> Request:
    """Add a comment (with files) to the history; anyone who may read the request may."""
    text = _comment(comment, required=not list(attachments))
    now = timezone.now()
    with transaction.atomic():
        request = _locked(actor, number)
        files = _comment_attachments(request, actor, attachments)
        _history(request, Action.Kind.COMMENTED, actor=actor, at=now, comment=text,
                 attachments=files)
        others = {t.assignee_id for t in request.tasks.filter(status=Task.Status.PENDING)}
        others.add(request.applicant_id)
        others.discard(actor.pk)
        notifications.notify(others, category="workflows.tasks",
                             title=_("New comment on %(title)s"), body=_("%(comment)s"),
                             url=_url(request), params={"title": request.title,
                                                        "comment": text[:200]})
    return request


def do_urge(actor: Any, number: str) -> Request:
    """The applicant reminds the current approvers (催办), at most every ten minutes."""
    now = timezone.now()
    with transaction.atomic():
        request = _locked(actor, number)
        if request.applicant_id != actor.pk:
            raise PermissionDenied(_("Only the applicant can urge the approvers."))
        if request.status != Request.Status.RUNNING:
            raise Conflict(_("This request is no longer waiting for approval."))
        if request.last_urged_at and now - request.last_urged_at < selectors.URGE_INTERVAL:
            raise Conflict(_("You urged the approvers a few minutes ago; give them time."),
                           code="urged_recently")
        waiting = sorted({t.assignee_id for t in request.tasks.filter(
            status=Task.Status.PENDING)})
        request.last_urged_at = now
        request.save(update_fields=["last_urged_at"])
        _history(request, Action.Kind.URGED, actor=actor, at=now, people=waiting)
        notifications.notify(waiting, category="workflows.tasks",
                             title=_("Reminder: %(title)s is waiting for you"),
                             url=_url(request), params={"title": request.title})
    return request


def do_request_cancellation(actor: Any, number: str, *, reason: str) -> Request:
    """Ask to cancel an approved request: starts the process's cancellation approval,
    whose approval cancels the original (and emits ``workflows.request.cancelled.v1``).
    Process managers without such an approval cancel directly."""
    text = _comment(reason, required=True)
    request = Request.objects.select_related("process").filter(number=number).first()
    if request is None or not selectors.may_read(actor, request):
        raise NotFound(_("No such request."))
    if request.status != Request.Status.APPROVED:
        raise Conflict(_("Only an approved request can be cancelled."))
    if request.cancels_id is not None:
        raise Conflict(_("A cancellation cannot itself be cancelled."))
    cancellation = request.process.cancellation_process
    if cancellation is not None and cancellation.current_version is not None \
            and cancellation.is_active:
        if request.applicant_id != actor.pk:
            raise PermissionDenied(_("Only the applicant can ask to cancel a request."))
        with transaction.atomic():
            # under the original's lock, so two clicks cannot start two cancellations
            lock_rows_query(Request.objects.filter(pk=request.pk)).get()
            if request.cancellations.filter(status=Request.Status.RUNNING).exists():
                raise Conflict(_("A cancellation of this request is already in approval."))
            started = do_submit_request(actor, cancellation.code,
                                        {"request": request.number, "reason": text},
                                        subject_code="workflows.cancellation",
                                        subject_ref=request.number, cancels=request)
            _history(request, Action.Kind.CANCELLATION_REQUESTED, actor=actor,
                     at=timezone.now(), comment=text, detail=started.number)
        return started
    if not authz.can(actor, ops.PROCESS_MANAGE.code):
        raise Conflict(_("%(name)s has no cancellation approval; ask an approvals "
                         "administrator.") % {"name": request.process.name})

    def run(req: Request, state: engine.State, key: None) -> list[engine.Effect]:
        return engine.cancel_approved(state)

    return _act(actor, number, run, kind=Action.Kind.CANCELLED, task_key=-1, comment=text)


def do_reassign_task(actor: Any, number: str, *, task_key: int, to: int,
                     comment: str = "") -> Request:
    """An overseer moves a pending task to someone else (a departed or absent approver)."""
    text = _comment(comment, required=True)
    request = Request.objects.filter(number=number).first()
    if request is None or not selectors.may_oversee(actor, request):
        raise NotFound(_("No such request."))
    if not directory.active_people([to]):
        raise ValidationFailed(fields={"to": _("No active person with this id.")})
    task = request.tasks.filter(key=task_key, status=Task.Status.PENDING).first()
    if task is None:
        raise Conflict(_("That task is not waiting for anyone."), code="not_pending")
    assignee = task.assignee_id

    def run(req: Request, state: engine.State, key: int) -> list[engine.Effect]:
        effects = engine.transfer(req.version.definition, state, key, assignee, to,
                                  _resolver(req))
        state.task(key).auto = "reassigned"  # not the assignee's own act: not in their done box
        return effects

    return _act(actor, number, run, kind=Action.Kind.REASSIGNED, task_key=task_key,
                comment=text, people=[assignee, to])


def mark_copy_read(actor: Any, request: Request) -> None:
    CarbonCopy.objects.filter(request=request, person_id=actor.pk,
                              read_at__isnull=True).update(read_at=timezone.now())


# --- time limits -------------------------------------------------------------------------


def handle_due_tasks(now: dt.datetime | None = None) -> int:
    """Apply each overdue task's node rule: remind, escalate, approve or reject. Returns
    how many tasks were handled. Each runs in its own transaction under the request lock;
    one that fails is logged and pushed back by its period, so it cannot block the rest."""
    now = now or timezone.now()
    handled = 0
    due = list(Task.objects.filter(status=Task.Status.PENDING, due_at__lte=now)
               .order_by("due_at").values_list("request_id", "key")[:500])
    for request_id, key in due:
        try:
            handled += _handle_due_task(request_id, key, now)
        except Exception:
            logger.exception("time limit of task %s of request %s failed", key, request_id)
            Task.objects.filter(request_id=request_id, key=key, status=Task.Status.PENDING) \
                .update(due_at=now + dt.timedelta(hours=1))
    return handled


def _handle_due_task(request_id: int, key: int, now: dt.datetime) -> int:
    with transaction.atomic():
        request = (lock_rows_query(Request.objects.filter(pk=request_id))
                   .select_related("version", "process").first())
        task = Task.objects.filter(request_id=request_id, key=key).first()
        if request is None or task is None or task.status != Task.Status.PENDING \
                or task.due_at is None or task.due_at > now:
            return 0
        definition = request.version.definition
        node = paths(definition).get(task.node_id, ({}, ()))[0]
        timeout = node.get("timeout") or {}
        action = timeout.get("action", "remind")
        hours = float(timeout.get("hours") or 24)
        state = engine.State.from_json(request.state)
        if action == "escalate":
            resolver = _resolver(request)
            targets = [p for p in resolver.approvers({"id": node["id"],
                                                      "approvers": timeout.get(
                                                          "escalate_to") or []})
                       if p not in (task.assignee_id, request.applicant_id)]
            effects = engine.machine.escalate(definition, state, key, targets[0],
                                              resolver) if targets else []
            if effects:
                state.task(key).auto = "escalated"
                _history(request, Action.Kind.ESCALATED, at=now, task_key=key,
                         node_id=task.node_id, node_name=task.node_name,
                         people=[task.assignee_id, targets[0]])
                _apply(request, definition, state, effects, now=now)
                return 1
            action = "remind"
        if action in ("approve", "reject"):
            if action == "approve":
                effects = engine.approve(definition, state, key, task.assignee_id,
                                         _resolver(request))
            else:
                effects = engine.reject(definition, state, key, task.assignee_id,
                                        _resolver(request), to="end")
            state.task(key).auto = "timeout"
            _history(request, Action.Kind.TIMED_OUT, at=now, task_key=key,
                     node_id=task.node_id, node_name=task.node_name, detail=action,
                     people=[task.assignee_id])
            _apply(request, definition, state, effects, now=now)
            return 1
        task.reminded_at = now
        task.due_at = now + dt.timedelta(hours=hours)
        task.save(update_fields=["reminded_at", "due_at"])
        _history(request, Action.Kind.REMINDED, at=now, task_key=key,
                 node_id=task.node_id, node_name=task.node_name,
                 people=[task.assignee_id])
        notifications.notify([task.assignee_id], category="workflows.tasks",
                             title=_("Overdue: %(title)s is waiting for you"),
                             url=_url(request), params={"title": request.title})
        return 1
