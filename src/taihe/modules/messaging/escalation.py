"""DING escalation: each recipient is told in the app at once, then reminded every
``interval_minutes`` until they confirm, each reminder through the next channel the sender
chose and the last one repeated (in-app, email, SMS, phone call), at most
``max_reminders`` times. The sender may also re-remind the unconfirmed by hand, no more
often than every five minutes (DingTalk's rule, research/workplace.md §1a).

Every attempt is kept (``DingDelivery``) with the channel's answer, so the sender sees who
was reached how. A reminder is claimed with a compare-and-set ``UPDATE`` of the recipient's
``reminders_sent`` before anything is sent: two schedulers (or a scheduler and the
sender's click) never send the same reminder twice. A crash between claim and send loses
that one reminder rather than texting someone twice; the next one follows on time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from taihe.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from taihe.kernel.realtime import publish as push
from taihe.modules.directory import api as directory
from taihe.modules.messaging import live
from taihe.modules.messaging.gateways import gateway_for
from taihe.modules.messaging.models import Ding, DingDelivery, DingRecipient, Member, Message
from taihe.modules.notifications import api as notifications

CATEGORY = "messaging.ding"
MANUAL_GAP = timedelta(minutes=5)
BATCH = 500
EXCERPT = 140
SMS_EXCERPT = 60
CHANNEL = Ding.Channel


def phone_of(person_id: int) -> str:
    """The number SMS and phone reminders go to. ``directory.api`` does not expose phones
    (``PersonInfo`` has none), so this reads the user model's ``phone``; replace it (or
    patch it in tests) once the directory offers one."""
    found = (get_user_model().objects.filter(pk=person_id)
             .values_list("phone", flat=True).first())
    return str(found or "").strip()


# ---------------------------------------------------------------- one reminder

@dataclass(frozen=True)
class Reminder:
    """Everything a channel needs to word and send reminder ``number`` to one person."""

    ding: Ding
    message: Message
    recipient_id: int
    person: directory.PersonInfo
    number: int
    sender_name: Any

    @property
    def path(self) -> str:
        return conversation_url(self.message)

    @property
    def link(self) -> str:
        return f"{getattr(settings, 'TAIHE_SITE_URL', '')}{self.path}"

    @property
    def reference(self) -> str:
        # unique per attempt, so a gateway can drop a repeated request
        return f"ding:{self.ding.pk}:{self.recipient_id}:{self.number}"

    @property
    def language(self) -> str:
        return self.person.language or settings.LANGUAGE_CODE


def conversation_url(message: Message) -> str:
    """Where the message sits in its conversation (the page scrolls to ``#m<id>``)."""
    return reverse("messaging:conversation", args=[message.conversation_id]) + f"#m{message.pk}"


def excerpt(message: Message, limit: int = EXCERPT) -> str:
    text = " ".join((message.body or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReminderChannel(Protocol):
    def deliver(self, reminder: Reminder) -> tuple[bool, str]:
        """Send the reminder; answer ``(ok, short detail)`` and never raise for a
        delivery problem."""
        ...


def _notify_in_app(person_id: int, message: Message, sender_name: Any, title: Any) -> bool:
    # The excerpt goes in as a parameter: notify() %-formats title and body, and a body
    # holding "60%" must not break it.
    created = notifications.notify(
        [person_id], category=CATEGORY, title=title, body="%(excerpt)s",
        url=conversation_url(message),
        params={"name": sender_name, "excerpt": excerpt(message)})
    return bool(created)


NOT_SHOWN = "not shown: inactive, or in-app notifications turned off"


class InAppReminder:
    def deliver(self, reminder: Reminder) -> tuple[bool, str]:
        shown = _notify_in_app(
            reminder.person.id, reminder.message, reminder.sender_name,
            gettext_lazy("Reminder: %(name)s is waiting for you to confirm a DING"))
        return shown, "" if shown else NOT_SHOWN


class EmailReminder:
    """Straight to the person's address, whatever their notification settings say: a DING
    must reach them."""

    def deliver(self, reminder: Reminder) -> tuple[bool, str]:
        address = reminder.person.email
        if not address:
            return False, "no email address"
        with translation.override(reminder.language):
            subject = "[{}] {}".format(_("Taihe"), _("DING from %(name)s: please confirm")
                                       % {"name": reminder.sender_name})
            text = "\n\n".join([
                _("%(name)s sent you an urgent message and asks you to confirm that you "
                  "have read it:") % {"name": reminder.sender_name},
                excerpt(reminder.message, 1000),
                _("Open it and press Confirm: %(link)s") % {"link": reminder.link},
                "— " + _("Taihe DING reminder %(number)d. Reminders stop once you confirm.")
                % {"number": reminder.number},
            ])
        try:
            sent = send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception as error:  # SMTP down or refused: recorded, the next channel follows
            return False, _short(f"error: {error}")
        return (True, "sent") if sent else (False, "not accepted by the mail server")


class GatewayReminder:
    """A reminder through the channel's registered gateway (see ``gateways.py``)."""

    channel = ""

    def text(self, reminder: Reminder) -> str:
        raise NotImplementedError

    def deliver(self, reminder: Reminder) -> tuple[bool, str]:
        gateway = gateway_for(self.channel)
        if gateway is None:
            return False, "gateway not configured"
        phone = phone_of(reminder.person.id)
        if not phone:
            return False, "no phone number"
        with translation.override(reminder.language):
            text = self.text(reminder)
        try:
            return gateway.send(self.channel, phone, text, reminder.reference)
        except Exception as error:  # a plugged-in gateway that raises must not stop the rest
            return False, _short(f"error: {error}")


class TextMessageReminder(GatewayReminder):
    channel = CHANNEL.SMS.value

    def text(self, reminder: Reminder) -> str:
        return _("[Taihe] DING from %(name)s: %(text)s Confirm: %(link)s") % {
            "name": reminder.sender_name, "text": excerpt(reminder.message, SMS_EXCERPT),
            "link": reminder.link}


class PhoneCallReminder(GatewayReminder):
    channel = CHANNEL.PHONE.value

    def text(self, reminder: Reminder) -> str:
        # read out by a voice service: no link
        return _("This is Taihe. %(name)s sent you an urgent message: %(text)s. "
                 "Please open Taihe and confirm it.") % {
            "name": reminder.sender_name, "text": excerpt(reminder.message, SMS_EXCERPT)}


_channels: dict[str, ReminderChannel] = {
    CHANNEL.IN_APP.value: InAppReminder(),
    CHANNEL.EMAIL.value: EmailReminder(),
    CHANNEL.SMS.value: TextMessageReminder(),
    CHANNEL.PHONE.value: PhoneCallReminder(),
}


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def channel_of(ding: Ding, number: int) -> str:
    """The channel of reminder ``number`` (1 = the first reminder after the in-app notice
    at sending): the sender's next choice, the last one repeated."""
    chosen = list(ding.channels or [CHANNEL.IN_APP.value])
    return str(chosen[min(number, len(chosen) - 1)])


def name_of(person_id: int | None) -> Any:
    """The person's name in whatever language is active when it is turned into text, so
    one notify() call words it for each recipient in their own language."""
    info = directory.person(person_id) if person_id is not None else None

    def pick() -> str:
        if info is None:
            return ""
        chinese = (translation.get_language() or "en").startswith("zh")
        first, second = (info.name_zh, info.name_en) if chinese else (info.name_en, info.name_zh)
        return first or second or info.username

    return lazy(pick, str)()


def _sender_name(ding: Ding) -> Any:
    return name_of(ding.sender_id)


def _stop(recipient_id: int) -> None:
    DingRecipient.objects.filter(pk=recipient_id).update(next_reminder_at=None)


def _remind(recipient_id: int, now: datetime, *, manual: bool) -> bool:
    """Claim and send the recipient's next reminder. False when there was nothing to send
    or another process claimed it first."""
    recipient = (DingRecipient.objects.select_related("ding__message")
                 .filter(pk=recipient_id).first())
    if recipient is None or recipient.confirmed_at is not None:
        return False
    ding = recipient.ding
    message = ding.message
    if ding.closed_at is not None:
        return False
    person = directory.person(recipient.person_id)
    still_member = Member.objects.filter(conversation_id=message.conversation_id,
                                         person_id=recipient.person_id,
                                         left_at__isnull=True).exists()
    if person is None or not person.is_active or not still_member:
        # who left the conversation (or the museum) can no longer read or confirm it
        _stop(recipient.pk)
        return False
    if not manual and recipient.reminders_sent >= ding.max_reminders:
        _stop(recipient.pk)
        return False
    number = recipient.reminders_sent + 1
    following = (now + timedelta(minutes=ding.interval_minutes)
                 if number < ding.max_reminders else None)
    claim = DingRecipient.objects.filter(pk=recipient.pk,
                                         reminders_sent=recipient.reminders_sent,
                                         confirmed_at__isnull=True)
    if not manual:
        claim = claim.filter(next_reminder_at__lte=now)
    if not claim.update(reminders_sent=number, next_reminder_at=following):
        return False
    channel = channel_of(ding, number)
    reminder = Reminder(ding=ding, message=message, recipient_id=recipient.pk, person=person,
                        number=number, sender_name=_sender_name(ding))
    sender = _channels.get(channel)
    ok, detail = (sender.deliver(reminder) if sender is not None
                  else (False, f"unknown channel {channel}"))
    with transaction.atomic():
        DingDelivery.objects.create(recipient_id=recipient.pk, channel=channel, ok=ok,
                                    detail=_short(detail, 300))
        push(live.conversation_topic(message.conversation_id),
             {"type": "ding.reminded", "conversation_id": message.conversation_id,
              "message_id": message.pk, "person_id": recipient.person_id,
              "channel": channel})
    return True


# ---------------------------------------------------------------- public

def announce(ding: Ding) -> None:
    """Tell every recipient in the app at once and record the in-app delivery. Called by
    ``do_send_message`` inside its transaction, right after the DING rows exist; the
    notifications (and their realtime counts) leave after commit."""
    message = ding.message
    sender_name = _sender_name(ding)
    title = gettext_lazy("DING from %(name)s: please confirm")
    deliveries = []
    for recipient in DingRecipient.objects.filter(ding=ding).order_by("pk"):
        shown = _notify_in_app(recipient.person_id, message, sender_name, title)
        deliveries.append(DingDelivery(recipient=recipient, channel=CHANNEL.IN_APP.value,
                                       ok=shown, detail="" if shown else NOT_SHOWN))
    DingDelivery.objects.bulk_create(deliveries)


def close_if_all_confirmed(ding_id: int, now: datetime | None = None) -> bool:
    """Close the DING once every recipient confirmed (its to-dos and reminders end).
    ``do_confirm_ding`` should call this; :func:`remind_due` also sweeps for them."""
    return bool(_confirmed(Ding.objects.filter(pk=ding_id)).update(
        closed_at=now or timezone.now()))


def _confirmed(dings: Any) -> Any:
    waiting = DingRecipient.objects.filter(ding_id=OuterRef("pk"), confirmed_at__isnull=True)
    return dings.filter(closed_at__isnull=True).filter(~Exists(waiting))


def remind_due(now: datetime | None = None) -> int:
    """Send every reminder due at ``now`` (the ``messaging.ding.remind`` job, every
    minute): closes DINGs everyone confirmed, stops reminding people who left, and sends
    each due reminder once however many schedulers run. Pushes ``ding.reminded`` to the
    conversation per attempt. Returns how many reminders were attempted."""
    now = now or timezone.now()
    _confirmed(Ding.objects.all()).update(closed_at=now)
    # bounded per run; whatever is left is due again next minute
    due = list(DingRecipient.objects.filter(
        confirmed_at__isnull=True, next_reminder_at__lte=now, ding__closed_at__isnull=True)
        .order_by("next_reminder_at", "pk").values_list("pk", flat=True)[:BATCH])
    return sum(1 for pk in due if _remind(pk, now, manual=False))


def do_remind_ding(actor: Any, message_id: int) -> int:
    """The sender reminds every unconfirmed recipient now, each through their next
    escalation channel, at most once every five minutes per DING (counted from the last
    reminder of any kind, the in-app notice at sending included). Pushes ``ding.reminded``
    per attempt. Returns how many were reminded.

    Errors: ``NotFound`` for a message the actor cannot see, ``PermissionDenied`` for
    anyone but the sender (or who may not chat), ``ValidationFailed`` (``message_id``) when
    the message is no DING, ``Conflict`` when the DING is closed or it is too soon."""
    from taihe.modules.messaging.selectors import message_for
    from taihe.modules.messaging.services import chatting_actor, person_id_of

    me = person_id_of(chatting_actor(actor))
    message = message_for(actor, message_id)
    ding = Ding.objects.filter(message=message).first()
    if ding is None:
        raise ValidationFailed(fields={"message_id": _("This message is not a DING.")})
    if ding.sender_id != me:
        raise PermissionDenied(_("Only the sender of a DING reminds its recipients."))
    if ding.closed_at is not None:
        raise Conflict(_("This DING is closed: everyone confirmed it, or it was recalled."))
    now = timezone.now()
    with transaction.atomic():
        Ding.objects.select_for_update().filter(pk=ding.pk).first()  # one click at a time
        last = DingDelivery.objects.filter(recipient__ding=ding).aggregate(at=Max("at"))["at"]
        last = max(last or ding.created_at, ding.created_at)
        wait = last + MANUAL_GAP - now
        # Deliveries are recorded as each send finishes, so a second click while the first
        # is still sending sees the same "last" and loses the add(): the key names it.
        if wait.total_seconds() > 0 or not cache.add(
                f"messaging.ding.remind.{ding.pk}.{last.isoformat()}", 1,
                timeout=int(MANUAL_GAP.total_seconds())):
            minutes = max(1, round(wait.total_seconds() / 60))
            raise Conflict(ngettext(
                "Reminders are at least five minutes apart; remind again in %(minutes)d "
                "minute.",
                "Reminders are at least five minutes apart; remind again in %(minutes)d "
                "minutes.", minutes) % {"minutes": minutes})
    waiting = list(DingRecipient.objects.filter(ding=ding, confirmed_at__isnull=True)
                   .order_by("pk").values_list("pk", flat=True))
    return sum(1 for pk in waiting if _remind(pk, now, manual=True))
