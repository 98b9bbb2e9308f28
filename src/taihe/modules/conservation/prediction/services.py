"""The write path of prediction: forecasts, early-warning alerts, anomalies and the
maintenance requests equipment faults open.

Forecasts read the hourly rollups (the model is fitted on hourly means, so reading every
5-minute reading would only multiply the work) and store a :class:`~..models.Forecast` per
sensor with the breaches of the place's specification and the mould-index projection it
predicts. Early warnings are alerts of the built-in "forecast" rule, opened and notified the
way the engine opens alerts (``alerts._recipients``/``_notify``) and resolved by the next
forecast that no longer predicts the condition. Anomalies are detected on the last
:data:`ANOMALY_DAYS` of readings and stored once per fingerprint; one whose likely cause is
equipment opens a repair request through ``workflows.api``.

Outdoor air: a sensor counts as outdoors when its place is a catalogue location of kind
``site`` (the grounds, not a building, room or case); the demo's courtyard sensor
``OUTDOOR`` sits on the site ``TH``. The outdoor sensor used for a sensor is the one on the
nearest site enclosing it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import alerts as alert_engine
from taihe.modules.conservation import events, store
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.live_topics import push_for_location
from taihe.modules.conservation.models import (
    Alert,
    AlertEntry,
    AlertRule,
    Anomaly,
    Forecast,
    ObjectMaterials,
    Sensor,
)
from taihe.modules.conservation.science.anomalies import detect_anomalies
from taihe.modules.conservation.science.forecast import (
    forecast_climate,
    predict_breach,
    predict_mould,
)
from taihe.modules.conservation.science.mould import Sensitivity

logger = logging.getLogger(__name__)

HOUR = 3_600
DAY = 86_400
TRAINING_DAYS = 28
"""Days of hourly means a forecast is fitted on (the science model keeps the last 28)."""
MIN_DAYS = 7
"""A sensor is forecast once its record spans a week: the model needs 168 hourly means for
its full form (``science.forecast.FULL_MODEL_HOURS``); shorter records get seasonal-naive."""
HORIZON_HOURS = 72
BREACH_LEVEL = 0.8
"""Interval level for the earliest breach time (shown, not alarmed: see ``_warning_for``)."""
KEEP_FORECASTS = 10
ANOMALY_DAYS = 28
"""Days read for anomaly detection: the drift fit needs 14 (``AnomalySpec.drift_days``), and
from 21 on the detector removes the sensor's weekly pattern (weekday heating, closed Mondays)
rather than only its daily one, so a weekend is not taken for a step next to a real fault."""
SAME_ANOMALY = dt.timedelta(hours=24)
"""A detection of the same kind and quantity on a sensor starting within a day of a stored
one is the same event seen again as the window slides (control-loss days shift with it)."""
FORECAST_RULE_NAME = "预测预警 Forecast early warning"
SUBJECT = "conservation.equipment_fault"
REPAIR_PROCESS = "repair"
SITE_KIND = "site"
OUTSIDE_KINDS = frozenset({SITE_KIND})
_MOULD_CLASS: dict[str, Sensitivity] = {
    "high": "very_sensitive",
    "medium": "sensitive",
    "low": "medium_resistant",
    "none": "resistant",
}
_CLASS_ORDER: list[Sensitivity] = ["resistant", "medium_resistant", "sensitive", "very_sensitive"]


def _require(actor: Any, operation: str) -> None:
    if not authz.can(actor, operation):
        raise PermissionDenied()


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC)


def _iso_to_datetime(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- Reading the store --------------------------------------------------------------------


@dataclass(frozen=True)
class Climate:
    """T and RH on one time axis (epoch seconds), NaN where one of them is missing."""

    times: np.ndarray
    t_c: np.ndarray
    rh: np.ndarray

    def __len__(self) -> int:
        return int(self.times.shape[0])


def _aligned(
    t_times: np.ndarray, t_values: np.ndarray, h_times: np.ndarray, h_values: np.ndarray
) -> Climate:
    times = np.union1d(t_times, h_times).astype(np.int64)
    t = np.full(times.shape[0], np.nan)
    h = np.full(times.shape[0], np.nan)
    t[np.searchsorted(times, t_times)] = t_values
    h[np.searchsorted(times, h_times)] = h_values
    # Impossible RH from a faulty logger would stop the science functions; treat it as a gap.
    h[(h < 0.0) | (h > 100.0)] = np.nan
    return Climate(times, t, h)


def hourly_climate(sensor_id: int, start: int, end: int) -> Climate:
    """Hourly means of T and RH in [start, end) from the rollups (hour starts)."""
    ids = store.quantity_ids()
    t_times, t_values = store.hourly_means(sensor_id, ids["temperature"], start, end)
    h_times, h_values = store.hourly_means(sensor_id, ids["relative_humidity"], start, end)
    return _aligned(t_times, t_values, h_times, h_values)


def raw_climate(sensor_id: int, start: int, end: int) -> Climate:
    """Every stored T and RH reading in [start, end)."""
    ids = store.quantity_ids()
    t_times, t_values = store.raw_values(sensor_id, ids["temperature"], start, end)
    h_times, h_values = store.raw_values(sensor_id, ids["relative_humidity"], start, end)
    return _aligned(t_times, t_values, h_times, h_values)


def climate_sensors() -> list[Sensor]:
    """Active sensors measuring both temperature and relative humidity."""
    return [
        sensor
        for sensor in Sensor.objects.filter(status=Sensor.Status.ACTIVE).order_by("pk")
        if "temperature" in sensor.quantities and "relative_humidity" in sensor.quantities
    ]


def forecastable(sensor: Sensor, *, now: dt.datetime | None = None) -> bool:
    """Whether the sensor's last 28 days of hourly means span at least :data:`MIN_DAYS`."""
    end = _epoch(now or timezone.now())
    found = hourly_climate(sensor.pk, end - TRAINING_DAYS * DAY, end + HOUR)
    usable = found.times[~(np.isnan(found.t_c) | np.isnan(found.rh))]
    return bool(usable.size >= 48 and usable[-1] - usable[0] >= MIN_DAYS * DAY - HOUR)


