"""What the web shell shows: the apps a person may open and their to-dos.

Modules register app tiles (guarded by an operation) and to-do sources; the workbench asks
here and never imports a module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from taihe.kernel import authz


@dataclass(frozen=True)
class AppTile:
    code: str
    label: Any
    description: Any
    url_name: str
    icon: str
    operation: str | None = None
    """Shown only to people who may perform this operation somewhere; None: everyone."""
    order: int = 100


@dataclass(frozen=True)
class Todo:
    title: str
    url: str
    source: str
    due_at: datetime | None = None


_APPS: dict[str, AppTile] = {}
_TO_DO_SOURCES: dict[str, Callable[[Any], list[Todo]]] = {}


def register_app(tile: AppTile) -> None:
    _APPS[tile.code] = tile


def register_todo_source(code: str, source: Callable[[Any], list[Todo]]) -> None:
    _TO_DO_SOURCES[code] = source


def apps_for(user: Any) -> list[AppTile]:
    actor = authz.actor_for(user)
    if actor.is_anonymous:
        return []
    return sorted(
        (t for t in _APPS.values() if t.operation is None or authz.can(actor, t.operation)),
        key=lambda t: (t.order, t.code),
    )


def todos_for(user: Any) -> list[Todo]:
    found: list[Todo] = []
    for source in _TO_DO_SOURCES.values():
        found.extend(source(user))
    latest = datetime.max.replace(tzinfo=UTC)
    return sorted(found, key=lambda t: (t.due_at is None, t.due_at or latest))
