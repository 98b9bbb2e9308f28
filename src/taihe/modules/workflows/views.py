"""The approval pages people live in: the inbox, the catalogue of approvals, the request
form rendered from its field JSON, the request page with its path, history and actions,
attachments, delegations and the printable record.

Thin like ``http.py``: parse, call one service or selector, render. Services decide who may
do what; these views only avoid offering what the person could not use. A request reaches a
template only through ``selectors.request_for``: whoever may not read it gets "not found",
never a hint that it exists.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, DomainError, ValidationFailed
from taihe.kernel.http.pages import forbidden, not_found, refuse, show_errors
from taihe.modules.catalog import api as catalog
from taihe.modules.directory import api as directory
from taihe.modules.workflows import fields as field_registry
from taihe.modules.workflows import forms as wf_forms
from taihe.modules.workflows import operations as ops
from taihe.modules.workflows import record, selectors, services
from taihe.modules.workflows.models import (
    CarbonCopy,
    Delegation,
    Process,
    ProcessVersion,
    Request,
    Task,
)
from taihe.modules.workflows.resolving import Lookups

PAGE_SIZE = 25
MAX_LOCATION_CHOICES = 800
"""Beyond this many places a location field is an id box with search, not a list."""

ICONS = {"leave": "person", "cancel": "alert", "travel": "globe", "expense": "report",
         "loan": "handshake", "purchase": "list", "cart": "list", "object": "museum",
         "movement": "museum", "security": "shield", "camera": "scan", "seal": "badge",
         "repair": "settings", "overtime": "checklist", "clock": "checklist"}
"""Process icons by the name the designer picks, drawn from the shell's icon sprite."""
SPRITE = frozenset({"home", "people", "person", "tree", "shield", "key", "bell", "upload",
                    "download", "badge", "menu", "search", "check", "settings", "list",
                    "globe", "apps", "museum", "scan", "handshake", "checklist",
                    "thermometer", "alert", "report", "approval", "flow"})

CATEGORY_LABELS: dict[str, Any] = {
    "general": gettext_lazy("General"),
    "attendance": gettext_lazy("Attendance and leave"),
    "finance": gettext_lazy("Finance"),
    "collection": gettext_lazy("Collection"),
    "facilities": gettext_lazy("Facilities"),
    "hr": gettext_lazy("People"),
    "": gettext_lazy("Other"),
}

def _may_submit(actor: Any) -> bool:
    return authz.can(actor, ops.REQUEST_SUBMIT.code)


def _icon(process: Process) -> str:
    icon = ICONS.get(process.icon, process.icon)
    return icon if icon in SPRITE else "checklist"


def _process_choices() -> list[tuple[str, str]]:
    return [(process.code, process.name) for process in
            Process.objects.filter(current_version__isnull=False).order_by("category", "code")]


def _get_request(actor: Any, number: str) -> Request | None:
    return selectors.request_for(actor, number)


def _error_text(error: DomainError) -> str:
    """What went wrong, for a message: the service's text and its field messages."""
    parts = [str(error.detail)] if not error.fields or str(error.detail) != str(
        ValidationFailed.default_detail) else []
    parts.extend(error.fields.values())
    return " ".join(part for part in parts if part)


# --- Inbox ---------------------------------------------------------------------------------

