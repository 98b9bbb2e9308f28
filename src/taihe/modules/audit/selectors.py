from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from taihe.kernel import authz
from taihe.modules.audit import operations as ops
from taihe.modules.audit.models import AuditEntry


def entries_for(actor: Any, *, actor_id: int | None = None, event_name: str = "",
                subject_type: str = "", subject_id: str = "", request_id: str = "",
                since: datetime | None = None, until: datetime | None = None,
                operation: str = ops.ENTRY_VIEW.code) -> QuerySet[AuditEntry]:
    if not authz.can(actor, operation):
        return AuditEntry.objects.none()
    rows = AuditEntry.objects.all()
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    if event_name:
        rows = rows.filter(event_name__startswith=event_name)
    if subject_type:
        rows = rows.filter(subject_type=subject_type)
    if subject_id:
        rows = rows.filter(subject_id=subject_id)
    if request_id:
        rows = rows.filter(request_id=request_id)
    if since:
        rows = rows.filter(occurred_at__gte=since)
    if until:
        rows = rows.filter(occurred_at__lt=until)
    return rows
