"""Risk jobs: the nightly assessment, reassessment after readings, moves and rule changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from taihe.kernel.events import publish
from taihe.kernel.jobs import schedules
from taihe.kernel.jobs.models import JobRecord
from taihe.modules.catalog import events as catalog_events
from taihe.modules.conservation import events
from taihe.modules.conservation.models import ClimateAssessment, ObjectAssessment
from taihe.modules.conservation.risk import jobs

pytestmark = pytest.mark.django_db


def queued(name: str) -> list[tuple[Any, float]]:
    """(args, seconds until it runs, to the minute) of each queued job called ``name``."""
    now = timezone.now()
    return [
        (row.args, round((row.run_after - now).total_seconds() / 60) * 60)
        for row in JobRecord.objects.filter(name=name, status="queued").order_by("id")
    ]


def hourly(rh: float, days: int = 3) -> list[tuple[dt.datetime, dict[str, float]]]:
    last = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    return [
        (last - dt.timedelta(hours=i), {"temperature": 20.0, "relative_humidity": rh})
        for i in range(days * 24)
    ]


def test_the_nightly_assessment_is_scheduled() -> None:
    found = {entry.name: entry for entry in schedules()}["conservation.risk.nightly"]
    assert (found.cron, found.job_name) == ("15 2 * * *", "conservation.risk.assess")


def test_assessing_again_changes_nothing(conservation: dict[str, Any], store_readings: Any) -> None:
    # given readings in the gallery and on the vault shelf
    store_readings(conservation["case"], hourly(58.0))
    store_readings(conservation["vault"], hourly(40.0))
    # when the nightly job runs twice
    jobs.assess_all()
    first = {row.location_id: row.summary for row in ClimateAssessment.objects.all()}
    jobs.assess_all()
    second = {row.location_id: row.summary for row in ClimateAssessment.objects.all()}
    # then the same two places hold one assessment each, with the same climate
    assert set(first) == {conservation["gallery"].pk, conservation["shelf"].pk}
    assert ClimateAssessment.objects.count() == 2
    assert {k: v["rh"] for k, v in first.items()} == {k: v["rh"] for k, v in second.items()}
    assert first[conservation["gallery"].pk]["rh"]["mean"] == 58.0


def test_reassessing_a_place_covers_the_places_inside_it(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    # given readings on the vault shelf only
    store_readings(conservation["vault"], hourly(40.0))
    # when the restricted store around it is reassessed
    jobs.reassess_place(conservation["store"].pk)
    # then the store (no sensor, no parent sensor) and the shelf are both stored
    rows = {row.location_id: row.summary for row in ClimateAssessment.objects.all()}
    assert set(rows) == {conservation["store"].pk, conservation["shelf"].pk}
    assert rows[conservation["store"].pk]["rh"] is None
    assert rows[conservation["shelf"].pk]["rh"]["mean"] == 40.0
    assert ObjectAssessment.objects.count() == 0


def test_new_readings_queue_one_reassessment_of_their_place(
    conservation: dict[str, Any], run_commit_hooks: Any
) -> None:
    # given readings stored twice for the gallery's logger
    for batch in (1, 2):
        with run_commit_hooks():
            publish(
                events.ReadingsStored(
                    batch_id=batch, source="http", stored=10, sensor_ids=[conservation["case"].pk]
                )
            )
    # then the gallery is reassessed once, a quarter hour later
    assert queued("conservation.risk.reassess_place") == [
        ([conservation["gallery"].pk], jobs.DEBOUNCE_SECONDS)
    ]


def test_a_move_or_new_materials_queue_the_object(run_commit_hooks: Any, museum: Any) -> None:
    with run_commit_hooks():
        publish(
            catalog_events.ObjectMoved(
                object_id=7, movement_id=1, from_location_id=None, to_location_id=3
            )
        )
    with run_commit_hooks():
        publish(events.ObjectMaterialsSet(object_id=7, materials=["silk"]))
    with run_commit_hooks():
        publish(events.ObjectMaterialsSet(object_id=8, materials=["bronze"]))
    # the same object moved and re-read waits once (one list-of-ids argument)
    assert queued("conservation.risk.reassess_objects") == [([[7]], 60), ([[8]], 60)]


def test_a_new_rule_base_queues_one_full_assessment(run_commit_hooks: Any, museum: Any) -> None:
    for version in ("2", "3"):
        with run_commit_hooks():
            publish(
                events.MaterialRulesSaved(
                    rule_set_id=1, version=version, changed_materials=["silk"]
                )
            )
    assert queued("conservation.risk.assess") == [([], jobs.DEBOUNCE_SECONDS)]
