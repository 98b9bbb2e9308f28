"""The write path of messaging: conversations, members, messages, read cursors, reactions and
DING. Every ``do_*`` checks who is acting, writes in one transaction and pushes to the
conversation's realtime topic after commit (``live.py``).

Errors: ``PermissionDenied`` (403) when the actor may not chat or act in that role,
``NotFound`` (404) for a conversation or message the actor cannot see (never 403, so a
stranger learns nothing of it), ``ValidationFailed`` (422) with the field at fault,
``Conflict`` (409) when the state forbids it (an archived conversation, a closed window).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue
from taihe.kernel.search import index_documents, remove_documents
from taihe.modules.directory import api as directory
from taihe.modules.messaging import events, live
from taihe.modules.messaging import operations as ops
from taihe.modules.messaging.models import (
    Attachment,
    Conversation,
    Ding,
    DingRecipient,
    Member,
    Mention,
    Message,
    MessageEdit,
    Policy,
    Reaction,
)
from taihe.modules.messaging.rendering import render

SEARCH_INDEX = "messages"
MAX_GROUP_MEMBERS = 3000
MAX_BODY = 20000
MAX_ATTACHMENTS = 10
ALLOWED_REACTIONS = ("👍", "✅", "❤️", "😄", "🎉", "👀", "🙏", "❓")
KIND = Conversation.Kind
ROLE = Member.Role


# ---------------------------------------------------------------- who is acting

def chatting_actor(actor: Any) -> authz.Actor:
    """The acting person, who must hold ``messaging.chat.use``."""
    resolved = authz.actor_for(actor)
    if resolved.is_anonymous:
        raise PermissionDenied()
    if not authz.can(resolved, ops.CHAT.code):
        raise PermissionDenied(_("You do not have access to chat."))
    return resolved


def person_id_of(resolved: authz.Actor) -> int:
    assert resolved.user_id is not None
    return resolved.user_id


def membership(conversation_id: int, person_id: int, *, lock: bool = False) -> Member:
    """The person's active membership, or ``NotFound``: whoever is not in a conversation
    cannot tell it from one that does not exist."""
    rows = Member.objects.select_related("conversation")
    if lock:
        rows = rows.select_for_update()
    found = rows.filter(conversation_id=conversation_id, person_id=person_id,
                        left_at__isnull=True).first()
    if found is None:
        raise NotFound(_("There is no such conversation, or you are not in it."))
    return found


def is_manager(member: Member) -> bool:
    return member.role in (ROLE.OWNER, ROLE.ADMIN)


def _require_manager(member: Member, resolved: authz.Actor) -> None:
    if not (is_manager(member) or authz.can(resolved, ops.CHANNELS.code)):
        raise PermissionDenied(_("Only the owner and admins of this conversation may do this."))


def _require_open(conversation: Conversation) -> None:
    if conversation.archived_at is not None:
        raise Conflict(_("This conversation is archived; it can be read but not changed."))


def policy() -> Policy:
    found = Policy.objects.order_by("pk").first()
    return found if found is not None else Policy.objects.create()


# ---------------------------------------------------------------- conversations

def direct_key(first: int, second: int) -> str:
    low, high = sorted((int(first), int(second)))
    return f"{low}:{high}"


def _active_people(person_ids: Iterable[int], field: str) -> list[int]:
    wanted = sorted({int(pk) for pk in person_ids})
    active = directory.active_people(wanted)
    missing = [pk for pk in wanted if pk not in active]
    if missing:
        raise ValidationFailed(fields={field: _("No active person has the id %(ids)s.")
                                       % {"ids": ", ".join(map(str, missing))}})
    return wanted


def _add_members(conversation: Conversation, person_ids: Iterable[int], *,
                 role: str = ROLE.MEMBER) -> list[int]:
    """Add or re-admit people; returns those who were not active members before."""
    now = timezone.now()
    added = []
    existing = {m.person_id: m for m in Member.objects.filter(conversation=conversation,
                                                             person_id__in=list(person_ids))}
    new_rows = []
    for person_id in person_ids:
        member = existing.get(person_id)
        if member is None:
            new_rows.append(Member(conversation=conversation, person_id=person_id, role=role,
                                   joined_after_id=conversation.last_message_id,
                                   last_read_id=conversation.last_message_id))
            added.append(person_id)
        elif member.left_at is not None:
            Member.objects.filter(pk=member.pk).update(
                left_at=None, left_after_id=None, role=role, joined_at=now,
                joined_after_id=conversation.last_message_id,
                last_read_id=conversation.last_message_id)
            added.append(person_id)
    Member.objects.bulk_create(new_rows, batch_size=500)
    if Member.objects.filter(conversation=conversation, left_at__isnull=True).count() \
            > MAX_GROUP_MEMBERS:
        raise ValidationFailed(fields={"member_ids": _(
            "A conversation holds at most %(limit)d people.") % {"limit": MAX_GROUP_MEMBERS}})
    for person_id in added:
        live.joined(person_id, conversation.pk)
    return added


def _remove_members(conversation: Conversation, person_ids: Iterable[int]) -> list[int]:
    ids = list(Member.objects.filter(conversation=conversation, person_id__in=list(person_ids),
                                     left_at__isnull=True).values_list("person_id", flat=True))
    Member.objects.filter(conversation=conversation, person_id__in=ids).update(
        left_at=timezone.now(), left_after_id=conversation.last_message_id, pinned=False,
        draft="")
    for person_id in ids:
        live.left(person_id, conversation.pk)
    return ids


def do_open_direct(actor: Any, other_id: int) -> Conversation:
    """The direct conversation between the actor and ``other_id``, created on first use.
    Emits ``messaging.conversation.created.v1`` when created."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    if int(other_id) == me:
        raise ValidationFailed(fields={"person_id": _("Choose someone other than yourself.")})
    _active_people([other_id], "person_id")
    key = direct_key(me, other_id)
    found = Conversation.objects.filter(direct_key=key).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(kind=KIND.DIRECT, direct_key=key,
                                                       created_by_id=me)
            _add_members(conversation, sorted({me, int(other_id)}))
            publish(events.ConversationCreated(
                conversation_id=conversation.pk, kind=conversation.kind, actor_id=me,
                subject_type="messaging.conversation", subject_id=str(conversation.pk)))
    except IntegrityError:  # the other person opened it at the same moment
        return Conversation.objects.get(direct_key=key)
    return conversation


