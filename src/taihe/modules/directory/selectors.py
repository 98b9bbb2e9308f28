"""Reads of the directory, always filtered by what the actor may see."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet

from taihe.kernel import authz
from taihe.kernel.authz import Actor
from taihe.kernel.errors import NotFound
from taihe.kernel.http.models import ApiToken
from taihe.modules.directory import operations as ops
from taihe.modules.directory.models import Department, Group, Person, Role, RoleAssignment


def subtree_ids(department: Department) -> list[int]:
    return list(Department.objects.filter(path__startswith=department.path)
                .values_list("id", flat=True))


ACTOR_CACHE_SECONDS = 60
_GENERATION_KEY = "directory:actor-generation"


def invalidate_actors(**_: Any) -> None:
    """Forget every cached actor: roles, departments or groups changed. Connected to the
    signals of those models, so no write path can forget to call it."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, 2, None)


def build_actor(user: Any) -> Actor:
    """The actor of a person, cached for a minute per directory generation. The key also
    holds the person's department and superuser flag, which change on the person row."""
    generation = cache.get_or_set(_GENERATION_KEY, 1, None)
    key = (f"directory:actor:{user.pk}:{generation}:{user.department_id}:"
           f"{int(bool(user.is_superuser))}")
    actor = cache.get(key)
    if isinstance(actor, Actor):
        return actor
    actor = compute_actor(user)
    cache.set(key, actor, ACTOR_CACHE_SECONDS)
    return actor


def compute_actor(user: Any) -> Actor:
    """Departments, roles, groups and grants of a person, in four queries."""
    department_ids: frozenset[int] = frozenset()
    visible: set[int] = set()
    if user.department_id:
        department_ids = frozenset({user.department_id})
        path = Department.objects.values_list("path", flat=True).get(pk=user.department_id)
        visible = {int(part) for part in path.strip("/").split("/") if part}
    assignments = list(
        RoleAssignment.objects.filter(person=user)
        .select_related("role", "department")
        .only("role__id", "role__operations", "department__path", "department__id",
              "include_subdepartments")
    )
    grants: dict[str, set[int] | None] = {}
    subtree_paths = [a.department.path for a in assignments
                     if a.department is not None and a.include_subdepartments]
    subtrees: dict[str, list[int]] = {}
    if subtree_paths:
        condition = Q()
        for path in subtree_paths:
            condition |= Q(path__startswith=path)
        for department_id, path in Department.objects.filter(condition).values_list("id", "path"):
            for prefix in subtree_paths:
                if path.startswith(prefix):
                    subtrees.setdefault(prefix, []).append(department_id)
    for assignment in assignments:
        if assignment.department is None:
            scope: set[int] | None = None
        elif assignment.include_subdepartments:
            scope = set(subtrees.get(assignment.department.path, [assignment.department.id]))
        else:
            scope = {assignment.department.id}
        for pattern in assignment.role.operations:
            if pattern in grants and grants[pattern] is None:
                continue
            if scope is None:
                grants[pattern] = None
            else:
                existing = grants.setdefault(pattern, set())
                assert existing is not None
                existing.update(scope)
    return Actor(
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
        department_ids=department_ids,
        visible_department_ids=frozenset(visible),
        role_ids=frozenset(a.role.id for a in assignments),
        group_ids=frozenset(user.groups_joined.values_list("id", flat=True)),
        grants={k: (None if v is None else frozenset(v)) for k, v in grants.items()},
    )


def people_for(actor: Any, *, search: str = "", department_id: int | None = None,
               include_subdepartments: bool = True, include_inactive: bool = False,
               ) -> QuerySet[Person]:
    people = authz.scope_filter(actor, ops.PERSON_VIEW.code, Person.objects.all())
    if not include_inactive:
        people = people.filter(is_active=True)
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).first()
        if department is None:
            return people.none()
        if include_subdepartments:
            people = people.filter(department__path__startswith=department.path)
        else:
            people = people.filter(department=department)
    text = search.strip()
    if text:
        people = people.filter(
            Q(name_zh__icontains=text) | Q(name_en__icontains=text) | Q(username__icontains=text)
            | Q(employee_number__iexact=text) | Q(email__iexact=text) | Q(phone__icontains=text)
        )
    return people.select_related("department", "position").order_by("department__path", "name_en",
                                                                    "name_zh")


def person_for(actor: Any, person_id: int) -> Person:
    """A person the actor may see; you can always see yourself."""
    resolved = authz.actor_for(actor) if not isinstance(actor, Actor) else actor
    if resolved.user_id == person_id:
        return Person.objects.select_related("department", "position").get(pk=person_id)
    person = people_for(actor, include_inactive=True).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    return person


def departments_for(actor: Any, *, include_closed: bool = False) -> QuerySet[Department]:
    """The department tree is public to everyone who may see people."""
    if not authz.can(actor, ops.PERSON_VIEW.code):
        return Department.objects.none()
    departments = Department.objects.select_related("head", "parent")
    if not include_closed:
        departments = departments.filter(closed_at__isnull=True)
    return departments.order_by("path")


def department_for(actor: Any, department_id: int) -> Department:
    department = departments_for(actor, include_closed=True).filter(pk=department_id).first()
    if department is None:
        raise NotFound()
    return department


def roles_for(actor: Any) -> QuerySet[Role]:
    if not (authz.can(actor, ops.ROLE_ASSIGN.code) or authz.can(actor, ops.ROLE_MANAGE.code)):
        return Role.objects.none()
    return Role.objects.all()


def role(role_id: int) -> Role | None:
    """A role by id. Role names are not secret; whether the actor may give it is the
    service's check, which answers 403 rather than pretending the role does not exist."""
    return Role.objects.filter(pk=role_id).first()


def assignments_for(actor: Any, *, person_id: int | None = None) -> QuerySet[RoleAssignment]:
    """Role assignments of people the actor may give roles to (by the person's department)."""
    rows = authz.scope_filter(actor, ops.ROLE_ASSIGN.code, RoleAssignment.objects.all(),
                              department_field="person__department")
    if person_id is not None:
        rows = rows.filter(person_id=person_id)
    return rows.select_related("person", "role", "department")


def groups_for(actor: Any) -> QuerySet[Group]:
    if not authz.can(actor, ops.PERSON_VIEW.code):
        return Group.objects.none()
    return Group.objects.prefetch_related("members")


def tokens_for(actor: Any, *, everyone: bool = False) -> QuerySet[ApiToken]:
    resolved = authz.actor_for(actor) if not isinstance(actor, Actor) else actor
    tokens = ApiToken.objects.select_related("owner")
    if everyone and authz.can(resolved, ops.TOKEN_MANAGE.code):
        return tokens
    return tokens.filter(owner_id=resolved.user_id)


def head_of(person_id: int, levels_up: int = 1) -> Person | None:
    """The head of the person's department (``levels_up=1``), of its parent (2), and so on.
    A department without a head, or the person heading it themself, passes to the next one up
    — the rule approval chains expect."""
    person = Person.objects.select_related("department").filter(pk=person_id).first()
    if person is None or person.department is None:
        return None
    chain = list(reversed(person.department.ancestor_ids()))
    ids = [person.department.id, *chain]
    departments = {d.id: d for d in Department.objects.filter(pk__in=ids).select_related("head")}
    level = 0
    for department_id in ids:
        department = departments[department_id]
        head = department.head
        if head is None or head.pk == person_id or not head.is_active:
            continue
        level += 1
        if level == levels_up:
            return head
    return None
