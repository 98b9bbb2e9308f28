"""Messaging's API under ``/api/v1/messaging``: parse, call one service or selector,
serialise. The chat page's JavaScript uses it; so can any client with an API token.

Every operation first requires ``messaging.chat.use`` (403 without it). Past that, a
conversation or message the caller is not an active member of answers 404, the same as
one that does not exist: strangers, the administrator included, learn nothing of other
people's conversations. Errors reach the caller through the kernel's envelope
(``{"detail", "code", "fields"}``).
"""

# No ``from __future__ import annotations``: ninja reads the views' annotations at import.

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, RateLimited, ValidationFailed
from taihe.kernel.http.api import user_id
from taihe.kernel.realtime import presence
from taihe.modules.directory import api as directory
from taihe.modules.messaging import cards, files, records, selectors, services
from taihe.modules.messaging import operations as ops
from taihe.modules.messaging import schemas as s
from taihe.modules.messaging.models import Conversation, Member, Message
from taihe.modules.messaging.presenting import (
    attachment_data,
    message_data,
    messages_data,
    receipt_line,
    sent_message_data,
)

router = Router()

SENDS_PER_MINUTE = 60
"""Messages and uploads one person may send a minute (``TAIHE_MESSAGING_SENDS_PER_MINUTE``):
far above anyone typing, low enough that a runaway script cannot flood a group."""
MAX_PRESENCE_IDS = 500
READS = (401, 403, 404, 422)
WRITES = (401, 403, 404, 409, 422)
SENDS = (*WRITES, 429)


def _answers(status: int, schema: Any, failures: tuple[int, ...] = WRITES) -> dict[str, Any]:
    """``response`` of an operation: its success, and the envelope for every failure."""
    response: dict[int, Any] = dict.fromkeys(failures, s.MessagingErrorOut)
    response[status] = schema
    return {"response": response}


# --- who is calling -----------------------------------------------------------------------

def _chatter(request: HttpRequest) -> int:
    """The caller's person id; ``PermissionDenied`` without ``messaging.chat.use``."""
    services.chatting_actor(request.user)
    return user_id(request)


def _limit_sending(person_id: int) -> None:
    """Fixed one-minute window on the cache, as the kernel's rate limits."""
    limit = int(getattr(settings, "TAIHE_MESSAGING_SENDS_PER_MINUTE", SENDS_PER_MINUTE))
    key = f"ratelimit:messaging.send:{person_id}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=61)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=61)
        count = 1
    if count > limit:
        raise RateLimited(_("You are sending too fast. Wait a minute and try again."))


# --- serialising --------------------------------------------------------------------------

