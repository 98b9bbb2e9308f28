"""Directory services: people, the department tree, roles, heads."""

from __future__ import annotations

import pytest

from taihe.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.directory import api, services
from taihe.modules.directory.models import Department, Person, Role, RoleAssignment
from tests.factories import DepartmentFactory, PersonFactory, grant

pytestmark = pytest.mark.django_db


def test_creating_a_staff_member_gives_the_staff_role_and_an_event(hr_person, museum):
    person = services.do_create_person(hr_person, services.PersonInput(
        username="li.na", name_zh="李娜", name_en="Li Na", department_id=museum["lab"].pk))
    assert list(person.role_assignments.values_list("role__code", flat=True)) == ["staff"]
    assert not person.has_usable_password()
    event = OutboxEvent.objects.get(name="directory.person.created.v1")
    assert event.payload["after"]["username"] == "li.na"


def test_department_scoped_hr_cannot_add_people_elsewhere(museum):
    hr = PersonFactory(department=museum["conservation"])
    grant(hr, "hr", museum["conservation"])
    with pytest.raises(PermissionDenied):
        services.do_create_person(hr, services.PersonInput(
            username="x", name_zh="某", department_id=museum["security"].pk))
    with pytest.raises(PermissionDenied):
        services.do_create_person(hr, services.PersonInput(username="y", name_zh="某"))
    assert not Person.objects.filter(username__in=["x", "y"]).exists()


def test_moving_someone_needs_rights_in_both_departments(museum):
    hr = PersonFactory(department=museum["conservation"])
    grant(hr, "hr", museum["conservation"])
    person = PersonFactory(department=museum["lab"])
    with pytest.raises(PermissionDenied):
        services.do_update_person(hr, person,
                                  services.PersonInput(department_id=museum["security"].pk))
    person.refresh_from_db()
    assert person.department == museum["lab"]


def test_duplicate_usernames_and_employee_numbers_are_refused(hr_person, museum):
    PersonFactory(username="wang", employee_number="E001")
    with pytest.raises(ValidationFailed) as caught:
        services.do_create_person(hr_person, services.PersonInput(
            username="WANG", name_zh="王", employee_number="E001",
            department_id=museum["lab"].pk))
    assert set(caught.value.fields) == {"username", "employee_number"}


def test_moving_a_department_moves_its_whole_subtree(admin_person, museum):
    bench = DepartmentFactory(parent=museum["lab"], code="bench")
    services.do_move_department(admin_person, museum["conservation"], museum["security"].pk)
    for department in (museum["conservation"], museum["lab"], bench):
        department.refresh_from_db()
    root, security = museum["root"].pk, museum["security"].pk
    conservation, lab = museum["conservation"].pk, museum["lab"].pk
    assert museum["conservation"].path == f"/{root}/{security}/{conservation}/"
    assert museum["lab"].path == f"/{root}/{security}/{conservation}/{lab}/"
    assert bench.path == f"/{root}/{security}/{conservation}/{lab}/{bench.pk}/"
    assert bench.depth == 4


def test_a_department_cannot_move_under_itself(admin_person, museum):
    with pytest.raises(ValidationFailed) as caught:
        services.do_move_department(admin_person, museum["conservation"], museum["lab"].pk)
    assert "parent_id" in caught.value.fields
    museum["conservation"].refresh_from_db()
    assert museum["conservation"].parent == museum["root"]


def test_merging_moves_people_children_and_role_scopes_then_closes(admin_person, museum):
    worker = PersonFactory(department=museum["conservation"])
    scoped = grant(PersonFactory(department=museum["root"]), "conservator",
                   museum["conservation"])
    services.do_merge_departments(admin_person, museum["conservation"], museum["security"])
    worker.refresh_from_db()
    museum["lab"].refresh_from_db()
    museum["conservation"].refresh_from_db()
    scoped.refresh_from_db()
    assert worker.department == museum["security"]
    assert museum["lab"].parent == museum["security"]
    assert museum["lab"].path.startswith(museum["security"].path)
    assert scoped.department == museum["security"]
    assert museum["conservation"].closed_at is not None


def test_closing_needs_an_empty_department(admin_person, museum):
    PersonFactory(department=museum["security"])
    with pytest.raises(Conflict):
        services.do_close_department(admin_person, museum["security"])
    with pytest.raises(Conflict):
        services.do_close_department(admin_person, museum["conservation"])  # has the lab
    empty = DepartmentFactory(parent=museum["root"])
    services.do_close_department(admin_person, empty)
    assert Department.objects.get(pk=empty.pk).closed_at is not None


def test_head_of_walks_up_the_tree_skipping_missing_heads(museum):
    director = PersonFactory(department=museum["root"])
    chief = PersonFactory(department=museum["conservation"])
    museum["root"].head = director
    museum["root"].save()
    museum["conservation"].head = chief
    museum["conservation"].save()
    conservator = PersonFactory(department=museum["lab"])  # the lab has no head
    assert api.department_head_of(conservator.pk, 1).id == chief.pk
    assert api.department_head_of(conservator.pk, 2).id == director.pk
    assert api.department_head_of(conservator.pk, 3) is None
    # A head's own "head of department" is the next one up.
    assert api.department_head_of(chief.pk, 1).id == director.pk


def test_the_last_administrator_cannot_be_removed(museum):
    only_admin = PersonFactory(department=museum["root"])
    assignment = grant(only_admin, "administrator")
    with pytest.raises(Conflict):
        services.do_revoke_role(only_admin, assignment)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_only_administrators_hand_out_the_administrator_role(hr_person, member):
    with pytest.raises(PermissionDenied):
        services.do_assign_role(hr_person, member, Role.objects.get(code="administrator"),
                                department_id=None)
    assert not member.role_assignments.filter(role__code="administrator").exists()


def test_roles_accept_only_declared_operations(admin_person):
    with pytest.raises(ValidationFailed) as caught:
        services.do_save_role(admin_person, code="x", name_zh="某", name_en="X",
                              operations=["directory.person.view", "nothing.at.all"])
    assert "nothing.at.all" in caught.value.fields["operations"]


def test_deactivating_revokes_tokens_and_hides_the_person(hr_person, member):
    from taihe.kernel.http import tokens

    issued = tokens.issue(member, name="phone", scopes=["read"])
    services.do_deactivate_person(hr_person, member)
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert tokens.authenticate(issued.secret) is None
    from taihe.modules.directory.selectors import people_for

    assert member not in people_for(hr_person)
