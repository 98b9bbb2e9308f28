"""Realtime for messaging.

Each page subscribes to ``messaging.person.<own id>``; that subscription brings the feeds
``messaging.conversation.<id>`` of every conversation the person is in, so a message is one
group send to its conversation whatever the number of readers (``kernel.realtime`` feeds).
Joining attaches the feed to the person's live sockets and leaving detaches it, after
commit; a socket drops anything still queued for a feed it no longer has, so leaving stops
pushes at once. Typing is an ephemeral signal on the conversation feed, never stored.

Pushes carry what every member may see (no per-reader data); a client that reconnects
fetches what it missed with ``GET .../messages?after=<last id>``.
"""

from __future__ import annotations

from typing import Any

from taihe.kernel.realtime import attach, detach, publish, register_topic

PERSON = "messaging.person.{person_id}"
CONVERSATION = "messaging.conversation.{conversation_id}"


def person_topic(person_id: int) -> str:
    return f"messaging.person.{person_id}"


def conversation_topic(conversation_id: int) -> str:
    return f"messaging.conversation.{conversation_id}"


def _may_listen_as(user: Any, person_id: str) -> bool:
    from taihe.kernel import authz
    from taihe.modules.messaging import operations as ops

    return (bool(getattr(user, "is_authenticated", False)) and str(user.pk) == person_id
            and authz.can(user, ops.CHAT.code))


def _feeds(user: Any, person_id: str) -> list[str]:
    from taihe.modules.messaging.models import Member

    return [conversation_topic(pk) for pk in Member.objects.filter(
        person_id=int(person_id), left_at__isnull=True).values_list("conversation_id",
                                                                     flat=True)]


def _may_listen_to_conversation(user: Any, conversation_id: str) -> bool:
    from taihe.modules.messaging.models import Member

    return bool(getattr(user, "is_authenticated", False)) and Member.objects.filter(
        conversation_id=int(conversation_id), person_id=user.pk, left_at__isnull=True).exists()


def register_topics() -> None:
    register_topic(PERSON, _may_listen_as, feeds=_feeds)
    register_topic(CONVERSATION, _may_listen_to_conversation, signals=True)


def joined(person_id: int, conversation_id: int) -> None:
    attach(person_topic(person_id), conversation_topic(conversation_id))
    publish(person_topic(person_id), {"type": "conversation.joined",
                                      "conversation_id": conversation_id})


def left(person_id: int, conversation_id: int) -> None:
    detach(person_topic(person_id), conversation_topic(conversation_id))
    publish(person_topic(person_id), {"type": "conversation.left",
                                      "conversation_id": conversation_id})


def message_sent(message: Any) -> None:
    from taihe.modules.messaging.presenting import message_data

    data = message_data(message)
    # The sender's API reply shows the same data (presenting.sent_message_data): built once.
    message.presented = data
    publish(conversation_topic(message.conversation_id), {"type": "message.new",
                                                          "message": data})


def message_changed(message: Any) -> None:
    from taihe.modules.messaging.presenting import message_data

    publish(conversation_topic(message.conversation_id),
            {"type": "message.changed", "message": message_data(message)})


def reactions_changed(message: Any, reactions: list[dict[str, Any]]) -> None:
    publish(conversation_topic(message.conversation_id),
            {"type": "message.reactions", "conversation_id": message.conversation_id,
             "message_id": message.pk, "reactions": reactions})


def read(conversation_id: int, person_id: int, up_to_id: int) -> None:
    publish(conversation_topic(conversation_id),
            {"type": "read", "conversation_id": conversation_id, "person_id": person_id,
             "up_to_id": up_to_id})


def ding_confirmed(message: Any, person_id: int) -> None:
    publish(conversation_topic(message.conversation_id),
            {"type": "ding.confirmed", "conversation_id": message.conversation_id,
             "message_id": message.pk, "person_id": person_id})


def conversation_changed(conversation_id: int) -> None:
    publish(conversation_topic(conversation_id),
            {"type": "conversation.changed", "conversation_id": conversation_id})