# --- Places: outdoors, reference, specification, objects ----------------------------------


def _chain(location_id: int | None) -> list[int]:
    if location_id is None:
        return []
    info = catalog.location(location_id)
    return [int(part) for part in info.path.strip("/").split("/") if part] if info else []


def is_outdoor(sensor: Sensor) -> bool:
    """A sensor on a place of kind ``site`` measures the outdoor air (see the module doc)."""
    if sensor.location_id is None:
        return False
    info = catalog.location(sensor.location_id)
    return info is not None and info.kind in OUTSIDE_KINDS


def outdoor_sensor_for(sensor: Sensor) -> Sensor | None:
    """The outdoor T/RH sensor on the nearest site enclosing the sensor (None if none or if
    the sensor is itself outdoors)."""
    if is_outdoor(sensor):
        return None
    chain = _chain(sensor.location_id)
    candidates = {
        s.location_id: s
        for s in climate_sensors()
        if s.location_id in chain and s.pk != sensor.pk and is_outdoor(s)
    }
    for place in reversed(chain):
        if place in candidates:
            return candidates[place]
    return None


def reference_sensor_for(sensor: Sensor) -> Sensor | None:
    """The room sensor for a sensor in a case (or any place inside another): an active T/RH
    sensor on the parent place, lowest id first."""
    if sensor.location_id is None:
        return None
    info = catalog.location(sensor.location_id)
    if info is None or info.parent_id is None:
        return None
    parent = catalog.location(info.parent_id)
    if parent is None or parent.kind in OUTSIDE_KINDS:
        return None
    for candidate in climate_sensors():
        if candidate.location_id == info.parent_id and candidate.pk != sensor.pk:
            return candidate
    return None


def specification_limits(location_id: int | None) -> dict[str, Any]:
    """The T/RH limits of the place's specification (its own or the nearest enclosing one):
    ``{code, t_min, t_max, rh_min, rh_max}``; empty when none applies."""
    from taihe.modules.conservation.services import specification_for_location

    spec = specification_for_location(location_id)
    if spec is None:
        return {}
    return {
        "code": spec.code,
        "t_min": spec.t_min,
        "t_max": spec.t_max,
        "rh_min": spec.rh_min,
        "rh_max": spec.rh_max,
    }


def objects_in(location_id: int | None) -> list[int]:
    """Objects now in the place or any place inside it."""
    if location_id is None:
        return []
    return sorted(catalog.objects_at(catalog.location_ids_within(location_id)))


def _damp_levels(object_ids: list[int]) -> list[str | None]:
    """The highest damp/mould sensitivity of each object (None: materials not known)."""
    if not object_ids:
        return []
    from taihe.modules.conservation.material_rules import current_rule_base

    _version, rules = current_rule_base()
    order = {"none": 0, "low": 1, "medium": 2, "high": 3}
    known = {
        row.object_id: row.materials
        for row in ObjectMaterials.objects.filter(object_id__in=object_ids)
    }
    levels: list[str | None] = []
    for object_id in object_ids:
        materials = known.get(object_id)
        if not materials:
            levels.append(None)
            continue
        best: str | None = None
        for entry in materials:
            try:
                material = rules.material(str(entry.get("key")))
            except (KeyError, ValueError):
                continue
            found = material.sensitivity.get("damp_mould")
            if found is not None and (
                best is None or order.get(found.level, 0) > order.get(best, 0)
            ):
                best = found.level
        levels.append(best)
    return levels


def mould_class_for(location_id: int | None) -> Sensitivity:
    """The Ojanen sensitivity class for a place's mould projection: that of the most
    damp-sensitive object there (rule base ``damp_mould`` high → very sensitive, medium →
    sensitive, low → medium resistant, none → resistant). An empty place, or any object whose
    materials are not known, gets ``very_sensitive``: Ojanen's most sensitive class is
    pine sapwood, which paper, textiles and glue behave like, and a warning that is too early
    costs less than mould on an object (precaution, CCI Agents of Deterioration: damp)."""
    levels = _damp_levels(objects_in(location_id))
    if not levels or any(level is None for level in levels):
        return "very_sensitive"
    classes = [_MOULD_CLASS.get(str(level), "very_sensitive") for level in levels]
    return max(classes, key=_CLASS_ORDER.index)


