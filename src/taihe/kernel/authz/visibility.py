"""Visibility scopes for content: everyone, departments, roles, groups, named people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, Q, QuerySet

from taihe.kernel.authz.actor import Actor, actor_for
from taihe.kernel.authz.models import VisibilityRule

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Visibility:
    everyone: bool = False
    department_ids: frozenset[int] = frozenset()
    role_ids: frozenset[int] = frozenset()
    group_ids: frozenset[int] = frozenset()
    person_ids: frozenset[int] = frozenset()

    @classmethod
    def public(cls) -> Visibility:
        return cls(everyone=True)

    def is_empty(self) -> bool:
        return not (
            self.everyone or self.department_ids or self.role_ids or self.group_ids
            or self.person_ids
        )

    def admits(self, actor: Actor) -> bool:
        if actor.is_anonymous:
            return False
        return (
            self.everyone
            or bool(self.department_ids & actor.visible_department_ids)
            or bool(self.role_ids & actor.role_ids)
            or bool(self.group_ids & actor.group_ids)
            or (actor.user_id is not None and actor.user_id in self.person_ids)
        )


def set_visibility(obj: Model, visibility: Visibility) -> None:
    """Replace the audience of ``obj`` (inside the caller's transaction)."""
    content_type = ContentType.objects.get_for_model(obj)
    rules = [VisibilityRule(content_type=content_type, object_id=obj.pk,
                            kind=VisibilityRule.Kind.EVERYONE)] if visibility.everyone else []
    for kind, ids in (
        (VisibilityRule.Kind.DEPARTMENT, visibility.department_ids),
        (VisibilityRule.Kind.ROLE, visibility.role_ids),
        (VisibilityRule.Kind.GROUP, visibility.group_ids),
        (VisibilityRule.Kind.PERSON, visibility.person_ids),
    ):
        rules.extend(
            VisibilityRule(content_type=content_type, object_id=obj.pk, kind=kind, target_id=i)
            for i in sorted(ids)
        )
    with transaction.atomic():
        VisibilityRule.objects.filter(content_type=content_type, object_id=obj.pk).delete()
        VisibilityRule.objects.bulk_create(rules)


def visibility_of(obj: Model) -> Visibility:
    content_type = ContentType.objects.get_for_model(obj)
    found: dict[str, set[int]] = {kind: set() for kind in VisibilityRule.Kind.values}
    for kind, target in VisibilityRule.objects.filter(
        content_type=content_type, object_id=obj.pk
    ).values_list("kind", "target_id"):
        if target is not None:
            found[kind].add(target)
        else:
            found[kind].add(0)
    return Visibility(
        everyone=bool(found[VisibilityRule.Kind.EVERYONE]),
        department_ids=frozenset(found[VisibilityRule.Kind.DEPARTMENT]),
        role_ids=frozenset(found[VisibilityRule.Kind.ROLE]),
        group_ids=frozenset(found[VisibilityRule.Kind.GROUP]),
        person_ids=frozenset(found[VisibilityRule.Kind.PERSON]),
    )


def visible_filter(subject: Any, queryset: QuerySet[M], *, also: Q | None = None) -> QuerySet[M]:
    """The rows of ``queryset`` whose audience includes the actor. ``also`` admits more rows
    (for example the author's own drafts)."""
    actor = subject if isinstance(subject, Actor) else actor_for(subject)
    if actor.is_anonymous:
        return queryset.none()
    content_type = ContentType.objects.get_for_model(queryset.model)
    audience = Q(kind=VisibilityRule.Kind.EVERYONE)
    audience |= Q(kind=VisibilityRule.Kind.DEPARTMENT,
                  target_id__in=sorted(actor.visible_department_ids))
    audience |= Q(kind=VisibilityRule.Kind.ROLE, target_id__in=sorted(actor.role_ids))
    audience |= Q(kind=VisibilityRule.Kind.GROUP, target_id__in=sorted(actor.group_ids))
    audience |= Q(kind=VisibilityRule.Kind.PERSON, target_id=actor.user_id)
    matching = VisibilityRule.objects.filter(audience, content_type=content_type).values(
        "object_id"
    )
    condition = Q(pk__in=matching)
    if also is not None:
        condition |= also
    return queryset.filter(condition)
