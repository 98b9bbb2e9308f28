"""The demo museum's chat: what a week of work leaves behind.

* Department groups for every department (``departments.sync_all``), the heads owning them.
* "Spring exhibition 春季特展": the curator's working group with the conservator, the
  registrar and the educator; about a week of bilingual messages with replies, a thread on
  a hanging scroll (linked to the catalog when its demo is loaded), reactions, @mentions, an
  edit, and read cursors that leave some messages unread.
* "Museum announcements 全馆通知": the administrator's channel with everyone.
* A direct conversation between security and the conservator about last night's humidity
  alarm in the Ceramics Gallery, and the response group security opened for it, with a DING
  the conservators confirmed, all but one technician (reminded by every channel, in vain).
* The bot "Conservation alerts" (feed ``conservation.alerts``) in the conservation
  department's group, with the alarm it posted.

The DING comes from security in a response group, not in the conservation department's
group: department groups hold exactly the department's people, and security is not one of
them, so it could not post there.

Messages go through the services (so mentions, search, receipts and DING rows are what real
use makes) and are then moved back to the days they stand for. Loading is idempotent: each
conversation is looked up by its kind and title (the direct one by its pair) and left alone
when it exists, so a second ``taihe demo`` adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from taihe.kernel import context
from taihe.kernel import demo as kernel_demo
from taihe.kernel.errors import Conflict
from taihe.modules.catalog import api as catalog
from taihe.modules.directory import api as directory
from taihe.modules.messaging import bots, departments, gateways, services
from taihe.modules.messaging.models import (
    Bot,
    Conversation,
    Ding,
    DingDelivery,
    DingRecipient,
    Member,
    Message,
    MessageEdit,
    Reaction,
)

ORDER = 55
"""After the attendance (45) and approvals (50) demos; it needs only the directory's."""

SPRING = "Spring exhibition 春季特展"
ANNOUNCEMENTS = "Museum announcements 全馆通知"
ALARM_GROUP = "Humidity alarm, Ceramics Gallery 陶瓷馆湿度报警"
BOT = "Conservation alerts"
FEED = "conservation.alerts"
PAINTING_GALLERY = "TH-QD-2-G3"
LOGINS = ("admin", "hr", "conservator", "curator", "registrar", "educator", "security",
          "staff")


@dataclass(frozen=True)
class Line:
    """One message of a script: who, when (days ago, local clock), what, and in reply to
    which earlier line (``thread``: in that line's thread)."""

    key: str
    author: str
    days: int
    clock: str
    text: str
    reply_to: str | None = None
    thread: bool = False


def _moment(today: dt.date, days: int, clock: str) -> dt.datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    local = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(hour, minute),
                                tzinfo=ZoneInfo(settings.TIME_ZONE))
    return local.astimezone(dt.UTC)


class _Cast:
    def __init__(self) -> None:
        self.people = {p.username: p for p in get_user_model().objects.filter(
            username__in=LOGINS)}
        missing = [name for name in LOGINS if name not in self.people]
        if missing:
            raise RuntimeError("The messaging demo needs the directory's demo museum: "
                               "load the directory demo first.")
        self.today = timezone.localdate(timezone.now(), ZoneInfo(settings.TIME_ZONE))

    def __getitem__(self, username: str) -> Any:
        return self.people[username]

    def at(self, days: int, clock: str) -> dt.datetime:
        return _moment(self.today, days, clock)


