"""The ABC risk register (Michalski & Pedersoli, *The ABC Method: a risk management approach
to the preservation of cultural heritage*, CCI and ICCROM 2016): the only write path of
``Risk`` and ``RiskTreatment``.

Each risk scores A (how often, or how many years until a cumulative process reaches the
assumed loss), B (value lost by each affected item) and C (share of the collection's value
affected) on the method's 1–5 scale in half steps (a full step is a factor of 10, a half step
about 3), each with an optional low and high estimate. Magnitude MR = A + B + C (3–15).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import events
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.models import Agent, CciAgent, Risk, RiskTreatment
from taihe.modules.directory import api as directory

SCALE_MIN = 1.0
SCALE_MAX = 5.0
SCALE_STEP = 0.5
"""The ABC scales run from 1 to 5 in half steps (ABC Method, CCI/ICCROM 2016, part 3;
heritage.md §3.2)."""

PRIORITY_BANDS: tuple[tuple[float, str, Any], ...] = (
    (13.5, "extreme", gettext_lazy("Catastrophic or extreme")),
    (11.5, "very_high", gettext_lazy("Very high")),
    (9.5, "high", gettext_lazy("High")),
    (5.5, "medium", gettext_lazy("Medium")),
    (3.0, "low", gettext_lazy("Low")),
)
"""Priority bands of the magnitude MR, lowest MR of each band first-to-last: 13½–15
catastrophic/extreme, 11½–13 very high, 9½–11 high, 5½–9 medium, 3–5 low (after the ABC
Method's evaluation chapter, Michalski & Pedersoli 2016, as summarised in heritage.md §3.2).
⚠ These thresholds were written from memory in the research notes and have not been checked
against the manual: a museum may set its own in the Django setting
``CONSERVATION_ABC_PRIORITY_BANDS`` (same shape: ``(lowest MR, code, label)``, highest band
first)."""

MAX_TEXT = 200
MAX_IDS = 5_000


def priority_bands() -> tuple[tuple[float, str, Any], ...]:
    """The bands in use: the setting when a museum set one, else :data:`PRIORITY_BANDS`."""
    return tuple(getattr(settings, "CONSERVATION_ABC_PRIORITY_BANDS", PRIORITY_BANDS))


def priority_band(magnitude: float) -> tuple[str, str]:
    """``(code, label)`` of the band a magnitude falls in (the lowest band below 3)."""
    bands = priority_bands()
    for lowest, code, label in bands:
        if magnitude >= lowest:
            return code, str(label)
    return bands[-1][1], str(bands[-1][2])


def magnitude(a: float, b: float, c: float) -> float:
    """MR = A + B + C (the ABC Method's magnitude of risk, 3–15)."""
    return a + b + c


def _score_error(value: Any) -> str | None:
    """Why a value is not an ABC score, or None when it is one."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return _("Give a number from 1 to 5.")
    if not SCALE_MIN <= value <= SCALE_MAX:
        return _("Give a number from 1 to 5; %(value)s is outside the scale.") % {
            "value": f"{value:g}"
        }
    if not math.isclose(value / SCALE_STEP, round(value / SCALE_STEP), abs_tol=1e-9):
        return _("Use whole or half steps (1, 1.5, 2 … 5); %(value)s is neither.") % {
            "value": f"{value:g}"
        }
    return None


@dataclass
class RiskData:
    """What a person fills in for one register entry (scores on the 1–5 scale)."""

    agent: int
    title: str
    a_score: float
    b_score: float
    c_score: float
    scenario: str = ""
    location_ids: list[int] = field(default_factory=list)
    object_ids: list[int] = field(default_factory=list)
    segment: str = ""
    a_low: float | None = None
    a_high: float | None = None
    b_low: float | None = None
    b_high: float | None = None
    c_low: float | None = None
    c_high: float | None = None
    owner_id: int | None = None
    status: str = Risk.Status.OPEN
    review_on: dt.date | None = None


def _require(actor: Any, operation: str) -> None:
    if not authz.can(actor, operation):
        raise PermissionDenied()


def _validate(actor: Any, data: RiskData) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.agent not in CciAgent.values:
        errors["agent"] = _("Choose one of the ten agents of deterioration.")
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _("Name the risk.")
    elif len(title) > MAX_TEXT:
        errors["title"] = _("At most %(count)s characters.") % {"count": MAX_TEXT}
    if len(data.segment or "") > MAX_TEXT:
        errors["segment"] = _("At most %(count)s characters.") % {"count": MAX_TEXT}
    for letter in "abc":
        score = getattr(data, f"{letter}_score")
        problem = _score_error(score)
        if problem:
            errors[f"{letter}_score"] = problem
        for bound in ("low", "high"):
            name = f"{letter}_{bound}"
            value = getattr(data, name)
            if value is None:
                continue
            problem = _score_error(value)
            if problem:
                errors[name] = problem
            elif name not in errors and f"{letter}_score" not in errors:
                if bound == "low" and value > score:
                    errors[name] = _("The low estimate is above the score.")
                if bound == "high" and value < score:
                    errors[name] = _("The high estimate is below the score.")
    if data.status not in Risk.Status.values:
        errors["status"] = _("Choose a status.")
    if len(data.location_ids) > MAX_IDS or len(data.object_ids) > MAX_IDS:
        errors["object_ids"] = _("At most %(count)s places and objects.") % {"count": MAX_IDS}
        return errors
    places = sorted(set(data.location_ids))
    known_places = catalog.visible_location_ids(actor, places) - catalog.hidden_location_ids(actor)
    missing = [pk for pk in places if pk not in known_places]
    if missing:
        errors["location_ids"] = _("Unknown places: %(ids)s.") % {
            "ids": ", ".join(map(str, missing))
        }
    objects = sorted(set(data.object_ids))
    missing = sorted(set(objects) - catalog.visible_object_ids(actor, objects))
    if missing:
        errors["object_ids"] = _("Unknown objects: %(ids)s.") % {
            "ids": ", ".join(map(str, missing))
        }
    if data.owner_id is not None and not directory.active_people([data.owner_id]):
        errors["owner_id"] = _("Choose an active person as the owner.")
    return errors


def do_save_risk(actor: Any, risk_id: int | None, data: RiskData) -> Risk:
    """Create (``risk_id`` None) or change a register entry; MR is computed from A, B and C.
    Emits ``conservation.risk.saved.v1``. Returns the saved risk. Raises PermissionDenied
    (without ``conservation.risk.manage``), NotFound, ValidationFailed (``fields`` name each
    wrong field: ``a_score``, ``b_low``, ``location_ids``...)."""
    _require(actor, ops.RISK_MANAGE.code)
    risk = None
    if risk_id is not None:
        risk = Risk.objects.filter(pk=risk_id).first()
        if risk is None:
            raise NotFound()
    errors = _validate(actor, data)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        risk = risk or Risk(created_by_id=authz.actor_for(actor).user_id)
        risk.agent = data.agent
        risk.title = data.title.strip()
        risk.scenario = data.scenario.strip()
        risk.location_ids = sorted(set(data.location_ids))
        risk.object_ids = sorted(set(data.object_ids))
        risk.segment = data.segment.strip()
        for name in (
            "a_score",
            "a_low",
            "a_high",
            "b_score",
            "b_low",
            "b_high",
            "c_score",
            "c_low",
            "c_high",
        ):
            value = getattr(data, name)
            setattr(risk, name, float(value) if value is not None else None)
        risk.magnitude = magnitude(data.a_score, data.b_score, data.c_score)
        risk.owner_id = data.owner_id
        risk.status = data.status
        risk.review_on = data.review_on
        risk.save()
        publish(events.RiskSaved(risk_id=risk.pk, magnitude=risk.magnitude))
    return risk


@dataclass
class TreatmentData:
    description: str
    expected_reduction: float
    cost: str = ""
    status: str = RiskTreatment.Status.PROPOSED
    request_number: str = ""


def do_save_treatment(
    actor: Any, risk_id: int, treatment_id: int | None, data: TreatmentData
) -> RiskTreatment:
    """Add (``treatment_id`` None) or change a treatment of a risk, with the reduction of MR it
    is expected to bring (more than 0, at most MR − 3: a risk cannot fall below the scale).
    Emits ``conservation.risk.saved.v1`` for the risk. Raises PermissionDenied, NotFound,
    ValidationFailed (``description``, ``expected_reduction``, ``status``, ``cost``)."""
    _require(actor, ops.RISK_MANAGE.code)
    risk = Risk.objects.filter(pk=risk_id).first()
    if risk is None:
        raise NotFound()
    treatment = None
    if treatment_id is not None:
        treatment = risk.treatments.filter(pk=treatment_id).first()
        if treatment is None:
            raise NotFound()
    errors: dict[str, str] = {}
    if not (data.description or "").strip():
        errors["description"] = _("Say what would be done.")
    reduction = data.expected_reduction
    most = risk.magnitude - 3 * SCALE_MIN
    if (
        not isinstance(reduction, int | float)
        or isinstance(reduction, bool)
        or not math.isfinite(reduction)
        or not 0 < reduction <= most
    ):
        errors["expected_reduction"] = _("Give a reduction of MR above 0 and at most %(most)s.") % {
            "most": f"{most:g}"
        }
    if data.status not in RiskTreatment.Status.values:
        errors["status"] = _("Choose a status.")
    if len(data.cost or "") > 100:
        errors["cost"] = _("At most %(count)s characters.") % {"count": 100}
    if len(data.request_number or "") > 32:
        errors["request_number"] = _("At most %(count)s characters.") % {"count": 32}
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        treatment = treatment or RiskTreatment(risk=risk)
        treatment.description = data.description.strip()
        treatment.expected_reduction = float(reduction)
        treatment.cost = data.cost.strip()
        treatment.status = data.status
        treatment.request_number = data.request_number.strip()
        treatment.save()
        publish(events.RiskSaved(risk_id=risk.pk, magnitude=risk.magnitude))
    return treatment


CLIMATE_AGENTS: dict[int, str] = {
    CciAgent.WATER: Agent.DAMP_MOULD,
    CciAgent.PESTS: Agent.PESTS,
    CciAgent.POLLUTANTS: Agent.POLLUTANTS,
    CciAgent.LIGHT: Agent.LIGHT,
    CciAgent.TEMPERATURE: Agent.TEMPERATURE,
    CciAgent.RELATIVE_HUMIDITY: Agent.DAMP_MOULD,
}
"""The monitored agent a CCI agent is suggested from when the person names none (incorrect
RH is split three ways; damp and mould is the one the ABC notes estimate from monitoring:
share of time above 75 % RH, heritage.md §3.2)."""


def do_suggest_abc(actor: Any, risk_id: int, agent: str | None = None) -> Risk:
    """Compute suggested A and B for the risk from the monitoring data of its places
    (``risk.services.suggest_abc`` for ``agent``, a monitored agent key; by default the one
    :data:`CLIMATE_AGENTS` maps the risk's CCI agent to) and store them with their numbers in
    ``evidence["suggested"]`` (``a``, ``b``, ``numbers``, ``agent``, ``computed_at``); the
    scores themselves stay as the person set them. Returns the risk. Raises PermissionDenied,
    NotFound, ValidationFailed (``location_ids`` when the risk names no place, ``agent`` when
    no monitored agent fits)."""
    _require(actor, ops.RISK_MANAGE.code)
    risk = Risk.objects.filter(pk=risk_id).first()
    if risk is None:
        raise NotFound()
    if not risk.location_ids:
        raise ValidationFailed(
            fields={
                "location_ids": _(
                    "Name the places of the risk: A and B are suggested from their monitoring."
                )
            }
        )
    chosen = agent or CLIMATE_AGENTS.get(risk.agent)
    if chosen not in Agent.values:
        raise ValidationFailed(
            fields={
                "agent": _(
                    "Monitoring says nothing about this agent; choose temperature, humidity, "
                    "light, pollutants or pests."
                )
            }
        )
    from taihe.modules.conservation.risk import services as risk_services

    suggestion = risk_services.suggest_abc([int(pk) for pk in risk.location_ids], str(chosen))
    with transaction.atomic():
        risk.evidence = {
            **(risk.evidence or {}),
            "suggested": {
                "a": suggestion.get("a"),
                "b": suggestion.get("b"),
                "numbers": suggestion.get("numbers", {}),
                "agent": str(chosen),
                "computed_at": timezone.now().isoformat(),
            },
        }
        risk.save(update_fields=["evidence", "updated_at"])
        publish(events.RiskSaved(risk_id=risk.pk, magnitude=risk.magnitude))
    return risk
