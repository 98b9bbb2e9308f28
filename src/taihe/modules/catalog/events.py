"""Events the catalog publishes (after commit, through the outbox)."""

from __future__ import annotations

from taihe.kernel.events import Event


class ObjectCreated(Event):
    name = "catalog.object.created.v1"
    object_id: int
    object_number: str


class ObjectUpdated(Event):
    name = "catalog.object.updated.v1"
    object_id: int
    object_number: str
    revision: int


class ObjectPublished(Event):
    name = "catalog.object.published.v1"
    object_id: int
    published: bool


class ObjectMoved(Event):
    name = "catalog.object.moved.v1"
    object_id: int
    movement_id: int
    from_location_id: int | None
    to_location_id: int


class LocationSaved(Event):
    name = "catalog.location.saved.v1"
    location_id: int


class FieldSaved(Event):
    name = "catalog.field.saved.v1"
    field_code: str


class ConditionRecorded(Event):
    name = "catalog.condition.recorded.v1"
    object_id: int
    check_id: int
    condition: str


class TreatmentSaved(Event):
    name = "catalog.treatment.saved.v1"
    object_id: int
    treatment_id: int
    status: str


class LoanSaved(Event):
    name = "catalog.loan.saved.v1"
    loan_id: int
    status: str


class LoanDecided(Event):
    name = "catalog.loan.decided.v1"
    loan_id: int
    approved: bool
    requested_by_id: int


class ExhibitionSaved(Event):
    name = "catalog.exhibition.saved.v1"
    exhibition_id: int


class MediaAdded(Event):
    name = "catalog.media.added.v1"
    object_id: int
    media_id: int


class InventoryClosed(Event):
    name = "catalog.inventory.closed.v1"
    campaign_id: int
    found: int
    misplaced: int
    missing: int


class ImportFinished(Event):
    name = "catalog.import.finished.v1"
    import_id: int
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    rejected: int
