"""Messaging as a record: the museum's policy (retention, recall and edit windows), retention
and legal hold of each conversation, deletion of messages past retention, and the export of
a conversation for a file or an audit (JSON and PDF).

Records managers (``messaging.records.manage``) set rules for any conversation but do not
read them through that right: the rules are metadata. They export a conversation only when
they are in it, and their export is then the full record (earlier texts of edited messages
and the text of recalled ones, which the conversation itself no longer shows).

The export, the same content in both formats (``EXPORT_FORMAT`` names the JSON structure)::

    {"format": "taihe.messaging.export/1",
     "exported_at": ISO time in the museum's zone, "time_zone": "Asia/Shanghai",
     "exported_by": {"person_id", "name"},
     "full_record": whether earlier and recalled texts are included,
     "conversation": {"id", "kind", "kind_label", "title", "description", "created_at",
                      "archived_at", "retention_days", "legal_hold"},
     "members": [{"person_id", "name", "role", "joined_at", "left_at", "active"}],
     "messages": [{
        "id", "kind" (text|system|card), "sender": {"person_id", "name"} | null,
        "bot": bot name | null, "sent_at", "text" (Markdown source; "" once recalled),
        "notice": the system line in the exporter's language | null,
        "reply_to_id", "thread_root_id",
        "attachments": [{"name", "size", "content_type"}],
        "edited_at", "edits": [{"at", "editor": {...}, "previous_text": str | null}],
        "recalled": {"at", "by": {...}, "text": str | null} | null,
        "reactions": [{"emoji", "people": [{...}]}],
        "receipts": {"read", "total", "line", "unread": [{...}]} | null (system lines),
        "ding": {"channels", "interval_minutes", "max_reminders", "closed_at", "confirmed",
                 "total", "recipients": [{"person_id", "name", "confirmed_at",
                 "reminders_sent", "attempts": [{"channel", "at", "ok", "detail"}]}]} | null
     }]}

``previous_text`` and the recalled ``text`` are null unless ``full_record``. Receipts count
the members who belonged when the message was sent, the sender left out, as the chat shows
them ("Read by 7 of 9").
"""

from __future__ import annotations

import datetime as dt
import io
import json
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.search import remove_documents
from taihe.modules.directory import api as directory
from taihe.modules.messaging import events, live, services
from taihe.modules.messaging import operations as ops
from taihe.modules.messaging.models import (
    Attachment,
    Bot,
    Conversation,
    Ding,
    DingDelivery,
    DingRecipient,
    Member,
    Message,
    MessageEdit,
    Policy,
    Reaction,
)
from taihe.modules.messaging.presenting import notice_sentence, receipt_line

RETENTION_DAYS = (30, 36500)
WINDOW_MINUTES = (0, 7 * 24 * 60)
BATCH = 500
FORMATS = {"json": "application/json", "pdf": "application/pdf"}
EXPORT_FORMAT = "taihe.messaging.export/1"
SUBJECT = "messaging.conversation"


# ---------------------------------------------------------------- who may

def _records_manager(actor: Any) -> authz.Actor:
    resolved = authz.actor_for(actor)
    if resolved.is_anonymous:
        raise PermissionDenied()
    if not authz.can(resolved, ops.RECORDS.code):
        raise PermissionDenied(_("Only records managers set retention rules."))
    return resolved


def may_export(member: Member, actor: Any) -> bool:
    """Whether this active member may export the conversation: its owner and admins,
    either person of a direct conversation, and records managers."""
    if member.left_at is not None:
        return False
    if member.conversation.kind == Conversation.Kind.DIRECT or services.is_manager(member):
        return True
    return authz.can(actor, ops.RECORDS.code)


# ---------------------------------------------------------------- policy and retention

def _whole_number(value: Any, name: str, low: int, high: int, *,
                  empty: bool = False) -> int | None:
    if value is None or value == "":
        if empty:
            return None
        raise ValidationFailed(fields={name: _("Give a number.")})
    if isinstance(value, bool):
        raise ValidationFailed(fields={name: _("Give a whole number.")})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={name: _("Give a whole number.")}) from None
    if number != value and str(number) != str(value).strip():
        raise ValidationFailed(fields={name: _("Give a whole number.")})
    if not low <= number <= high:
        raise ValidationFailed(fields={name: _("Give a number from %(low)d to %(high)d.")
                                       % {"low": low, "high": high}})
    return number