BOX_NAMES = dict(wf_forms.BOX_CHOICES)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not _may_submit(actor):
        return forbidden(request)
    counts = selectors.inbox_counts(int(actor.pk or 0))
    if request.GET.get("counts"):
        # What inbox.js fetches on every (re)connect: realtime is only a hint.
        return JsonResponse(counts)
    oversees = authz.actor_for(actor).departments_for(ops.REQUEST_OVERSEE.code) != frozenset()
    boxes = [(code, label) for code, label in wf_forms.BOX_CHOICES
             if code != "all" or oversees]
    box = request.GET.get("box", "todo")
    box = box if box in dict(boxes) else "todo"
    filters = wf_forms.InboxFilterForm(request.GET, processes=_process_choices())
    query = selectors.InboxQuery(box=box)
    if filters.is_valid():
        data = filters.cleaned_data
        query = selectors.InboxQuery(box=box, text=data["q"].strip(), process=data["process"],
                                     status=data["status"],
                                     submitted_from=data["submitted_from"],
                                     submitted_to=data["submitted_to"])
    found = selectors.inbox(actor, query)
    if box == "todo":
        found = found.order_by("submitted_at", "id")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page") or 1)
    rows = _inbox_rows(actor, list(page.object_list), box)
    rest = request.GET.copy()
    rest.pop("page", None)
    tab_query = rest.copy()
    tab_query.pop("box", None)
    filtered = any(request.GET.get(name) for name in
                   ("q", "process", "status", "submitted_from", "submitted_to"))
    return render(request, "workflows/inbox.html", {
        "box": box, "box_label": BOX_NAMES[box], "rows": rows, "page_obj": page,
        "query_string": rest.urlencode(), "tab_query": tab_query.urlencode(),
        "filters": filters, "filtered": filtered, "counts": counts,
        "tabs": [{"code": code, "label": label,
                  "count": counts["todo"] if code == "todo" else
                  counts["cc_unread"] if code == "cc" else None}
                 for code, label in boxes],
        "may_start": bool(services.startable_processes(actor)),
    })


def _inbox_rows(actor: Any, requests: list[Request], box: str) -> list[dict[str, Any]]:
    ids = [request.pk for request in requests]
    waiting: dict[int, dt.datetime | None] = {}
    acted: dict[int, dt.datetime | None] = {}
    unread: set[int] = set()
    if box == "todo":
        for request_id, since in (Task.objects.filter(request_id__in=ids, assignee_id=actor.pk,
                                                      status=Task.Status.PENDING)
                                  .order_by("-pending_since")
                                  .values_list("request_id", "pending_since")):
            waiting[request_id] = since
    if box == "done":
        for request_id, at in (Task.objects.filter(request_id__in=ids, assignee_id=actor.pk,
                                                   acted_at__isnull=False)
                               .order_by("acted_at").values_list("request_id", "acted_at")):
            acted[request_id] = at
    if box == "cc":
        unread = set(CarbonCopy.objects.filter(request_id__in=ids, person_id=actor.pk,
                                               read_at__isnull=True)
                     .values_list("request_id", flat=True))
    names = directory.display_names(sorted({request.applicant_id for request in requests}))
    return [{"request": request, "status": record.status_of(request),
             "applicant": record.person_name(names, request.applicant_id),
             "process": request.process.name,
             "waiting_since": waiting.get(request.pk), "acted_at": acted.get(request.pk),
             "unread": request.pk in unread}
            for request in requests]


# --- Catalogue --------------------------------------------------------------------------------

@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not _may_submit(actor):
        return forbidden(request)
    groups: dict[str, list[dict[str, Any]]] = {}
    for process in services.startable_processes(actor):
        groups.setdefault(process.category, []).append(
            {"process": process, "icon": _icon(process),
             "url": reverse("workflows:submit", args=[process.code])})
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "", str(
        CATEGORY_LABELS.get(item[0], item[0])).casefold()))
    return render(request, "workflows/catalogue.html", {
        "groups": [{"code": code, "label": CATEGORY_LABELS.get(code, code.replace("_", " ")
                                                                 .capitalize()),
                    "items": items} for code, items in ordered],
    })


# --- The approval form ------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _widget_template(kind: str) -> str:
    """``workflows/fields/<type>.html``; a field type another module registers without its
    own template is typed into a text box."""
    name = f"workflows/fields/{kind}.html"
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return "workflows/fields/text.html"
    return name


