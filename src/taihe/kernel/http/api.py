"""The API object: authentication, the error envelope and pagination, shared by modules."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.security import APIKeyCookie, HttpBearer

from taihe.kernel import context
from taihe.kernel.errors import DomainError, ValidationFailed
from taihe.kernel.http import ratelimit, tokens

logger = logging.getLogger(__name__)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    """``Authorization: Bearer thk_…``. A read-only token may only make safe requests."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.authenticate(token)
        if found is None:
            ratelimit.hit("token", ratelimit.client_key(request))
            return None
        if request.method not in SAFE_METHODS and "write" not in found.scopes:
            return None
        request.user = found.owner
        request.api_token = found  # type: ignore[attr-defined]
        context.set_actor_id(found.owner.pk)
        return found.owner


class SessionAuth(APIKeyCookie):
    """The browser session; unsafe requests need the CSRF token, as everywhere in Django."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` → ``{"items": [...], "count": N}``; at most 200 a page."""

    class Input(LimitOffsetPagination.Input):
        pass

    max_limit = 200


def _envelope(
    api: NinjaAPI, request: HttpRequest, body: dict[str, Any], status: int
) -> HttpResponse:
    request_id = getattr(request, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return api.create_response(request, body, status=status)


def _field_name(location: tuple[Any, ...]) -> str:
    # ninja reports ("body", "payload", "email"); people want "email".
    parts = [str(p) for p in location]
    while parts and parts[0] in ("body", "query", "path", "form", "payload"):
        parts.pop(0)
    return ".".join(parts) or ".".join(str(p) for p in location)


def build_api(*, title: str, version: str, description: str) -> NinjaAPI:
    api = NinjaAPI(
        title=title,
        version=version,
        description=description,
        auth=[TokenAuth(), SessionAuth()],
        urls_namespace="api",
    )

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
        return _envelope(api, request, error.as_dict(), error.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
        fields: dict[str, str] = {}
        for item in error.errors:
            fields.setdefault(_field_name(tuple(item.get("loc", ()))), str(item.get("msg", "")))
        return _envelope(api, request, {"detail": _("Some values are not valid."),
                                        "code": "invalid", "fields": fields}, 422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        return _envelope(api, request, {"detail": _("Sign in or send a valid API token."),
                                        "code": "not_authenticated"}, 401)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
        return _envelope(api, request, {"detail": _("Not found."), "code": "not_found"}, 404)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        return _envelope(api, request, {"detail": str(error), "code": "http_error"},
                         error.status_code)

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def out_of_range(request: HttpRequest, error: Exception) -> HttpResponse:
        # The input guard refuses numbers beyond 64 bits; a narrower column can still refuse
        # a value, which is the caller's bad input, not a server fault.
        return _envelope(api, request, {"detail": _("A value is out of range."),
                                        "code": "invalid"}, 422)

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, error: Exception) -> HttpResponse:
        logger.exception("unhandled API error")
        return _envelope(api, request, {"detail": _("Something went wrong on the server."),
                                        "code": "server_error"}, 500)

    return api


def user_id(request: HttpRequest) -> int:
    """The signed-in person's id; endpoints only run after authentication succeeded."""
    pk = getattr(request.user, "pk", None)
    if pk is None:
        raise AuthenticationError()
    return int(pk)


def as_utc(value: datetime | None, field: str) -> datetime | None:
    """A datetime from the request, in UTC. A time without a zone is read in the museum's
    zone; one whose offset or year cannot be stored is refused with a field message."""
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed(fields={field: _("This date and time is out of range.")}) from None
