"""DING escalation: the in-app notice at sending, reminders through the sender's channels
at the right times, and the sender's own "remind again"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.utils import translation

from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.modules.messaging import escalation, gateways, services
from taihe.modules.messaging.models import Ding, DingDelivery, DingRecipient
from taihe.modules.notifications.models import Notification


class FakeGateway:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, str]] = []
        self.answer = (True, "HTTP 200")

    def send(self, channel: str, phone: str, text: str, reference: str) -> tuple[bool, str]:
        self.sent.append((channel, phone, text, reference))
        return self.answer


@pytest.fixture
def gateway(zhang: Any, wang: Any) -> Iterator[FakeGateway]:
    """One fake gateway for SMS and phone calls; Zhang and Wang have phone numbers."""
    fake = FakeGateway()
    saved = dict(gateways._gateways)
    gateways.register_gateway("sms", lambda: fake)
    gateways.register_gateway("phone", lambda: fake)
    zhang.phone, wang.phone = "13800000001", "13800000002"
    zhang.save(update_fields=["phone"])
    wang.save(update_fields=["phone"])
    yield fake
    gateways._gateways.clear()
    gateways._gateways.update(saved)


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(escalation, "push", lambda topic, data: seen.append((topic, data)))
    return seen


def _ding(li: Any, group: Any, *, text: str = "Close the east gallery now",
          channels: tuple[str, ...] = ("in_app",), interval: int = 15, most: int = 6,
          to: list[int] | None = None) -> Any:
    return services.do_send_message(
        li, group.pk, text, ding=services.DingRequest(
            recipient_ids=to, channels=channels, interval_minutes=interval,
            max_reminders=most))


def _attempts(message: Any, person: Any) -> list[tuple[str, bool, str]]:
    return list(DingDelivery.objects.filter(recipient__ding__message=message,
                                            recipient__person=person)
                .order_by("pk").values_list("channel", "ok", "detail"))


def _recipient(message: Any, person: Any) -> DingRecipient:
    return DingRecipient.objects.get(ding__message=message, person=person)


def _at(message: Any, minutes: int) -> datetime:
    return message.created_at + timedelta(minutes=minutes)


# ---------------------------------------------------------------- sending

def test_sending_a_ding_notifies_every_recipient_in_the_app_at_once(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    # when
    message = _ding(li, group, text="Close the east gallery now: RH 80%")
    # then
    rows = list(Notification.objects.filter(category="messaging.ding").order_by("recipient_id")
                .values_list("recipient_id", "title", "body", "url"))
    url = f"/chat/c/{group.pk}/#m{message.pk}"
    assert rows == [
        (zhang.pk, "DING from Li Wei: please confirm", "Close the east gallery now: RH 80%",
         url),
        (wang.pk, "DING from Li Wei: please confirm", "Close the east gallery now: RH 80%",
         url)]
    assert _attempts(message, zhang) == [("in_app", True, "")]
    assert _attempts(message, wang) == [("in_app", True, "")]
    assert _recipient(message, zhang).reminders_sent == 0
    assert _recipient(message, zhang).next_reminder_at == _at(message, 15)


def test_the_notice_names_the_sender_in_the_recipients_language(
        group: Any, li: Any, zhang: Any) -> None:
    zhang.language = "zh-hans"
    zhang.save(update_fields=["language"])
    _ding(li, group, to=[zhang.pk])
    title = Notification.objects.get(recipient=zhang).title
    assert "李伟" in title
    assert "Li Wei" not in title


# ---------------------------------------------------------------- escalation

def test_reminders_escalate_through_the_chosen_channels_then_repeat_the_last(
        group: Any, li: Any, zhang: Any, wang: Any, gateway: FakeGateway,
        pushes: list[Any]) -> None:
    # given a DING escalating in-app → email → SMS, every 15 minutes, 4 reminders at most
    message = _ding(li, group, channels=("in_app", "email", "sms"), most=4)
    ding = message.ding
    # when nothing is due yet
    assert escalation.remind_due(_at(message, 14)) == 0
    assert mail.outbox == []
    # then at 15 minutes each is emailed
    assert escalation.remind_due(_at(message, 15)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["wang@museum.example",
                                                    "zhang@museum.example"]
    assert mail.outbox[0].subject == "[Taihe] DING from Li Wei: please confirm"
    assert f"http://127.0.0.1:8000/chat/c/{group.pk}/#m{message.pk}" in mail.outbox[0].body
    assert _recipient(message, zhang).next_reminder_at == _at(message, 30)
    # and at 30, 45 and 60 minutes by SMS (the last channel repeats) until 4 were sent
    assert escalation.remind_due(_at(message, 30)) == 2
    assert escalation.remind_due(_at(message, 45)) == 2
    assert escalation.remind_due(_at(message, 60)) == 2
    assert escalation.remind_due(_at(message, 600)) == 0
    zhang_row = _recipient(message, zhang)
    assert (zhang_row.reminders_sent, zhang_row.next_reminder_at) == (4, None)
    assert _attempts(message, zhang) == [("in_app", True, ""), ("email", True, "sent"),
                                         ("sms", True, "HTTP 200"), ("sms", True, "HTTP 200"),
                                         ("sms", True, "HTTP 200")]
    zhang_texts = [(c, p, r) for c, p, _t, r in gateway.sent if p == "13800000001"]
    assert zhang_texts == [("sms", "13800000001", f"ding:{ding.pk}:{zhang_row.pk}:{n}")
                           for n in (2, 3, 4)]
    topic = f"messaging.conversation.{group.pk}"
    assert pushes[:2] == [
        (topic, {"type": "ding.reminded", "conversation_id": group.pk,
                 "message_id": message.pk, "person_id": zhang.pk, "channel": "email"}),
        (topic, {"type": "ding.reminded", "conversation_id": group.pk,
                 "message_id": message.pk, "person_id": wang.pk, "channel": "email"})]
    assert [data["channel"] for _topic, data in pushes] == ["email"] * 2 + ["sms"] * 6


def test_an_in_app_only_ding_reminds_in_the_app(group: Any, li: Any, zhang: Any) -> None:
    message = _ding(li, group, to=[zhang.pk], most=2)
    escalation.remind_due(_at(message, 15))
    escalation.remind_due(_at(message, 30))
    assert list(Notification.objects.filter(recipient=zhang).order_by("pk")
                .values_list("title", flat=True)) == [
        "DING from Li Wei: please confirm",
        "Reminder: Li Wei is waiting for you to confirm a DING",
        "Reminder: Li Wei is waiting for you to confirm a DING"]
    assert [a[0] for a in _attempts(message, zhang)] == ["in_app", "in_app", "in_app"]


def test_a_phone_call_reads_the_message_without_a_link(group: Any, li: Any, zhang: Any,
                                                       gateway: FakeGateway) -> None:
    message = _ding(li, group, to=[zhang.pk], channels=("in_app", "phone"),
                    text="Fire alarm in hall 2")
    escalation.remind_due(_at(message, 15))
    assert [(c, p, t) for c, p, t, _r in gateway.sent] == [
        ("phone", "13800000001", "This is Taihe. Li Wei sent you an urgent message: "
                                 "Fire alarm in hall 2. Please open Taihe and confirm it.")]


def test_a_confirmed_recipient_is_never_reminded(group: Any, li: Any, zhang: Any,
                                                 wang: Any) -> None:
    message = _ding(li, group, channels=("in_app", "email"))
    services.do_confirm_ding(zhang, message.pk)
    assert escalation.remind_due(_at(message, 15)) == 1
    assert [m.to for m in mail.outbox] == [["wang@museum.example"]]
    assert _attempts(message, zhang) == [("in_app", True, "")]


def test_a_ding_is_closed_when_the_last_recipient_confirms(group: Any, li: Any, zhang: Any,
                                                           wang: Any) -> None:
    message = _ding(li, group)
    services.do_confirm_ding(zhang, message.pk)
    assert Ding.objects.get(pk=message.ding.pk).closed_at is None
    services.do_confirm_ding(wang, message.pk)
    assert Ding.objects.get(pk=message.ding.pk).closed_at == _recipient(
        message, wang).confirmed_at
    assert escalation.remind_due(_at(message, 15)) == 0


def test_the_scheduler_closes_a_ding_everyone_confirmed(group: Any, li: Any,
                                                        zhang: Any) -> None:
    # given every recipient confirmed but the DING was left open (e.g. confirmed before
    # confirming closed it)
    message = _ding(li, group, to=[zhang.pk])
    DingRecipient.objects.filter(ding__message=message).update(confirmed_at=_at(message, 1))
    # when
    assert escalation.remind_due(_at(message, 15)) == 0
    # then
    assert Ding.objects.get(pk=message.ding.pk).closed_at == _at(message, 15)


def test_close_if_all_confirmed_closes_once_and_only_when_all_confirmed(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    message = _ding(li, group)
    ding_id = message.ding.pk
    DingRecipient.objects.filter(ding_id=ding_id, person=zhang).update(
        confirmed_at=_at(message, 1))
    assert escalation.close_if_all_confirmed(ding_id, _at(message, 1)) is False
    DingRecipient.objects.filter(ding_id=ding_id, person=wang).update(
        confirmed_at=_at(message, 2))
    assert escalation.close_if_all_confirmed(ding_id, _at(message, 2)) is True
    assert escalation.close_if_all_confirmed(ding_id, _at(message, 3)) is False
    assert Ding.objects.get(pk=ding_id).closed_at == _at(message, 2)


def test_leaving_the_conversation_stops_the_reminders(group: Any, li: Any, zhang: Any,
                                                      wang: Any) -> None:
    message = _ding(li, group, channels=("in_app", "email"))
    services.do_leave(wang, group.pk)
    assert escalation.remind_due(_at(message, 15)) == 1
    assert [m.to for m in mail.outbox] == [["zhang@museum.example"]]
    wang_row = _recipient(message, wang)
    assert (wang_row.reminders_sent, wang_row.next_reminder_at) == (0, None)


def test_someone_who_left_the_museum_is_not_reminded(group: Any, li: Any, zhang: Any,
                                                     wang: Any) -> None:
    message = _ding(li, group, channels=("in_app", "email"))
    wang.is_active = False
    wang.save(update_fields=["is_active"])
    assert escalation.remind_due(_at(message, 15)) == 1
    assert _recipient(message, wang).next_reminder_at is None


def test_two_schedulers_at_the_same_minute_send_each_reminder_once(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    message = _ding(li, group, channels=("in_app", "email"))
    assert escalation.remind_due(_at(message, 15)) == 2
    assert escalation.remind_due(_at(message, 15)) == 0
    assert len(mail.outbox) == 2
    assert DingDelivery.objects.filter(channel="email").count() == 2


def test_a_reminder_claimed_elsewhere_is_not_sent_again(group: Any, li: Any,
                                                        zhang: Any) -> None:
    # given another scheduler claimed Zhang's first reminder between our read and our send
    message = _ding(li, group, to=[zhang.pk], channels=("in_app", "email"))
    row = _recipient(message, zhang)
    stale = DingRecipient.objects.get(pk=row.pk)
    DingRecipient.objects.filter(pk=row.pk).update(reminders_sent=1,
                                                   next_reminder_at=_at(message, 30))
    # when we try with what we read
    with mock.patch.object(DingRecipient.objects, "select_related") as read:
        read.return_value.filter.return_value.first.return_value = stale
        sent = escalation._remind(row.pk, _at(message, 15), manual=False)
    # then our claim fails and nothing goes out
    assert sent is False
    assert mail.outbox == []
    assert DingRecipient.objects.get(pk=row.pk).reminders_sent == 1


def test_max_reminders_is_respected(group: Any, li: Any, zhang: Any) -> None:
    message = _ding(li, group, to=[zhang.pk], most=1)
    assert escalation.remind_due(_at(message, 15)) == 1
    assert _recipient(message, zhang).next_reminder_at is None
    assert escalation.remind_due(_at(message, 24 * 60)) == 0
    # a row somehow still due past its maximum is stopped, not reminded
    DingRecipient.objects.filter(ding__message=message).update(
        next_reminder_at=_at(message, 30))
    assert escalation.remind_due(_at(message, 30)) == 0
    assert _recipient(message, zhang).next_reminder_at is None
    assert len(_attempts(message, zhang)) == 2


def test_a_recalled_ding_stops_reminding(group: Any, li: Any, zhang: Any) -> None:
    message = _ding(li, group, to=[zhang.pk])
    services.do_recall_message(li, message.pk)
    assert escalation.remind_due(_at(message, 15)) == 0


# ---------------------------------------------------------------- failures are recorded

def test_no_email_address_is_a_failed_delivery_and_the_next_channel_follows(
        group: Any, li: Any, zhang: Any, gateway: FakeGateway) -> None:
    zhang.email = ""
    zhang.save(update_fields=["email"])
    message = _ding(li, group, to=[zhang.pk], channels=("in_app", "email", "sms"))
    escalation.remind_due(_at(message, 15))
    escalation.remind_due(_at(message, 30))
    assert _attempts(message, zhang) == [("in_app", True, ""),
                                         ("email", False, "no email address"),
                                         ("sms", True, "HTTP 200")]
    assert mail.outbox == []


def test_email_is_written_in_the_recipients_language(group: Any, li: Any, zhang: Any) -> None:
    # given Zhang reads Chinese (the sender's name is the visible proof until the
    # translations land)
    zhang.language = "zh-hans"
    zhang.save(update_fields=["language"])
    message = _ding(li, group, to=[zhang.pk], channels=("in_app", "email"))
    # when
    escalation.remind_due(_at(message, 15))
    # then
    [sent] = mail.outbox
    assert "李伟" in sent.subject
    assert "Li Wei" not in sent.subject + sent.body
    assert translation.get_language() != "zh-hans"  # the override did not leak


def test_email_is_sent_even_when_ding_notifications_are_turned_off(
        group: Any, li: Any, zhang: Any) -> None:
    from taihe.modules.notifications.services import do_set_preference

    do_set_preference(zhang, category="messaging.ding", in_app=False, email=False)
    message = _ding(li, group, to=[zhang.pk], channels=("in_app", "email"))
    escalation.remind_due(_at(message, 15))
    assert [m.to for m in mail.outbox] == [["zhang@museum.example"]]
    assert _attempts(message, zhang) == [("in_app", False, escalation.NOT_SHOWN),
                                         ("email", True, "sent")]


def test_a_failing_gateway_and_a_missing_phone_are_recorded(
        group: Any, li: Any, zhang: Any, wang: Any, gateway: FakeGateway) -> None:
    gateway.answer = (False, "HTTP 502")
    wang.phone = ""
    wang.save(update_fields=["phone"])
    message = _ding(li, group, channels=("in_app", "sms"))
    assert escalation.remind_due(_at(message, 15)) == 2
    assert _attempts(message, zhang)[-1] == ("sms", False, "HTTP 502")
    assert _attempts(message, wang)[-1] == ("sms", False, "no phone number")
    assert _recipient(message, zhang).next_reminder_at == _at(message, 30)


def test_a_gateway_that_raises_is_recorded_and_the_others_still_go_out(
        group: Any, li: Any, zhang: Any, wang: Any, gateway: FakeGateway,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(channel: str, phone: str, text: str, reference: str) -> tuple[bool, str]:
        if phone == "13800000001":
            raise RuntimeError("provider SDK crashed")
        return True, "HTTP 200"

    monkeypatch.setattr(gateway, "send", boom)
    message = _ding(li, group, channels=("in_app", "sms"))
    assert escalation.remind_due(_at(message, 15)) == 2
    assert _attempts(message, zhang)[-1] == ("sms", False, "error: provider SDK crashed")
    assert _attempts(message, wang)[-1] == ("sms", True, "HTTP 200")


def test_the_phone_comes_from_phone_of(group: Any, li: Any, zhang: Any, gateway: FakeGateway,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert escalation.phone_of(zhang.pk) == "13800000001"
    monkeypatch.setattr(escalation, "phone_of", lambda person_id: "+86 10 1234 5678")
    message = _ding(li, group, to=[zhang.pk], channels=("in_app", "sms"))
    escalation.remind_due(_at(message, 15))
    assert [p for _c, p, _t, _r in gateway.sent] == ["+86 10 1234 5678"]


# ---------------------------------------------------------------- remind again by hand

def test_the_sender_reminds_the_unconfirmed_at_most_every_five_minutes(
        group: Any, li: Any, zhang: Any, wang: Any, pushes: list[Any]) -> None:
    message = _ding(li, group, channels=("in_app", "email"))
    services.do_confirm_ding(wang, message.pk)
    # within five minutes of sending
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 4)), \
            pytest.raises(Conflict, match="remind again in 1 minute"):
        escalation.do_remind_ding(li, message.pk)
    # after five minutes: only Zhang, who has not confirmed, by the next channel
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 6)):
        assert escalation.do_remind_ding(li, message.pk) == 1
    assert [m.to for m in mail.outbox] == [["zhang@museum.example"]]
    row = _recipient(message, zhang)
    assert (row.reminders_sent, row.next_reminder_at) == (1, _at(message, 21))
    assert [data["person_id"] for _topic, data in pushes] == [zhang.pk]
    # and not again two minutes later
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 8)), \
            pytest.raises(Conflict, match="remind again in 3 minutes"):
        escalation.do_remind_ding(li, message.pk)
    # the automatic reminder now waits a full interval from the manual one
    assert escalation.remind_due(_at(message, 15)) == 0
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 12)):
        assert escalation.do_remind_ding(li, message.pk) == 1
    assert _recipient(message, zhang).reminders_sent == 2


def test_a_reminder_by_hand_goes_out_even_after_the_automatic_ones_ran_out(
        group: Any, li: Any, zhang: Any) -> None:
    message = _ding(li, group, to=[zhang.pk], most=1)
    escalation.remind_due(_at(message, 15))
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 60)):
        assert escalation.do_remind_ding(li, message.pk) == 1
    row = _recipient(message, zhang)
    assert (row.reminders_sent, row.next_reminder_at) == (2, None)


def test_only_the_sender_reminds(group: Any, li: Any, zhang: Any, wang: Any) -> None:
    message = _ding(li, group)
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 6)), \
            pytest.raises(PermissionDenied):
        escalation.do_remind_ding(zhang, message.pk)
    assert DingDelivery.objects.count() == 2


def test_strangers_cannot_tell_the_ding_exists(group: Any, li: Any, member: Any,
                                               outsider: Any) -> None:
    message = _ding(li, group)
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 6)):
        with pytest.raises(NotFound):
            escalation.do_remind_ding(member, message.pk)
        with pytest.raises(NotFound):
            escalation.do_remind_ding(li, message.pk + 1000)
        with pytest.raises(PermissionDenied):  # may not chat at all
            escalation.do_remind_ding(outsider, message.pk)
    assert DingDelivery.objects.count() == 2


def test_reminding_a_plain_message_or_a_closed_ding_is_refused(group: Any, li: Any,
                                                               zhang: Any) -> None:
    plain = services.do_send_message(li, group.pk, "Lunch?")
    with pytest.raises(ValidationFailed) as refused:
        escalation.do_remind_ding(li, plain.pk)
    assert refused.value.fields == {"message_id": "This message is not a DING."}
    message = _ding(li, group, to=[zhang.pk])
    services.do_confirm_ding(zhang, message.pk)
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 6)), \
            pytest.raises(Conflict, match="closed"):
        escalation.do_remind_ding(li, message.pk)


def test_a_second_click_while_the_first_is_still_sending_is_refused(
        group: Any, li: Any, zhang: Any) -> None:
    message = _ding(li, group, to=[zhang.pk])
    # given the first click passed the check but has recorded no delivery yet
    last = DingDelivery.objects.get().at
    from django.core.cache import cache

    cache.add(f"messaging.ding.remind.{message.ding.pk}.{last.isoformat()}", 1)
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 6)), \
            pytest.raises(Conflict):
        escalation.do_remind_ding(li, message.pk)
    assert _recipient(message, zhang).reminders_sent == 0


# ---------------------------------------------------------------- the API's needs

def test_the_api_can_serve_channels_and_remind(settings: Any, group: Any, li: Any,
                                               zhang: Any) -> None:
    # GET /ding/channels -> [{code,label}]; POST /messages/{id}/ding/remind -> {reminded}
    settings.TAIHE_DING_SMS_WEBHOOK_URL = settings.TAIHE_DING_PHONE_WEBHOOK_URL = None
    assert [{"code": c, "label": label} for c, label in gateways.channel_choices()] == [
        {"code": "in_app", "label": "In the app"}, {"code": "email", "label": "Email"}]
    message = _ding(li, group, to=[zhang.pk])
    with mock.patch("django.utils.timezone.now", return_value=_at(message, 6)):
        assert {"reminded": escalation.do_remind_ding(li, message.pk)} == {"reminded": 1}