# --- Forecasts ----------------------------------------------------------------------------


def do_forecast_sensor(sensor_id: int, *, now: dt.datetime | None = None) -> Forecast | None:
    """Fit and store a 72-hour forecast for the sensor from the hourly means of the last 28
    days, with the breaches of its place's specification and the mould projection; then
    open, keep or resolve its early-warning alert. Returns the forecast, or None when the
    sensor does not measure T and RH or has less than :data:`MIN_DAYS` of data. Keeps the
    newest :data:`KEEP_FORECASTS` per sensor."""
    sensor = Sensor.objects.filter(pk=sensor_id).first()
    if sensor is None or not {"temperature", "relative_humidity"} <= set(sensor.quantities):
        return None
    moment = now or timezone.now()
    end = _epoch(moment)
    history = hourly_climate(sensor.pk, end - TRAINING_DAYS * DAY, end + HOUR)
    ok = ~(np.isnan(history.t_c) | np.isnan(history.rh))
    usable = history.times[ok]
    if usable.size < 48 or usable[-1] - usable[0] < MIN_DAYS * DAY - HOUR:
        return None
    outdoor = outdoor_sensor_for(sensor)
    extra: dict[str, Any] = {}
    if outdoor is not None:
        air = hourly_climate(outdoor.pk, int(history.times[0]), end + HOUR)
        if len(air) >= 48:
            extra = {"outdoor_times": air.times, "outdoor_t_c": air.t_c, "outdoor_rh": air.rh}
    try:
        result = forecast_climate(
            history.times, history.t_c, history.rh, horizon_hours=HORIZON_HOURS, **extra
        )
    except ValueError:
        logger.warning("forecast of sensor %s failed", sensor.code, exc_info=True)
        return None
    limits = specification_limits(sensor.location_id)
    breaches = (
        predict_breach(
            result,
            t_min=limits.get("t_min"),
            t_max=limits.get("t_max"),
            rh_min=limits.get("rh_min"),
            rh_max=limits.get("rh_max"),
            probability_level=BREACH_LEVEL,
        )
        if limits
        else []
    )
    sensitivity = mould_class_for(sensor.location_id)
    mould = predict_mould(
        history.times[ok], history.t_c[ok], history.rh[ok], result, sensitivity=sensitivity
    )
    with transaction.atomic():
        forecast = Forecast.objects.create(
            sensor=sensor,
            location_id=sensor.location_id,
            made_at=moment,
            training_start=_iso_to_datetime(str(result.to_dict()["training_start"])),
            training_end=_iso_to_datetime(str(result.to_dict()["training_end"])),
            model=str(result.temperature.model)[:100],
            data=result.to_dict(),
            breaches=[breach.to_dict() for breach in breaches],
            mould=mould.to_dict(),
            specification={
                **limits,
                "probability_level": BREACH_LEVEL,
                "mould_sensitivity": sensitivity,
                "outdoor_sensor": outdoor.code if outdoor and extra else None,
            },
        )
        stale = list(
            Forecast.objects.filter(sensor=sensor)
            .order_by("-made_at", "-id")
            .values_list("pk", flat=True)[KEEP_FORECASTS:]
        )
        if stale:
            Forecast.objects.filter(pk__in=stale).delete()
        apply_early_warning(forecast, now=moment)
    return forecast


def forecast_all(*, now: dt.datetime | None = None) -> list[int]:
    """Forecast every active T/RH sensor with a week of data. Returns the forecasts made."""
    made = []
    for sensor in climate_sensors():
        if is_outdoor(sensor):
            continue  # the weather is not ours to forecast; it feeds the others
        found = do_forecast_sensor(sensor.pk, now=now)
        if found is not None:
            made.append(found.pk)
    return made


# --- Early warnings -----------------------------------------------------------------------


@dataclass(frozen=True)
class Warning:
    """What a forecast warns of: the summary people read, its severity, when and the value."""

    summary: str
    severity: str
    at: dt.datetime
    value: float | None


def _when(at: dt.datetime, hours: int) -> str:
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    return _("in about %(hours)d h (%(when)s)") % {
        "hours": hours,
        "when": formats.date_format(local, "D H:i"),
    }


