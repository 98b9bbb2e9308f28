"""Bots: integrations that post into one conversation and may hear it.

- Incoming: other systems POST ``{text, links?}`` to ``/api/v1/messaging/hooks/<token>``.
  The token is the only credential, so only its SHA-256 is stored and it is shown once; a
  lookup by hash leaks nothing through timing that a 256-bit random token could lose.
- Outgoing: a message that names a bot (``@<bot name>``) is POSTed, signed with the bot's
  secret (``X-Taihe-Signature: sha256=<HMAC-SHA256 of the body>``), to the bot's URL; a JSON
  answer with ``text`` is posted back as the bot.
- Feeds: built-in streams of the museum's own events (``FEEDS``), such as new environmental
  alerts, posted by every active bot subscribed to them.

Bots are not members: they never @all, their messages trigger no other bot (no loops), and
the people they @mention are only the conversation's members.

Errors: ``PermissionDenied`` (403) for members who may not manage bots, ``NotFound`` (404)
for a conversation, bot or token the caller cannot use, ``ValidationFailed`` (422) with the
field at fault, ``Conflict`` (409) for an archived or direct conversation, ``RateLimited``
(429) when an incoming hook posts too often.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import re
import secrets
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.kernel.errors import Conflict, NotFound, RateLimited, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue
from taihe.kernel.search import index_documents
from taihe.modules.conservation import api as conservation
from taihe.modules.directory import api as directory
from taihe.modules.messaging import cards, events, live, services
from taihe.modules.messaging.models import Bot, Conversation, Mention, Message
from taihe.modules.messaging.rendering import render

logger = logging.getLogger(__name__)

MAX_NAME = 60
MAX_TEXT = services.MAX_BODY
MAX_LINKS = 10
# An incoming hook is another system's loop; 30 a minute is a busy build server, and a
# runaway script is stopped before it buries the conversation.
RATE_LIMIT = (30, 60)
OUTGOING_TIMEOUT = 10.0
MAX_REPLY_BYTES = 64 * 1024
# A retried outgoing job skips the bots it already reached (per message and bot).
DELIVERED_SECONDS = 24 * 3600
_clock = time.time  # the rate limit's window; tests fix it


@dataclass(frozen=True)
class Feed:
    """A built-in feed: its code, its name for people, and who may subscribe a conversation
    to it (the feed posts what those people may know exists)."""

    code: str
    label: Any
    may_use: Callable[[Any], bool]


FEEDS: dict[str, Feed] = {}


def register_feed(code: str, label: Any, may_use: Callable[[Any], bool]) -> Feed:
    """Declare a feed that ``post_to_feed(code, ...)`` posts to."""
    feed = Feed(code, label, may_use)
    FEEDS[code] = feed
    return feed


register_feed("conservation.alerts", gettext_lazy("Conservation alerts"),
              conservation.may_see_alerts)


class OutgoingFailed(Exception):
    """Some outgoing webhooks could not be reached; the job retries (bounded)."""


# ---------------------------------------------------------------- tokens

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- managing bots

def _managed_conversation(resolved: Any, conversation_id: int, *, lock: bool = False
                          ) -> Conversation:
    member = services.membership(conversation_id, services.person_id_of(resolved), lock=lock)
    conversation = member.conversation
    if conversation.kind == Conversation.Kind.DIRECT:
        raise Conflict(_("A direct conversation has no bots."))
    services._require_manager(member, resolved)
    services._require_open(conversation)
    return conversation


def _managed_bot(resolved: Any, bot_id: int) -> Bot:
    bot = Bot.objects.select_for_update().filter(pk=bot_id, is_active=True).first()
    if bot is None:
        raise NotFound(_("There is no such bot, or you cannot see it."))
    try:
        _managed_conversation(resolved, bot.conversation_id)
    except NotFound:
        raise NotFound(_("There is no such bot, or you cannot see it.")) from None
    return bot


def _clean_name(name: str, conversation: Conversation) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise ValidationFailed(fields={"name": _("Give the bot a name.")})
    if len(text) > MAX_NAME:
        raise ValidationFailed(fields={"name": _("A bot's name has at most 60 characters.")})
    if "@" in text:
        raise ValidationFailed(fields={"name": _("A bot's name cannot contain “@”.")})
    # The name is unique among removed bots too: their messages still carry it.
    if Bot.objects.filter(conversation=conversation, name__iexact=text).exists():
        raise ValidationFailed(fields={"name": _(
            "Another bot of this conversation has, or had, this name.")})
    return text


def _clean_url(url: str) -> str:
    text = (url or "").strip()
    if not text:
        return ""
    if len(text) > 500:
        raise ValidationFailed(fields={"outgoing_url": _("An address has at most 500 "
                                                          "characters.")})
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        raise ValidationFailed(fields={"outgoing_url": _(
            "Give an http:// or https:// address.")}) from None
    return text


def _clean_feeds(feeds: Iterable[str], resolved: Any) -> list[str]:
    chosen = list(dict.fromkeys(str(code) for code in feeds))
    for code in chosen:
        feed = FEEDS.get(code)
        if feed is None:
            raise ValidationFailed(fields={"feeds": _("There is no feed %(code)s.")
                                           % {"code": code[:60]}})
        if not feed.may_use(resolved):
            raise ValidationFailed(fields={"feeds": _(
                "You may not subscribe a conversation to “%(feed)s”.") % {"feed": feed.label}})
    return chosen


def _saved(bot: Bot, me: int, *, before: dict[str, Any] | None,
           after: dict[str, Any]) -> None:
    publish(events.BotSaved(
        bot_id=bot.pk, conversation_id=bot.conversation_id, actor_id=me,
        subject_type="messaging.bot", subject_id=str(bot.pk), before=before, after=after))
    live.conversation_changed(bot.conversation_id)


def _public(bot: Bot) -> dict[str, Any]:
    """What the audit log keeps of a bot: never its token or secret."""
    return {"name": bot.name, "outgoing_url": bot.outgoing_url, "feeds": list(bot.feeds),
            "is_active": bot.is_active}


def do_create_bot(actor: Any, conversation_id: int, *, name: str, outgoing_url: str = "",
                  feeds: Iterable[str] = ()) -> tuple[Bot, str]:
    """Add a bot to a group or channel (its owner and admins, or holders of
    ``messaging.channel.manage`` who are members). Returns the bot and its incoming token,
    which is shown this once; ``bot.outgoing_secret`` signs what the bot hears. Emits
    ``messaging.bot.saved.v1``."""
    resolved = services.chatting_actor(actor)
    me = services.person_id_of(resolved)
    with transaction.atomic():
        conversation = _managed_conversation(resolved, conversation_id, lock=True)
        clean_name = _clean_name(name, conversation)
        url = _clean_url(outgoing_url)
        chosen = _clean_feeds(feeds, resolved)
        token = _new_token()
        try:
            with transaction.atomic():
                bot = Bot.objects.create(
                    conversation=conversation, name=clean_name, token_hash=_hash(token),
                    token_hint=token[-4:], outgoing_url=url,
                    outgoing_secret=secrets.token_hex(32) if url else "", feeds=chosen,
                    created_by_id=me)
        except IntegrityError:  # the same name, added at the same moment
            raise ValidationFailed(fields={"name": _(
                "Another bot of this conversation has, or had, this name.")}) from None
        _saved(bot, me, before=None, after=_public(bot))
    return bot, token


def do_rotate_token(actor: Any, bot_id: int) -> tuple[Bot, str]:
    """Replace a bot's incoming token (the old one stops working at once) and, for a bot
    that hears the conversation, its signing secret. Returns the bot and the new token,
    shown this once. Emits ``messaging.bot.saved.v1``."""
    resolved = services.chatting_actor(actor)
    me = services.person_id_of(resolved)
    with transaction.atomic():
        bot = _managed_bot(resolved, bot_id)
        token = _new_token()
        bot.token_hash, bot.token_hint = _hash(token), token[-4:]
        if bot.outgoing_url:
            bot.outgoing_secret = secrets.token_hex(32)
        bot.save(update_fields=["token_hash", "token_hint", "outgoing_secret", "updated_at"])
        _saved(bot, me, before=None, after={"token_rotated": True})
    return bot, token


def do_delete_bot(actor: Any, bot_id: int) -> None:
    """Remove a bot: its token stops working and it hears nothing more; its messages stay
    under its name. Emits ``messaging.bot.saved.v1``."""
    resolved = services.chatting_actor(actor)
    me = services.person_id_of(resolved)
    with transaction.atomic():
        bot = _managed_bot(resolved, bot_id)
        before = _public(bot)
        bot.is_active, bot.token_hash, bot.outgoing_secret, bot.feeds = False, None, "", []
        bot.save(update_fields=["is_active", "token_hash", "outgoing_secret", "feeds",
                                "updated_at"])
        _saved(bot, me, before=before, after=_public(bot))


def bot_data(bot: Bot, *, manager: bool) -> dict[str, Any]:
    """A bot as plain data. Every member sees that a bot exists, what it is fed and whether
    it hears mentions (its URL receives them); only managers see the URL and token hint."""
    return {
        "id": bot.pk, "conversation_id": bot.conversation_id, "name": bot.name,
        "feeds": [{"code": code, "label": str(FEEDS[code].label)} for code in bot.feeds
                  if code in FEEDS],
        "hears_mentions": bool(bot.outgoing_url),
        "outgoing_url": bot.outgoing_url if manager else None,
        "token_hint": bot.token_hint if manager else None,
        "created_at": bot.created_at.isoformat(),
    }


def bots_for(actor: Any, conversation_id: int) -> list[dict[str, Any]]:
    """The active bots of a conversation the actor is in (``bot_data``), by name. Raises
    ``NotFound`` for strangers."""
    resolved = services.chatting_actor(actor)
    member = services.membership(conversation_id, services.person_id_of(resolved))
    manager = may_manage_bots(member, resolved)
    return [bot_data(bot, manager=manager) for bot in
            Bot.objects.filter(conversation_id=conversation_id, is_active=True).order_by(
                "name", "pk")]


def may_manage_bots(member: Any, resolved: Any) -> bool:
    from taihe.kernel import authz
    from taihe.modules.messaging import operations as ops

    return services.is_manager(member) or authz.can(resolved, ops.CHANNELS.code)


def feeds() -> list[dict[str, str]]:
    """The built-in feeds, ``[{code, label}]``."""
    return [{"code": feed.code, "label": str(feed.label)} for feed in FEEDS.values()]


# ---------------------------------------------------------------- posting as a bot

def _clean_links(links: Iterable[str]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    given = list(links)
    if len(given) > MAX_LINKS:
        raise ValidationFailed(fields={"links": _("Give at most 10 links.")})
    for index, url in enumerate(given):
        link = cards.link_of(str(url)) if isinstance(url, str) else None
        if link is None:
            raise ValidationFailed(fields={f"links.{index}": _(
                "This is not a link to a record of Taihe.")})
        if link not in found:
            found.append(link)
    return found


def _clean_text(text: str) -> str:
    clean = (text or "").strip()
    if not clean:
        raise ValidationFailed(fields={"text": _("Write the message text.")})
    if len(clean) > MAX_TEXT:
        raise ValidationFailed(fields={"text": _("A message has at most 20,000 characters.")})
    return clean


def _count_post(bot: Bot) -> None:
    limit, window = RATE_LIMIT
    key = f"messaging:bot-posts:{bot.pk}:{int(_clock() // window)}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited(_("This bot posts at most %(limit)d messages a minute; wait a "
                            "minute and try again.") % {"limit": limit})


def _post(bot: Bot, text: str, links: list[dict[str, str]]) -> Message:
    """Write the bot's message; the caller has checked the text and the links."""
    with transaction.atomic():
        conversation = Conversation.objects.get(pk=bot.conversation_id)
        if conversation.archived_at is not None:
            raise Conflict(_("This conversation is archived; it can be read but not "
                             "changed."))
        rendered = render(text, services._mention_candidates(conversation, text))
        if rendered.mentions_all:
            raise ValidationFailed(fields={"text": _("A bot may not @all.")})
        found = list(rendered.links)
        found += [link for link in links if link not in found]
        message = Message.objects.create(
            conversation=conversation, sender=None, bot=bot, kind=Message.Kind.TEXT,
            body=text, html=rendered.html, mentions=rendered.mentions, mentions_all=False,
            links=found[:MAX_LINKS])
        if rendered.mentions:
            Mention.objects.bulk_create([Mention(message=message, person_id=pk)
                                         for pk in rendered.mentions])
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_id=message.pk, last_message_at=message.created_at)
        index_documents(services.SEARCH_INDEX, [(message.pk, services.search_text(message))])
        live.message_sent(message)
        if rendered.mentions:
            from taihe.modules.messaging.jobs import notify_mentions

            enqueue(notify_mentions, message.pk)
    return message


