"""HR's month pages: the months with their close button, a month's summaries (frozen, or a
provisional live tally while it is open), the payroll download and the column layouts.

Thin like ``http.py``: parse, call one service or read, render. Every page needs
``attendance.month.close``; anonymous people are sent to sign in, others get "no access".
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, DomainError, NotFound, ValidationFailed
from taihe.kernel.http.pages import forbidden, not_found
from taihe.modules.attendance import exporting, services
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance.computing import parse_month
from taihe.modules.attendance.models import ExportLayout

PAGE_SIZE = 100
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _may_close(request: HttpRequest) -> bool:
    return authz.can(request.user, ops.PAYROLL.code)


def _first_day(text: str) -> date | None:
    """``YYYY-MM`` as the month's first day; None when it is not a month we keep."""
    try:
        return parse_month(text)
    except ValidationFailed:
        return None


def _id(text: str) -> int | None:
    """A database id typed in a query or form; None for anything else."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text or "") else None


def _error_text(error: DomainError) -> str:
    parts = [str(error.detail)] if not error.fields or str(error.detail) != str(
        ValidationFailed.default_detail) else []
    parts.extend(error.fields.values())
    return " ".join(part for part in parts if part)


@login_required
@require_http_methods(["GET", "POST"])
def months(request: HttpRequest) -> HttpResponse:
    """The months with data, newest first; POST ``month`` closes that month."""
    if not _may_close(request):
        return forbidden(request)
    if request.method == "POST":
        first_day = _first_day(request.POST.get("month", ""))
        if first_day is None:
            messages.error(request, _("Choose a month to close (year and month, such as "
                                      "2026-10)."))
            return redirect("attendance:payroll")
        try:
            month = services.do_close_month(request.user, first_day)
        except Conflict as error:
            messages.error(request, _error_text(error))
            return redirect("attendance:payroll")
        messages.success(request, _(
            "%(month)s is closed: the summaries of %(people)s people are frozen. Later changes "
            "to its days are paid in the next open month.") % {
                "month": exporting.month_label(first_day), "people": month.people})
        return redirect("attendance:month", exporting.month_label(first_day))
    return render(request, "attendance/payroll_months.html", {
        "lines": exporting.month_lines(request.user),
        "current": exporting.today().replace(day=1),
    })


@login_required
@require_GET
def month_detail(request: HttpRequest, month: str) -> HttpResponse:
    """A month's per-department sums and per-person table, with the downloads."""
    if not _may_close(request):
        return forbidden(request)
    first_day = _first_day(month)
    report = exporting.month_report(request.user, first_day) if first_day else None
    if first_day is None or report is None:
        return not_found(request, _("There is no attendance for this month."))
    page = Paginator(report.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    people = [(person, [column.value(summary, person) for column in report.columns])
              for summary, person in page.object_list]
    return render(request, "attendance/payroll_month.html", {
        "report": report, "line": report.line, "month": exporting.month_label(first_day),
        "headers": [column.header() for column in report.columns],
        "sum_headers": [column.header() for column in report.summable],
        "people": people, "page_obj": page, "query_string": "",
        "layouts": exporting.layouts(),
    })


@login_required
@require_GET
def export(request: HttpRequest, month: str, fmt: str) -> HttpResponse:
    """The file of a closed month (``?layout=<id>&sheet=summary|detail|corrections``)."""
    if not _may_close(request):
        return forbidden(request)
    first_day = _first_day(month)
    layout = request.GET.get("layout", "")
    if first_day is None or fmt not in exporting.FORMATS or (layout and _id(layout) is None):
        return not_found(request)
    try:
        content, name, content_type = exporting.export_month(
            request.user, first_day, fmt, layout_id=_id(layout),
            sheet=request.GET.get("sheet", "summary"))
    except NotFound:
        return not_found(request, _("This layout does not exist (any more)."))
    except (Conflict, ValidationFailed) as error:
        messages.error(request, _error_text(error))
        return redirect("attendance:month", exporting.month_label(first_day))
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _posted_columns(request: HttpRequest) -> tuple[list[str], dict[str, str], str | None]:
    """The ticked columns sorted by their order numbers (ties keep the list order), the
    order numbers as typed, and a message naming a column whose number is not a number."""
    chosen = request.POST.getlist("columns")
    typed = {code: request.POST.get(f"order:{code}", "").strip()
             for code, _header in exporting.available_columns()}
    headers = dict(exporting.available_columns())
    keys: dict[str, int] = {}
    for position, code in enumerate(chosen):
        text = typed.get(code, "")
        if text and not re.fullmatch(r"-?\d{1,4}", text):
            return chosen, typed, _("Order of “%(column)s”: enter a whole number, not "
                                    "“%(text)s”.") % {"column": headers.get(code, code),
                                                     "text": text}
        keys[code] = int(text) if text else 10_000 + position
    return sorted(chosen, key=lambda code: keys[code]), typed, None


def _column_rows(selected: list[str], typed: dict[str, str] | None = None
                 ) -> list[dict[str, Any]]:
    """The form's rows: the layout's columns in its order, then the others."""
    headers = dict(exporting.available_columns())
    order = [code for code in selected if code in headers] + \
        [code for code in headers if code not in selected]
    return [{"code": code, "header": headers[code], "checked": code in selected,
             "order": (typed or {}).get(code) or str(position)}
            for position, code in enumerate(order, start=1)]


@login_required
@require_http_methods(["GET", "POST"])
def layouts(request: HttpRequest) -> HttpResponse:
    """Saved column layouts: list, create or edit (``?edit=<id>``), make default, delete."""
    if not _may_close(request):
        return forbidden(request)
    actor = request.user
    editing: ExportLayout | None = None
    edit_id = request.GET.get("edit", "")
    if edit_id:
        editing = ExportLayout.objects.filter(pk=_id(edit_id) or 0).first()
        if editing is None:
            return not_found(request, _("This layout does not exist (any more)."))
    form: dict[str, Any] = {
        "layout_id": editing.pk if editing else "", "name": editing.name if editing else "",
        "is_default": editing.is_default if editing else False,
        "rows": _column_rows(list(editing.columns) if editing
                             else exporting.default_columns()),
        "errors": {}}
    if request.method == "POST":
        action = request.POST.get("action", "save")
        layout_id = _id(request.POST.get("layout_id", ""))
        try:
            if action == "default" and layout_id is not None:
                chosen = exporting.do_set_default_layout(actor, layout_id)
                messages.success(request, _("“%(name)s” is now the default layout.")
                                 % {"name": chosen.name})
                return redirect("attendance:layouts")
            if action == "delete" and layout_id is not None:
                exporting.do_delete_layout(actor, layout_id)
                messages.success(request, _("The layout is deleted."))
                return redirect("attendance:layouts")
            columns, typed, problem = _posted_columns(request)
            name = request.POST.get("name", "")
            form.update(layout_id=layout_id or "", name=name,
                        is_default=bool(request.POST.get("is_default")),
                        rows=_column_rows(columns, typed))
            if problem:
                raise ValidationFailed(fields={"columns": problem})
            saved = exporting.do_save_layout(actor, layout_id, name=name, columns=columns,
                                             is_default=bool(request.POST.get("is_default")))
        except NotFound:
            return not_found(request, _("This layout does not exist (any more)."))
        except ValidationFailed as error:
            form["errors"] = error.fields
            return render(request, "attendance/payroll_layouts.html", {
                "layouts": exporting.layouts(), "form": form}, status=422)
        messages.success(request, _("The layout “%(name)s” is saved.") % {"name": saved.name})
        return redirect(f"{reverse('attendance:layouts')}?edit={saved.pk}")
    return render(request, "attendance/payroll_layouts.html", {
        "layouts": exporting.layouts(), "form": form})