class _Scene:
    """Plays a script into one conversation, then moves everything back in time."""

    def __init__(self, cast: _Cast, conversation: Conversation, opened: dt.datetime) -> None:
        self.cast, self.conversation, self.opened = cast, conversation, opened
        self.sent: dict[str, Message] = {}
        self.times: dict[int, dt.datetime] = {}
        self.started = timezone.now() - dt.timedelta(seconds=1)

    def play(self, lines: list[Line], *, ding: services.DingRequest | None = None,
             ding_key: str = "") -> None:
        for line in lines:
            reply = self.sent[line.reply_to].pk if line.reply_to else None
            message = services.do_send_message(
                self.cast[line.author], self.conversation.pk, line.text, reply_to_id=reply,
                in_thread=line.thread, client_key=f"demo:{line.key}",
                ding=ding if line.key == ding_key else None)
            self.sent[line.key] = message
            self.times[message.pk] = self.cast.at(line.days, line.clock)

    def react(self, key: str, who: str, emoji: str, days: int, clock: str) -> None:
        message = self.sent[key]
        services.do_react(self.cast[who], message.pk, emoji)
        Reaction.objects.filter(message=message, person=self.cast[who], emoji=emoji).update(
            at=self.cast.at(days, clock))

    def edit(self, key: str, text: str, days: int, clock: str) -> None:
        message = self.sent[key]
        with suppress(Conflict):  # a museum that allows no edits gets the first wording
            services.do_edit_message(self.cast[self._author(message)], message.pk, text)
            when = self.cast.at(days, clock)
            Message.objects.filter(pk=message.pk).update(edited_at=when)
            MessageEdit.objects.filter(message=message).update(at=when)

    def _author(self, message: Message) -> str:
        return next(name for name, person in self.cast.people.items()
                    if person.pk == message.sender_id)

    def read(self, who: str, key: str) -> None:
        services.do_mark_read(self.cast[who], self.conversation.pk, self.sent[key].pk)

    def finish(self) -> None:
        """Every message at its time; the lines Taihe wrote (created, added) and the joins
        made by this scene at the opening; cursors read when their message was sent."""
        conversation = self.conversation
        for pk, when in self.times.items():
            Message.objects.filter(pk=pk).update(created_at=when)
            Ding.objects.filter(message_id=pk).update(created_at=when)
        Message.objects.filter(conversation=conversation, kind=Message.Kind.SYSTEM,
                               created_at__gte=self.started).update(created_at=self.opened)
        Member.objects.filter(conversation=conversation, joined_at__gte=self.started).update(
            joined_at=self.opened)
        for member in Member.objects.filter(conversation=conversation,
                                            last_read_at__gte=self.started):
            Member.objects.filter(pk=member.pk).update(
                last_read_at=self.times.get(member.last_read_id, self.opened))
        last = Message.objects.filter(pk=Conversation.objects.get(
            pk=conversation.pk).last_message_id).values_list("created_at", flat=True).first()
        changes: dict[str, Any] = {"last_message_at": last}
        if conversation.created_at >= self.started:
            changes["created_at"] = self.opened
        Conversation.objects.filter(pk=conversation.pk).update(**changes)


# --- the scripts --------------------------------------------------------------------------


def _scroll_link() -> str:
    """A Markdown link to a hanging scroll in the painting gallery, when the catalog's demo
    is loaded (messaging shows it as a card); plain words otherwise."""
    place = catalog.location_by_code(PAINTING_GALLERY)
    if place is None:
        return "The hanging scroll for case 1"
    objects = sorted(catalog.objects_at(catalog.location_ids_within(place.id)))
    if not objects:
        return "The hanging scroll for case 1"
    title = catalog.object_title(objects[0], "en") or "the hanging scroll"
    return f"[{title}](/catalog/objects/{objects[0]}/)"


