"""The chat pages: the shell at /chat/ and /chat/c/<id>/, the messaging policy page and
conversation exports.

Actors: anonymous (sent to sign in), the outsider (signed in, no ``messaging.chat.use``:
403), staff members (chat; Li, Zhang and Wang share the group "Paper lab", ``member`` is
not in it) and the administrator (every operation, not in the group). A conversation a
person is not in answers 404 exactly like one that does not exist, and its title never
reaches the page.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.messaging import services
from taihe.modules.messaging.models import Message, Policy

pytestmark = pytest.mark.django_db


def _page(response: Any) -> str:
    return str(response.content.decode())


def _items(html: str) -> dict[int, str]:
    """The conversation list items by conversation id, each as its HTML."""
    found = {}
    for match in re.finditer(r'<li class="chat-row[^"]*" data-testid="conversation-item" '
                             r'data-conversation-id="(\d+)"(.*?)</li>', html, re.S):
        found[int(match.group(1))] = match.group(0)
    return found


def _login_redirect(response: Any, url: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('directory:login')}?next={url}"


# --- The chat shell ---------------------------------------------------------------------------

def test_anonymous_people_are_sent_to_sign_in(client_for: Any, group: Any) -> None:
    client = client_for(None)
    for url in (reverse("messaging:index"),
                reverse("messaging:conversation", args=[group.pk]),
                reverse("messaging:settings"),
                reverse("messaging:export", args=[group.pk, "json"])):
        _login_redirect(client.get(url), url)


def test_the_outsider_without_chat_is_refused(client_for: Any, outsider: Any, group: Any) -> None:
    client = client_for(outsider)
    listing = client.get(reverse("messaging:index"))
    opened = client.get(reverse("messaging:conversation", args=[group.pk]))
    assert listing.status_code == 403
    assert opened.status_code == 403
    assert "Paper lab" not in _page(opened)
    assert "data-chat" not in _page(opened)


def test_a_member_gets_the_shell_with_the_conversation_open(
        client_for: Any, zhang: Any, group: Any) -> None:
    response = client_for(zhang).get(reverse("messaging:conversation", args=[group.pk]))
    html = _page(response)
    assert response.status_code == 200
    assert "<title>Chat · Taihe</title>" in html
    assert f'data-me="{zhang.pk}"' in html
    assert f'data-conversation-id="{group.pk}"' in html
    assert 'data-api="/api/v1/messaging"' in html
    assert 'data-conversation-url="/chat/c/0/"' in html
    assert 'data-export-url="/chat/c/0/export.FMT"' in html
    assert 'data-time-zone="Asia/Shanghai"' in html
    assert f'data-user-id="{zhang.pk}"' in html  # on <body>, for the shell's own socket
    assert '<div class="chat is-open"' in html
    assert re.search(r'data-testid="conversation-heading">Paper lab</span>', html)
    assert "3 members" in html
    for testid in ("composer-input", "send-button", "ding-toggle", "message-list",
                   "members-button", "new-group", "new-direct", "join-group"):
        assert f'data-testid="{testid}"' in html, testid
    assert 'data-testid="new-channel"' not in html  # staff do not manage channels
    assert list(_items(html)) == [group.pk]
    assert 'aria-current="page"' in _items(html)[group.pk]
    assert "/static/messaging/chat.js" in html and "/jsi18n/" in html


def test_the_list_shows_unread_counts_mentions_and_excerpts(
        client_for: Any, li: Any, zhang: Any, wang: Any, group: Any) -> None:
    quiet = services.do_create_group(wang, title="Security desk", member_ids=[zhang.pk])
    services.do_set_member_settings(zhang, quiet.pk, muted=True)
    services.do_send_message(wang, quiet.pk, "Keys returned")
    services.do_send_message(li, group.pk, "Hello @zhang, the humidity is rising")
    services.do_send_message(li, group.pk, "Second note")
    direct = services.do_open_direct(li, zhang.pk)
    services.do_send_message(li, direct.pk, "Tea at three?")
    services.do_set_member_settings(zhang, direct.pk, pinned=True)

    html = _page(client_for(zhang).get(reverse("messaging:index")))

    items = _items(html)
    assert list(items) == [direct.pk, group.pk, quiet.pk]  # pinned first, then the latest
    assert 'data-unread="2" data-mentions="1"' in items[group.pk]
    assert 'data-testid="unread-badge">2<' in items[group.pk]
    assert 'data-testid="mention-badge"' in items[group.pk]
    assert "Second note" in items[group.pk]
    assert "Li Wei" in items[direct.pk] and "Tea at three?" in items[direct.pk]
    assert "is-pinned" in items[direct.pk]
    assert "is-muted" in items[quiet.pk]  # dimmed, its count still shown
    assert 'data-testid="unread-badge">1<' in items[quiet.pk]
    assert '<div class="chat"' in html  # no conversation open: the phone shows the list
    assert 'data-conversation-id=""' in html


def test_the_list_escapes_what_people_type(client_for: Any, li: Any, zhang: Any) -> None:
    sneaky = services.do_create_group(li, title="<b>Lab</b>", member_ids=[zhang.pk])
    services.do_send_message(li, sneaky.pk, "<script>alert(1)</script>")

    html = _page(client_for(zhang).get(reverse("messaging:index")))

    assert "&lt;b&gt;Lab&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_strangers_to_a_conversation_get_not_found(
        client_for: Any, member: Any, admin_person: Any, wang: Any, group: Any) -> None:
    services.do_leave(wang, group.pk)
    for person in (member, admin_person, wang):
        response = client_for(person).get(reverse("messaging:conversation", args=[group.pk]))
        assert response.status_code == 404, person.username
        assert "Paper lab" not in _page(response)
    missing = client_for(member).get(reverse("messaging:conversation", args=[group.pk + 999]))
    assert missing.status_code == 404


def test_channel_managers_are_offered_announcement_channels(
        client_for: Any, admin_person: Any) -> None:
    html = _page(client_for(admin_person).get(reverse("messaging:index")))
    assert 'data-testid="new-channel"' in html
    assert 'data-may-channel="1"' in html
    assert reverse("messaging:settings") in html  # records officers reach the policy


def test_viewing_the_page_changes_nothing(client_for: Any, li: Any, zhang: Any,
                                          group: Any) -> None:
    sent = services.do_send_message(li, group.pk, "Unread until the script marks it")
    client_for(zhang).get(reverse("messaging:conversation", args=[group.pk]))
    assert group.members.get(person=zhang).last_read_id < sent.pk
    assert Message.objects.filter(conversation=group).count() == 2  # notice and message


# --- Policy ----------------------------------------------------------------------------------

def test_the_policy_page_is_for_records_officers_only(
        client_for: Any, zhang: Any, outsider: Any, admin_person: Any) -> None:
    url = reverse("messaging:settings")
    for person in (zhang, outsider):
        assert client_for(person).get(url).status_code == 403
        refused = client_for(person).post(url, {"default_retention_days": "30",
                                                "recall_minutes": "1", "edit_minutes": "1"})
        assert refused.status_code == 403
    policy = services.policy()
    assert (policy.default_retention_days, policy.recall_minutes, policy.edit_minutes) == (
        None, 1440, 1440)
    page = client_for(admin_person).get(url)
    assert page.status_code == 200
    assert 'name="recall_minutes" value="1440"' in _page(page)


def test_a_records_officer_changes_the_policy(client_for: Any, admin_person: Any) -> None:
    response = client_for(admin_person).post(reverse("messaging:settings"), {
        "default_retention_days": "3650", "recall_minutes": "5", "edit_minutes": "30"})
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:settings")
    policy = Policy.objects.get()
    assert (policy.default_retention_days, policy.recall_minutes, policy.edit_minutes,
            policy.updated_by_id) == (3650, 5, 30, admin_person.pk)


def test_a_bad_policy_value_names_the_field_and_saves_nothing(
        client_for: Any, admin_person: Any) -> None:
    before = services.policy()
    response = client_for(admin_person).post(reverse("messaging:settings"), {
        "default_retention_days": "0", "recall_minutes": "abc", "edit_minutes": "10"})
    assert response.status_code == 200
    html = _page(response)
    assert 'id="id_default_retention_days_error"' in html
    assert 'id="id_recall_minutes_error"' in html
    after = Policy.objects.get(pk=before.pk)
    assert (after.default_retention_days, after.recall_minutes, after.edit_minutes) == (
        None, 1440, 1440)


# --- Export ----------------------------------------------------------------------------------

def test_the_owner_downloads_the_conversation(client_for: Any, li: Any, group: Any) -> None:
    services.do_send_message(li, group.pk, "Humidity 62% in store 3")
    client = client_for(li)

    response = client.get(reverse("messaging:export", args=[group.pk, "json"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert re.fullmatch(rf'attachment; filename="conversation-{group.pk}-\d{{8}}-\d{{4}}\.json"',
                        response["Content-Disposition"])
    assert response["Cache-Control"] == "private, no-store"
    assert "Humidity 62% in store 3" in json.dumps(json.loads(response.content),
                                                   ensure_ascii=False)
    pdf = client.get(reverse("messaging:export", args=[group.pk, "pdf"]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_others_cannot_export(client_for: Any, zhang: Any, member: Any, outsider: Any,
                              admin_person: Any, li: Any, group: Any) -> None:
    url = reverse("messaging:export", args=[group.pk, "json"])
    plain = client_for(zhang).get(url)  # a plain member of the group
    assert plain.status_code == 403
    assert "Content-Disposition" not in plain
    # Strangers, the administrator included (records managers export what they are in).
    for person in (member, outsider, admin_person):
        response = client_for(person).get(url)
        assert response.status_code == 404, person.username
        assert "Paper lab" not in _page(response)
        assert "Content-Disposition" not in response
    unknown = client_for(li).get(reverse("messaging:export", args=[group.pk, "xml"]))
    assert unknown.status_code == 404
    missing = client_for(li).get(reverse("messaging:export", args=[group.pk + 999, "json"]))
    assert missing.status_code == 404