def warning_for(forecast: Forecast) -> Warning | None:
    """The early warning a forecast calls for, or None.

    A breach warns when the forecast *mean* crosses a limit within the horizon (the earliest
    time the 80 % band crosses is shown on the forecast page but pages nobody: it would call
    people for a 1-in-10 chance). The mould index warns when its projection along the mean
    reaches 1 (warning) or 3 (critical), VTT model (Hukka & Viitanen 1999)."""
    sensor = forecast.sensor
    made = forecast.made_at
    mould = forecast.mould or {}
    hours_to_3 = mould.get("hours_to_3")
    hours_to_1 = mould.get("hours_to_1")
    times = (forecast.data or {}).get("times") or []

    def moment(hours: int) -> dt.datetime:
        if hours <= 0 or hours > len(times):
            return made
        return _iso_to_datetime(str(times[hours - 1])) + dt.timedelta(hours=1)

    if isinstance(hours_to_3, int):
        at = moment(hours_to_3)
        text = (
            _("%(sensor)s: mould index at 3 (visible growth) now")
            if hours_to_3 == 0
            else _("%(sensor)s: mould index forecast to reach 3 (visible growth) %(when)s")
        )
        return Warning(
            text % {"sensor": sensor.code, "when": _when(at, hours_to_3)},
            AlertRule.Severity.CRITICAL,
            at,
            3.0,
        )
    expected = [b for b in forecast.breaches or [] if b.get("hours_until_expected")]
    if expected:
        first = min(expected, key=lambda b: int(b["hours_until_expected"]))
        hours = int(first["hours_until_expected"])
        at = _iso_to_datetime(str(first["expected_at"])) + dt.timedelta(hours=1)
        quantity = "RH" if first["quantity"] == "relative_humidity" else "T"
        unit = " %" if quantity == "RH" else " °C"
        side = _("exceed") if first["side"] == "above" else _("fall below")
        text = _("%(sensor)s: %(quantity)s forecast to %(side)s %(limit)s %(when)s") % {
            "sensor": sensor.code,
            "quantity": quantity,
            "side": side,
            "limit": f"{float(first['limit']):g}{unit}",
            "when": _when(at, hours),
        }
        return Warning(text, AlertRule.Severity.WARNING, at, float(first["expected_value"]))
    if isinstance(hours_to_1, int):
        at = moment(hours_to_1)
        text = (
            _("%(sensor)s: mould index at 1 (microscopic growth) now")
            if hours_to_1 == 0
            else _("%(sensor)s: mould index forecast to reach 1 (microscopic growth) %(when)s")
        )
        return Warning(
            text % {"sensor": sensor.code, "when": _when(at, hours_to_1)},
            AlertRule.Severity.WARNING,
            at,
            1.0,
        )
    return None


def forecast_rule() -> AlertRule:
    """The built-in "Forecast early warning" rule (created on first use; museum-wide)."""
    rule = (
        AlertRule.objects.filter(
            kind=AlertRule.Kind.FORECAST, sensor__isnull=True, location__isnull=True
        )
        .order_by("pk")
        .first()
    )
    if rule is None:
        rule, _created = AlertRule.objects.get_or_create(
            kind=AlertRule.Kind.FORECAST,
            sensor=None,
            location=None,
            defaults={
                "name": FORECAST_RULE_NAME,
                "severity": AlertRule.Severity.WARNING,
                "escalate_after_minutes": 120,
            },
        )
    return rule


def open_forecast_alert(sensor: Sensor) -> Alert | None:
    """The sensor's forecast alert that is not resolved yet, if any."""
    return (
        Alert.objects.filter(sensor=sensor, kind=AlertRule.Kind.FORECAST)
        .exclude(status=Alert.Status.RESOLVED)
        .order_by("-opened_at")
        .first()
    )


def _open_alert(rule: AlertRule, sensor: Sensor, warning: Warning, now: dt.datetime) -> Alert:
    # The engine's ``alerts._open`` builds its summary from the rule kind (band, rate, …);
    # a forecast says what and when, so the same steps are taken here with our summary.
    alert = Alert.objects.create(
        rule=rule,
        sensor=sensor,
        location_id=sensor.location_id,
        kind=rule.kind,
        severity=warning.severity,
        summary=warning.summary[:300],
        condition_since=now,
        opened_at=now,
        value=warning.value,
        next_escalation_at=now + dt.timedelta(minutes=rule.escalate_after_minutes),
    )
    AlertEntry.objects.create(
        alert=alert, kind=AlertEntry.Kind.OPENED, at=now, text=warning.summary
    )
    people = alert_engine._recipients(rule, sensor)
    alert_engine._notify(alert, people, escalated=False)
    AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.NOTIFIED, at=now, recipients=people)
    publish(events.AlertOpened(alert_id=alert.pk, sensor_id=sensor.pk, severity=warning.severity))
    push_for_location(
        alert.location_id,
        {
            "alert_id": alert.pk,
            "sensor_id": sensor.pk,
            "status": alert.status,
            "summary": alert.summary,
        },
    )
    return alert


def _resolve_alert(alert: Alert, now: dt.datetime) -> None:
    alert.status = Alert.Status.RESOLVED
    alert.condition_cleared_at = alert.condition_cleared_at or now
    alert.resolved_at = now
    alert.next_escalation_at = None
    alert.save(
        update_fields=["status", "condition_cleared_at", "resolved_at", "next_escalation_at"]
    )
    AlertEntry.objects.create(
        alert=alert,
        kind=AlertEntry.Kind.RESOLVED,
        at=now,
        text=_("The latest forecast no longer predicts it."),
    )
    publish(events.AlertResolved(alert_id=alert.pk))
    push_for_location(
        alert.location_id,
        {"alert_id": alert.pk, "sensor_id": alert.sensor_id, "status": alert.status},
    )


