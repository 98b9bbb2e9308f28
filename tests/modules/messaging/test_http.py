"""The messaging API: every endpoint called by four callers (anonymous, an outsider without
``messaging.chat.use``, a member of the conversation, and the administrator, who is in
none of it), the exact bodies of the main answers, and what leaving a group hides at once.

The clock is frozen on Friday 20 November 2026, 10:00 in Shanghai (``FROZEN_NOW``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve

from taihe.kernel.events.models import OutboxEvent
from taihe.kernel.realtime import presence
from taihe.kernel.testing.matrix import Call, assert_allowed, assert_denied, database_state
from taihe.modules.messaging import services
from taihe.modules.messaging.models import Attachment, Conversation, Member, Message
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

P = "/api/v1/messaging"
FROZEN_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
NOW = "2026-11-20T02:00:00Z"
SECRET = "Vault code 4711"
"""The text of Li's message in the group: no stranger may ever see it."""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """``clock(moment)`` freezes ``django.utils.timezone.now`` (starts at FROZEN_NOW)."""
    from django.utils import timezone

    current = {"now": FROZEN_NOW}
    monkeypatch.setattr(timezone, "now", lambda: current["now"])

    def move(moment: datetime) -> None:
        current["now"] = moment

    return move


def post(client: Client, path: str, body: Any = None) -> Any:
    if body is None:
        return client.post(path)
    return client.post(path, data=json.dumps(body), content_type="application/json")


def send(client: Client, conversation_id: int, body: dict[str, Any]) -> Any:
    return post(client, f"{P}/conversations/{conversation_id}/messages", body)


def error(response: Any) -> dict[str, Any]:
    """The envelope without its request id."""
    body = dict(response.json())
    assert body.pop("request_id")
    return body


# --- the four callers -----------------------------------------------------------------------

CALLERS = ("anonymous", "outsider", "member", "admin")
MEMBER = {"anonymous": 401, "outsider": 403, "member": 200, "admin": 404}
"""A conversation's own data: the administrator is in none of it and learns nothing."""
MEMBER_CREATES = {**MEMBER, "member": 201}
MEMBER_EMPTY = {**MEMBER, "member": 204}
EVERYONE = {"anonymous": 401, "outsider": 403, "member": 200, "admin": 200}
RECORDS = {"anonymous": 401, "outsider": 403, "member": 403, "admin": 200}


@dataclass
class Case:
    name: str
    method: str
    route: str
    """The OpenAPI path template this case covers (checked against the built call)."""
    build: Callable[[dict[str, Any]], Call]
    expected: dict[str, int]
    member: str = "li"
    """Who plays the member: Li owns the group; Zhang is an ordinary member."""
    clean: tuple[str, ...] = ("admin",)
    """Allowed callers whose answer must not hold the call's secrets either."""


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("minutes.txt", b"Minutes of the paper lab", "text/plain")


def _message(c: dict[str, Any]) -> int:
    return int(services.do_send_message(c["li"], c["group"].pk, f"{SECRET} again").pk)