def _retention(value: Any, name: str) -> int | None:
    return _whole_number(value, name, *RETENTION_DAYS, empty=True)


def do_set_policy(actor: Any, *, default_retention_days: int | None, recall_minutes: int,
                  edit_minutes: int) -> Policy:
    """Set the museum's messaging policy: how long messages are kept by default (None:
    until deleted by hand; else 30 to 36,500 days) and for how many minutes (0 to 10,080)
    a sender may recall or edit a message. Records managers only (``PermissionDenied``);
    ``ValidationFailed`` names the field. Emits ``messaging.policy.changed.v1`` with the
    changed values before and after (nothing when nothing changed)."""
    resolved = _records_manager(actor)
    values = {
        "default_retention_days": _retention(default_retention_days, "default_retention_days"),
        "recall_minutes": _whole_number(recall_minutes, "recall_minutes", *WINDOW_MINUTES),
        "edit_minutes": _whole_number(edit_minutes, "edit_minutes", *WINDOW_MINUTES),
    }
    with transaction.atomic():
        current = services.policy()
        policy = Policy.objects.select_for_update().get(pk=current.pk)
        before = {key: getattr(policy, key) for key in values if getattr(policy, key)
                  != values[key]}
        if not before:
            return policy
        for key, value in values.items():
            setattr(policy, key, value)
        policy.updated_by_id = resolved.user_id
        policy.save()
        publish(events.PolicyChanged(
            actor_id=resolved.user_id, subject_type="messaging.policy",
            subject_id=str(policy.pk), before=before,
            after={key: values[key] for key in before}))
    return policy


def do_set_retention(actor: Any, conversation_id: int, *, retention_days: int | None,
                     legal_hold: bool) -> Conversation:
    """Set how long one conversation keeps its messages (None: the museum's default; else
    30 to 36,500 days) and whether a legal hold stops all deletion. Records managers only,
    for any conversation, which they do not thereby get to read. ``NotFound`` for an
    unknown conversation, ``ValidationFailed`` naming the field. Emits
    ``messaging.conversation.updated.v1`` with the values before and after."""
    resolved = _records_manager(actor)
    days = _retention(retention_days, "retention_days")
    if not isinstance(legal_hold, bool):
        raise ValidationFailed(fields={"legal_hold": _("Choose yes or no.")})
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(
            pk=conversation_id).first()
        if conversation is None:
            raise NotFound(_("There is no such conversation."))
        before = {"retention_days": conversation.retention_days,
                  "legal_hold": conversation.legal_hold}
        after = {"retention_days": days, "legal_hold": legal_hold}
        if before == after:
            return conversation
        conversation.retention_days, conversation.legal_hold = days, legal_hold
        conversation.save(update_fields=["retention_days", "legal_hold", "updated_at"])
        publish(events.ConversationUpdated(
            conversation_id=conversation.pk, actor_id=resolved.user_id,
            before=before, after=after, subject_type=SUBJECT,
            subject_id=str(conversation.pk)))
        live.conversation_changed(conversation.pk)
    return conversation


def _is_retention_notice(kind: str, notice: Any) -> bool:
    return kind == Message.Kind.SYSTEM and isinstance(notice, dict) \
        and notice.get("code") == "retention"


