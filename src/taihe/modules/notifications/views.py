"""The notification centre and notification preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taihe.kernel.errors import NotFound, ValidationFailed
from taihe.kernel.http.pages import not_found
from taihe.modules.notifications import selectors, services
from taihe.modules.notifications.categories import categories

PAGE_SIZE = 20


def _not_found(request: HttpRequest) -> HttpResponse:
    return not_found(request, _("This notification does not exist."))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    rows = selectors.notifications_for(request.user, unread_only=unread_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {c.code: c.label for c in categories()}
    return render(request, "notifications/index.html", {
        "page_obj": page, "query_string": "show=unread" if unread_only else "",
        "unread_only": unread_only, "labels": labels,
        "unread": selectors.unread_count(request.user.pk or 0),
    })


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        services.do_mark_read(request.user, [notification_id])
    except NotFound:
        return _not_found(request)
    return redirect("notifications:index")


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and follow the notification's link (only ever within Taihe)."""
    notification = selectors.notifications_for(request.user).filter(pk=notification_id).first()
    if notification is None:
        return _not_found(request)
    if notification.read_at is None:
        services.do_mark_read(request.user, [notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:index")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.do_mark_read(request.user, None)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notifications:index")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    rows = selectors.preferences_for(request.user)
    if request.method == "POST":
        try:
            for row in rows:
                code = row["category"]
                in_app = request.POST.get(f"{code}-in_app") == "on"
                email = request.POST.get(f"{code}-email") == "on"
                if (in_app, email) != (row["in_app"], row["email"]):
                    services.do_set_preference(request.user, category=code, in_app=in_app,
                                               email=email)
        except ValidationFailed as error:
            messages.error(request, " ".join(error.fields.values()) or str(error.detail))
        else:
            messages.success(request, _("Your notification choices are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {
        "rows": rows, "tab": "notifications"})