CASES = [
    Case("my conversations", "GET", f"{P}/conversations",
         lambda c: Call("GET", f"{P}/conversations", secrets=["Paper lab", SECRET]),
         EVERYONE),
    Case("start a group", "POST", f"{P}/conversations",
         lambda c: Call("POST", f"{P}/conversations",
                        {"title": "Tea", "member_ids": [c["wang"].pk]}),
         {**EVERYONE, "member": 201, "admin": 201}),
    Case("open a direct conversation", "POST", f"{P}/direct",
         lambda c: Call("POST", f"{P}/direct", {"person_id": c["wang"].pk}), EVERYONE),
    Case("a conversation", "GET", f"{P}/conversations/{{conversation_id}}",
         lambda c: Call("GET", f"{P}/conversations/{c['group'].pk}",
                        secrets=["Paper lab", "Zhang Min"]), MEMBER),
    Case("rename a group", "PATCH", f"{P}/conversations/{{conversation_id}}",
         lambda c: Call("PATCH", f"{P}/conversations/{c['group'].pk}",
                        {"title": "Paper lab 2"}, secrets=["Paper lab"]), MEMBER),
    Case("add members", "POST", f"{P}/conversations/{{conversation_id}}/members",
         lambda c: Call("POST", f"{P}/conversations/{c['group'].pk}/members",
                        {"person_ids": [c["chen"].pk]}), MEMBER),
    Case("remove a member", "DELETE",
         f"{P}/conversations/{{conversation_id}}/members/{{person_id}}",
         lambda c: Call("DELETE", f"{P}/conversations/{c['group'].pk}/members/{c['wang'].pk}"),
         MEMBER_EMPTY),
    Case("set a role", "PUT",
         f"{P}/conversations/{{conversation_id}}/members/{{person_id}}/role",
         lambda c: Call("PUT", f"{P}/conversations/{c['group'].pk}/members/{c['zhang'].pk}/role",
                        {"role": "admin"}), MEMBER_EMPTY),
    Case("join an open group", "POST", f"{P}/conversations/{{conversation_id}}/join",
         lambda c: Call("POST", f"{P}/conversations/{c['tea'].pk}/join"),
         {**EVERYONE, "member": 204, "admin": 204}),
    Case("leave a group", "POST", f"{P}/conversations/{{conversation_id}}/leave",
         lambda c: Call("POST", f"{P}/conversations/{c['group'].pk}/leave"), MEMBER_EMPTY,
         member="zhang"),
    Case("my settings", "PUT", f"{P}/conversations/{{conversation_id}}/settings",
         lambda c: Call("PUT", f"{P}/conversations/{c['group'].pk}/settings",
                        {"muted": True, "draft": "half a thought"}), MEMBER),
    Case("messages", "GET", f"{P}/conversations/{{conversation_id}}/messages",
         lambda c: Call("GET", f"{P}/conversations/{c['group'].pk}/messages",
                        secrets=[SECRET]), MEMBER),
    Case("send a message", "POST", f"{P}/conversations/{{conversation_id}}/messages",
         lambda c: Call("POST", f"{P}/conversations/{c['group'].pk}/messages",
                        {"body": "Lunch?"}), MEMBER_CREATES),
    Case("mark read", "POST", f"{P}/conversations/{{conversation_id}}/read",
         lambda c: Call("POST", f"{P}/conversations/{c['group'].pk}/read", {}), MEMBER,
         member="wang"),
    Case("upload a file", "POST", f"{P}/conversations/{{conversation_id}}/files",
         lambda c: Call("POST", f"{P}/conversations/{c['group'].pk}/files",
                        files={"file": _upload()}), MEMBER_CREATES),
    Case("edit a message", "PATCH", f"{P}/messages/{{message_id}}",
         lambda c: Call("PATCH", f"{P}/messages/{c['secret'].pk}", {"body": "Vault code 4712"},
                        secrets=[SECRET]), MEMBER),
    Case("recall a message", "POST", f"{P}/messages/{{message_id}}/recall",
         lambda c: Call("POST", f"{P}/messages/{_message(c)}/recall", secrets=[SECRET]),
         MEMBER),
    Case("react", "POST", f"{P}/messages/{{message_id}}/reactions",
         lambda c: Call("POST", f"{P}/messages/{c['secret'].pk}/reactions", {"emoji": "👍"}),
         MEMBER),
    Case("receipts", "GET", f"{P}/messages/{{message_id}}/receipts",
         lambda c: Call("GET", f"{P}/messages/{c['secret'].pk}/receipts",
                        secrets=["Zhang Min", "Wang Fang"]), MEMBER),
    Case("DING status", "GET", f"{P}/messages/{{message_id}}/ding",
         lambda c: Call("GET", f"{P}/messages/{c['ding'].pk}/ding",
                        secrets=["Zhang Min", "in_app"]), MEMBER),
    Case("confirm a DING", "POST", f"{P}/messages/{{message_id}}/ding/confirm",
         lambda c: Call("POST", f"{P}/messages/{c['ding'].pk}/ding/confirm"), MEMBER_EMPTY,
         member="zhang"),
    Case("remind a DING", "POST", f"{P}/messages/{{message_id}}/ding/remind",
         lambda c: Call("POST", f"{P}/messages/{c['ding'].pk}/ding/remind"), MEMBER),
    Case("DING channels", "GET", f"{P}/ding/channels",
         lambda c: Call("GET", f"{P}/ding/channels"), EVERYONE),
    Case("search", "GET", f"{P}/search",
         lambda c: Call("GET", f"{P}/search?q=vault", secrets=[SECRET, "Paper lab"]),
         EVERYONE),
    Case("unread count", "GET", f"{P}/unread", lambda c: Call("GET", f"{P}/unread"), EVERYONE),
    Case("presence", "GET", f"{P}/presence",
         lambda c: Call("GET", f"{P}/presence?ids={c['zhang'].pk},{c['wang'].pk}",
                        secrets=[f"[{c['zhang'].pk}]"]), EVERYONE),
    Case("open groups", "GET", f"{P}/open-groups",
         lambda c: Call("GET", f"{P}/open-groups"), EVERYONE, clean=()),
    Case("policy", "GET", f"{P}/policy", lambda c: Call("GET", f"{P}/policy"), RECORDS),
    Case("set the policy", "PUT", f"{P}/policy",
         lambda c: Call("PUT", f"{P}/policy", {"default_retention_days": 3650,
                                               "recall_minutes": 10, "edit_minutes": 60}),
         RECORDS),
    Case("set retention", "PUT", f"{P}/conversations/{{conversation_id}}/retention",
         lambda c: Call("PUT", f"{P}/conversations/{c['group'].pk}/retention",
                        {"retention_days": 3650, "legal_hold": True}), RECORDS),
]


