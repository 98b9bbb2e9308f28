"""Realtime pushes of messaging: what leaves for which topic, and only after commit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction

from taihe.kernel.realtime import authorize
from taihe.kernel.realtime.topics import feeds_of
from taihe.modules.messaging import live, services
from taihe.modules.messaging.models import Attachment, Message
from taihe.modules.messaging.presenting import message_data

MESSAGE_KEYS = {
    "id", "conversation_id", "kind", "sender_id", "sender_name", "bot", "body", "html",
    "notice", "mentions", "mentions_all", "links", "reply_to", "thread_root_id",
    "thread_reply_count", "created_at", "edited_at", "recalled_at", "recalled_by_name",
    "attachments", "reactions", "ding"}


class RecordingLayer:
    """Stands in for the channel layer: keeps every group send in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, message))


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> RecordingLayer:
    recording = RecordingLayer()
    monkeypatch.setattr("taihe.kernel.realtime.topics.get_channel_layer", lambda: recording)
    return recording


def _conversation(conversation_id: int) -> str:
    return f"topic.messaging.conversation.{conversation_id}"


def _person(person_id: int) -> str:
    return f"topic.messaging.person.{person_id}"


def _pushes(layer: RecordingLayer) -> list[tuple[str, Any]]:
    """(group, data type or control kind) of each send."""
    return [(group, message["data"]["type"] if message["type"] == "topic.message"
             else (message["type"], message["feed"])) for group, message in layer.sent]


def test_a_message_is_pushed_only_after_commit(
        group: Any, li: Any, layer: RecordingLayer, run_commit_hooks: Any) -> None:
    with run_commit_hooks():
        message = services.do_send_message(li, group.pk, "Humidity is **up**")
        assert layer.sent == []

    topic = f"messaging.conversation.{group.pk}"
    data = {"type": "message.new", "message": message_data(message)}
    # The frame is serialised once by the publisher, not by each of the readers' sockets.
    assert layer.sent == [(_conversation(group.pk), {
        "type": "topic.message", "topic": topic, "data": data,
        "text": json.dumps({"type": "message", "topic": topic, "data": data})})]


def test_nothing_is_pushed_when_the_transaction_rolls_back(
        group: Any, li: Any, layer: RecordingLayer, run_commit_hooks: Any) -> None:
    class Abandon(Exception):
        pass

    with run_commit_hooks(), pytest.raises(Abandon), transaction.atomic():
        services.do_send_message(li, group.pk, "Never mind")
        raise Abandon
    assert layer.sent == []
    assert not Message.objects.filter(body="Never mind").exists()


def test_a_refused_message_pushes_nothing(
        group: Any, zhang: Any, layer: RecordingLayer, run_commit_hooks: Any) -> None:
    with run_commit_hooks(), pytest.raises(Exception):  # noqa: B017, PT011
        services.do_send_message(zhang, group.pk, "@all lunch")
    assert layer.sent == []


def test_the_pushed_message_carries_what_every_member_may_see(
        group: Any, li: Any, zhang: Any, layer: RecordingLayer, run_commit_hooks: Any) -> None:
    root = services.do_send_message(li, group.pk, "Root")
    scan = Attachment.objects.create(conversation=group, uploaded_by=zhang,
                                     file="messaging/x.pdf", name="scan.pdf",
                                     content_type="application/pdf", size=10)
    with run_commit_hooks():
        reply = services.do_send_message(zhang, group.pk, "See @li", reply_to_id=root.pk,
                                         in_thread=True, attachment_ids=[scan.pk])

    pushed = [m["data"]["message"] for g, m in layer.sent
              if m["type"] == "topic.message" and m["data"].get("type") == "message.new"]
    assert len(pushed) == 1
    data = pushed[0]
    assert set(data) == MESSAGE_KEYS
    assert {key: data[key] for key in ("id", "conversation_id", "kind", "sender_id",
                                       "sender_name", "bot", "body", "mentions",
                                       "mentions_all", "thread_root_id", "notice", "ding",
                                       "edited_at", "recalled_at", "recalled_by_name",
                                       "reactions")} == {
        "id": reply.pk, "conversation_id": group.pk, "kind": "text", "sender_id": zhang.pk,
        "sender_name": "Zhang Min", "bot": False, "body": "See @li", "mentions": [li.pk],
        "mentions_all": False, "thread_root_id": root.pk, "notice": None, "ding": None,
        "edited_at": None, "recalled_at": None, "recalled_by_name": "", "reactions": []}
    assert data["reply_to"] == {"id": root.pk, "sender_name": "Li Wei", "excerpt": "Root"}
    assert [(a["id"], a["name"], a["url"]) for a in data["attachments"]] == [
        (scan.pk, "scan.pdf", f"/chat/files/{scan.pk}/")]
    assert data["created_at"] == reply.created_at.isoformat()


def test_a_system_notice_is_pushed_in_every_language(
        group: Any, li: Any, layer: RecordingLayer, run_commit_hooks: Any) -> None:
    with run_commit_hooks():
        services.do_update_conversation(li, group.pk, title="Paper conservation")

    notices = [m["data"] for g, m in layer.sent if m["type"] == "topic.message"]
    assert [d["type"] for d in notices] == ["message.new", "conversation.changed"]
    assert notices[0]["message"]["notice"] == {
        "en": "Li Wei renamed the group “Paper conservation”",
        "zh-hans": notices[0]["message"]["notice"]["zh-hans"]}
    assert "Paper conservation" in notices[0]["message"]["notice"]["zh-hans"]
    assert notices[1] == {"type": "conversation.changed", "conversation_id": group.pk}


