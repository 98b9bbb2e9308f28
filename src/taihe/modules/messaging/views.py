"""The chat pages: one server-rendered shell (conversation list and, on ``/chat/c/<id>/``,
the open conversation's header) that ``static/messaging/chat.js`` brings to life through
the JSON API (``/api/v1/messaging``) and the realtime socket (``/ws/``); the messaging
policy form for records officers; and conversation exports as downloads.

Thin like ``http.py``: the selectors decide what a person may see (a stranger's
conversation answers "not found", exactly like one that does not exist) and ``records``
decides who may export and change the policy; these views only map its errors to pages.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from taihe.kernel import authz
from taihe.kernel.errors import DomainError
from taihe.kernel.http.pages import forbidden, not_found, refuse, show_errors
from taihe.modules.directory import api as directory
from taihe.modules.messaging import operations as ops
from taihe.modules.messaging import selectors, services
from taihe.modules.messaging.selectors import ConversationRow

EXPORT_FORMATS = ("pdf", "json")
API = "/api/v1/messaging"


# --- The chat shell ------------------------------------------------------------------------

def _when(moment: dt.datetime | None, today: dt.date) -> str:
    """The short time a list row shows, in the museum's zone: the hour today, the day this
    year, the full date before."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%m-%d")
    return local.strftime("%Y-%m-%d")


def _row(row: ConversationRow, today: dt.date, open_id: int | None) -> dict[str, Any]:
    return {
        "row": row,
        "when": _when(row.last_message_at, today),
        "iso": row.last_message_at.isoformat() if row.last_message_at else "",
        "current": row.id == open_id,
        "url": reverse("messaging:conversation", args=[row.id]),
    }


def _chat_page(request: HttpRequest, conversation_id: int | None) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.CHAT.code):
        return forbidden(request, _("You do not have access to chat."))
    if conversation_id is not None:
        try:
            selectors.member_of(actor, conversation_id)
        except DomainError as error:
            return refuse(request, error) or not_found(request)
    rows = selectors.conversations_for(actor)
    today = timezone.localdate()
    opened = next((r for r in rows if r.id == conversation_id), None)
    if conversation_id is not None and opened is None:
        return not_found(request)  # left between the two reads
    context = {
        "rows": [_row(r, today, conversation_id) for r in rows],
        "opened": opened,
        "may_channel": authz.can(actor, ops.CHANNELS.code),
        "may_ding": authz.can(actor, ops.DING.code),
        "may_records": authz.can(actor, ops.RECORDS.code),
        "api": API,
        "time_zone": settings.TIME_ZONE,
        "reactions_json": json.dumps(list(services.ALLOWED_REACTIONS)),
        "chat_url": reverse("messaging:index"),
        # "/chat/c/0/": the script puts the conversation's id in place of the 0
        "conversation_url": reverse("messaging:conversation", args=[0]),
        "export_url": reverse("messaging:export", args=[0, "FMT"]),
    }
    return render(request, "messaging/chat.html", context)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """``/chat/``: the conversation list (on a phone, the list alone). 403 without
    ``messaging.chat.use``."""
    return _chat_page(request, None)


@login_required
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """``/chat/c/<id>/``: the list with this conversation open. 404 for whoever is not an
    active member (the same as for a conversation that does not exist)."""
    return _chat_page(request, conversation_id)


# --- Export ----------------------------------------------------------------------------------

@login_required
def export(request: HttpRequest, conversation_id: int, fmt: str) -> HttpResponse:
    """The conversation as a PDF or JSON download (``records.export_conversation`` decides
    who may and records the export). ``NotFound`` → 404 page, ``PermissionDenied`` → 403."""
    if fmt not in EXPORT_FORMATS:
        return not_found(request)
    from taihe.modules.messaging import records

    try:
        filename, content_type, content = records.export_conversation(
            request.user, conversation_id, fmt)
    except DomainError as error:
        return refuse(request, error) or not_found(request, str(error.detail))
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    # An export holds a whole conversation: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response


# --- Policy ----------------------------------------------------------------------------------

# The limits records.do_set_policy enforces, repeated so the browser can say so first.
MIN_DAYS, MAX_DAYS = 30, 36500
MAX_MINUTES = 7 * 24 * 60


class PolicyForm(forms.Form):
    default_retention_days = forms.IntegerField(
        label=gettext_lazy("Keep messages for (days)"), required=False, min_value=MIN_DAYS,
        max_value=MAX_DAYS,
        help_text=gettext_lazy("30 to 36,500 days. Empty: keep messages until they are "
                               "deleted by hand. A conversation may set its own period; a "
                               "legal hold keeps everything."))
    recall_minutes = forms.IntegerField(
        label=gettext_lazy("Recall window (minutes)"), min_value=0, max_value=MAX_MINUTES,
        help_text=gettext_lazy("0 to 10,080 minutes (a week): how long after sending people "
                               "may recall their own messages. Group owners and admins may "
                               "recall at any time."))
    edit_minutes = forms.IntegerField(
        label=gettext_lazy("Edit window (minutes)"), min_value=0, max_value=MAX_MINUTES,
        help_text=gettext_lazy("0 to 10,080 minutes (a week): how long after sending people "
                               "may correct their messages."))


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """The museum's messaging policy (retention, recall and edit windows) for holders of
    ``messaging.records.manage``; others get the 403 page. Saves through
    ``records.do_set_policy`` (which emits ``messaging.policy.changed.v1``)."""
    if not authz.can(request.user, ops.RECORDS.code):
        return forbidden(request)
    current = services.policy()
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            from taihe.modules.messaging import records

            try:
                records.do_set_policy(
                    request.user,
                    default_retention_days=form.cleaned_data["default_retention_days"],
                    recall_minutes=form.cleaned_data["recall_minutes"],
                    edit_minutes=form.cleaned_data["edit_minutes"])
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, error)
            else:
                flash.success(request, _("The messaging policy is saved."))
                return redirect("messaging:settings")
    else:
        form = PolicyForm(initial={"default_retention_days": current.default_retention_days,
                                   "recall_minutes": current.recall_minutes,
                                   "edit_minutes": current.edit_minutes})
    names = directory.display_names([current.updated_by_id]) if current.updated_by_id else {}
    return render(request, "messaging/settings.html", {
        "form": form, "policy": current,
        "updated_by_name": names.get(current.updated_by_id or 0, "")})
