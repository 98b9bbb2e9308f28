"""Events the messaging module publishes (after commit, through the outbox). Ordinary
messages publish no event: the message row is its own record, and an outbox row plus an
audit row for every chat line would double the cost of sending. Edits, recalls, DING,
membership, exports and policy changes are audited."""

from __future__ import annotations

from taihe.kernel.events import Event


class ConversationCreated(Event):
    name = "messaging.conversation.created.v1"
    conversation_id: int
    kind: str


class ConversationUpdated(Event):
    name = "messaging.conversation.updated.v1"
    conversation_id: int


class MembersChanged(Event):
    """People joined (``added``) or left (``removed``) a conversation."""

    name = "messaging.members.changed.v1"
    conversation_id: int
    added: list[int] = []
    removed: list[int] = []


class MessageEdited(Event):
    name = "messaging.message.edited.v1"
    message_id: int
    conversation_id: int


class MessageRecalled(Event):
    name = "messaging.message.recalled.v1"
    message_id: int
    conversation_id: int


class DingSent(Event):
    name = "messaging.ding.sent.v1"
    message_id: int
    conversation_id: int
    recipient_ids: list[int]


class DingConfirmed(Event):
    name = "messaging.ding.confirmed.v1"
    message_id: int
    person_id: int


class ConversationExported(Event):
    name = "messaging.conversation.exported.v1"
    conversation_id: int
    format: str
    messages: int


class RetentionApplied(Event):
    name = "messaging.retention.applied.v1"
    conversation_id: int
    deleted: int


class BotSaved(Event):
    name = "messaging.bot.saved.v1"
    bot_id: int
    conversation_id: int


class PolicyChanged(Event):
    name = "messaging.policy.changed.v1"
