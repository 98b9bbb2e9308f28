"""The workbench home page: apps by permission, to-dos, latest notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from taihe.kernel import shell
from taihe.modules.notifications.models import Notification

pytestmark = pytest.mark.django_db


def tile_codes(response: Any) -> list[str]:
    return [item["tile"].code for item in response.context["tiles"]]


def test_anonymous_is_sent_to_sign_in(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("directory:login") + "?next=/"


def test_outsider_sees_only_apps_open_to_everyone(client_for: Any, outsider: Any) -> None:
    response = client_for(outsider).get("/")
    assert response.status_code == 200
    assert tile_codes(response) == ["notifications", "profile"]
    assert b'href="/directory/"' not in response.content
    assert b"/audit/" not in response.content


def test_member_sees_directory_but_no_admin_apps(client_for: Any, member: Any) -> None:
    response = client_for(member).get("/")
    assert response.status_code == 200
    assert tile_codes(response) == ["messaging", "directory", "notifications", "workflows",
                                    "attendance", "catalog", "catalog.locations", "profile"]
    assert b"/directory/manage/" not in response.content
    assert b"/audit/" not in response.content


def test_hr_sees_people_admin_apps(client_for: Any, hr_person: Any) -> None:
    response = client_for(hr_person).get("/")
    assert tile_codes(response) == ["messaging", "directory", "notifications", "workflows",
                                    "workflows.design", "attendance", "attendance.manage",
                                    "attendance.payroll", "catalog", "catalog.locations",
                                    "profile", "directory.people", "directory.roles",
                                    "directory.orgchart"]


def test_administrator_sees_every_app(client_for: Any, admin_person: Any) -> None:
    response = client_for(admin_person).get("/")
    assert response.status_code == 200
    assert tile_codes(response) == [
        "messaging", "directory", "notifications", "workflows", "workflows.design",
        "attendance",
        "attendance.manage", "attendance.payroll", "catalog", "catalog.locations", "catalog.scan",
        "catalog.import", "catalog.loans", "catalog.inventory", "conservation",
        "conservation.alerts", "conservation.import", "conservation.reports",
        "conservation.risk", "conservation.prediction", "conservation.materials", "profile",
        "directory.people",
        "directory.departments", "directory.roles", "directory.orgchart", "directory.tokens",
        "audit"]
    assert b'href="/audit/"' in response.content


def test_shows_my_latest_notifications_and_unread_count_only(
        client_for: Any, member: Any, admin_person: Any) -> None:
    Notification.objects.create(recipient=member, category="system", title="Gallery 3 closes")
    Notification.objects.create(recipient=member, category="system", title="Old news",
                                read_at="2026-01-01T00:00:00Z")
    Notification.objects.create(recipient=admin_person, category="system", title="Admin only")
    response = client_for(member).get("/")
    body = response.content.decode()
    assert "Gallery 3 closes" in body
    assert "Old news" in body
    assert "Admin only" not in body
    assert 'data-unread-badge aria-hidden="true">1</span>' in body


def test_shows_todos_from_registered_sources(client_for: Any, member: Any) -> None:
    shell.register_todo_source("test.todos", lambda user: [
        shell.Todo(title=f"Approve leave for {user.username}", url="/x", source="Workflows")])
    try:
        response = client_for(member).get("/")
    finally:
        shell._TO_DO_SOURCES.pop("test.todos")
    assert "Approve leave for member" in response.content.decode()


def test_page_uses_local_static_files_and_a_favicon(client_for: Any, member: Any) -> None:
    body = client_for(member).get("/").content.decode()
    assert '<link rel="icon" href="/static/taihe/favicon.svg"' in body
    assert "/static/taihe/vendor/htmx-2.0.11.min.js" in body
    assert "/static/taihe/realtime.js" in body
    assert "https://" not in body.replace("https://www.w3.org", "")


def test_language_follows_the_person(client_for: Any, member: Any) -> None:
    member.language = "zh-hans"
    member.save(update_fields=["language"])
    response = client_for(member).get("/")
    assert '<html lang="zh-hans">' in response.content.decode()
