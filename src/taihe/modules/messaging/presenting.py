"""Messages as plain data, the same for the API, the pages and the realtime pushes.

Nothing here depends on who reads: that is what lets one push serve every member. System
notices carry their sentence in each shipped language; cards for links are resolved per
reader by the API (``cards.py``), never pushed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from taihe.modules.directory import api as directory
from taihe.modules.messaging.models import Attachment, Ding, Message

EXCERPT = 140


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk, "name": attachment.name, "size": attachment.size,
        "content_type": attachment.content_type,
        "url": reverse("messaging:file", args=[attachment.pk]),
        "preview_url": (reverse("messaging:preview", args=[attachment.pk])
                        if attachment.preview else None),
        "width": attachment.width, "height": attachment.height,
    }


def notice_sentence(notice: dict[str, Any], actor: str, names: dict[int, str]) -> str:
    """The sentence of a system notice in the active language."""
    code = notice.get("code")
    people = ", ".join(names.get(pk, str(pk)) for pk in notice.get("people", []))
    sentences = {
        "created": _("%(actor)s created the group “%(title)s”"),
        "renamed": _("%(actor)s renamed the group “%(title)s”"),
        "added": _("%(actor)s added %(people)s"),
        "removed": _("%(actor)s removed %(people)s"),
        "joined": _("%(actor)s joined"),
        "left": _("%(actor)s left"),
        "synced": _("Department changes: %(people)s joined"),
        "synced_out": _("Department changes: %(people)s left"),
        "retention": _("Messages older than %(days)s days were deleted under the retention "
                       "rule"),
    }
    template = sentences.get(str(code), _("The conversation changed"))
    return template % {"actor": actor or _("Taihe"), "title": notice.get("title", ""),
                       "people": people, "days": notice.get("days", "")}


def _notice_texts(notice: dict[str, Any], actor_id: int | None,
                  names: dict[int, str]) -> dict[str, str]:
    texts = {}
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = notice_sentence(notice, names.get(actor_id or 0, ""), names)
    return texts


def excerpt(message: Message) -> str:
    if message.recalled_at is not None:
        return _("(recalled)")
    text = " ".join(message.body.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


def messages_data(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """Plain data for many messages with a fixed number of queries."""
    rows = list(messages)
    if not rows:
        return []
    ids = [m.pk for m in rows]
    people: set[int] = set()
    replies = {m.reply_to_id for m in rows if m.reply_to_id}
    quoted = {m.pk: m for m in Message.objects.filter(pk__in=replies)}
    for m in [*rows, *quoted.values()]:
        people.update(pk for pk in (m.sender_id, m.recalled_by_id) if pk)
        people.update(m.mentions or [])
        if m.notice:
            people.update(m.notice.get("people", []))
    names = directory.display_names(sorted(people))
    attachments: dict[int, list[dict[str, Any]]] = {}
    for attachment in Attachment.objects.filter(message_id__in=ids).order_by("pk"):
        attachments.setdefault(attachment.message_id or 0, []).append(
            attachment_data(attachment))
    reactions: dict[int, dict[str, list[int]]] = {}
    from taihe.modules.messaging.models import Reaction

    for message_id, emoji, person_id in Reaction.objects.filter(message_id__in=ids).order_by(
            "at", "pk").values_list("message_id", "emoji", "person_id"):
        reactions.setdefault(message_id, {}).setdefault(emoji, []).append(person_id)
    dings = {d.message_id: d for d in Ding.objects.filter(message_id__in=ids)}
    bots = {m.bot_id for m in rows if m.bot_id}
    bot_names: dict[int, str] = {}
    if bots:
        from taihe.modules.messaging.models import Bot

        bot_names = dict(Bot.objects.filter(pk__in=bots).values_list("pk", "name"))
    found = []
    for m in rows:
        quote = quoted.get(m.reply_to_id or 0)
        ding = dings.get(m.pk)
        found.append({
            "id": m.pk, "conversation_id": m.conversation_id, "kind": m.kind,
            "sender_id": m.sender_id,
            "sender_name": (bot_names.get(m.bot_id, "") if m.bot_id
                            else names.get(m.sender_id or 0, "")),
            "bot": m.bot_id is not None,
            "body": m.body, "html": m.html,
            "notice": (_notice_texts(m.notice, m.sender_id, names)
                       if m.kind == Message.Kind.SYSTEM and m.notice else None),
            "mentions": list(m.mentions or []), "mentions_all": m.mentions_all,
            "links": list(m.links or []),
            "reply_to": ({"id": quote.pk, "sender_name": names.get(quote.sender_id or 0, ""),
                          "excerpt": excerpt(quote)} if quote else None),
            "thread_root_id": m.thread_root_id,
            "thread_reply_count": m.thread_reply_count,
            "created_at": _iso(m.created_at), "edited_at": _iso(m.edited_at),
            "recalled_at": _iso(m.recalled_at),
            "recalled_by_name": names.get(m.recalled_by_id or 0, "") if m.recalled_at else "",
            "attachments": [] if m.recalled_at else attachments.get(m.pk, []),
            "reactions": [{"emoji": e, "person_ids": p}
                          for e, p in reactions.get(m.pk, {}).items()],
            "ding": ({"channels": ding.channels, "interval_minutes": ding.interval_minutes,
                      "closed": ding.closed_at is not None} if ding else None),
        })
    return found


def message_data(message: Message) -> dict[str, Any]:
    return messages_data([message])[0]


def sent_message_data(message: Message) -> dict[str, Any]:
    """The data of a message just sent: what its push carried when it has one (nothing can
    have changed in between, it is the same request), else :func:`message_data`."""
    pushed = getattr(message, "presented", None)
    return dict(pushed) if isinstance(pushed, dict) else message_data(message)


def receipt_line(read: int, total: int) -> str:
    """"Read by 7 of 9" in the active language."""
    if total and read == total:
        return _("Read by all")
    return ngettext("Read by %(read)d of %(total)d", "Read by %(read)d of %(total)d",
                    total) % {"read": read, "total": total}
