"""API shapes of messaging. Outputs are built in ``http.py`` from the selectors and
``presenting.py``, so nothing of a conversation the caller is not in ever reaches them.

Times are ISO 8601 in UTC (``Z``). Names are prefixed where a plain name (``ErrorOut``,
``MessageOut``) is likely taken by another module: OpenAPI components share one namespace.
Numbers a column cannot hold are refused here; the rules of the domain (a title's length,
how often a DING may remind) are checked by the services, whose messages are translated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

MAX_MEMBERS = 3000
"""``services.MAX_GROUP_MEMBERS``: no request names more people than a group holds."""
INT32 = 2_147_483_647
"""The largest value of the unsigned integer columns (days, minutes, counts)."""

ConversationKind = Literal["group", "channel"]
JoinRule = Literal["invite", "open"]
Role = Literal["owner", "admin", "member"]
DingChannel = Literal["in_app", "email", "sms", "phone"]


class MessagingErrorOut(Schema):
    """The error envelope every failure answers with."""

    detail: str
    """What went wrong, for a person to read."""
    code: str
    """``invalid``, ``not_authenticated``, ``permission_denied``, ``not_found``,
    ``conflict``, ``rate_limited``."""
    fields: dict[str, str] | None = None
    """Bad input: a message for each field (``title``, ``ding.channels``, ``file``)."""
    request_id: str | None = None


# --- conversations ------------------------------------------------------------------------


class ConversationRowOut(Schema):
    id: int
    kind: str
    """``direct``, ``group``, ``department`` or ``channel``."""
    title: str
    """The group's name; for a direct conversation, the other person's name."""
    role: str
    unread: int
    """Messages from others after the caller's read cursor (thread replies left out)."""
    mentions: int
    """Unread messages that name the caller or @all."""
    muted: bool
    pinned: bool
    draft: str
    last_message_id: int
    last_message_at: datetime | None
    last_excerpt: str
    last_sender_name: str
    other_person_id: int | None
    """Direct conversations: the other person."""
    archived: bool
    member_count: int


class ConversationIn(Schema):
    kind: ConversationKind = "group"
    """``channel``: an announcement channel, where only the owner and admins post (needs
    ``messaging.channel.manage``)."""
    title: str = Field(max_length=120)
    member_ids: list[int] = Field(default_factory=list, max_length=MAX_MEMBERS)
    """The people to add besides the caller, who becomes the owner."""
    description: str = Field(default="", max_length=2000)
    join_rule: JoinRule = "invite"


class DirectIn(Schema):
    person_id: int


class ConversationPatch(Schema):
    """Only the fields sent change."""

    title: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    join_rule: JoinRule | None = None
    members_may_mention_all: bool | None = None


class MemberOut(Schema):
    person_id: int
    name: str
    username: str
    """What ``@`` mentions are written with."""
    role: str
    last_read_id: int
    """The member's read cursor: they have read every message up to this id."""
    joined_after_id: int
    """The conversation's last message when they joined: later messages count them in
    their receipts."""
    online: bool


class ConversationOut(Schema):
    id: int
    kind: str
    title: str
    description: str
    join_rule: str
    members_may_mention_all: bool
    role: str
    """The caller's role: ``owner``, ``admin`` or ``member``."""
    muted: bool
    pinned: bool
    draft: str
    retention_days: int | None
    """Empty: the museum's default."""
    legal_hold: bool
    archived: bool
    may_post: bool
    may_mention_all: bool
    may_manage: bool
    """The caller may rename the group, manage members and recall others' messages."""
    may_export: bool
    members: list[MemberOut]


class MembersIn(Schema):
    person_ids: list[int] = Field(min_length=1, max_length=MAX_MEMBERS)


class AddedOut(Schema):
    added: list[int]
    """Who was not an active member before."""


class RoleIn(Schema):
    role: Role
    """``owner`` hands the group over: the caller becomes an admin."""


class SettingsIn(Schema):
    """The caller's own settings of the conversation; only the fields sent change."""

    muted: bool | None = None
    pinned: bool | None = None
    draft: str | None = Field(default=None, max_length=10000)


class SettingsOut(Schema):
    muted: bool
    pinned: bool
    draft: str


class OpenGroupOut(Schema):
    id: int
    title: str
    description: str
    member_count: int


# --- messages -----------------------------------------------------------------------------


class LinkOut(Schema):
    kind: str
    """A registered card kind, e.g. ``catalog.object``."""
    ref: str


class ReplyToOut(Schema):
    id: int
    sender_name: str
    excerpt: str


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    """Bytes."""
    content_type: str
    url: str
    """Download (members of the conversation only)."""
    preview_url: str | None
    """Images: a preview at most 480 pixels on its longer side."""
    width: int | None
    height: int | None


class ReactionOut(Schema):
    emoji: str
    person_ids: list[int]


class DingBriefOut(Schema):
    channels: list[str]
    interval_minutes: int
    closed: bool


