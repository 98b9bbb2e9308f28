"""Reads of approvals, always filtered by what the person may see.

A request is readable by its applicant, everyone who has or had a task in it, everyone it
was copied to, and those who oversee the applicant's department.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from taihe.kernel import authz
from taihe.kernel.search import match_sql
from taihe.modules.workflows import operations as ops
from taihe.modules.workflows.models import (
    Attachment,
    CarbonCopy,
    Delegation,
    Process,
    Request,
    Task,
)

BOXES = ("todo", "done", "submitted", "cc", "all")


URGE_INTERVAL = dt.timedelta(minutes=10)
"""How soon an applicant may urge the approvers again."""

def _oversee_filter(actor: Any) -> Q | None:
    """Rows of departments the actor oversees; None when nowhere."""
    scope = authz.actor_for(actor).departments_for(ops.REQUEST_OVERSEE.code)
    if scope is None:
        return Q()
    if not scope:
        return None
    return Q(department_id__in=sorted(scope))


def requests_for(actor: Any) -> QuerySet[Request]:
    """Every request the actor may read."""
    if not getattr(actor, "is_authenticated", False):
        return Request.objects.none()
    involved = (Q(applicant_id=actor.pk)
                | Q(Exists(Task.objects.filter(request=OuterRef("pk"), assignee_id=actor.pk)))
                | Q(Exists(Task.objects.filter(request=OuterRef("pk"),
                                               delegated_from_id=actor.pk)))
                | Q(Exists(CarbonCopy.objects.filter(request=OuterRef("pk"),
                                                     person_id=actor.pk)))
                # a cancellation and the request it cancels are read together
                | Q(Exists(Task.objects.filter(request__cancels=OuterRef("pk"),
                                               assignee_id=actor.pk)))
                | Q(Exists(Task.objects.filter(request_id=OuterRef("cancels_id"),
                                               assignee_id=actor.pk))))
    overseen = _oversee_filter(actor)
    if overseen is not None and not overseen.children:
        return Request.objects.all()  # oversees every department
    if overseen is not None:
        involved |= overseen
    return Request.objects.filter(involved)


def may_read(actor: Any, request: Request) -> bool:
    return requests_for(actor).filter(pk=request.pk).exists()


def may_oversee(actor: Any, request: Request) -> bool:
    overseen = _oversee_filter(actor)
    return overseen is not None and Request.objects.filter(overseen, pk=request.pk).exists()


def request_for(actor: Any, number: str) -> Request | None:
    return (requests_for(actor).select_related("process", "version", "applicant")
            .filter(number=number).first())


def pending_tasks_for(actor: Any) -> QuerySet[Task]:
    if not getattr(actor, "is_authenticated", False):
        return Task.objects.none()
    return (Task.objects.filter(assignee_id=actor.pk, status=Task.Status.PENDING)
            .select_related("request", "request__process", "request__applicant")
            .order_by("pending_since", "id"))


@dataclass(frozen=True)
class InboxQuery:
    box: str = "todo"
    text: str = ""
    process: str = ""
    status: str = ""
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None


def inbox(actor: Any, query: InboxQuery) -> QuerySet[Request]:
    """The requests in one inbox box, newest submitted first."""
    if not getattr(actor, "is_authenticated", False):
        return Request.objects.none()
    person = actor.pk
    # ``id IN (SELECT request_id ...)`` rather than a correlated EXISTS: the planner then
    # starts from the person's few task rows (index assignee, status) instead of walking
    # every request and probing its tasks (226 ms -> 12 ms p50 with 100,000 requests).
    if query.box == "todo":
        rows = Request.objects.filter(id__in=Task.objects.filter(
            assignee_id=person, status=Task.Status.PENDING).values("request_id"))
    elif query.box == "done":
        rows = Request.objects.filter(id__in=Task.objects.filter(
            assignee_id=person, acted_at__isnull=False, auto="")
            .exclude(status=Task.Status.PENDING).values("request_id"))
    elif query.box == "submitted":
        rows = Request.objects.filter(applicant_id=person)
    elif query.box == "cc":
        rows = Request.objects.filter(id__in=CarbonCopy.objects.filter(
            person_id=person).values("request_id"))
    else:
        rows = requests_for(actor)
    if query.process:
        rows = rows.filter(process__code=query.process)
    if query.status:
        rows = rows.filter(status=query.status)
    if query.submitted_from:
        rows = rows.filter(submitted_at__date__gte=query.submitted_from)
    if query.submitted_to:
        rows = rows.filter(submitted_at__date__lte=query.submitted_to)
    text = query.text.strip()
    if text:
        found = match_sql("workflow_requests", text)
        plain = Q(number__icontains=text) | Q(title__icontains=text) | Q(
            summary__icontains=text)
        if found is not None:
            # match_sql quotes every term itself: no user text becomes SQL.
            plain |= Q(id__in=RawSQL(*found))  # noqa: S611
        rows = rows.filter(plain)
    return (rows.select_related("process", "applicant")
            .defer("form_data", "state", "chosen_approvers", "process__draft_form",
                   "process__draft_definition", "process__description")
            .order_by("-submitted_at", "-id"))


def inbox_counts(person_id: int) -> dict[str, int]:
    return {
        "todo": Task.objects.filter(assignee_id=person_id, status=Task.Status.PENDING).count(),
        "cc_unread": CarbonCopy.objects.filter(person_id=person_id,
                                               read_at__isnull=True).count(),
    }


def processes_for_design(actor: Any) -> QuerySet[Process]:
    if not authz.can(actor, ops.PROCESS_MANAGE.code):
        return Process.objects.none()
    return Process.objects.select_related("current_version").order_by("category", "code")


def process_for_design(actor: Any, process_id: int) -> Process | None:
    return processes_for_design(actor).filter(pk=process_id).first()


def history_of(request: Request) -> QuerySet[Any]:
    return request.actions.select_related("actor", "on_behalf_of").order_by("at", "id")


@dataclass(frozen=True)
class MyTask:
    task: Task
    return_targets: list[str]


@dataclass(frozen=True)
class Allowed:
    """What a person may do with a request now; the pages and the API show the same."""

    tasks: list[MyTask]
    withdraw: bool
    urge: bool
    resubmit: bool
    cancel: bool
    reassign: list[Task]


def allowed_actions(actor: Any, request: Request, tasks: list[Task] | None = None,
                    *, now: dt.datetime | None = None) -> Allowed:
    """The actions open to ``actor`` (who may read ``request``), as the services would
    accept them."""
    from django.utils import timezone

    from taihe.modules.workflows import engine

    tasks = tasks if tasks is not None else list(request.tasks.order_by("key"))
    now = now or timezone.now()
    state = engine.State.from_json(request.state)
    mine = []
    for task in tasks:
        if task.assignee_id != actor.pk or task.status != Task.Status.PENDING:
            continue
        try:
            targets = engine.return_targets(request.version.definition, state, task.key)
        except (engine.EngineError, KeyError):
            targets = []
        mine.append(MyTask(task, targets))
    applicant = request.applicant_id == actor.pk
    running = request.status == Request.Status.RUNNING
    pending = [t for t in tasks if t.status == Task.Status.PENDING]
    cancel = False
    if request.status == Request.Status.APPROVED and request.cancels_id is None:
        cancellation = request.process.cancellation_process
        if cancellation is not None and cancellation.current_version_id is not None \
                and cancellation.is_active:
            cancel = applicant and not request.cancellations.filter(
                status=Request.Status.RUNNING).exists()
        else:
            cancel = authz.can(actor, ops.PROCESS_MANAGE.code)
    return Allowed(
        tasks=mine,
        withdraw=applicant and request.status in (Request.Status.RUNNING,
                                                  Request.Status.RETURNED),
        urge=applicant and running and bool(pending) and (
            request.last_urged_at is None or now - request.last_urged_at >= URGE_INTERVAL),
        resubmit=applicant and request.status == Request.Status.RETURNED,
        cancel=cancel,
        reassign=pending if running and may_oversee(actor, request) else [],
    )


def attachment_for(actor: Any, attachment_id: int) -> Attachment | None:
    """A file, for whoever may read the request it belongs to; before it is attached to
    one, for its uploader only."""
    found = Attachment.objects.filter(pk=attachment_id).first()
    if found is None or not getattr(actor, "is_authenticated", False):
        return None
    if found.request_id is None:
        return found if found.uploaded_by_id == actor.pk else None
    return found if requests_for(actor).filter(pk=found.request_id).exists() else None


def delegations_for(actor: Any) -> QuerySet[Delegation]:
    """The person's own delegations and those naming them as stand-in; every delegation
    for approval managers, who may set them up for others."""
    if not getattr(actor, "is_authenticated", False):
        return Delegation.objects.none()
    rows = Delegation.objects.all()
    if not authz.can(actor, ops.PROCESS_MANAGE.code):
        rows = rows.filter(Q(person_id=actor.pk) | Q(delegate_id=actor.pk))
    return rows.prefetch_related("processes").order_by("-starts_at", "-id")