def apply_retention(now: dt.datetime) -> dict[int, int]:
    """Delete the messages of every conversation not on legal hold that are older than its
    retention (its own, else the museum's default), in batches, with everything attached:
    files (from storage too, after commit), reactions, mentions, edits, DING with its
    recipients and deliveries. A thread root stays while its thread has newer replies.
    Deleted messages leave the search index; the conversation's ``last_message_id`` is
    kept. Each conversation that lost messages gets one "retention" system line and emits
    ``messaging.retention.applied.v1``. Returns {conversation id: messages deleted}; a
    second run at the same moment deletes nothing. An earlier retention line that ages out
    is removed without counting, so an idle conversation does not get a new line each time.
    """
    default = services.policy().default_retention_days
    rows = Conversation.objects.filter(legal_hold=False)
    if default is None:
        rows = rows.filter(retention_days__isnull=False)
    deleted: dict[int, int] = {}
    for conversation_id, own in rows.order_by("pk").values_list("pk", "retention_days"):
        days = own or default
        if not days:
            continue
        count = _delete_before(conversation_id, now - timedelta(days=days))
        if count:
            deleted[conversation_id] = count
            with transaction.atomic():
                conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
                publish(events.RetentionApplied(
                    conversation_id=conversation_id, deleted=count, subject_type=SUBJECT,
                    subject_id=str(conversation_id),
                    after={"days": days, "deleted": count,
                           "before": (now - timedelta(days=days)).isoformat()}))
                services._notice(conversation, None, "retention", {"days": days})
    return deleted


def _delete_before(conversation_id: int, cutoff: dt.datetime) -> int:
    storage = Attachment._meta.get_field("file").storage
    recent_threads = Message.objects.filter(conversation_id=conversation_id,
                                            thread_root__isnull=False,
                                            created_at__gte=cutoff).values("thread_root_id")
    counted = 0
    with transaction.atomic():
        # files uploaded but never sent are the conversation's content as much as messages
        unsent = Attachment.objects.filter(conversation_id=conversation_id,
                                           message__isnull=True, uploaded_at__lt=cutoff)
        files = [name for pair in unsent.values_list("file", "preview") for name in pair
                 if name]
        if files:
            unsent.delete()
            transaction.on_commit(partial(_delete_files, storage, files))
    while True:
        with transaction.atomic():
            batch = list(Message.objects.filter(conversation_id=conversation_id,
                                                created_at__lt=cutoff)
                         .exclude(pk__in=recent_threads).order_by("id")
                         .values_list("id", "kind", "notice", "thread_root_id")[:BATCH])
            if not batch:
                break
            ids = {row[0] for row in batch}
            # replies go with their root (cascade); they are old too, or the root would stay
            replies = list(Message.objects.filter(thread_root_id__in=ids).exclude(pk__in=ids)
                           .values_list("id", "kind", "notice", "thread_root_id"))
            rows = batch + replies
            ids.update(row[0] for row in replies)
            kept_roots = Counter(root for _pk, _kind, _notice, root in rows
                                 if root is not None and root not in ids)
            files = [name for pair in Attachment.objects.filter(message_id__in=ids)
                     .values_list("file", "preview") for name in pair if name]
            Message.objects.filter(pk__in=ids).delete()
            for root, lost in kept_roots.items():
                Message.objects.filter(pk=root).update(
                    thread_reply_count=F("thread_reply_count") - lost)
            remove_documents(services.SEARCH_INDEX, sorted(ids))
            counted += sum(1 for _pk, kind, notice, _root in rows
                           if not _is_retention_notice(kind, notice))
            transaction.on_commit(partial(_delete_files, storage, files))
    return counted


def _delete_files(storage: Any, names: list[str]) -> None:
    for name in names:
        with suppress(OSError):  # a file already gone is what we wanted
            storage.delete(name)


# ---------------------------------------------------------------- export

def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _when(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value, _zone()).isoformat() if value is not None else None


@dataclass(frozen=True)
class _Cursor:
    person_id: int
    joined_after_id: int
    left_after_id: int | None
    last_read_id: int

    def belonged(self, message_id: int) -> bool:
        return self.joined_after_id < message_id and (
            self.left_after_id is None or self.left_after_id >= message_id)