def apply_early_warning(forecast: Forecast, *, now: dt.datetime | None = None) -> Alert | None:
    """Open the sensor's forecast alert when the forecast warns and none is open; resolve
    the open one when it no longer warns. Returns the alert now open, if any."""
    moment = now or timezone.now()
    sensor = forecast.sensor
    with translation.override(settings.LANGUAGE_CODE):
        warning = warning_for(forecast)
    current = open_forecast_alert(sensor)
    if warning is None:
        if current is not None:
            _resolve_alert(current, moment)
        return None
    if current is not None:
        return current
    rule = forecast_rule()
    if not rule.is_active:
        return None  # the museum switched early warnings off; forecasts are still shown
    return _open_alert(rule, sensor, warning, moment)


# --- Anomalies ----------------------------------------------------------------------------


def fingerprint(sensor_id: int, kind: str, quantity: str, start: int) -> str:
    """sha256 of sensor, kind, quantity and start (epoch seconds), hex."""
    return hashlib.sha256(f"{sensor_id}:{kind}:{quantity}:{start}".encode()).hexdigest()


def _window_start(end: int) -> int:
    # Days of the control-loss detector are counted from the first hour read: starting at a
    # museum-local midnight keeps them the same from one run to the next.
    return store.local_day_start(end - ANOMALY_DAYS * DAY, store.day_offset())


def _finite_evidence(evidence: dict[str, Any]) -> dict[str, float | None]:
    return {
        key: (float(value) if isinstance(value, int | float) and math.isfinite(value) else None)
        for key, value in evidence.items()
    }


def do_detect_anomalies(
    sensor_id: int, *, now: dt.datetime | None = None, days: int = ANOMALY_DAYS
) -> list[Anomaly]:
    """Detect anomalies in the sensor's readings over the ``days`` before ``now`` (from a
    local midnight), with the room sensor as reference for a sensor in a case and the
    outdoor sensor for the weather; store new ones (once per fingerprint, once per event),
    publish ``AnomalyDetected`` and open a repair request for each equipment fault. Returns
    the anomalies created."""
    sensor = Sensor.objects.filter(pk=sensor_id).first()
    if sensor is None or not {"temperature", "relative_humidity"} <= set(sensor.quantities):
        return []
    moment = now or timezone.now()
    end = _epoch(moment)
    start = (
        _window_start(end)
        if days == ANOMALY_DAYS
        else store.local_day_start(end - days * DAY, store.day_offset())
    )
    record = raw_climate(sensor.pk, start, end + 1)
    if len(record) < 24:
        return []
    reference = reference_sensor_for(sensor)
    outdoor = outdoor_sensor_for(sensor)
    kwargs: dict[str, Any] = {}
    if reference is not None:
        found = hourly_climate(reference.pk, start, end + 1)
        if len(found) >= 24:
            kwargs["reference"] = (found.times, found.t_c, found.rh)
    if outdoor is not None:
        found = hourly_climate(outdoor.pk, start, end + 1)
        if len(found) >= 24:
            kwargs["outdoor"] = (found.times, found.t_c, found.rh)
    try:
        detected = detect_anomalies(record.times, record.t_c, record.rh, **kwargs)
    except ValueError:
        logger.warning("anomaly detection of sensor %s failed", sensor.code, exc_info=True)
        return []
    created: list[Anomaly] = []
    for item in detected:
        begin = int(item.start.astype("datetime64[s]").astype(np.int64))
        finish = int(item.end.astype("datetime64[s]").astype(np.int64))
        evidence = _finite_evidence(dict(item.evidence))
        evidence["reference_sensor"] = reference.pk if "reference" in kwargs and reference else None
        evidence["outdoor_sensor"] = outdoor.pk if "outdoor" in kwargs and outdoor else None
        print_ = fingerprint(sensor.pk, item.kind, item.quantity, begin)
        started = _utc(begin)
        with transaction.atomic():
            same = (
                Anomaly.objects.select_for_update()
                .filter(
                    sensor=sensor,
                    kind=item.kind,
                    quantity=item.quantity,
                    started_at__gte=started - SAME_ANOMALY,
                    started_at__lte=started + SAME_ANOMALY,
                )
                .first()
                or Anomaly.objects.select_for_update().filter(fingerprint=print_).first()
            )
            if same is not None:
                if same.status == Anomaly.Status.OPEN and (
                    same.ended_at is None or _utc(finish) > same.ended_at
                ):
                    same.ended_at = _utc(finish)
                    same.save(update_fields=["ended_at"])
                continue
            anomaly = Anomaly.objects.create(
                sensor=sensor,
                location_id=sensor.location_id,
                kind=item.kind,
                quantity=item.quantity,
                cause=item.cause,
                started_at=started,
                ended_at=_utc(finish),
                score=round(float(item.score), 3),
                severity=item.severity,
                explanation_code=item.explanation_code,
                evidence=evidence,
                fingerprint=print_,
                detected_at=moment,
            )
            publish(
                events.AnomalyDetected(
                    anomaly_id=anomaly.pk,
                    sensor_id=sensor.pk,
                    kind=anomaly.kind,
                    cause=anomaly.cause,
                )
            )
        created.append(anomaly)
        if anomaly.cause == Anomaly.Cause.EQUIPMENT:
            try:
                request_maintenance(anomaly.pk)
            except Exception:  # a failed request must not lose the anomaly; retried later
                logger.exception("maintenance request for anomaly %s failed", anomaly.pk)
    return created


