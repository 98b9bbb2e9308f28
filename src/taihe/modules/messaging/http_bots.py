"""Bots' API, added to messaging's router (``/api/v1/messaging``): managing a conversation's
bots, and the incoming webhook other systems post to.

Managing takes a person (session with CSRF, or an API token) who is a member of the
conversation: every member sees its bots, the owner, admins and holders of
``messaging.channel.manage`` add, rotate and remove them. A bot's token and signing secret
are answered once, when made.

``POST /hooks/{token}`` takes no session and no CSRF token: the token in the path is the
credential (a system posting a build result has no browser). An unknown token and a removed
bot's token both answer 404, so a caller cannot tell them apart.
"""

# No ``from __future__ import annotations``: ninja reads the views' annotations at import.

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from taihe.modules.messaging import bots
from taihe.modules.messaging.models import Bot
from taihe.modules.messaging.schemas import MessagingErrorOut

router = Router()

READS = (401, 403, 404, 422)
WRITES = (401, 403, 404, 409, 422)
HOOK = (400, 404, 409, 422, 429)


def _answers(status: int, schema: Any, failures: tuple[int, ...] = WRITES) -> dict[str, Any]:
    response: dict[int, Any] = dict.fromkeys(failures, MessagingErrorOut)
    response[status] = schema
    return {"response": response}


class MessagingBotIn(Schema):
    name: str = Field(max_length=200)
    """At most 60 characters, unique in the conversation; people call it with ``@name``."""
    outgoing_url: str = Field(default="", max_length=2000)
    """An http(s) address that receives messages naming the bot (signed); empty: none."""
    feeds: list[str] = Field(default_factory=list, max_length=20)
    """Built-in feeds the bot posts, e.g. ``conservation.alerts`` (see ``/bot-feeds``)."""


class MessagingBotFeedOut(Schema):
    code: str
    label: str


class MessagingBotOut(Schema):
    id: int
    conversation_id: int
    name: str
    feeds: list[MessagingBotFeedOut]
    hears_mentions: bool
    """Messages naming the bot are sent to its outgoing URL."""
    outgoing_url: str | None
    """For the conversation's managers only."""
    token_hint: str | None
    """The last four characters of the incoming token, for managers only."""
    created_at: datetime


class MessagingBotCreatedOut(MessagingBotOut):
    token: str
    """The incoming token: shown this once."""
    hook_url: str
    """Where other systems POST ``{"text", "links"}``: shown this once."""
    outgoing_secret: str | None
    """Signs what the bot hears (``X-Taihe-Signature: sha256=<hex HMAC-SHA256 of the body>``);
    shown this once."""


class MessagingHookIn(Schema):
    text: str = Field(max_length=100_000)
    """Markdown, at most 20,000 characters; ``@username`` names a member (never ``@all``)."""
    links: list[str] = Field(default_factory=list, max_length=100)
    """Addresses of Taihe records (at most 10), shown as cards to those who may see them."""


class MessagingHookOut(Schema):
    id: int


def _created(request: HttpRequest, bot: Bot, token: str) -> dict[str, Any]:
    path = reverse("api:messaging_bot_hook", kwargs={"token": token})
    return {**bots.bot_data(bot, manager=True), "token": token,
            "hook_url": request.build_absolute_uri(path),
            "outgoing_secret": bot.outgoing_secret or None}


@router.get("/conversations/{conversation_id}/bots", summary="A conversation's bots",
            **_answers(200, list[MessagingBotOut], READS))
def list_bots(request: HttpRequest, conversation_id: int) -> Any:
    """Every member sees the bots; the URL and token hint only for managers."""
    return bots.bots_for(request.user, conversation_id)


@router.post("/conversations/{conversation_id}/bots", summary="Add a bot",
             **_answers(201, MessagingBotCreatedOut))
def create_bot(request: HttpRequest, conversation_id: int, payload: MessagingBotIn) -> Any:
    """The answer carries the token, hook URL and signing secret, shown this once."""
    bot, token = bots.do_create_bot(request.user, conversation_id, name=payload.name,
                                    outgoing_url=payload.outgoing_url, feeds=payload.feeds)
    return Status(201, _created(request, bot, token))


@router.post("/bots/{bot_id}/token", summary="Replace a bot's token",
             **_answers(200, MessagingBotCreatedOut))
def rotate_token(request: HttpRequest, bot_id: int) -> Any:
    """The old token stops working at once; a bot that hears mentions gets a new secret."""
    bot, token = bots.do_rotate_token(request.user, bot_id)
    return _created(request, bot, token)


@router.delete("/bots/{bot_id}", summary="Remove a bot", **_answers(204, None))
def delete_bot(request: HttpRequest, bot_id: int) -> Any:
    bots.do_delete_bot(request.user, bot_id)
    return Status(204, None)


@router.get("/bot-feeds", summary="Built-in feeds a bot may post",
            **_answers(200, list[MessagingBotFeedOut], (401, 403)))
def list_feeds(request: HttpRequest) -> Any:
    from taihe.modules.messaging import services

    services.chatting_actor(request.user)
    return bots.feeds()


@router.post("/hooks/{token}", auth=None, url_name="messaging_bot_hook",
             summary="Post as a bot (incoming webhook)", **_answers(201, MessagingHookOut, HOOK))
def post_hook(request: HttpRequest, token: str, payload: MessagingHookIn) -> Any:
    """No session, no CSRF: the token is the credential. 404 for an unknown or removed
    bot, 429 past 30 messages a minute."""
    message = bots.do_post_as_bot(token, payload.text, payload.links)
    return Status(201, {"id": message.pk})
