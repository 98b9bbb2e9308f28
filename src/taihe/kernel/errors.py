"""Domain errors: each carries a code and an HTTP status, and optional field messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain was broken. The API answers ``{"detail", "code", "fields"}``."""

    code = "error"
    status = 400
    default_detail: Any = _("The request could not be completed.")

    def __init__(
        self,
        detail: Any = None,
        *,
        code: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail if detail is not None else self.default_detail
        if code is not None:
            self.code = code
        self.fields = {key: str(value) for key, value in (fields or {}).items()}
        super().__init__(str(self.detail))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": str(self.detail), "code": self.code}
        if self.fields:
            body["fields"] = self.fields
        return body


class ValidationFailed(DomainError):
    code = "invalid"
    status = 422
    default_detail = _("Some values are not valid.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_detail = _("You do not have permission to do this.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_detail = _("Not found.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_detail = _("This conflicts with the current state.")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_detail = _("Too many attempts. Wait a minute and try again.")
