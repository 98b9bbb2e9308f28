"""Messaging tables: conversations and their members, messages with their edits, reactions
and files, DING (urgent messages that each recipient must confirm) with every reminder sent,
bots, and the museum-wide policy.

Read state is a cursor per member (``Member.last_read_id``), not a row per message and
reader: "read" means the member's cursor has passed the message. This is the per-user flag
design the research recommends (Zulip's UserMessage, research/workplace.md §1d) reduced to
one number, because a conversation is always read in order. Receipts of a message are then
the members who belonged when it was sent (``joined_after_id`` / ``left_after_id``) compared
against their cursors, which also keeps receipts provable after someone leaves.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from taihe.kernel.db.models import TimestampedModel


class Conversation(TimestampedModel):
    class Kind(models.TextChoices):
        DIRECT = "direct", _("Direct message")
        GROUP = "group", _("Group")
        DEPARTMENT = "department", _("Department group")
        CHANNEL = "channel", _("Announcement channel")

    class JoinRule(models.TextChoices):
        INVITE = "invite", _("By invitation of the owner or an admin")
        OPEN = "open", _("Any staff member may join")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    join_rule = models.CharField(_("who may join"), max_length=8, choices=JoinRule.choices,
                                 default=JoinRule.INVITE)
    # Only the owner and admins may @all (and post at all in an announcement channel)
    # unless the group lets every member do so.
    members_may_mention_all = models.BooleanField(_("members may @all"), default=False)
    # "min:max" person ids: one direct conversation per pair, enforced by the database
    direct_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    department_id = models.BigIntegerField(_("department"), null=True, blank=True, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    retention_days = models.PositiveIntegerField(
        _("keep messages for (days)"), null=True, blank=True,
        help_text=_("Empty: the museum's default."))
    legal_hold = models.BooleanField(
        _("legal hold"), default=False,
        help_text=_("Nothing in this conversation is deleted while the hold stands."))
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    last_message_id = models.BigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        indexes = [models.Index(fields=["-last_message_at"])]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"


class Member(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="members")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    # The conversation's last message id when the person joined / left: receipts of a
    # message count the members who belonged when it was sent.
    joined_after_id = models.BigIntegerField(default=0)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    left_after_id = models.BigIntegerField(null=True, blank=True)
    last_read_id = models.BigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    muted = models.BooleanField(_("muted"), default=False)
    pinned = models.BooleanField(_("pinned"), default=False)
    draft = models.TextField(_("draft"), blank=True, max_length=10000)

    class Meta:
        verbose_name = _("member")
        constraints = [models.UniqueConstraint(fields=["conversation", "person"],
                                               name="messaging_member_once")]
        indexes = [models.Index(fields=["person", "left_at"])]

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class Bot(TimestampedModel):
    """An integration that posts into one conversation (incoming: a token URL other systems
    POST to) and/or hears it (outgoing: mentions of the bot are POSTed to a URL)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="bots")
    name = models.CharField(_("name"), max_length=60)
    # SHA-256 of the incoming token; the token itself is shown once
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_hint = models.CharField(max_length=8, blank=True)
    outgoing_url = models.URLField(_("outgoing webhook URL"), blank=True, max_length=500)
    outgoing_secret = models.CharField(max_length=64, blank=True)
    # Built-in feeds of the museum's own events (e.g. "conservation.alerts")
    feeds = models.JSONField(_("feeds"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bot")
        constraints = [models.UniqueConstraint(fields=["conversation", "name"],
                                               name="messaging_bot_name_once")]

    def __str__(self) -> str:
        return self.name


class Attachment(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="messaging/%Y/%m/")
    preview = models.FileField(upload_to="messaging/previews/%Y/%m/", blank=True)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.BigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    message = models.ForeignKey("Message", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="attachments")

    @property
    def is_image(self) -> bool:
        return bool(self.preview)


class Message(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Message")
        SYSTEM = "system", _("System notice")
        CARD = "card", _("Card")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    bot = models.ForeignKey(Bot, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="messages")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(max_length=20000, blank=True)
    html = models.TextField(blank=True)
    # System notices are stored as a code and parameters and worded in each reader's language
    notice = models.JSONField(null=True, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    mentions_all = models.BooleanField(default=False)
    # [{"kind": "catalog.object", "ref": "12"}]: rendered as cards for each reader
    links = models.JSONField(default=list, blank=True)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    thread_root = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="thread_replies")
    thread_reply_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True)
    recalled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    client_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("message")
        indexes = [models.Index(fields=["conversation", "id"]),
                   models.Index(fields=["thread_root", "id"])]
        constraints = [models.UniqueConstraint(
            fields=["conversation", "sender", "client_key"], condition=~Q(client_key=""),
            name="messaging_message_client_key_once")]


class Mention(models.Model):
    """A person named in a message (``@username``), for unread-mention counts."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mention_rows")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    # set in the same transaction as the notification: a retried job never notifies twice
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "person"],
                                               name="messaging_mention_once")]
        indexes = [models.Index(fields=["person", "message"])]


class MessageEdit(models.Model):
    """The text a message had before each edit, or before its recall: insert-only."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                               on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=8)  # "edit" | "recall"
    previous_body = models.TextField(blank=True)


class Reaction(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    emoji = models.CharField(max_length=16)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "person", "emoji"],
                                               name="messaging_reaction_once")]


class Ding(models.Model):
    """An urgent message every recipient must confirm. Unconfirmed recipients are reminded
    every ``interval_minutes`` through the next channel of ``channels`` (in-app first,
    then email, SMS, phone call), at most ``max_reminders`` times."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the app")
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message (SMS)")
        PHONE = "phone", _("Phone call")

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="ding")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                               on_delete=models.SET_NULL, related_name="+")
    channels = models.JSONField(default=list)
    interval_minutes = models.PositiveIntegerField(default=15)
    max_reminders = models.PositiveIntegerField(default=6)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)


class DingRecipient(models.Model):
    ding = models.ForeignKey(Ding, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ding", "person"],
                                               name="messaging_ding_recipient_once")]


class DingDelivery(models.Model):
    """Every attempt to reach a recipient, with the gateway's answer: insert-only proof."""

    recipient = models.ForeignKey(DingRecipient, on_delete=models.CASCADE,
                                  related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Ding.Channel.choices)
    at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    detail = models.CharField(max_length=300, blank=True)


class Policy(models.Model):
    """The museum's messaging rules (one row)."""

    default_retention_days = models.PositiveIntegerField(
        _("keep messages for (days)"), null=True, blank=True,
        help_text=_("Empty: keep messages until they are deleted by hand."))
    recall_minutes = models.PositiveIntegerField(_("recall window (minutes)"), default=24 * 60)
    edit_minutes = models.PositiveIntegerField(_("edit window (minutes)"), default=24 * 60)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("messaging policy")