def do_post_as_bot(token: str, text: str, links: Iterable[str] = ()) -> Message:
    """Post ``text`` (Markdown; ``@username`` mentions members) as the bot whose incoming
    token this is. ``links`` are addresses of Taihe records shown as cards under the
    message. Raises ``NotFound`` for an unknown or removed bot's token (never which),
    ``RateLimited`` past 30 messages a minute, ``ValidationFailed`` (``text``,
    ``links.<n>``), ``Conflict`` in an archived conversation. Pushes the message to the
    members after commit; emits no event (a message is its own record)."""
    bot = Bot.objects.filter(token_hash=_hash(str(token or "")), is_active=True).first()
    if bot is None:
        raise NotFound(_("There is no such hook."))
    _count_post(bot)
    return _post(bot, _clean_text(text), _clean_links(links))


def post_to_feed(feed: str, text: str, links: Iterable[str] = ()) -> list[Message]:
    """Post as every active bot subscribed to ``feed`` (in open conversations). Raises
    ``LookupError`` for an unknown feed and ``ValidationFailed`` for bad text or links."""
    if feed not in FEEDS:
        raise LookupError(f"unknown feed {feed!r}")
    clean_text, clean_links = _clean_text(text), _clean_links(links)
    posted = []
    # feeds is a JSON list: filtered here, as JSON "contains" is not available on SQLite
    for bot in Bot.objects.filter(is_active=True, conversation__archived_at__isnull=True
                                  ).order_by("pk"):
        if feed in (bot.feeds or []):
            posted.append(_post(bot, clean_text, clean_links))
    return posted