def covered_operations() -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every case, for the directory's meta-test."""
    return {(case.method, case.route) for case in CASES}


@pytest.fixture
def ctx(li: Any, zhang: Any, wang: Any, group: Conversation, outsider: Any,
        admin_person: Any, clock: Callable[[datetime], None]) -> dict[str, Any]:
    """The paper lab group (Li owns it; Zhang and Wang are members) with Li's secret and a
    DING to Zhang and Wang sent ten minutes ago; an open tea room of Chen's; Zhang
    online."""
    chen = PersonFactory(username="chen", name_en="Chen Jie", name_zh="陈杰",
                         roles=["staff"])
    secret = services.do_send_message(li, group.pk, SECRET)
    ding = services.do_send_message(li, group.pk, "Close the east gallery",
                                    ding=services.DingRequest())
    tea = services.do_create_group(chen, title="Tea room", member_ids=[],
                                   join_rule="open")
    clock(FROZEN_NOW + timedelta(minutes=10))
    presence.touch(zhang.pk)
    return {"li": li, "zhang": zhang, "wang": wang, "chen": chen, "group": group,
            "tea": tea, "secret": secret, "ding": ding, "outsider": outsider,
            "admin": admin_person}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_four_callers(case: Case, ctx: dict[str, Any], client_for: Callable[[Any], Client],
                      run_commit_hooks: Any) -> None:
    """Given the group, when each caller makes the call, then the refused get the envelope
    with nothing of the data and nothing changed, and the allowed get their answer."""
    people = {"anonymous": None, "outsider": ctx["outsider"], "member": ctx[case.member],
              "admin": ctx["admin"]}
    for caller in CALLERS:
        call = case.build(ctx)
        client = client_for(people[caller])
        status = case.expected[caller]
        if status >= 400:
            assert_denied(client, call, status)
            continue
        with run_commit_hooks():
            response = assert_allowed(client, call, status)
        if caller in case.clean:
            for secret in call.secrets:
                assert secret not in response.content.decode(), (caller, secret)


