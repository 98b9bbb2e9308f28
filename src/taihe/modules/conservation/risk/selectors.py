"""Reads of climate risk, always filtered by what the actor may see.

An assessment, a register entry or a care task tied to a place the actor may not know (a
restricted store, or anything inside one) is left out entirely: its numbers describe that
place's climate, and a ranking filtered by place would reveal it. Objects come only from
``catalog.api.visible_object_ids``; strategies that name a hidden place (a "move to" candidate)
are dropped for that actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from taihe.kernel import authz
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.models import (
    CareTask,
    ClimateAssessment,
    ObjectAssessment,
    Risk,
)

SCAN_CHUNK = 500
"""Assessments read at a time while ranking (visibility is checked a chunk at a time)."""


def can_view(actor: Any) -> bool:
    return authz.can(actor, ops.RISK_VIEW.code)


def can_manage(actor: Any) -> bool:
    return authz.can(actor, ops.RISK_MANAGE.code)


def hidden_location_ids(actor: Any) -> set[int]:
    """Places the actor may not know (see ``catalog.api.hidden_location_ids``)."""
    return catalog.hidden_location_ids(actor)


def _location_ids_in(value: Any, key: str = "") -> Iterable[int]:
    """Location ids anywhere in a strategy's parameters: values under a key that names a
    location or a candidate place (``location_id``, ``candidate_location_ids``, ``to``...)."""
    placeish = "location" in key or "candidate" in key or key in {"place", "places", "to"}
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _location_ids_in(inner, str(name) if not placeish else key)
    elif isinstance(value, list):
        for inner in value:
            yield from _location_ids_in(inner, key)
    elif placeish and isinstance(value, int) and not isinstance(value, bool):
        yield value


def visible_strategies(strategies: list[dict[str, Any]], hidden: set[int]) -> list[dict[str, Any]]:
    """The strategies that name no hidden place, in their stored (ranked) order."""
    return [
        strategy
        for strategy in strategies
        if not hidden.intersection(_location_ids_in(strategy.get("parameters", {})))
    ]


def agent_score(assessment: ObjectAssessment, agent: str) -> float:
    """The assessment's score for one agent (0 when it has none)."""
    return max(
        (float(item.get("score", 0.0)) for item in assessment.risks if item.get("agent") == agent),
        default=0.0,
    )


def objects_at_risk(
    actor: Any, *, agent: str | None = None, location_id: int | None = None, limit: int = 20
) -> list[ObjectAssessment]:
    """The assessments of objects the actor may see, worst first (by overall score, or by
    ``agent``'s score when given, leaving out objects not at risk from it), only for objects
    whose assessed place the actor may know; ``location_id`` keeps those in that place or
    inside it. Empty without ``conservation.risk.view``."""
    if not can_view(actor) or limit <= 0:
        return []
    hidden = hidden_location_ids(actor)
    found = (
        ObjectAssessment.objects.exclude(location_id__in=hidden)
        .exclude(location_id__isnull=True)
        .order_by("-score", "object_id")
    )
    if location_id is not None:
        if location_id in hidden:
            return []
        found = found.filter(location_id__in=catalog.location_ids_within(location_id))
    if agent:
        found = found.filter(risks__icontains=f'"{agent}"')
    ranked: list[ObjectAssessment] = []
    start = 0
    while True:
        chunk = list(found[start : start + SCAN_CHUNK])
        if not chunk:
            break
        visible = catalog.visible_object_ids(actor, [row.object_id for row in chunk])
        ranked.extend(
            row
            for row in chunk
            if row.object_id in visible and (not agent or agent_score(row, agent) > 0)
        )
        start += SCAN_CHUNK
        # Without an agent the database order is the ranking: stop once the page is full.
        if not agent and len(ranked) >= limit:
            break
    if agent:
        ranked.sort(key=lambda row: (-agent_score(row, agent), row.object_id))
    return ranked[:limit]


def object_assessment_for(actor: Any, object_id: int) -> ObjectAssessment | None:
    """One object's assessment, or None (no permission, object not visible, not assessed, or
    assessed in a place the actor may not know)."""
    if not can_view(actor) or not catalog.visible_object_ids(actor, [object_id]):
        return None
    found = ObjectAssessment.objects.filter(object_id=object_id).first()
    if found is None or (
        found.location_id is not None and found.location_id in hidden_location_ids(actor)
    ):
        return None
    return found


