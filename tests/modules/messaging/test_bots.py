"""Bots: managing them (the four-actor matrix for every endpoint), the incoming webhook,
outgoing webhooks against a local server, built-in feeds and the directory subscriptions."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import Client

from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events.models import OutboxEvent
from taihe.kernel.jobs.models import JobRecord
from taihe.kernel.testing.events import captured_events
from taihe.kernel.testing.matrix import Call, assert_allowed, assert_denied
from taihe.modules.conservation import events as conservation_events
from taihe.modules.directory import events as directory_events
from taihe.modules.messaging import bots, selectors, services, subscribers
from taihe.modules.messaging.models import Bot, Conversation, Message
from taihe.modules.messaging.presenting import message_data

API = "/api/v1/messaging"


@pytest.fixture
def admin(admin_person: Any, group: Any, li: Any) -> Any:
    """The administrator, a plain member of the group: ``messaging.channel.manage`` is what
    lets them manage its bots."""
    services.do_add_members(li, group.pk, [admin_person.pk])
    return admin_person


@pytest.fixture
def made(group: Any, li: Any) -> tuple[Bot, str]:
    """"Build" in the group, hearing mentions at a URL nobody serves."""
    return bots.do_create_bot(li, group.pk, name="Build",
                              outgoing_url="http://ci.museum.example/hook")


def _hook(client: Client, token: str, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"{API}/hooks/{token}", data=data, content_type="application/json")


# ---------------------------------------------------------------- managing: the matrix

def test_adding_a_bot_is_for_the_owner_admins_and_channel_managers(
        client_for: Any, group: Any, li: Any, zhang: Any, admin: Any, outsider: Any) -> None:
    # given a group owned by Li with Zhang a plain member and the administrator in it
    call = Call("POST", f"{API}/conversations/{group.pk}/bots",
                {"name": "Build", "outgoing_url": "http://ci.museum.example/hook"})
    # when anonymous, a plain member, and a stranger try, then nothing is made
    assert_denied(client_for(None), call, 401)
    assert_denied(client_for(zhang), call, 403)
    assert_denied(client_for(outsider), call, 403)  # no chat at all
    # when the owner adds it, then the token, hook URL and secret are answered once
    response = assert_allowed(client_for(li), call, 201)
    body = response.json()
    bot = Bot.objects.get(pk=body["id"])
    assert (body["name"], body["hears_mentions"], body["outgoing_url"]) == (
        "Build", True, "http://ci.museum.example/hook")
    assert hashlib.sha256(body["token"].encode()).hexdigest() == bot.token_hash
    assert body["token_hint"] == body["token"][-4:] == bot.token_hint
    assert body["hook_url"] == f"http://testserver{API}/hooks/{body['token']}"
    assert body["outgoing_secret"] == bot.outgoing_secret and len(bot.outgoing_secret) == 64
    assert len(body["token"]) == 43  # 32 random bytes, url-safe base64
    # and the administrator (not a manager of this group) may too
    other = assert_allowed(client_for(admin), Call(
        "POST", f"{API}/conversations/{group.pk}/bots", {"name": "Alerts"}), 201).json()
    assert (other["name"], other["outgoing_secret"], other["hears_mentions"]) == (
        "Alerts", None, False)


def test_a_stranger_learns_nothing_of_a_groups_bots(client_for: Any, group: Any, member: Any,
                                                    made: tuple[Bot, str]) -> None:
    bot, _token = made
    for call in (Call("GET", f"{API}/conversations/{group.pk}/bots", secrets=["Build"]),
                 Call("POST", f"{API}/conversations/{group.pk}/bots", {"name": "X"}),
                 Call("POST", f"{API}/bots/{bot.pk}/token", secrets=[bot.token_hint]),
                 Call("DELETE", f"{API}/bots/{bot.pk}")):
        assert_denied(client_for(member), call, 404)


def test_every_member_sees_the_bots_but_only_managers_their_address(
        client_for: Any, group: Any, li: Any, zhang: Any, admin: Any,
        made: tuple[Bot, str]) -> None:
    bot, _token = made
    call = Call("GET", f"{API}/conversations/{group.pk}/bots")
    assert_denied(client_for(None), call, 401)
    seen = assert_allowed(client_for(zhang), call, 200).json()
    assert seen == [{"id": bot.pk, "conversation_id": group.pk, "name": "Build", "feeds": [],
                     "hears_mentions": True, "outgoing_url": None, "token_hint": None,
                     "created_at": seen[0]["created_at"]}]
    assert "ci.museum.example" not in json.dumps(seen)
    for manager in (li, admin):
        rows = assert_allowed(client_for(manager), call, 200).json()
        assert [(r["name"], r["outgoing_url"], r["token_hint"]) for r in rows] == [
            ("Build", "http://ci.museum.example/hook", bot.token_hint)]


def test_rotating_a_token_retires_the_old_one(client_for: Any, li: Any, zhang: Any,
                                              admin: Any, made: tuple[Bot, str]) -> None:
    bot, old = made
    call = Call("POST", f"{API}/bots/{bot.pk}/token", secrets=[bot.outgoing_secret])
    assert_denied(client_for(None), call, 401)
    assert_denied(client_for(zhang), call, 403)
    fresh = assert_allowed(client_for(li), call, 200).json()
    assert fresh["token"] != old and fresh["outgoing_secret"] != bot.outgoing_secret
    hook = Client()
    assert _hook(hook, old, {"text": "old"}).status_code == 404
    assert _hook(hook, fresh["token"], {"text": "new"}).status_code == 201
    again = assert_allowed(client_for(admin), call, 200).json()
    assert _hook(hook, fresh["token"], {"text": "stale"}).status_code == 404
    assert _hook(hook, again["token"], {"text": "newer"}).status_code == 201


def test_removing_a_bot_stops_its_hook_and_keeps_its_messages(
        client_for: Any, group: Any, li: Any, zhang: Any, admin: Any,
        made: tuple[Bot, str]) -> None:
    bot, token = made
    posted = bots.do_post_as_bot(token, "Build 41 passed")
    call = Call("DELETE", f"{API}/bots/{bot.pk}")
    assert_denied(client_for(None), call, 401)
    assert_denied(client_for(zhang), call, 403)
    with captured_events() as found:
        assert_allowed(client_for(li), call, 204)
    bot.refresh_from_db()
    assert (bot.is_active, bot.token_hash, bot.outgoing_secret) == (False, None, "")
    assert [(e.name, e.payload["subject_type"], e.payload["after"]["is_active"])
            for e in found] == [("messaging.bot.saved.v1", "messaging.bot", False)]
    assert _hook(Client(), token, {"text": "after"}).status_code == 404
    assert message_data(Message.objects.get(pk=posted.pk))["sender_name"] == "Build"
    assert client_for(li).get(f"{API}/conversations/{group.pk}/bots").json() == []
    # the administrator removes another bot; a removed one is not found again
    second, _second_token = bots.do_create_bot(li, group.pk, name="Second")
    assert_allowed(client_for(admin), Call("DELETE", f"{API}/bots/{second.pk}"), 204)
    assert_denied(client_for(li), Call("DELETE", f"{API}/bots/{bot.pk}"), 404)


def test_the_feed_list_needs_chat(client_for: Any, zhang: Any, outsider: Any,
                                  admin_person: Any) -> None:
    call = Call("GET", f"{API}/bot-feeds")
    assert_denied(client_for(None), call, 401)
    assert_denied(client_for(outsider), call, 403)
    for person in (zhang, admin_person):
        assert assert_allowed(client_for(person), call, 200).json() == [
            {"code": "conservation.alerts", "label": "Conservation alerts"}]


# ---------------------------------------------------------------- managing: the rules

def test_bad_bot_settings_name_the_field(group: Any, li: Any, made: tuple[Bot, str]) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "  "}, "name"), ({"name": "x" * 61}, "name"),
        ({"name": "build"}, "name"),  # names are unique whatever their case
        ({"name": "a@b"}, "name"),
        ({"name": "Ok", "outgoing_url": "ftp://ci.museum.example/"}, "outgoing_url"),
        ({"name": "Ok", "outgoing_url": "javascript:alert(1)"}, "outgoing_url"),
        ({"name": "Ok", "feeds": ["weather.forecast"]}, "feeds"),
        # Li may not see environmental alerts, so may not feed them to a group
        ({"name": "Ok", "feeds": ["conservation.alerts"]}, "feeds")]
    for given, field in cases:
        with pytest.raises(ValidationFailed) as error:
            bots.do_create_bot(li, group.pk, **given)
        assert list(error.value.fields) == [field], given
    assert list(Bot.objects.values_list("name", flat=True)) == ["Build"]


def test_a_removed_bots_name_stays_taken(group: Any, li: Any, made: tuple[Bot, str]) -> None:
    bots.do_delete_bot(li, made[0].pk)
    with pytest.raises(ValidationFailed) as error:
        bots.do_create_bot(li, group.pk, name="Build")
    assert error.value.fields == {"name": "Another bot of this conversation has, or had, "
                                          "this name."}


def test_direct_and_archived_conversations_take_no_bots(group: Any, li: Any,
                                                        zhang: Any) -> None:
    direct = services.do_open_direct(li, zhang.pk)
    with pytest.raises(Conflict):
        bots.do_create_bot(li, direct.pk, name="Build")
    Conversation.objects.filter(pk=group.pk).update(archived_at="2026-01-01T00:00:00Z")
    with pytest.raises(Conflict):
        bots.do_create_bot(li, group.pk, name="Build")
    assert Bot.objects.count() == 0


def test_a_plain_member_may_not_touch_a_bot(group: Any, zhang: Any,
                                            made: tuple[Bot, str]) -> None:
    bot, _token = made
    for act in (lambda: bots.do_rotate_token(zhang, bot.pk),
                lambda: bots.do_delete_bot(zhang, bot.pk),
                lambda: bots.do_create_bot(zhang, group.pk, name="Mine")):
        with pytest.raises(PermissionDenied):
            act()
    assert list(Bot.objects.values_list("name", "is_active")) == [("Build", True)]


# ---------------------------------------------------------------- the incoming hook

def test_a_hook_posts_as_the_bot_without_session_or_csrf(
        run_commit_hooks: Any, group: Any, li: Any, zhang: Any,
        made: tuple[Bot, str]) -> None:
    bot, token = made
    client = Client(enforce_csrf_checks=True)
    # given a post naming a member, in Markdown, with a link to an approval request
    with run_commit_hooks():
        response = _hook(client, token, {"text": "**Build 42** passed, @zhang",
                                         "links": ["/approvals/r/AP-2026-000123/"]})
    # then it is a message of the bot, rendered, with the member named and the link kept
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["id"])
    assert response.json() == {"id": message.pk}
    data = message_data(message)
    assert (data["kind"], data["sender_id"], data["sender_name"], data["bot"]) == (
        "text", None, "Build", True)
    assert data["html"] == ('<p><strong>Build 42</strong> passed, '
                            f'<span class="mention" data-person-id="{zhang.pk}">@zhang</span></p>')
    assert (data["mentions"], data["mentions_all"]) == ([zhang.pk], False)
    assert data["links"] == [{"kind": "workflows.request", "ref": "AP-2026-000123"}]
    group.refresh_from_db()
    assert (group.last_message_id, group.last_message_at) == (message.pk, message.created_at)
    assert [m.pk for m in selectors.search_for(zhang, "Build 42")] == [message.pk]
    # and it counts as unread for the members (bots are not members)
    rows = {r.title: (r.unread, r.mentions) for r in selectors.conversations_for(zhang)}
    assert rows["Paper lab"] == (1, 1)
    assert bot.messages.count() == 1


def test_an_unknown_or_removed_token_is_not_found_alike(li: Any, made: tuple[Bot, str]) -> None:
    bot, token = made
    wrong = _hook(Client(), "x" * 43, {"text": "hello"})
    bots.do_delete_bot(li, bot.pk)
    removed = _hook(Client(), token, {"text": "hello"})
    assert (wrong.status_code, removed.status_code) == (404, 404)
    assert {k: v for k, v in wrong.json().items() if k != "request_id"} == \
        {k: v for k, v in removed.json().items() if k != "request_id"} == \
        {"detail": "There is no such hook.", "code": "not_found"}
    assert Message.objects.filter(bot=bot).count() == 0


def test_bad_hook_input_names_the_field(made: tuple[Bot, str]) -> None:
    _bot, token = made
    client = Client()
    cases = [({"links": []}, "text"), ({"text": 5}, "text"), ({"text": "   "}, "text"),
             ({"text": "x" * 20001}, "text"), ({"text": "@all fire drill"}, "text"),
             ({"text": "see", "links": ["https://example.org/page"]}, "links.0"),
             ({"text": "see", "links": ["/catalog/objects/1/"] * 11}, "links")]
    for body, field in cases:
        response = _hook(client, token, body)
        assert response.status_code == 422, body
        assert field in response.json()["fields"], (body, response.json())
    not_an_object = _hook(client, token, "[1]")
    assert (not_an_object.status_code, not_an_object.json()["fields"]) == (
        422, {"text": "Field required"})
    # a body that is not JSON at all is refused by the API itself, before any field
    broken = _hook(client, token, '{"text": "unfinished')
    assert (broken.status_code, broken.json()["detail"]) == (400, "Cannot parse request body")
    assert Message.objects.filter(bot__isnull=False).count() == 0


def test_a_hook_posting_too_often_is_stopped(monkeypatch: pytest.MonkeyPatch,
                                             made: tuple[Bot, str]) -> None:
    _bot, token = made
    monkeypatch.setattr(bots, "_clock", lambda: 1_800_000_000.0)  # one fixed minute
    client = Client()
    answers = [_hook(client, token, {"text": f"build {n}"}).status_code for n in range(31)]
    assert answers == [201] * 30 + [429]
    assert Message.objects.filter(bot__isnull=False).count() == 30
    # the next minute it may post again
    monkeypatch.setattr(bots, "_clock", lambda: 1_800_000_060.0)
    assert _hook(client, token, {"text": "build 31"}).status_code == 201


def test_a_hook_into_an_archived_group_conflicts(group: Any, made: tuple[Bot, str]) -> None:
    Conversation.objects.filter(pk=group.pk).update(archived_at="2026-01-01T00:00:00Z")
    response = _hook(Client(), made[1], {"text": "late"})
    assert (response.status_code, response.json()["code"]) == (409, "conflict")


# ---------------------------------------------------------------- outgoing webhooks

class _Receiver(BaseHTTPRequestHandler):
    calls: list[tuple[dict[str, str], bytes]] = []
    status = 200
    answer = b""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).calls.append((dict(self.headers.items()), self.rfile.read(length)))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(type(self).answer)))
        self.end_headers()
        self.wfile.write(type(self).answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"calls": [], "status": 200, "answer": b""})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_message_naming_a_bot_is_sent_signed_and_the_answer_posted_back(
        run_commit_hooks: Any, group: Any, li: Any,
        receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    handler.answer = json.dumps({"text": "Build 42 started for @li"}).encode()
    bot, _token = bots.do_create_bot(li, group.pk, name="CI bot", outgoing_url=url)
    # when Li names the bot (in another case)
    with run_commit_hooks():
        sent = services.do_send_message(li, group.pk, "@ci BOT run the nightly build")
    # then the server got one signed POST with the message
    assert len(handler.calls) == 1
    headers, body = handler.calls[0]
    expected = "sha256=" + hmac.new(bot.outgoing_secret.encode(), body,
                                    hashlib.sha256).hexdigest()
    assert headers["X-Taihe-Signature"] == expected
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {
        "bot": "CI bot", "conversation_id": group.pk,
        "message": {"id": sent.pk, "sender_name": "Li Wei",
                    "body": "@ci BOT run the nightly build",
                    "created_at": sent.created_at.isoformat()}}
    # and its answer is in the group as the bot, naming Li
    reply = Message.objects.filter(bot=bot).get()
    assert (reply.body, reply.sender_id, reply.mentions) == (
        "Build 42 started for @li", None, [li.pk])
    group.refresh_from_db()
    assert group.last_message_id == reply.pk


def test_only_messages_naming_the_bot_are_sent(group: Any, li: Any, zhang: Any) -> None:
    hearing, _t = bots.do_create_bot(li, group.pk, name="CI bot",
                                     outgoing_url="http://ci.museum.example/hook")
    bots.do_create_bot(li, group.pk, name="Deaf")  # no URL: hears nothing
    chinese, _t2 = bots.do_create_bot(li, group.pk, name="构建",
                                      outgoing_url="http://ci.museum.example/zh")

    def named(text: str) -> list[str]:
        message = Message(conversation=group, sender=zhang, body=text)
        return [bot.name for bot in bots.outgoing_bots_for(message)]

    assert named("@CI bot go") == ["CI bot"]
    assert named("ask @ci bot.") == ["CI bot"]
    assert named("@CI botany is not the bot") == []
    assert named("mail ops@CI bot") == []
    assert named("@Deaf hello") == []
    assert named("@构建开始") == ["构建"]
    assert named("no mention at all") == []
    from_bot = Message(conversation=group, bot=hearing, body="@CI bot loop")
    assert bots.outgoing_bots_for(from_bot) == []
    assert chinese.outgoing_url == "http://ci.museum.example/zh"


def test_an_unreachable_bot_fails_the_job_so_it_retries(
        group: Any, li: Any, receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    handler.status = 500
    bots.do_create_bot(li, group.pk, name="CI", outgoing_url=url)
    sent = services.do_send_message(li, group.pk, "@CI deploy")
    with pytest.raises(bots.OutgoingFailed):
        bots.call_outgoing(sent.pk)
    assert len(handler.calls) == 1
    # once it answers, the retry goes through; a bot already reached is not called again
    handler.status, handler.answer = 200, b'{"ok": true}'
    bots.call_outgoing(sent.pk)
    bots.call_outgoing(sent.pk)
    assert len(handler.calls) == 2
    assert Message.objects.filter(bot__isnull=False).count() == 0


def test_a_recalled_message_is_not_sent(group: Any, li: Any,
                                        receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    bots.do_create_bot(li, group.pk, name="CI", outgoing_url=url)
    sent = services.do_send_message(li, group.pk, "@CI deploy the secret branch")
    services.do_recall_message(li, sent.pk)
    bots.call_outgoing(sent.pk)
    assert handler.calls == []


# ---------------------------------------------------------------- feeds and subscriptions

@pytest.fixture
def alert_bot(group: Any, admin: Any) -> Bot:
    """"Alerts" in the group, fed new environmental alerts (the administrator may see them)."""
    bot, _token = bots.do_create_bot(admin, group.pk, name="Alerts",
                                     feeds=["conservation.alerts"])
    return bot


def test_a_conservation_alert_is_posted_to_groups_fed_alerts(
        run_commit_hooks: Any, settings: Any, group: Any, li: Any, alert_bot: Bot) -> None:
    settings.LANGUAGE_CODE, settings.LANGUAGES = "en", [("en", "English")]
    bots.do_create_bot(li, group.pk, name="Quiet")  # not fed: posts nothing
    # when conservation publishes a new alert
    from taihe.kernel.events import publish

    with run_commit_hooks():
        publish(conservation_events.AlertOpened(alert_id=17, sensor_id=3, severity="critical"))
    # then the fed bot posts one line, naming no place, linking to the alert
    posted = list(Message.objects.filter(bot__isnull=False).values_list("bot__name", "body",
                                                                         "links"))
    assert posted == [("Alerts", "New environmental alert #17 (Critical)",
                       [{"kind": "conservation.alert", "ref": "17"}])]
    with run_commit_hooks():
        publish(conservation_events.AlertEscalated(alert_id=17, level=2))
    assert Message.objects.filter(bot=alert_bot).order_by("pk").last().body == (  # type: ignore[union-attr]
        "Environmental alert #17 is still unacknowledged (escalation 2)")


def test_a_feed_skips_removed_bots_and_archived_groups(group: Any, admin: Any,
                                                       alert_bot: Bot) -> None:
    other = services.do_create_group(admin, title="Night watch", member_ids=[])
    watch, _token = bots.do_create_bot(admin, other.pk, name="Alerts",
                                       feeds=["conservation.alerts"])
    Conversation.objects.filter(pk=group.pk).update(archived_at="2026-01-01T00:00:00Z")
    posted = bots.post_to_feed("conservation.alerts", "line", ["/conservation/alerts/5/"])
    assert [m.bot_id for m in posted] == [watch.pk]
    bots.do_delete_bot(admin, watch.pk)
    assert bots.post_to_feed("conservation.alerts", "line") == []
    with pytest.raises(LookupError):
        bots.post_to_feed("weather.forecast", "line")


def test_the_feed_line_is_in_every_shipped_language_the_museums_first(settings: Any) -> None:
    from django.utils import translation

    settings.LANGUAGE_CODE = "zh-hans"
    settings.LANGUAGES = [("en", "English"), ("zh-hans", "Simplified Chinese")]
    assert subscribers._in_every_language(lambda: str(translation.get_language())) == \
        "zh-hans / en"
    assert subscribers._in_every_language(lambda: "#5") == "#5"  # the same text once


def test_directory_changes_queue_one_department_sync(run_commit_hooks: Any, museum: Any,
                                                     li: Any) -> None:
    from taihe.kernel.events import publish

    JobRecord.objects.filter(name="messaging.departments.sync").delete()
    with run_commit_hooks():
        publish(directory_events.PersonUpdated(person_id=li.pk, subject_type="directory.person",
                                               subject_id=str(li.pk)))
    with run_commit_hooks():
        publish(directory_events.OrgChartImported(created=2, updated=1))
    queued = list(JobRecord.objects.filter(name="messaging.departments.sync")
                  .values_list("status", "args", "kwargs"))
    assert queued == [("queued", [], {})]


def test_every_department_event_is_subscribed() -> None:
    from taihe.kernel.events import event_types
    from taihe.kernel.events import subscribers as listeners

    for name in subscribers.DEPARTMENT_EVENTS:
        assert name in event_types(), name
        assert [s.name for s in listeners(name, durable=True)
                if s.name.startswith("messaging.")] == [f"messaging.department_groups.{name}"]
    assert [s.name for s in listeners("directory.person.password_changed.v1")
            if s.name.startswith("messaging.")] == []


def test_a_bot_hook_records_no_outbox_event(made: tuple[Bot, str]) -> None:
    before = OutboxEvent.objects.count()
    assert _hook(Client(), made[1], {"text": "quiet"}).status_code == 201
    assert OutboxEvent.objects.count() == before


def test_posting_needs_a_known_token(made: tuple[Bot, str]) -> None:
    with pytest.raises(NotFound):
        bots.do_post_as_bot("", "hello")


def covered_operations() -> set[tuple[str, str]]:
    """The bot endpoints the tests above drive for every actor (the directory's matrix
    checks that every API operation is covered somewhere)."""
    return {
        ("GET", "/api/v1/messaging/conversations/{conversation_id}/bots"),
        ("POST", "/api/v1/messaging/conversations/{conversation_id}/bots"),
        ("POST", "/api/v1/messaging/bots/{bot_id}/token"),
        ("DELETE", "/api/v1/messaging/bots/{bot_id}"),
        ("GET", "/api/v1/messaging/bot-feeds"),
        ("POST", "/api/v1/messaging/hooks/{token}"),
    }