@dataclass
class FieldView:
    """One field of an approval form as the template draws it."""

    name: str
    kind: str
    label: str
    input_name: str
    input_id: str
    template: str
    definition: dict[str, Any]
    help: str = ""
    required: bool = False
    text: str = ""
    error: str = ""
    start: str = ""
    end: str = ""
    half_days: bool = False
    start_half: str = "am"
    end_half: str = "pm"
    values: list[str] = field(default_factory=list)
    choices: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    visible_if: str = ""
    columns: list[FieldView] = field(default_factory=list)
    rows: list[list[FieldView]] = field(default_factory=list)
    totals: list[str] = field(default_factory=list)

    @property
    def multiple(self) -> bool:
        return bool(self.definition.get("multiple")) or self.kind in wf_forms.FILE_TYPES

    @property
    def grouped(self) -> bool:
        """Several inputs under one label (a fieldset-like group)."""
        return self.kind in ("multiselect", "daterange", "table")

    @property
    def placeholder(self) -> str:
        return field_registry.label_of(self.definition, "placeholder") \
            if self.definition.get("placeholder") else ""

    @property
    def items_json(self) -> str:
        return json.dumps(self.items, ensure_ascii=False)

    @property
    def options_json(self) -> str:
        keys = ("min", "max", "decimals", "unit", "currency", "formula", "max_length",
                "multiple", "max_files", "min_rows", "max_rows", "totals")
        return json.dumps({key: self.definition[key] for key in keys
                           if key in self.definition}, ensure_ascii=False)


class FormRenderer:
    """Builds the :class:`FieldView` of each field of a version's form from a value (the
    posted data, or a request's stored values) and the service's messages."""

    def __init__(self, actor: Any, lookups: Lookups) -> None:
        self.actor = actor
        self.lookups = lookups
        self._locations: list[tuple[int, str]] | None = None
        self._departments: list[tuple[int, str]] | None = None

    def locations(self) -> list[tuple[int, str]]:
        if self._locations is None:
            places = catalog.locations_visible_to(self.actor)
            self._locations = [] if len(places) > MAX_LOCATION_CHOICES else [
                (info.id, "\u2003" * max(len(info.path.strip("/").split("/")) - 1, 0)
                 + f"{info.code} {catalog.location_name(info.id) or ''}".strip())
                for info in places]
        return self._locations

    def departments(self) -> list[tuple[int, str]]:
        """Open departments in tree order, indented by depth, named in both scripts."""
        if self._departments is None:
            found = directory.departments()
            depth: dict[int, int] = {}
            self._departments = []
            for info in found:
                depth[info.id] = depth.get(info.parent_id or 0, -1) + 1 \
                    if info.parent_id in depth else 0
                name = info.name_zh if info.name_en in ("", info.name_zh) else \
                    f"{info.name_zh} · {info.name_en}"
                self._departments.append((info.id, "\u2003" * depth[info.id] + name))
        return self._departments

    def fields(self, form: list[dict[str, Any]], data: dict[str, Any], errors: dict[str, str],
               cells: dict[tuple[str, int, str], str]) -> list[FieldView]:
        return [self.view(definition, data.get(definition["name"]),
                          f"{wf_forms.FIELD_PREFIX}{definition['name']}",
                          errors.get(definition["name"], ""), cells)
                for definition in form if definition.get("name")]

    def view(self, definition: dict[str, Any], value: Any, input_name: str, error: str,
             cells: dict[tuple[str, int, str], str] | None = None) -> FieldView:
        kind = str(definition.get("type") or "text")
        view = FieldView(
            name=str(definition["name"]), kind=kind, label=field_registry.label_of(definition),
            input_name=input_name, input_id="id_" + input_name.replace(".", "_"),
            template=_widget_template(kind), definition=definition,
            help=field_registry.label_of(definition, "help") if definition.get("help") else "",
            required=bool(definition.get("required")), error=error,
            visible_if=json.dumps(definition["visible_if"], ensure_ascii=False)
            if definition.get("visible_if") else "")
        if kind in ("select", "multiselect"):
            chosen = value if isinstance(value, list) else [] if value in (None, "") else [value]
            view.choices = [{"value": choice.get("value"),
                             "label": field_registry.label_of(choice),
                             "selected": choice.get("value") in chosen}
                            for choice in definition.get("choices") or []]
        elif kind == "daterange":
            found = value if isinstance(value, dict) else {}
            view.start, view.end = str(found.get("start") or ""), str(found.get("end") or "")
            view.half_days = bool(definition.get("half_days"))
            view.start_half = str(found.get("start_half") or "am")
            view.end_half = str(found.get("end_half") or "pm")
        elif kind in wf_forms.REFERENCE_TYPES or kind in wf_forms.FILE_TYPES:
            items = value if isinstance(value, list) else [] if value in (None, "") else [value]
            reference = "attachment" if kind in wf_forms.FILE_TYPES else kind
            view.values = [str(item) for item in items]
            view.text = ", ".join(view.values)
            view.items = [{"id": item, "name": self.lookups.name_of(reference, int(item))}
                          for item in items if str(item).isdigit()]
            listed = self.locations() if kind == "location" else \
                self.departments() if kind == "department" else []
            view.choices = [{"value": str(choice_id), "label": label,
                             "selected": str(choice_id) in view.values}
                            for choice_id, label in listed]
        elif kind == "table":
            self._table(view, definition, value, cells or {})
        elif value is not None:
            view.text = str(value)
        return view

    def _table(self, view: FieldView, definition: dict[str, Any], value: Any,
               cells: dict[tuple[str, int, str], str]) -> None:
        columns = [c for c in definition.get("columns") or [] if c.get("name")]
        rows = value if isinstance(value, list) else []
        if not rows:
            rows = [{}] * max(int(definition.get("min_rows") or 0), 1)
        view.columns = [self.view(column, None, f"{view.input_name}.__row__.{column['name']}",
                                  "") for column in columns]
        for index, row in enumerate(rows):
            view.rows.append([
                self.view(column, row.get(column["name"]) if isinstance(row, dict) else None,
                          f"{view.input_name}.{index}.{column['name']}",
                          cells.get((view.name, index + 1, column["name"]), ""))
                for column in columns])
        totals = set(definition.get("totals") or [])
        view.totals = [column["name"] if column["name"] in totals else ""
                       for column in columns] if totals else []


