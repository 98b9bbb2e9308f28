"""Telling people they were named in a message (``@username``).

Only people named one by one are notified: ``@all`` shows as the group's unread badge and
mention count instead, or a big group would bury everyone in notifications. Someone named
by name is told even when they muted the conversation (muting silences the chatter, not
being addressed), but not the sender, not who left, and not who already read past the
message.

Retries: the ``messaging.mentions.notify`` job may run again after a failure, or after a
worker died between committing and marking the job done. Each mention is claimed
(``Mention.notified_at``) in the same transaction that writes its notification, so a
second run finds nothing left to send.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taihe.modules.messaging.escalation import conversation_url, excerpt, name_of
from taihe.modules.messaging.models import Conversation, Member, Mention, Message
from taihe.modules.notifications import api as notifications

CATEGORY = "messaging.mentions"


def people_to_notify(message: Message) -> list[int]:
    """Who should hear of being named in ``message``: the named, active members who have
    not read past it, the sender left out."""
    named = set(Mention.objects.filter(message=message, notified_at__isnull=True)
                .values_list("person_id", flat=True))
    if message.sender_id is not None:
        named.discard(message.sender_id)
    if not named:
        return []
    return sorted(Member.objects.filter(
        conversation_id=message.conversation_id, person_id__in=named, left_at__isnull=True,
        last_read_id__lt=message.pk).values_list("person_id", flat=True))


def notify_mentions(message_id: int) -> list[int]:
    """Notify (category ``messaging.mentions``) the people named in a message, linking to
    the message. Nothing for a recalled or missing message. Returns the notification ids
    (for tests and the job log)."""
    message = (Message.objects.select_related("conversation", "bot")
               .filter(pk=message_id, kind=Message.Kind.TEXT, recalled_at__isnull=True)
               .first())
    if message is None:
        return []
    people = people_to_notify(message)
    if not people:
        return []
    conversation = message.conversation
    name = message.bot.name if message.bot_id and message.bot else name_of(message.sender_id)
    if conversation.kind == Conversation.Kind.DIRECT:
        title = _("%(name)s mentioned you")
    else:
        title = _("%(name)s mentioned you in %(conversation)s")
    # The excerpt and the title travel as parameters: notify() %-formats the texts, and a
    # message saying "RH 60%" must not break that.
    params = {"name": name, "conversation": str(conversation), "excerpt": excerpt(message)}
    with transaction.atomic():
        # Claim the mentions first, in the notification's own transaction: a job retried
        # after this commit finds them claimed and notifies nobody twice.
        claimed = list(Mention.objects.select_for_update().filter(
            message=message, person_id__in=people, notified_at__isnull=True)
            .values_list("person_id", flat=True))
        if not claimed:
            return []
        Mention.objects.filter(message=message, person_id__in=claimed).update(
            notified_at=timezone.now())
        return notifications.notify(sorted(claimed), category=CATEGORY, title=title,
                                    body="%(excerpt)s", url=conversation_url(message),
                                    params=params)