class _Receipts:
    """Receipts of every message from the members' cursors, without a query per message:
    counts by bisecting the sorted join and leave points, and the unread names from the
    members whose cursor is below the message."""

    def __init__(self, cursors: list[_Cursor]) -> None:
        self.joined = sorted(c.joined_after_id for c in cursors)
        self.left = sorted(c.left_after_id for c in cursors if c.left_after_id is not None)
        self.by_read = sorted(cursors, key=lambda c: c.last_read_id)
        self.read_marks = [c.last_read_id for c in self.by_read]
        self.cursors = {c.person_id: c for c in cursors}

    def of(self, message_id: int, sender_id: int | None) -> tuple[int, int, list[int]]:
        """(read, total, unread person ids) of one message."""
        total = bisect_left(self.joined, message_id) - bisect_left(self.left, message_id)
        sender = self.cursors.get(sender_id or 0)
        if sender is not None and sender.belonged(message_id):
            total -= 1
        behind = self.by_read[:bisect_left(self.read_marks, message_id)]
        unread = [c.person_id for c in behind
                  if c.person_id != sender_id and c.belonged(message_id)]
        return total - len(unread), total, unread


class _Names:
    """Display names, looked up once per person as the export goes."""

    def __init__(self) -> None:
        self.known: dict[int, str] = {}

    def need(self, ids: Iterable[int | None]) -> None:
        wanted = sorted({pk for pk in ids if pk and pk not in self.known})
        if wanted:
            found = directory.display_names(wanted)
            self.known.update({pk: found.get(pk) or f"#{pk}" for pk in wanted})

    def __call__(self, person_id: int | None) -> str:
        return self.known.get(person_id or 0, "") if person_id else ""

    def ref(self, person_id: int | None) -> dict[str, Any] | None:
        return {"person_id": person_id, "name": self(person_id)} if person_id else None


def _chunks(rows: Iterator[Message], size: int) -> Iterator[list[Message]]:
    chunk: list[Message] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _exporter(actor: Any, conversation_id: int) -> tuple[authz.Actor, Member]:
    resolved = authz.actor_for(actor)
    if resolved.is_anonymous or resolved.user_id is None:
        raise NotFound(_("There is no such conversation, or you are not in it."))
    member = services.membership(conversation_id, resolved.user_id)
    if not may_export(member, resolved):
        raise PermissionDenied(_("Only the owner and admins of this group, or a records "
                                 "manager, export it."))
    return resolved, member


def export_data(actor: Any, conversation_id: int, *,
                now: dt.datetime | None = None) -> dict[str, Any]:
    """The conversation as the documented export structure (module docstring), with times
    as datetimes. Same rules as :func:`export_conversation`."""
    resolved, member = _exporter(actor, conversation_id)
    conversation = member.conversation
    full = authz.can(resolved, ops.RECORDS.code)
    names = _Names()
    members = list(Member.objects.filter(conversation=conversation).order_by("joined_at", "pk"))
    names.need([m.person_id for m in members] + [resolved.user_id])
    receipts = _Receipts([_Cursor(m.person_id, m.joined_after_id, m.left_after_id,
                                  m.last_read_id) for m in members])
    bots = dict(Bot.objects.filter(conversation=conversation).values_list("pk", "name"))
    title = conversation.title
    if conversation.kind == Conversation.Kind.DIRECT and not title:
        title = " · ".join(names(m.person_id) for m in members)
    messages: list[dict[str, Any]] = []
    rows = Message.objects.filter(conversation=conversation).order_by("id").iterator(
        chunk_size=BATCH)
    for chunk in _chunks(rows, BATCH):
        messages.extend(_messages(chunk, names, receipts, bots, full))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now or timezone.now(),
        "time_zone": settings.TIME_ZONE,
        "exported_by": names.ref(resolved.user_id),
        "full_record": full,
        "conversation": {
            "id": conversation.pk, "kind": conversation.kind,
            "kind_label": str(Conversation.Kind(conversation.kind).label), "title": title,
            "description": conversation.description, "created_at": conversation.created_at,
            "archived_at": conversation.archived_at,
            "retention_days": conversation.retention_days,
            "legal_hold": conversation.legal_hold,
        },
        "members": [{"person_id": m.person_id, "name": names(m.person_id), "role": m.role,
                     "joined_at": m.joined_at, "left_at": m.left_at,
                     "active": m.left_at is None} for m in members],
        "messages": messages,
    }


