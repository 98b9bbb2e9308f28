"""Access control: declared operations, department-scoped grants, visibility scopes.

Modules declare their operations with :func:`declare`. The directory module registers
the provider that turns a person into an :class:`Actor` (departments, roles, grants).
Services call :func:`require`; selectors call :func:`scope_filter` or :func:`visible_filter`,
so one rule decides both "may I act on this object" and "which objects do I see".
"""

from taihe.kernel.authz.actor import Actor, ActorProvider, actor_for, register_actor_provider
from taihe.kernel.authz.checks import can, require, scope_filter
from taihe.kernel.authz.operations import Operation, declare, operation, operations
from taihe.kernel.authz.visibility import (
    Visibility,
    set_visibility,
    visibility_of,
    visible_filter,
)

__all__ = [
    "Actor",
    "ActorProvider",
    "Operation",
    "Visibility",
    "actor_for",
    "can",
    "declare",
    "operation",
    "operations",
    "register_actor_provider",
    "require",
    "scope_filter",
    "set_visibility",
    "visibility_of",
    "visible_filter",
]
