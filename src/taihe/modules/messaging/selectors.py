"""Reads of messaging, always limited to the conversations the actor is an active member of.

A stranger's request for a conversation or message answers ``NotFound``, the same as for
one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, ValidationFailed
from taihe.kernel.realtime import presence
from taihe.kernel.search import match_sql
from taihe.modules.directory import api as directory
from taihe.modules.messaging import operations as ops
from taihe.modules.messaging.models import (
    Conversation,
    Ding,
    DingDelivery,
    DingRecipient,
    Member,
    Mention,
    Message,
)
from taihe.modules.messaging.presenting import excerpt

PAGE = 50
MAX_PAGE = 200


def _me(actor: Any) -> int:
    resolved = authz.actor_for(actor)
    if resolved.is_anonymous or not authz.can(resolved, ops.CHAT.code):
        raise NotFound(_("There is no such conversation, or you are not in it."))
    assert resolved.user_id is not None
    return resolved.user_id


def visible_messages(person_id: int) -> QuerySet[Message]:
    """Messages of the conversations the person is an active member of."""
    return Message.objects.filter(conversation__members__person_id=person_id,
                                  conversation__members__left_at__isnull=True)


def _unread_subquery(person_id: int) -> Subquery:
    counted = (Message.objects.filter(conversation_id=OuterRef("conversation_id"),
                                      id__gt=OuterRef("last_read_id"),
                                      thread_root__isnull=True, recalled_at__isnull=True)
               .exclude(kind=Message.Kind.SYSTEM).exclude(sender_id=person_id)
               .order_by().values("conversation_id").annotate(n=Count("id")).values("n"))
    return Subquery(counted, output_field=IntegerField())


def _mention_subquery(person_id: int) -> Subquery:
    named = Mention.objects.filter(message_id=OuterRef("pk"), person_id=person_id)
    mentioned = (Message.objects.filter(conversation_id=OuterRef("conversation_id"),
                                        id__gt=OuterRef("last_read_id"),
                                        thread_root__isnull=True, recalled_at__isnull=True)
                 .exclude(sender_id=person_id)
                 .filter(Q(mentions_all=True) | Exists(named))
                 .order_by().values("conversation_id").annotate(n=Count("id")).values("n"))
    return Subquery(mentioned, output_field=IntegerField())


@dataclass(frozen=True)
class ConversationRow:
    id: int
    kind: str
    title: str
    role: str
    unread: int
    mentions: int
    muted: bool
    pinned: bool
    draft: str
    last_message_id: int
    last_message_at: Any
    last_excerpt: str
    last_sender_name: str
    other_person_id: int | None
    archived: bool
    member_count: int


def conversations_for(actor: Any, *, query: str = "") -> list[ConversationRow]:
    """The actor's conversations, pinned first, then by latest message, each with its
    unread count (messages from others after the read cursor) and unread mentions."""
    me = _me(actor)
    members = list(
        Member.objects.filter(person_id=me, left_at__isnull=True)
        .select_related("conversation")
        .annotate(unread=Coalesce(_unread_subquery(me), Value(0)),
                  mentioned=Coalesce(_mention_subquery(me), Value(0)),
                  size=Subquery(Member.objects.filter(
                      conversation_id=OuterRef("conversation_id"), left_at__isnull=True)
                      .order_by().values("conversation_id").annotate(n=Count("id"))
                      .values("n"), output_field=IntegerField())))
    others: dict[int, int] = {}
    for m in members:
        if m.conversation.kind == Conversation.Kind.DIRECT and m.conversation.direct_key:
            low, high = (int(x) for x in m.conversation.direct_key.split(":"))
            others[m.conversation_id] = high if low == me else low
    last_ids = [m.conversation.last_message_id for m in members if m.conversation.last_message_id]
    last = {msg.pk: msg for msg in Message.objects.filter(pk__in=last_ids)}
    names = directory.display_names(sorted(
        set(others.values()) | {msg.sender_id for msg in last.values() if msg.sender_id}))
    rows = []
    for m in members:
        conversation = m.conversation
        message = last.get(conversation.last_message_id)
        other = others.get(conversation.pk)
        title = names.get(other, "") if other else conversation.title
        rows.append(ConversationRow(
            id=conversation.pk, kind=conversation.kind, title=title, role=m.role,
            unread=int(getattr(m, "unread", 0) or 0),
            mentions=int(getattr(m, "mentioned", 0) or 0), muted=m.muted, pinned=m.pinned,
            draft=m.draft, last_message_id=conversation.last_message_id,
            last_message_at=conversation.last_message_at,
            last_excerpt=_row_excerpt(message) if message else "",
            last_sender_name=names.get(message.sender_id or 0, "") if message else "",
            other_person_id=other, archived=conversation.archived_at is not None,
            member_count=int(getattr(m, "size", 0) or 0)))
    if query.strip():
        needle = query.strip().casefold()
        rows = [r for r in rows if needle in r.title.casefold()]
    rows.sort(key=lambda r: (not r.pinned, -(r.last_message_id or 0)))
    return rows


def _row_excerpt(message: Message) -> str:
    if message.kind == Message.Kind.SYSTEM:
        from taihe.modules.messaging.presenting import notice_sentence

        people = message.notice.get("people", []) if message.notice else []
        names = directory.display_names([*people, *([message.sender_id]
                                                    if message.sender_id else [])])
        return notice_sentence(message.notice or {}, names.get(message.sender_id or 0, ""),
                               names)
    if message.body or message.recalled_at:
        return excerpt(message)
    return _("[file]")


def unread_total(person_id: int) -> int:
    """Unread messages across the person's conversations, muted ones left out."""
    return int(Member.objects.filter(person_id=person_id, left_at__isnull=True, muted=False)
               .annotate(unread=Coalesce(_unread_subquery(person_id), Value(0)))
               .aggregate(total=Coalesce(Sum("unread"), Value(0)))["total"])


