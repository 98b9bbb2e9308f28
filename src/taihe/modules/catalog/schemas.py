"""API shapes of the collection register. Outputs are built in ``http.py`` from the
selectors, so a restricted place or an insurance value is left out before it is serialised."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field


class PlaceOut(Schema):
    """Where an object is, as the caller may know it. ``restricted`` true: somewhere the
    caller may not know; no id, code or name is given."""

    restricted: bool
    location_id: int | None = None
    code: str | None = None
    label: str
    since: datetime | None = None


class TermOut(Schema):
    scheme: str
    code: str
    label: dict[str, str]
    aat_id: str
    parent_code: str | None = None


class ObjectSummaryOut(Schema):
    id: int
    object_number: str
    title: dict[str, str]
    object_name: dict[str, str]
    object_type: str | None
    grade: str
    status: str
    year_earliest: int | None
    year_latest: int | None
    is_published: bool
    place: PlaceOut


class ObjectOut(ObjectSummaryOut):
    other_numbers: list[dict[str, Any]]
    makers: list[dict[str, Any]]
    culture: dict[str, str]
    period: dict[str, str]
    production_date: str
    materials: list[str]
    medium: dict[str, str]
    techniques: list[str]
    dimensions: list[dict[str, Any]]
    dimensions_text: dict[str, str]
    inscriptions: list[dict[str, Any]]
    description: dict[str, str]
    acquisition_method: str
    acquisition_date: date | None
    acquisition_source: dict[str, str]
    credit_line: dict[str, str]
    notes: str
    custom: dict[str, Any]
    department_id: int | None
    revision: int
    updated_at: datetime


class FacetValueOut(Schema):
    value: str
    label: str
    count: int
    selected: bool


class ObjectPageOut(Schema):
    items: list[ObjectSummaryOut]
    count: int
    facets: dict[str, list[FacetValueOut]]
    approximate: bool = False
    """True when count and facets are estimated from a sample (very large matches)."""
    order: str = "number"
    """The order of items: number, year, updated, relevance, or entry (catalogue entry
    order, used for very large text matches)."""


class ObjectIn(Schema):
    """A new object record. Language maps are ``{"zh-Hans": …, "en": …}`` or a plain text
    in the museum's default language."""

    object_number: str = Field(max_length=200)
    other_numbers: list[dict[str, Any]] | None = None
    object_name: Any = None
    object_type: str | None = None
    title: Any = None
    makers: list[dict[str, Any]] | None = None
    culture: Any = None
    period: Any = None
    production_date: str | None = None
    year_earliest: int | None = None
    year_latest: int | None = None
    materials: list[str] | None = None
    medium: Any = None
    techniques: list[str] | None = None
    dimensions: list[dict[str, Any]] | None = None
    dimensions_text: Any = None
    inscriptions: list[dict[str, Any]] | None = None
    description: Any = None
    acquisition_method: str | None = None
    acquisition_date: date | None = None
    acquisition_source: Any = None
    credit_line: Any = None
    grade: str | None = None
    status: str | None = None
    notes: str | None = None
    custom: dict[str, Any] | None = None
    department_id: int | None = None


class ObjectPatch(ObjectIn):
    object_number: str | None = Field(default=None, max_length=200)  # type: ignore[assignment]
    clear: list[str] = Field(default_factory=list)


class RevisionOut(Schema):
    number: int
    changed_at: datetime
    changed_by_id: int | None
    source: str
    changes: dict[str, Any]


class TimelineEntryOut(Schema):
    at: datetime
    kind: str
    title: str
    detail: str
    person_id: int | None


class MediaOut(Schema):
    id: int
    object_id: int
    width: int
    height: int
    mime_type: str
    caption: dict[str, str]
    rights: str
    is_primary: bool
    tiles_ready: bool
    """False until the background job has made the IIIF tiles."""
    condition_check_id: int | None = None
    """Set for a photograph taken during that condition check."""


class MovementOut(Schema):
    id: int
    object_id: int | None = None
    moved_at: datetime
    reason: str
    note: str
    recorded_by_id: int | None
    from_location_id: int | None
    to_location_id: int | None
    restricted: bool


class MoveIn(Schema):
    object_ids: list[int] = Field(max_length=1000)
    to_location_id: int
    reason: str = Field(max_length=32)
    moved_at: datetime | None = None
    note: str = Field(default="", max_length=2000)
    authorised_by_id: int | None = None


class LocationOut(Schema):
    id: int
    code: str
    name: dict[str, str]
    kind: str
    parent_id: int | None
    path: str
    is_restricted: bool
    is_public: bool
    is_active: bool
    sort_order: int
    notes: str


class LocationIn(Schema):
    code: str = Field(max_length=200)
    name: Any
    kind: str
    parent_id: int | None = None
    is_restricted: bool = False
    is_public: bool = False
    notes: str = Field(default="", max_length=5000)
    sort_order: int = Field(default=0, ge=0)


class LocationPatch(Schema):
    code: str | None = Field(default=None, max_length=200)
    name: Any = None
    kind: str | None = None
    parent_id: int | None = None
    move_to_top: bool = False
    is_restricted: bool | None = None
    is_public: bool | None = None
    is_active: bool | None = None
    notes: str | None = Field(default=None, max_length=5000)
    sort_order: int | None = Field(default=None, ge=0)