def _clean_title(title: str) -> str:
    text = (title or "").strip()
    if not text:
        raise ValidationFailed(fields={"title": _("Give the group a name.")})
    if len(text) > 120:
        raise ValidationFailed(fields={"title": _("A name has at most 120 characters.")})
    return text


def do_create_group(actor: Any, *, title: str, member_ids: Iterable[int],
                    kind: str = KIND.GROUP, description: str = "",
                    join_rule: str = Conversation.JoinRule.INVITE) -> Conversation:
    """A group (or, for holders of ``messaging.channel.manage``, an announcement channel)
    owned by the actor. Emits ``messaging.conversation.created.v1`` and
    ``messaging.members.changed.v1``."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    if kind not in (KIND.GROUP, KIND.CHANNEL):
        raise ValidationFailed(fields={"kind": _("Choose a group or an announcement channel.")})
    if kind == KIND.CHANNEL and not authz.can(resolved, ops.CHANNELS.code):
        raise PermissionDenied(_("Only channel managers may create announcement channels."))
    if join_rule not in Conversation.JoinRule.values:
        raise ValidationFailed(fields={"join_rule": _("Choose who may join.")})
    clean_title = _clean_title(title)
    people = _active_people([pk for pk in member_ids if int(pk) != me], "member_ids")
    with transaction.atomic():
        conversation = Conversation.objects.create(
            kind=kind, title=clean_title, description=(description or "").strip()[:2000],
            join_rule=join_rule, created_by_id=me)
        _add_members(conversation, [me], role=ROLE.OWNER)
        _add_members(conversation, people)
        publish(events.ConversationCreated(
            conversation_id=conversation.pk, kind=kind, actor_id=me,
            subject_type="messaging.conversation", subject_id=str(conversation.pk),
            after={"title": clean_title, "kind": kind}))
        publish(events.MembersChanged(
            conversation_id=conversation.pk, added=[me, *people], actor_id=me,
            subject_type="messaging.conversation", subject_id=str(conversation.pk)))
        _notice(conversation, me, "created", {"title": clean_title})
    return conversation


def do_update_conversation(actor: Any, conversation_id: int, **changes: Any) -> Conversation:
    """Change title, description, join rule or whether members may @all (owner and admins).
    Emits ``messaging.conversation.updated.v1``."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    allowed = {"title", "description", "join_rule", "members_may_mention_all"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(fields={name: _("This cannot be changed here.")
                                       for name in sorted(unknown)})
    with transaction.atomic():
        member = membership(conversation_id, me, lock=True)
        conversation = member.conversation
        _require_open(conversation)
        _require_manager(member, resolved)
        if conversation.kind == KIND.DIRECT:
            raise Conflict(_("A direct conversation has no settings to change."))
        before = {name: getattr(conversation, name) for name in changes}
        if "title" in changes:
            conversation.title = _clean_title(changes["title"])
        if "description" in changes:
            conversation.description = str(changes["description"] or "").strip()[:2000]
        if "join_rule" in changes:
            if changes["join_rule"] not in Conversation.JoinRule.values:
                raise ValidationFailed(fields={"join_rule": _("Choose who may join.")})
            conversation.join_rule = changes["join_rule"]
        if "members_may_mention_all" in changes:
            conversation.members_may_mention_all = bool(changes["members_may_mention_all"])
        conversation.save()
        after = {name: getattr(conversation, name) for name in changes}
        publish(events.ConversationUpdated(
            conversation_id=conversation.pk, actor_id=me, before=before, after=after,
            subject_type="messaging.conversation", subject_id=str(conversation.pk)))
        if before.get("title") not in (None, conversation.title):
            _notice(conversation, me, "renamed", {"title": conversation.title})
        live.conversation_changed(conversation.pk)
    return conversation


