"""Reads of environmental monitoring, always filtered by what the actor may see.

Sensors in restricted stores are hidden, with their readings and alerts, from anyone the
catalog does not let know those stores (a sensor's place would reveal the store)."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, PermissionDenied
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import alerts as alert_rules
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation import store
from taihe.modules.conservation.models import (
    Alert,
    IngestBatch,
    Sensor,
    Specification,
)
from taihe.modules.conservation.science import dew_point


def _hidden_location_ids(actor: Any) -> set[int]:
    """Places the actor may not know (restricted stores). Hiding these, rather than showing
    only the places the catalog lists, keeps sensors in a place taken out of use visible."""
    return catalog.hidden_location_ids(actor)


def can_view(actor: Any) -> bool:
    return authz.can(actor, ops.MONITORING_VIEW.code)


def sensors_for(actor: Any) -> QuerySet[Sensor]:
    """Sensors the actor may see (none without ``conservation.monitoring.view``)."""
    if not can_view(actor):
        return Sensor.objects.none()
    return Sensor.objects.exclude(location_id__in=_hidden_location_ids(actor))


def sensor_for(actor: Any, sensor_id: int) -> Sensor:
    """One visible sensor. Raises PermissionDenied (no monitoring access) or NotFound."""
    if not can_view(actor):
        raise PermissionDenied()
    sensor = sensors_for(actor).filter(pk=sensor_id).first()
    if sensor is None:
        raise NotFound()
    return sensor


def alerts_for(actor: Any) -> QuerySet[Alert]:
    """Alerts of visible sensors, raised where the actor may know (a sensor moved out of a
    restricted store keeps its alerts from there hidden)."""
    if not can_view(actor):
        return Alert.objects.none()
    return Alert.objects.filter(sensor__in=sensors_for(actor)).exclude(
        location_id__in=_hidden_location_ids(actor))


HIDDEN_CODES_PER_CLAUSE = 200


def batches_for(actor: Any) -> QuerySet[IngestBatch]:
    """Imports the actor may see: none without ``conservation.reading.import``; otherwise all,
    less those naming a sensor the actor may not see (a batch's ``sensors`` lists every code
    that arrived, and its rejected rows quote them). The actor's own imports stay: their file
    named those codes."""
    if not authz.can(actor, ops.READING_IMPORT.code):
        return IngestBatch.objects.none()
    batches = IngestBatch.objects.all()
    person_id = authz.actor_for(actor).user_id
    own = Q(by_id=person_id) if person_id is not None else Q(pk__in=[])
    if not can_view(actor):
        return batches.filter(own)
    hidden = sorted(Sensor.objects.exclude(pk__in=sensors_for(actor).values("pk"))
                    .values_list("code", flat=True))
    for start in range(0, len(hidden), HIDDEN_CODES_PER_CLAUSE):
        # IngestBatch.sensors is a JSON list: '"CODE"' matches the whole code, quotes
        # included (JSON "contains" is not available on SQLite).
        names = Q()
        for code in hidden[start:start + HIDDEN_CODES_PER_CLAUSE]:
            names |= Q(sensors__icontains=json.dumps(code))
        batches = batches.filter(~names | own)
    return batches


def specifications() -> QuerySet[Specification]:
    return Specification.objects.all()


# --- status -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SensorStatus:
    code: str  # "alert", "warning", "silent", "ok", "no_data", "inactive"
    open_alerts: int


def sensor_statuses(sensors: list[Sensor], *, now: dt.datetime | None = None,
                    actor: Any = None) -> dict[int, SensorStatus]:
    """A colour-able status per sensor: an open critical alert beats a warning beats a
    silent sensor (no reading for three logging intervals) beats fine. With ``actor``, only
    the alerts that person may see count (not those raised in a store they may not know)."""
    moment = now or timezone.now()
    open_alerts: dict[int, list[str]] = {}
    alerts = alerts_for(actor) if actor is not None else Alert.objects.all()
    for sensor_id, severity in alerts.filter(
            sensor_id__in=[s.pk for s in sensors]).exclude(
            status=Alert.Status.RESOLVED).values_list("sensor_id", "severity"):
        open_alerts.setdefault(sensor_id, []).append(severity)
    statuses: dict[int, SensorStatus] = {}
    for sensor in sensors:
        severities = open_alerts.get(sensor.pk, [])
        if sensor.status != Sensor.Status.ACTIVE:
            code = "inactive"
        elif "critical" in severities:
            code = "alert"
        elif severities:
            code = "warning"
        elif sensor.last_reading_at is None:
            code = "no_data"
        elif moment - sensor.last_reading_at > dt.timedelta(
                seconds=3 * sensor.logging_interval_seconds):
            code = "silent"
        else:
            code = "ok"
        statuses[sensor.pk] = SensorStatus(code, len(severities))
    return statuses


# --- chart series -------------------------------------------------------------------------

def _finite(values: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), 3) for v in values.tolist()]


def _with_gaps(found: store.Series) -> tuple[list[int], list[np.ndarray]]:
    """Insert a null point where two buckets are more than three buckets apart, so that a
    chart draws a gap instead of a line across missing data."""
    times = found.times.tolist()
    arrays = [found.minimum, found.mean, found.maximum]
    if len(times) < 2:
        return times, arrays
    step = max(found.bucket_seconds, 1)
    gaps = [i + 1 for i in range(len(times) - 1) if times[i + 1] - times[i] > 3 * step]
    if not gaps:
        return times, arrays
    out_times = list(times)
    for index in reversed(gaps):
        out_times.insert(index, times[index - 1] + step)
    return out_times, [np.insert(a, gaps, np.nan) for a in arrays]


def _excursions(times: list[int], minimum: np.ndarray, maximum: np.ndarray, step: int,
                low: float | None, high: float | None) -> list[list[int]]:
    if low is None and high is None:
        return []
    outside = np.zeros(len(times), dtype=bool)
    if low is not None:
        outside |= np.nan_to_num(minimum, nan=np.inf) < low
    if high is not None:
        outside |= np.nan_to_num(maximum, nan=-np.inf) > high
    spans: list[list[int]] = []
    for index in np.flatnonzero(outside).tolist():
        start, end = times[index], times[index] + step
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return spans


def chart_series(sensor: Sensor, quantity: str, start: dt.datetime, end: dt.datetime,
                 points: int) -> dict[str, Any]:
    """The JSON a chart draws (see ``static/conservation/charts.js``): downsampled on the
    server, gaps as nulls, the place's specification band and the excursions beyond it.
    ``dew_point`` is computed from temperature and RH of the same buckets."""
    from taihe.modules.conservation.services import specification_for_location

    first, last = int(start.timestamp()), int(end.timestamp())
    ids = store.quantity_ids()
    if quantity == "dew_point":
        t = store.series(sensor.pk, ids["temperature"], first, last, points=points,
                         interval=sensor.logging_interval_seconds)
        rh = store.series(sensor.pk, ids["relative_humidity"], first, last, points=points,
                          interval=sensor.logging_interval_seconds)
        common, t_index, rh_index = np.intersect1d(t.times, rh.times, return_indices=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            humid = np.clip(rh.mean[rh_index], 0.1, 100.0)
            values = np.asarray(dew_point(t.mean[t_index], humid), dtype=np.float64)
        found = store.Series(t.resolution, t.bucket_seconds, common, values, values, values)
        unit = "°C"
        band: tuple[float | None, float | None] = (None, None)
    else:
        if quantity not in ids:
            raise NotFound()
        found = store.series(sensor.pk, ids[quantity], first, last, points=points,
                             interval=sensor.logging_interval_seconds)
        unit = store.quantity_by_id(ids[quantity]).unit
        band = alert_rules.spec_band(specification_for_location(sensor.location_id), quantity)
    times, (minimum, mean, maximum) = _with_gaps(found)
    return {
        "sensor": sensor.code, "quantity": quantity, "unit": unit,
        "resolution": "raw" if found.resolution == "raw" else found.resolution,
        "bucket_seconds": found.bucket_seconds,
        "start": start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "end": end.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "t": times, "mean": _finite(mean), "min": _finite(minimum), "max": _finite(maximum),
        "band": {"low": band[0], "high": band[1]},
        "excursions": _excursions(times, minimum, maximum, found.bucket_seconds, *band),
    }


def period_series(sensor: Sensor, start: dt.datetime, end: dt.datetime, *,
                  raw_up_to_days: int = 45) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each measured quantity of the sensor over a period, for metrics: raw readings for
    short periods, hourly means beyond ``raw_up_to_days`` (the metrics are hourly-scale)."""
    first, last = int(start.timestamp()), int(end.timestamp())
    ids = store.quantity_ids()
    raw = (last - first) <= raw_up_to_days * store.DAY
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for code in ("temperature", "relative_humidity", "illuminance", "uv"):
        if code not in ids:
            continue
        fetch = store.raw_values if raw else store.hourly_means
        times, values = fetch(sensor.pk, ids[code], first, last)
        if times.size:
            out[code] = (times.astype(np.float64), values)
    return out