def spring_lines() -> list[Line]:
    return [
        Line("spring:1", "curator", 6, "09:12",
             "Welcome to the Spring exhibition group 春季特展工作群. The draft object list is "
             "in the register; let's keep everything about the show here. "
             "开幕前请大家在这里同步进度。"),
        Line("spring:2", "registrar", 6, "09:26",
             "收到。I'll pull the loan and location records for the 42 objects this week."),
        Line("spring:3", "educator", 6, "09:41",
             "Could we pick 8 objects for a family trail in the school holidays? 寒假亲子路线。"),
        Line("spring:4", "curator", 6, "10:05",
             "Yes, good idea. @educator please draft the trail by Friday and I'll review it.",
             reply_to="spring:3"),
        Line("spring:5", "conservator", 5, "14:40",
             f"书画类展品需要先做状况检查。{_scroll_link()} shows some flaking along the lower "
             "mount; I'd like to examine it in the lab before it moves."),
        Line("spring:6", "curator", 5, "14:55", "How long would the examination take?",
             reply_to="spring:5", thread=True),
        Line("spring:7", "conservator", 5, "15:10",
             "Two days in the lab, then 48 hours to acclimatise in the showcase. 大约四天。",
             reply_to="spring:5", thread=True),
        Line("spring:8", "registrar", 5, "15:18",
             "I'll book the move for Monday morning and record it in the register. 周一上午移库。",
             reply_to="spring:5", thread=True),
        Line("spring:9", "registrar", 4, "11:05",
             "Condition report forms for all 41 objects are ready in the register. "
             "借展协议已签回。"),
        Line("spring:10", "curator", 4, "11:30",
             "Showcases for the works on paper: RH 50–55 %, 50 lux at most. @conservator "
             "can you confirm with the environment team?"),
        Line("spring:11", "conservator", 4, "11:48",
             "Confirmed: the cases in the painting gallery are set to 52 % ± 3 and 50 lux. "
             "已确认。", reply_to="spring:10"),
        Line("spring:12", "educator", 3, "16:20",
             "Draft family trail: 8 objects, 45 minutes, bilingual labels. 欢迎提意见！"),
        Line("spring:13", "curator", 3, "16:41",
             "Looks good. One change: swap the bronze mirror for the hanging scroll, it tells "
             "the story better.", reply_to="spring:12"),
        Line("spring:14", "educator", 2, "09:15",
             "Updated: the scroll is in, the mirror is out. 已更新。"),
        Line("spring:15", "curator", 1, "09:05",
             "Installation schedule: the painting and jade galleries close for three days next "
             "week. 布展期间展厅闭馆，请预留时间。"),
        Line("spring:16", "registrar", 1, "09:32",
             "Couriers confirmed for Tuesday 08:30. 押运已确认。"),
    ]


def _load_spring(cast: _Cast) -> int:
    if Conversation.objects.filter(kind=Conversation.Kind.GROUP, title=SPRING).exists():
        return 0
    group = services.do_create_group(
        cast["curator"], title=SPRING,
        member_ids=[cast[name].pk for name in ("conservator", "registrar", "educator")],
        description="Planning, loans, conservation and programmes of the spring exhibition. "
                    "春季特展筹备。")
    scene = _Scene(cast, group, cast.at(6, "09:00"))
    lines = spring_lines()
    scene.play(lines)
    scene.edit("spring:9", "Condition report forms for all 42 objects are ready in the "
                           "register. 借展协议已签回。", 4, "11:07")
    scene.react("spring:1", "educator", "🎉", 6, "09:30")
    scene.react("spring:8", "curator", "✅", 5, "15:30")
    scene.react("spring:12", "registrar", "👍", 3, "16:25")
    scene.react("spring:15", "conservator", "👍", 1, "09:20")
    scene.read("conservator", "spring:16")
    scene.finish()
    return len(lines)


def _load_announcements(cast: _Cast) -> int:
    if Conversation.objects.filter(kind=Conversation.Kind.CHANNEL,
                                   title=ANNOUNCEMENTS).exists():
        return 0
    root = directory.department_by_code("museum")
    everyone = directory.members_of_department(root.id) if root else []
    admin = cast["admin"]
    channel = services.do_create_group(
        admin, title=ANNOUNCEMENTS, kind=Conversation.Kind.CHANNEL,
        member_ids=[pk for pk in everyone if pk != admin.pk],
        description="Notices for all staff from the director's office and IT. 全馆通知。")
    lines = [
        Line("news:1", "admin", 7, "08:30",
             "Welcome to Taihe chat 欢迎使用太和即时通讯. Department groups follow the org chart "
             "by themselves; this channel carries notices for the whole museum. "
             "本频道发布全馆通知。"),
        Line("news:2", "admin", 2, "17:00",
             "@all Fire drill on Thursday at 14:00: the galleries close to visitors from 13:45 "
             "to 14:30. 周四14:00消防演练，请各部门配合。"),
    ]
    scene = _Scene(cast, channel, cast.at(7, "08:00"))
    scene.play(lines)
    scene.react("news:2", "hr", "✅", 2, "17:04")
    scene.react("news:2", "staff", "👍", 2, "17:12")
    for reader in ("hr", "curator", "conservator"):
        scene.read(reader, "news:2")
    scene.finish()
    return len(lines)


