"""The audit log pages: search, export and chain verification, for audit.entry.view only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from taihe.modules.audit import chain
from taihe.modules.audit.models import AuditEntry
from tests.factories import PersonFactory, grant

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def entry(event: str, *, actor_id: int | None = None, when: datetime | None = None,
          subject: tuple[str, str] = ("directory.person", "1"),
          request_id: str = "") -> AuditEntry:
    # Stored and hashed in UTC, as events record it.
    occurred_at = (when or datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)).astimezone(UTC)
    return chain.append(
        event_id=uuid.uuid4(), event_name=event, actor_id=actor_id, request_id=request_id,
        occurred_at=occurred_at,
        subject_type=subject[0], subject_id=subject[1], before={"phone": ""},
        after={"phone": "110"}, payload={})


@pytest.fixture
def auditor(museum: Any) -> Any:
    person = PersonFactory(username="auditor", department=museum["root"])
    from taihe.modules.directory.models import Role

    Role.objects.create(code="auditor", name_zh="审计", name_en="Auditor",
                        operations=["audit.entry.view"])
    grant(person, "auditor")
    return person


@pytest.mark.parametrize("url", ["/audit/", "/audit/export.csv"])
def test_anonymous_is_sent_to_sign_in(client: Any, museum: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('directory:login')}?next={url}"


def test_members_may_not_read_the_log(client_for: Any, member: Any, hr_person: Any) -> None:
    entry("directory.person.updated.v1", actor_id=member.pk)
    for person in (member, hr_person):
        client = client_for(person)
        response = client.get("/audit/")
        assert response.status_code == 403
        assert "directory.person.updated.v1" not in response.content.decode()
        assert client.get("/audit/export.csv").status_code == 403
        assert client.post("/audit/verify").status_code == 403


def test_auditor_searches_but_may_not_export(client_for: Any, auditor: Any, member: Any) -> None:
    entry("directory.person.updated.v1", actor_id=member.pk, request_id="req-abcdef12")
    entry("directory.department.created.v1", actor_id=auditor.pk)
    client = client_for(auditor)
    response = client.get("/audit/", {"event": "directory.person"})
    assert response.status_code == 200
    assert [r["entry"].event_name for r in response.context["entries"]] == [
        "directory.person.updated.v1"]
    assert response.context["entries"][0]["actor"] == f"{member.name_zh} · {member.name_en}"
    assert response.context["may_export"] is False
    assert client.get("/audit/export.csv").status_code == 403


@pytest.mark.parametrize(("params", "expected"), [
    ({"request_id": "req-abcdef12"}, [1]),
    ({"subject_type": "directory.department", "subject_id": "9"}, [2]),
    ({"since": "2026-03-03"}, [3]),
    ({"until": "2026-03-02"}, [2, 1]),
    ({"since": "2026-03-02", "until": "2026-03-02"}, [2, 1]),
])
def test_filters(client_for: Any, admin_person: Any, params: dict[str, str],
                 expected: list[int]) -> None:
    entry("a.b.c.v1", request_id="req-abcdef12")
    entry("a.b.c.v1", subject=("directory.department", "9"),
          when=datetime(2026, 3, 2, 23, 59, tzinfo=SHANGHAI))
    entry("a.b.c.v1", when=datetime(2026, 3, 3, 0, 1, tzinfo=SHANGHAI))
    response = client_for(admin_person).get("/audit/", params)
    assert [r["entry"].sequence for r in response.context["entries"]] == expected


def test_filter_by_actor(client_for: Any, admin_person: Any, member: Any) -> None:
    entry("x.y.z.v1", actor_id=member.pk)
    entry("x.y.z.v1", actor_id=admin_person.pk)
    response = client_for(admin_person).get("/audit/", {"actor": member.pk})
    assert [r["entry"].actor_id for r in response.context["entries"]] == [member.pk]


def test_bad_dates_are_reported(client_for: Any, admin_person: Any) -> None:
    response = client_for(admin_person).get("/audit/", {"since": "2026-03-05",
                                                        "until": "2026-03-01"})
    assert response.status_code == 422
    assert response.context["form"].errors == {"until": ["The end date is before the start date."]}


def test_administrator_exports_csv(client_for: Any, admin_person: Any, member: Any) -> None:
    entry("directory.person.updated.v1", actor_id=member.pk)
    response = client_for(admin_person).get("/audit/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == ("sequence,occurred_at,event,actor_id,actor,request_id,subject_type,"
                        "subject_id,before,after,payload,hash")
    assert lines[1].startswith(f"1,2026-03-02T09:30:00+08:00,directory.person.updated.v1,"
                               f"{member.pk},{member.name_zh} · {member.name_en},,"
                               "directory.person,1,")
    assert len(lines) == 2


def test_verify_reports_an_intact_chain(client_for: Any, admin_person: Any) -> None:
    entry("a.b.c.v1")
    entry("a.b.c.v1")
    response = client_for(admin_person).post("/audit/verify", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["checked"] == 2
    assert response.context["breaks"] == []
    assert "The chain is intact." in response.content.decode()


def test_verify_reports_tampering(client_for: Any, admin_person: Any) -> None:
    entry("a.b.c.v1")
    entry("a.b.c.v1")
    with connection.cursor() as cursor:
        for trigger in _triggers():
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute("UPDATE audit_auditentry SET subject_id = '666' WHERE sequence = 1")
    response = client_for(admin_person).post("/audit/verify")
    assert response.status_code == 200
    assert [b.sequence for b in response.context["breaks"]] == [1]
    assert "The chain is broken in 1 place." in response.content.decode()


def test_verify_is_not_run_on_page_load(client_for: Any, admin_person: Any,
                                        monkeypatch: Any) -> None:
    def boom() -> None:
        raise AssertionError("verify ran on a page load")

    monkeypatch.setattr(chain, "verify", boom)
    assert client_for(admin_person).get("/audit/").status_code == 200


def _triggers() -> list[str]:
    if connection.vendor != "sqlite":
        pytest.skip("tampering is simulated on SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                       "AND tbl_name = 'audit_auditentry'")
        return [row[0] for row in cursor.fetchall()]
