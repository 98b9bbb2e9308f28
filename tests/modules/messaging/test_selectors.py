"""Reads of messaging: the conversation list with its counts, receipts, DING state, search,
always limited to what the reader is an active member of."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from taihe.kernel.errors import NotFound, ValidationFailed
from taihe.kernel.realtime import presence
from taihe.modules.messaging import selectors, services
from taihe.modules.messaging.models import DingDelivery, DingRecipient, Member, Message
from taihe.modules.messaging.services import DingRequest


@pytest.fixture(autouse=True)
def _gateways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("taihe.modules.messaging.gateways.available_channels",
                        lambda: {"in_app", "email"})


def _rows(actor: Any, query: str = "") -> list[tuple[str, int, int]]:
    return [(r.title, r.unread, r.mentions) for r in selectors.conversations_for(actor,
                                                                                 query=query)]


def _rewind(conversation: Any, person: Any) -> None:
    """As if the person had read nothing (their own later messages then lie past it)."""
    Member.objects.filter(conversation=conversation, person=person).update(last_read_id=0)


# ---------------------------------------------------------------- the conversation list

def test_conversations_are_listed_pinned_first_then_newest(
        li: Any, zhang: Any, wang: Any) -> None:
    older = services.do_create_group(li, title="Older", member_ids=[zhang.pk])
    newer = services.do_create_group(li, title="Newer", member_ids=[zhang.pk])
    direct = services.do_open_direct(li, zhang.pk)
    services.do_send_message(zhang, direct.pk, "Morning")
    services.do_send_message(zhang, older.pk, "Latest of all")

    assert [r.id for r in selectors.conversations_for(li)] == [older.pk, direct.pk, newer.pk]

    services.do_set_member_settings(li, newer.pk, pinned=True)
    rows = selectors.conversations_for(li)
    assert [r.id for r in rows] == [newer.pk, older.pk, direct.pk]
    assert [r.pinned for r in rows] == [True, False, False]
    # Pins are one's own: Zhang's list keeps the plain order.
    assert [r.id for r in selectors.conversations_for(zhang)] == [
        older.pk, direct.pk, newer.pk]
    assert selectors.conversations_for(wang) == []


def test_a_direct_conversation_is_titled_with_the_other_person(li: Any, zhang: Any) -> None:
    direct = services.do_open_direct(li, zhang.pk)
    services.do_send_message(li, direct.pk, "Hi")

    row = selectors.conversations_for(zhang)[0]
    assert (row.id, row.kind, row.title, row.other_person_id, row.member_count) == (
        direct.pk, "direct", "Li Wei", li.pk, 2)
    assert (row.last_excerpt, row.last_sender_name, row.unread) == ("Hi", "Li Wei", 1)
    assert [r.id for r in selectors.conversations_for(zhang, query="li w")] == [direct.pk]
    assert selectors.conversations_for(zhang, query="paper") == []


def test_unread_counts_leave_out_own_system_thread_and_recalled_messages(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    first = services.do_send_message(li, group.pk, "One")
    services.do_send_message(li, group.pk, "Two")
    services.do_send_message(li, group.pk, "In a thread", reply_to_id=first.pk, in_thread=True)
    recalled = services.do_send_message(wang, group.pk, "Oops")
    services.do_recall_message(wang, recalled.pk)
    services.do_send_message(zhang, group.pk, "My own")
    services.do_update_conversation(li, group.pk, title="Paper lab 2")  # a system notice
    _rewind(group, zhang)

    assert _rows(zhang) == [("Paper lab 2", 2, 0)]
    assert selectors.unread_total(zhang.pk) == 2


def test_reading_clears_the_unread_count(group: Any, li: Any, zhang: Any) -> None:
    services.do_send_message(li, group.pk, "One")
    services.do_send_message(li, group.pk, "Two @zhang")
    assert _rows(zhang) == [("Paper lab", 2, 1)]

    services.do_mark_read(zhang, group.pk)
    assert _rows(zhang) == [("Paper lab", 0, 0)]
    assert selectors.unread_total(zhang.pk) == 0


def test_mention_counts_cover_names_and_at_all_but_not_recalls_or_others(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    services.do_send_message(li, group.pk, "@zhang check the scroll")
    services.do_send_message(li, group.pk, "@wang check the frame")
    services.do_send_message(li, group.pk, "@all meeting at 3")
    recalled = services.do_send_message(li, group.pk, "@zhang never mind")
    services.do_recall_message(li, recalled.pk)

    assert _rows(zhang) == [("Paper lab", 3, 2)]
    assert _rows(wang) == [("Paper lab", 3, 2)]
    assert _rows(li) == [("Paper lab", 0, 0)]


def test_a_mention_in_a_thread_is_cleared_by_reading(group: Any, li: Any, zhang: Any) -> None:
    root = services.do_send_message(li, group.pk, "Which glue?")
    services.do_send_message(zhang, group.pk, "@li wheat starch", reply_to_id=root.pk,
                             in_thread=True)
    services.do_mark_read(li, group.pk)
    assert _rows(li) == [("Paper lab", 0, 0)]


def test_the_unread_total_leaves_muted_conversations_out(
        group: Any, li: Any, zhang: Any) -> None:
    quiet = services.do_create_group(li, title="Chatter", member_ids=[zhang.pk])
    services.do_send_message(li, group.pk, "Important")
    services.do_send_message(li, quiet.pk, "Cat pictures")
    services.do_send_message(li, quiet.pk, "More cat pictures")
    assert selectors.unread_total(zhang.pk) == 3

    services.do_set_member_settings(zhang, quiet.pk, muted=True)
    assert selectors.unread_total(zhang.pk) == 1
    # The list still shows the muted conversation's own count.
    assert sorted(_rows(zhang)) == [("Chatter", 2, 0), ("Paper lab", 1, 0)]


def test_left_conversations_leave_the_list_and_count_nothing(
        group: Any, li: Any, wang: Any) -> None:
    services.do_send_message(li, group.pk, "Before")
    services.do_leave(wang, group.pk)
    services.do_send_message(li, group.pk, "After")
    assert selectors.conversations_for(wang) == []
    assert selectors.unread_total(wang.pk) == 0


def test_someone_without_chat_access_sees_nothing(outsider: Any) -> None:
    with pytest.raises(NotFound):
        selectors.conversations_for(outsider)


# ---------------------------------------------------------------- members and messages

def test_members_are_listed_by_role_with_presence(
        group: Any, li: Any, zhang: Any, wang: Any, member: Any) -> None:
    services.do_set_role(li, group.pk, wang.pk, "admin")
    presence.touch(zhang.pk)

    rows = selectors.members_of(zhang, group.pk)
    assert [(r.name, r.role, r.online) for r in rows] == [
        ("Li Wei", "owner", False), ("Wang Fang", "admin", False),
        ("Zhang Min", "member", True)]
    with pytest.raises(NotFound):
        selectors.members_of(member, group.pk)


def test_messages_are_paged_in_id_order(group: Any, li: Any, zhang: Any, member: Any) -> None:
    notice = Message.objects.get(conversation=group)
    sent = [services.do_send_message(li, group.pk, f"m{n}").pk for n in range(5)]

    assert [m.pk for m in selectors.messages_for(zhang, group.pk, limit=2)] == sent[3:]
    assert [m.pk for m in selectors.messages_for(zhang, group.pk, before=sent[3], limit=2)] \
        == sent[1:3]
    assert [m.pk for m in selectors.messages_for(zhang, group.pk, after=notice.pk, limit=2)] \
        == sent[:2]
    with pytest.raises(ValidationFailed) as bad:
        selectors.messages_for(zhang, group.pk, limit=201)
    assert set(bad.value.fields) == {"limit"}
    with pytest.raises(NotFound):
        selectors.messages_for(member, group.pk)
    with pytest.raises(NotFound):
        selectors.message_for(member, sent[0])


# ---------------------------------------------------------------- receipts

def test_receipts_count_those_who_belonged_when_the_message_was_sent(
        group: Any, li: Any, zhang: Any, wang: Any, member: Any) -> None:
    before = services.do_send_message(li, group.pk, "Before the changes")
    services.do_mark_read(zhang, group.pk)
    services.do_add_members(li, group.pk, [member.pk])
    services.do_leave(wang, group.pk)
    after = services.do_send_message(li, group.pk, "After the changes")

    receipts = selectors.receipts_for(li, before.pk)
    assert [(r.person_id, r.read) for r in receipts] == [(wang.pk, False), (zhang.pk, True)]
    assert receipts[1].read_at is not None and receipts[0].read_at is None
    assert [(r.person_id, r.read) for r in selectors.receipts_for(zhang, after.pk)] == [
        (member.pk, False), (zhang.pk, False)]
    with pytest.raises(NotFound):
        selectors.receipts_for(wang, before.pk)


def test_a_person_who_left_after_reading_stays_read(group: Any, li: Any, wang: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Read me")
    services.do_mark_read(wang, group.pk)
    services.do_leave(wang, group.pk)
    assert [(r.name, r.read) for r in selectors.receipts_for(li, sent.pk)] == [
        ("Zhang Min", False), ("Wang Fang", True)]


# ---------------------------------------------------------------- DING state

def _ding_with_attempts(group: Any, li: Any, zhang: Any, wang: Any) -> Message:
    sent = services.do_send_message(li, group.pk, "Leak in store 2",
                                    ding=DingRequest(channels=("email",)))
    recipient = DingRecipient.objects.get(ding__message=sent, person=zhang)
    DingDelivery.objects.create(recipient=recipient, channel="email", ok=False,
                                detail="mailbox full")
    services.do_confirm_ding(wang, sent.pk)
    return sent


def _deliveries(sent: Message, person: Any) -> list[tuple[str, bool, str]]:
    """Every attempt recorded for the person (announcing the DING may add in-app ones)."""
    return list(DingDelivery.objects.filter(recipient__ding__message=sent,
                                            recipient__person=person)
                .order_by("at", "pk").values_list("channel", "ok", "detail"))


def test_the_sender_sees_every_reminder_sent(group: Any, li: Any, zhang: Any, wang: Any) -> None:
    sent = _ding_with_attempts(group, li, zhang, wang)

    ding, states = selectors.ding_status_for(li, sent.pk)
    assert ding.channels == ["in_app", "email"]
    assert [(s.person_id, s.read, s.confirmed_at is not None) for s in states] == [
        (zhang.pk, False, False), (wang.pk, True, True)]
    attempts = [(a.channel, a.ok, a.detail) for a in states[0].attempts]
    assert attempts == _deliveries(sent, zhang)
    assert attempts[-1] == ("email", False, "mailbox full")
    assert states[0].next_reminder_at is not None
    assert states[1].next_reminder_at is None  # confirmed: no more reminders


def test_members_see_who_confirmed_but_not_the_delivery_detail(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    sent = _ding_with_attempts(group, li, zhang, wang)

    _ding, states = selectors.ding_status_for(zhang, sent.pk)
    assert [(s.person_id, s.confirmed_at is not None, s.attempts, s.next_reminder_at)
            for s in states] == [(zhang.pk, False, [], None), (wang.pk, True, [], None)]

    services.do_set_role(li, group.pk, zhang.pk, "admin")
    _ding, states = selectors.ding_status_for(zhang, sent.pk)
    assert [(a.channel, a.ok, a.detail) for a in states[0].attempts] == _deliveries(sent, zhang)


def test_ding_state_of_a_plain_message_or_for_a_stranger_is_not_found(
        group: Any, li: Any, member: Any) -> None:
    plain = services.do_send_message(li, group.pk, "Not urgent")
    with pytest.raises(NotFound):
        selectors.ding_status_for(li, plain.pk)
    urgent = services.do_send_message(li, group.pk, "Urgent", ding=DingRequest())
    with pytest.raises(NotFound):
        selectors.ding_status_for(member, urgent.pk)


# ---------------------------------------------------------------- search

def test_search_finds_chinese_words_inside_longer_runs(group: Any, li: Any, zhang: Any) -> None:
    hit = services.do_send_message(li, group.pk, "东展厅湿度报警，请马上处理")
    services.do_send_message(li, group.pk, "西展厅温度正常")

    assert [m.pk for m in selectors.search_for(zhang, "湿度报警")] == [hit.pk]
    assert [m.pk for m in selectors.search_for(zhang, "报警")] == [hit.pk]
    assert selectors.search_for(zhang, "火灾") == []


def test_search_finds_english_words_newest_first(group: Any, li: Any, zhang: Any) -> None:
    first = services.do_send_message(li, group.pk, "The East Gallery closes early")
    second = services.do_send_message(zhang, group.pk, "east gallery reopened")
    services.do_send_message(li, group.pk, "West wing")

    assert [m.pk for m in selectors.search_for(zhang, "gallery")] == [second.pk, first.pk]
    assert [m.pk for m in selectors.search_for(zhang, "GALLERY east")] == [second.pk, first.pk]


def test_search_is_limited_to_the_readers_current_conversations(
        group: Any, li: Any, zhang: Any, wang: Any, member: Any) -> None:
    mine = services.do_send_message(li, group.pk, "Humidity in store 2")
    private = services.do_create_group(li, title="Private", member_ids=[member.pk])
    secret = services.do_send_message(li, private.pk, "Humidity in store 3")

    assert [m.pk for m in selectors.search_for(zhang, "humidity")] == [mine.pk]
    assert [m.pk for m in selectors.search_for(li, "humidity")] == [secret.pk, mine.pk]
    assert [m.pk for m in selectors.search_for(li, "humidity",
                                               conversation_id=group.pk)] == [mine.pk]
    with pytest.raises(NotFound):
        selectors.search_for(zhang, "humidity", conversation_id=private.pk)

    services.do_leave(wang, group.pk)
    assert selectors.search_for(wang, "humidity") == []


def test_search_without_a_term_finds_nothing(group: Any, li: Any, zhang: Any) -> None:
    services.do_send_message(li, group.pk, "Anything")
    assert selectors.search_for(zhang, "  ") == []


# ---------------------------------------------------------------- open groups

def test_open_groups_lists_joinable_groups_one_is_not_in(
        li: Any, zhang: Any, member: Any) -> None:
    open_one = services.do_create_group(li, title="Book club", member_ids=[], join_rule="open")
    services.do_create_group(li, title="Invite only", member_ids=[])
    archived = services.do_create_group(li, title="Book archive", member_ids=[],
                                        join_rule="open")
    type(archived).objects.filter(pk=archived.pk).update(archived_at=timezone.now())

    assert [c.pk for c in selectors.open_groups_for(member)] == [open_one.pk]
    assert [c.pk for c in selectors.open_groups_for(member, "book")] == [open_one.pk]
    assert selectors.open_groups_for(li) == []
