"""Creating, reading and configuring notifications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue
from taihe.kernel.realtime import publish as push
from taihe.modules.directory import api as directory
from taihe.modules.notifications import events
from taihe.modules.notifications.categories import category as find_category
from taihe.modules.notifications.models import Notification, Preference
from taihe.modules.notifications.selectors import unread_count


def _push_count(person_id: int) -> None:
    push(f"notifications.user.{person_id}", {"unread": unread_count(person_id)})


def _wants(person_id: int, category_code: str) -> tuple[bool, bool]:
    chosen = Preference.objects.filter(person_id=person_id, category=category_code).first()
    if chosen is not None:
        return chosen.in_app, chosen.email
    return True, find_category(category_code).email_by_default


def do_notify(recipient_ids: Iterable[int], *, category: str, title: Any, body: Any = "",
              url: str = "", params: dict[str, Any] | None = None) -> list[int]:
    """Create one notification per active recipient, rendered in their language.

    ``title`` and ``body`` are translatable strings (``gettext_lazy``) formatted with
    ``params``. Pushes the new unread count over ``notifications.user.<id>`` and queues email
    for those who want it. Returns the new notification ids.
    """
    find_category(category)
    created: list[int] = []
    with transaction.atomic():
        for info in directory.people(sorted(set(recipient_ids))):
            if not info.is_active:
                continue
            in_app, email = _wants(info.id, category)
            if not (in_app or email):
                continue
            with translation.override(info.language or settings.LANGUAGE_CODE):
                rendered_title = str(title) % (params or {}) if params else str(title)
                rendered_body = str(body) % (params or {}) if params and body else str(body)
            notification = Notification.objects.create(
                recipient_id=info.id, category=category, title=rendered_title[:200],
                body=rendered_body, url=url,
                read_at=None if in_app else timezone.now())
            created.append(notification.pk)
            if email and info.email:
                from taihe.modules.notifications.jobs import send_notification_email

                enqueue(send_notification_email, notification.pk)
            if in_app:
                _push_count(info.id)
    return created


def do_mark_read(actor: Any, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of the actor's notifications read. Emits
    ``notifications.notification.read.v1``."""
    resolved = authz.actor_for(actor)
    if resolved.is_anonymous:
        raise PermissionDenied()
    rows = Notification.objects.filter(recipient_id=resolved.user_id, read_at__isnull=True)
    if notification_ids is not None:
        owned = set(Notification.objects.filter(recipient_id=resolved.user_id,
                                                pk__in=notification_ids)
                    .values_list("pk", flat=True))
        if owned != set(notification_ids):
            raise NotFound()
        rows = rows.filter(pk__in=notification_ids)
    with transaction.atomic():
        count = rows.update(read_at=timezone.now())
        if count:
            assert resolved.user_id is not None
            publish(events.NotificationsRead(person_id=resolved.user_id, count=count,
                                             subject_type="directory.person",
                                             subject_id=str(resolved.user_id)))
            _push_count(resolved.user_id)
    return count


def do_set_preference(actor: Any, *, category: str, in_app: bool, email: bool) -> Preference:
    resolved = authz.actor_for(actor)
    if resolved.is_anonymous:
        raise PermissionDenied()
    try:
        find_category(category)
    except LookupError:
        raise ValidationFailed(fields={"category": _("Unknown category.")}) from None
    with transaction.atomic():
        preference, _created = Preference.objects.update_or_create(
            person_id=resolved.user_id, category=category,
            defaults={"in_app": in_app, "email": email})
        assert resolved.user_id is not None
        publish(events.PreferenceChanged(person_id=resolved.user_id, category=category,
                                         subject_type="directory.person",
                                         subject_id=str(resolved.user_id),
                                         after={"category": category, "in_app": in_app,
                                                "email": email}))
    return preference
