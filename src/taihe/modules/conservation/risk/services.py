"""Writes of climate risk: place and object assessments (reproducible from their stored
inputs), care tasks made from strategies, and suggested A and B values for the ABC register."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import events
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.material_rules import current_rule_base, object_materials
from taihe.modules.conservation.materials import RuleBase
from taihe.modules.conservation.models import (
    Anomaly,
    CareTask,
    ClimateAssessment,
    ObjectAssessment,
    Sensor,
)
from taihe.modules.conservation.risk import describe
from taihe.modules.conservation.risk.assessment import assess_object, climate_summary
from taihe.modules.conservation.risk.strategies import strategies_for
from taihe.modules.workflows import api as workflows

PERIOD = dt.timedelta(days=365)
MOVE_SUBJECT = "conservation.care_task.move"
"""Moves proposed by a strategy go through the built-in "object_movement" approval."""
REPAIR_SUBJECT = "conservation.care_task.repair"
"""Equipment repairs proposed by a strategy go through the built-in "repair" approval (the
anomaly's own automatic request, ``conservation.equipment_fault``, is reused when open)."""
EQUIPMENT_FAULT_SUBJECT = "conservation.equipment_fault"
"""The subject under which prediction files an anomaly's repair request (subject_ref = the
anomaly's id): a care task reuses that request instead of filing a second one."""
MOVE_PROCESS = "object_movement"
REPAIR_PROCESS = "repair"


def register_subjects() -> None:
    """Declare the care-task approval subjects (idempotent; also done at import)."""
    workflows.register_subject(
        MOVE_SUBJECT, gettext_lazy("Care task: object move"), process_code=MOVE_PROCESS
    )
    workflows.register_subject(
        REPAIR_SUBJECT, gettext_lazy("Care task: equipment repair"), process_code=REPAIR_PROCESS
    )


register_subjects()


def _period() -> tuple[dt.datetime, dt.datetime]:
    """The last 365 days (``climate_summary`` starts later when the readings do)."""
    end = timezone.now()
    return end - PERIOD, end


def do_assess_place(location_id: int) -> ClimateAssessment:
    """Summarise the place's climate over the last 365 days (from its first reading when
    later) and store it, replacing the previous one. Returns the stored row, whose ``score``
    is the damp hazard of :mod:`assessment` for the place's most mould-sensitive material:
    ``max(min(M, 3)/3, min(share of time above 75 % RH/0.10, 1))``.

    Raises:
        NotFound: no such place.
    """
    if catalog.location(location_id) is None:
        raise NotFound(_("No such place."))
    start, end = _period()
    summary = climate_summary(location_id, start, end)
    mould = summary.get("mould_index_max") or 0.0
    share = summary.get("rh_share_above_75") or 0.0
    score = round(max(min(float(mould), 3.0) / 3.0, min(float(share) / 0.10, 1.0)), 4)
    found, _created = ClimateAssessment.objects.update_or_create(
        location_id=location_id,
        defaults={
            "period_start": dt.datetime.fromisoformat(summary["period_start"]),
            "period_end": end,
            "summary": summary,
            "score": score,
            "computed_at": timezone.now(),
        },
    )
    return found


def _anomalies_at(location_id: int | None) -> list[dict[str, Any]]:
    if location_id is None:
        return []
    rows = Anomaly.objects.filter(
        location_id=location_id,
        cause=Anomaly.Cause.EQUIPMENT,
        status__in=[Anomaly.Status.OPEN, Anomaly.Status.CONFIRMED],
    ).select_related("sensor")
    return [
        {
            "id": row.pk,
            "sensor_code": row.sensor.code,
            "kind": row.kind,
            "quantity": row.quantity,
            "cause": row.cause,
            "score": row.score,
            "started_at": row.started_at.isoformat(),
        }
        for row in rows
    ]


def recompute(inputs: dict[str, Any], rule_base: RuleBase) -> dict[str, Any]:
    """Risks and strategies from stored ``inputs`` (``ObjectAssessment.inputs``):
    ``{"risks": ..., "score", "top_agent", "strategies": [...]}``."""
    result = assess_object(inputs["materials"], rule_base, inputs["summary"])
    result["strategies"] = strategies_for(
        inputs["object_id"],
        inputs["materials"],
        rule_base,
        inputs["summary"],
        result,
        inputs.get("candidates", []),
        inputs.get("anomalies", []),
    )
    return result


def do_assess_objects(object_ids: list[int]) -> list[ObjectAssessment]:
    """Assess each object with a current place against its place's stored climate summary
    (computed first when missing) and the other assessed places as move candidates; stores
    ``inputs`` = {object_id, materials, rules_version, summary, candidates (those that became
    moves), anomalies}, from which :func:`recompute` gives the stored risks and strategies.
    Returns the stored rows in object id order; objects without a place are skipped."""
    version, rules = current_rule_base()
    places = catalog.current_location_of(list(object_ids))
    materials = object_materials(list(places))
    assessments = {a.location_id: a for a in ClimateAssessment.objects.all()}
    for place in set(places.values()) - set(assessments):
        assessments[place] = do_assess_place(place)
    stored = []
    anomalies: dict[int, list[dict[str, Any]]] = {}
    for object_id, place in sorted(places.items()):
        summary = assessments[place].summary
        if place not in anomalies:
            anomalies[place] = _anomalies_at(place)
        # A place measured through its parent repeats the parent's climate: only places
        # with their own sensors are move candidates.
        candidates = [
            a.summary
            for pk, a in sorted(assessments.items())
            if pk != place and a.summary.get("rh") is not None and not a.summary.get("from_parent")
        ]
        inputs = {
            "object_id": object_id,
            "materials": materials.get(object_id, []),
            "rules_version": version,
            "summary": summary,
            "candidates": candidates,
            "anomalies": anomalies[place],
        }
        result = recompute(inputs, rules)
        # Each candidate is judged on its own, so keeping only those that became moves
        # recomputes the same strategies from a fraction of the stored summaries.
        moved_to = {
            s["parameters"]["location_id"] for s in result["strategies"] if s["key"] == "move"
        }
        inputs["candidates"] = [c for c in candidates if c.get("location_id") in moved_to]
        found, _created = ObjectAssessment.objects.update_or_create(
            object_id=object_id,
            defaults={
                "location_id": place,
                "rules_version": version,
                "inputs": inputs,
                "risks": result["risks"],
                "strategies": result["strategies"],
                "score": result["score"],
                "top_agent": result["top_agent"] or "",
                "computed_at": timezone.now(),
            },
        )
        stored.append(found)
    return stored


def places_with_sensors() -> list[int]:
    """Ids of the places where at least one sensor is installed, ascending."""
    return sorted(
        set(Sensor.objects.filter(location__isnull=False).values_list("location_id", flat=True))
    )


def do_assess_all() -> int:
    """Assess every place with sensors (and the places inside it), then every object at
    them. Returns how many objects were assessed."""
    places: set[int] = set()
    for location_id in places_with_sensors():
        places.update(catalog.location_ids_within(location_id))
    for location_id in sorted(places):
        do_assess_place(location_id)
    return len(do_assess_objects(catalog.objects_at(sorted(places))))


def _person_id(actor: Any) -> int | None:
    resolved = authz.actor_for(actor)
    return None if resolved.is_anonymous else resolved.user_id


def _find_strategy(strategies: list[dict[str, Any]], strategy_key: str) -> dict[str, Any]:
    for strategy in strategies:
        if strategy_key in (strategy.get("ref"), strategy.get("key")):
            return strategy
    message = _("No strategy %(key)s for this object.") % {"key": strategy_key}
    raise ValidationFailed(message, fields={"strategy_key": message})


def _hidden_from(actor: Any, location_id: int | None) -> bool:
    return location_id is not None and location_id in catalog.hidden_location_ids(actor)


def _place_label(location_id: int | None) -> str:
    info = catalog.location(location_id) if location_id is not None else None
    if info is None:
        return "-"
    return f"{info.code} {catalog.location_name(info.id, get_language())}".strip()


def _existing_repair(anomaly_id: Any) -> str:
    """The number of the repair request already filed for an anomaly ("" when none)."""
    if anomaly_id is None:
        return ""
    anomaly = Anomaly.objects.filter(pk=anomaly_id).first()
    if anomaly is None:
        return ""
    if anomaly.maintenance_request:
        return str(anomaly.maintenance_request)
    earlier = workflows.requests_about(EQUIPMENT_FAULT_SUBJECT, str(anomaly.pk))
    return earlier[0].number if earlier else ""


def _movement_form(
    object_id: int, assessment: ObjectAssessment, parameters: dict[str, Any], text: str
) -> dict[str, Any]:
    """The "object_movement" form (builtin.OBJECT_MOVEMENT): every required field."""
    return {
        "movement_type": "internal",
        "objects": [object_id],
        "from_location": assessment.location_id,
        "to_location": parameters.get("location_id"),
        "date": timezone.localdate().isoformat(),
        "purpose": "conservation",
        "reason": text[:1000],
    }


def _repair_form(
    assessment: ObjectAssessment, parameters: dict[str, Any], text: str
) -> dict[str, Any]:
    """The "repair" form (builtin.REPAIR): place, where exactly, equipment, problem, urgency."""
    sensor = str(parameters.get("sensor_code") or "-")
    form: dict[str, Any] = {
        "place_detail": (
            _("%(place)s, at sensor %(sensor)s")
            % {"place": _place_label(assessment.location_id), "sensor": sensor}
        )[:200],
        "equipment": (_("Climate control seen by sensor %(sensor)s") % {"sensor": sensor})[:200],
        "problem": text[:2000],
        "urgency": "urgent",
    }
    if assessment.location_id is not None:
        form["location"] = assessment.location_id
    return form


def do_create_task_from_strategy(actor: Any, object_id: int, strategy_key: str) -> CareTask:
    """Turn one of the object's stored strategies (by ``ref`` such as ``move:12``, or
    ``key``) into an open care task, and return it. A move also starts an "object_movement"
    approval request, an equipment fix a "repair" request (or reuses the one prediction
    already filed for the anomaly); the request number is kept on the task. Publishes
    ``CareTaskSaved``. Nothing is written when any step fails.

    Raises:
        PermissionDenied: the actor lacks ``conservation.risk.manage``.
        NotFound: the object is unknown to the actor, lies in a place hidden from them, or
            has no assessment.
        ValidationFailed: no such strategy (``strategy_key``), a move to a place hidden from
            the actor, or the approval form refused (its field messages).
    """
    if not authz.can(actor, ops.RISK_MANAGE.code):
        raise PermissionDenied()
    if object_id not in catalog.visible_object_ids(actor, [object_id]):
        raise NotFound(_("No such object."))
    assessment = ObjectAssessment.objects.filter(object_id=object_id).first()
    if assessment is None or _hidden_from(actor, assessment.location_id):
        raise NotFound(_("This object has not been assessed."))
    strategy = _find_strategy(list(assessment.strategies), strategy_key)
    parameters = dict(strategy.get("parameters") or {})
    action = strategy.get("action") or {}
    if strategy.get("key") == "move" and _hidden_from(actor, parameters.get("location_id")):
        message = _("No strategy %(key)s for this object.") % {"key": strategy_key}
        raise ValidationFailed(message, fields={"strategy_key": message})
    title = describe.strategy_title(strategy)
    reasons = describe.strategy_reasons(strategy)
    text = "\n".join([title, *reasons])
    object_title = catalog.object_title(object_id, get_language())
    with transaction.atomic():
        task = CareTask.objects.create(
            title=f"{title}: {object_title}"[:200],
            detail="\n".join(reasons),
            strategy=str(strategy.get("ref") or strategy["key"])[:64],
            object_ids=[object_id],
            location_id=assessment.location_id,
            evidence={
                "strategy": strategy,
                "risks": assessment.risks,
                "rules_version": assessment.rules_version,
                "assessed_at": assessment.computed_at.isoformat(),
            },
            created_by_id=_person_id(actor),
            # Whoever turns a strategy into a task owns it until they hand it on; an
            # unassigned task would sit in no one's to-do list.
            assignee_id=_person_id(actor),
        )
        if action.get("kind") == "request":
            register_subjects()  # setup may not have imported this module yet
            if action.get("process") == MOVE_PROCESS:
                form = _movement_form(object_id, assessment, parameters, text)
                number = workflows.start_request(actor, MOVE_SUBJECT, str(task.pk), form).number
            else:
                number = _existing_repair(parameters.get("anomaly_id"))
                if not number:
                    form = _repair_form(assessment, parameters, text)
                    number = workflows.start_request(
                        actor, REPAIR_SUBJECT, str(task.pk), form
                    ).number
            task.request_number = number
            task.save(update_fields=["request_number"])
        publish(events.CareTaskSaved(task_id=task.pk, status=task.status))
    return task


def do_set_task_status(actor: Any, task_id: int, status: str) -> CareTask:
    """Mark a care task open, done or cancelled; returns it. Publishes ``CareTaskSaved``.

    Raises:
        PermissionDenied: the actor lacks ``conservation.risk.manage``.
        NotFound: no such task, or its place is hidden from the actor.
        ValidationFailed: ``status`` is not one of open, done, cancelled.
    """
    if not authz.can(actor, ops.RISK_MANAGE.code):
        raise PermissionDenied()
    if status not in CareTask.Status.values:
        message = _("Unknown status %(status)s.") % {"status": status}
        raise ValidationFailed(message, fields={"status": message})
    task = CareTask.objects.filter(pk=task_id).first()
    if task is None or _hidden_from(actor, task.location_id):
        raise NotFound(_("No such task."))
    with transaction.atomic():
        task.status = status
        task.done_at = timezone.now() if status == CareTask.Status.DONE else None
        task.save(update_fields=["status", "done_at", "updated_at"])
        publish(events.CareTaskSaved(task_id=task.pk, status=task.status))
    return task


# --- ABC suggestions (heritage.md §3.2) ---------------------------------------------------


def _a_from_years(years: float) -> float:
    """A scale: ~1 yr → 5, 10 → 4, 100 → 3, 1,000 → 2, 10,000 → 1, in half steps
    (Michalski & Pedersoli 2016, heritage.md §3.2)."""
    if years <= 0:
        return 5.0
    return float(min(max(round((5.0 - math.log10(years)) * 2) / 2, 1.0), 5.0))


def suggest_abc(location_ids: list[int], agent: str) -> dict[str, Any]:
    """Suggested A and B for a risk of ``agent`` (an Agent key) at these places from their
    stored climate assessments: light → years to a just-noticeable fade of Blue Wool 1–3
    (BW 1 assumed); damp_mould → share of time above 75 % RH (a season a year ≈ every
    year); critical_rh, rh_fluctuation, temperature → the share of time out of band. Returns
    ``{"a": float | None, "b": float | None, "numbers": {...}}``; None when not measured.

    Raises:
        ValueError: ``agent`` is not an agent key.
    """
    from taihe.modules.conservation.models import Agent

    if agent not in Agent.values:
        raise ValueError(f"agent = {agent!r} is not one of {', '.join(Agent.values)}")
    summaries = [a.summary for a in ClimateAssessment.objects.filter(location_id__in=location_ids)]
    numbers: dict[str, Any] = {"places": len(summaries)}
    if agent == "light":
        doses = [s["light"]["annual_lux_hours"] for s in summaries if s.get("light")]
        if not doses:
            return {"a": None, "b": None, "numbers": numbers}
        from taihe.modules.conservation.science import years_to_just_noticeable_fade

        worst = max(doses)
        years = float(years_to_just_noticeable_fade(worst, 1)) if worst > 0 else math.inf
        numbers.update(
            {
                "annual_lux_hours": worst,
                "years_to_jnf_bw1": round(years, 3) if math.isfinite(years) else None,
            }
        )
        # One JNF is a small loss of value for each item: B ≈ 1 % (score 3).
        return {
            "a": _a_from_years(years) if math.isfinite(years) else 1.0,
            "b": 3.0,
            "numbers": numbers,
        }
    shares = [s.get("rh_share_above_75") for s in summaries if s.get("rh")]
    if not shares:
        return {"a": None, "b": None, "numbers": numbers}
    share = float(max(shares))
    mould = max(float(s.get("mould_index_max") or 0.0) for s in summaries if s.get("rh"))
    numbers.update({"rh_share_above_75": share, "mould_index_max": mould})
    # Damp spells happen every year when any time is spent above 75 % RH; a rarer spell is
    # read as once a decade; none measured as once a century.
    a = 5.0 if share >= 0.01 else (4.0 if share > 0 else 3.0)
    # Visible mould (M ≥ 3) costs ~10 % of value (B 4); microscopic (M ≥ 1) ~1 % (B 3).
    b = 4.0 if mould >= 3 else (3.0 if mould >= 1 else 2.0)
    return {"a": a, "b": b, "numbers": numbers}
