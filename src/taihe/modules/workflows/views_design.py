"""The approval designer: HR builds an approval's form and flow in the browser, without code.

Pages: the list of approvals, a new approval, import and export of the portable JSON, and the
designer itself (details, form designer, process designer in one page, driven by
``static/workflows/designer.js``). The designer posts JSON back to its own URL with an
``action`` (``save``, ``check`` or ``publish``); each calls one service and answers JSON.

Every page needs ``workflows.process.manage`` (HR and administrators); the services check it
again.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from taihe.kernel import authz
from taihe.kernel.errors import DomainError, ValidationFailed
from taihe.kernel.http.pages import forbidden, not_found, refuse, show_errors
from taihe.modules.directory import api as directory
from taihe.modules.workflows import fields as field_registry
from taihe.modules.workflows import operations as ops
from taihe.modules.workflows import selectors, services
from taihe.modules.workflows.engine import conditions
from taihe.modules.workflows.models import Process, Request
from taihe.modules.workflows.views import CATEGORY_LABELS

MAX_IMPORT_BYTES = 2 * 1024 * 1024
"""An exported approval is a few kilobytes; two megabytes leaves room for big forms."""
MAX_DESIGN_BYTES = 2 * 1024 * 1024

DETAIL_KEYS = ("name_zh", "name_en", "category", "icon", "description",
               "starter_departments", "is_active")


def _may_design(request: HttpRequest) -> bool:
    return authz.can(request.user, ops.PROCESS_MANAGE.code)


def _is_zh() -> bool:
    return (get_language() or "").startswith("zh")


def _changed_since_publish(process: Process) -> bool:
    version = process.current_version
    return version is None or version.form != process.draft_form \
        or version.definition != process.draft_definition


# --- the list ----------------------------------------------------------------------------


@login_required
@require_GET
def processes(request: HttpRequest) -> HttpResponse:
    """Every approval with its published version, draft state and running requests."""
    if not _may_design(request):
        return forbidden(request)
    rows = (selectors.processes_for_design(request.user)
            .annotate(running=Count("requests",
                                    filter=Q(requests__status=Request.Status.RUNNING))))
    return render(request, "workflows/design_list.html", {
        "rows": [{"process": process, "changed": _changed_since_publish(process),
                  "category": CATEGORY_LABELS.get(process.category, process.category),
                  "running": process.running} for process in rows]})


# --- create ------------------------------------------------------------------------------


class ProcessCreateForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=64,
                           help_text=gettext_lazy("Letters, digits, - and _; used in links "
                                                  "and by other modules. Cannot change later."))
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=80)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=120,
                              required=False)
    category = forms.CharField(label=gettext_lazy("Category"), max_length=40, required=False,
                               help_text=gettext_lazy("Approvals of one category are listed "
                                                      "together (general, finance, ...)."))
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


@login_required
@require_http_methods(["GET", "POST"])
def process_create(request: HttpRequest) -> HttpResponse:
    """A new approval with an empty draft; then on to the designer."""
    if not _may_design(request):
        return forbidden(request)
    form = ProcessCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            process = services.do_create_process(request.user, dict(form.cleaned_data))
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, error)
        else:
            messages.success(request, _("%(name)s is created: design its form and process.")
                             % {"name": process.name})
            return redirect("workflows:designer", process_id=process.pk)
    return render(request, "workflows/design_create.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


# --- import and export -------------------------------------------------------------------


class ProcessImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Exported approval (JSON)"))
    publish = forms.BooleanField(
        label=gettext_lazy("Publish it now"), required=False, initial=True,
        help_text=gettext_lazy("Without it the file only replaces the draft (an approval "
                               "with the same code keeps its published version)."))


FIELD_NAMES = {
    "code": gettext_lazy("Code"), "name_zh": gettext_lazy("Name (Chinese)"),
    "name_en": gettext_lazy("Name (English)"), "category": gettext_lazy("Category"),
    "icon": gettext_lazy("Icon"), "description": gettext_lazy("Description"),
    "starter_departments": gettext_lazy("Who may start it"), "form": gettext_lazy("Form"),
    "definition": gettext_lazy("Process"), "details": gettext_lazy("Details"),
    "note": gettext_lazy("What changed"), "subject_code": gettext_lazy("Subject"),
}


def _error_lines(error: DomainError) -> list[str]:
    """The error's sentence and each problem it lists: publishing problems in their order,
    field messages with the field's name."""
    lines = [str(error.detail)]
    numbered = sorted((int(key[7:]), message) for key, message in error.fields.items()
                      if key.startswith("problem") and key[7:].isdigit())
    lines.extend(message for _number, message in numbered)
    lines.extend(f"{FIELD_NAMES.get(key, key)}: {message}"
                 for key, message in error.fields.items()
                 if not (key.startswith("problem") and key[7:].isdigit()))
    return lines


@login_required
@require_http_methods(["GET", "POST"])
def process_import(request: HttpRequest) -> HttpResponse:
    """Create or update an approval from an exported JSON file; every problem is listed
    and nothing is stored when there is one."""
    if not _may_design(request):
        return forbidden(request)
    form = ProcessImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
            problems = [_("The file is larger than 2 MB; an exported approval is much "
                          "smaller.")]
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                problems = [_("The file is not UTF-8 text.")]
            else:
                try:
                    process = services.do_import_process(
                        request.user, text, publish_now=bool(form.cleaned_data["publish"]))
                except DomainError as error:
                    denied = refuse(request, error)
                    if denied is not None:
                        return denied
                    problems = _error_lines(error)
                else:
                    messages.success(request, _("%(name)s is imported.")
                                     % {"name": process.name})
                    return redirect("workflows:designer", process_id=process.pk)
    invalid = request.method == "POST"
    return render(request, "workflows/design_import.html",
                  {"form": form, "problems": problems}, status=422 if invalid else 200)


