"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel.errors import ValidationFailed
from taihe.kernel.http.models import ApiToken

SCOPES = ("read", "write")
TOKEN_PREFIX = "thk"  # noqa: S105  (a prefix, not a secret)
MAX_LIFETIME_DAYS = 730


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str
    """Shown once; only its digest is kept."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(owner: Any, *, name: str, scopes: list[str], kind: str = ApiToken.Kind.PERSONAL,
          days: int | None = 90) -> IssuedToken:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("Give the token a name of 1 to 100 characters.")
    unknown = sorted(set(scopes) - set(SCOPES))
    if not scopes or unknown:
        errors["scopes"] = _("Scopes must be chosen from: %(allowed)s.") % {
            "allowed": ", ".join(SCOPES)}
    if kind not in ApiToken.Kind.values:
        errors["kind"] = _("Unknown token kind.")
    if days is not None and not 1 <= days <= MAX_LIFETIME_DAYS:
        errors["days"] = _("A token lives between 1 and %(max)s days.") % {"max": MAX_LIFETIME_DAYS}
    if errors:
        raise ValidationFailed(fields=errors)
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            owner=owner, name=name, kind=kind, prefix=prefix, digest=digest(secret),
            scopes=sorted(set(scopes)),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
    return IssuedToken(token=token, secret=secret)


def authenticate(secret: str) -> ApiToken | None:
    """The active token for ``secret``, its owner loaded, or None."""
    if not secret.startswith(f"{TOKEN_PREFIX}_"):
        return None
    token = ApiToken.objects.select_related("owner").filter(digest=digest(secret)).first()
    if token is None or not token.is_active or not token.owner.is_active:
        return None
    now = timezone.now()
    # Writing on every request would serialise reads on SQLite; a minute's precision is enough.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
