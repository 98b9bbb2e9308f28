"""The demo museum: its shape, its sign-ins, and that loading it twice changes nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Max

from taihe.kernel import authz
from taihe.kernel import demo as kernel_demo
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.directory import demo
from taihe.modules.directory.models import Department, Person, Position, RoleAssignment
from taihe.modules.directory.selectors import head_of

pytestmark = pytest.mark.django_db

ROLES = ["administrator", "hr", "conservator", "curator", "registrar", "educator", "security",
         "staff"]


def load() -> dict[str, Any]:
    lines: list[str] = []
    return demo.load(lines.append)


def state() -> dict[str, tuple[int, int | None]]:
    """Row count and highest id of every table the demo writes."""
    return {model.__name__: (model.objects.count(),
                             model.objects.aggregate(top=Max("id"))["top"])
            for model in (Department, Person, Position, RoleAssignment, OutboxEvent)}


def test_the_demo_museum_has_about_two_hundred_people_in_a_tree() -> None:
    # when
    summary = load()

    # then
    assert summary == {"departments": 19, "positions": 32, "people": 197, "created": 248}
    assert Person.objects.count() == 197
    codes = set(Department.objects.values_list("code", flat=True))
    assert {"museum", "director-office", "conservation", "conservation-paper",
            "conservation-textiles", "conservation-metals-ceramics", "conservation-science",
            "conservation-environment", "collections", "exhibitions", "education", "security",
            "security-shift-a", "security-shift-b", "security-shift-c", "facilities", "hr",
            "finance", "it"} == codes
    assert set(Person.objects.values_list("status", flat=True)) == {
        "staff", "contractor", "volunteer", "external"}
    assert set(Person.objects.filter(status="volunteer").values_list(
        "department__code", flat=True)) == {"education"}
    assert not Person.objects.filter(status="volunteer", employee_number__isnull=False).exists()
    assert Person.objects.filter(email__endswith="@palace-demo.example").count() == 197
    assert len(set(Person.objects.values_list("name_zh", flat=True))) == 197


def test_the_tree_is_consistent_and_every_department_has_a_head_in_it() -> None:
    # when
    load()

    # then
    for department in Department.objects.select_related("parent", "head"):
        parent_path = department.parent.path if department.parent else "/"
        assert department.path == f"{parent_path}{department.pk}/"
        assert department.depth == department.path.count("/") - 2
        assert department.head is not None, department.code
        assert department.head.department_id == department.pk
    assert Department.objects.get(code="security-shift-b").parent.code == "security"
    assert Department.objects.get(code="museum").head.position.code == "director"


def test_every_role_is_held_and_scoped_sensibly() -> None:
    # when
    load()

    # then
    for code in ROLES:
        assert RoleAssignment.objects.filter(role__code=code).exists(), code
    scopes = {code: set(RoleAssignment.objects.filter(role__code=code).values_list(
        "department__code", flat=True)) for code in ROLES}
    assert scopes["conservator"] == {"conservation"}
    assert scopes["security"] == {"security"}
    assert scopes["educator"] == {"education"}
    assert scopes["hr"] == {None}
    assert scopes["administrator"] == {None}
    assert list(RoleAssignment.objects.filter(role__code="administrator").values_list(
        "person__username", flat=True)) == ["admin"]
    # Every member of staff, and only they, hold the staff role.
    assert set(RoleAssignment.objects.filter(role__code="staff").values_list(
        "person_id", flat=True)) == set(Person.objects.filter(status="staff").values_list(
            "id", flat=True))
    conservation = Department.objects.get(code="conservation")
    conservator = Person.objects.get(username="conservator")
    grants = authz.actor_for(conservator).grants
    assert grants["directory.person.view"] is None  # everyone sees the directory (staff role)
    assert set(RoleAssignment.objects.filter(person=conservator).values_list(
        "role__code", "department_id")) == {("conservator", conservation.pk), ("staff", None)}


def test_each_announced_login_signs_in_with_the_demo_password() -> None:
    # given
    load()

    # when
    demo.announce()
    logins = kernel_demo.printed_logins()

    # then
    assert [entry for entry in logins if entry in demo.LOGINS] == demo.LOGINS
    for role, username in demo.LOGINS:
        person = authenticate(None, username=username, password=kernel_demo.DEMO_PASSWORD)
        assert person is not None, username
        assert RoleAssignment.objects.filter(person=person, role__code=role).exists(), role
    admin = Person.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.department.code == "it"
    assert not Person.objects.filter(is_superuser=True).exclude(username="admin").exists()


def test_heads_form_the_approval_chain() -> None:
    # given
    load()
    conservator = Person.objects.get(username="conservator")
    paper_lab = Department.objects.get(code="conservation-paper")
    conservation = Department.objects.get(code="conservation")
    museum = Department.objects.get(code="museum")

    # then
    assert head_of(conservator.pk, 1) == paper_lab.head
    assert head_of(conservator.pk, 2) == conservation.head
    assert head_of(conservator.pk, 3) == museum.head
    assert head_of(museum.head_id, 1) is None


def test_the_demo_is_created_through_the_services_as_the_admin() -> None:
    # when
    load()

    # then
    admin = Person.objects.get(username="admin")
    names = list(OutboxEvent.objects.values_list("name", flat=True))
    assert names.count("directory.person.created.v1") == 197
    assert names.count("directory.department.created.v1") == 19
    assert names.count("directory.department.updated.v1") == 19  # heads
    actors = {event.payload["actor_id"] for event in OutboxEvent.objects.all()}
    assert actors == {admin.pk}


def test_a_second_run_creates_and_changes_nothing() -> None:
    # given
    load()
    before = state()

    # when
    summary = load()

    # then
    assert summary == {"departments": 19, "positions": 32, "people": 197, "created": 0}
    assert state() == before


def test_a_second_run_leaves_the_museums_own_changes_alone() -> None:
    # given
    load()
    person = Person.objects.get(username="curator")
    person.phone = "+86 10 8500 7000"
    person.save(update_fields=["phone"])
    Department.objects.filter(code="finance").update(head=person)

    # when
    load()

    # then
    assert Person.objects.get(username="curator").phone == "+86 10 8500 7000"
    assert Department.objects.get(code="finance").head == person


def test_the_demo_command_prints_the_sign_ins() -> None:
    # given
    out = io.StringIO()

    # when
    call_command("demo", stdout=out)

    # then
    text = out.getvalue()
    assert "demo directory: departments: 19, positions: 32, people: 197, created: 248" in text
    assert kernel_demo.DEMO_PASSWORD in text
    assert "  administrator  admin" in text
    assert "  security       security" in text


def test_the_roster_is_the_same_on_every_call() -> None:
    first, second = demo.demo_people(), demo.demo_people()
    assert first == second
    assert len({p.username for p in first}) == len(first) == 197
    assert first[0].username == "liang.ruolan"
    assert first[0].name_zh == "梁若兰"
    assert first[0].name_en == "Liang Ruolan"
