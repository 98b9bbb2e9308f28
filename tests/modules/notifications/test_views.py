"""The notification centre and preferences: only ever one's own notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from taihe.modules.notifications.models import Notification, Preference

pytestmark = pytest.mark.django_db


def note(person: Any, title: str, *, read: bool = False, url: str = "") -> Notification:
    return Notification.objects.create(recipient=person, category="system", title=title,
                                       url=url, read_at=timezone.now() if read else None)


@pytest.mark.parametrize("url", ["/notifications/", "/notifications/preferences/"])
def test_anonymous_is_sent_to_sign_in(client: Any, museum: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('directory:login')}?next={url}"


def test_lists_only_my_notifications(client_for: Any, member: Any, admin_person: Any) -> None:
    note(member, "Humidity alert in store 2")
    note(member, "Old", read=True)
    note(admin_person, "Admin eyes only")
    response = client_for(member).get("/notifications/")
    assert response.status_code == 200
    assert [n.title for n in response.context["page_obj"]] == ["Old",
                                                               "Humidity alert in store 2"]
    assert response.context["unread"] == 1
    assert "Admin eyes only" not in response.content.decode()


def test_unread_filter(client_for: Any, member: Any) -> None:
    note(member, "New")
    note(member, "Seen", read=True)
    response = client_for(member).get("/notifications/", {"show": "unread"})
    assert [n.title for n in response.context["page_obj"]] == ["New"]


def test_outsider_and_administrator_have_their_own_centre(client_for: Any, outsider: Any,
                                                          admin_person: Any) -> None:
    note(admin_person, "For the admin")
    assert client_for(outsider).get("/notifications/").context["page_obj"].paginator.count == 0
    response = client_for(admin_person).get("/notifications/")
    assert [n.title for n in response.context["page_obj"]] == ["For the admin"]


def test_mark_one_read(client_for: Any, member: Any) -> None:
    first = note(member, "One")
    second = note(member, "Two")
    response = client_for(member).post(f"/notifications/{first.pk}/read")
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None


def test_cannot_mark_someone_elses_notification(client_for: Any, member: Any,
                                                admin_person: Any) -> None:
    theirs = note(admin_person, "Theirs")
    assert client_for(member).post(f"/notifications/{theirs.pk}/read").status_code == 404
    assert client_for(member).post(f"/notifications/{theirs.pk}/open").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_mine(client_for: Any, member: Any,
                                         admin_person: Any) -> None:
    note(member, "A")
    note(member, "B")
    theirs = note(admin_person, "C")
    client_for(member).post("/notifications/read-all")
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_open_marks_read_and_follows_local_links_only(client_for: Any, member: Any) -> None:
    local = note(member, "Export ready", url="/directory/exports/1/download")
    foreign = note(member, "Phish", url="https://evil.example/")
    client = client_for(member)
    assert client.post(f"/notifications/{local.pk}/open").url == "/directory/exports/1/download"
    assert client.post(f"/notifications/{foreign.pk}/open").url == "/notifications/"
    local.refresh_from_db()
    assert local.read_at is not None


def test_mark_read_needs_post(client_for: Any, member: Any) -> None:
    mine = note(member, "One")
    assert client_for(member).get(f"/notifications/{mine.pk}/read").status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


def test_preferences_show_defaults_and_save_choices(client_for: Any, member: Any) -> None:
    client = client_for(member)
    rows = client.get("/notifications/preferences/").context["rows"]
    assert {r["category"]: (r["in_app"], r["email"]) for r in rows}["security"] == (True, True)
    response = client.post("/notifications/preferences/", {
        "system-in_app": "on", "exports-in_app": "on", "exports-email": "on",
        "security-in_app": "on"})
    assert response.status_code == 302
    saved = {p.category: (p.in_app, p.email) for p in Preference.objects.filter(person=member)}
    assert saved == {"exports": (True, True), "security": (True, False),
                     "catalog.loans": (False, False), "conservation.alerts": (False, False),
                     "messaging.ding": (False, False), "messaging.mentions": (False, False),
                     "workflows.copies": (False, False), "workflows.outcomes": (False, False),
                     "workflows.tasks": (False, False)}


def test_unread_badge_in_the_navigation(client_for: Any, member: Any) -> None:
    note(member, "A")
    note(member, "B")
    body = client_for(member).get("/notifications/").content.decode()
    assert 'data-unread-badge aria-hidden="true">2</span>' in body