def do_add_members(actor: Any, conversation_id: int, person_ids: Iterable[int]) -> list[int]:
    """Invite people (owner and admins; any member when the group is open). Emits
    ``messaging.members.changed.v1``. Returns who was added."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    people = _active_people(person_ids, "person_ids")
    with transaction.atomic():
        member = membership(conversation_id, me, lock=True)
        conversation = member.conversation
        _require_open(conversation)
        if conversation.kind in (KIND.DIRECT, KIND.DEPARTMENT):
            raise Conflict(_("Members of this conversation are not chosen by hand."))
        if conversation.join_rule != Conversation.JoinRule.OPEN:
            _require_manager(member, resolved)
        added = _add_members(conversation, people)
        if added:
            publish(events.MembersChanged(
                conversation_id=conversation.pk, added=added, actor_id=me,
                subject_type="messaging.conversation", subject_id=str(conversation.pk)))
            _notice(conversation, me, "added", {"people": added})
    return added


def do_join(actor: Any, conversation_id: int) -> Conversation:
    """Join an open group. Emits ``messaging.members.changed.v1``."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(
            pk=conversation_id, join_rule=Conversation.JoinRule.OPEN,
            kind__in=(KIND.GROUP, KIND.CHANNEL), archived_at__isnull=True).first()
        if conversation is None:
            raise NotFound(_("There is no open group with this id."))
        added = _add_members(conversation, [me])
        if added:
            publish(events.MembersChanged(
                conversation_id=conversation.pk, added=added, actor_id=me,
                subject_type="messaging.conversation", subject_id=str(conversation.pk)))
            _notice(conversation, me, "joined", {})
    return conversation


