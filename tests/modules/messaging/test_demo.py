"""The demo chat: department groups, the spring exhibition group, the announcements channel,
the night of the humidity alarm (a direct conversation, a response group with a DING, the
conservation alerts bot), spread over the past week; loading twice adds nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from taihe.kernel import demo as kernel_demo
from taihe.modules.directory import api as directory
from taihe.modules.directory import demo as directory_demo
from taihe.modules.messaging import demo, selectors
from taihe.modules.messaging.models import (
    Bot,
    Conversation,
    Ding,
    DingDelivery,
    DingRecipient,
    Member,
    Mention,
    Message,
    MessageEdit,
    Reaction,
)

pytestmark = pytest.mark.django_db

TABLES = (Conversation, Member, Message, Mention, MessageEdit, Reaction, Ding, DingRecipient,
          DingDelivery, Bot)


@pytest.fixture
def loaded() -> dict[str, Any]:
    directory_demo.load(lambda line: None)
    lines: list[str] = []
    summary = demo.load(lines.append)
    return {"summary": summary, "lines": lines}


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def person(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def test_the_loader_runs_after_the_directory() -> None:
    orders = {entry.name: entry.order for entry in kernel_demo.loaders()}
    assert orders["directory"] < orders["attendance"] < orders["messaging"] == 55


def test_without_the_directory_demo_the_loader_says_what_is_missing() -> None:
    with pytest.raises(RuntimeError, match="directory's demo"):
        demo.load(lambda line: None)
    assert not Conversation.objects.exists()


# Loading takes a few seconds: one test looks at everything one load made.
def test_the_demo_chat(loaded: dict[str, Any]) -> None:
    now = timezone.now()
    # every open department has its group with its people, the head owning it
    open_departments = directory.departments()
    assert Conversation.objects.filter(kind="department").count() == len(open_departments) \
        == loaded["summary"]["department_groups"]
    conservation = directory.department_by_code("conservation")
    assert conservation is not None
    group = Conversation.objects.get(department_id=conservation.id)
    assert group.title == "文物保护部 · Conservation"
    members = dict(Member.objects.filter(conversation=group, left_at__isnull=True)
                   .values_list("person_id", "role"))
    assert set(members) == set(directory.members_of_department(conservation.id))
    assert [pk for pk, role in members.items() if role == "owner"] == [conservation.head_id]

    # the spring exhibition group: four colleagues, a week of bilingual talk
    spring = Conversation.objects.get(title="Spring exhibition 春季特展")
    roles = {p.username: r for p, r in ((get_user_model().objects.get(pk=m.person_id), m.role)
                                        for m in Member.objects.filter(conversation=spring))}
    assert roles == {"curator": "owner", "conservator": "member", "registrar": "member",
                     "educator": "member"}
    texts = Message.objects.filter(conversation=spring, kind="text")
    assert texts.count() == 16
    assert texts.filter(thread_root__isnull=False).count() == 3
    assert texts.filter(reply_to__isnull=False, thread_root__isnull=True).count() == 3
    assert sorted(Mention.objects.filter(message__conversation=spring)
                  .values_list("person__username", flat=True)) == ["conservator", "educator"]
    assert Reaction.objects.filter(message__conversation=spring).count() == 4
    assert list(MessageEdit.objects.filter(message__conversation=spring)
                .values_list("previous_body", flat=True)) == [
        "Condition report forms for all 41 objects are ready in the register. 借展协议已签回。"]
    # spread over the past week, in the order they were sent
    times = list(Message.objects.filter(conversation=spring).order_by("id")
                 .values_list("created_at", flat=True))
    assert all(now - moment < timezone.timedelta(days=8) for moment in times)
    assert all(moment < now - timezone.timedelta(hours=1) for moment in times)
    main = list(texts.filter(thread_root__isnull=True).order_by("id")
                .values_list("created_at", flat=True))
    assert main == sorted(main)
    spring.refresh_from_db()
    assert spring.last_message_at == main[-1]
    # the educator has not read the last two messages
    rows = {row.title: row for row in selectors.conversations_for(person("educator"))}
    assert rows["Spring exhibition 春季特展"].unread == 2

    # the announcements channel reaches everyone; only the administrator posts
    channel = Conversation.objects.get(title="Museum announcements 全馆通知", kind="channel")
    everyone = directory.members_of_department(directory.department_by_code("museum").id)
    assert Member.objects.filter(conversation=channel).count() == len(everyone)
    assert set(Message.objects.filter(conversation=channel, kind="text")
               .values_list("sender__username", flat=True)) == {"admin"}

    # security and the conservator talked in the night
    security, conservator = person("security"), person("conservator")
    direct = Conversation.objects.get(
        direct_key=":".join(str(pk) for pk in sorted([security.pk, conservator.pk])))
    assert Message.objects.filter(conversation=direct).count() == 4

    # the response group's DING: all confirmed but one, who was reminded three times
    ding = Ding.objects.get(message__conversation__title=demo.ALARM_GROUP)
    assert ding.sender_id == security.pk
    states = list(DingRecipient.objects.filter(ding=ding).order_by("pk"))
    assert [r.confirmed_at is None for r in states].count(True) == 1
    waiting = next(r for r in states if r.confirmed_at is None)
    assert (waiting.reminders_sent, waiting.next_reminder_at) == (3, None)
    assert DingDelivery.objects.filter(recipient=waiting).count() == 4
    assert conservator.pk in [r.person_id for r in states if r.confirmed_at]
    _ding, status = selectors.ding_status_for(security, ding.message_id)
    assert [s.confirmed_at is None for s in status].count(True) == 1

    # the conservation alerts bot posted the alarm to the conservation group
    bot = Bot.objects.get(conversation=group)
    assert (bot.name, bot.feeds) == ("Conservation alerts", ["conservation.alerts"])
    assert Message.objects.filter(bot=bot).count() == 1

    # every message was sent by a demo sign-in or a colleague, none in the future
    assert not Message.objects.filter(created_at__gt=now).exists()
    assert Counter(Conversation.objects.values_list("kind", flat=True)) == {
        "department": len(open_departments), "group": 2, "channel": 1, "direct": 1}
    assert loaded["summary"]["created"] == len(open_departments) + 16 + 2 + 4 + 3 + 2
    assert loaded["lines"] == [
        f"  created {len(open_departments)} department groups, 4 conversations with 25 "
        "messages and the conservation alerts bot"]


def test_loading_again_changes_nothing(loaded: dict[str, Any]) -> None:
    before = counts()
    stamps = list(Message.objects.order_by("id").values_list("id", "created_at"))
    lines: list[str] = []
    summary = demo.load(lines.append)
    assert (summary["created"], summary["messages"], lines) == (0, 0, [])
    assert counts() == before
    assert list(Message.objects.order_by("id").values_list("id", "created_at")) == stamps


def test_with_the_catalog_demo_the_scroll_is_a_link_to_the_object() -> None:
    # given the directory and a small part of the catalog's demo register
    from taihe.modules.catalog import api as catalog
    from taihe.modules.catalog import demo as catalog_demo

    directory_demo.load(lambda line: None)
    catalog_demo.load_collection(lambda line: None, objects=120, images=0)
    gallery = catalog.location_by_code(demo.PAINTING_GALLERY)
    assert gallery is not None
    first = min(catalog.objects_at(catalog.location_ids_within(gallery.id)))
    # when the chat demo is loaded
    demo.load(lambda line: None)
    # then the conservator's message links that object, which chat shows as a card
    message = Message.objects.get(client_key="demo:spring:5")
    assert f"](/catalog/objects/{first}/)" in message.body
    assert message.links == [{"kind": "catalog.object", "ref": str(first)}]