class MessageBaseOut(Schema):
    id: int
    conversation_id: int
    kind: str
    """``text``, ``system`` (a notice such as "Li Wei added Zhang Min") or ``card``."""
    sender_id: int | None
    sender_name: str
    bot: bool
    body: str
    """The Markdown source; empty once recalled."""
    html: str
    """The rendered, safe HTML."""
    notice: dict[str, str] | None
    """System notices: the sentence in each shipped language (``en``, ``zh-hans``)."""
    mentions: list[int]
    mentions_all: bool
    links: list[LinkOut]
    reply_to: ReplyToOut | None
    thread_root_id: int | None
    thread_reply_count: int
    created_at: datetime
    edited_at: datetime | None
    recalled_at: datetime | None
    recalled_by_name: str
    attachments: list[AttachmentOut]
    reactions: list[ReactionOut]
    ding: DingBriefOut | None


class MessageOut(MessageBaseOut):
    cards: list[dict[str, Any]]
    """The links as cards for this reader: ``{"kind", "ref", "hidden", "title", "url",
    ...}``; ``hidden`` when the reader may not see the record."""


class MessagePageOut(Schema):
    messages: list[MessageOut]
    """In id order, oldest first."""
    has_more: bool
    """More messages lie beyond this page in the direction asked (older, or with
    ``after``, newer)."""


class SearchHitOut(MessageBaseOut):
    conversation_title: str


def _in_app_only() -> list[DingChannel]:
    return ["in_app"]


class DingIn(Schema):
    recipient_ids: list[int] | None = Field(default=None, max_length=MAX_MEMBERS)
    """Who must confirm; empty: every other member."""
    channels: list[DingChannel] = Field(default_factory=_in_app_only, max_length=4)
    """Reminder channels in order; ``in_app`` always comes first."""
    interval_minutes: int = Field(default=15, ge=0, le=INT32)
    """Between 5 and 1440."""
    max_reminders: int = Field(default=6, ge=0, le=INT32)
    """Between 1 and 20."""


class MessageIn(Schema):
    body: str = ""
    """Markdown, at most 20,000 characters (checked by the service, which names the
    field ``body``)."""
    reply_to_id: int | None = None
    in_thread: bool = False
    """Reply in the thread of ``reply_to_id`` instead of the main stream."""
    attachment_ids: list[int] = Field(default_factory=list, max_length=10)
    """Files uploaded to this conversation by the caller and not sent yet."""
    client_key: str = Field(default="", max_length=64)
    """Chosen by the client: sending again with the same key returns the message already
    sent instead of a second one."""
    ding: DingIn | None = None
    """Make the message a DING: each recipient must confirm it."""


class ReadIn(Schema):
    up_to_id: int | None = None
    """Default: the latest message."""


class ReadOut(Schema):
    last_read_id: int


class EditIn(Schema):
    body: str
    """At most 20,000 characters."""


class ReactionIn(Schema):
    emoji: str = Field(max_length=16)
    """One of 👍 ✅ ❤️ 😄 🎉 👀 🙏 ❓."""
    on: bool = True
    """``false`` takes the caller's reaction back."""


class ReactionsOut(Schema):
    conversation_id: int
    message_id: int
    reactions: list[ReactionOut]


class ReadReceiptOut(Schema):
    person_id: int
    name: str
    read_at: datetime | None


class UnreadReceiptOut(Schema):
    person_id: int
    name: str


class ReceiptsOut(Schema):
    """The members who belonged when the message was sent, the sender left out."""

    read: list[ReadReceiptOut]
    unread: list[UnreadReceiptOut]
    line: str
    """"Read by 7 of 9" in the caller's language."""


class DingAttemptOut(Schema):
    channel: str
    at: datetime
    ok: bool
    detail: str


class DingRecipientOut(Schema):
    person_id: int
    name: str
    read: bool
    confirmed_at: datetime | None
    reminders_sent: int
    next_reminder_at: datetime | None
    """Only the sender and the conversation's owner and admins see it."""
    attempts: list[DingAttemptOut]
    """Each reminder sent and the gateway's answer (sender, owner and admins only)."""


class DingStatusOut(Schema):
    channels: list[str]
    interval_minutes: int
    max_reminders: int
    closed: bool
    confirmed: int
    total: int
    recipients: list[DingRecipientOut]
    """Unconfirmed first."""


class RemindedOut(Schema):
    reminded: int
    """How many unconfirmed recipients were reminded now."""


class ChannelOut(Schema):
    code: str
    label: str


class UnreadOut(Schema):
    unread: int


class PresenceOut(Schema):
    online: list[int]


# --- records ------------------------------------------------------------------------------


class PolicyIn(Schema):
    default_retention_days: int | None = Field(default=None, ge=0, le=INT32)
    """Empty: keep messages until deleted by hand."""
    recall_minutes: int = Field(ge=0, le=INT32)
    edit_minutes: int = Field(ge=0, le=INT32)


class PolicyOut(Schema):
    default_retention_days: int | None
    recall_minutes: int
    edit_minutes: int


class RetentionIn(Schema):
    retention_days: int | None = Field(default=None, ge=0, le=INT32)
    """Empty: the museum's default."""
    legal_hold: bool = False


class RetentionOut(Schema):
    retention_days: int | None
    legal_hold: bool
