"""API shapes of environmental monitoring. Outputs are built in ``http.py`` from the selectors,
so a sensor, placement or alert in a place the caller may not know is left out before it is
serialised. Times are ISO 8601 with their zone (UTC, ``Z``); inputs without a zone are read in
the museum's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

# --- Sensors ------------------------------------------------------------------------------


class PlaceRefOut(Schema):
    id: int
    code: str
    name: dict[str, str]


class SensorStateOut(Schema):
    """What the dashboard colours by: ``alert`` (an open critical alert), ``warning``,
    ``silent`` (no reading for three logging intervals), ``ok``, ``no_data``, ``inactive``."""

    code: str
    open_alerts: int


class LatestValueOut(Schema):
    time: datetime
    value: float | None


class SensorOut(Schema):
    id: int
    code: str
    name: str
    manufacturer: str
    model: str
    serial: str
    quantities: list[str]
    logging_interval_seconds: int
    location: PlaceRefOut | None
    status: str
    """Service status: ``active``, ``inactive`` or ``retired``."""
    state: SensorStateOut
    battery_volts: float | None
    battery_percent: float | None
    last_reading_at: datetime | None
    last_values: dict[str, LatestValueOut]
    has_token: bool
    token_hint: str
    lorawan_device_eui: str
    notes: str
    created_at: datetime
    updated_at: datetime


class SensorPageOut(Schema):
    items: list[SensorOut]
    count: int


class SensorIn(Schema):
    code: str
    name: str = ""
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    quantities: list[str] = Field(default_factory=lambda: ["temperature", "relative_humidity"],
                                  max_length=50)
    logging_interval_seconds: int = 300
    location_id: int | None = None
    status: str = "active"
    lorawan_device_eui: str = ""
    notes: str = Field(default="", max_length=20000)


class SensorPatch(Schema):
    """Only the fields sent change; ``location_id: null`` takes the sensor down."""

    code: str | None = None
    name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    quantities: list[str] | None = Field(default=None, max_length=50)
    logging_interval_seconds: int | None = None
    location_id: int | None = None
    status: str | None = None
    lorawan_device_eui: str | None = None
    notes: str | None = Field(default=None, max_length=20000)


class MoveIn(Schema):
    location_id: int
    at: datetime | None = None
    """When it was moved (default now); must be after it was placed where it is."""
    note: str = Field(default="", max_length=300)


class PlacementOut(Schema):
    """One stay of a sensor. ``restricted``: a place the caller may not know (no id given)."""

    id: int
    restricted: bool
    location_id: int | None
    location_code: str | None
    placed_at: datetime
    removed_at: datetime | None
    placed_by_id: int | None
    note: str


class CalibrationIn(Schema):
    quantity: str
    effective_from: datetime
    offset: float
    reference: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=5000)


class CalibrationOut(Schema):
    id: int
    quantity: str
    effective_from: datetime
    offset: float
    reference: str
    note: str
    recorded_by_id: int | None
    recorded_at: datetime


class TokenOut(Schema):
    """The device token, shown this once (only its hash is kept)."""

    sensor_id: int
    token: str
    hint: str
    detail: str


# --- Readings -----------------------------------------------------------------------------


class BandOut(Schema):
    low: float | None
    high: float | None


class SeriesOut(Schema):
    """What a chart draws (``static/conservation/charts.js``): bucket start times ``t`` (epoch
    seconds), aligned ``mean``/``min``/``max`` with ``null`` for gaps, the specification band
    of the sensor's place and the spans ``[start, end]`` outside it."""

    sensor: str
    quantity: str
    unit: str
    resolution: str
    bucket_seconds: int
    start: str
    end: str
    t: list[int]
    mean: list[float | None]
    min: list[float | None]
    max: list[float | None]
    band: BandOut
    excursions: list[list[int]]


class MetricLineOut(Schema):
    code: str
    label: str
    value: float | None
    display: str
    note: str


class MetricsOut(Schema):
    sensor: str
    start: datetime
    end: datetime
    specification: str | None
    """Code of the specification the place keeps to (its own or an enclosing place's)."""
    lines: list[MetricLineOut]


class RejectedRowOut(Schema):
    row: int
    field: str
    reason: str


class PreviewReadingOut(Schema):
    sensor: str
    quantity: str
    time: datetime
    value: float


class ImportOut(Schema):
    """What an import stored (or, with ``dry_run``, would store)."""

    dry_run: bool
    file_format: str
    stored: int
    duplicates: int
    rejected: list[RejectedRowOut]
    sensors: list[str]
    first: datetime | None
    last: datetime | None
    batch_id: int | None
    warnings: list[str]
    preview: list[PreviewReadingOut]