def _load_direct(cast: _Cast) -> int:
    security, conservator = cast["security"], cast["conservator"]
    direct = services.do_open_direct(security, conservator.pk)
    if Message.objects.filter(conversation=direct, client_key__startswith="demo:").exists():
        return 0
    lines = [
        Line("night:1", "security", 1, "02:20",
             "Control room here 监控室: the humidity alarm in the Ceramics Gallery, case 1 went "
             "off at 02:10. The night patrol is at the case; nothing looks wet. 夜巡已到现场。"),
        Line("night:2", "conservator", 1, "02:26",
             "Thanks. Please don't open the case, I'm coming in. 请勿打开展柜，我马上到。"),
        Line("night:3", "security", 1, "02:31",
             "Understood. I've sent a DING to the response group so the environment team "
             "confirms too."),
        Line("night:4", "conservator", 1, "03:05",
             "On site. The door seal has slipped; silica gel replaced, RH is falling. "
             "密封条移位，已更换硅胶。"),
    ]
    scene = _Scene(cast, direct, cast.at(1, "02:19"))
    scene.play(lines)
    scene.react("night:4", "security", "🙏", 1, "03:07")
    scene.read("security", "night:4")
    scene.finish()
    return len(lines)


def _load_alarm(cast: _Cast) -> int:
    if Conversation.objects.filter(kind=Conversation.Kind.GROUP, title=ALARM_GROUP).exists():
        return 0
    conservation = directory.department_by_code("conservation")
    environment = directory.department_by_code("conservation-environment")
    team = sorted(directory.members_of_department(environment.id,
                                                  include_subdepartments=False)
                  ) if environment else []
    head = conservation.head_id if conservation else None
    leader = environment.head_id if environment else None
    people = list(dict.fromkeys([cast["conservator"].pk, *([head] if head else []),
                                 *([leader] if leader else []), *team]))
    security = cast["security"]
    group = services.do_create_group(
        security, title=ALARM_GROUP, member_ids=people,
        description="Response to the humidity alarm in the Ceramics Gallery, case 1. "
                    "陶瓷馆1号展柜湿度报警处置。")
    usable = gateways.available_channels()
    channels = tuple(c for c in ("in_app", "email") if c in usable) or ("in_app",)
    lines = [
        Line("alarm:1", "security", 1, "02:30",
             "DING: humidity alarm in the Ceramics Gallery, case 1: RH 68 % and rising "
             "(limit 58 %). Please confirm you have seen this. 陶瓷馆1号展柜湿度报警，请确认。"),
        Line("alarm:2", "conservator", 1, "03:10",
             "The door seal had slipped; fixed and silica gel replaced. RH back to 55 % by "
             "04:00. 已处理。", reply_to="alarm:1"),
        Line("alarm:3", "security", 1, "04:12",
             "Thanks, all. The control room has cleared the alarm. 监控室已解除报警。"),
    ]
    scene = _Scene(cast, group, cast.at(1, "02:29"))
    scene.play(lines[:1], ding=services.DingRequest(channels=channels, interval_minutes=15,
                                                   max_reminders=3), ding_key="alarm:1")
    ding = Ding.objects.get(message=scene.sent["alarm:1"])
    sent_at = cast.at(1, "02:30")
    recipients = list(DingRecipient.objects.filter(ding=ding).order_by("pk"))
    # Everyone confirms within minutes except the last technician, who was off duty: the
    # three reminders went out in vain.
    waiting = recipients[-1]
    by_id = {p.pk: p for p in get_user_model().objects.filter(
        pk__in=[r.person_id for r in recipients])}
    for minute, recipient in enumerate(recipients[:-1], start=2):
        services.do_confirm_ding(by_id[recipient.person_id], ding.message_id)
        DingRecipient.objects.filter(pk=recipient.pk).update(
            confirmed_at=sent_at + dt.timedelta(minutes=minute))
    DingDelivery.objects.filter(recipient__ding=ding).update(at=sent_at)
    for number in range(1, ding.max_reminders + 1):
        channel = list(ding.channels)[min(number, len(ding.channels) - 1)]
        delivery = DingDelivery.objects.create(recipient=waiting, channel=channel, ok=True)
        DingDelivery.objects.filter(pk=delivery.pk).update(
            at=sent_at + dt.timedelta(minutes=ding.interval_minutes * number))
    DingRecipient.objects.filter(pk=waiting.pk).update(reminders_sent=ding.max_reminders,
                                                       next_reminder_at=None)
    scene.play(lines[1:])
    for member in Member.objects.filter(conversation=group).exclude(
            person_id=waiting.person_id):
        services.do_mark_read(by_id.get(member.person_id, security), group.pk)
    scene.finish()
    return len(lines)


