"""The directory's public surface for other modules: ids in, plain data out."""

from __future__ import annotations

from dataclasses import dataclass

from taihe.modules.directory import selectors
from taihe.modules.directory.models import Department, Person, Role


@dataclass(frozen=True)
class PersonInfo:
    id: int
    username: str
    name_zh: str
    name_en: str
    email: str
    department_id: int | None
    language: str
    is_active: bool


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    code: str
    name_zh: str
    name_en: str
    parent_id: int | None
    head_id: int | None


def _person(p: Person) -> PersonInfo:
    return PersonInfo(p.pk, p.username, p.name_zh, p.name_en, p.email, p.department_id,
                      p.language, p.is_active)


def person(person_id: int) -> PersonInfo | None:
    found = Person.objects.filter(pk=person_id).first()
    return _person(found) if found else None


def people(person_ids: list[int]) -> list[PersonInfo]:
    return [_person(p) for p in Person.objects.filter(pk__in=person_ids)]


def department(department_id: int) -> DepartmentInfo | None:
    d = Department.objects.filter(pk=department_id).first()
    return DepartmentInfo(d.pk, d.code, d.name_zh, d.name_en, d.parent_id, d.head_id) if d else None


def department_head_of(person_id: int, levels_up: int = 1) -> PersonInfo | None:
    """The head of the person's department ``levels_up`` levels up (1 = their own
    department's head), skipping departments without an active head and the person themself."""
    head = selectors.head_of(person_id, levels_up)
    return _person(head) if head else None


def members_of_department(department_id: int, *, include_subdepartments: bool = True) -> list[int]:
    d = Department.objects.filter(pk=department_id).first()
    if d is None:
        return []
    people_in = Person.objects.filter(is_active=True)
    people_in = (people_in.filter(department__path__startswith=d.path) if include_subdepartments
                 else people_in.filter(department=d))
    return list(people_in.values_list("id", flat=True))


def people_with_role(role_code: str) -> list[int]:
    return list(Person.objects.filter(is_active=True, role_assignments__role__code=role_code)
                .values_list("id", flat=True).distinct())


def people_with_operation(operation_code: str) -> list[int]:
    """Active people holding a role that grants ``operation_code`` (or every operation),
    whatever the role's department scope."""
    roles = [role.pk for role in Role.objects.all()
             if "*" in role.operations or operation_code in role.operations]
    return list(Person.objects.filter(is_active=True, role_assignments__role__in=roles)
                .values_list("id", flat=True).distinct().order_by("id"))


def department_by_code(code: str) -> DepartmentInfo | None:
    d = Department.objects.filter(code=code).first()
    return DepartmentInfo(d.pk, d.code, d.name_zh, d.name_en, d.parent_id, d.head_id) if d else None


def is_within(department_id: int, ancestor_id: int) -> bool:
    """Whether department ``department_id`` is ``ancestor_id`` or lies below it."""
    if department_id == ancestor_id:
        return True
    found = Department.objects.filter(pk=department_id).first()
    return found is not None and ancestor_id in found.ancestor_ids()


def active_people(person_ids: list[int]) -> set[int]:
    """The active people among ``person_ids``."""
    return set(Person.objects.filter(pk__in=person_ids, is_active=True)
               .values_list("id", flat=True))


def department_ids(department_ids: list[int]) -> set[int]:
    """The departments among ``department_ids`` that exist."""
    return set(Department.objects.filter(pk__in=department_ids).values_list("id", flat=True))


def display_names(person_ids: list[int]) -> dict[int, str]:
    """Each person's display name (both scripts, as the directory shows them)."""
    return {p.pk: p.display_name for p in Person.objects.filter(pk__in=person_ids)}


def role_exists(code: str) -> bool:
    return Role.objects.filter(code=code).exists()


def roles() -> list[tuple[str, str, str]]:
    """Every role as (code, Chinese name, English name)."""
    return list(Role.objects.order_by("code").values_list("code", "name_zh", "name_en"))


def departments() -> list[DepartmentInfo]:
    """Every open department, in tree order: each parent before its children, siblings by
    their order then creation. Worked out from the parent links, not by sorting the path
    text, which puts ``/10/`` before ``/9/`` once ids grow a digit."""
    rows = list(Department.objects.filter(closed_at__isnull=True)
                .order_by("sort_order", "id"))
    known = {d.pk for d in rows}
    children: dict[int | None, list[Department]] = {}
    for d in rows:
        children.setdefault(d.parent_id if d.parent_id in known else None, []).append(d)
    ordered: list[DepartmentInfo] = []
    waiting = list(reversed(children.get(None, [])))
    while waiting:
        d = waiting.pop()
        ordered.append(DepartmentInfo(d.pk, d.code, d.name_zh, d.name_en, d.parent_id,
                                      d.head_id))
        waiting.extend(reversed(children.get(d.pk, [])))
    return ordered


def department_lineage(department_id: int | None) -> set[int]:
    """The department and every department above it (empty for none): one query, for
    checking "in or under" against many departments at once."""
    found = Department.objects.filter(pk=department_id).first() if department_id else None
    return {found.pk, *found.ancestor_ids()} if found else set()


def person_ids_by_username(usernames: list[str]) -> dict[str, int]:
    """The ids of the people with these user names (unknown names are left out)."""
    return dict(Person.objects.filter(username__in=usernames).values_list("username", "id"))


def departments_headed_by(person_id: int) -> list[int]:
    """The open departments whose head is this person."""
    return list(Department.objects.filter(head_id=person_id, closed_at__isnull=True)
                .values_list("id", flat=True))


def members_in(department_ids: list[int]) -> list[int]:
    """The ids of everyone (former staff included) whose department is one of these."""
    return list(Person.objects.filter(department_id__in=department_ids)
                .values_list("id", flat=True))