def test_leaving_detaches_the_feed_before_the_notice_is_pushed(
        group: Any, li: Any, wang: Any, layer: RecordingLayer, run_commit_hooks: Any) -> None:
    with run_commit_hooks():
        services.do_leave(wang, group.pk)

    feed = f"messaging.conversation.{group.pk}"
    assert _pushes(layer) == [
        (_person(wang.pk), ("topic.detach", feed)),
        (_person(wang.pk), "conversation.left"),
        (_conversation(group.pk), "message.new")]
    assert layer.sent[0][1] == {"type": "topic.detach", "topic": f"messaging.person.{wang.pk}",
                                "feed": feed}
    assert layer.sent[1][1]["data"] == {"type": "conversation.left",
                                        "conversation_id": group.pk}


def test_adding_people_attaches_the_feed_to_each(
        group: Any, li: Any, member: Any, outsider: Any, layer: RecordingLayer,
        run_commit_hooks: Any) -> None:
    with run_commit_hooks():
        services.do_add_members(li, group.pk, [member.pk])

    feed = f"messaging.conversation.{group.pk}"
    assert _pushes(layer) == [
        (_person(member.pk), ("topic.attach", feed)),
        (_person(member.pk), "conversation.joined"),
        (_conversation(group.pk), "message.new")]


def test_removing_someone_detaches_them(
        group: Any, li: Any, zhang: Any, layer: RecordingLayer, run_commit_hooks: Any) -> None:
    with run_commit_hooks():
        services.do_remove_member(li, group.pk, zhang.pk)
    assert _pushes(layer)[:2] == [
        (_person(zhang.pk), ("topic.detach", f"messaging.conversation.{group.pk}")),
        (_person(zhang.pk), "conversation.left")]


def test_edits_recalls_reactions_reads_and_roles_are_pushed(
        group: Any, li: Any, zhang: Any, wang: Any, layer: RecordingLayer,
        run_commit_hooks: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Helo")
    with run_commit_hooks():
        services.do_edit_message(li, sent.pk, "Hello")
        services.do_react(zhang, sent.pk, "👍")
        services.do_mark_read(zhang, group.pk)
        services.do_mark_read(zhang, group.pk)  # the cursor did not move: no push
        services.do_set_role(li, group.pk, wang.pk, "admin")
        services.do_recall_message(li, sent.pk)

    data = [m["data"] for g, m in layer.sent]
    assert {g for g, _m in layer.sent} == {_conversation(group.pk)}
    assert [d["type"] for d in data] == ["message.changed", "message.reactions", "read",
                                         "conversation.changed", "message.changed"]
    assert (data[0]["message"]["body"], data[0]["message"]["edited_at"] is not None) == (
        "Hello", True)
    assert data[1] == {"type": "message.reactions", "conversation_id": group.pk,
                       "message_id": sent.pk,
                       "reactions": [{"emoji": "👍", "person_ids": [zhang.pk]}]}
    assert data[2] == {"type": "read", "conversation_id": group.pk, "person_id": zhang.pk,
                       "up_to_id": sent.pk}
    assert (data[4]["message"]["body"], data[4]["message"]["recalled_by_name"]) == (
        "", "Li Wei")


def test_confirming_a_ding_is_pushed(
        group: Any, li: Any, zhang: Any, layer: RecordingLayer, run_commit_hooks: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("taihe.modules.messaging.gateways.available_channels",
                        lambda: {"in_app"})
    sent = services.do_send_message(li, group.pk, "Evacuate",
                                    ding=services.DingRequest(recipient_ids=[zhang.pk]))
    with run_commit_hooks():
        services.do_confirm_ding(zhang, sent.pk)

    confirmations = [m["data"] for g, m in layer.sent if g == _conversation(group.pk)
                     and m["data"]["type"] == "ding.confirmed"]
    assert confirmations == [{"type": "ding.confirmed", "conversation_id": group.pk,
                              "message_id": sent.pk, "person_id": zhang.pk}]


# ---------------------------------------------------------------- who may listen

def test_a_person_listens_to_their_own_inbox_with_their_conversations_as_feeds(
        group: Any, li: Any, zhang: Any, wang: Any, outsider: Any) -> None:
    other = services.do_create_group(li, title="Other", member_ids=[zhang.pk])
    services.do_leave(wang, group.pk)

    assert authorize(zhang, f"messaging.person.{zhang.pk}")
    assert not authorize(zhang, f"messaging.person.{li.pk}")
    assert not authorize(outsider, f"messaging.person.{outsider.pk}")
    assert sorted(feeds_of(zhang, f"messaging.person.{zhang.pk}")) == sorted(
        [live.conversation_topic(group.pk), live.conversation_topic(other.pk)])
    assert feeds_of(wang, f"messaging.person.{wang.pk}") == []


def test_only_active_members_listen_to_a_conversation(
        group: Any, zhang: Any, wang: Any, member: Any) -> None:
    services.do_leave(wang, group.pk)
    assert authorize(zhang, live.conversation_topic(group.pk))
    assert not authorize(wang, live.conversation_topic(group.pk))
    assert not authorize(member, live.conversation_topic(group.pk))


def test_a_recalled_message_no_longer_carries_its_files(
        group: Any, li: Any, layer: RecordingLayer, run_commit_hooks: Any) -> None:
    scan = Attachment.objects.create(conversation=group, uploaded_by=li,
                                     file="messaging/x.pdf", name="wrong-file.pdf",
                                     content_type="application/pdf", size=10)
    sent = services.do_send_message(li, group.pk, "", attachment_ids=[scan.pk])
    with run_commit_hooks():
        services.do_recall_message(li, sent.pk)

    changed = [m["data"]["message"] for g, m in layer.sent
               if m["data"].get("type") == "message.changed"]
    assert [(d["recalled_at"] is not None, d["attachments"]) for d in changed] == [(True, [])]
