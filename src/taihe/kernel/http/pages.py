"""Error pages shared by every module's views and Django's own 403/404/500 handlers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def error_page(request: HttpRequest, *, status: int, title: Any, message: Any) -> HttpResponse:
    return render(request, "taihe/error.html", {"title": title, "message": message},
                  status=status)


def forbidden(request: HttpRequest, message: Any = None) -> HttpResponse:
    return error_page(request, status=403, title=_("No access"), message=message or _(
        "You do not have permission to open this page. If you need it for your work, ask "
        "your department head or HR."))


def not_found(request: HttpRequest, message: Any = None) -> HttpResponse:
    return error_page(request, status=404, title=_("Not found"), message=message or _(
        "This page does not exist, or you may not see it."))


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return forbidden(request)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return not_found(request)


def handler500(request: HttpRequest) -> HttpResponse:
    # No template context processors that touch the database: the error may be the database.
    return HttpResponse(_("Something went wrong on the server. The error has been logged; "
                          "please try again, and tell IT if it keeps happening."),
                        status=500, content_type="text/plain; charset=utf-8")


def refuse(request: HttpRequest, error: Exception) -> HttpResponse | None:
    """The page for a permission or not-found error; None for errors a form shows."""
    from taihe.kernel.errors import NotFound, PermissionDenied

    if isinstance(error, PermissionDenied):
        return forbidden(request)
    if isinstance(error, NotFound):
        return not_found(request)
    return None


def show_errors(form: forms.Form, error: Any, names: Mapping[str, str] | None = None) -> None:
    """Put a service's field messages (``DomainError.fields``) next to the form's fields,
    renamed by ``names`` where the form calls them differently; the rest on top."""
    for name, message in error.fields.items():
        field = (names or {}).get(name, name)
        form.add_error(field if field in form.fields else None, message)
    if not error.fields:
        form.add_error(None, str(error.detail))