def _messages(chunk: list[Message], names: _Names, receipts: _Receipts, bots: dict[int, str],
              full: bool) -> list[dict[str, Any]]:
    ids = [m.pk for m in chunk]
    files: dict[int, list[dict[str, Any]]] = {}
    for message_id, name, size, content_type in Attachment.objects.filter(
            message_id__in=ids).order_by("pk").values_list("message_id", "name", "size",
                                                           "content_type"):
        files.setdefault(message_id, []).append(
            {"name": name, "size": size, "content_type": content_type})
    edits: dict[int, list[MessageEdit]] = {}
    for edit in MessageEdit.objects.filter(message_id__in=ids).order_by("at", "pk"):
        edits.setdefault(edit.message_id, []).append(edit)
    reactions: dict[int, dict[str, list[int]]] = {}
    for message_id, emoji, person_id in Reaction.objects.filter(message_id__in=ids).order_by(
            "at", "pk").values_list("message_id", "emoji", "person_id"):
        reactions.setdefault(message_id, {}).setdefault(emoji, []).append(person_id)
    dings = {d.message_id: d for d in Ding.objects.filter(message_id__in=ids)}
    recipients: dict[int, list[DingRecipient]] = {}
    for recipient in DingRecipient.objects.filter(ding__in=dings.values()).order_by("pk"):
        recipients.setdefault(recipient.ding_id, []).append(recipient)
    attempts: dict[int, list[dict[str, Any]]] = {}
    for delivery in DingDelivery.objects.filter(
            recipient__ding__in=dings.values()).order_by("at", "pk"):
        attempts.setdefault(delivery.recipient_id, []).append(
            {"channel": delivery.channel, "at": delivery.at, "ok": delivery.ok,
             "detail": delivery.detail})

    people: set[int | None] = set()
    for m in chunk:
        people.update((m.sender_id, m.recalled_by_id))
        if m.notice:
            people.update(m.notice.get("people", []))
    people.update(e.editor_id for found in edits.values() for e in found)
    people.update(pk for by_emoji in reactions.values() for found in by_emoji.values()
                  for pk in found)
    people.update(r.person_id for found in recipients.values() for r in found)
    names.need(people)

    found = []
    for m in chunk:
        history = edits.get(m.pk, [])
        recall = next((e for e in history if e.action == "recall"), None)
        ding = dings.get(m.pk)
        receipt = None
        if m.kind != Message.Kind.SYSTEM:
            read, total, unread = receipts.of(m.pk, m.sender_id)
            receipt = {"read": read, "total": total, "line": str(receipt_line(read, total)),
                       "unread": sorted((names.ref(pk) or {} for pk in unread),
                                        key=lambda ref: (ref["name"], ref["person_id"]))}
        found.append({
            "id": m.pk, "kind": m.kind, "sender": names.ref(m.sender_id),
            "bot": bots.get(m.bot_id or 0) if m.bot_id else None,
            "sent_at": m.created_at, "text": m.body,
            "notice": (notice_sentence(m.notice, names(m.sender_id), names.known)
                       if m.kind == Message.Kind.SYSTEM and m.notice else None),
            "reply_to_id": m.reply_to_id, "thread_root_id": m.thread_root_id,
            "attachments": files.get(m.pk, []),
            "edited_at": m.edited_at,
            "edits": [{"at": e.at, "editor": names.ref(e.editor_id),
                       "previous_text": e.previous_body if full else None}
                      for e in history if e.action == "edit"],
            "recalled": ({"at": m.recalled_at, "by": names.ref(m.recalled_by_id),
                          "text": (recall.previous_body if recall and full else None)}
                         if m.recalled_at else None),
            "reactions": [{"emoji": emoji, "people": [names.ref(pk) for pk in people_ids]}
                          for emoji, people_ids in reactions.get(m.pk, {}).items()],
            "receipts": receipt,
            "ding": _ding(ding, recipients.get(ding.pk, []), attempts, names) if ding else None,
        })
    return found


