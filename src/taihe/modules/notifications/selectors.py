from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from taihe.kernel import authz
from taihe.modules.notifications.categories import categories
from taihe.modules.notifications.models import Notification, Preference


def notifications_for(actor: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """Only ever the actor's own notifications."""
    resolved = authz.actor_for(actor)
    if resolved.is_anonymous:
        return Notification.objects.none()
    rows = Notification.objects.filter(recipient_id=resolved.user_id)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows


def unread_count(person_id: int) -> int:
    return Notification.objects.filter(recipient_id=person_id, read_at__isnull=True).count()


def preferences_for(actor: Any) -> list[dict[str, Any]]:
    resolved = authz.actor_for(actor)
    if resolved.user_id is None:
        return []
    stored = {p.category: p for p in Preference.objects.filter(person_id=resolved.user_id)}
    rows = []
    for category in categories():
        saved = stored.get(category.code)
        rows.append({
            "category": category.code,
            "label": str(category.label),
            "in_app": saved.in_app if saved else True,
            "email": saved.email if saved else category.email_by_default,
        })
    return rows