class PushOut(Schema):
    stored: int
    duplicates: int
    rejected: int


class BatchOut(Schema):
    id: int
    source: str
    file_name: str
    file_format: str
    sensors: list[str]
    stored: int
    duplicates: int
    rejected: int
    first_time: datetime | None
    last_time: datetime | None
    started_at: datetime
    finished_at: datetime | None
    by_id: int | None


class BatchDetailOut(BatchOut):
    rejected_rows: list[RejectedRowOut]
    """At most the first 1,000."""


class BatchPageOut(Schema):
    items: list[BatchOut]
    count: int


# --- Specifications -----------------------------------------------------------------------


class SpecificationOut(Schema):
    id: int
    code: str
    name: dict[str, str]
    t_min: float | None
    t_max: float | None
    rh_min: float | None
    rh_max: float | None
    max_t_change_24h: float | None
    max_rh_change_24h: float | None
    lux_max: float | None
    annual_lux_hours_max: float | None
    uv_max: float | None
    ashrae_class: str
    source: str
    is_preset: bool
    created_at: datetime
    updated_at: datetime


class SpecificationIn(Schema):
    code: str
    name: dict[str, str]
    t_min: float | None = None
    t_max: float | None = None
    rh_min: float | None = None
    rh_max: float | None = None
    max_t_change_24h: float | None = None
    max_rh_change_24h: float | None = None
    lux_max: float | None = None
    annual_lux_hours_max: float | None = None
    uv_max: float | None = None
    source: str = Field(default="", max_length=5000)


class SpecificationPatch(Schema):
    """Only the fields sent change; a limit sent as ``null`` is removed."""

    code: str | None = None
    name: dict[str, str] | None = None
    t_min: float | None = None
    t_max: float | None = None
    rh_min: float | None = None
    rh_max: float | None = None
    max_t_change_24h: float | None = None
    max_rh_change_24h: float | None = None
    lux_max: float | None = None
    annual_lux_hours_max: float | None = None
    uv_max: float | None = None
    source: str | None = Field(default=None, max_length=5000)


class EnvironmentIn(Schema):
    specification_id: int | None = None
    """``null``: the place inherits from the enclosing place."""
    responsible_ids: list[int] = Field(default_factory=list, max_length=200)


class EnvironmentOut(Schema):
    location_id: int
    specification_id: int | None
    specification_code: str | None
    responsible_ids: list[int]


# --- Alert rules and alerts ---------------------------------------------------------------


class AlertRuleIn(Schema):
    name: str
    kind: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    use_specification: bool = False
    severity: str = "warning"
    sensor_id: int | None = None
    location_id: int | None = None
    notify_ids: list[int] = Field(default_factory=list, max_length=200)
    escalate_after_minutes: int = 30
    escalate_to_ids: list[int] = Field(default_factory=list, max_length=200)
    is_active: bool = True


class AlertRulePatch(Schema):
    """Only the fields sent change; ``sensor_id``/``location_id`` sent as ``null`` widen the
    scope."""

    name: str | None = None
    kind: str | None = None
    parameters: dict[str, Any] | None = None
    use_specification: bool | None = None
    severity: str | None = None
    sensor_id: int | None = None
    location_id: int | None = None
    notify_ids: list[int] | None = Field(default=None, max_length=200)
    escalate_after_minutes: int | None = None
    escalate_to_ids: list[int] | None = Field(default=None, max_length=200)
    is_active: bool | None = None


class AlertRuleOut(Schema):
    id: int
    name: str
    kind: str
    parameters: dict[str, Any]
    use_specification: bool
    severity: str
    sensor_id: int | None
    location_id: int | None
    notify_ids: list[int]
    escalate_after_minutes: int
    escalate_to_ids: list[int]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class AlertOut(Schema):
    id: int
    rule_id: int
    rule_name: str
    sensor_id: int
    sensor_code: str
    location_id: int | None
    kind: str
    severity: str
    summary: str
    status: str
    value: float | None
    condition_since: datetime
    opened_at: datetime
    condition_cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    resolved_at: datetime | None
    resolved_by_id: int | None
    escalation_level: int


class AlertPageOut(Schema):
    items: list[AlertOut]
    count: int


class AlertEntryOut(Schema):
    id: int
    kind: str
    at: datetime
    actor_id: int | None
    text: str
    recipients: list[Any]


class AlertDetailOut(AlertOut):
    entries: list[AlertEntryOut]


class AcknowledgeIn(Schema):
    comment: str = Field(default="", max_length=5000)


class CommentIn(Schema):
    text: str


class ResolveIn(Schema):
    comment: str = Field(max_length=5000)