def detect_all(*, now: dt.datetime | None = None) -> list[int]:
    """Run :func:`do_detect_anomalies` for every active T/RH sensor; retry maintenance
    requests of equipment anomalies that have none. Returns the anomalies created."""
    created: list[int] = []
    for sensor in climate_sensors():
        created.extend(a.pk for a in do_detect_anomalies(sensor.pk, now=now))
    retry_maintenance_requests()
    return created


def retry_maintenance_requests() -> None:
    """Open the repair request of every open equipment anomaly that has none yet (an earlier
    attempt failed, e.g. nobody could file it)."""
    for anomaly_id in Anomaly.objects.filter(
        cause=Anomaly.Cause.EQUIPMENT,
        maintenance_request="",
        status__in=[Anomaly.Status.OPEN, Anomaly.Status.CONFIRMED],
    ).values_list("pk", flat=True):
        try:
            request_maintenance(anomaly_id)
        except Exception:
            logger.exception("maintenance request for anomaly %s failed", anomaly_id)


def explanation(anomaly: Anomaly) -> str:
    """The anomaly's explanation in words with its evidence numbers (page language)."""
    e = anomaly.evidence or {}

    def n(key: str, digits: int = 1) -> str:
        value = e.get(key)
        return formats.number_format(value, digits) if isinstance(value, int | float) else "?"

    unit = "°C" if anomaly.quantity == "temperature" else "% RH"
    quantity = (
        _("temperature")
        if anomaly.quantity == "temperature"
        else _("relative humidity")
        if anomaly.quantity == "relative_humidity"
        else _("temperature and relative humidity")
    )
    code = anomaly.explanation_code
    if code.startswith("anomaly.flatline."):
        return _(
            "The sensor repeated exactly the same reading (%(t)s °C, %(rh)s %% RH) for "
            "%(hours)s hours, %(readings)s readings in a row; a working sensor shows some "
            "noise within %(limit)s hours. The sensor is probably stuck."
        ) % {
            "t": n("t_c"),
            "rh": n("rh"),
            "hours": n("hours"),
            "readings": n("readings", 0),
            "limit": n("threshold_hours", 0),
        }
    if code.startswith("anomaly.spike."):
        return _(
            "One reading of %(quantity)s, %(value)s %(unit)s, lies %(z)s robust standard "
            "deviations from the running median %(median)s %(unit)s (alarm above "
            "%(limit)s): a single reading so far out is a sensor or transmission "
            "error."
        ) % {
            "quantity": quantity,
            "value": n("value"),
            "unit": unit,
            "z": n("z_score"),
            "median": n("running_median"),
            "limit": n("threshold_z", 0),
        }
    if code.startswith("anomaly.step."):
        text = _(
            "The %(quantity)s moved from %(before)s to %(after)s %(unit)s (a shift of "
            "%(shift)s, %(within)s of it within two hours; the alarm level is "
            "%(limit)s)."
        ) % {
            "quantity": quantity,
            "before": n("level_before"),
            "after": n("level_after"),
            "unit": unit,
            "shift": n("shift"),
            "within": n("change_within_2_hours"),
            "limit": n("threshold"),
        }
        if anomaly.cause == Anomaly.Cause.EQUIPMENT:
            text += " " + _(
                "The room sensor moved by %(ref)s %(unit)s too: the room's "
                "climate control changed, not the sensor."
            ) % {"ref": n("reference_shift"), "unit": unit}
        elif anomaly.cause == Anomaly.Cause.SENSOR:
            text += " " + _(
                "The room sensor moved by only %(ref)s %(unit)s: this sensor "
                "shifted, not the room (recalibrate or replace it)."
            ) % {"ref": n("reference_shift"), "unit": unit}
        else:
            text += " " + _("With no room sensor to compare, the cause is not known.")
        return text
    if code.startswith("anomaly.drift."):
        return _(
            "The difference between this sensor's %(quantity)s and the room sensor's "
            "changed steadily from %(start)s to %(end)s %(unit)s (%(slope)s per day, "
            "R² %(r2)s): the sensor is drifting; recalibrate it."
        ) % {
            "quantity": quantity,
            "start": n("difference_start", 2),
            "end": n("difference_end", 2),
            "unit": unit,
            "slope": n("slope_per_day", 3),
            "r2": n("r_squared", 2),
        }
    if code.startswith("anomaly.control_loss."):
        text = _(
            "The water vapour in the air rose every day for %(days)s days, from "
            "%(before)s to %(after)s Pa, and the daily mean RH from %(rh_before)s to "
            "%(rh_after)s %%; the daily RH range went from %(range_before)s to "
            "%(range_after)s %%."
        ) % {
            "days": n("days", 0),
            "before": n("vapour_pressure_before_pa", 0),
            "after": n("vapour_pressure_after_pa", 0),
            "rh_before": n("rh_before"),
            "rh_after": n("rh_after"),
            "range_before": n("rh_daily_range_before"),
            "range_after": n("rh_daily_range_after"),
        }
        if anomaly.cause == Anomaly.Cause.WEATHER:
            text += " " + _(
                "Outdoors it rose as much (log rise %(out)s against %(in)s): the "
                "weather explains it."
            ) % {"out": n("outdoor_log_rise", 2), "in": n("log_rise", 2)}
        elif e.get("outdoor_log_rise") is not None:
            text += " " + _(
                "Outdoors it rose far less (log rise %(out)s against %(in)s): "
                "the dehumidifier or air conditioning has stopped controlling "
                "the humidity."
            ) % {"out": n("outdoor_log_rise", 2), "in": n("log_rise", 2)}
        else:
            text += " " + _(
                "No outdoor sensor to compare with; a dehumidifier or air "
                "conditioning that stopped is the likely cause."
            )
        return text
    return _("Unusual readings (%(code)s).") % {"code": code}


