"""Risk jobs: recompute climate and object assessments (nightly, and after readings,
moves and rule base changes)."""

from __future__ import annotations

from typing import Any

from taihe.kernel.events import subscribe
from taihe.kernel.jobs import enqueue, job, schedule

DEBOUNCE_SECONDS = 15 * 60.0
"""Readings arrive every few minutes; reassessing a place once a quarter hour is enough."""


@job(name="conservation.risk.assess", queue="default", max_retries=1, backoff_seconds=300.0)
def assess_all() -> None:
    """Assess every place with sensors and the objects at them."""
    from taihe.modules.conservation.risk import services

    services.do_assess_all()


@job(name="conservation.risk.reassess_place", queue="default", max_retries=2, backoff_seconds=60.0)
def reassess_place(location_id: int) -> None:
    """Reassess one place, the places inside it (measured through it when they have no
    sensors of their own) and the objects at all of them; nothing when the place is gone."""
    from taihe.modules.catalog import api as catalog
    from taihe.modules.conservation.risk import services

    places = catalog.location_ids_within(location_id)
    for place in sorted(places):
        services.do_assess_place(place)
    services.do_assess_objects(catalog.objects_at(sorted(places)))


@job(
    name="conservation.risk.reassess_objects", queue="default", max_retries=2, backoff_seconds=60.0
)
def reassess_objects(object_ids: list[int]) -> None:
    """Reassess these objects at their current places."""
    from taihe.modules.conservation.risk import services

    services.do_assess_objects(list(object_ids))


schedule("conservation.risk.nightly", cron="15 2 * * *", job_name="conservation.risk.assess")


@subscribe("conservation.readings.stored.v1", name="conservation.risk.readings_stored")
def on_readings_stored(event: Any) -> None:
    """New readings: reassess their sensors' places a quarter hour later (once per place)."""
    from taihe.modules.conservation.models import Sensor

    places = set(
        Sensor.objects.filter(pk__in=event.sensor_ids, location__isnull=False).values_list(
            "location_id", flat=True
        )
    )
    for location_id in sorted(places):
        enqueue(reassess_place, location_id, delay_seconds=DEBOUNCE_SECONDS, unique=True)


@subscribe("catalog.object.moved.v1", name="conservation.risk.object_moved")
def on_object_moved(event: Any) -> None:
    """A moved object meets another climate: reassess it a minute later."""
    enqueue(reassess_objects, [event.object_id], delay_seconds=60.0, unique=True)


@subscribe("conservation.object_materials.set.v1", name="conservation.risk.materials_set")
def on_materials_set(event: Any) -> None:
    """Corrected materials change the object's sensitivities: reassess it."""
    enqueue(reassess_objects, [event.object_id], delay_seconds=60.0, unique=True)


@subscribe("conservation.material_rules.saved.v1", name="conservation.risk.rules_saved")
def on_rules_saved(event: Any) -> None:
    """A new rule base version changes every object's risks: reassess everything."""
    enqueue(assess_all, delay_seconds=DEBOUNCE_SECONDS, unique=True)
