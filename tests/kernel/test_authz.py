"""Grants scoped to department subtrees; one rule for checks and for list filters."""

from __future__ import annotations

import pytest

from taihe.kernel import authz
from taihe.kernel.authz.actor import forget_actor
from taihe.kernel.errors import PermissionDenied
from taihe.modules.directory.models import Person
from tests.factories import PersonFactory, grant

pytestmark = pytest.mark.django_db

MANAGE = "directory.person.manage"


def test_a_grant_on_a_department_covers_its_sub_departments(museum):
    # Given HR rights on Conservation (which contains the paper lab)
    person = PersonFactory(department=museum["conservation"])
    grant(person, "hr", museum["conservation"])
    # Then they hold in Conservation and the lab, but not in Security or the root
    assert authz.can(person, MANAGE, department_id=museum["conservation"].pk)
    assert authz.can(person, MANAGE, department_id=museum["lab"].pk)
    assert not authz.can(person, MANAGE, department_id=museum["security"].pk)
    assert not authz.can(person, MANAGE, department_id=museum["root"].pk)


def test_a_grant_without_sub_departments_covers_only_that_department(museum):
    person = PersonFactory(department=museum["conservation"])
    grant(person, "hr", museum["conservation"], include_subdepartments=False)
    assert authz.can(person, MANAGE, department_id=museum["conservation"].pk)
    assert not authz.can(person, MANAGE, department_id=museum["lab"].pk)


def test_museum_wide_grants_and_superusers_hold_everywhere(museum, hr_person):
    superuser = PersonFactory(is_superuser=True, department=None)
    for department in museum.values():
        assert authz.can(hr_person, MANAGE, department_id=department.pk)
        assert authz.can(superuser, MANAGE, department_id=department.pk)


def test_the_list_filter_applies_the_same_rule_as_the_check(museum):
    # Given people in three departments and HR scoped to Conservation
    in_lab = PersonFactory(department=museum["lab"])
    in_conservation = PersonFactory(department=museum["conservation"])
    in_security = PersonFactory(department=museum["security"])
    hr = PersonFactory(department=museum["conservation"])
    grant(hr, "hr", museum["conservation"])
    # When the selector filters by the operation
    visible = authz.scope_filter(hr, MANAGE, Person.objects.all())
    # Then it returns exactly those the check allows
    assert set(visible) == {in_lab, in_conservation, hr}
    for person in (in_lab, in_conservation, in_security, hr):
        assert (person in visible) == authz.can(hr, MANAGE, department_id=person.department_id)


def test_no_grant_means_nothing_and_require_raises(member, museum):
    assert authz.scope_filter(member, MANAGE, Person.objects.all()).count() == 0
    with pytest.raises(PermissionDenied):
        authz.require(member, MANAGE, department_id=museum["lab"].pk)


def test_anonymous_and_inactive_people_can_do_nothing(admin_person, museum):
    from django.contrib.auth.models import AnonymousUser

    assert not authz.can(AnonymousUser(), "directory.person.view")
    admin_person.is_active = False
    forget_actor(admin_person)
    assert not authz.can(admin_person, "directory.person.view")


def test_wildcard_patterns_grant_every_matching_operation(museum):
    assert authz.operations()  # the directory declared its operations
    from taihe.kernel.authz.operations import matches

    assert matches("*", "audit.entry.view")
    assert matches("directory.*", "directory.person.view")
    assert matches("directory.person.*", "directory.person.manage")
    assert not matches("directory.person.*", "directory.department.manage")
    assert not matches("directory.person.view", "directory.person.manage")


def test_undeclared_operations_are_a_programming_error(member):
    with pytest.raises(LookupError):
        authz.can(member, "nothing.such.thing")


def test_operation_codes_must_have_three_parts():
    with pytest.raises(ValueError, match="module.entity.verb"):
        authz.declare("bad", "Bad")


def test_cached_actors_follow_role_department_and_group_changes(museum):
    from taihe.modules.directory.models import Group, RoleAssignment

    person = PersonFactory(department=museum["lab"])
    assert not authz.can(person, MANAGE)
    # A new role assignment is seen at once (a fresh request loads the person anew)
    assignment = grant(person, "hr", museum["conservation"])
    person = Person.objects.get(pk=person.pk)
    assert authz.can(person, MANAGE, department_id=museum["lab"].pk)
    # Moving the granted department changes which departments it covers
    from taihe.modules.directory import services

    admin = PersonFactory(department=museum["root"], is_superuser=True)
    services.do_move_department(admin, museum["lab"], museum["security"].pk)
    person = Person.objects.get(pk=person.pk)
    assert not authz.can(person, MANAGE, department_id=museum["lab"].pk)
    # Group membership and revocation
    group = Group.objects.create(name="committee")
    group.members.add(person)
    person = Person.objects.get(pk=person.pk)
    assert authz.actor_for(person).group_ids == frozenset({group.pk})
    RoleAssignment.objects.filter(pk=assignment.pk).delete()
    person = Person.objects.get(pk=person.pk)
    assert not authz.can(person, MANAGE)