# --- Decisions ----------------------------------------------------------------------------

DECISIONS = {
    "confirm": Anomaly.Status.CONFIRMED,
    "dismiss": Anomaly.Status.DISMISSED,
    "resolve": Anomaly.Status.RESOLVED,
}


def do_decide_anomaly(actor: Any, anomaly_id: int, *, decision: str, note: str) -> Anomaly:
    """Confirm, dismiss or resolve an anomaly with a note. Needs ``conservation.risk.manage``.
    Raises PermissionDenied, NotFound (not visible), ValidationFailed (``decision`` not one
    of confirm/dismiss/resolve; ``note`` empty or over 5,000 characters), Conflict (already
    resolved or dismissed). Emits ``AnomalyDecided``."""
    _require(actor, ops.RISK_MANAGE.code)
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = _("Choose confirm, dismiss or resolve.")
    if not note.strip():
        errors["note"] = _("Say what was found or done.")
    elif len(note) > 5000:
        errors["note"] = _("At most 5,000 characters.")
    if errors:
        raise ValidationFailed(fields=errors)
    from taihe.modules.conservation.prediction.selectors import anomalies_for

    with transaction.atomic():
        anomaly = anomalies_for(actor).select_for_update().filter(pk=anomaly_id).first()
        if anomaly is None:
            raise NotFound()
        if anomaly.status in (Anomaly.Status.RESOLVED, Anomaly.Status.DISMISSED):
            raise Conflict(detail=_("This anomaly has already been decided."))
        resolved = authz.actor_for(actor)
        anomaly.status = DECISIONS[decision]
        anomaly.decided_by_id = None if resolved.is_anonymous else resolved.user_id
        anomaly.decided_at = timezone.now()
        anomaly.note = note.strip()
        anomaly.save(update_fields=["status", "decided_by", "decided_at", "note"])
        publish(events.AnomalyDecided(anomaly_id=anomaly.pk, status=anomaly.status))
    return anomaly


# --- Predictive maintenance ---------------------------------------------------------------


def register_subject() -> None:
    """Declare ``conservation.equipment_fault`` requests, which go through "repair"."""
    from taihe.modules.workflows import api as workflows

    workflows.register_subject(
        SUBJECT, gettext_lazy("Equipment fault in a monitored place"), process_code=REPAIR_PROCESS
    )


def applicant_for(location_id: int | None) -> Any | None:
    """Who files the repair request: the first person answering for the place's environment
    (``PlaceEnvironment.responsible``, nearest place first) who may know the place and
    submit requests; failing that the first such person with ``conservation.risk.manage``
    (conservators act on anomalies). None when nobody qualifies."""
    from taihe.modules.conservation.services import responsible_for_location
    from taihe.modules.workflows import operations as workflow_ops

    people = get_user_model().objects
    for group in (responsible_for_location(location_id), catalog_people_with(ops.RISK_MANAGE.code)):
        for person in people.filter(pk__in=group, is_active=True).order_by("pk"):
            if not authz.can(person, workflow_ops.REQUEST_SUBMIT.code):
                continue
            if location_id is not None and location_id in catalog.hidden_location_ids(person):
                continue
            return person
    return None


def catalog_people_with(operation: str) -> list[int]:
    from taihe.modules.directory import api as directory

    return directory.people_with_operation(operation)


