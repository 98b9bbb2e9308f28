"""What the web shell shows: the apps a person may open, their to-dos, and the panels
other modules add to a catalogue object's page.

Modules register app tiles (guarded by an operation), to-do sources and object panels; the
workbench and the catalog ask here and never import the module that answers.
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
_OBJECT_PANELS: dict[str, tuple[int, Callable[[Any, int], str]]] = {}


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


def register_object_panel(code: str, render: Callable[[Any, int], str], *,
                          order: int = 100) -> None:
    """``render(request, object_id)`` returns the HTML of a section for a catalogue object's
    page (already escaped, e.g. ``render_to_string``), or ``""`` when the person may not see
    it or there is nothing to show. It is called only for objects the person may see."""
    _OBJECT_PANELS[code] = (order, render)


def object_panels(request: Any, object_id: int) -> list[str]:
    """The panels other modules add to one object's page, in order; a panel that fails is
    logged and left out, never the page."""
    import logging

    found: list[str] = []
    for code, (_order, render) in sorted(_OBJECT_PANELS.items(), key=lambda e: (e[1][0], e[0])):
        try:
            html = render(request, object_id)
        except Exception:
            logging.getLogger(__name__).exception("object panel %s failed", code)
            continue
        if html:
            found.append(html)
    return found
