from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from taihe.kernel import context

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane ``X-Request-ID``), binds it and the acting
    person for services, events and jobs, and echoes it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        with context.bound(request_id=request_id, actor_id=None):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class PersonLanguageMiddleware:
    """Uses the signed-in person's chosen language, and binds them as the acting person."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context.set_actor_id(user.pk)
            language = getattr(user, "language", "")
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def _nul_path(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(key, path) or _nul_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]" if path else f"[{index}]")
            if found is not None:
                return found
    return None


class NulGuardMiddleware:
    """Refuses NUL characters in API query strings and JSON bodies with a field-level 422.
    PostgreSQL cannot store them and nobody types them; refusing them everywhere keeps both
    profiles answering the same. (Django's forms already refuse them on pages.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            field = None
            for key in request.GET:
                if "\x00" in key or any("\x00" in v for v in request.GET.getlist(key)):
                    field = key.replace("\x00", "")
                    break
            if field is None and request.content_type == "application/json" and request.body:
                try:
                    field = _nul_path(json.loads(request.body))
                except (ValueError, UnicodeDecodeError):
                    field = None  # the API answers malformed JSON itself
            if field is not None:
                return JsonResponse({
                    "detail": _("Some values are not valid."), "code": "invalid",
                    "fields": {field or "body": _("Text may not contain NUL characters.")},
                    "request_id": getattr(request, "request_id", ""),
                }, status=422)
        return self.get_response(request)
