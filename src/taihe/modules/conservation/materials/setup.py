"""Registrations of the material rule base: jobs, subscribers, the app tile.

The classifier is "used on import": every object the catalogue creates, every edit that
touches its medium or materials, and every finished register import queue the reading of
materials (durable subscribers: delivered at least once, and the jobs are idempotent).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

MEDIUM_FIELDS = ("medium", "materials")
"""Fields of a catalogue record the materials are read from."""


def object_created(event: Any) -> None:
    """Read the new object's materials."""
    from taihe.kernel.jobs import enqueue
    from taihe.modules.conservation.material_rules import classify_job

    enqueue(classify_job, [int(event.object_id)])


def object_updated(event: Any) -> None:
    """Read the object's materials again when its medium or materials changed."""
    from taihe.kernel.jobs import enqueue
    from taihe.modules.conservation.material_rules import classify_job

    changed = set(event.after or {}) | set(event.before or {})
    if changed & set(MEDIUM_FIELDS):
        enqueue(classify_job, [int(event.object_id)])


def import_finished(event: Any) -> None:
    """An import names no objects in its event: walk the register, reading only objects
    never read or whose medium text changed (the classify step skips the rest)."""
    from taihe.kernel.jobs import enqueue
    from taihe.modules.conservation.material_rules import reclassify_all_job

    if event.dry_run or not (event.created or event.updated):
        return
    enqueue(reclassify_all_job, 0, force=False, unique=True)


def register() -> None:
    """Called once from ``ConservationConfig.ready``."""
    from taihe.kernel.events import subscribe
    from taihe.kernel.shell import AppTile, register_app
    from taihe.modules.conservation import material_rules  # noqa: F401  registers the jobs
    from taihe.modules.conservation import operations as ops

    subscribe("catalog.object.created.v1", name="conservation.materials.object_created")(
        object_created
    )
    subscribe("catalog.object.updated.v1", name="conservation.materials.object_updated")(
        object_updated
    )
    subscribe("catalog.import.finished.v1", name="conservation.materials.import_finished")(
        import_finished
    )
    register_app(
        AppTile(
            code="conservation.materials",
            label=_("Material rules"),
            icon="list",
            order=46,
            description=_(
                "How sensitive each material is to humidity, light, heat, pollutants "
                "and pests, with the bands and care it needs"
            ),
            url_name="conservation:materials",
            operation=ops.RISK_VIEW.code,
        )
    )