def equipment_named(anomaly: Anomaly, place: str) -> str:
    """What failed, as far as the evidence says: the dehumidifier (humidity no longer
    controlled), the HVAC (a temperature step the room shares), else the place's climate
    control."""
    if anomaly.kind == Anomaly.Kind.CONTROL_LOSS:
        return _("Dehumidifier or humidity control of %(place)s") % {"place": place}
    if anomaly.kind == Anomaly.Kind.STEP and anomaly.quantity == "temperature":
        return _("HVAC (heating and cooling) of %(place)s") % {"place": place}
    return _("Climate control of %(place)s") % {"place": place}


def urgency_for(location_id: int | None) -> str:
    """``emergency`` when an object there is highly sensitive to damp and mould (rule base),
    else ``urgent`` (a climate failure near objects is never routine)."""
    return "emergency" if "high" in _damp_levels(objects_in(location_id)) else "urgent"


def anomaly_url(anomaly_id: int) -> str:
    path = reverse("conservation:prediction_anomaly", args=[anomaly_id])
    base = str(getattr(settings, "TAIHE_SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def maintenance_form(anomaly: Anomaly) -> dict[str, Any]:
    """The repair form data for an equipment anomaly (in the museum's language)."""
    info = catalog.location(anomaly.location_id) if anomaly.location_id else None
    name = (catalog.location_name(info.id) if info else "") or (info.code if info else "")
    place = f"{info.code} {name}".strip() if info else anomaly.sensor.code
    with translation.override(settings.LANGUAGE_CODE):
        problem = _(
            "%(explanation)s Detected by sensor %(sensor)s from %(start)s. Evidence: %(url)s"
        ) % {
            "explanation": explanation(anomaly),
            "sensor": anomaly.sensor.code,
            "start": formats.date_format(
                anomaly.started_at.astimezone(ZoneInfo(settings.TIME_ZONE)), "Y-m-d H:i"
            ),
            "url": anomaly_url(anomaly.pk),
        }
        data: dict[str, Any] = {
            "place_detail": (
                _("%(place)s, at sensor %(sensor)s")
                % {"place": place, "sensor": anomaly.sensor.code}
            )[:200],
            "equipment": equipment_named(anomaly, place)[:200],
            "problem": problem[:2000],
            "urgency": urgency_for(anomaly.location_id),
        }
    if info is not None:
        data["location"] = info.id
    return data


def request_maintenance(anomaly_id: int) -> str:
    """Open the repair request for an equipment anomaly (once: a stored request number is
    returned as it is). Publishes ``MaintenanceRequested``. Returns the request number, ""
    when the anomaly is not an equipment fault or nobody can file the request."""
    from taihe.modules.workflows import api as workflows

    with transaction.atomic():
        anomaly = (
            Anomaly.objects.select_for_update()
            .select_related("sensor")
            .filter(pk=anomaly_id)
            .first()
        )
        if anomaly is None or anomaly.cause != Anomaly.Cause.EQUIPMENT:
            return ""
        if anomaly.maintenance_request:
            return anomaly.maintenance_request
        earlier = workflows.requests_about(SUBJECT, str(anomaly.pk))
        shared = same_fault_request(anomaly)
        if earlier:
            number = earlier[0].number
        elif shared:
            number = shared
        else:
            applicant = applicant_for(anomaly.location_id)
            if applicant is None:
                logger.warning("nobody can file the repair request of anomaly %s", anomaly.pk)
                return ""
            if workflows_subject_missing():
                register_subject()
            number = workflows.start_request(
                applicant, SUBJECT, str(anomaly.pk), maintenance_form(anomaly)
            ).number
        anomaly.maintenance_request = number
        anomaly.save(update_fields=["maintenance_request"])
        publish(events.MaintenanceRequested(anomaly_id=anomaly.pk, request_number=number))
    return number


SAME_FAULT = dt.timedelta(days=3)
"""Equipment anomalies in one place (or a place inside it, or around it) starting within
3 days of each other are one failing machine: a store's dehumidifier shows in the room
sensor and in its cabinet's, and Facilities should get one request, not two."""


def same_fault_request(anomaly: Anomaly) -> str:
    """The request number of an undecided equipment anomaly of the same fault (see
    :data:`SAME_FAULT`), "" if none."""
    if anomaly.location_id is None:
        return ""
    chain = set(_chain(anomaly.location_id))
    others = (
        Anomaly.objects.filter(
            cause=Anomaly.Cause.EQUIPMENT,
            status__in=[Anomaly.Status.OPEN, Anomaly.Status.CONFIRMED],
            started_at__gte=anomaly.started_at - SAME_FAULT,
            started_at__lte=anomaly.started_at + SAME_FAULT,
        )
        .exclude(pk=anomaly.pk)
        .exclude(maintenance_request="")
        .order_by("started_at", "pk")
    )
    for other in others:
        if other.location_id in chain or anomaly.location_id in _chain(other.location_id):
            return other.maintenance_request
    return ""


def workflows_subject_missing() -> bool:
    from taihe.modules.workflows import api as workflows

    return all(subject.code != SUBJECT for subject in workflows.subjects())
