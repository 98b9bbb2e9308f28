from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class AuditEntry(models.Model):
    """One recorded write. ``hash`` = SHA-256 over the previous entry's hash and this
    entry's canonical content, so changing or removing any entry breaks every later link.
    UPDATE and DELETE are also refused by database triggers."""

    sequence = models.PositiveBigIntegerField(unique=True)
    event_id = models.UUIDField(unique=True)
    event_name = models.CharField(_("event"), max_length=120, db_index=True)
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True, db_index=True)
    request_id = models.CharField(_("request"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=80, blank=True, db_index=True)
    subject_id = models.CharField(_("subject"), max_length=64, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    payload = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be deleted")
