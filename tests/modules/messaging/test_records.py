"""Messaging as a record: the policy and each conversation's retention and legal hold (records
managers only), deletion of messages past retention, and the export of a conversation (JSON
and PDF) for those who may make it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import translation
from reportlab.lib.rl_accel import escapePDF

from taihe.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.messaging import records, selectors, services
from taihe.modules.messaging.models import (
    Attachment,
    Conversation,
    Ding,
    DingDelivery,
    DingRecipient,
    Member,
    Mention,
    Message,
    MessageEdit,
    Policy,
    Reaction,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
"""10:00 in Shanghai."""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """``clock(moment)`` freezes ``timezone.now`` (what auto-timestamps use too)."""
    from django.utils import timezone

    current = {"now": T0}
    monkeypatch.setattr(timezone, "now", lambda: current["now"])

    def move(moment: datetime) -> None:
        current["now"] = moment

    return move


@pytest.fixture(autouse=True)
def _english_in_shanghai(settings: Any) -> Iterator[None]:
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override("en"):
        yield


def events(name: str) -> list[dict[str, Any]]:
    return [row.payload for row in OutboxEvent.objects.filter(name=name).order_by("id")]


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


# ---------------------------------------------------------------- policy

def test_a_records_manager_sets_the_policy(admin_person: Any) -> None:
    # when the records manager keeps messages a year and shortens the windows
    policy = records.do_set_policy(admin_person, default_retention_days=365,
                                   recall_minutes=5, edit_minutes=60)
    # then the policy says so, and the change is on record with the values before
    assert (policy.default_retention_days, policy.recall_minutes, policy.edit_minutes,
            policy.updated_by_id) == (365, 5, 60, admin_person.pk)
    assert services.policy().pk == policy.pk
    assert [(e["actor_id"], e["before"], e["after"])
            for e in events("messaging.policy.changed.v1")] == [
        (admin_person.pk,
         {"default_retention_days": None, "recall_minutes": 1440, "edit_minutes": 1440},
         {"default_retention_days": 365, "recall_minutes": 5, "edit_minutes": 60})]
    # setting the same again records nothing new; clearing retention records only that
    records.do_set_policy(admin_person, default_retention_days=365, recall_minutes=5,
                          edit_minutes=60)
    records.do_set_policy(admin_person, default_retention_days=None, recall_minutes=5,
                          edit_minutes=60)
    assert [(e["before"], e["after"]) for e in events("messaging.policy.changed.v1")][1:] == [
        ({"default_retention_days": 365}, {"default_retention_days": None})]


@pytest.mark.parametrize(("values", "field"), [
    ({"default_retention_days": 29}, "default_retention_days"),
    ({"default_retention_days": 36501}, "default_retention_days"),
    ({"default_retention_days": "a year"}, "default_retention_days"),
    ({"recall_minutes": -1}, "recall_minutes"),
    ({"recall_minutes": 10081}, "recall_minutes"),
    ({"edit_minutes": None}, "edit_minutes"),
    ({"edit_minutes": True}, "edit_minutes"),
    ({"edit_minutes": 1.5}, "edit_minutes"),
])
def test_the_policy_refuses_values_out_of_range(admin_person: Any, values: dict[str, Any],
                                                field: str) -> None:
    given = {"default_retention_days": 90, "recall_minutes": 10, "edit_minutes": 10, **values}
    with pytest.raises(ValidationFailed) as error:
        records.do_set_policy(admin_person, **given)
    assert list(error.value.fields) == [field]
    assert not Policy.objects.filter(default_retention_days=90).exists()
    assert events("messaging.policy.changed.v1") == []


def test_the_limits_themselves_are_allowed(admin_person: Any) -> None:
    policy = records.do_set_policy(admin_person, default_retention_days=30, recall_minutes=0,
                                   edit_minutes=10080)
    assert (policy.default_retention_days, policy.recall_minutes, policy.edit_minutes) == (
        30, 0, 10080)
    policy = records.do_set_policy(admin_person, default_retention_days=36500,
                                   recall_minutes=10080, edit_minutes=0)
    assert policy.default_retention_days == 36500


@pytest.mark.parametrize("who", ["anonymous", "member", "hr"])
def test_only_records_managers_set_the_policy(who: str, member: Any, hr_person: Any) -> None:
    actor = {"anonymous": AnonymousUser(), "member": member, "hr": hr_person}[who]
    with pytest.raises(PermissionDenied):
        records.do_set_policy(actor, default_retention_days=90, recall_minutes=1,
                              edit_minutes=1)
    assert services.policy().default_retention_days is None
    assert events("messaging.policy.changed.v1") == []


# ---------------------------------------------------------------- retention settings

def test_a_records_manager_sets_retention_without_reading_the_conversation(
        admin_person: Any, group: Any) -> None:
    # when the records manager, who is not in the group, puts it on hold for ten years
    changed = records.do_set_retention(admin_person, group.pk, retention_days=3650,
                                       legal_hold=True)
    # then the group keeps its messages that long and nothing is deleted while held
    group.refresh_from_db()
    assert (changed.pk, group.retention_days, group.legal_hold) == (group.pk, 3650, True)
    assert [(e["conversation_id"], e["actor_id"], e["before"], e["after"])
            for e in events("messaging.conversation.updated.v1")] == [
        (group.pk, admin_person.pk, {"retention_days": None, "legal_hold": False},
         {"retention_days": 3650, "legal_hold": True})]
    # but the right to set rules is not a right to read
    with pytest.raises(NotFound):
        selectors.messages_for(admin_person, group.pk)


def test_retention_settings_are_checked(admin_person: Any, li: Any, group: Any) -> None:
    with pytest.raises(PermissionDenied):
        records.do_set_retention(li, group.pk, retention_days=30, legal_hold=False)
    with pytest.raises(NotFound):
        records.do_set_retention(admin_person, group.pk + 999, retention_days=30,
                                 legal_hold=False)
    with pytest.raises(ValidationFailed) as error:
        records.do_set_retention(admin_person, group.pk, retention_days=7, legal_hold=False)
    assert list(error.value.fields) == ["retention_days"]
    with pytest.raises(ValidationFailed) as error:
        records.do_set_retention(admin_person, group.pk, retention_days=None,
                                 legal_hold="yes")  # type: ignore[arg-type]
    assert list(error.value.fields) == ["legal_hold"]
    group.refresh_from_db()
    assert (group.retention_days, group.legal_hold) == (None, False)
    assert events("messaging.conversation.updated.v1") == []


# ---------------------------------------------------------------- applying retention

@pytest.fixture
def history(clock: Callable[[datetime], None], li: Any, zhang: Any, wang: Any,
            admin_person: Any) -> dict[str, Any]:
    """A group with 40-day-old messages (a file, a reaction, a mention, an edit, a DING and
    a thread with a recent reply) and a recent one; an equally old direct conversation on
    legal hold."""
    clock(T0)
    group = services.do_create_group(li, title="Paper lab", member_ids=[zhang.pk, wang.pk])
    upload = Attachment.objects.create(
        conversation=group, uploaded_by=li, file=ContentFile(b"scan", name="scroll.jpg"),
        name="scroll.jpg", content_type="image/jpeg", size=4)
    report = services.do_send_message(li, group.pk, "Old scroll report for @zhang",
                                      attachment_ids=[upload.pk])
    services.do_react(zhang, report.pk, "👍")
    reply = services.do_send_message(zhang, group.pk, "Old reply")
    services.do_edit_message(zhang, reply.pk, "Old reply, corrected")
    alarm = services.do_send_message(li, group.pk, "Old alarm",
                                     ding=services.DingRequest())
    root = services.do_send_message(li, group.pk, "Thread about the mount")
    direct = services.do_open_direct(li, zhang.pk)
    secret = services.do_send_message(li, direct.pk, "Old scroll valuation")
    clock(T0 + timedelta(days=40))
    threaded = services.do_send_message(zhang, group.pk, "Mount is fixed", reply_to_id=root.pk,
                                        in_thread=True)
    recent = services.do_send_message(li, group.pk, "New scroll plan")
    records.do_set_retention(admin_person, group.pk, retention_days=30, legal_hold=False)
    records.do_set_retention(admin_person, direct.pk, retention_days=30, legal_hold=True)
    return {"group": group, "direct": direct, "upload": upload, "report": report,
            "reply": reply, "alarm": alarm, "root": root, "threaded": threaded,
            "recent": recent, "secret": secret}


def test_retention_deletes_only_old_messages_outside_legal_holds(
        history: dict[str, Any], li: Any, zhang: Any, run_commit_hooks: Any) -> None:
    group, now = history["group"], T0 + timedelta(days=41)
    cursors = list(Member.objects.order_by("id").values_list("id", "last_read_id"))
    stored = history["upload"].file.name
    assert default_storage.exists(stored)
    # when retention is applied 41 days on
    with run_commit_hooks():
        deleted = records.apply_retention(now)
    # then the group lost its four old messages (the "created" line, the report, the reply
    # and the alarm) with everything attached, the file in storage included
    assert deleted == {group.pk: 4}
    old = [history[key].pk for key in ("report", "reply", "alarm")]
    assert not Message.objects.filter(pk__in=old).exists()
    for model in (Reaction, Mention, MessageEdit, Ding, Attachment):
        assert not model.objects.filter(**(
            {"conversation": group} if model is Attachment else {"message_id__in": old})
        ).exists(), model.__name__
    assert not DingRecipient.objects.exists() and not DingDelivery.objects.exists()
    assert not default_storage.exists(stored)
    # the thread root stays while its thread has a recent reply, the recent message stays,
    # and one line tells the members what happened
    notice = Message.objects.filter(conversation=group).order_by("id").last()
    assert notice is not None
    assert list(Message.objects.filter(conversation=group).order_by("id").values_list(
        "id", flat=True)) == [history["root"].pk, history["threaded"].pk,
                              history["recent"].pk, notice.pk]
    assert (notice.kind, notice.notice, notice.sender_id) == (
        "system", {"code": "retention", "days": 30}, None)
    assert Message.objects.get(pk=history["root"].pk).thread_reply_count == 1
    # the deleted messages left search; the held conversation kept everything
    assert [m.pk for m in selectors.search_for(li, "scroll")] == [
        history["recent"].pk, history["secret"].pk]
    assert Message.objects.filter(conversation=history["direct"]).count() == 1
    # the bookkeeping points at the newest line and no read cursor moved
    group.refresh_from_db()
    assert group.last_message_id == notice.pk
    assert list(Member.objects.order_by("id").values_list("id", "last_read_id")) == cursors
    assert [(e["conversation_id"], e["deleted"], e["after"]["days"])
            for e in events("messaging.retention.applied.v1")] == [(group.pk, 4, 30)]
    # and applying it again changes nothing
    assert records.apply_retention(now) == {}
    assert Message.objects.filter(conversation=group).count() == 4
    assert len(events("messaging.retention.applied.v1")) == 1


def test_the_museum_default_applies_where_a_conversation_has_none(
        clock: Callable[[datetime], None], admin_person: Any, li: Any, zhang: Any) -> None:
    clock(T0)
    group = services.do_create_group(li, title="Paper lab", member_ids=[zhang.pk])
    services.do_send_message(li, group.pk, "Old")
    clock(T0 + timedelta(days=100))
    kept = services.do_send_message(li, group.pk, "New")
    now = T0 + timedelta(days=100)
    # without a default nothing is deleted
    assert records.apply_retention(now) == {}
    # with a 90-day default the old messages go
    records.do_set_policy(admin_person, default_retention_days=90, recall_minutes=10,
                          edit_minutes=10)
    assert records.apply_retention(now) == {group.pk: 2}
    assert list(Message.objects.filter(conversation=group, kind="text")
                .values_list("id", flat=True)) == [kept.pk]
    # a conversation's own, longer retention wins over the default
    records.do_set_retention(admin_person, group.pk, retention_days=365, legal_hold=False)
    assert records.apply_retention(T0 + timedelta(days=300)) == {}


def test_an_aged_retention_line_goes_without_a_new_one(
        clock: Callable[[datetime], None], admin_person: Any, li: Any, zhang: Any) -> None:
    clock(T0)
    group = services.do_create_group(li, title="Paper lab", member_ids=[zhang.pk])
    Message.objects.filter(conversation=group).delete()
    services._notice(group, None, "retention", {"days": 30})
    records.do_set_retention(admin_person, group.pk, retention_days=30, legal_hold=False)
    assert records.apply_retention(T0 + timedelta(days=31)) == {}
    assert not Message.objects.filter(conversation=group).exists()


# ---------------------------------------------------------------- export

@pytest.fixture
def chat(clock: Callable[[datetime], None], li: Any, zhang: Any, wang: Any) -> dict[str, Any]:
    """Li's group "Paper lab" with Zhang and Wang: a message Zhang liked, one Zhang edited,
    one Wang recalled, and a DING that Zhang confirmed and Wang has not (one failed
    reminder by email)."""
    clock(minutes(0))
    group = services.do_create_group(li, title="Paper lab", member_ids=[zhang.pk, wang.pk])
    clock(minutes(1))
    ask = services.do_send_message(li, group.pk, "Please check scroll 12")
    clock(minutes(2))
    answer = services.do_send_message(zhang, group.pk, "On it")
    clock(minutes(3))
    services.do_edit_message(zhang, answer.pk, "On it now")
    clock(minutes(4))
    wrong = services.do_send_message(wang, group.pk, "Wrong chat, sorry")
    clock(minutes(5))
    services.do_recall_message(wang, wrong.pk)
    clock(minutes(6))
    services.do_react(zhang, ask.pk, "👍")
    clock(minutes(7))
    alarm = services.do_send_message(li, group.pk, "Humidity alarm in case 3 湿度报警",
                                     ding=services.DingRequest())
    # the reminders are the escalation's business: written here as it would record them
    DingDelivery.objects.filter(recipient__ding__message=alarm).delete()
    waiting = DingRecipient.objects.get(ding__message=alarm, person=wang)
    DingRecipient.objects.filter(pk=waiting.pk).update(reminders_sent=1)
    DingDelivery.objects.create(recipient=waiting, channel="in_app", ok=True)
    clock(minutes(22))
    DingDelivery.objects.create(recipient=waiting, channel="email", ok=False,
                                detail="mailbox full")
    clock(minutes(10))
    services.do_confirm_ding(zhang, alarm.pk)
    clock(minutes(60))
    return {"group": group, "ask": ask, "answer": answer, "wrong": wrong, "alarm": alarm}


def test_the_json_export_holds_the_whole_record(chat: dict[str, Any], li: Any, zhang: Any,
                                               wang: Any, run_commit_hooks: Any) -> None:
    group = chat["group"]
    # when the owner exports the group
    filename, content_type, content = records.export_conversation(li, group.pk, "json")
    # then it is the documented structure, times in the museum's zone
    assert (filename, content_type) == (f"conversation-{group.pk}-20260309-1100.json",
                                        "application/json")
    data = json.loads(content)
    li_ref = {"person_id": li.pk, "name": "Li Wei"}
    zhang_ref = {"person_id": zhang.pk, "name": "Zhang Min"}
    wang_ref = {"person_id": wang.pk, "name": "Wang Fang"}
    created = Message.objects.get(conversation=group, kind="system")
    everyone_read = {"read": 2, "total": 2, "line": "Read by all", "unread": []}
    assert data == {
        "format": "taihe.messaging.export/1",
        "exported_at": "2026-03-09T11:00:00+08:00",
        "time_zone": "Asia/Shanghai",
        "exported_by": li_ref,
        "full_record": False,
        "conversation": {"id": group.pk, "kind": "group", "kind_label": "Group",
                         "title": "Paper lab", "description": "",
                         "created_at": "2026-03-09T10:00:00+08:00", "archived_at": None,
                         "retention_days": None, "legal_hold": False},
        "members": [
            {**li_ref, "role": "owner", "joined_at": "2026-03-09T10:00:00+08:00",
             "left_at": None, "active": True},
            {**zhang_ref, "role": "member", "joined_at": "2026-03-09T10:00:00+08:00",
             "left_at": None, "active": True},
            {**wang_ref, "role": "member", "joined_at": "2026-03-09T10:00:00+08:00",
             "left_at": None, "active": True},
        ],
        "messages": [
            {"id": created.pk, "kind": "system", "sender": li_ref, "bot": None,
             "sent_at": "2026-03-09T10:00:00+08:00", "text": "",
             "notice": "Li Wei created the group “Paper lab”", "reply_to_id": None,
             "thread_root_id": None, "attachments": [], "edited_at": None, "edits": [],
             "recalled": None, "reactions": [], "receipts": None, "ding": None},
            {"id": chat["ask"].pk, "kind": "text", "sender": li_ref, "bot": None,
             "sent_at": "2026-03-09T10:01:00+08:00", "text": "Please check scroll 12",
             "notice": None, "reply_to_id": None, "thread_root_id": None,
             "attachments": [], "edited_at": None, "edits": [], "recalled": None,
             "reactions": [{"emoji": "👍", "people": [zhang_ref]}],
             "receipts": everyone_read, "ding": None},
            {"id": chat["answer"].pk, "kind": "text", "sender": zhang_ref, "bot": None,
             "sent_at": "2026-03-09T10:02:00+08:00", "text": "On it now", "notice": None,
             "reply_to_id": None, "thread_root_id": None, "attachments": [],
             "edited_at": "2026-03-09T10:03:00+08:00",
             "edits": [{"at": "2026-03-09T10:03:00+08:00", "editor": zhang_ref,
                        "previous_text": None}],
             "recalled": None, "reactions": [], "receipts": everyone_read, "ding": None},
            {"id": chat["wrong"].pk, "kind": "text", "sender": wang_ref, "bot": None,
             "sent_at": "2026-03-09T10:04:00+08:00", "text": "", "notice": None,
             "reply_to_id": None, "thread_root_id": None, "attachments": [],
             "edited_at": None, "edits": [],
             "recalled": {"at": "2026-03-09T10:05:00+08:00", "by": wang_ref, "text": None},
             "reactions": [], "receipts": everyone_read, "ding": None},
            {"id": chat["alarm"].pk, "kind": "text", "sender": li_ref, "bot": None,
             "sent_at": "2026-03-09T10:07:00+08:00",
             "text": "Humidity alarm in case 3 湿度报警", "notice": None,
             "reply_to_id": None, "thread_root_id": None, "attachments": [],
             "edited_at": None, "edits": [], "recalled": None, "reactions": [],
             "receipts": {"read": 1, "total": 2, "line": "Read by 1 of 2",
                          "unread": [wang_ref]},
             "ding": {"channels": ["in_app"], "interval_minutes": 15, "max_reminders": 6,
                      "closed_at": None, "confirmed": 1, "total": 2, "recipients": [
                          {"person_id": wang.pk, "name": "Wang Fang", "confirmed_at": None,
                           "reminders_sent": 1, "attempts": [
                               {"channel": "in_app", "at": "2026-03-09T10:07:00+08:00",
                                "ok": True, "detail": ""},
                               {"channel": "email", "at": "2026-03-09T10:22:00+08:00",
                                "ok": False, "detail": "mailbox full"}]},
                          {"person_id": zhang.pk, "name": "Zhang Min",
                           "confirmed_at": "2026-03-09T10:10:00+08:00",
                           "reminders_sent": 0, "attempts": []}]}},
        ],
    }
    # and the export is on record
    assert [(e["conversation_id"], e["format"], e["messages"], e["actor_id"])
            for e in events("messaging.conversation.exported.v1")] == [
        (group.pk, "json", 5, li.pk)]


def test_a_records_manager_s_export_keeps_earlier_and_recalled_texts(
        chat: dict[str, Any], li: Any, admin_person: Any) -> None:
    # given the records manager is a member
    services.do_add_members(li, chat["group"].pk, [admin_person.pk])
    # when they export it
    _name, _type, content = records.export_conversation(admin_person, chat["group"].pk, "json")
    # then edits and recalls carry the texts the conversation no longer shows
    data = json.loads(content)
    assert data["full_record"] is True
    by_id = {m["id"]: m for m in data["messages"]}
    assert [e["previous_text"] for e in by_id[chat["answer"].pk]["edits"]] == ["On it"]
    assert by_id[chat["wrong"].pk]["recalled"]["text"] == "Wrong chat, sorry"
    assert by_id[chat["wrong"].pk]["text"] == ""
    # and the records manager, who joined after, is not counted in earlier receipts
    assert by_id[chat["alarm"].pk]["receipts"]["total"] == 2


def shown(text: str) -> bytes:
    """How reportlab writes ``text`` in an uncompressed content stream: WinAnsi for
    Helvetica, UTF-16 big-endian for the Chinese CID font."""
    try:
        encoded = text.encode("cp1252")
    except UnicodeEncodeError:
        encoded = text.encode("utf_16_be")
    return escapePDF(encoded).encode("latin-1")


def test_the_pdf_export_shows_the_record(chat: dict[str, Any], li: Any) -> None:
    # when the owner exports the group as PDF
    filename, content_type, content = records.export_conversation(li, chat["group"].pk, "pdf")
    assert (filename[-4:], content_type) == (".pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    # then (uncompressed, to read it) it shows the messages with their receipts and DING
    pdf = records.render_pdf(records.export_data(li, chat["group"].pk), compress=False)
    for text in ("Conversation record", "Paper lab", "Please check scroll 12", "On it now",
                 "Li Wei", "Zhang Min", "Read by 1 of 2", "not read by Wang Fang",
                 "thumbs up: Zhang Min", "DING: 1 of 2 confirmed",
                 "Zhang Min: confirmed at 2026-03-09 10:10",
                 "email 2026-03-09 10:22 failed (mailbox full)", "Recalled by Wang Fang at "
                 "2026-03-09 10:05", "Edited by Zhang Min at 2026-03-09 10:03"):
        assert shown(text) in pdf, text
    assert shown("湿度报警") in pdf
    assert b"/STSong-Light" in pdf
    # the owner's record leaves the recalled text out
    assert shown("Wrong chat") not in pdf
    assert len(events("messaging.conversation.exported.v1")) == 1


def test_who_may_export(chat: dict[str, Any], li: Any, zhang: Any, wang: Any,
                        admin_person: Any, member: Any) -> None:
    group = chat["group"]
    # anonymous and a colleague not in the group learn nothing of it
    for stranger in (AnonymousUser(), member):
        with pytest.raises(NotFound):
            records.export_conversation(stranger, group.pk, "json")
    # nor does a records manager who is not in it
    with pytest.raises(NotFound):
        records.export_conversation(admin_person, group.pk, "json")
    # a plain member may read it but not export it
    with pytest.raises(PermissionDenied):
        records.export_conversation(zhang, group.pk, "pdf")
    # the owner and an admin of the group may
    services.do_set_role(li, group.pk, wang.pk, "admin")
    assert records.export_conversation(li, group.pk, "json")[1] == "application/json"
    assert records.export_conversation(wang, group.pk, "json")[1] == "application/json"
    # so may a records manager in the group, even as a plain member
    services.do_add_members(li, group.pk, [admin_person.pk])
    assert records.export_conversation(admin_person, group.pk, "json")[1] == \
        "application/json"
    # a format other than PDF or JSON is refused by name
    with pytest.raises(ValidationFailed) as error:
        records.export_conversation(li, group.pk, "xlsx")
    assert list(error.value.fields) == ["fmt"]
    assert [(e["actor_id"]) for e in events("messaging.conversation.exported.v1")] == [
        li.pk, wang.pk, admin_person.pk]


def test_either_person_of_a_direct_conversation_may_export_it(li: Any, zhang: Any) -> None:
    direct = services.do_open_direct(li, zhang.pk)
    services.do_send_message(zhang, direct.pk, "Lunch?")
    for person in (li, zhang):
        data = json.loads(records.export_conversation(person, direct.pk, "json")[2])
        assert data["conversation"]["title"] == "Li Wei · Zhang Min"
        assert [m["text"] for m in data["messages"]] == ["Lunch?"]
        assert data["messages"][0]["receipts"] == {
            "read": 0, "total": 1, "line": "Read by 0 of 1",
            "unread": [{"person_id": li.pk, "name": "Li Wei"}]}
    outsider = PersonFactory(username="ma", roles=["staff"])
    with pytest.raises(NotFound):
        records.export_conversation(outsider, direct.pk, "json")


def test_a_member_who_left_is_counted_for_what_was_sent_while_they_belonged(
        li: Any, zhang: Any, wang: Any) -> None:
    group = services.do_create_group(li, title="Paper lab", member_ids=[zhang.pk, wang.pk])
    before = services.do_send_message(li, group.pk, "Before")
    services.do_leave(wang, group.pk)
    after = services.do_send_message(li, group.pk, "After")
    data = records.export_data(li, group.pk)
    receipts = {m["id"]: m["receipts"] for m in data["messages"]}
    assert receipts[before.pk] == {"read": 0, "total": 2, "line": "Read by 0 of 2",
                                   "unread": [{"person_id": wang.pk, "name": "Wang Fang"},
                                              {"person_id": zhang.pk, "name": "Zhang Min"}]}
    assert (receipts[after.pk]["total"], receipts[after.pk]["unread"]) == (
        1, [{"person_id": zhang.pk, "name": "Zhang Min"}])
    assert [(m["name"], m["active"]) for m in data["members"]] == [
        ("Li Wei", True), ("Zhang Min", True), ("Wang Fang", False)]
    assert Conversation.objects.get(pk=group.pk).kind == "group"
