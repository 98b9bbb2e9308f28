from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taihe.kernel.jobs import job
from taihe.modules.notifications.models import Notification


@job(name="notifications.email.send", max_retries=5, backoff_seconds=30.0)
def send_notification_email(notification_id: int) -> None:
    """Send one notification by email, once: a retry after success does nothing."""
    notification = Notification.objects.select_related("recipient").filter(
        pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        return
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        link = f"{settings.TAIHE_SITE_URL}{notification.url}" if notification.url else ""
        text = notification.body + (f"\n\n{link}" if link else "")
        text += "\n\n— " + _("Taihe notifications. Change what you receive in your profile.")
        send_mail(f"[{_('Taihe')}] {notification.title}", text, settings.DEFAULT_FROM_EMAIL,
                  [recipient.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