def _load_bot(cast: _Cast) -> int:
    conservation = directory.department_by_code("conservation")
    group = Conversation.objects.filter(
        kind=Conversation.Kind.DEPARTMENT,
        department_id=conservation.id if conservation else None).first()
    if group is None or conservation is None or conservation.head_id is None:
        return 0
    bot = Bot.objects.filter(conversation=group, name=BOT).first()
    made = 0
    if bot is None:
        head = get_user_model().objects.get(pk=conservation.head_id)
        bot, _token = bots.do_create_bot(head, group.pk, name=BOT, feeds=[FEED])
        made += 1
    if not Message.objects.filter(bot=bot).exists():
        for message in bots.post_to_feed(
                FEED, "Relative humidity 68 % in the Ceramics Gallery, case 1 (limit 58 %). "
                      "陶瓷馆1号展柜相对湿度68%，超出上限58%。"):
            if message.bot_id == bot.pk:
                when = cast.at(1, "02:10")
                Message.objects.filter(pk=message.pk).update(created_at=when)
                Conversation.objects.filter(pk=group.pk, last_message_id=message.pk).update(
                    last_message_at=when)
                made += 1
    return made


def _settle_department_groups(cast: _Cast, started: dt.datetime) -> None:
    """Groups the sync just made (only Taihe's lines in them) open with the demo's week."""
    opened = cast.at(7, "08:00")
    fresh = Conversation.objects.filter(kind=Conversation.Kind.DEPARTMENT,
                                        created_at__gte=started).exclude(
        messages__kind__in=[Message.Kind.TEXT, Message.Kind.CARD])
    for conversation in fresh:
        Message.objects.filter(conversation=conversation).update(created_at=opened)
        Member.objects.filter(conversation=conversation).update(joined_at=opened)
        last = Message.objects.filter(conversation=conversation).aggregate(
            last=Max("created_at"))["last"]
        Conversation.objects.filter(pk=conversation.pk).update(created_at=opened,
                                                               last_message_at=last)


@kernel_demo.register("messaging", order=ORDER)
def load(write: Callable[[str], None]) -> dict[str, Any]:
    """Create whatever part of the demo chat is missing (see the module docstring). Raises
    :class:`RuntimeError` when the directory's demo museum is missing."""
    cast = _Cast()
    admin = cast["admin"]
    created: dict[str, int] = {}
    with context.bound(request_id="taihe-demo", actor_id=admin.pk):
        with transaction.atomic():
            started = timezone.now() - dt.timedelta(seconds=1)
            synced = departments.sync_all()
            _settle_department_groups(cast, started)
        created["department groups"] = synced["created"]
        for name, step in (("spring", _load_spring), ("announcements", _load_announcements),
                           ("direct", _load_direct), ("alarm", _load_alarm),
                           ("bot", _load_bot)):
            with transaction.atomic():
                created[name] = step(cast)
    messages = sum(created[name] for name in ("spring", "announcements", "direct", "alarm"))
    conversations = sum(1 for name in ("spring", "announcements", "direct", "alarm")
                        if created[name])
    total = sum(created.values())
    if total:
        write(f"  created {created['department groups']} department groups, "
              f"{conversations} conversations with {messages} messages"
              + (" and the conservation alerts bot" if created["bot"] else ""))
    return {"department_groups": synced["departments"],
            "conversations": Conversation.objects.filter(title__in=[
                SPRING, ANNOUNCEMENTS, ALARM_GROUP]).count(),
            "messages": messages, "created": total}
