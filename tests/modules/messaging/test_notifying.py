"""Mention notifications: who hears of being named in a message, and a retried job."""

from __future__ import annotations

from typing import Any

import pytest

from taihe.modules.messaging import notifying, services
from taihe.modules.messaging.models import Mention
from taihe.modules.notifications import api as notifications_api
from taihe.modules.notifications.models import Notification


def _notified() -> list[tuple[int, str, str, str]]:
    return list(Notification.objects.filter(category="messaging.mentions")
                .order_by("recipient_id", "pk")
                .values_list("recipient_id", "title", "body", "url"))


def test_the_people_named_are_notified_with_a_link_to_the_message(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    # given
    message = services.do_send_message(li, group.pk, "@zhang @wang the RH is at 60% again")
    # when
    created = notifying.notify_mentions(message.pk)
    # then
    url = f"/chat/c/{group.pk}/#m{message.pk}"
    assert _notified() == [
        (zhang.pk, "Li Wei mentioned you in Paper lab", "@zhang @wang the RH is at 60% again",
         url),
        (wang.pk, "Li Wei mentioned you in Paper lab", "@zhang @wang the RH is at 60% again",
         url)]
    assert len(created) == 2


def test_a_direct_message_says_only_who_mentioned(li: Any, zhang: Any) -> None:
    conversation = services.do_open_direct(li, zhang.pk)
    message = services.do_send_message(li, conversation.pk, "@zhang please check")
    notifying.notify_mentions(message.pk)
    assert [(r, t) for r, t, _b, _u in _notified()] == [(zhang.pk, "Li Wei mentioned you")]


def test_the_sender_naming_themself_is_not_notified(group: Any, li: Any) -> None:
    message = services.do_send_message(li, group.pk, "note to self @li")
    assert list(Mention.objects.filter(message=message).values_list("person_id", flat=True)) \
        == [li.pk]
    assert notifying.notify_mentions(message.pk) == []
    assert _notified() == []


def test_at_all_notifies_nobody(group: Any, li: Any) -> None:
    message = services.do_send_message(li, group.pk, "@all the lab is closed tomorrow")
    assert message.mentions_all is True
    assert notifying.notify_mentions(message.pk) == []
    assert _notified() == []


def test_someone_named_is_notified_even_in_a_muted_conversation(group: Any, li: Any,
                                                                zhang: Any) -> None:
    services.do_set_member_settings(zhang, group.pk, muted=True)
    message = services.do_send_message(li, group.pk, "@zhang you are needed")
    notifying.notify_mentions(message.pk)
    assert [r for r, *_rest in _notified()] == [zhang.pk]


def test_who_already_read_past_it_is_not_notified(group: Any, li: Any, zhang: Any,
                                                  wang: Any) -> None:
    message = services.do_send_message(li, group.pk, "@zhang @wang look")
    services.do_mark_read(zhang, group.pk)
    notifying.notify_mentions(message.pk)
    assert [r for r, *_rest in _notified()] == [wang.pk]


def test_who_left_is_not_notified(group: Any, li: Any, zhang: Any, wang: Any) -> None:
    message = services.do_send_message(li, group.pk, "@zhang @wang look")
    services.do_leave(wang, group.pk)
    notifying.notify_mentions(message.pk)
    assert [r for r, *_rest in _notified()] == [zhang.pk]


def test_a_recalled_or_missing_message_notifies_nobody(group: Any, li: Any) -> None:
    message = services.do_send_message(li, group.pk, "@zhang oops")
    services.do_recall_message(li, message.pk)
    assert notifying.notify_mentions(message.pk) == []
    assert notifying.notify_mentions(message.pk + 1000) == []
    assert _notified() == []


def test_a_failed_run_leaves_nothing_so_the_retry_notifies_once(
        group: Any, li: Any, zhang: Any, wang: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a run that fails after the notifications were written (e.g. the database
    # connection drops before the job finishes)
    message = services.do_send_message(li, group.pk, "@zhang @wang look")
    real_notify = notifications_api.notify

    def notify_then_fail(*args: Any, **kwargs: Any) -> list[int]:
        real_notify(*args, **kwargs)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(notifications_api, "notify", notify_then_fail)
    with pytest.raises(RuntimeError):
        notifying.notify_mentions(message.pk)
    assert _notified() == []
    # when the job retries
    monkeypatch.setattr(notifications_api, "notify", real_notify)
    notifying.notify_mentions(message.pk)
    # then each named person has exactly one notification
    assert [r for r, *_rest in _notified()] == [zhang.pk, wang.pk]


def test_sending_queues_the_job_that_notifies(group: Any, li: Any, zhang: Any,
                                              run_commit_hooks: Any) -> None:
    from taihe.kernel.jobs.models import JobRecord

    with run_commit_hooks():
        message = services.do_send_message(li, group.pk, "@zhang look")
    record = JobRecord.objects.get(name="messaging.mentions.notify")
    assert record.args == [message.pk]
