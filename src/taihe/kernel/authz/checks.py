"""Permission checks for services and the matching queryset filters for selectors."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from taihe.kernel.authz.actor import Actor, actor_for
from taihe.kernel.authz.operations import operation
from taihe.kernel.errors import PermissionDenied

M = TypeVar("M", bound=Model)


def _as_actor(subject: Any) -> Actor:
    return subject if isinstance(subject, Actor) else actor_for(subject)


def can(subject: Any, code: str, *, department_id: int | None = None) -> bool:
    """May the actor perform ``code``; for a scoped operation on an object, pass the
    object's department. Without a department, any grant of the operation suffices."""
    actor = _as_actor(subject)
    if actor.is_anonymous:
        return False
    op = operation(code)
    departments = actor.departments_for(op.code)
    if departments is None:
        return True
    if not departments:
        return False
    if not op.scoped or department_id is None:
        return True
    return department_id in departments


def require(subject: Any, code: str, *, department_id: int | None = None) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can` allows it."""
    if not can(subject, code, department_id=department_id):
        raise PermissionDenied()


def scope_filter(
    subject: Any, code: str, queryset: QuerySet[M], *, department_field: str = "department"
) -> QuerySet[M]:
    """The rows on which the actor may perform ``code``: all, those in the granted
    department subtrees, or none. The same rule as :func:`can`, as SQL."""
    actor = _as_actor(subject)
    if actor.is_anonymous:
        return queryset.none()
    departments = actor.departments_for(operation(code).code)
    if departments is None:
        return queryset
    if not departments:
        return queryset.none()
    return queryset.filter(Q(**{f"{department_field}__in": sorted(departments)}))