@dataclass
class ChoiceStep:
    """A step whose approvers the applicant picks."""

    node_id: str
    name: str
    input_name: str
    values: list[str]
    items: list[dict[str, Any]]
    error: str

    @property
    def items_json(self) -> str:
        return json.dumps(self.items, ensure_ascii=False)


def _choice_steps(version: ProcessVersion, chosen: dict[str, Any], errors: dict[str, str],
                  lookups: Lookups) -> list[ChoiceStep]:
    steps = []
    for node in services.choice_nodes(version):
        picked = chosen.get(node["id"]) or []
        picked = picked if isinstance(picked, list) else [picked]
        steps.append(ChoiceStep(
            node_id=node["id"], name=str(node.get("name") or node["id"]),
            input_name=f"{wf_forms.APPROVERS_PREFIX}{node['id']}",
            values=[str(i) for i in picked],
            items=[{"id": i, "name": lookups.name_of("person", int(i))}
                   for i in picked if str(i).isdigit()],
            error=errors.get(f"{wf_forms.APPROVERS_PREFIX}{node['id']}", "")))
    return steps


def _upload_posted_files(actor: Any, request: HttpRequest, form: list[dict[str, Any]]
                         ) -> tuple[dict[str, list[int]], dict[str, str]]:
    """Files chosen in attachment fields without JavaScript arrive with the form: store
    them first, so the form keeps them (as ids) even when something else is wrong."""
    uploaded: dict[str, list[int]] = {}
    errors: dict[str, str] = {}
    for definition in form:
        if definition.get("type") not in wf_forms.FILE_TYPES:
            continue
        key = f"{wf_forms.FIELD_PREFIX}{definition['name']}"
        for upload in request.FILES.getlist(f"{wf_forms.FILE_PREFIX}{definition['name']}"):
            try:
                attachment = services.do_upload_attachment(actor, upload)
            except ValidationFailed as error:
                errors[definition["name"]] = " ".join(error.fields.values()) or str(
                    error.detail)
                continue
            if definition.get("type") == "image" and not attachment.is_image:
                errors[definition["name"]] = _("%(name)s is not an image.") % {
                    "name": attachment.name}
                continue
            uploaded.setdefault(key, []).append(attachment.pk)
    return uploaded, errors