def _ding(ding: Ding, recipients: list[DingRecipient], attempts: dict[int, list[dict[str, Any]]],
          names: _Names) -> dict[str, Any]:
    rows = [{"person_id": r.person_id, "name": names(r.person_id),
             "confirmed_at": r.confirmed_at, "reminders_sent": r.reminders_sent,
             "attempts": attempts.get(r.pk, [])} for r in recipients]
    rows.sort(key=lambda row: (row["name"], row["person_id"]))
    return {"channels": list(ding.channels), "interval_minutes": ding.interval_minutes,
            "max_reminders": ding.max_reminders, "closed_at": ding.closed_at,
            "confirmed": sum(1 for r in recipients if r.confirmed_at is not None),
            "total": len(recipients), "recipients": rows}


def export_conversation(actor: Any, conversation_id: int, fmt: str, *,
                        now: dt.datetime | None = None) -> tuple[str, str, bytes]:
    """The conversation for the record as (file name, content type, bytes), ``fmt`` "json"
    or "pdf" (``ValidationFailed`` otherwise). Allowed to active members who own or run
    the group, either person of a direct conversation, and members holding
    ``messaging.records.manage`` (whose export is the full record). ``NotFound`` for anyone
    not in the conversation, records managers included (a stranger learns nothing);
    ``PermissionDenied`` for plain members of a group. Emits
    ``messaging.conversation.exported.v1``."""
    if fmt not in FORMATS:
        raise ValidationFailed(fields={"fmt": _("Choose PDF or JSON.")})
    data = export_data(actor, conversation_id, now=now)
    if fmt == "json":
        content = json.dumps(data, ensure_ascii=False, indent=2, default=_json_value).encode()
    else:
        content = render_pdf(data)
    stamp = timezone.localtime(data["exported_at"], _zone()).strftime("%Y%m%d-%H%M")
    filename = f"conversation-{conversation_id}-{stamp}.{fmt}"
    exporter = data["exported_by"]["person_id"]
    with transaction.atomic():
        publish(events.ConversationExported(
            conversation_id=conversation_id, format=fmt, messages=len(data["messages"]),
            actor_id=exporter, subject_type=SUBJECT, subject_id=str(conversation_id),
            after={"format": fmt, "messages": len(data["messages"]),
                   "full_record": data["full_record"]}))
    return filename, FORMATS[fmt], content


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _when(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ---------------------------------------------------------------- PDF

# As the approval records do (workflows/record.py): Helvetica for Latin text, reportlab's
# built-in CID font STSong-Light for Chinese, so nothing needs a font file or the network.
CJK_FONT: Final = "STSong-Light"
LATIN_FONT: Final = "Helvetica"
LATIN_BOLD_FONT: Final = "Helvetica-Bold"
_INK = colors.HexColor("#1f2328")
_MUTED = colors.HexColor("#4a4f57")
_RULE = colors.HexColor("#b9b2a3")
_HEAD = colors.HexColor("#efece4")

# Neither font has emoji; the PDF names the reaction instead.
REACTION_NAMES: dict[str, Any] = {
    "👍": gettext_lazy("thumbs up"), "✅": gettext_lazy("done"), "❤️": gettext_lazy("heart"),
    "😄": gettext_lazy("smile"), "🎉": gettext_lazy("celebrate"), "👀": gettext_lazy("looking"),
    "🙏": gettext_lazy("thanks"), "❓": gettext_lazy("question"),
}


def _register_cjk_font() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _latin(character: str) -> bool:
    try:
        character.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _markup(text: str, bold: bool = False) -> str:
    """Paragraph markup of plain text: escaped, Chinese runs in the CID font, breaks kept."""
    runs: list[tuple[bool, str]] = []
    for character in str(text):
        latin = _latin(character)
        if runs and runs[-1][0] == latin:
            runs[-1] = (latin, runs[-1][1] + character)
        else:
            runs.append((latin, character))
    out = "".join(escape(chunk) if latin else f'<font face="{CJK_FONT}">{escape(chunk)}</font>'
                  for latin, chunk in runs)
    out = out.replace("\n", "<br/>")
    return f"<b>{out}</b>" if bold else out


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value, _zone()).strftime("%Y-%m-%d %H:%M") if value else ""


def _size(size: int) -> str:
    if size < 1024:
        return _("%(n)d bytes") % {"n": size}
    if size < 1024 * 1024:
        return _("%(n).0f KB") % {"n": size / 1024}
    return _("%(n).1f MB") % {"n": size / 1024 / 1024}


