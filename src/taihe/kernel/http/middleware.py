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


INT64 = 2**63 - 1
_INTEGER = re.compile(r"^[+-]?\d+$")


def _bad_text(value: str) -> bool:
    if "\x00" in value:
        return True
    text = value.strip()
    if _INTEGER.match(text) is None:
        return False
    # Python refuses int() of more than 4,300 digits (CVE-2020-10735 guard); anything over
    # 20 digits is beyond 64 bits anyway, so it is judged by its length.
    digits = text.lstrip("+-").lstrip("0")
    return len(digits) > 19 or int(digits or "0") > INT64


def _nul_path(value: Any, path: str = "") -> str | None:
    """The path of the first value no database can store: text with a NUL character, or a
    whole number beyond 64 bits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return path if abs(value) > INT64 else None
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
    """Refuses, with a field-level 422, API input that no database column can hold: NUL
    characters (PostgreSQL cannot store them and nobody types them) and whole numbers beyond
    64 bits, in the path, the query string or a JSON body. Refusing them here keeps both
    profiles answering alike. (Django's forms already refuse NULs on pages.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            field = None
            for segment in request.path.split("/"):
                if _bad_text(segment):
                    field = "path"
            for key in request.GET:
                if "\x00" in key or any(_bad_text(v) for v in request.GET.getlist(key)):
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
                    "fields": {field or "body": _(
                        "This value cannot be stored: text may not contain NUL characters, "
                        "and whole numbers must fit in 64 bits.")},
                    "request_id": getattr(request, "request_id", ""),
                }, status=422)
        return self.get_response(request)