def do_leave(actor: Any, conversation_id: int) -> None:
    """Leave a group: pushes stop at once and the messages can no longer be read. The
    owner hands the group over first. Emits ``messaging.members.changed.v1``."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    with transaction.atomic():
        member = membership(conversation_id, me, lock=True)
        conversation = member.conversation
        if conversation.kind == KIND.DIRECT:
            raise Conflict(_("A direct conversation cannot be left; mute it instead."))
        if conversation.kind == KIND.DEPARTMENT:
            raise Conflict(_("You belong to your department's group while you are in the "
                             "department."))
        if member.role == ROLE.OWNER and Member.objects.filter(
                conversation=conversation, left_at__isnull=True).exclude(person_id=me).exists():
            raise Conflict(_("Hand the group to another member before you leave."))
        _remove_members(conversation, [me])
        publish(events.MembersChanged(
            conversation_id=conversation.pk, removed=[me], actor_id=me,
            subject_type="messaging.conversation", subject_id=str(conversation.pk)))
        _notice(conversation, me, "left", {})


def do_remove_member(actor: Any, conversation_id: int, person_id: int) -> None:
    """Remove someone from a group (owner and admins; nobody removes the owner). Emits
    ``messaging.members.changed.v1``."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    with transaction.atomic():
        member = membership(conversation_id, me, lock=True)
        conversation = member.conversation
        _require_open(conversation)
        _require_manager(member, resolved)
        if conversation.kind in (KIND.DIRECT, KIND.DEPARTMENT):
            raise Conflict(_("Members of this conversation are not chosen by hand."))
        target = Member.objects.filter(conversation=conversation, person_id=person_id,
                                       left_at__isnull=True).first()
        if target is None:
            raise ValidationFailed(fields={"person_id": _("This person is not a member.")})
        if target.role == ROLE.OWNER:
            raise Conflict(_("The owner cannot be removed."))
        if target.role == ROLE.ADMIN and member.role != ROLE.OWNER:
            raise PermissionDenied(_("Only the owner removes admins."))
        _remove_members(conversation, [person_id])
        publish(events.MembersChanged(
            conversation_id=conversation.pk, removed=[person_id], actor_id=me,
            subject_type="messaging.conversation", subject_id=str(conversation.pk)))
        _notice(conversation, me, "removed", {"people": [person_id]})


def do_set_role(actor: Any, conversation_id: int, person_id: int, role: str) -> None:
    """The owner makes a member an admin or a member again, or hands ownership over
    (``role="owner"``: the old owner becomes an admin). Emits
    ``messaging.conversation.updated.v1``."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    if role not in ROLE.values:
        raise ValidationFailed(fields={"role": _("Choose owner, admin or member.")})
    with transaction.atomic():
        member = membership(conversation_id, me, lock=True)
        conversation = member.conversation
        _require_open(conversation)
        if conversation.kind == KIND.DIRECT:
            raise Conflict(_("A direct conversation has no settings to change."))
        if member.role != ROLE.OWNER and not authz.can(resolved, ops.CHANNELS.code):
            raise PermissionDenied(_("Only the owner changes roles."))
        target = Member.objects.filter(conversation=conversation, person_id=person_id,
                                       left_at__isnull=True).first()
        if target is None or target.person_id == me:
            raise ValidationFailed(fields={"person_id": _("Choose another member.")})
        if role == ROLE.OWNER:
            Member.objects.filter(conversation=conversation, role=ROLE.OWNER).update(
                role=ROLE.ADMIN)
        Member.objects.filter(pk=target.pk).update(role=role)
        publish(events.ConversationUpdated(
            conversation_id=conversation.pk, actor_id=me,
            before={"person_id": person_id, "role": target.role},
            after={"person_id": person_id, "role": role},
            subject_type="messaging.conversation", subject_id=str(conversation.pk)))
        live.conversation_changed(conversation.pk)


def do_set_member_settings(actor: Any, conversation_id: int, *, muted: bool | None = None,
                           pinned: bool | None = None, draft: str | None = None) -> Member:
    """The actor's own mute, pin and draft for one conversation."""
    resolved = chatting_actor(actor)
    member = membership(conversation_id, person_id_of(resolved))
    fields: list[str] = []
    if muted is not None:
        member.muted, fields = bool(muted), [*fields, "muted"]
    if pinned is not None:
        member.pinned, fields = bool(pinned), [*fields, "pinned"]
    if draft is not None:
        if len(draft) > 10000:
            raise ValidationFailed(fields={"draft": _("A draft has at most 10,000 characters.")})
        member.draft, fields = draft, [*fields, "draft"]
    if fields:
        member.save(update_fields=fields)
    return member


# ---------------------------------------------------------------- messages

@dataclass(frozen=True)
class DingRequest:
    """What the sender of a DING chose: recipients (None: every other member), the
    escalation channels in order and how often to remind."""

    recipient_ids: list[int] | None = None
    channels: tuple[str, ...] = (Ding.Channel.IN_APP,)
    interval_minutes: int = 15
    max_reminders: int = 6


