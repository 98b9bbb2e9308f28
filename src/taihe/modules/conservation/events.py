"""Events environmental monitoring publishes (after commit, through the outbox)."""

from __future__ import annotations

from taihe.kernel.events import Event


class SensorSaved(Event):
    name = "conservation.sensor.saved.v1"
    sensor_id: int
    code: str


class SensorMoved(Event):
    name = "conservation.sensor.moved.v1"
    sensor_id: int
    location_id: int


class SensorCalibrated(Event):
    name = "conservation.sensor.calibrated.v1"
    sensor_id: int
    calibration_id: int


class SpecificationSaved(Event):
    name = "conservation.specification.saved.v1"
    specification_id: int
    code: str


class PlaceEnvironmentSet(Event):
    name = "conservation.place.environment_set.v1"
    location_id: int
    specification_id: int | None


class ReadingsStored(Event):
    name = "conservation.readings.stored.v1"
    batch_id: int
    source: str
    stored: int
    sensor_ids: list[int]


class AlertRuleSaved(Event):
    name = "conservation.alert_rule.saved.v1"
    rule_id: int


class AlertOpened(Event):
    name = "conservation.alert.opened.v1"
    alert_id: int
    sensor_id: int
    severity: str


class AlertEscalated(Event):
    name = "conservation.alert.escalated.v1"
    alert_id: int
    level: int


class AlertAcknowledged(Event):
    name = "conservation.alert.acknowledged.v1"
    alert_id: int


class AlertResolved(Event):
    name = "conservation.alert.resolved.v1"
    alert_id: int