class _Styles:
    def __init__(self) -> None:
        def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
            kw.setdefault("fontName", LATIN_FONT)
            kw.setdefault("textColor", _INK)
            return ParagraphStyle(name, fontSize=size, leading=size * 1.35, **kw)

        self.museum = style("museum", 10, textColor=_MUTED)
        self.title = style("title", 16, fontName=LATIN_BOLD_FONT, spaceAfter=2)
        self.subtitle = style("subtitle", 11, textColor=_MUTED, spaceAfter=6)
        self.heading = style("heading", 12, fontName=LATIN_BOLD_FONT, spaceBefore=10,
                             spaceAfter=4)
        self.cell = style("cell", 9)
        self.head = style("head", 8.5, fontName=LATIN_BOLD_FONT, textColor=_MUTED)
        self.byline = style("byline", 9, textColor=_MUTED, spaceBefore=6)
        self.text = style("text", 10, leftIndent=8)
        self.note = style("note", 8, textColor=_MUTED, leftIndent=8)


def _grid(rows: list[list[Flowable]], widths: list[float], *, header: bool) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, _RULE),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), _HEAD))
    table.setStyle(TableStyle(commands))
    return table


class _Document:
    def __init__(self, data: dict[str, Any], width: float) -> None:
        self.data, self.width, self.s = data, width, _Styles()

    def p(self, text: Any, style: ParagraphStyle | None = None, *, bold: bool = False
          ) -> Paragraph:
        return Paragraph(_markup(str(text), bold), style or self.s.cell)

    def story(self) -> list[Flowable]:
        data, s = self.data, self.s
        conversation = data["conversation"]
        museum = str(getattr(settings, "TAIHE_MUSEUM_NAME", "Taihe"))
        active = sum(1 for m in data["members"] if m["active"])
        facts = [
            (_("Conversation"), f"{conversation['title']} (#{conversation['id']})"),
            (_("Kind"), conversation["kind_label"]),
            (_("Members"), _("%(active)d now, %(all)d in all") % {
                "active": active, "all": len(data["members"])}),
            (_("Messages"), str(len(data["messages"]))),
            (_("Retention"), (_("%(days)d days") % {"days": conversation["retention_days"]}
                              if conversation["retention_days"] else _("museum default"))
             + (" · " + _("legal hold") if conversation["legal_hold"] else "")),
            (_("Exported by"), data["exported_by"]["name"]),
            (_("Exported at"), f"{_local(data['exported_at'])} ({data['time_zone']})"),
            (_("Full record"), _("yes: earlier and recalled texts included")
             if data["full_record"] else _("no: earlier and recalled texts left out")),
        ]
        if conversation["archived_at"]:
            facts.append((_("Archived"), _local(conversation["archived_at"])))
        story: list[Flowable] = [
            self.p(museum, s.museum), self.p(_("Conversation record"), s.title),
            self.p(conversation["title"], s.subtitle),
            _grid([[self.p(label, s.head), self.p(value)] for label, value in facts],
                  [self.width * 0.25, self.width * 0.75], header=False),
            self.p(_("Members"), s.heading), self.members(), self.p(_("Messages"), s.heading),
        ]
        for message in data["messages"]:
            story.append(KeepTogether(self.message(message)))
        if not data["messages"]:
            story.append(self.p(_("No messages."), s.note))
        return story

    def members(self) -> Table:
        s = self.s
        grid = [[self.p(_("Name"), s.head), self.p(_("Role"), s.head),
                 self.p(_("Joined"), s.head), self.p(_("Left"), s.head)]]
        for m in self.data["members"]:
            grid.append([self.p(m["name"]), self.p(str(Member.Role(m["role"]).label)),
                         self.p(_local(m["joined_at"])), self.p(_local(m["left_at"]) or "–")])
        return _grid(grid, [self.width * w for w in (0.4, 0.16, 0.22, 0.22)], header=True)

    def message(self, m: dict[str, Any]) -> list[Flowable]:
        s = self.s
        who = m["bot"] or (m["sender"]["name"] if m["sender"] else _("Taihe"))
        byline = f"#{m['id']} · {_local(m['sent_at'])} · {who}"
        if m["thread_root_id"]:
            byline += " · " + _("in the thread of #%(id)d") % {"id": m["thread_root_id"]}
        elif m["reply_to_id"]:
            byline += " · " + _("replying to #%(id)d") % {"id": m["reply_to_id"]}
        found: list[Flowable] = [self.p(byline, s.byline, bold=True)]
        if m["notice"]:
            found.append(self.p(m["notice"], s.text))
        elif m["text"]:
            found.append(self.p(m["text"], s.text))
        notes: list[str] = []
        if m["attachments"]:
            notes.append(_("Files: %(files)s") % {"files": ", ".join(
                f"{a['name']} ({_size(a['size'])})" for a in m["attachments"])})
        for edit in m["edits"]:
            line = _("Edited by %(person)s at %(time)s") % {
                "person": (edit["editor"] or {}).get("name", ""), "time": _local(edit["at"])}
            if edit["previous_text"] is not None:
                line += "; " + _("earlier text: %(text)s") % {"text": edit["previous_text"]}
            notes.append(line)
        if m["recalled"]:
            recalled = m["recalled"]
            line = _("Recalled by %(person)s at %(time)s") % {
                "person": (recalled["by"] or {}).get("name", ""),
                "time": _local(recalled["at"])}
            if recalled["text"] is not None:
                line += "; " + _("recalled text: %(text)s") % {"text": recalled["text"]}
            notes.append(line)
        for reaction in m["reactions"]:
            notes.append(_("%(reaction)s: %(people)s") % {
                "reaction": REACTION_NAMES.get(reaction["emoji"], reaction["emoji"]),
                "people": ", ".join(p["name"] for p in reaction["people"])})
        if m["receipts"]:
            line = m["receipts"]["line"]
            if m["receipts"]["unread"]:
                line += "; " + _("not read by %(people)s") % {
                    "people": ", ".join(p["name"] for p in m["receipts"]["unread"])}
            notes.append(line)
        if m["ding"]:
            notes.extend(self.ding(m["ding"]))
        found.extend(self.p(note, s.note) for note in notes)
        return found

    def ding(self, ding: dict[str, Any]) -> list[str]:
        lines = [_("DING: %(confirmed)d of %(total)d confirmed; reminders every %(minutes)d "
                   "minutes by %(channels)s") % {
            "confirmed": ding["confirmed"], "total": ding["total"],
            "minutes": ding["interval_minutes"], "channels": ", ".join(ding["channels"])}]
        for r in ding["recipients"]:
            state = (_("confirmed at %(time)s") % {"time": _local(r["confirmed_at"])}
                     if r["confirmed_at"] else _("not confirmed"))
            tries = "; ".join(
                f"{a['channel']} {_local(a['at'])} "
                + (_("delivered") if a["ok"] else _("failed"))
                + (f" ({a['detail']})" if a["detail"] else "") for a in r["attempts"])
            line = f"{r['name']}: {state}"
            if tries:
                line += " · " + _("attempts: %(attempts)s") % {"attempts": tries}
            lines.append(line)
        return lines


def render_pdf(data: dict[str, Any], *, compress: bool = True) -> bytes:
    """The export (:func:`export_data`) as A4 PDF bytes."""
    _register_cjk_font()
    buffer = io.BytesIO()
    title = data["conversation"]["title"]
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=title, author=data["exported_by"]["name"],
        creator="Taihe", subject=_("Conversation record"), invariant=1,
        pageCompression=1 if compress else 0)
    footer = _("Conversation #%(id)d · exported %(time)s") % {
        "id": data["conversation"]["id"], "time": _local(data["exported_at"])}

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(LATIN_FONT, 7.5)
        canvas.setFillColor(_MUTED)
        if all(_latin(c) for c in footer):
            canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, _("Page %(page)d") % {
            "page": doc.page})
        canvas.restoreState()

    document.build(_Document(data, document.width).story(), onFirstPage=on_page,
                   onLaterPages=on_page)
    return buffer.getvalue()
