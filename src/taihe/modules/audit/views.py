"""The audit log: search, CSV export and chain verification."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from taihe.kernel import authz
from taihe.kernel.http.pages import forbidden
from taihe.modules.audit import chain, selectors
from taihe.modules.audit import operations as ops
from taihe.modules.audit.models import AuditEntry
from taihe.modules.directory import api as directory

PAGE_SIZE = 50
EXPORT_COLUMNS = ["sequence", "occurred_at", "event", "actor_id", "actor", "request_id",
                  "subject_type", "subject_id", "before", "after", "payload", "hash"]


class EntryFilterForm(forms.Form):
    actor = forms.IntegerField(label=gettext_lazy("Actor (person id)"), required=False,
                               min_value=1)
    event = forms.CharField(label=gettext_lazy("Event"), required=False, max_length=120,
                            help_text=gettext_lazy(
                                "Name or its beginning, e.g. “directory.person”."))
    subject_type = forms.CharField(label=gettext_lazy("Subject type"), required=False,
                                   max_length=80)
    subject_id = forms.CharField(label=gettext_lazy("Subject id"), required=False, max_length=64)
    request_id = forms.CharField(label=gettext_lazy("Request id"), required=False, max_length=64)
    since = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To (inclusive)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data


def _start_of(day: date | None) -> datetime | None:
    """Midnight in the museum's time zone, so a date means the museum's calendar day."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _entries(request: HttpRequest, form: EntryFilterForm, operation: str,
             ) -> QuerySet[AuditEntry]:
    data = form.cleaned_data if form.is_valid() else {}
    until = data.get("until")
    return selectors.entries_for(
        request.user, actor_id=data.get("actor"), event_name=data.get("event") or "",
        subject_type=data.get("subject_type") or "", subject_id=data.get("subject_id") or "",
        request_id=data.get("request_id") or "", since=_start_of(data.get("since")),
        until=_start_of(until + timedelta(days=1)) if until else None, operation=operation)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return forbidden(request, _("Only people with the right to read the audit log may open it."))


def _names(actor_ids: set[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for info in directory.people(sorted(actor_ids)):
        both = " · ".join(n for n in (info.name_zh, info.name_en) if n)
        names[info.id] = both or info.username
    return names


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.ENTRY_VIEW.code):
        return _forbidden(request)
    form = EntryFilterForm(request.GET)
    rows = _entries(request, form, ops.ENTRY_VIEW.code)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    names = _names({e.actor_id for e in page.object_list if e.actor_id is not None})
    entries = [{"entry": e, "actor": names.get(e.actor_id, "") if e.actor_id else "",
                "before": json.dumps(e.before, ensure_ascii=False, indent=1) if e.before else "",
                "after": json.dumps(e.after, ensure_ascii=False, indent=1) if e.after else ""}
               for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/index.html", {
        "form": form, "page_obj": page, "entries": entries, "query_string": query.urlencode(),
        "may_export": authz.can(request.user, ops.ENTRY_EXPORT.code),
    }, status=200 if form.is_valid() else 422)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(rows: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    batch: list[AuditEntry] = []

    def flush() -> Iterator[str]:
        names = _names({e.actor_id for e in batch if e.actor_id is not None})
        for e in batch:
            yield writer.writerow([
                e.sequence, timezone.localtime(e.occurred_at).isoformat(), e.event_name,
                e.actor_id or "", names.get(e.actor_id, "") if e.actor_id else "", e.request_id,
                e.subject_type, e.subject_id,
                json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
                json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
                json.dumps(e.payload, ensure_ascii=False), e.hash])

    for entry in rows.order_by("sequence").iterator(chunk_size=1000):
        batch.append(entry)
        if len(batch) >= 1000:
            yield from flush()
            batch = []
    yield from flush()


@login_required
def export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if not authz.can(request.user, ops.ENTRY_EXPORT.code):
        return _forbidden(request)
    form = EntryFilterForm(request.GET)
    if not form.is_valid():
        return index(request)
    rows = _entries(request, form, ops.ENTRY_EXPORT.code)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_csv_rows(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="taihe-audit-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    """Walk the whole chain on request: it reads every entry, so never on a page load."""
    if not authz.can(request.user, ops.ENTRY_VIEW.code):
        return _forbidden(request)
    checked, breaks = chain.verify()
    context = {"checked": checked, "breaks": breaks[:50], "more": max(0, len(breaks) - 50),
               "verified_at": timezone.now()}
    if request.headers.get("HX-Request"):
        return render(request, "audit/_verification.html", context)
    return render(request, "audit/verify.html", context)