def _form_page(request: HttpRequest, *, version: ProcessVersion, data: dict[str, Any],
               chosen: dict[str, Any], errors: dict[str, str], lookups: Lookups,
               existing: Request | None = None, status: int = 200) -> HttpResponse:
    actor = request.user
    plain, cells = wf_forms.split_errors(errors)
    renderer = FormRenderer(actor, lookups)
    fields = renderer.fields(version.form, data, plain, cells)
    steps = _choice_steps(version, chosen, plain, lookups)
    known = {view.name for view in fields} | {f"{wf_forms.APPROVERS_PREFIX}{s.node_id}"
                                              for s in steps}
    table_names = {view.name for view in fields if view.kind == "table"}
    other = [message for key, message in plain.items() if key not in known]
    other += [message for (table, _row, _column), message in cells.items()
              if table not in table_names]
    process = version.process
    return render(request, "workflows/submit.html", {
        "process": process, "version": version, "fields": fields, "steps": steps,
        "errors": errors, "other_errors": other, "existing": existing,
        "action_url": reverse("workflows:resubmit", args=[existing.number]) if existing
        else reverse("workflows:submit", args=[process.code]),
        "upload_url": reverse("workflows:upload"),
        "applicant_department": getattr(actor, "department_id", None) or "",
    }, status=status)


def _parse_form(request: HttpRequest, version: ProcessVersion
                ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    uploaded, upload_errors = _upload_posted_files(request.user, request, version.form)
    data = wf_forms.read_submission(version.form, request.POST, uploaded)
    chosen = wf_forms.read_chosen(services.choice_nodes(version), request.POST)
    return data, chosen, upload_errors


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, code: str) -> HttpResponse:
    actor = request.user
    process = (Process.objects.select_related("current_version")
               .filter(code=code, current_version__isnull=False).first())
    if process is None:
        return not_found(request)
    if process not in services.startable_processes(actor):
        return forbidden(request, _("You may not start %(name)s.") % {"name": process.name})
    version = process.current_version
    assert version is not None
    lookups = Lookups(actor)
    if request.method != "POST":
        return _form_page(request, version=version, data=_prefill(request, version),
                          chosen={}, errors={}, lookups=lookups)
    data, chosen, upload_errors = _parse_form(request, version)
    if upload_errors:
        return _form_page(request, version=version, data=data, chosen=chosen,
                          errors=upload_errors, lookups=lookups, status=422)
    try:
        created = services.do_submit_request(actor, code, data, chosen=chosen)
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        return _form_page(request, version=version, data=data, chosen=chosen,
                          errors=error.fields or {"": _error_text(error)}, lookups=lookups,
                          status=422)
    messages.success(request, _("%(number)s is submitted.") % {"number": created.number})
    return redirect("workflows:request", number=created.number)


PREFILLED_TYPES = frozenset({"text", "textarea", "date", "select", "number", "money"})


def _prefill(request: HttpRequest, version: Any) -> dict[str, str]:
    """Starting values from the link that opened the form (``?f.date=2026-11-04`` from an
    attendance day's "make-up punch" link): simple top-level fields only, checked like any
    typed value when the form is sent."""
    found = {}
    for definition in version.form:
        if definition.get("type") in PREFILLED_TYPES:
            value = request.GET.get(f"f.{definition.get('name')}", "").strip()
            if value:
                found[str(definition["name"])] = value[:200]
    return found