def places_at_risk(actor: Any, *, limit: int = 20) -> list[ClimateAssessment]:
    """Climate assessments of places the actor may know, worst first."""
    if not can_view(actor) or limit <= 0:
        return []
    hidden = hidden_location_ids(actor)
    rows = list(
        ClimateAssessment.objects.exclude(location_id__in=hidden).order_by("-score", "location_id")[
            : limit * 2 + 10
        ]
    )
    visible = catalog.visible_location_ids(actor, [row.location_id for row in rows])
    return [row for row in rows if row.location_id in visible][:limit]


def _risk_visible(risk: Risk, hidden: set[int], visible_objects: set[int]) -> bool:
    return not hidden.intersection(int(pk) for pk in risk.location_ids) and all(
        int(pk) in visible_objects for pk in risk.object_ids
    )


def risks_for(actor: Any) -> list[Risk]:
    """Register entries the actor may see, by magnitude (largest first): none naming a place
    the actor may not know or an object they may not see."""
    if not can_view(actor):
        return []
    hidden = hidden_location_ids(actor)
    risks = list(Risk.objects.order_by("-magnitude", "id"))
    objects = catalog.visible_object_ids(
        actor, sorted({int(pk) for risk in risks for pk in risk.object_ids})
    )
    return [risk for risk in risks if _risk_visible(risk, hidden, objects)]


def risk_for(actor: Any, risk_id: int) -> Risk | None:
    """One visible register entry, or None."""
    if not can_view(actor):
        return None
    risk = Risk.objects.filter(pk=risk_id).first()
    if risk is None:
        return None
    objects = catalog.visible_object_ids(actor, [int(pk) for pk in risk.object_ids])
    return risk if _risk_visible(risk, hidden_location_ids(actor), objects) else None


def reviews_due(actor: Any, *, today: dt.date | None = None) -> list[Risk]:
    """Open register entries the actor owns whose review date has come (the owner's to-dos)."""
    person_id = authz.actor_for(actor).user_id
    if person_id is None or not can_view(actor):
        return []
    day = today or timezone.localdate()
    owned = {risk.pk for risk in risks_for(actor)}
    return list(
        Risk.objects.filter(owner_id=person_id, review_on__lte=day, pk__in=owned)
        .exclude(status=Risk.Status.CLOSED)
        .order_by("review_on", "id")
    )


def care_tasks_for(actor: Any, *, status: str | None = None) -> list[CareTask]:
    """Care tasks the actor may see (none tied to a hidden place or naming an object they
    may not see), open ones first."""
    if not can_view(actor):
        return []
    tasks = CareTask.objects.exclude(location_id__in=hidden_location_ids(actor))
    if status:
        tasks = tasks.filter(status=status)
    found = list(tasks.order_by("status", "due_on", "-id"))
    objects = catalog.visible_object_ids(
        actor, sorted({int(pk) for task in found for pk in task.object_ids})
    )
    return [task for task in found if all(int(pk) in objects for pk in task.object_ids)]


def care_task_for(actor: Any, task_id: int) -> CareTask | None:
    return next((task for task in care_tasks_for(actor) if task.pk == task_id), None)


def forecasts_for(actor: Any) -> list[Any] | None:
    """The latest forecasts the actor may see (from ``prediction.selectors``), or None when
    that module does not provide them yet."""
    if not can_view(actor):
        return []
    try:
        from taihe.modules.conservation.prediction import selectors as prediction
    except ImportError:
        return None
    reader = getattr(prediction, "latest_forecasts_for", None)
    return list(reader(actor)) if reader is not None else None


def anomalies_for(actor: Any) -> list[Any] | None:
    """Open anomalies the actor may see (from ``prediction.selectors``), or None when that
    module does not provide them yet."""
    if not can_view(actor):
        return []
    try:
        from taihe.modules.conservation.prediction import selectors as prediction
    except ImportError:
        return None
    reader = getattr(prediction, "open_anomalies_for", None)
    return list(reader(actor)) if reader is not None else None


def counts(actor: Any) -> dict[str, int]:
    """Numbers for the overview: objects assessed and at high risk, register entries, open
    care tasks (each as the actor may see them)."""
    if not can_view(actor):
        return {}
    # Counted in the database: loading every assessment of a large register on each visit
    # of the overview would not scale. Objects are visible all or none (catalog's rule).
    assessed = ObjectAssessment.objects.none()
    if catalog.may_view_objects(actor):
        assessed = ObjectAssessment.objects.exclude(
            location_id__in=hidden_location_ids(actor)).exclude(location_id__isnull=True)
    return {
        "assessed": assessed.count(),
        "high": assessed.filter(risks__icontains='"level": "high"').count(),
        "register": len(risks_for(actor)),
        "open_tasks": len(care_tasks_for(actor, status=CareTask.Status.OPEN)),
    }
