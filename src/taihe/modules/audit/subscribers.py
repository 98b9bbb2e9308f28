"""The audit log records every event that describes a write."""

from __future__ import annotations

from typing import Any

from taihe.kernel.events import subscribe
from taihe.modules.audit import chain
from taihe.modules.audit.models import AuditEntry


@subscribe("*", name="audit.record")
def record(event: Any) -> None:
    # Delivery is at least once; the unique event_id makes a replay a no-op.
    if AuditEntry.objects.filter(event_id=event.event_id).exists():
        return
    payload = event.model_dump(mode="json", exclude={
        "event_id", "occurred_at", "actor_id", "request_id", "subject_type", "subject_id",
        "before", "after"})
    chain.append(
        event_id=event.event_id, event_name=event.name, actor_id=event.actor_id,
        request_id=event.request_id or "", occurred_at=event.occurred_at,
        subject_type=event.subject_type, subject_id=event.subject_id,
        before=event.before, after=event.after, payload=payload)