@login_required
@require_http_methods(["GET", "POST"])
def resubmit(request: HttpRequest, number: str) -> HttpResponse:
    actor = request.user
    found = _get_request(actor, number)
    if found is None:
        return not_found(request)
    if found.applicant_id != actor.pk:
        return forbidden(request, _("Only the applicant can resubmit a request."))
    if found.status != Request.Status.RETURNED:
        messages.error(request, _("Only a request returned for changes can be resubmitted."))
        return redirect("workflows:request", number=number)
    lookups = Lookups(actor, request_id=found.pk)
    if request.method != "POST":
        return _form_page(request, version=found.version, data=found.form_data,
                          chosen=found.chosen_approvers, errors={}, lookups=lookups,
                          existing=found)
    data, chosen, upload_errors = _parse_form(request, found.version)
    if upload_errors:
        return _form_page(request, version=found.version, data=data, chosen=chosen,
                          errors=upload_errors, lookups=lookups, existing=found, status=422)
    try:
        services.do_resubmit(actor, number, data, chosen=chosen,
                             comment=request.POST.get("comment", ""))
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        if isinstance(error, Conflict):
            messages.error(request, _error_text(error))
            return redirect("workflows:request", number=number)
        return _form_page(request, version=found.version, data=data, chosen=chosen,
                          errors=error.fields or {"": _error_text(error)}, lookups=lookups,
                          existing=found, status=422)
    messages.success(request, _("%(number)s is sent again from the first step.")
                     % {"number": number})
    return redirect("workflows:request", number=number)


# --- The request page ---------------------------------------------------------------------------

def _has_cancellation_approval(request: Request) -> bool:
    cancellation = request.process.cancellation_process
    return (cancellation is not None and cancellation.current_version_id is not None
            and cancellation.is_active)


def _panel(actor: Any, request: Request, tasks: list[Task],
           names: dict[int, str], node_names: dict[str, str]) -> dict[str, Any]:
    """What this person may do with the request now (selectors.allowed_actions)."""
    allowed = selectors.allowed_actions(actor, request, tasks)
    return {
        "tasks": [{"task": mine.task, "handler": mine.task.kind == "handler",
                   "targets": [(node_id, node_names.get(node_id) or node_id)
                               for node_id in mine.return_targets]}
                  for mine in allowed.tasks],
        "applicant": request.applicant_id == actor.pk,
        "may_withdraw": allowed.withdraw,
        "may_urge": allowed.urge,
        "may_resubmit": allowed.resubmit,
        "may_cancel": allowed.cancel,
        "cancel_directly": allowed.cancel and not _has_cancellation_approval(request),
        "reassignable": [{"key": t.key, "label": f"{t.node_name or t.node_id}: "
                          f"{record.person_name(names, t.assignee_id)}"}
                         for t in allowed.reassign],
    }


@login_required
def request_page(request: HttpRequest, number: str) -> HttpResponse:
    actor = request.user
    found = _get_request(actor, number)
    if found is None:
        return not_found(request)
    services.mark_copy_read(actor, found)
    context = record.request_context(actor, found)
    context["panel"] = _panel(actor, found, context["tasks"], context["names"],
                              context["node_names"])
    context["upload_url"] = reverse("workflows:upload")
    return render(request, "workflows/request.html", context)


# --- Acting on a request ------------------------------------------------------------------

ACTION_DONE: dict[str, Any] = {
    "approve": gettext_lazy("You approved %(number)s."),
    "reject": gettext_lazy("You rejected %(number)s."),
    "return_applicant": gettext_lazy("%(number)s is returned to the applicant."),
    "return_step": gettext_lazy("%(number)s is sent back to an earlier step."),
    "cancelled": gettext_lazy("%(number)s is cancelled."),
    "transfer": gettext_lazy("%(number)s is transferred."),
    "add_before": gettext_lazy("The approver is added before you."),
    "add_after": gettext_lazy("You approved %(number)s and added the next approver."),
    "comment": gettext_lazy("Your comment is added."),
    "withdraw": gettext_lazy("%(number)s is withdrawn."),
    "urge": gettext_lazy("The approvers are reminded."),
    "cancel": gettext_lazy("The cancellation of %(number)s is requested."),
    "reassign": gettext_lazy("The task is reassigned."),
}