def _mention_candidates(conversation: Conversation, text: str) -> dict[str, int]:
    # Without an "@" nobody can be mentioned: skip reading every member of a large group.
    if "@" not in text:
        return {}
    ids = list(Member.objects.filter(conversation=conversation, left_at__isnull=True)
               .values_list("person_id", flat=True))
    return {info.username.lower(): info.id for info in directory.people(ids)}


def may_mention_all(member: Member, resolved: authz.Actor) -> bool:
    return (is_manager(member) or member.conversation.members_may_mention_all
            or authz.can(resolved, ops.CHANNELS.code))


def may_post(member: Member, resolved: authz.Actor) -> bool:
    if member.conversation.kind == KIND.CHANNEL:
        return is_manager(member) or authz.can(resolved, ops.CHANNELS.code)
    return True


def _check_ding(request: DingRequest, conversation: Conversation, me: int,
                resolved: authz.Actor) -> list[int]:
    from taihe.modules.messaging.gateways import available_channels

    if not authz.can(resolved, ops.DING.code):
        raise PermissionDenied(_("You may not send DING messages."))
    members = set(Member.objects.filter(conversation=conversation, left_at__isnull=True)
                  .values_list("person_id", flat=True)) - {me}
    chosen = members if request.recipient_ids is None else {int(pk) for pk in
                                                             request.recipient_ids}
    if not chosen:
        raise ValidationFailed(fields={"ding.recipient_ids": _(
            "Choose at least one person to confirm.")})
    strangers = sorted(chosen - members)
    if strangers:
        raise ValidationFailed(fields={"ding.recipient_ids": _(
            "Only members of this conversation can receive its DING (not %(ids)s).")
            % {"ids": ", ".join(map(str, strangers))}})
    usable = available_channels()
    channels = list(dict.fromkeys(request.channels))
    if not channels or channels[0] != Ding.Channel.IN_APP:
        channels = [Ding.Channel.IN_APP, *[c for c in channels if c != Ding.Channel.IN_APP]]
    unknown = [c for c in channels if c not in Ding.Channel.values]
    if unknown:
        raise ValidationFailed(fields={"ding.channels": _("Unknown channel %(name)s.")
                                       % {"name": unknown[0]}})
    missing = [c for c in channels if c not in usable]
    if missing:
        raise ValidationFailed(fields={"ding.channels": _(
            "The museum has not set up %(channel)s reminders.")
            % {"channel": Ding.Channel(missing[0]).label}})
    if not 5 <= int(request.interval_minutes) <= 24 * 60:
        raise ValidationFailed(fields={"ding.interval_minutes": _(
            "Remind every 5 minutes at the most often, every day at the least.")})
    if not 1 <= int(request.max_reminders) <= 20:
        raise ValidationFailed(fields={"ding.max_reminders": _(
            "Remind between 1 and 20 times.")})
    return sorted(chosen)