# ---------------------------------------------------------------- outgoing webhooks

def _mention_pattern(name: str) -> re.Pattern[str]:
    # "li@bots" is an address; "@build" is not "@builder". A name ending in Chinese is
    # followed by more Chinese without a space, so only a Latin ending needs the boundary.
    tail = r"(?![A-Za-z0-9_])" if re.match(r"[A-Za-z0-9_]", name[-1:]) else ""
    return re.compile(r"(?<![A-Za-z0-9_])@" + re.escape(name) + tail, re.IGNORECASE)


def outgoing_bots_for(message: Message) -> list[Bot]:
    """The active bots of the message's conversation that hear mentions (have an outgoing
    URL) and are named in it as ``@<bot name>`` (any case). Bots' own messages and system
    lines name nobody, so bots never call each other."""
    if message.bot_id is not None or message.kind != Message.Kind.TEXT or not message.body:
        return []
    if "@" not in message.body:
        return []
    return [bot for bot in Bot.objects.filter(conversation_id=message.conversation_id,
                                              is_active=True).exclude(outgoing_url="")
            .order_by("pk")
            if _mention_pattern(bot.name).search(message.body)]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead the signed message anywhere; the configured URL is the one."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _payload(bot: Bot, message: Message) -> bytes:
    sender = directory.display_names([message.sender_id]).get(message.sender_id or 0, "") \
        if message.sender_id else ""
    return json.dumps({
        "bot": bot.name, "conversation_id": message.conversation_id,
        "message": {"id": message.pk, "sender_name": sender, "body": message.body,
                    "created_at": message.created_at.isoformat()},
    }, ensure_ascii=False).encode("utf-8")