def test_case_routes_match_their_calls(ctx: dict[str, Any]) -> None:
    """Each case's route is the one its call reaches, and every messaging operation of
    this router has a case (the bots' operations are covered by their own tests)."""
    spec = Client().get("/api/v1/openapi.json").json()
    for case in CASES:
        call = case.build(ctx)
        assert call.method == case.method, case.name
        sample = (case.route.replace("{conversation_id}", "1").replace("{person_id}", "1")
                  .replace("{message_id}", "1"))
        assert resolve(urlsplit(call.path).path).route == resolve(sample).route, case.name
    declared = {(method.upper(), path) for path, item in spec["paths"].items()
                if path.startswith(f"{P}/") for method in item}
    assert covered_operations() <= declared
    bots = {(method, path) for method, path in declared - covered_operations()
            if "/bot" in path or "/hooks/" in path}
    assert declared - covered_operations() - bots == set()


# --- exact answers --------------------------------------------------------------------------

def test_the_conversation_list_shows_unread_messages_and_mentions(
        li: Any, zhang: Any, group: Conversation, client_for: Callable[[Any], Client],
        clock: Any) -> None:
    """Given Li's message naming Zhang, when Zhang lists the conversations, then the group
    shows one unread message that mentions them, with its excerpt."""
    sent = send(client_for(li), group.pk, {"body": "Hello @zhang, the **scroll** is in"})
    assert sent.status_code == 201

    response = client_for(zhang).get(f"{P}/conversations")

    assert response.status_code == 200
    assert response.json() == [{
        "id": group.pk, "kind": "group", "title": "Paper lab", "role": "member",
        "unread": 1, "mentions": 1, "muted": False, "pinned": False, "draft": "",
        "last_message_id": sent.json()["id"], "last_message_at": NOW,
        "last_excerpt": "Hello @zhang, the **scroll** is in", "last_sender_name": "Li Wei",
        "other_person_id": None, "archived": False, "member_count": 3}]


def test_a_page_of_messages_is_exact_and_says_whether_more_lie_before(
        li: Any, zhang: Any, wang: Any, group: Conversation,
        client_for: Callable[[Any], Client], clock: Any) -> None:
    """Given two messages after the group's notice, when Zhang asks for the latest one,
    then the page holds it exactly and says more lie before it."""
    first = services.do_send_message(li, group.pk, "First")
    second = services.do_send_message(li, group.pk, "See @zhang and https://example.org")
    services.do_react(zhang, second.pk, "👍")

    response = client_for(zhang).get(f"{P}/conversations/{group.pk}/messages?limit=1")

    assert response.status_code == 200
    assert response.json() == {"has_more": True, "messages": [{
        "id": second.pk, "conversation_id": group.pk, "kind": "text", "sender_id": li.pk,
        "sender_name": "Li Wei", "bot": False,
        "body": "See @zhang and https://example.org", "html": second.html, "notice": None,
        "mentions": [zhang.pk], "mentions_all": False, "links": [], "reply_to": None,
        "thread_root_id": None, "thread_reply_count": 0, "created_at": NOW,
        "edited_at": None, "recalled_at": None, "recalled_by_name": "", "attachments": [],
        "reactions": [{"emoji": "👍", "person_ids": [zhang.pk]}], "ding": None,
        "cards": []}]}
    older = client_for(zhang).get(
        f"{P}/conversations/{group.pk}/messages?before={second.pk}&limit=200").json()
    assert [m["id"] for m in older["messages"]][-1] == first.pk
    assert older["has_more"] is False
    newer = client_for(zhang).get(
        f"{P}/conversations/{group.pk}/messages?after={first.pk}&limit=1").json()
    assert ([m["id"] for m in newer["messages"]], newer["has_more"]) == ([second.pk], False)


def test_a_page_is_at_most_200_messages(li: Any, group: Conversation,
                                        client_for: Callable[[Any], Client]) -> None:
    response = client_for(li).get(f"{P}/conversations/{group.pk}/messages?limit=201")

    assert response.status_code == 422
    assert error(response) == {"detail": "Some values are not valid.", "code": "invalid",
                               "fields": {"limit": "Ask for 1 to 200 messages."}}