def _run_action(actor: Any, number: str, form: wf_forms.ActionForm,
                attachments: list[int]) -> Any:
    data = form.cleaned_data
    action, comment, key = data["action"], data["comment"], data["task"]
    person = form.person_id()
    needs_person = action in ("transfer", "add_before", "add_after", "reassign")
    if needs_person and person is None:
        raise ValidationFailed(fields={"person": _("Choose one person.")})
    if action == "approve":
        return services.do_approve(actor, number, task_key=key, comment=comment,
                                   attachments=attachments)
    if action == "reject":
        return services.do_reject(actor, number, to=data["target"] or "end", task_key=key,
                                  comment=comment, attachments=attachments)
    if action == "transfer":
        assert person is not None
        return services.do_transfer(actor, number, to=person, task_key=key, comment=comment)
    if action in ("add_before", "add_after"):
        assert person is not None
        return services.do_add_approver(actor, number, person=person,
                                        position=action.removeprefix("add_"), task_key=key,
                                        comment=comment)
    if action == "comment":
        return services.do_comment(actor, number, comment=comment, attachments=attachments)
    if action == "withdraw":
        return services.do_withdraw(actor, number, comment=comment)
    if action == "urge":
        return services.do_urge(actor, number)
    if action == "cancel":
        return services.do_request_cancellation(actor, number, reason=comment)
    if key is None:
        raise ValidationFailed(fields={"task": _("Choose the task to reassign.")})
    assert person is not None
    return services.do_reassign_task(actor, number, task_key=key, to=person, comment=comment)


@login_required
@require_POST
def act(request: HttpRequest, number: str) -> HttpResponse:
    actor = request.user
    if _get_request(actor, number) is None:
        return not_found(request)
    form = wf_forms.ActionForm(request.POST)
    back = redirect("workflows:request", number=number)
    if not form.is_valid():
        messages.error(request, " ".join(str(message) for errors in form.errors.values()
                                         for message in errors))
        return back
    attachments = form.attachment_ids(request.POST.getlist("attachment"))
    if attachments is None:
        messages.error(request, _("Upload the files again."))
        return back
    try:
        for upload in request.FILES.getlist("files"):
            attachments.append(services.do_upload_attachment(actor, upload).pk)
        result = _run_action(actor, number, form, attachments)
    except DomainError as error:
        if isinstance(error, Conflict):
            messages.error(request, _("This could not be done: %(reason)s") % {
                "reason": _error_text(error)})
            return back
        denied = refuse(request, error)
        if denied is not None and error.status == 404:
            return denied
        messages.error(request, _error_text(error))
        return back
    action = form.cleaned_data["action"]
    done = action
    if action == "reject" and form.cleaned_data.get("target") not in ("", None, "end"):
        done = ("return_applicant" if form.cleaned_data["target"] == "applicant"
                else "return_step")
    elif action == "cancel" and isinstance(result, Request) and result.number == number:
        done = "cancelled"  # an approvals manager cancelled it directly
    messages.success(request, str(ACTION_DONE[done]) % {"number": number})
    if action == "cancel" and isinstance(result, Request) and result.number != number:
        return redirect("workflows:request", number=result.number)
    return back


# --- Attachments ----------------------------------------------------------------------------

@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    actor = request.user
    file = request.FILES.get("file")
    if file is None:
        return JsonResponse({"detail": _("Choose a file."), "code": "invalid",
                             "fields": {"file": _("Choose a file.")}}, status=422)
    try:
        attachment = services.do_upload_attachment(actor, file)
    except DomainError as error:
        return JsonResponse(error.as_dict(), status=error.status)
    return JsonResponse({"id": attachment.pk, "name": attachment.name, "size": attachment.size,
                         "is_image": attachment.is_image,
                         "url": reverse("workflows:attachment", args=[attachment.pk])},
                        status=201)