def _call(bot: Bot, body: bytes) -> str | None:
    """POST to the bot's URL; the ``text`` of a JSON answer, if any."""
    if urlsplit(bot.outgoing_url).scheme not in ("http", "https"):
        raise OutgoingFailed(f"bot {bot.pk}: not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        bot.outgoing_url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": "Taihe-Bot/1",
                 "X-Taihe-Signature": _signature(bot.outgoing_secret, body)})
    with _OPENER.open(request, timeout=OUTGOING_TIMEOUT) as response:
        answer = response.read(MAX_REPLY_BYTES + 1)
    if not answer.strip() or len(answer) > MAX_REPLY_BYTES:
        return None
    try:
        data = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    text = data.get("text") if isinstance(data, dict) else None
    return text if isinstance(text, str) and text.strip() else None


def call_outgoing(message_id: int) -> None:
    """Send a message to each bot it names (see ``outgoing_bots_for``), signed with the
    bot's secret, and post a JSON answer's ``text`` back as that bot. A recalled or deleted
    message is not sent. Raises ``OutgoingFailed`` when a bot could not be reached, so the
    job retries (bounded by the job's ``max_retries``); bots already reached are skipped
    on a retry. An answer that cannot be posted (@all, too long) is logged and dropped."""
    message = Message.objects.filter(pk=message_id, recalled_at__isnull=True).first()
    if message is None:
        return
    failed = []
    for bot in outgoing_bots_for(message):
        done_key = f"messaging:bot-called:{message.pk}:{bot.pk}"
        if cache.get(done_key):
            continue
        try:
            reply = _call(bot, _payload(bot, message))
        except (OSError, http.client.HTTPException, OutgoingFailed) as error:
            # an HTTP error answer, an unreachable host and a timeout are all OSErrors
            logger.warning("outgoing bot %s failed on message %s: %s", bot.pk, message.pk,
                           error)
            failed.append(bot.pk)
            continue
        cache.set(done_key, True, timeout=DELIVERED_SECONDS)
        if reply is None:
            continue
        try:
            _post(bot, _clean_text(reply), [])
        except (ValidationFailed, Conflict) as error:
            logger.warning("outgoing bot %s answered what cannot be posted: %s", bot.pk,
                           error.fields or error.detail)
    if failed:
        raise OutgoingFailed(f"bots {failed} could not be reached for message {message.pk}")