def do_send_message(actor: Any, conversation_id: int, body: str, *,
                    reply_to_id: int | None = None, in_thread: bool = False,
                    attachment_ids: Iterable[int] = (), client_key: str = "",
                    ding: DingRequest | None = None) -> Message:
    """Post a message. ``reply_to_id`` quotes an earlier message; with ``in_thread`` the
    reply goes to that message's thread instead of the main stream. A repeated
    ``client_key`` returns the message already sent (a retried send never doubles). With
    ``ding`` the message is urgent: each recipient must confirm (emits
    ``messaging.ding.sent.v1``). Pushes the message to every member after commit."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    text = (body or "").strip()
    attachment_ids = sorted({int(pk) for pk in attachment_ids})
    if not text and not attachment_ids:
        raise ValidationFailed(fields={"body": _("Write a message or attach a file.")})
    if len(text) > MAX_BODY:
        raise ValidationFailed(fields={"body": _("A message has at most 20,000 characters.")})
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise ValidationFailed(fields={"attachment_ids": _("Attach at most 10 files.")})
    client_key = (client_key or "")[:64]
    if client_key:
        sent = Message.objects.filter(conversation_id=conversation_id, sender_id=me,
                                      client_key=client_key).first()
        if sent is not None:
            membership(conversation_id, me)
            return sent
    with transaction.atomic():
        member = membership(conversation_id, me)
        conversation = member.conversation
        _require_open(conversation)
        if not may_post(member, resolved):
            raise PermissionDenied(_("Only the owner and admins post in this channel."))
        if conversation.kind == KIND.DIRECT and len(directory.active_people(
                [int(pk) for pk in conversation.direct_key.split(":")])) < 2:  # type: ignore[union-attr]
            raise Conflict(_("This person has left the museum; the conversation is closed."))
        reply_to = None
        if reply_to_id is not None:
            reply_to = Message.objects.filter(pk=reply_to_id, conversation=conversation).first()
            if reply_to is None:
                raise ValidationFailed(fields={"reply_to_id": _(
                    "The message you reply to is not in this conversation.")})
        elif in_thread:
            raise ValidationFailed(fields={"reply_to_id": _(
                "Choose the message whose thread you reply in.")})
        rendered = render(text, _mention_candidates(conversation, text))
        if rendered.mentions_all and not may_mention_all(member, resolved):
            raise PermissionDenied(_("Only the owner and admins may @all in this group."))
        recipients = _check_ding(ding, conversation, me, resolved) if ding else []
        attachments = list(Attachment.objects.select_for_update().filter(
            pk__in=attachment_ids, conversation=conversation, uploaded_by_id=me,
            message__isnull=True))
        if len(attachments) != len(attachment_ids):
            raise ValidationFailed(fields={"attachment_ids": _(
                "Attach files you uploaded to this conversation and have not sent yet.")})
        thread_root = None
        if in_thread and reply_to is not None:
            thread_root = reply_to.thread_root or reply_to
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation, sender_id=me, body=text, html=rendered.html,
                    mentions=rendered.mentions, mentions_all=rendered.mentions_all,
                    links=rendered.links, reply_to=reply_to, thread_root=thread_root,
                    client_key=client_key)
        except IntegrityError:
            # the same send, retried while the first was still in flight
            sent = Message.objects.filter(conversation_id=conversation_id, sender_id=me,
                                          client_key=client_key).first()
            if sent is None:
                raise
            return sent
        if rendered.mentions:
            Mention.objects.bulk_create([Mention(message=message, person_id=pk)
                                         for pk in rendered.mentions])
        if attachments:
            Attachment.objects.filter(pk__in=attachment_ids).update(message=message)
        if thread_root is not None:
            Message.objects.filter(pk=thread_root.pk).update(
                thread_reply_count=F("thread_reply_count") + 1)
        else:
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message_id=message.pk, last_message_at=message.created_at)
            Member.objects.filter(pk=member.pk).update(last_read_id=message.pk,
                                                       last_read_at=message.created_at)
        if ding is not None:
            _create_ding(message, me, recipients, ding)
        if text or attachments:
            index_documents(SEARCH_INDEX, [(message.pk, search_text(message))])
        live.message_sent(message)
        if rendered.mentions:
            from taihe.modules.messaging.jobs import notify_mentions

            enqueue(notify_mentions, message.pk)
        from taihe.modules.messaging.bots import outgoing_bots_for

        if outgoing_bots_for(message):
            from taihe.modules.messaging.jobs import call_outgoing_bots

            enqueue(call_outgoing_bots, message.pk)
    return message


def search_text(message: Message) -> str:
    names = " ".join(a.name for a in message.attachments.all()) if message.pk else ""
    return f"{message.body} {names}".strip()


def _create_ding(message: Message, me: int, recipients: list[int], request: DingRequest) -> None:
    channels = list(dict.fromkeys([Ding.Channel.IN_APP, *request.channels]))
    ding = Ding.objects.create(message=message, sender_id=me, channels=channels,
                               interval_minutes=int(request.interval_minutes),
                               max_reminders=int(request.max_reminders))
    first = message.created_at + timedelta(minutes=ding.interval_minutes)
    DingRecipient.objects.bulk_create([
        DingRecipient(ding=ding, person_id=pk, next_reminder_at=first) for pk in recipients])
    from taihe.modules.messaging.escalation import announce

    announce(ding)
    publish(events.DingSent(
        message_id=message.pk, conversation_id=message.conversation_id,
        recipient_ids=recipients, actor_id=me, subject_type="messaging.message",
        subject_id=str(message.pk),
        after={"channels": channels, "interval_minutes": ding.interval_minutes}))


def _message_of_member(message_id: int, me: int, *, lock: bool = False) -> tuple[Message, Member]:
    rows = Message.objects.select_related("conversation")
    if lock:
        rows = rows.select_for_update()
    message = rows.filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("There is no such message, or you cannot see it."))
    try:
        member = membership(message.conversation_id, me)
    except NotFound:
        raise NotFound(_("There is no such message, or you cannot see it.")) from None
    return message, member


def do_edit_message(actor: Any, message_id: int, body: str) -> Message:
    """The sender corrects a message within the museum's edit window; the earlier text is
    kept (``MessageEdit``) and the message shows "edited". Emits
    ``messaging.message.edited.v1``."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    text = (body or "").strip()
    with transaction.atomic():
        message, _member = _message_of_member(message_id, me, lock=True)
        _require_open(message.conversation)
        if message.sender_id != me or message.kind != Message.Kind.TEXT:
            raise PermissionDenied(_("Only the sender edits a message."))
        if message.recalled_at is not None:
            raise Conflict(_("A recalled message cannot be edited."))
        window = policy().edit_minutes
        if timezone.now() - message.created_at > timedelta(minutes=window):
            raise Conflict(_("Messages can be edited for %(minutes)d minutes after sending.")
                           % {"minutes": window})
        if not text and not message.attachments.exists():
            raise ValidationFailed(fields={"body": _("Write a message, or recall it instead.")})
        if len(text) > MAX_BODY:
            raise ValidationFailed(fields={"body": _(
                "A message has at most 20,000 characters.")})
        if text == message.body:
            return message
        rendered = render(text, _mention_candidates(message.conversation, text))
        if rendered.mentions_all and not message.mentions_all:
            raise PermissionDenied(_("An edit cannot add @all; send a new message."))
        MessageEdit.objects.create(message=message, editor_id=me, action="edit",
                                   previous_body=message.body)
        message.body, message.html = text, rendered.html
        message.links, message.edited_at = rendered.links, timezone.now()
        added = sorted(set(rendered.mentions) - set(message.mentions))
        Mention.objects.bulk_create([Mention(message=message, person_id=pk) for pk in added])
        message.mentions = sorted(set(message.mentions) | set(rendered.mentions))
        message.save(update_fields=["body", "html", "links", "edited_at", "mentions"])
        index_documents(SEARCH_INDEX, [(message.pk, search_text(message))])
        publish(events.MessageEdited(
            message_id=message.pk, conversation_id=message.conversation_id, actor_id=me,
            subject_type="messaging.message", subject_id=str(message.pk)))
        live.message_changed(message)
    return message