@login_required
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    found = selectors.attachment_for(request.user, attachment_id)
    if found is None:
        return not_found(request)
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        return not_found(request, _("The file is missing from storage; tell IT."))
    response = FileResponse(handle, as_attachment=not found.is_image, filename=found.name,
                            content_type=found.content_type if found.is_image
                            else "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0"
    return response


# --- Delegations -----------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def delegations(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not _may_submit(actor):
        return forbidden(request)
    choices = [(str(pk), name) for pk, name in
               ((p.pk, p.name) for p in Process.objects.filter(current_version__isnull=False)
                .order_by("category", "code"))]
    form = wf_forms.DelegationForm(processes=choices)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "end":
        try:
            services.do_end_delegation(actor, int(request.POST.get("delegation") or 0))
        except (DomainError, ValueError):
            return not_found(request)
        messages.success(request, _("The delegation has ended."))
        return redirect("workflows:delegations")
    if request.method == "POST":
        form = wf_forms.DelegationForm(request.POST, processes=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.do_create_delegation(
                    actor, delegate_id=data["delegate"], starts_at=data["starts_at"],
                    ends_at=data["ends_at"], process_ids=[int(i) for i in data["processes"]],
                    reason=data["reason"])
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, error, {"delegate_id": "delegate"})
            else:
                messages.success(request, _("From %(start)s your new approval tasks go to "
                                            "your stand-in.") % {
                    "start": timezone.localtime(data["starts_at"]).strftime("%Y-%m-%d %H:%M")})
                return redirect("workflows:delegations")
        status = 422
    now = timezone.now()
    me = int(actor.pk or 0)
    visible = selectors.delegations_for(actor)
    mine = list(visible.filter(person_id=me).order_by("-starts_at")[:100])
    for_me = list(visible.filter(delegate_id=me, ended_at__isnull=True, ends_at__gt=now)
                  .order_by("starts_at")[:100])
    names = directory.display_names(sorted({d.delegate_id for d in mine}
                                           | {d.person_id for d in for_me}))
    picked = form["delegate"].value() if form.is_bound else None
    picked_ids = wf_forms.parse_ids(str(picked or "")) or []
    return render(request, "workflows/delegations.html", {
        "form": form,
        "delegate_json": json.dumps([{"id": i, "name": Lookups(actor).name_of("person", i)}
                                     for i in picked_ids], ensure_ascii=False),
        "mine": [_delegation_row(d, names, now, d.delegate_id) for d in mine],
        "for_me": [_delegation_row(d, names, now, d.person_id) for d in for_me],
    }, status=status)


def _delegation_row(delegation: Delegation, names: dict[int, str], now: dt.datetime,
                    other: int) -> dict[str, Any]:
    if delegation.ended_at is not None:
        state, label = "ended", _("Ended")
    elif delegation.ends_at <= now:
        state, label = "over", _("Over")
    elif delegation.starts_at > now:
        state, label = "planned", _("Planned")
    else:
        state, label = "active", _("Active")
    return {"delegation": delegation, "person": record.person_name(names, other), "state": state,
            "state_label": label, "tone": "ok" if state == "active" else "",
            "processes": ", ".join(p.name for p in delegation.processes.all())
            or _("All approvals"),
            "may_end": state in ("active", "planned")}


# --- The printed record ----------------------------------------------------------------------

@login_required
def record_pdf(request: HttpRequest, number: str) -> HttpResponse:
    actor = request.user
    found = _get_request(actor, number)
    if found is None:
        return not_found(request)
    pdf = record.render_record(actor, found, record.request_context(actor, found))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.number}.pdf"'
    response["Cache-Control"] = "private, max-age=0"
    return response