def _with_cards(request: HttpRequest, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Cards are resolved for this reader: a linked record they may not see stays hidden.
    return [{**row, "cards": cards.cards_for(request.user, row["links"])} for row in rows]


def _message(request: HttpRequest, message: Message) -> dict[str, Any]:
    return _with_cards(request, [message_data(message)])[0]


def _other_person(conversation: Conversation, me: int) -> int | None:
    if conversation.kind != Conversation.Kind.DIRECT or not conversation.direct_key:
        return None
    low, high = (int(pk) for pk in conversation.direct_key.split(":"))
    return high if low == me else low


def _detail(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    member = selectors.member_of(request.user, conversation_id)
    actor = authz.actor_for(request.user)
    conversation = member.conversation
    members = selectors.members_of(request.user, conversation_id)
    other = _other_person(conversation, member.person_id)
    title = conversation.title
    if other is not None:
        title = directory.display_names([other]).get(other, "")
    manager = services.is_manager(member)
    return {
        "id": conversation.pk, "kind": conversation.kind, "title": title,
        "description": conversation.description, "join_rule": conversation.join_rule,
        "members_may_mention_all": conversation.members_may_mention_all,
        "role": member.role, "muted": member.muted, "pinned": member.pinned,
        "draft": member.draft, "retention_days": conversation.retention_days,
        "legal_hold": conversation.legal_hold,
        "archived": conversation.archived_at is not None,
        "may_post": services.may_post(member, actor),
        "may_mention_all": services.may_mention_all(member, actor),
        "may_manage": manager or authz.can(actor, ops.CHANNELS.code),
        "may_export": records.may_export(member, actor),
        "members": [{"person_id": m.person_id, "name": m.name, "username": m.username,
                     "role": m.role,
                     "last_read_id": m.last_read_id, "joined_after_id": m.joined_after_id,
                     "online": m.online} for m in members],
    }


def _policy() -> dict[str, Any]:
    found = services.policy()
    return {"default_retention_days": found.default_retention_days,
            "recall_minutes": found.recall_minutes, "edit_minutes": found.edit_minutes}


def _parse_ids(text: str) -> list[int]:
    try:
        ids = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValidationFailed(fields={"ids": _(
            "Give person ids separated by commas, such as 3,17,42.")}) from None
    if len(ids) > MAX_PRESENCE_IDS:
        raise ValidationFailed(fields={"ids": _("Ask about at most %(count)d people.")
                                       % {"count": MAX_PRESENCE_IDS}})
    return ids


# --- conversations ------------------------------------------------------------------------

@router.get("/conversations", summary="My conversations, pinned first, then the latest",
            **_answers(200, list[s.ConversationRowOut], READS))
def list_conversations(request: HttpRequest,
                       q: str = Query("", max_length=100)) -> Any:
    """Each with the caller's unread count and unread mentions. ``q`` filters by title
    (for a direct conversation, the other person's name)."""
    _chatter(request)
    return [row.__dict__ for row in selectors.conversations_for(request.user, query=q)]


@router.post("/conversations", summary="Start a group (or an announcement channel)",
             **_answers(201, s.ConversationOut))
def create_conversation(request: HttpRequest, payload: s.ConversationIn) -> Any:
    """The caller becomes its owner. An announcement channel needs
    ``messaging.channel.manage``. Emits ``messaging.conversation.created.v1`` and
    ``messaging.members.changed.v1``."""
    _chatter(request)
    conversation = services.do_create_group(
        request.user, title=payload.title, member_ids=payload.member_ids, kind=payload.kind,
        description=payload.description, join_rule=payload.join_rule)
    return Status(201, _detail(request, conversation.pk))


@router.post("/direct", summary="Open (or start) my direct conversation with a person",
             **_answers(200, s.ConversationOut))
def open_direct(request: HttpRequest, payload: s.DirectIn) -> Any:
    """One direct conversation per pair of people, created on first use."""
    _chatter(request)
    conversation = services.do_open_direct(request.user, payload.person_id)
    return _detail(request, conversation.pk)


@router.get("/conversations/{conversation_id}", summary="A conversation with its members",
            **_answers(200, s.ConversationOut, READS))
def get_conversation(request: HttpRequest, conversation_id: int) -> Any:
    """With the caller's settings and what they may do in it, and each member's read
    cursor and presence."""
    _chatter(request)
    return _detail(request, conversation_id)


@router.patch("/conversations/{conversation_id}",
              summary="Rename a group or change its rules (owner and admins)",
              **_answers(200, s.ConversationOut))
def update_conversation(request: HttpRequest, conversation_id: int,
                        payload: s.ConversationPatch) -> Any:
    """Emits ``messaging.conversation.updated.v1``."""
    _chatter(request)
    changes = {name: value for name, value in payload.dict(exclude_unset=True).items()
               if value is not None}
    services.do_update_conversation(request.user, conversation_id, **changes)
    return _detail(request, conversation_id)


@router.post("/conversations/{conversation_id}/members", summary="Add people to a group",
             **_answers(200, s.AddedOut))
def add_members(request: HttpRequest, conversation_id: int, payload: s.MembersIn) -> Any:
    """Owner and admins; any member when the group is open. Emits
    ``messaging.members.changed.v1``."""
    _chatter(request)
    return {"added": services.do_add_members(request.user, conversation_id,
                                             payload.person_ids)}


@router.delete("/conversations/{conversation_id}/members/{person_id}",
               summary="Remove someone from a group (owner and admins)",
               **_answers(204, None))
def remove_member(request: HttpRequest, conversation_id: int, person_id: int) -> Any:
    """Emits ``messaging.members.changed.v1``."""
    _chatter(request)
    services.do_remove_member(request.user, conversation_id, person_id)
    return Status(204, None)


@router.put("/conversations/{conversation_id}/members/{person_id}/role",
            summary="Make a member an admin, a member again, or the owner (the owner)",
            **_answers(204, None))
def set_role(request: HttpRequest, conversation_id: int, person_id: int,
             payload: s.RoleIn) -> Any:
    """Emits ``messaging.conversation.updated.v1``."""
    _chatter(request)
    services.do_set_role(request.user, conversation_id, person_id, payload.role)
    return Status(204, None)


@router.post("/conversations/{conversation_id}/join", summary="Join an open group",
             **_answers(204, None))
def join(request: HttpRequest, conversation_id: int) -> Any:
    """Emits ``messaging.members.changed.v1``."""
    _chatter(request)
    services.do_join(request.user, conversation_id)
    return Status(204, None)


@router.post("/conversations/{conversation_id}/leave", summary="Leave a group",
             **_answers(204, None))
def leave(request: HttpRequest, conversation_id: int) -> Any:
    """Its messages can no longer be read at once. The owner hands the group over first.
    Emits ``messaging.members.changed.v1``."""
    _chatter(request)
    services.do_leave(request.user, conversation_id)
    return Status(204, None)


@router.put("/conversations/{conversation_id}/settings",
            summary="Mute, pin or keep a draft (my own settings)",
            **_answers(200, s.SettingsOut))
def member_settings(request: HttpRequest, conversation_id: int, payload: s.SettingsIn) -> Any:
    _chatter(request)
    member = services.do_set_member_settings(request.user, conversation_id,
                                             muted=payload.muted, pinned=payload.pinned,
                                             draft=payload.draft)
    return {"muted": member.muted, "pinned": member.pinned, "draft": member.draft}


# --- messages -----------------------------------------------------------------------------

@router.get("/conversations/{conversation_id}/messages", summary="A page of messages",
            **_answers(200, s.MessagePageOut, READS))
def list_messages(request: HttpRequest, conversation_id: int, before: int | None = None,
                  after: int | None = None, thread: int | None = None,
                  limit: int = selectors.PAGE) -> Any:
    """In id order. Without ``before``/``after``: the latest ``limit`` (default 50, at most
    200); ``before``: older ones; ``after``: newer ones (what a reconnecting client
    missed). ``thread``: the replies in that message's thread instead of the main
    stream."""
    _chatter(request)
    rows = selectors.messages_for(request.user, conversation_id, before=before, after=after,
                                  thread_root_id=thread, limit=limit)
    has_more = False
    if len(rows) == limit:
        # one more in the direction asked, without loading a whole page
        beyond = (selectors.messages_for(request.user, conversation_id, after=rows[-1].pk,
                                         thread_root_id=thread, limit=1)
                  if after is not None else
                  selectors.messages_for(request.user, conversation_id, before=rows[0].pk,
                                         thread_root_id=thread, limit=1))
        has_more = bool(beyond)
    return {"messages": _with_cards(request, messages_data(rows)), "has_more": has_more}


@router.post("/conversations/{conversation_id}/messages", summary="Send a message",
             **_answers(201, s.MessageOut, SENDS))
def send_message(request: HttpRequest, conversation_id: int, payload: s.MessageIn) -> Any:
    """Markdown; ``@username`` mentions, ``@all`` for the owner and admins (or everyone
    when the group allows it). Sending again with the same ``client_key`` returns the
    message already sent. With ``ding`` the message is urgent and each recipient must
    confirm it (needs ``messaging.ding.send``; emits ``messaging.ding.sent.v1``). At most
    60 messages and files a minute (429)."""
    me = _chatter(request)
    _limit_sending(me)
    ding = None
    if payload.ding is not None:
        ding = services.DingRequest(
            recipient_ids=payload.ding.recipient_ids, channels=tuple(payload.ding.channels),
            interval_minutes=payload.ding.interval_minutes,
            max_reminders=payload.ding.max_reminders)
    message = services.do_send_message(
        request.user, conversation_id, payload.body, reply_to_id=payload.reply_to_id,
        in_thread=payload.in_thread, attachment_ids=payload.attachment_ids,
        client_key=payload.client_key, ding=ding)
    return Status(201, _with_cards(request, [sent_message_data(message)])[0])


@router.post("/conversations/{conversation_id}/read",
             summary="Move my read cursor forward", **_answers(200, s.ReadOut))
def mark_read(request: HttpRequest, conversation_id: int, payload: s.ReadIn) -> Any:
    """Up to ``up_to_id`` (default: the latest message); a cursor never moves back. The
    other members see the receipt at once."""
    _chatter(request)
    return {"last_read_id": services.do_mark_read(request.user, conversation_id,
                                                  payload.up_to_id)}


@router.post("/conversations/{conversation_id}/files",
             summary="Upload a file to send with my next message",
             **_answers(201, s.AttachmentOut, SENDS))
def upload_file(request: HttpRequest, conversation_id: int,
                file: UploadedFile | None = File(None)) -> Any:  # noqa: B008 (ninja idiom)
    """Multipart field ``file``, at most 50 MB. JPEG, PNG, GIF and WebP images get a
    preview. Only the uploader sees the file until it is sent
    (``attachment_ids`` of a message)."""
    me = _chatter(request)
    if file is None:  # optional in the signature so the answer names the field
        raise ValidationFailed(fields={"file": _("Choose a file.")})
    _limit_sending(me)
    return Status(201, attachment_data(files.do_upload(request.user, conversation_id, file)))


@router.patch("/messages/{message_id}", summary="Correct my message (within the edit window)",
              **_answers(200, s.MessageOut))
def edit_message(request: HttpRequest, message_id: int, payload: s.EditIn) -> Any:
    """The earlier text is kept for the record. Emits ``messaging.message.edited.v1``."""
    _chatter(request)
    return _message(request, services.do_edit_message(request.user, message_id, payload.body))


@router.post("/messages/{message_id}/recall", summary="Recall a message",
             **_answers(200, s.MessageOut))
def recall_message(request: HttpRequest, message_id: int) -> Any:
    """The sender within the recall window; the group's owner and admins at any time.
    Emits ``messaging.message.recalled.v1``."""
    _chatter(request)
    return _message(request, services.do_recall_message(request.user, message_id))


@router.post("/messages/{message_id}/reactions", summary="React to a message, or take it back",
             **_answers(200, s.ReactionsOut))
def react(request: HttpRequest, message_id: int, payload: s.ReactionIn) -> Any:
    _chatter(request)
    reactions = services.do_react(request.user, message_id, payload.emoji, on=payload.on)
    message = selectors.message_for(request.user, message_id)
    return {"conversation_id": message.conversation_id, "message_id": message.pk,
            "reactions": reactions}


@router.get("/messages/{message_id}/receipts", summary="Who has read a message",
            **_answers(200, s.ReceiptsOut, READS))
def receipts(request: HttpRequest, message_id: int) -> Any:
    """The members who belonged when it was sent (those who left since included), the
    sender left out."""
    _chatter(request)
    rows = selectors.receipts_for(request.user, message_id)
    read = [{"person_id": r.person_id, "name": r.name, "read_at": r.read_at}
            for r in rows if r.read]
    unread = [{"person_id": r.person_id, "name": r.name} for r in rows if not r.read]
    return {"read": read, "unread": unread, "line": receipt_line(len(read), len(rows))}


@router.get("/messages/{message_id}/ding", summary="A DING's confirmations and reminders",
            **_answers(200, s.DingStatusOut, READS))
def ding_status(request: HttpRequest, message_id: int) -> Any:
    """Members see who confirmed; the sender and the conversation's owner and admins
    also see every reminder sent and the gateway's answer."""
    _chatter(request)
    ding, states = selectors.ding_status_for(request.user, message_id)
    return {"channels": list(ding.channels), "interval_minutes": ding.interval_minutes,
            "max_reminders": ding.max_reminders, "closed": ding.closed_at is not None,
            "confirmed": sum(1 for st in states if st.confirmed_at is not None),
            "total": len(states),
            "recipients": [{"person_id": st.person_id, "name": st.name, "read": st.read,
                            "confirmed_at": st.confirmed_at,
                            "reminders_sent": st.reminders_sent,
                            "next_reminder_at": st.next_reminder_at,
                            "attempts": [{"channel": a.channel, "at": a.at, "ok": a.ok,
                                          "detail": a.detail} for a in st.attempts]}
                           for st in states]}


@router.post("/messages/{message_id}/ding/confirm", summary="Confirm a DING sent to me",
             **_answers(204, None))
def confirm_ding(request: HttpRequest, message_id: int) -> Any:
    """Reminders stop and the sender sees it. Emits ``messaging.ding.confirmed.v1``."""
    _chatter(request)
    services.do_confirm_ding(request.user, message_id)
    return Status(204, None)


@router.post("/messages/{message_id}/ding/remind",
             summary="Remind the DING's unconfirmed recipients now",
             **_answers(200, s.RemindedOut))
def remind_ding(request: HttpRequest, message_id: int) -> Any:
    _chatter(request)
    from taihe.modules.messaging import escalation

    return {"reminded": escalation.do_remind_ding(request.user, message_id)}


@router.get("/ding/channels", summary="The reminder channels this museum can use for DING",
            **_answers(200, list[s.ChannelOut], (401, 403)))
def ding_channels(request: HttpRequest) -> Any:
    _chatter(request)
    authz.require(request.user, ops.DING.code)
    from taihe.modules.messaging import gateways

    return [{"code": code, "label": str(label)} for code, label in gateways.channel_choices()]


# --- across conversations -----------------------------------------------------------------

@router.get("/search", summary="Search messages in my conversations",
            **_answers(200, list[s.SearchHitOut], READS))
def search(request: HttpRequest, q: str = Query(..., min_length=1, max_length=200),
           conversation_id: int | None = None) -> Any:
    """Chinese and English, newest first, at most 50; only the conversations the caller
    is in now."""
    me = _chatter(request)
    found = selectors.search_for(request.user, q, conversation_id=conversation_id)
    others = {m.conversation_id: _other_person(m.conversation, me) for m in found}
    names = directory.display_names(sorted({pk for pk in others.values() if pk}))
    titles = {m.conversation_id: (names.get(others[m.conversation_id] or 0, "")
                                  if others[m.conversation_id] else m.conversation.title)
              for m in found}
    return [{**row, "conversation_title": titles[row["conversation_id"]]}
            for row in messages_data(found)]


@router.get("/unread", summary="My unread messages across conversations (muted left out)",
            **_answers(200, s.UnreadOut, (401, 403)))
def unread(request: HttpRequest) -> Any:
    return {"unread": selectors.unread_total(_chatter(request))}


@router.get("/presence", summary="Who of these people is online",
            **_answers(200, s.PresenceOut, (401, 403, 422)))
def who_is_online(request: HttpRequest,
                  ids: str = Query("", max_length=4000)) -> Any:
    """``ids``: person ids separated by commas. Only people who share a conversation with
    the caller are answered for; the others are left out as if offline."""
    # max_length: 500 ids of up to seven digits; it also keeps the kernel's input guard
    # away from numbers too long for int() to parse.
    me = _chatter(request)
    wanted = _parse_ids(ids)
    mine = Member.objects.filter(person_id=me, left_at__isnull=True).values("conversation_id")
    sharing = set(Member.objects.filter(person_id__in=wanted, left_at__isnull=True,
                                        conversation_id__in=mine)
                  .values_list("person_id", flat=True).distinct())
    if me in wanted:
        sharing.add(me)
    return {"online": sorted(presence.online(sharing))}


@router.get("/open-groups", summary="Open groups I may join",
            **_answers(200, list[s.OpenGroupOut], (401, 403, 422)))
def open_groups(request: HttpRequest, q: str = Query("", max_length=100)) -> Any:
    _chatter(request)
    rows = selectors.open_groups_for(request.user, q)
    counts = dict(Member.objects.filter(conversation_id__in=[c.pk for c in rows],
                                        left_at__isnull=True)
                  .order_by().values_list("conversation_id").annotate(n=Count("id")))
    return [{"id": c.pk, "title": c.title, "description": c.description,
             "member_count": counts.get(c.pk, 0)} for c in rows]


# --- records ------------------------------------------------------------------------------

@router.get("/policy", summary="The museum's messaging rules (records managers)",
            **_answers(200, s.PolicyOut, (401, 403)))
def get_policy(request: HttpRequest) -> Any:
    """Needs ``messaging.records.manage``."""
    authz.require(request.user, ops.RECORDS.code)
    return _policy()


@router.put("/policy", summary="Set retention and the edit and recall windows",
            **_answers(200, s.PolicyOut, (401, 403, 422)))
def set_policy(request: HttpRequest, payload: s.PolicyIn) -> Any:
    """Needs ``messaging.records.manage``. Emits ``messaging.policy.changed.v1``."""
    records.do_set_policy(request.user, default_retention_days=payload.default_retention_days,
                          recall_minutes=payload.recall_minutes,
                          edit_minutes=payload.edit_minutes)
    return _policy()


@router.put("/conversations/{conversation_id}/retention",
            summary="Set a conversation's retention and legal hold",
            **_answers(200, s.RetentionOut))
def set_retention(request: HttpRequest, conversation_id: int, payload: s.RetentionIn) -> Any:
    """Records managers, for any conversation (without being able to read it); nothing
    of a conversation under legal hold is deleted. Emits
    ``messaging.conversation.updated.v1``."""
    records.do_set_retention(request.user, conversation_id,
                             retention_days=payload.retention_days,
                             legal_hold=payload.legal_hold)
    found = Conversation.objects.filter(pk=conversation_id).values(
        "retention_days", "legal_hold").first()
    if found is None:
        raise NotFound()
    return found


# Bots and their incoming webhooks (http_bots.py) share this router and its paths.
from taihe.modules.messaging.http_bots import router as bots_router  # noqa: E402

router.add_router("", bots_router)

__all__ = ["router"]
