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


# --- Prediction, risk and strategies (issue 5) ---------------------------------------------

class MaterialRulesSaved(Event):
    """A new version of the material sensitivity rule base became current."""

    name = "conservation.material_rules.saved.v1"
    rule_set_id: int
    version: str
    changed_materials: list[str]


class ObjectMaterialsSet(Event):
    """A person confirmed or corrected the materials of an object."""

    name = "conservation.object_materials.set.v1"
    object_id: int
    materials: list[str]


class AnomalyDetected(Event):
    name = "conservation.anomaly.detected.v1"
    anomaly_id: int
    sensor_id: int
    kind: str
    cause: str


class AnomalyDecided(Event):
    """A person confirmed, dismissed or resolved an anomaly."""

    name = "conservation.anomaly.decided.v1"
    anomaly_id: int
    status: str


class MaintenanceRequested(Event):
    """An equipment fault opened a maintenance request (an approval request number)."""

    name = "conservation.maintenance.requested.v1"
    anomaly_id: int
    request_number: str


class RiskSaved(Event):
    name = "conservation.risk.saved.v1"
    risk_id: int
    magnitude: float


class CareTaskSaved(Event):
    name = "conservation.care_task.saved.v1"
    task_id: int
    status: str