def test_receipts_say_who_read_a_message(li: Any, zhang: Any, wang: Any, group: Conversation,
                                        client_for: Callable[[Any], Client],
                                        clock: Any) -> None:
    """Given Li's message read by Zhang only, then Li sees "Read by 1 of 2"."""
    message = services.do_send_message(li, group.pk, "Humidity is up")
    services.do_mark_read(zhang, group.pk)

    response = client_for(li).get(f"{P}/messages/{message.pk}/receipts")

    assert response.status_code == 200
    assert response.json() == {
        "read": [{"person_id": zhang.pk, "name": "Zhang Min", "read_at": NOW}],
        "unread": [{"person_id": wang.pk, "name": "Wang Fang"}],
        "line": "Read by 1 of 2"}


def test_ding_status_after_one_confirmation(li: Any, zhang: Any, wang: Any,
                                            group: Conversation,
                                            client_for: Callable[[Any], Client],
                                            clock: Any, run_commit_hooks: Any) -> None:
    """Given a DING to Zhang and Wang, when Wang confirms it over the API, then Li sees one
    of two confirmed, Wang's confirmation first-class and Zhang still to be reminded."""
    with run_commit_hooks():
        sent = send(client_for(li), group.pk, {
            "body": "Close the east gallery",
            "ding": {"channels": ["in_app"], "interval_minutes": 15, "max_reminders": 3}})
    assert sent.status_code == 201
    message_id = sent.json()["id"]
    assert sent.json()["ding"] == {"channels": ["in_app"], "interval_minutes": 15,
                                   "closed": False}

    confirmed = post(client_for(wang), f"{P}/messages/{message_id}/ding/confirm")

    assert (confirmed.status_code, confirmed.content) == (204, b"")
    body = client_for(li).get(f"{P}/messages/{message_id}/ding").json()
    attempts = [{"channel": "in_app", "at": NOW, "ok": True, "detail": ""}]
    for row in body["recipients"]:
        row["attempts"] = [{**a, "detail": ""} for a in row["attempts"]]
    assert body == {
        "channels": ["in_app"], "interval_minutes": 15, "max_reminders": 3,
        "closed": False, "confirmed": 1, "total": 2,
        "recipients": [
            {"person_id": zhang.pk, "name": "Zhang Min", "read": False,
             "confirmed_at": None, "reminders_sent": 0,
             "next_reminder_at": "2026-11-20T02:15:00Z", "attempts": attempts},
            {"person_id": wang.pk, "name": "Wang Fang", "read": True, "confirmed_at": NOW,
             "reminders_sent": 0, "next_reminder_at": None, "attempts": attempts}]}


def test_a_conversation_shows_what_the_caller_may_do(li: Any, zhang: Any, wang: Any,
                                                     group: Conversation,
                                                     client_for: Callable[[Any], Client]
                                                     ) -> None:
    services.do_mark_read(zhang, group.pk)
    presence.touch(wang.pk)

    response = client_for(zhang).get(f"{P}/conversations/{group.pk}")

    assert response.status_code == 200
    last = Conversation.objects.get(pk=group.pk).last_message_id
    assert response.json() == {
        "id": group.pk, "kind": "group", "title": "Paper lab", "description": "",
        "join_rule": "invite", "members_may_mention_all": False, "role": "member",
        "muted": False, "pinned": False, "draft": "", "retention_days": None,
        "legal_hold": False, "archived": False, "may_post": True, "may_mention_all": False,
        "may_manage": False, "may_export": False,
        "members": [
            {"person_id": li.pk, "name": "Li Wei", "username": "li", "role": "owner",
             "last_read_id": 0,
             "joined_after_id": 0, "online": False},
            {"person_id": wang.pk, "name": "Wang Fang", "username": "wang", "role": "member",
             "last_read_id": 0, "joined_after_id": 0, "online": True},
            {"person_id": zhang.pk, "name": "Zhang Min", "username": "zhang", "role": "member",
             "last_read_id": last, "joined_after_id": 0, "online": False}]}
    direct = post(client_for(zhang), f"{P}/direct", {"person_id": li.pk}).json()
    assert (direct["kind"], direct["title"], direct["may_export"], direct["may_manage"]) == \
        ("direct", "Li Wei", True, False)


