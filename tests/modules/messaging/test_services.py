"""The write path of messaging: conversations, membership rules, messages, reactions, read
cursors and DING, each rule tested from the side that must be refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from taihe.kernel.authz.actor import forget_actor
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.search import match_ids
from taihe.kernel.testing.events import captured_events
from taihe.modules.messaging import selectors, services
from taihe.modules.messaging.models import (
    Attachment,
    Conversation,
    Ding,
    DingRecipient,
    Member,
    Mention,
    Message,
    MessageEdit,
    Reaction,
)
from taihe.modules.messaging.services import DingRequest

KIND = Conversation.Kind


@pytest.fixture(autouse=True)
def _gateways(monkeypatch: pytest.MonkeyPatch) -> None:
    """The museum has set up in-app and email reminders, nothing else."""
    monkeypatch.setattr("taihe.modules.messaging.gateways.available_channels",
                        lambda: {"in_app", "email"})


def _members(conversation_id: int) -> dict[int, str]:
    return dict(Member.objects.filter(conversation_id=conversation_id, left_at__isnull=True)
                .values_list("person_id", "role"))


def _notices(conversation_id: int) -> list[dict[str, Any]]:
    return list(Message.objects.filter(conversation_id=conversation_id,
                                       kind=Message.Kind.SYSTEM)
                .order_by("id").values_list("notice", flat=True))


def _archive(conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(archived_at=timezone.now())


def _department_group(li: Any, zhang: Any, department: Any) -> Conversation:
    conversation = Conversation.objects.create(kind=KIND.DEPARTMENT, title="Paper lab (dept)",
                                               department_id=department.pk)
    Member.objects.create(conversation=conversation, person=li, role=Member.Role.ADMIN)
    Member.objects.create(conversation=conversation, person=zhang)
    return conversation


def _upload(conversation: Conversation, person: Any, name: str = "scan.pdf") -> Attachment:
    return Attachment.objects.create(conversation=conversation, uploaded_by=person,
                                     file="messaging/x.pdf", name=name,
                                     content_type="application/pdf", size=10)


# ---------------------------------------------------------------- direct conversations

def test_opening_a_direct_conversation_twice_from_either_side_gives_the_same_one(
        li: Any, zhang: Any) -> None:
    first = services.do_open_direct(li, zhang.pk)
    again = services.do_open_direct(li, zhang.pk)
    reverse = services.do_open_direct(zhang, li.pk)

    assert again.pk == first.pk and reverse.pk == first.pk
    assert first.kind == KIND.DIRECT
    assert first.direct_key == f"{min(li.pk, zhang.pk)}:{max(li.pk, zhang.pk)}"
    assert Conversation.objects.filter(kind=KIND.DIRECT).count() == 1
    assert _members(first.pk) == {li.pk: "member", zhang.pk: "member"}


def test_a_direct_conversation_with_oneself_or_an_inactive_person_is_refused(
        li: Any, zhang: Any) -> None:
    with pytest.raises(ValidationFailed) as own:
        services.do_open_direct(li, li.pk)
    assert set(own.value.fields) == {"person_id"}

    zhang.is_active = False
    zhang.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed) as gone:
        services.do_open_direct(li, zhang.pk)
    assert set(gone.value.fields) == {"person_id"}
    assert Conversation.objects.count() == 0


def test_someone_without_chat_access_cannot_open_a_conversation(outsider: Any, li: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_open_direct(outsider, li.pk)
    assert Conversation.objects.count() == 0


def test_a_direct_conversation_closes_when_the_other_person_leaves_the_museum(
        li: Any, zhang: Any) -> None:
    direct = services.do_open_direct(li, zhang.pk)
    zhang.is_active = False
    zhang.save(update_fields=["is_active"])

    with pytest.raises(Conflict):
        services.do_send_message(li, direct.pk, "Are you there?")
    assert Message.objects.filter(conversation=direct).count() == 0


def test_a_direct_conversation_cannot_be_left_or_have_members_added(
        li: Any, zhang: Any, wang: Any) -> None:
    direct = services.do_open_direct(li, zhang.pk)
    with pytest.raises(Conflict):
        services.do_leave(li, direct.pk)
    with pytest.raises(Conflict):
        services.do_add_members(li, direct.pk, [wang.pk])
    assert _members(direct.pk) == {li.pk: "member", zhang.pk: "member"}


# ---------------------------------------------------------------- groups and channels

def test_creating_a_group_makes_the_creator_owner_and_posts_a_notice(
        li: Any, zhang: Any, wang: Any) -> None:
    with captured_events() as events:
        group = services.do_create_group(li, title="  Paper lab  ",
                                         member_ids=[zhang.pk, wang.pk, li.pk])

    assert (group.kind, group.title, group.join_rule) == (KIND.GROUP, "Paper lab", "invite")
    assert _members(group.pk) == {li.pk: "owner", zhang.pk: "member", wang.pk: "member"}
    assert _notices(group.pk) == [{"code": "created", "title": "Paper lab"}]
    group.refresh_from_db()
    notice = Message.objects.get(conversation=group)
    assert group.last_message_id == notice.pk
    assert [e.name for e in events] == ["messaging.conversation.created.v1",
                                        "messaging.members.changed.v1"]
    assert sorted(events[1].payload["added"]) == sorted([li.pk, zhang.pk, wang.pk])


def test_a_group_needs_a_name_and_existing_people(li: Any, zhang: Any) -> None:
    with pytest.raises(ValidationFailed) as untitled:
        services.do_create_group(li, title="   ", member_ids=[zhang.pk])
    assert set(untitled.value.fields) == {"title"}
    with pytest.raises(ValidationFailed) as long:
        services.do_create_group(li, title="x" * 121, member_ids=[zhang.pk])
    assert set(long.value.fields) == {"title"}
    with pytest.raises(ValidationFailed) as nobody:
        services.do_create_group(li, title="Lab", member_ids=[zhang.pk, 999999])
    assert nobody.value.fields == {"member_ids": "No active person has the id 999999."}
    with pytest.raises(ValidationFailed) as kind:
        services.do_create_group(li, title="Lab", member_ids=[], kind=KIND.DIRECT)
    assert set(kind.value.fields) == {"kind"}
    with pytest.raises(ValidationFailed) as rule:
        services.do_create_group(li, title="Lab", member_ids=[], join_rule="anyone")
    assert set(rule.value.fields) == {"join_rule"}
    assert Conversation.objects.count() == 0


def test_only_channel_managers_create_announcement_channels(
        li: Any, zhang: Any, admin_person: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_create_group(li, title="News", member_ids=[zhang.pk], kind=KIND.CHANNEL)
    assert Conversation.objects.count() == 0

    channel = services.do_create_group(admin_person, title="News", member_ids=[zhang.pk],
                                       kind=KIND.CHANNEL)
    assert channel.kind == KIND.CHANNEL
    assert _members(channel.pk) == {admin_person.pk: "owner", zhang.pk: "member"}


def test_only_managers_post_in_an_announcement_channel(
        li: Any, zhang: Any, admin_person: Any) -> None:
    channel = services.do_create_group(admin_person, title="News", member_ids=[li.pk, zhang.pk],
                                       kind=KIND.CHANNEL)
    with pytest.raises(PermissionDenied):
        services.do_send_message(zhang, channel.pk, "Can I post here?")
    assert not Message.objects.filter(conversation=channel, kind="text").exists()

    services.do_set_role(admin_person, channel.pk, li.pk, "admin")
    posted = services.do_send_message(li, channel.pk, "Gallery 3 closes at noon")
    assert posted.sender_id == li.pk


def test_updating_a_group_is_for_managers_and_renaming_posts_a_notice(
        group: Any, li: Any, zhang: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_update_conversation(zhang, group.pk, title="Mine now")
    with pytest.raises(ValidationFailed) as unknown:
        services.do_update_conversation(li, group.pk, kind="channel")
    assert set(unknown.value.fields) == {"kind"}

    with captured_events() as events:
        updated = services.do_update_conversation(li, group.pk, title="Paper conservation",
                                                  members_may_mention_all=True)
    assert (updated.title, updated.members_may_mention_all) == ("Paper conservation", True)
    assert _notices(group.pk)[-1] == {"code": "renamed", "title": "Paper conservation"}
    assert [e.name for e in events] == ["messaging.conversation.updated.v1"]
    assert events[0].payload["before"] == {"title": "Paper lab",
                                           "members_may_mention_all": False}


def test_a_stranger_cannot_tell_a_group_exists(group: Any, li: Any, member: Any) -> None:
    with pytest.raises(NotFound):
        services.do_update_conversation(member, group.pk, title="x")
    with pytest.raises(NotFound):
        services.do_send_message(member, group.pk, "hello")
    with pytest.raises(NotFound):
        services.do_mark_read(member, group.pk)
    with pytest.raises(NotFound):
        services.do_add_members(member, group.pk, [member.pk])


# ---------------------------------------------------------------- membership

def test_invite_only_groups_are_added_to_by_managers_only(
        group: Any, li: Any, zhang: Any, member: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_add_members(zhang, group.pk, [member.pk])
    assert member.pk not in _members(group.pk)

    with captured_events() as events:
        added = services.do_add_members(li, group.pk, [member.pk, zhang.pk])
    assert added == [member.pk]
    assert _members(group.pk)[member.pk] == "member"
    assert _notices(group.pk)[-1] == {"code": "added", "people": [member.pk]}
    assert [(e.name, e.payload["added"]) for e in events] == [
        ("messaging.members.changed.v1", [member.pk])]


def test_anyone_in_an_open_group_may_add_and_staff_may_join(
        li: Any, zhang: Any, wang: Any, member: Any) -> None:
    group = services.do_create_group(li, title="Open lab", member_ids=[zhang.pk],
                                     join_rule="open")
    assert services.do_add_members(zhang, group.pk, [wang.pk]) == [wang.pk]

    services.do_join(member, group.pk)
    assert _members(group.pk)[member.pk] == "member"
    assert _notices(group.pk)[-1] == {"code": "joined"}
    added_notice = Message.objects.filter(conversation=group).order_by("id")[1]
    assert added_notice.notice == {"code": "added", "people": [wang.pk]}
    joined = Member.objects.get(conversation=group, person=member)
    assert (joined.joined_after_id, joined.last_read_id) == (added_notice.pk, added_notice.pk)

    services.do_join(member, group.pk)  # joining twice changes nothing
    assert _notices(group.pk)[-1] == {"code": "joined"}
    assert len(_notices(group.pk)) == 3


def test_invite_only_and_archived_groups_cannot_be_joined(
        group: Any, li: Any, member: Any) -> None:
    with pytest.raises(NotFound):
        services.do_join(member, group.pk)
    open_group = services.do_create_group(li, title="Open", member_ids=[], join_rule="open")
    _archive(open_group)
    with pytest.raises(NotFound):
        services.do_join(member, open_group.pk)
    assert member.pk not in _members(open_group.pk)


def test_the_owner_hands_the_group_over_before_leaving(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    with pytest.raises(Conflict):
        services.do_leave(li, group.pk)
    assert _members(group.pk)[li.pk] == "owner"

    services.do_set_role(li, group.pk, zhang.pk, "owner")
    assert _members(group.pk) == {li.pk: "admin", zhang.pk: "owner", wang.pk: "member"}
    services.do_leave(li, group.pk)
    assert li.pk not in _members(group.pk)
    assert _notices(group.pk)[-1] == {"code": "left"}


def test_an_owner_alone_may_leave(li: Any) -> None:
    alone = services.do_create_group(li, title="Notes", member_ids=[])
    services.do_leave(li, alone.pk)
    assert _members(alone.pk) == {}


def test_leaving_records_the_last_message_and_clears_pin_and_draft(
        group: Any, li: Any, wang: Any) -> None:
    services.do_set_member_settings(wang, group.pk, pinned=True, draft="half a thought")
    last = services.do_send_message(li, group.pk, "Last words")

    services.do_leave(wang, group.pk)

    row = Member.objects.get(conversation=group, person=wang)
    assert (row.left_after_id, row.pinned, row.draft) == (last.pk, False, "")
    with pytest.raises(NotFound):
        services.do_send_message(wang, group.pk, "Still here?")


def test_admins_remove_members_but_not_admins_and_nobody_removes_the_owner(
        group: Any, li: Any, zhang: Any, wang: Any, member: Any) -> None:
    services.do_add_members(li, group.pk, [member.pk])
    services.do_set_role(li, group.pk, zhang.pk, "admin")
    services.do_set_role(li, group.pk, wang.pk, "admin")

    with pytest.raises(PermissionDenied):
        services.do_remove_member(zhang, group.pk, wang.pk)
    with pytest.raises(Conflict):
        services.do_remove_member(zhang, group.pk, li.pk)
    with pytest.raises(ValidationFailed) as stranger:
        services.do_remove_member(zhang, group.pk, 999999)
    assert set(stranger.value.fields) == {"person_id"}
    assert set(_members(group.pk)) == {li.pk, zhang.pk, wang.pk, member.pk}

    services.do_remove_member(zhang, group.pk, member.pk)
    services.do_remove_member(li, group.pk, wang.pk)
    assert _members(group.pk) == {li.pk: "owner", zhang.pk: "admin"}
    assert _notices(group.pk)[-2:] == [{"code": "removed", "people": [member.pk]},
                                       {"code": "removed", "people": [wang.pk]}]


def test_a_plain_member_removes_nobody(group: Any, zhang: Any, wang: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_remove_member(zhang, group.pk, wang.pk)
    assert wang.pk in _members(group.pk)


def test_roles_are_changed_by_the_owner_only(group: Any, li: Any, zhang: Any, wang: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_set_role(zhang, group.pk, wang.pk, "admin")
    with pytest.raises(ValidationFailed) as bad:
        services.do_set_role(li, group.pk, wang.pk, "king")
    assert set(bad.value.fields) == {"role"}
    with pytest.raises(ValidationFailed) as own:
        services.do_set_role(li, group.pk, li.pk, "member")
    assert set(own.value.fields) == {"person_id"}

    with captured_events() as events:
        services.do_set_role(li, group.pk, wang.pk, "admin")
    assert _members(group.pk)[wang.pk] == "admin"
    assert events[0].payload["before"] == {"person_id": wang.pk, "role": "member"}
    assert events[0].payload["after"] == {"person_id": wang.pk, "role": "admin"}


def test_a_direct_conversation_has_no_roles_to_give(li: Any, admin_person: Any) -> None:
    direct = services.do_open_direct(admin_person, li.pk)
    with pytest.raises(Conflict):
        services.do_set_role(admin_person, direct.pk, li.pk, "owner")
    assert _members(direct.pk) == {li.pk: "member", admin_person.pk: "member"}


def test_department_groups_are_not_left_or_edited_by_hand(
        li: Any, zhang: Any, wang: Any, museum: dict[str, Any]) -> None:
    department = _department_group(li, zhang, museum["lab"])

    with pytest.raises(Conflict):
        services.do_leave(zhang, department.pk)
    with pytest.raises(Conflict):
        services.do_add_members(li, department.pk, [wang.pk])
    with pytest.raises(Conflict):
        services.do_remove_member(li, department.pk, zhang.pk)
    with pytest.raises(NotFound):
        services.do_join(wang, department.pk)
    assert _members(department.pk) == {li.pk: "admin", zhang.pk: "member"}


def test_an_archived_conversation_refuses_every_change(
        group: Any, li: Any, zhang: Any, member: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Before the archive")
    _archive(group)
    before = Message.objects.count()

    for attempt in (
        lambda: services.do_send_message(li, group.pk, "After"),
        lambda: services.do_edit_message(li, sent.pk, "Changed"),
        lambda: services.do_recall_message(li, sent.pk),
        lambda: services.do_update_conversation(li, group.pk, title="New"),
        lambda: services.do_add_members(li, group.pk, [member.pk]),
        lambda: services.do_remove_member(li, group.pk, zhang.pk),
        lambda: services.do_set_role(li, group.pk, zhang.pk, "admin"),
    ):
        with pytest.raises(Conflict):
            attempt()
    assert Message.objects.count() == before
    sent.refresh_from_db()
    assert (sent.body, sent.recalled_at) == ("Before the archive", None)
    assert _members(group.pk)[zhang.pk] == "member"


def test_an_archived_conversation_refuses_reactions(group: Any, li: Any, zhang: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Before the archive")
    _archive(group)
    with pytest.raises(Conflict):
        services.do_react(zhang, sent.pk, "👍")
    assert Reaction.objects.count() == 0


# ---------------------------------------------------------------- messages

def test_an_empty_or_overlong_message_is_refused_with_the_field(group: Any, li: Any) -> None:
    with pytest.raises(ValidationFailed) as empty:
        services.do_send_message(li, group.pk, "   \n ")
    assert set(empty.value.fields) == {"body"}
    with pytest.raises(ValidationFailed) as long:
        services.do_send_message(li, group.pk, "字" * 20001)
    assert set(long.value.fields) == {"body"}
    assert not Message.objects.filter(conversation=group, kind="text").exists()

    at_limit = services.do_send_message(li, group.pk, "字" * 20000)
    assert len(at_limit.body) == 20000


def test_sending_moves_the_conversation_and_the_senders_cursor(
        group: Any, li: Any, zhang: Any) -> None:
    message = services.do_send_message(li, group.pk, "  **Humidity** is up  ")

    group.refresh_from_db()
    assert (message.body, message.html) == ("**Humidity** is up",
                                            "<p><strong>Humidity</strong> is up</p>")
    assert (group.last_message_id, group.last_message_at) == (message.pk, message.created_at)
    assert Member.objects.get(conversation=group, person=li).last_read_id == message.pk
    assert Member.objects.get(conversation=group, person=zhang).last_read_id < message.pk


def test_mentions_resolve_to_members_only(group: Any, li: Any, zhang: Any, member: Any) -> None:
    message = services.do_send_message(li, group.pk, "@zhang and @member, and @ZHANG again")

    assert message.mentions == [zhang.pk]
    assert list(Mention.objects.filter(message=message).values_list("person_id", flat=True)) \
        == [zhang.pk]
    assert message.html == (
        f'<p><span class="mention" data-person-id="{zhang.pk}">@zhang</span> and @member, '
        f'and <span class="mention" data-person-id="{zhang.pk}">@ZHANG</span> again</p>')


def test_at_all_is_for_managers_unless_the_group_allows_it(
        group: Any, li: Any, zhang: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_send_message(zhang, group.pk, "@all lunch?")
    assert not Message.objects.filter(conversation=group, kind="text").exists()

    by_owner = services.do_send_message(li, group.pk, "@all meeting at 3")
    assert by_owner.mentions_all is True

    services.do_update_conversation(li, group.pk, members_may_mention_all=True)
    by_member = services.do_send_message(zhang, group.pk, "@所有人 lunch?")
    assert by_member.mentions_all is True


def test_a_channel_manager_may_at_all_in_any_group(
        li: Any, zhang: Any, admin_person: Any) -> None:
    group = services.do_create_group(li, title="Lab", member_ids=[zhang.pk, admin_person.pk])
    message = services.do_send_message(admin_person, group.pk, "@all fire drill at 10")
    assert message.mentions_all is True


def test_a_reply_must_quote_a_message_of_the_same_conversation(
        group: Any, li: Any, zhang: Any) -> None:
    elsewhere = services.do_create_group(li, title="Other", member_ids=[zhang.pk])
    foreign = services.do_send_message(li, elsewhere.pk, "Elsewhere")

    with pytest.raises(ValidationFailed) as wrong:
        services.do_send_message(zhang, group.pk, "Answer", reply_to_id=foreign.pk)
    assert set(wrong.value.fields) == {"reply_to_id"}
    with pytest.raises(ValidationFailed) as no_root:
        services.do_send_message(zhang, group.pk, "Thread", in_thread=True)
    assert set(no_root.value.fields) == {"reply_to_id"}

    question = services.do_send_message(li, group.pk, "Question")
    answer = services.do_send_message(zhang, group.pk, "Answer", reply_to_id=question.pk)
    assert (answer.reply_to_id, answer.thread_root_id) == (question.pk, None)


def test_thread_replies_stay_out_of_the_main_stream(group: Any, li: Any, zhang: Any) -> None:
    root = services.do_send_message(li, group.pk, "Which glue for the scroll?")
    first = services.do_send_message(zhang, group.pk, "Wheat starch", reply_to_id=root.pk,
                                     in_thread=True)
    second = services.do_send_message(li, group.pk, "Thanks", reply_to_id=first.pk,
                                      in_thread=True)

    group.refresh_from_db()
    root.refresh_from_db()
    assert (first.thread_root_id, second.thread_root_id) == (root.pk, root.pk)
    assert root.thread_reply_count == 2
    assert group.last_message_id == root.pk
    assert Member.objects.get(conversation=group, person=zhang).last_read_id < root.pk
    assert [m.pk for m in selectors.messages_for(li, group.pk)][-1] == root.pk
    assert [m.pk for m in selectors.messages_for(li, group.pk, thread_root_id=root.pk)] == [
        first.pk, second.pk]


def test_a_repeated_client_key_returns_the_message_already_sent(
        group: Any, li: Any, zhang: Any) -> None:
    first = services.do_send_message(li, group.pk, "Once", client_key="k-1")
    again = services.do_send_message(li, group.pk, "Once", client_key="k-1")
    other_sender = services.do_send_message(zhang, group.pk, "Mine", client_key="k-1")

    assert again.pk == first.pk
    assert other_sender.pk != first.pk
    assert Message.objects.filter(conversation=group, kind="text").count() == 2


def test_a_repeated_client_key_after_leaving_is_not_found(group: Any, li: Any, wang: Any) -> None:
    services.do_send_message(wang, group.pk, "Once", client_key="k-2")
    services.do_leave(wang, group.pk)
    with pytest.raises(NotFound):
        services.do_send_message(wang, group.pk, "Once", client_key="k-2")


def test_attachments_must_be_ones_own_unsent_uploads_to_this_conversation(
        group: Any, li: Any, zhang: Any) -> None:
    mine = _upload(group, li, "scan.pdf")
    theirs = _upload(group, zhang, "theirs.pdf")
    elsewhere = _upload(services.do_create_group(li, title="Other", member_ids=[]), li)

    for ids in ([theirs.pk], [elsewhere.pk], [mine.pk, theirs.pk]):
        with pytest.raises(ValidationFailed) as refused:
            services.do_send_message(li, group.pk, "", attachment_ids=ids)
        assert set(refused.value.fields) == {"attachment_ids"}
    assert not Attachment.objects.filter(message__isnull=False).exists()

    sent = services.do_send_message(li, group.pk, "", attachment_ids=[mine.pk])
    mine.refresh_from_db()
    assert mine.message_id == sent.pk
    with pytest.raises(ValidationFailed):
        services.do_send_message(li, group.pk, "again", attachment_ids=[mine.pk])
    with pytest.raises(ValidationFailed) as many:
        services.do_send_message(li, group.pk, "x", attachment_ids=range(1, 12))
    assert set(many.value.fields) == {"attachment_ids"}


def test_the_file_names_of_a_message_are_searchable(group: Any, li: Any, zhang: Any) -> None:
    scan = _upload(group, li, "condition-report.pdf")
    sent = services.do_send_message(li, group.pk, "See attached", attachment_ids=[scan.pk])
    assert [m.pk for m in selectors.search_for(zhang, "condition")] == [sent.pk]


def test_a_file_sent_without_text_is_searchable_by_its_name(
        group: Any, li: Any, zhang: Any) -> None:
    scan = _upload(group, li, "condition-report.pdf")
    sent = services.do_send_message(li, group.pk, "", attachment_ids=[scan.pk])
    assert [m.pk for m in selectors.search_for(zhang, "condition")] == [sent.pk]


# ---------------------------------------------------------------- edit and recall

def test_the_sender_edits_within_the_window_and_the_history_is_kept(
        group: Any, li: Any, zhang: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Humidty alarm")
    with pytest.raises(PermissionDenied):
        services.do_edit_message(zhang, sent.pk, "Hacked")

    with mock.patch("taihe.modules.messaging.services.timezone.now",
                    return_value=sent.created_at + timedelta(minutes=24 * 60)), \
            captured_events() as events:
        edited = services.do_edit_message(li, sent.pk, "Humidity alarm @zhang")

    assert (edited.body, edited.mentions) == ("Humidity alarm @zhang", [zhang.pk])
    assert edited.edited_at == sent.created_at + timedelta(minutes=24 * 60)
    assert list(MessageEdit.objects.filter(message=sent).values_list(
        "action", "previous_body", "editor_id")) == [("edit", "Humidty alarm", li.pk)]
    assert [e.name for e in events] == ["messaging.message.edited.v1"]
    assert [m.pk for m in selectors.search_for(zhang, "Humidity")] == [sent.pk]


def test_editing_after_the_window_is_refused(group: Any, li: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Typo")
    with mock.patch("taihe.modules.messaging.services.timezone.now",
                    return_value=sent.created_at + timedelta(minutes=24 * 60 + 1)), \
            pytest.raises(Conflict):
        services.do_edit_message(li, sent.pk, "Fixed")
    sent.refresh_from_db()
    assert (sent.body, sent.edited_at) == ("Typo", None)
    assert not MessageEdit.objects.exists()


def test_an_edit_cannot_empty_a_message_or_add_at_all(group: Any, li: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Hello")
    with pytest.raises(ValidationFailed) as empty:
        services.do_edit_message(li, sent.pk, "  ")
    assert set(empty.value.fields) == {"body"}
    with pytest.raises(PermissionDenied):
        services.do_edit_message(li, sent.pk, "Hello @all")
    assert not MessageEdit.objects.exists()


def test_the_sender_recalls_within_the_window_only(group: Any, li: Any, zhang: Any) -> None:
    sent = services.do_send_message(zhang, group.pk, "Wrong room")
    with mock.patch("taihe.modules.messaging.services.timezone.now",
                    return_value=sent.created_at + timedelta(minutes=24 * 60 + 1)), \
            pytest.raises(Conflict):
        services.do_recall_message(zhang, sent.pk)
    sent.refresh_from_db()
    assert sent.recalled_at is None

    soon = services.do_recall_message(zhang, services.do_send_message(
        zhang, group.pk, "Oops").pk)
    assert soon.recalled_by_id == zhang.pk


def test_managers_recall_any_message_at_any_time_and_the_text_leaves_search(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    sent = services.do_send_message(zhang, group.pk, "东展厅湿度报警 private remark")
    assert [m.pk for m in selectors.search_for(wang, "湿度报警")] == [sent.pk]
    with pytest.raises(PermissionDenied):
        services.do_recall_message(wang, sent.pk)

    later = sent.created_at + timedelta(days=30)
    with mock.patch("taihe.modules.messaging.services.timezone.now", return_value=later), \
            captured_events() as events:
        recalled = services.do_recall_message(li, sent.pk)

    recalled.refresh_from_db()
    assert (recalled.body, recalled.html, recalled.recalled_at, recalled.recalled_by_id) == (
        "", "", later, li.pk)
    assert list(MessageEdit.objects.filter(message=sent).values_list(
        "action", "previous_body")) == [("recall", "东展厅湿度报警 private remark")]
    assert [e.name for e in events] == ["messaging.message.recalled.v1"]
    assert selectors.search_for(wang, "湿度报警") == []
    assert match_ids(services.SEARCH_INDEX, "湿度报警") == []
    with pytest.raises(Conflict):
        services.do_edit_message(zhang, sent.pk, "again")
    assert services.do_recall_message(li, sent.pk).recalled_at == later  # once only


def test_nobody_recalls_the_other_persons_message_in_a_direct_conversation(
        li: Any, zhang: Any) -> None:
    direct = services.do_open_direct(li, zhang.pk)
    sent = services.do_send_message(zhang, direct.pk, "Private")
    with pytest.raises(PermissionDenied):
        services.do_recall_message(li, sent.pk)


def test_system_notices_cannot_be_recalled(group: Any, li: Any) -> None:
    notice = Message.objects.get(conversation=group, kind=Message.Kind.SYSTEM)
    with pytest.raises(PermissionDenied):
        services.do_recall_message(li, notice.pk)
    notice.refresh_from_db()
    assert notice.recalled_at is None


def test_recalling_a_ding_closes_it(group: Any, li: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Evacuate", ding=DingRequest())
    services.do_recall_message(li, sent.pk)
    assert Ding.objects.get(message=sent).closed_at is not None


# ---------------------------------------------------------------- reactions

def test_reactions_are_limited_to_the_offered_emoji_and_toggle(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Done")
    with pytest.raises(ValidationFailed) as odd:
        services.do_react(zhang, sent.pk, "💩")
    assert set(odd.value.fields) == {"emoji"}

    services.do_react(zhang, sent.pk, "👍")
    services.do_react(zhang, sent.pk, "👍")
    services.do_react(wang, sent.pk, "👍")
    assert services.do_react(wang, sent.pk, "🎉") == [
        {"emoji": "👍", "person_ids": [zhang.pk, wang.pk]},
        {"emoji": "🎉", "person_ids": [wang.pk]}]
    assert services.do_react(zhang, sent.pk, "👍", on=False) == [
        {"emoji": "👍", "person_ids": [wang.pk]}, {"emoji": "🎉", "person_ids": [wang.pk]}]


def test_recalled_and_invisible_messages_take_no_reactions(
        group: Any, li: Any, zhang: Any, member: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Hello")
    with pytest.raises(NotFound):
        services.do_react(member, sent.pk, "👍")
    services.do_recall_message(li, sent.pk)
    with pytest.raises(Conflict):
        services.do_react(zhang, sent.pk, "👍")
    assert Reaction.objects.count() == 0


# ---------------------------------------------------------------- read cursors

def test_the_read_cursor_never_moves_back_and_stops_at_the_last_message(
        group: Any, li: Any, zhang: Any) -> None:
    first = services.do_send_message(li, group.pk, "One")
    second = services.do_send_message(li, group.pk, "Two")
    thread = services.do_send_message(li, group.pk, "In thread", reply_to_id=first.pk,
                                      in_thread=True)

    assert services.do_mark_read(zhang, group.pk, first.pk) == first.pk
    assert services.do_mark_read(zhang, group.pk, first.pk - 1) == first.pk
    assert services.do_mark_read(zhang, group.pk, thread.pk + 1000) == second.pk
    assert services.do_mark_read(zhang, group.pk) == second.pk
    row = Member.objects.get(conversation=group, person=zhang)
    assert row.last_read_id == second.pk and row.last_read_at is not None


def test_member_settings_are_ones_own(group: Any, li: Any, zhang: Any) -> None:
    services.do_set_member_settings(zhang, group.pk, muted=True, pinned=True, draft="draft")
    row = Member.objects.get(conversation=group, person=zhang)
    assert (row.muted, row.pinned, row.draft) == (True, True, "draft")
    assert Member.objects.get(conversation=group, person=li).muted is False
    with pytest.raises(ValidationFailed) as long:
        services.do_set_member_settings(zhang, group.pk, draft="x" * 10001)
    assert set(long.value.fields) == {"draft"}


# ---------------------------------------------------------------- DING

def test_a_ding_goes_to_every_other_member_by_default(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    with captured_events() as events:
        sent = services.do_send_message(li, group.pk, "Water leak in store 2",
                                        ding=DingRequest(channels=("email",),
                                                         interval_minutes=10,
                                                         max_reminders=3))
    ding = Ding.objects.get(message=sent)
    assert (ding.channels, ding.interval_minutes, ding.max_reminders, ding.sender_id) == (
        ["in_app", "email"], 10, 3, li.pk)
    recipients = DingRecipient.objects.filter(ding=ding).order_by("person_id")
    assert [(r.person_id, r.next_reminder_at) for r in recipients] == sorted(
        [(zhang.pk, sent.created_at + timedelta(minutes=10)),
         (wang.pk, sent.created_at + timedelta(minutes=10))])
    dings = [e for e in events if e.name == "messaging.ding.sent.v1"]
    assert len(dings) == 1
    assert dings[0].payload["recipient_ids"] == sorted([zhang.pk, wang.pk])
    assert dings[0].payload["after"] == {"channels": ["in_app", "email"],
                                         "interval_minutes": 10}


def test_ding_recipients_must_be_other_members(
        group: Any, li: Any, zhang: Any, member: Any) -> None:
    for ids in ([member.pk], [li.pk], [zhang.pk, member.pk], []):
        with pytest.raises(ValidationFailed) as refused:
            services.do_send_message(li, group.pk, "Now", ding=DingRequest(recipient_ids=ids))
        assert set(refused.value.fields) == {"ding.recipient_ids"}
    assert not Message.objects.filter(conversation=group, kind="text").exists()

    sent = services.do_send_message(li, group.pk, "Now",
                                    ding=DingRequest(recipient_ids=[zhang.pk]))
    assert list(DingRecipient.objects.values_list("person_id", flat=True)) == [zhang.pk]
    assert sent.ding.channels == ["in_app"]


@pytest.mark.parametrize(("request_", "field"), [
    (DingRequest(channels=("sms",)), "ding.channels"),
    (DingRequest(channels=("pigeon",)), "ding.channels"),
    (DingRequest(interval_minutes=4), "ding.interval_minutes"),
    (DingRequest(interval_minutes=24 * 60 + 1), "ding.interval_minutes"),
    (DingRequest(max_reminders=0), "ding.max_reminders"),
    (DingRequest(max_reminders=21), "ding.max_reminders"),
])
def test_ding_channels_and_timing_are_validated(
        group: Any, li: Any, request_: DingRequest, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.do_send_message(li, group.pk, "Now", ding=request_)
    assert set(refused.value.fields) == {field}
    assert not Message.objects.filter(conversation=group, kind="text").exists()
    assert not Ding.objects.exists()


def test_ding_timing_bounds_are_inclusive(group: Any, li: Any) -> None:
    services.do_send_message(li, group.pk, "a", ding=DingRequest(interval_minutes=5,
                                                                  max_reminders=1))
    services.do_send_message(li, group.pk, "b", ding=DingRequest(interval_minutes=24 * 60,
                                                                  max_reminders=20))
    assert sorted(Ding.objects.values_list("interval_minutes", "max_reminders")) == [
        (5, 1), (24 * 60, 20)]


def test_a_ding_needs_the_ding_permission(group: Any, li: Any) -> None:
    from taihe.modules.directory.models import Role

    staff = Role.objects.get(code="staff")
    staff.operations = [op for op in staff.operations if op != "messaging.ding.send"]
    staff.save(update_fields=["operations"])
    forget_actor(li)
    with pytest.raises(PermissionDenied):
        services.do_send_message(li, group.pk, "Now", ding=DingRequest())
    assert not Ding.objects.exists()
    assert not Message.objects.filter(conversation=group, kind="text").exists()


def test_confirming_a_ding_is_idempotent_and_reads_it(
        group: Any, li: Any, zhang: Any, wang: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Close the east gallery",
                                    ding=DingRequest(recipient_ids=[zhang.pk]))
    with captured_events() as events:
        first = services.do_confirm_ding(zhang, sent.pk)
        second = services.do_confirm_ding(zhang, sent.pk)

    assert first.confirmed_at is not None and second.confirmed_at == first.confirmed_at
    assert first.next_reminder_at is None
    assert [(e.name, e.payload["person_id"]) for e in events] == [
        ("messaging.ding.confirmed.v1", zhang.pk)]
    assert Member.objects.get(conversation=group, person=zhang).last_read_id == sent.pk

    with pytest.raises(ValidationFailed) as not_asked:
        services.do_confirm_ding(wang, sent.pk)
    assert set(not_asked.value.fields) == {"message_id"}
    with pytest.raises(ValidationFailed):
        services.do_confirm_ding(li, sent.pk)


def test_a_stranger_cannot_confirm_or_see_a_ding(group: Any, li: Any, member: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Now", ding=DingRequest())
    with pytest.raises(NotFound):
        services.do_confirm_ding(member, sent.pk)
    with pytest.raises(NotFound):
        services.do_confirm_ding(member, 999999)