class ConditionCheckOut(Schema):
    id: int
    object_id: int
    checked_at: datetime
    checked_by_id: int
    reason: str
    condition: str
    completeness: str
    hazards: list[str]
    note: str
    recommendations: str
    next_check_due: date | None
    is_baseline: bool


class ConditionCheckIn(Schema):
    condition: str = Field(max_length=32)
    checked_at: datetime | None = None
    reason: str = Field(default="", max_length=32)
    completeness: str = Field(default="", max_length=32)
    hazards: list[str] = Field(default_factory=list, max_length=50)
    note: str = Field(default="", max_length=20000)
    recommendations: str = Field(default="", max_length=20000)
    next_check_due: date | None = None
    is_baseline: bool = False


class TreatmentOut(Schema):
    id: int
    object_id: int
    conservator_id: int
    status: str
    started_on: date | None
    finished_on: date | None
    proposal: str
    treatment: str
    materials_used: str
    outcome: str


class TreatmentIn(Schema):
    status: str = "proposed"
    started_on: date | None = None
    finished_on: date | None = None
    proposal: str = Field(default="", max_length=20000)
    treatment: str = Field(default="", max_length=20000)
    materials_used: str = Field(default="", max_length=5000)
    outcome: str = Field(default="", max_length=20000)


class LoanLineOut(Schema):
    object_id: int
    insurance_value: Decimal | None = None
    """Only for people who prepare loans (``catalog.loan.manage``)."""
    returned_at: datetime | None


class LoanOut(Schema):
    id: int
    number: str
    direction: str
    status: str
    partner: dict[str, str]
    venue: dict[str, str]
    purpose: str
    starts_on: date
    ends_on: date
    insurance_currency: str
    environment_requirements: str
    environment_specification: str
    requested_by_id: int
    decided_by_id: int | None
    decided_at: datetime | None
    decision_note: str
    lines: list[LoanLineOut]


class LoanIn(Schema):
    number: str = Field(max_length=100)
    direction: str = "out"
    partner: Any = None
    venue: Any = None
    purpose: str = Field(default="", max_length=5000)
    starts_on: date | None = None
    ends_on: date | None = None
    insurance_currency: str = "CNY"
    environment_requirements: str = Field(default="", max_length=5000)
    environment_specification: str = Field(default="", max_length=64)


class LoanPatch(Schema):
    number: str | None = Field(default=None, max_length=100)
    direction: str | None = None
    partner: Any = None
    venue: Any = None
    purpose: str | None = Field(default=None, max_length=5000)
    starts_on: date | None = None
    ends_on: date | None = None
    insurance_currency: str | None = None
    environment_requirements: str | None = Field(default=None, max_length=5000)
    environment_specification: str | None = Field(default=None, max_length=64)


class LoanLineIn(Schema):
    object_id: int
    insurance_value: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)


class LoanObjectsIn(Schema):
    lines: list[LoanLineIn] = Field(max_length=1000)


class DecisionIn(Schema):
    approve: bool
    note: str = Field(default="", max_length=5000)


class LoanMoveIn(Schema):
    location_id: int


class VenueSchema(Schema):
    name: Any
    opens_on: date
    closes_on: date
    location_id: int | None = None
    restricted: bool = False


class ExhibitionOut(Schema):
    id: int
    code: str
    title: dict[str, str]
    description: dict[str, str]
    status: str
    venues: list[VenueSchema]
    object_ids: list[int]


class ExhibitionIn(Schema):
    code: str = Field(max_length=64)
    title: Any
    description: Any = None
    status: str = "planned"
    venues: list[VenueSchema] = Field(default_factory=list, max_length=50)
    object_ids: list[int] = Field(default_factory=list, max_length=2000)


class ExhibitionPatch(Schema):
    code: str | None = Field(default=None, max_length=64)
    title: Any = None
    description: Any = None
    status: str | None = None
    venues: list[VenueSchema] | None = Field(default=None, max_length=50)
    object_ids: list[int] | None = Field(default=None, max_length=2000)


class FieldOut(Schema):
    id: int
    code: str
    label: dict[str, str]
    kind: str
    choices: list[str]
    required: bool
    help_text: dict[str, str]


class FieldIn(Schema):
    code: str = Field(max_length=48)
    label: Any
    kind: str
    choices: list[str] | None = None
    required: bool = False
    help_text: Any = None


class FieldPatch(Schema):
    label: Any = None
    choices: list[str] | None = None
    required: bool | None = None
    help_text: Any = None


class InventoryIn(Schema):
    name: str = Field(max_length=200)
    scope_id: int


class InventoryOut(Schema):
    id: int
    name: str
    scope_id: int
    status: str
    started_by_id: int
    closed_at: datetime | None


class FindingIn(Schema):
    object_number: str = Field(max_length=200)
    location_id: int


class FindingOut(Schema):
    id: int
    object_id: int
    location_id: int
    found_at: datetime


class ReportLineOut(Schema):
    object_id: int
    found_at: int | None = None
    expected_at: int | None = None


class InventoryReportOut(Schema):
    in_place: list[ReportLineOut]
    misplaced: list[ReportLineOut]
    missing: list[ReportLineOut]


class CloseInventoryIn(Schema):
    record_misplaced_moves: bool = False
