"""Every directory, notification, audit, workbench and job endpoint, called by four actors:
anonymous, a member without the permission, a member with it, and an administrator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from taihe.kernel.http import tokens
from taihe.kernel.testing.matrix import Call, assert_allowed, assert_denied
from taihe.modules.directory.models import Group, Person, Role, RoleAssignment
from tests.factories import PersonFactory, grant

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "without", "with", "admin")


@dataclass
class Case:
    name: str
    build: Callable[[dict[str, Any]], Call]
    expected: dict[str, int]
    holder: str = "hr"
    """Which person plays "member with the permission"."""
    without: str = "member"
    """Which person plays "member without the permission"."""
    filtered: bool = False
    """Reads that answer 200 to the unpermitted member, with nothing in them."""


def _target(ctx: dict[str, Any]) -> Person:
    return PersonFactory(department=ctx["museum"]["lab"], name_en="Secret Target")


def _dept(ctx: dict[str, Any]) -> Any:
    from tests.factories import DepartmentFactory

    return DepartmentFactory(parent=ctx["museum"]["conservation"], name_en="Secret Dept")


def _token(ctx: dict[str, Any]) -> int:
    return tokens.issue(ctx["holder_of_token"], name="sensor gateway", scopes=["read"]).token.pk


READ = {"anonymous": 401, "without": 200, "with": 200, "admin": 200}
CASES = [
    Case("people list", lambda c: Call("GET", "/api/v1/directory/people", secrets=["Secret"]),
         READ, holder="member", without="outsider", filtered=True),
    Case("person", lambda c: Call("GET", f"/api/v1/directory/people/{_target(c).pk}",
                                  secrets=["Secret Target"]),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200},
         holder="member", without="outsider"),
    Case("departments", lambda c: Call("GET", "/api/v1/directory/departments",
                                       secrets=["Conservation"]),
         READ, holder="member", without="outsider", filtered=True),
    Case("department", lambda c: Call("GET", f"/api/v1/directory/departments/{_dept(c).pk}",
                                      secrets=["Secret Dept"]),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200},
         holder="member", without="outsider"),
    Case("roles", lambda c: Call("GET", "/api/v1/directory/roles", secrets=["administrator"]),
         READ, filtered=True),
    Case("operations", lambda c: Call("GET", "/api/v1/directory/operations",
                                      secrets=["directory.person.manage"]),
         READ, filtered=True),
    Case("role assignments", lambda c: Call(
        "GET", f"/api/v1/directory/people/{c['people']['member'].pk}/roles", secrets=["staff"]),
         READ, filtered=True),
    Case("groups", lambda c: Call("GET", "/api/v1/directory/groups", secrets=["Secret group"]),
         READ, holder="member", without="outsider", filtered=True),
    Case("audit entries", lambda c: Call("GET", "/api/v1/audit/entries",
                                         secrets=["directory.person"]),
         READ, holder="operator", filtered=True),
    Case("create person", lambda c: Call("POST", "/api/v1/directory/people", {
        "username": f"new{len(Person.objects.all())}", "name_zh": "新人",
        "department_id": c["museum"]["lab"].pk}),
         {"anonymous": 401, "without": 403, "with": 201, "admin": 201}),
    Case("update person", lambda c: Call("PATCH", f"/api/v1/directory/people/{_target(c).pk}",
                                         {"phone": "010-5555"}),
         {"anonymous": 401, "without": 403, "with": 200, "admin": 200}),
    Case("deactivate person", lambda c: Call(
        "POST", f"/api/v1/directory/people/{_target(c).pk}/deactivate"),
         {"anonymous": 401, "without": 403, "with": 200, "admin": 200}),
    Case("create department", lambda c: Call("POST", "/api/v1/directory/departments", {
        "code": f"d{len(Group.objects.all())}-{id(c) % 1000}-{_count()}",
        "name_zh": "新部门", "parent_id": c["museum"]["root"].pk}),
         {"anonymous": 401, "without": 403, "with": 201, "admin": 201}, holder="operator"),
    Case("rename department", lambda c: Call(
        "PATCH", f"/api/v1/directory/departments/{_dept(c).pk}", {"name_zh": "改名"}),
         {"anonymous": 401, "without": 403, "with": 200, "admin": 200}, holder="operator"),
    Case("move department", lambda c: Call(
        "POST", f"/api/v1/directory/departments/{_dept(c).pk}/move",
        {"parent_id": c["museum"]["security"].pk}),
         {"anonymous": 401, "without": 403, "with": 200, "admin": 200}, holder="operator"),
    Case("merge department", lambda c: Call(
        "POST", f"/api/v1/directory/departments/{_dept(c).pk}/merge",
        {"into_id": c["museum"]["security"].pk}),
         {"anonymous": 401, "without": 403, "with": 200, "admin": 200}, holder="operator"),
    Case("close department", lambda c: Call(
        "POST", f"/api/v1/directory/departments/{_dept(c).pk}/close"),
         {"anonymous": 401, "without": 403, "with": 200, "admin": 200}, holder="operator"),
    Case("create role", lambda c: Call("POST", "/api/v1/directory/roles", {
        "code": f"role-{_count()}", "name_zh": "角色", "name_en": "Role",
        "operations": ["directory.person.view"]}),
         {"anonymous": 401, "without": 403, "with": 201, "admin": 201}, holder="operator"),
    Case("update role", lambda c: Call(
        "PUT", f"/api/v1/directory/roles/{Role.objects.get(code='educator').pk}",
        {"code": "educator", "name_zh": "宣教", "name_en": "Educator",
         "operations": ["directory.person.view"]}),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}, holder="operator"),
    Case("assign role", lambda c: Call(
        "POST", f"/api/v1/directory/people/{_target(c).pk}/roles",
        {"role_id": Role.objects.get(code="curator").pk}),
         {"anonymous": 401, "without": 403, "with": 201, "admin": 201}),
    Case("revoke role", lambda c: Call(
        "DELETE", f"/api/v1/directory/assignments/"
        f"{grant(_target(c), 'curator').pk}"),
         {"anonymous": 401, "without": 404, "with": 204, "admin": 204}),
    Case("create group", lambda c: Call("POST", "/api/v1/directory/groups", {
        "name": f"Committee {_count()}", "member_ids": [c["people"]["member"].pk]}),
         {"anonymous": 401, "without": 403, "with": 201, "admin": 201}, holder="operator"),
    Case("revoke someone's token", lambda c: Call(
        "POST", f"/api/v1/directory/tokens/{_token(c)}/revoke"),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}, holder="operator"),
    Case("request export", lambda c: Call("POST", "/api/v1/directory/exports",
                                          {"format": "csv"}),
         {"anonymous": 401, "without": 403, "with": 202, "admin": 202}),
]

def _upload() -> dict[str, Any]:
    from io import BytesIO

    sheet = BytesIO("username,name_zh,department_code\nnewbie,新人,paper-lab\n".encode())
    sheet.name = "people.csv"
    return {"file": sheet}


def _notification_for(person: Any, title: str) -> int:
    from taihe.modules.notifications.models import Notification

    return Notification.objects.create(recipient=person, category="system", title=title).pk


def _export_of(person: Any) -> int:
    from taihe.modules.directory.models import OrgChartExport

    return OrgChartExport.objects.create(requested_by=person, format="csv").pk


def _job_of(person: Any) -> int:
    from django.utils import timezone

    from taihe.kernel.jobs.models import JobRecord

    return JobRecord.objects.create(name="directory.orgchart.export", args=[1],
                                    actor_id=person.pk, run_after=timezone.now()).pk


SELF = {"anonymous": 401, "without": 200, "with": 200, "admin": 200}
CASES += [
    Case("me", lambda c: Call("GET", "/api/v1/directory/me", secrets=["gateway-owner"]),
         SELF, holder="member", without="outsider"),
    Case("update me", lambda c: Call("PATCH", "/api/v1/directory/me", {"phone": "010-1"}),
         SELF, holder="member", without="outsider"),
    Case("my tokens", lambda c: Call("GET", f"/api/v1/directory/tokens?x={_token(c)}",
                                     secrets=["sensor gateway"]),
         READ, holder="operator", without="outsider", filtered=True),
    Case("issue token", lambda c: Call("POST", "/api/v1/directory/tokens",
                                       {"name": "laptop", "scopes": ["read"]}),
         {"anonymous": 401, "without": 201, "with": 201, "admin": 201},
         holder="member", without="outsider"),
    Case("update group", lambda c: Call(
        "PUT", f"/api/v1/directory/groups/{Group.objects.get(name='Secret group').pk}",
        {"name": "Secret group", "member_ids": [c["people"]["member"].pk]}),
         {"anonymous": 401, "without": 403, "with": 200, "admin": 200}, holder="operator"),
    Case("import org chart", lambda c: Call("POST", "/api/v1/directory/imports",
                                            {"dry_run": "true"}, files=_upload()),
         {"anonymous": 401, "without": 403, "with": 200, "admin": 200}),
    Case("someone's export", lambda c: Call(
        "GET", f"/api/v1/directory/exports/{_export_of(c['holder_of_token'])}"),
         {"anonymous": 401, "without": 404, "with": 404, "admin": 404}),
    Case("my notifications", lambda c: Call(
        "GET", f"/api/v1/notifications?x={_notification_for(c['holder_of_token'], 'Secret')}",
        secrets=["Secret"]),
         READ, holder="member", without="outsider", filtered=True),
    Case("unread count", lambda c: Call("GET", "/api/v1/notifications/unread"),
         SELF, holder="member", without="outsider"),
    Case("mark someone's notification read", lambda c: Call(
        "POST", "/api/v1/notifications/read",
        {"ids": [_notification_for(c["holder_of_token"], "Secret")]}, secrets=["Secret"]),
         {"anonymous": 401, "without": 404, "with": 404, "admin": 404}),
    Case("notification preferences", lambda c: Call("GET", "/api/v1/notifications/preferences"),
         SELF, holder="member", without="outsider"),
    Case("set a preference", lambda c: Call(
        "PUT", "/api/v1/notifications/preferences",
        {"category": "system", "in_app": True, "email": True}),
         SELF, holder="member", without="outsider"),
    Case("workbench", lambda c: Call("GET", "/api/v1/workbench"), SELF,
         holder="member", without="outsider"),
    Case("someone's job", lambda c: Call("GET", f"/api/v1/jobs/{_job_of(c['holder_of_token'])}",
                                         secrets=["orgchart"]),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}, holder="operator"),
]

_counter = {"n": 0}


def _count() -> int:
    _counter["n"] += 1
    return _counter["n"]


@pytest.fixture
def ctx(museum, member, outsider, hr_person, admin_person) -> dict[str, Any]:
    operator = PersonFactory(username="operator", department=museum["root"])
    role = Role.objects.create(code="operator", name_zh="运维", name_en="Operator", operations=[
        "directory.person.view",
        "directory.department.manage", "directory.role.manage", "directory.group.manage",
        "directory.token.manage", "audit.entry.view", "audit.entry.export", "kernel.job.view"])
    RoleAssignment.objects.create(person=operator, role=role, department=museum["root"])
    token_owner = PersonFactory(username="gateway-owner", department=museum["security"])
    Group.objects.create(name="Secret group")
    return {"museum": museum, "holder_of_token": token_owner,
            "people": {"member": member, "outsider": outsider, "hr": hr_person,
                       "admin": admin_person, "operator": operator}}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_four_actors(case: Case, ctx: dict[str, Any], client_for: Any,
                     run_commit_hooks: Any) -> None:
    people = ctx["people"]
    callers = {"anonymous": None, "without": people[case.without],
               "with": people[case.holder], "admin": people["admin"]}
    for actor in ACTORS:
        call = case.build(ctx)
        client = client_for(callers[actor])
        status = case.expected[actor]
        if status >= 400:
            assert_denied(client, call, status)
        elif actor == "without" and case.filtered:
            response = assert_allowed(client, call, status)
            body = response.json()
            assert body in ([], {"items": [], "count": 0}), (case.name, body)
        else:
            with run_commit_hooks():
                assert_allowed(client, call, status)


def test_every_api_operation_is_in_the_matrix(ctx: dict[str, Any]) -> None:
    """A new endpoint without a four-actor case fails here."""
    from urllib.parse import urlsplit

    from django.test import Client
    from django.urls import resolve

    spec = Client().get("/api/v1/openapi.json").json()
    declared = {(method.upper(), path) for path, item in spec["paths"].items()
                for method in item if method in {"get", "post", "put", "patch", "delete"}}
    # Map each case's concrete path back to its route template through Django's resolver.
    import re

    from tests.modules.attendance.test_http import covered_operations as attendance_covered
    from tests.modules.catalog.test_http_matrix import covered_operations as catalog_covered
    from tests.modules.conservation.test_http_matrix import (
        covered_operations as conservation_covered,
    )
    from tests.modules.messaging import test_bots as messaging_bots
    from tests.modules.messaging.test_http import covered_operations as messaging_covered
    from tests.modules.workflows.test_http_matrix import (
        covered_operations as workflows_covered,
    )

    templates = {}
    for path in spec["paths"]:
        if path.startswith(("/api/v1/catalog/", "/api/v1/conservation/",
                             "/api/v1/workflows/", "/api/v1/attendance/",
                             "/api/v1/messaging/")):
            continue  # these modules' matrices map their own cases to paths (their tests check)
        sample = re.sub(r"\{[a-z_]+_id\}", "1", path)
        templates[resolve(sample).route] = path
    # The bots' operations (messaging.http_bots) are covered by their own tests' list.
    bots_covered = messaging_bots.covered_operations
    covered = (set(catalog_covered()) | set(conservation_covered()) | set(workflows_covered())
               | set(attendance_covered()) | set(messaging_covered()) | set(bots_covered()))
    for case in CASES:
        call = case.build(ctx)
        covered.add((call.method, templates[resolve(urlsplit(call.path).path).route]))
    assert len(declared) >= 35
    assert declared - covered == set()