@login_required
@require_GET
def process_export(request: HttpRequest, process_id: int) -> HttpResponse:
    """The draft as a JSON download, to keep or to import into another Taihe."""
    if not _may_design(request):
        return forbidden(request)
    process = selectors.process_for_design(request.user, process_id)
    if process is None:
        return not_found(request)
    response = JsonResponse(services.export_process(process),
                            json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{process.code}.json"'
    return response


# --- the designer ------------------------------------------------------------------------


def _details(process: Process) -> dict[str, Any]:
    return {key: getattr(process, key) for key in DETAIL_KEYS}


def _referenced_people(nodes: Any, found: set[int] | None = None) -> set[int]:
    """Ids of the people a (possibly unfinished) draft names, so the page shows names."""
    found = set() if found is None else found
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict):
            continue
        timeout = node.get("timeout")
        timeout = timeout if isinstance(timeout, dict) else {}
        for source in [*(node.get("approvers") or []), *(timeout.get("escalate_to") or [])]:
            if isinstance(source, dict) and source.get("kind") == "people":
                found.update(int(i) for i in source.get("ids") or [] if str(i).isdigit())
        for branch in node.get("branches") or []:
            if isinstance(branch, dict):
                _referenced_people(branch.get("nodes"), found)
    return found


def _departments() -> list[dict[str, Any]]:
    """The department tree for the pickers, in tree order."""
    zh = _is_zh()
    return [{"id": d.id, "name": (d.name_zh if zh or not d.name_en else d.name_en),
             "parent_id": d.parent_id} for d in directory.departments()]


def _designer_data(process: Process) -> dict[str, Any]:
    zh = _is_zh()
    definition = process.draft_definition if isinstance(process.draft_definition, dict) else {}
    people = sorted(_referenced_people(definition.get("nodes")))
    return {
        "process": {"id": process.pk, "code": process.code,
                    "version": process.current_version.number
                    if process.current_version else None,
                    "changed": _changed_since_publish(process)},
        "draft": {"form": process.draft_form,
                  "definition": process.draft_definition or {"settings": {}, "nodes": []},
                  "details": _details(process)},
        "field_types": [{"code": ft.code, "label": str(ft.label), "kind": ft.kind,
                         "options": sorted(ft.options)} for ft in field_registry.field_types()],
        "roles": [{"code": code, "name": (zh_name if zh or not en_name else en_name)}
                  for code, zh_name, en_name in directory.roles()],
        "departments": _departments(),
        "operators": {kind: list(ops_) for kind, ops_ in conditions.OPERATORS.items()},
        "operator_labels": {op: str(label) for op, label in conditions.OPERATOR_LABELS.items()},
        "people": {str(pid): name for pid, name in directory.display_names(people).items()},
        "urls": {"save": reverse("workflows:designer", args=[process.pk]),
                 "people": "/api/v1/directory/people",
                 "departments": "/api/v1/directory/departments"},
    }


def _json_error(error: DomainError) -> JsonResponse:
    return JsonResponse({**error.as_dict(), "problems": _error_lines(error)[1:]},
                        status=error.status)


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"detail": message, "code": "invalid", "problems": []}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def designer(request: HttpRequest, process_id: int) -> HttpResponse:
    """GET: the designer page. POST (JSON ``{"action": "save"|"check"|"publish", ...}``):
    save the draft, list the problems of the posted form and flow, or publish the draft."""
    if not _may_design(request):
        return forbidden(request)
    process = selectors.process_for_design(request.user, process_id)
    if process is None:
        return not_found(request)
    if request.method == "GET":
        return render(request, "workflows/designer.html",
                      {"process": process, "data": _designer_data(process),
                       "changed": _changed_since_publish(process)})
    if len(request.body) > MAX_DESIGN_BYTES:
        return _bad_request(_("The design is larger than 2 MB."))
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return _bad_request(_("The request is not valid JSON: %(error)s") % {"error": error})
    if not isinstance(payload, dict):
        return _bad_request(_("Send a JSON object with an action."))
    action = payload.get("action")
    try:
        if action == "save":
            details = payload.get("details")
            if details is not None and not isinstance(details, dict):
                raise ValidationFailed(fields={"details": _("The details are an object.")})
            saved = services.do_save_draft(
                request.user, process.pk, form=payload.get("form"),
                definition=payload.get("definition"),
                details={k: v for k, v in (details or {}).items() if k in DETAIL_KEYS})
            return JsonResponse({"saved": True, "changed": _changed_since_publish(saved),
                                 "message": _("The draft is saved.")})
        if action == "check":
            problems = services.check_process(payload.get("form"), payload.get("definition"))
            return JsonResponse({"problems": problems,
                                 "message": _("No problems: the approval can be published.")
                                 if not problems else
                                 _("Fix these before publishing:")})
        if action == "publish":
            note = payload.get("note") or ""
            if not isinstance(note, str):
                raise ValidationFailed(fields={"note": _("The note is text.")})
            version = services.do_publish_process(request.user, process.pk, note=note)
            return JsonResponse({"published": True, "version": version.number,
                                 "message": _("Version %(number)d is published. New requests "
                                              "use it; running ones keep their version.")
                                 % {"number": version.number}})
    except DomainError as error:
        return _json_error(error)
    return _bad_request(_("Unknown action %(action)s: use save, check or publish.")
                        % {"action": action})