# --- sending ----------------------------------------------------------------------------------

def test_a_retried_send_with_the_same_client_key_is_stored_once(
        li: Any, group: Conversation, client_for: Callable[[Any], Client]) -> None:
    client = client_for(li)
    body = {"body": "Once only", "client_key": "tab-1:17"}
    first = send(client, group.pk, body)
    before = database_state()

    again = send(client, group.pk, body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert database_state() == before
    assert Message.objects.filter(client_key="tab-1:17").count() == 1


def test_sending_is_rate_limited(li: Any, group: Conversation, settings: Any,
                                 client_for: Callable[[Any], Client]) -> None:
    settings.TAIHE_MESSAGING_SENDS_PER_MINUTE = 2
    client = client_for(li)
    assert [send(client, group.pk, {"body": f"n{i}"}).status_code for i in range(2)] == \
        [201, 201]
    before = database_state()

    refused = send(client, group.pk, {"body": "n3"})

    assert refused.status_code == 429
    assert error(refused) == {"detail": "You are sending too fast. Wait a minute and try "
                                        "again.", "code": "rate_limited"}
    assert database_state() == before


@pytest.mark.parametrize(("path", "body", "field_name"), [
    ("conversations", {"title": "x" * 121}, "title"),
    ("conversations", {"title": "Ok", "kind": "department"}, "kind"),
    ("group/messages", {"body": "x" * 20001}, "body"),
    ("group/messages", {"body": "x", "client_key": "k" * 65}, "client_key"),
    ("group/messages", {"body": "x", "ding": {"channels": ["pigeon"]}}, "ding.channels.0"),
    ("group/settings", {"draft": "x" * 10001}, "draft"),
])
def test_bad_input_is_refused_naming_the_field(path: str, body: dict[str, Any],
                                               field_name: str, li: Any, group: Conversation,
                                               client_for: Callable[[Any], Client]) -> None:
    url = f"{P}/{path.replace('group', f'conversations/{group.pk}')}"
    method = "put" if path.endswith("settings") else "post"
    before = database_state()

    response = getattr(client_for(li), method)(url, data=json.dumps(body),
                                                content_type="application/json")

    assert response.status_code == 422
    assert list(response.json()["fields"]) == [field_name]
    assert database_state() == before


@pytest.mark.parametrize("path", [
    "conversations/{huge}", "conversations/{huge}/messages", "messages/{huge}/receipts",
    "conversations/-1", "messages/0/ding"])
def test_ids_out_of_range_are_refused_or_not_found(path: str, li: Any,
                                                   client_for: Callable[[Any], Client]) -> None:
    response = client_for(li).get(f"{P}/{path.format(huge=2**64)}")

    assert response.status_code in (404, 422)
    assert set(response.json()) <= {"detail", "code", "fields", "request_id"}


def test_a_ding_without_the_right_is_refused_and_nothing_sent(
        li: Any, group: Conversation, museum: Any,
        client_for: Callable[[Any], Client]) -> None:
    """Given a volunteer who may chat but not send DING, in the group."""
    from taihe.modules.directory.models import Role, RoleAssignment

    volunteer = PersonFactory(username="volunteer", department=museum["lab"])
    RoleAssignment.objects.create(person=volunteer, role=Role.objects.create(
        code="volunteer", name_zh="志愿者", name_en="Volunteer",
        operations=["messaging.chat.use"]))
    services.do_add_members(li, group.pk, [volunteer.pk])
    before = database_state()

    response = send(client_for(volunteer), group.pk, {"body": "Now!", "ding": {}})

    assert response.status_code == 403
    assert error(response) == {"detail": "You may not send DING messages.",
                               "code": "permission_denied"}
    assert database_state() == before


# --- nothing leaks --------------------------------------------------------------------------

def test_a_stranger_learns_nothing_of_a_group(li: Any, group: Conversation, museum: Any,
                                              client_for: Callable[[Any], Client]) -> None:
    """Given a staff member outside the group, every read of it answers 404 and search
    finds nothing of it."""
    message = services.do_send_message(li, group.pk, SECRET)
    stranger = client_for(PersonFactory(username="stranger", roles=["staff"],
                                        department=museum["lab"]))

    for path in (f"conversations/{group.pk}", f"conversations/{group.pk}/messages",
                 f"messages/{message.pk}/receipts", f"search?q=vault&conversation_id={group.pk}"):
        response = stranger.get(f"{P}/{path}")
        assert response.status_code == 404, path
        assert SECRET not in response.content.decode()
    assert stranger.get(f"{P}/search?q=vault").json() == []


def test_leaving_a_group_hides_its_messages_at_once(li: Any, wang: Any, group: Conversation,
                                                    client_for: Callable[[Any], Client]
                                                    ) -> None:
    message = services.do_send_message(li, group.pk, SECRET)
    client = client_for(wang)
    assert [hit["id"] for hit in client.get(f"{P}/search?q=vault").json()] == [message.pk]
    assert client.get(f"{P}/search?q=vault").json()[0]["conversation_title"] == "Paper lab"

    left = post(client, f"{P}/conversations/{group.pk}/leave")

    assert left.status_code == 204
    assert client.get(f"{P}/conversations/{group.pk}/messages").status_code == 404
    assert client.get(f"{P}/messages/{message.pk}/receipts").status_code == 404
    assert client.get(f"{P}/search?q=vault").json() == []
    assert client.get(f"{P}/conversations").json() == []
    assert Member.objects.get(conversation=group, person=wang).left_at is not None


def test_presence_answers_only_for_people_sharing_a_conversation(
        li: Any, zhang: Any, group: Conversation, museum: Any,
        client_for: Callable[[Any], Client]) -> None:
    stranger = PersonFactory(username="stranger", roles=["staff"], department=museum["lab"])
    for person in (zhang, stranger):
        presence.touch(person.pk)

    response = client_for(li).get(f"{P}/presence?ids={zhang.pk},{stranger.pk}")

    assert response.json() == {"online": [zhang.pk]}
    bad = client_for(li).get(f"{P}/presence?ids=1,two")
    assert (bad.status_code, list(bad.json()["fields"])) == (422, ["ids"])


def test_a_refused_write_changes_nothing(li: Any, zhang: Any, group: Conversation,
                                         client_for: Callable[[Any], Client]) -> None:
    """Given Zhang, an ordinary member, when they try to rename the group, remove Li or
    change roles, then each is refused and nothing changed."""
    client = client_for(zhang)
    before = database_state()
    events = OutboxEvent.objects.count()

    answers = [
        client.patch(f"{P}/conversations/{group.pk}", data=json.dumps({"title": "Mine"}),
                     content_type="application/json").status_code,
        client.delete(f"{P}/conversations/{group.pk}/members/{li.pk}").status_code,
        client.put(f"{P}/conversations/{group.pk}/members/{li.pk}/role",
                   data=json.dumps({"role": "member"}),
                   content_type="application/json").status_code]

    assert answers == [403, 403, 403]
    assert database_state() == before
    assert OutboxEvent.objects.count() == events
    assert Conversation.objects.get(pk=group.pk).title == "Paper lab"


def test_an_unsent_file_cannot_be_sent_by_someone_else(
        li: Any, zhang: Any, group: Conversation, client_for: Callable[[Any], Client]) -> None:
    uploaded = client_for(li).post(f"{P}/conversations/{group.pk}/files",
                                   data={"file": _upload()})
    assert uploaded.status_code == 201
    before = database_state()

    response = send(client_for(zhang), group.pk,
                    {"body": "mine now", "attachment_ids": [uploaded.json()["id"]]})

    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["attachment_ids"]
    assert database_state() == before
    assert Attachment.objects.get().message_id is None
