"""Writes of climate risk: stored assessments, care tasks from strategies, ABC suggestions.

The museum of ``conftest``: a bronze in Gallery 1, whose case logger reads 60–80 % RH (a
quarter of the time damp), and a dry vault shelf (30 % RH) in the restricted store.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from taihe.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.catalog import api as catalog_api
from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import material_rules
from taihe.modules.conservation.models import (
    Anomaly,
    CareTask,
    ClimateAssessment,
    ObjectAssessment,
)
from taihe.modules.conservation.risk import services
from taihe.modules.workflows import api as workflows
from taihe.modules.workflows.models import Request

pytestmark = pytest.mark.django_db

DAYS = 11


def readings(rh: Any) -> list[tuple[dt.datetime, dict[str, float]]]:
    """Hourly readings at 20 °C for the last 11 days, RH ``rh(hour index)``."""
    last = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    count = DAYS * 24
    return [
        (
            last - dt.timedelta(hours=count - 1 - i),
            {"temperature": 20.0, "relative_humidity": float(rh(i))},
        )
        for i in range(count)
    ]


@pytest.fixture
def museum_at_risk(conservation: dict[str, Any], store_readings: Any) -> dict[str, Any]:
    """A bronze in the damp gallery, a silk on the dry vault shelf, both assessed."""
    registrar = conservation["people"]["registrar"]
    conservator = conservation["people"]["conservator"]
    store_readings(conservation["case"], readings(lambda i: 60 + 2 * (i % 11)))
    store_readings(conservation["vault"], readings(lambda i: 30.0))
    bronze = catalog_services.do_create_object(
        registrar, catalog_services.ObjectInput(object_number="B-1", title={"en": "Ding"})
    )
    silk = catalog_services.do_create_object(
        registrar, catalog_services.ObjectInput(object_number="S-1", title={"en": "Scroll"})
    )
    catalog_services.do_move_objects(
        registrar, [bronze.pk], conservation["gallery"].pk, reason="exhibition"
    )
    catalog_services.do_move_objects(
        registrar, [silk.pk], conservation["shelf"].pk, reason="storage"
    )
    material_rules.do_set_object_materials(conservator, bronze.pk, ["bronze"])
    material_rules.do_set_object_materials(conservator, silk.pk, ["silk"])
    return {**conservation, "bronze": bronze, "silk": silk}


def snapshot() -> dict[str, int]:
    return {
        "tasks": CareTask.objects.count(),
        "requests": Request.objects.count(),
        "events": OutboxEvent.objects.filter(name="conservation.care_task.saved.v1").count(),
    }


def test_assessments_are_stored_and_reproducible_from_their_inputs(
    museum_at_risk: dict[str, Any],
) -> None:
    # given the museum; when everything is assessed
    assessed = services.do_assess_all()
    # then both places with sensors and both objects are assessed
    gallery, shelf = museum_at_risk["gallery"].pk, museum_at_risk["shelf"].pk
    assert assessed == 2
    assert set(ClimateAssessment.objects.values_list("location_id", flat=True)) == {gallery, shelf}
    place = ClimateAssessment.objects.get(location_id=gallery)
    # 60, 62, … 80 % in turn: 3 of 11 hours above 75 % RH; p95 80 %; the period starts at
    # the first reading (11 days), not a year ago
    assert place.summary["rh_share_above_75"] == 0.2727
    assert (place.summary["rh"]["p5"], place.summary["rh"]["p95"]) == (60.0, 80.0)
    first = readings(lambda i: 0)[0][0]
    assert place.summary["hours"] == DAYS * 24
    assert place.period_start == first and place.summary["period_start"] == first.isoformat()
    assert place.score == 1.0  # a tenth of the time damp is the worst
    bronze = ObjectAssessment.objects.get(object_id=museum_at_risk["bronze"].pk)
    assert (bronze.location_id, bronze.top_agent, bronze.score) == (gallery, "damp_mould", 1.0)
    # damp and critical RH both score 1 (damp_mould first on a tie); on the dry shelf only
    # the unmeasured pollutants remain (0.3), and a 20 % case does as much
    assert [(s["ref"], s["reduction"]) for s in bronze.strategies] == [
        (f"move:{shelf}", 0.7),
        ("microclimate", 0.7),
    ]
    # and the stored inputs, read back from the database, give the same result
    version, rules = material_rules.current_rule_base()
    assert bronze.rules_version == version
    assert [c["location_id"] for c in bronze.inputs["candidates"]] == [shelf]
    for row in ObjectAssessment.objects.all():
        inputs = json.loads(json.dumps(row.inputs))
        again = services.recompute(inputs, rules)
        assert (again["risks"], again["strategies"], again["score"]) == (
            row.risks,
            row.strategies,
            row.score,
        )


def test_assessing_twice_replaces_the_rows(museum_at_risk: dict[str, Any]) -> None:
    services.do_assess_all()
    services.do_assess_all()
    assert ObjectAssessment.objects.count() == 2
    assert ClimateAssessment.objects.count() == 2


def test_a_conservator_turns_a_move_into_a_task_and_a_movement_request(
    museum_at_risk: dict[str, Any],
) -> None:
    # given the assessed bronze
    services.do_assess_all()
    conservator = museum_at_risk["people"]["conservator"]
    bronze, gallery, shelf = (
        museum_at_risk["bronze"].pk,
        museum_at_risk["gallery"].pk,
        museum_at_risk["shelf"].pk,
    )
    # when the conservator acts on the move in one click
    task = services.do_create_task_from_strategy(conservator, bronze, f"move:{shelf}")
    # then an open care task holds the strategy and the approval request's number
    assert task.title == "Move to Vault shelf: Ding"
    assert (task.strategy, task.object_ids, task.location_id) == (
        f"move:{shelf}",
        [bronze],
        gallery,
    )
    assert task.status == CareTask.Status.OPEN and task.created_by_id == conservator.pk
    assert task.evidence["strategy"]["reduction"] == 0.7
    (request,) = workflows.requests_about(services.MOVE_SUBJECT, str(task.pk))
    assert task.request_number == request.number
    assert request.process_code == "object_movement"
    form = request.form_data
    assert (form["movement_type"], form["purpose"]) == ("internal", "conservation")
    assert (form["objects"], form["from_location"], form["to_location"]) == (
        [bronze],
        gallery,
        shelf,
    )
    assert form["reason"].startswith("Move to Vault shelf\nThere the risk score falls from 1.00 to")
    assert OutboxEvent.objects.filter(name="conservation.care_task.saved.v1").count() == 1


def test_a_case_strategy_is_a_task_without_a_request(museum_at_risk: dict[str, Any]) -> None:
    services.do_assess_all()
    conservator = museum_at_risk["people"]["conservator"]
    task = services.do_create_task_from_strategy(
        conservator, museum_at_risk["bronze"].pk, "microclimate"
    )
    assert task.request_number == ""
    assert task.title == "Microclimate case with silica gel at 20 % RH: Ding"
    assert task.detail.startswith("The room's RH runs 60.0–80.0 %; the materials accept 0–40 %")


@pytest.mark.parametrize("role", ["curator", "registrar", "security", "member", "outsider"])
def test_only_those_managing_risk_create_tasks(museum_at_risk: dict[str, Any], role: str) -> None:
    services.do_assess_all()
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.do_create_task_from_strategy(
            museum_at_risk["people"][role], museum_at_risk["bronze"].pk, "microclimate"
        )
    with pytest.raises(PermissionDenied):
        services.do_create_task_from_strategy(None, museum_at_risk["bronze"].pk, "microclimate")
    assert snapshot() == before


def test_an_unknown_strategy_or_an_unassessed_object_is_refused(
    museum_at_risk: dict[str, Any],
) -> None:
    conservator = museum_at_risk["people"]["conservator"]
    with pytest.raises(NotFound):
        services.do_create_task_from_strategy(conservator, museum_at_risk["bronze"].pk, "move")
    services.do_assess_all()
    with pytest.raises(ValidationFailed) as refused:
        services.do_create_task_from_strategy(conservator, museum_at_risk["bronze"].pk, "pray")
    assert refused.value.fields == {"strategy_key": "No strategy pray for this object."}
    assert CareTask.objects.count() == 0


def test_places_hidden_from_the_actor_are_neither_shown_nor_used(
    museum_at_risk: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an assessed museum and a risk manager who may not know the restricted store
    services.do_assess_all()
    conservator = museum_at_risk["people"]["conservator"]
    hidden = set(catalog_api.location_ids_within(museum_at_risk["store"].pk))
    monkeypatch.setattr(catalog_api, "hidden_location_ids", lambda actor: hidden)
    before = snapshot()
    shelf = museum_at_risk["shelf"].pk
    # then a move there is no strategy for them, and objects there are unknown
    with pytest.raises(ValidationFailed):
        services.do_create_task_from_strategy(
            conservator, museum_at_risk["bronze"].pk, f"move:{shelf}"
        )
    with pytest.raises(NotFound):
        services.do_create_task_from_strategy(conservator, museum_at_risk["silk"].pk, "ipm")
    assert snapshot() == before


def test_a_task_in_a_hidden_place_cannot_be_changed(
    museum_at_risk: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    conservator = museum_at_risk["people"]["conservator"]
    task = CareTask.objects.create(title="Check the shelf", location_id=museum_at_risk["shelf"].pk)
    monkeypatch.setattr(catalog_api, "hidden_location_ids", lambda actor: {task.location_id})
    with pytest.raises(NotFound):
        services.do_set_task_status(conservator, task.pk, "done")
    task.refresh_from_db()
    assert task.status == CareTask.Status.OPEN


def test_task_status_changes_need_the_right_and_a_known_status(
    museum_at_risk: dict[str, Any],
) -> None:
    conservator = museum_at_risk["people"]["conservator"]
    task = CareTask.objects.create(title="Check", location_id=museum_at_risk["gallery"].pk)
    with pytest.raises(PermissionDenied):
        services.do_set_task_status(museum_at_risk["people"]["curator"], task.pk, "done")
    with pytest.raises(ValidationFailed) as refused:
        services.do_set_task_status(conservator, task.pk, "finished")
    assert refused.value.fields == {"status": "Unknown status finished."}
    with pytest.raises(NotFound):
        services.do_set_task_status(conservator, task.pk + 1000, "done")
    done = services.do_set_task_status(conservator, task.pk, "done")
    assert done.status == "done" and done.done_at is not None
    reopened = services.do_set_task_status(conservator, task.pk, "open")
    assert reopened.done_at is None
    assert OutboxEvent.objects.filter(name="conservation.care_task.saved.v1").count() == 2


def _equipment_fault(museum: dict[str, Any], **values: Any) -> Anomaly:
    now = timezone.now()
    return Anomaly.objects.create(
        sensor=museum["case"],
        location_id=museum["gallery"].pk,
        kind=Anomaly.Kind.CONTROL_LOSS,
        quantity="relative_humidity",
        cause=Anomaly.Cause.EQUIPMENT,
        started_at=now - dt.timedelta(days=3),
        ended_at=now,
        score=1.6,
        severity="low",
        explanation_code="anomaly.control_loss.equipment",
        evidence={},
        fingerprint="test-fault",
        detected_at=now,
        **values,
    )


def test_an_equipment_fix_starts_a_repair_request_with_every_required_field(
    museum_at_risk: dict[str, Any],
) -> None:
    # given an open dehumidifier fault in the gallery when the bronze is assessed
    fault = _equipment_fault(museum_at_risk)
    services.do_assess_all()
    conservator = museum_at_risk["people"]["conservator"]
    # when the fix is turned into a task
    task = services.do_create_task_from_strategy(
        conservator, museum_at_risk["bronze"].pk, f"fix_equipment:{fault.pk}"
    )
    # then a repair request names the place, the sensor and the problem
    (request,) = workflows.requests_about(services.REPAIR_SUBJECT, str(task.pk))
    assert request.process_code == "repair" and task.request_number == request.number
    form = request.form_data
    assert form["location"] == museum_at_risk["gallery"].pk
    assert form["place_detail"] == "G1 Gallery 1, at sensor G1-CASE3"
    assert form["equipment"] == "Climate control seen by sensor G1-CASE3"
    assert form["urgency"] == "urgent"
    assert form["problem"].startswith(
        "Fix the equipment: Equipment stopped controlling on sensor G1-CASE3\n"
        f"Open equipment anomaly #{fault.pk}; RH 95th percentile 80.0 %."
    )


def test_an_equipment_fix_reuses_the_repair_request_already_filed(
    museum_at_risk: dict[str, Any],
) -> None:
    fault = _equipment_fault(museum_at_risk, maintenance_request="R-2026-0042")
    services.do_assess_all()
    requests = Request.objects.count()
    task = services.do_create_task_from_strategy(
        museum_at_risk["people"]["conservator"],
        museum_at_risk["bronze"].pk,
        f"fix_equipment:{fault.pk}",
    )
    assert task.request_number == "R-2026-0042"
    assert Request.objects.count() == requests


def test_the_care_task_subjects_use_their_own_codes() -> None:
    codes = {subject.code: subject.process_code for subject in workflows.subjects()}
    assert codes[services.MOVE_SUBJECT] == "object_movement"
    assert codes[services.REPAIR_SUBJECT] == "repair"
    assert services.EQUIPMENT_FAULT_SUBJECT not in (services.MOVE_SUBJECT, services.REPAIR_SUBJECT)


def test_suggested_a_and_b_come_from_the_stored_climate(museum_at_risk: dict[str, Any]) -> None:
    services.do_assess_all()
    gallery, shelf = museum_at_risk["gallery"].pk, museum_at_risk["shelf"].pk
    damp = services.suggest_abc([gallery, shelf], "damp_mould")
    # 27 % of the gallery's hours above 75 % RH: damp every year (A 5); the mould index
    # stays below 1 in 11 days, so the loss is small (B 2)
    assert (damp["a"], damp["b"]) == (5.0, 2.0)
    assert damp["numbers"]["rh_share_above_75"] == 0.2727 and damp["numbers"]["places"] == 2
    dry = services.suggest_abc([shelf], "damp_mould")
    assert (dry["a"], dry["b"]) == (3.0, 2.0)
    # no light is measured anywhere
    assert services.suggest_abc([gallery], "light") == {
        "a": None,
        "b": None,
        "numbers": {"places": 1},
    }
    with pytest.raises(ValueError, match="agent = 'noise'"):
        services.suggest_abc([gallery], "noise")


def test_suggested_a_for_light_follows_the_years_to_a_fade(museum_at_risk: dict[str, Any]) -> None:
    # given a stored assessment with 150,000 lx·h a year: BW1 fades in 2 years (300,000 per
    # JNF) → A = (5 − log10 2) × 2 rounded to a half = 4.5
    ClimateAssessment.objects.create(
        location_id=museum_at_risk["gallery"].pk,
        period_start=timezone.now() - dt.timedelta(days=365),
        period_end=timezone.now(),
        summary={"light": {"annual_lux_hours": 150_000.0}},
        score=0.0,
        computed_at=timezone.now(),
    )
    found = services.suggest_abc([museum_at_risk["gallery"].pk], "light")
    assert (found["a"], found["b"]) == (4.5, 3.0)
    assert found["numbers"]["years_to_jnf_bw1"] == 2.0