def member_of(actor: Any, conversation_id: int) -> Member:
    me = _me(actor)
    found = (Member.objects.select_related("conversation")
             .filter(conversation_id=conversation_id, person_id=me, left_at__isnull=True)
             .first())
    if found is None:
        raise NotFound(_("There is no such conversation, or you are not in it."))
    return found


@dataclass(frozen=True)
class MemberRow:
    person_id: int
    name: str
    username: str
    role: str
    last_read_id: int
    joined_after_id: int
    online: bool


def members_of(actor: Any, conversation_id: int) -> list[MemberRow]:
    """The active members with their read cursors (the client derives "read by 7 of 9" from
    these and keeps them current from the ``read`` pushes) and whether they are online."""
    member_of(actor, conversation_id)
    rows = list(Member.objects.filter(conversation_id=conversation_id, left_at__isnull=True)
                .order_by("joined_at", "pk"))
    ids = [m.person_id for m in rows]
    names = directory.display_names(ids)
    usernames = {info.id: info.username for info in directory.people(ids)}
    online = presence.online(ids)
    order = {"owner": 0, "admin": 1, "member": 2}
    found = [MemberRow(m.person_id, names.get(m.person_id, ""),
                       usernames.get(m.person_id, ""), m.role, m.last_read_id,
                       m.joined_after_id, m.person_id in online) for m in rows]
    found.sort(key=lambda r: (order.get(r.role, 3), r.name))
    return found


def messages_for(actor: Any, conversation_id: int, *, before: int | None = None,
                 after: int | None = None, thread_root_id: int | None = None,
                 limit: int = PAGE) -> list[Message]:
    """A page of messages in id order: the latest ``limit`` (or those ``before`` an id), or
    those ``after`` an id (what a reconnecting client missed). With ``thread_root_id`` the
    replies of that thread; otherwise the main stream, which leaves thread replies out."""
    member_of(actor, conversation_id)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(fields={"limit": _("Ask for 1 to 200 messages.")})
    rows = Message.objects.filter(conversation_id=conversation_id)
    if thread_root_id is not None:
        rows = rows.filter(thread_root_id=thread_root_id)
    else:
        rows = rows.filter(thread_root__isnull=True)
    if after is not None:
        return list(rows.filter(id__gt=after).order_by("id")[:limit])
    if before is not None:
        rows = rows.filter(id__lt=before)
    return list(reversed(rows.order_by("-id")[:limit]))


def message_for(actor: Any, message_id: int) -> Message:
    me = _me(actor)
    found = visible_messages(me).filter(pk=message_id).select_related("conversation").first()
    if found is None:
        raise NotFound(_("There is no such message, or you cannot see it."))
    return found


