"""Factories for the directory's models, used by every module's tests."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from taihe.modules.directory.models import Department, Person, Role, RoleAssignment

PASSWORD = "correct horse battery staple"


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"dept-{n}")
    name_zh = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")
    parent = None

    @factory.post_generation
    def set_path(obj: Department, create: bool, extracted: Any, **kwargs: Any) -> None:
        parent_path = obj.parent.path if obj.parent else "/"
        obj.path = f"{parent_path}{obj.pk}/"
        obj.depth = obj.path.count("/") - 2
        obj.save(update_fields=["path", "depth"])


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    name_zh = factory.Sequence(lambda n: f"人员{n}")
    name_en = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttribute(lambda p: f"{p.username}@museum.example")
    department = factory.SubFactory(DepartmentFactory)
    status = Person.Status.STAFF

    @factory.post_generation
    def password(obj: Person, create: bool, extracted: Any, **kwargs: Any) -> None:
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def roles(obj: Person, create: bool, extracted: Any, **kwargs: Any) -> None:
        """``roles=["hr"]`` (museum-wide) or ``roles=[("hr", department)]``."""
        for entry in extracted or []:
            code, department = entry if isinstance(entry, tuple) else (entry, None)
            RoleAssignment.objects.create(person=obj, role=Role.objects.get(code=code),
                                          department=department)


def grant(person: Person, code: str, department: Department | None = None,
          include_subdepartments: bool = True) -> RoleAssignment:
    return RoleAssignment.objects.create(person=person, role=Role.objects.get(code=code),
                                         department=department,
                                         include_subdepartments=include_subdepartments)