def do_recall_message(actor: Any, message_id: int) -> Message:
    """Recall a message: the sender within the recall window, the owner and admins of the
    group at any time. Everyone then sees "recalled by …"; the text is kept for the record
    (``MessageEdit``) and leaves search. Emits ``messaging.message.recalled.v1``."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    with transaction.atomic():
        message, member = _message_of_member(message_id, me, lock=True)
        _require_open(message.conversation)
        if message.recalled_at is not None:
            return message
        if message.kind == Message.Kind.SYSTEM:
            raise PermissionDenied(_("System notices are part of the record and cannot be "
                                     "recalled."))
        own = message.sender_id == me
        if not own and not (is_manager(member)
                            and message.conversation.kind != KIND.DIRECT):
            raise PermissionDenied(_("Only the sender, or the group's owner and admins, "
                                     "recall a message."))
        window = policy().recall_minutes
        if own and not is_manager(member) and \
                timezone.now() - message.created_at > timedelta(minutes=window):
            raise Conflict(_("Messages can be recalled for %(minutes)d minutes after sending.")
                           % {"minutes": window})
        MessageEdit.objects.create(message=message, editor_id=me, action="recall",
                                   previous_body=message.body)
        message.recalled_at, message.recalled_by_id = timezone.now(), me
        message.body, message.html, message.links = "", "", []
        message.save(update_fields=["recalled_at", "recalled_by", "body", "html", "links"])
        remove_documents(SEARCH_INDEX, [message.pk])
        Ding.objects.filter(message=message, closed_at__isnull=True).update(
            closed_at=message.recalled_at)
        publish(events.MessageRecalled(
            message_id=message.pk, conversation_id=message.conversation_id, actor_id=me,
            subject_type="messaging.message", subject_id=str(message.pk)))
        live.message_changed(message)
    return message


def do_react(actor: Any, message_id: int, emoji: str, *, on: bool = True) -> list[dict[str, Any]]:
    """Add or take back a reaction; returns the message's reactions."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    if emoji not in ALLOWED_REACTIONS:
        raise ValidationFailed(fields={"emoji": _("Choose one of %(choices)s.")
                                       % {"choices": " ".join(ALLOWED_REACTIONS)}})
    with transaction.atomic():
        message, _member = _message_of_member(message_id, me)
        _require_open(message.conversation)
        if message.recalled_at is not None:
            raise Conflict(_("A recalled message takes no reactions."))
        if on:
            Reaction.objects.get_or_create(message=message, person_id=me, emoji=emoji)
        else:
            Reaction.objects.filter(message=message, person_id=me, emoji=emoji).delete()
        reactions = reaction_summary(message.pk)
        live.reactions_changed(message, reactions)
    return reactions