@dataclass(frozen=True)
class Receipt:
    person_id: int
    name: str
    read: bool
    read_at: Any


def receipts_for(actor: Any, message_id: int) -> list[Receipt]:
    """Who has read a message and who has not: the members who belonged when it was sent
    (including those who left since), the sender left out."""
    message = message_for(actor, message_id)
    belonged = Member.objects.filter(conversation_id=message.conversation_id,
                                     joined_after_id__lt=message.pk).filter(
        Q(left_after_id__isnull=True) | Q(left_after_id__gte=message.pk))
    if message.sender_id:
        belonged = belonged.exclude(person_id=message.sender_id)
    rows = list(belonged)
    names = directory.display_names([m.person_id for m in rows])
    found = [Receipt(m.person_id, names.get(m.person_id, ""), m.last_read_id >= message.pk,
                     m.last_read_at if m.last_read_id >= message.pk else None) for m in rows]
    found.sort(key=lambda r: (r.read, r.name))
    return found


@dataclass(frozen=True)
class DingAttempt:
    channel: str
    at: Any
    ok: bool
    detail: str


@dataclass(frozen=True)
class DingState:
    person_id: int
    name: str
    read: bool
    confirmed_at: Any
    reminders_sent: int
    next_reminder_at: Any
    attempts: list[DingAttempt]


def ding_status_for(actor: Any, message_id: int) -> tuple[Ding, list[DingState]]:
    """A DING's confirmation state per recipient, with every reminder sent and the
    gateway's answer. Members see who confirmed; only the sender and the conversation's
    managers see the delivery attempts."""
    message = message_for(actor, message_id)
    ding = Ding.objects.filter(message=message).first()
    if ding is None:
        raise NotFound(_("This message is not a DING."))
    me = _me(actor)
    viewer = Member.objects.get(conversation_id=message.conversation_id, person_id=me,
                                left_at__isnull=True)
    detailed = me == ding.sender_id or viewer.role in ("owner", "admin")
    recipients = list(DingRecipient.objects.filter(ding=ding).order_by("pk"))
    cursors = dict(Member.objects.filter(conversation_id=message.conversation_id,
                                         person_id__in=[r.person_id for r in recipients])
                   .values_list("person_id", "last_read_id"))
    attempts: dict[int, list[DingAttempt]] = {}
    if detailed:
        for d in DingDelivery.objects.filter(recipient__ding=ding).order_by("at", "pk"):
            attempts.setdefault(d.recipient_id, []).append(
                DingAttempt(d.channel, d.at, d.ok, d.detail))
    names = directory.display_names([r.person_id for r in recipients])
    states = [DingState(r.person_id, names.get(r.person_id, ""),
                        cursors.get(r.person_id, 0) >= message.pk, r.confirmed_at,
                        r.reminders_sent, r.next_reminder_at if detailed else None,
                        attempts.get(r.pk, [])) for r in recipients]
    states.sort(key=lambda s: (s.confirmed_at is not None, s.name))
    return ding, states


def search_for(actor: Any, text: str, *, conversation_id: int | None = None,
               limit: int = 50) -> list[Message]:
    """Messages matching ``text`` (Chinese and English, kernel.search) in the conversations
    the actor is in now, newest first."""
    me = _me(actor)
    if conversation_id is not None:
        member_of(actor, conversation_id)
    found = match_sql("messages", text)
    if found is None:
        return []
    # match_sql builds the SQL from quoted terms; no user text becomes SQL
    rows = visible_messages(me).filter(id__in=RawSQL(*found),  # noqa: S611
                                       recalled_at__isnull=True)
    if conversation_id is not None:
        rows = rows.filter(conversation_id=conversation_id)
    return list(rows.select_related("conversation").order_by("-id")[:max(1, min(limit, 200))])


def open_groups_for(actor: Any, query: str = "") -> list[Conversation]:
    """Open groups the actor may join and is not in."""
    me = _me(actor)
    rows = (Conversation.objects.filter(join_rule=Conversation.JoinRule.OPEN,
                                        kind__in=("group", "channel"), archived_at__isnull=True)
            .exclude(pk__in=Member.objects.filter(person_id=me, left_at__isnull=True)
                     .values("conversation_id")))
    if query.strip():
        rows = rows.filter(title__icontains=query.strip())
    return list(rows.order_by("title")[:100])
