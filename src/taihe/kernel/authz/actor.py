"""Who is acting: a person's departments, roles, groups and grants, computed once a request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from taihe.kernel.authz.operations import matches

ALL = None
"""A grant whose department set is ``None`` holds everywhere."""


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    is_superuser: bool = False
    department_ids: frozenset[int] = frozenset()
    """The departments the person belongs to."""
    visible_department_ids: frozenset[int] = frozenset()
    """Their departments and every ancestor: content shared with a department reaches
    everyone in its sub-departments too."""
    role_ids: frozenset[int] = frozenset()
    group_ids: frozenset[int] = frozenset()
    grants: Mapping[str, frozenset[int] | None] = field(default_factory=dict)
    """Operation pattern → department ids it holds in (sub-departments expanded), or None."""

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def departments_for(self, code: str) -> frozenset[int] | None:
        """Departments where ``code`` is granted; ``None`` means everywhere, and an empty
        set means nowhere."""
        if self.is_superuser:
            return ALL
        collected: set[int] = set()
        found = False
        for pattern, departments in self.grants.items():
            if not matches(pattern, code):
                continue
            found = True
            if departments is ALL:
                return ALL
            collected.update(departments)
        return frozenset(collected) if found else frozenset()


ANONYMOUS = Actor(user_id=None)


class ActorProvider(Protocol):
    def __call__(self, user: Any) -> Actor: ...


_provider: list[ActorProvider] = []
_CACHE_ATTRIBUTE = "_taihe_actor"


def register_actor_provider(provider: ActorProvider | Callable[[Any], Actor]) -> None:
    _provider[:] = [provider]  # type: ignore[list-item]


def actor_for(user: Any) -> Actor:
    """The actor for a user object (cached on it for the request), or the anonymous actor."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if isinstance(cached, Actor):
        return cached
    if not _provider:
        raise RuntimeError("no actor provider registered (is the directory app installed?)")
    actor = _provider[0](user)
    setattr(user, _CACHE_ATTRIBUTE, actor)
    return actor


def forget_actor(user: Any) -> None:
    """Drop the cached actor after the person's roles or departments changed."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)