def reaction_summary(message_id: int) -> list[dict[str, Any]]:
    grouped: dict[str, list[int]] = {}
    for emoji, person_id in Reaction.objects.filter(message_id=message_id).order_by(
            "at", "pk").values_list("emoji", "person_id"):
        grouped.setdefault(emoji, []).append(person_id)
    return [{"emoji": emoji, "person_ids": people} for emoji, people in grouped.items()]


def do_mark_read(actor: Any, conversation_id: int, up_to_id: int | None = None) -> int:
    """Move the actor's read cursor forward to ``up_to_id`` (default: the latest message).
    A cursor never moves back. Pushes the receipt to the conversation. Returns the cursor."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    member = membership(conversation_id, me)
    last = member.conversation.last_message_id
    target = last if up_to_id is None else min(int(up_to_id), last)
    if target <= member.last_read_id:
        return member.last_read_id
    now = timezone.now()
    with transaction.atomic():
        moved = Member.objects.filter(pk=member.pk, last_read_id__lt=target).update(
            last_read_id=target, last_read_at=now)
        if moved:
            live.read(conversation_id, me, target)
    return target


def do_confirm_ding(actor: Any, message_id: int) -> DingRecipient:
    """The recipient confirms a DING: reminders stop and the sender sees it. Emits
    ``messaging.ding.confirmed.v1`` (once)."""
    resolved = chatting_actor(actor)
    me = person_id_of(resolved)
    with transaction.atomic():
        message, _member = _message_of_member(message_id, me)
        recipient = DingRecipient.objects.select_for_update().filter(
            ding__message=message, person_id=me).first()
        if recipient is None:
            raise ValidationFailed(fields={"message_id": _(
                "This message asks nothing of you to confirm.")})
        if recipient.confirmed_at is not None:
            return recipient
        recipient.confirmed_at, recipient.next_reminder_at = timezone.now(), None
        recipient.save(update_fields=["confirmed_at", "next_reminder_at"])
        # reading the DING is part of confirming it
        Member.objects.filter(conversation_id=message.conversation_id, person_id=me,
                              last_read_id__lt=message.pk).update(
            last_read_id=message.pk, last_read_at=recipient.confirmed_at)
        from taihe.modules.messaging.escalation import close_if_all_confirmed

        close_if_all_confirmed(recipient.ding_id, recipient.confirmed_at)
        publish(events.DingConfirmed(
            message_id=message.pk, person_id=me, actor_id=me,
            subject_type="messaging.message", subject_id=str(message.pk)))
        live.ding_confirmed(message, me)
    return recipient


# ---------------------------------------------------------------- system notices

def _notice(conversation: Conversation, actor_id: int | None, code: str,
            params: dict[str, Any]) -> Message:
    """A system line ("Li Wei added Zhang San") worded in each reader's language."""
    message = Message.objects.create(conversation=conversation, sender_id=actor_id,
                                     kind=Message.Kind.SYSTEM,
                                     notice={"code": code, **params})
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_id=message.pk, last_message_at=message.created_at)
    conversation.last_message_id = message.pk
    live.message_sent(message)
    return message
