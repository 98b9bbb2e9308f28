"""The demo museum's environmental monitoring: about 40 sensors in the catalog's demo
galleries, cases and stores with a year of 5-minute readings from ``demo_climate`` (daily and
seasonal cycles, a dehumidifier failure, a case with a slow leak, a flat-lined sensor, a lamp
left on), specifications assigned to the places, alert rules, and the alerts that year raised.

``TAIHE_DEMO_SENSOR_DAYS`` shortens the year (tests use a few days).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from taihe.kernel import context
from taihe.kernel import demo as kernel_demo
from taihe.kernel.db import timeseries
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import alerts, services, store
from taihe.modules.conservation.demo_climate import SensorProfile, generate
from taihe.modules.conservation.models import (
    READING_COLUMNS,
    Alert,
    AlertEntry,
    AlertRule,
    IngestBatch,
    Sensor,
    Specification,
)

DAYS = 365
logger = logging.getLogger(__name__)
CONSERVATOR = "conservator"
SECURITY = "security"


@dataclass(frozen=True)
class DemoSensor:
    code: str
    place: str
    profile_kind: str
    quantities: tuple[str, ...]
    room: int
    incident: str = "none"
    model: str = "HOBO MX2301A"


_MAKERS = {"HOBO": "Onset", "Tinytag": "Gemini Data Loggers", "Rotronic": "Rotronic"}
_TRH = ("temperature", "relative_humidity")
_LIGHT = ("temperature", "relative_humidity", "illuminance", "uv")
_GALLERIES = [("TH-QD-1-G1", 4, 1), ("TH-QD-1-G2", 4, 2), ("TH-QD-2-G3", 3, 3),
              ("TH-QD-2-G4", 3, 4), ("TH-HD-1-G5", 3, 5), ("TH-HD-1-G6", 3, 6),
              ("TH-HD-1-G7", 2, 7)]
_STORES = ["TH-KF-B1-S1", "TH-KF-B1-S2", "TH-KF-B1-S3", "TH-KF-B2-S4", "TH-KF-B2-S5",
           "TH-KF-B2-S6"]


def demo_sensors() -> list[DemoSensor]:
    """Every gallery, the first cases of each (all three in the painting gallery, whose works
    on paper are light-sensitive), every store and one of its cabinets, the lab and the
    studio, and one outdoor sensor in the courtyard."""
    sensors: list[DemoSensor] = []
    for place, cases, room in _GALLERIES:
        flat = "flatline" if place == "TH-HD-1-G6" else "none"
        sensors.append(DemoSensor(f"{place[3:]}-ENV", place, "gallery", _LIGHT, room, flat,
                                  "HOBO MX1104"))
        shown = cases if place == "TH-QD-2-G3" else min(cases, 2)
        for case in range(1, shown + 1):
            incident = "none"
            quantities: tuple[str, ...] = _TRH
            if place == "TH-QD-2-G3":
                quantities = ("temperature", "relative_humidity", "illuminance")
                incident = "lamp_left_on" if case == 2 else "none"
            if place == "TH-QD-1-G2" and case == 1:
                incident = "slow_leak"
            sensors.append(DemoSensor(f"{place[3:]}-C{case:02d}", f"{place}-C{case:02d}", "case",
                                      quantities, room, incident))
    for number, place in enumerate(_STORES, start=10):
        incident = "dehumidifier_failure" if place == "TH-KF-B2-S4" else "none"
        sensors.append(DemoSensor(f"{place[3:]}", place, "store", _TRH, number, incident,
                                  "Tinytag Ultra 2"))
        sensors.append(DemoSensor(f"{place[3:]}-CAB01", f"{place}-CAB01", "store", _TRH,
                                  number, incident, "Tinytag Ultra 2"))
    sensors.append(DemoSensor("HD-2-LAB", "TH-HD-2-LAB", "lab", _TRH, 30))
    sensors.append(DemoSensor("HD-2-PH", "TH-HD-2-PH", "lab", _TRH, 31))
    sensors.append(DemoSensor("OUTDOOR", "TH", "outdoor", _TRH, 40, model="Rotronic HC2A"))
    return sensors


_SPECIFICATIONS = {
    "TH-PAPER-CASE": services.SpecificationData(
        code="TH-PAPER-CASE", name={"zh-Hans": "书画展柜", "en": "Cases for works on paper"},
        t_min=16.0, t_max=26.0, rh_min=45.0, rh_max=58.0, max_rh_change_24h=5.0,
        lux_max=60.0, annual_lux_hours_max=150_000.0, uv_max=10.0,
        source="Museum policy after CIE 157:2004 (high responsivity: 50 lx, 150,000 lx·h a "
               "year); the alarm limit is 60 lx to allow for the light meters' ±10 %."),
    "TH-STORE": services.SpecificationData(
        code="TH-STORE", name={"zh-Hans": "库房", "en": "Collection stores"},
        t_min=16.0, t_max=22.0, rh_min=45.0, rh_max=58.0, max_rh_change_24h=5.0,
        source="Museum policy within BS EN 16893:2018 store guidance."),
}


def _env_days() -> int:
    raw = os.environ.get("TAIHE_DEMO_SENSOR_DAYS", "")
    return max(1, int(raw)) if raw.strip().isdigit() else DAYS


@kernel_demo.register("conservation", order=40)
def load(write: Callable[[str], None]) -> dict[str, Any]:
    """Sensors, a year of readings, specifications, rules and alerts (after the catalog's
    locations). Does nothing when the demo sensors exist already."""
    return load_monitoring(write, days=_env_days())


def load_monitoring(write: Callable[[str], None], *, days: int = DAYS,
                    now: dt.datetime | None = None) -> dict[str, Any]:
    people = get_user_model().objects
    conservator = people.filter(username=CONSERVATOR).first()
    guard = people.filter(username=SECURITY).first()
    if conservator is None or catalog.location_by_code("TH") is None:
        raise RuntimeError("The monitoring demo needs the directory's and the catalog's demo: "
                           "load them first.")
    specs = demo_sensors()
    if Sensor.objects.filter(code=specs[0].code).exists():
        return {"sensors": Sensor.objects.count(), "created": 0}
    end = (now or timezone.now()).replace(second=0, microsecond=0)
    end -= dt.timedelta(minutes=end.minute % 5)
    start = end - dt.timedelta(days=days)
    with context.bound(request_id="taihe-demo", actor_id=conservator.pk):
        _load_specifications(conservator, guard)
        sensors = _load_sensors(conservator, specs, start)
        began = time.perf_counter()
        readings = _load_readings(specs, sensors, start, end)
        loaded = time.perf_counter()
        _load_rules(conservator)
        opened = _load_alerts(conservator, sensors, end)
        logger.debug("demo readings %.1f s, alerts %.1f s", loaded - began,
                    time.perf_counter() - loaded)
    write(f"  created {len(sensors)} sensors, {readings:,} readings over {days} days, "
          f"{opened} alerts")
    return {"sensors": len(sensors), "readings": readings, "alerts": opened,
            "created": len(sensors)}


def _load_specifications(conservator: Any, guard: Any) -> None:
    created = {code: services.do_save_specification(conservator, None, data)
               for code, data in _SPECIFICATIONS.items()}
    bizot = Specification.objects.get(code="BIZOT-2014")
    responsible = [conservator.pk]
    # The galleries keep to the Bizot interim guidelines; the lab, the studio and the
    # courtyard have no specification (they are watched, not controlled).
    for floor in ("TH-QD", "TH-HD-1"):
        place = catalog.location_by_code(floor)
        if place is not None:
            services.do_assign_environment(conservator, place.id, specification_id=bizot.pk,
                                           responsible_ids=responsible)
    for case in ("TH-QD-2-G3-C01", "TH-QD-2-G3-C02", "TH-QD-2-G3-C03"):
        place = catalog.location_by_code(case)
        if place is not None:
            services.do_assign_environment(conservator, place.id,
                                           specification_id=created["TH-PAPER-CASE"].pk,
                                           responsible_ids=responsible)
    store_building = catalog.location_by_code("TH-KF")
    if store_building is not None:
        services.do_assign_environment(
            conservator, store_building.id, specification_id=created["TH-STORE"].pk,
            responsible_ids=[*responsible, *([guard.pk] if guard is not None else [])])


def _load_sensors(conservator: Any, specs: list[DemoSensor], start: dt.datetime
                  ) -> dict[str, Sensor]:
    sensors: dict[str, Sensor] = {}
    for number, spec in enumerate(specs, start=1):
        place = catalog.location_by_code(spec.place)
        if place is None:
            continue
        sensor = services.do_create_sensor(conservator, services.SensorData(
            code=spec.code, name=place.name.get("zh-Hans") or place.code,
            manufacturer=_MAKERS[spec.model.split()[0]], model=spec.model,
            serial=f"{21_400_000 + number * 37}", quantities=list(spec.quantities),
            location_id=place.id))
        # The placement began with the readings, not today.
        sensor.placements.update(placed_at=start)
        sensors[spec.code] = sensor
    return sensors


def _load_readings(specs: list[DemoSensor], sensors: dict[str, Sensor], start: dt.datetime,
                   end: dt.datetime) -> int:
    """Generate and bulk-insert every sensor's readings, then build the rollups once."""
    ids = store.quantity_ids()
    total = 0
    batch = IngestBatch.objects.create(source=IngestBatch.Source.DEMO,
                                       sensors=sorted(sensors), first_time=start,
                                       last_time=end)
    for spec in specs:
        sensor = sensors.get(spec.code)
        if sensor is None:
            continue
        profile = SensorProfile(spec.code, spec.profile_kind,  # type: ignore[arg-type]
                                spec.quantities, spec.incident, spec.room)  # type: ignore[arg-type]
        data = generate(profile, start, end)
        times = data["time"]
        latest: dict[str, list[float]] = {}
        for quantity in spec.quantities:
            values = data[quantity]
            keep = ~np.isnan(values)
            if not keep.any():
                continue
            kept_times = times[keep].tolist()
            rows = list(zip([sensor.pk] * len(kept_times), [ids[quantity]] * len(kept_times),
                            kept_times, values[keep].tolist(), strict=True))
            with transaction.atomic():
                timeseries.ensure_partitions(store.READING_TABLE, kept_times[0],
                                             kept_times[-1])
                for first in range(0, len(rows), 50_000):
                    timeseries.insert_plain(store.READING_TABLE, READING_COLUMNS,
                                            rows[first:first + 50_000])
            total += len(rows)
            latest[quantity] = [kept_times[-1], float(values[keep][-1])]
        if latest:
            newest = max(entry[0] for entry in latest.values())
            Sensor.objects.filter(pk=sensor.pk).update(
                last_values=latest, battery_percent=float(60 + (sensor.pk * 7) % 40),
                last_reading_at=dt.datetime.fromtimestamp(newest, dt.UTC))
    store.rebuild_rollups()
    IngestBatch.objects.filter(pk=batch.pk).update(stored=total, finished_at=timezone.now())
    return total


def _load_rules(conservator: Any) -> None:
    head = get_user_model().objects.filter(username=CONSERVATOR).values_list("pk", flat=True)
    rules = [
        services.AlertRuleData(
            name="相对湿度超出规范 Relative humidity outside the specification",
            kind="band", parameters={"quantity": "relative_humidity",
                                     "min_duration_minutes": 60, "hysteresis": 2},
            use_specification=True, severity="critical", escalate_after_minutes=30,
            escalate_to_ids=list(head)),
        services.AlertRuleData(
            name="温度超出规范 Temperature outside the specification",
            kind="band", parameters={"quantity": "temperature", "min_duration_minutes": 240,
                                     "hysteresis": 1.0},
            use_specification=True, severity="warning"),
        services.AlertRuleData(
            name="照度超限 Illuminance above the limit",
            kind="band", parameters={"quantity": "illuminance", "min_duration_minutes": 30,
                                     "hysteresis": 5},
            use_specification=True, severity="warning"),
        services.AlertRuleData(
            name="库房湿度骤变 Store relative humidity changing fast",
            kind="rate", parameters={"quantity": "relative_humidity", "max_change": 5,
                                     "window_minutes": 24 * 60, "hysteresis": 1},
            severity="warning", location_id=_location_id("TH-KF")),
        services.AlertRuleData(
            name="传感器无数据 Sensor silent", kind="silence",
            parameters={"max_missing_intervals": 6}, severity="warning"),
    ]
    for data in rules:
        services.do_save_alert_rule(conservator, None, data)


def _location_id(code: str) -> int | None:
    place = catalog.location_by_code(code)
    return place.id if place is not None else None


def _load_alerts(conservator: Any, sensors: dict[str, Sensor], end: dt.datetime) -> int:
    """Run the rules over the whole year as if they had been watching it: alerts whose
    condition cleared more than two days before the end are resolved by the conservator;
    the rest stay open. Nobody is notified for the demo's past."""
    opened: list[int] = []
    for sensor in sensors.values():
        opened.extend(alerts.evaluate_sensor(sensor.pk, now=end, lookback=None, notify=False,
                                             hourly=True))
    resolved_before = end - dt.timedelta(days=2)
    for alert in Alert.objects.filter(pk__in=opened, condition_cleared_at__lt=resolved_before):
        assert alert.condition_cleared_at is not None
        moment = alert.condition_cleared_at + dt.timedelta(hours=2)
        Alert.objects.filter(pk=alert.pk).update(
            status=Alert.Status.RESOLVED, acknowledged_at=alert.opened_at
            + dt.timedelta(minutes=12), acknowledged_by=conservator, resolved_at=moment,
            resolved_by=conservator, next_escalation_at=None)
        AlertEntry.objects.bulk_create([
            AlertEntry(alert=alert, kind=AlertEntry.Kind.ACKNOWLEDGED,
                       at=alert.opened_at + dt.timedelta(minutes=12), actor=conservator),
            AlertEntry(alert=alert, kind=AlertEntry.Kind.RESOLVED, at=moment, actor=conservator,
                       text=_resolution(alert))])
    Alert.objects.filter(pk__in=opened, status=Alert.Status.OPEN).update(
        next_escalation_at=None)
    return len(opened)


def _resolution(alert: Alert) -> str:
    kind = AlertRule.Kind(alert.kind)
    if kind == AlertRule.Kind.BAND and "illuminance" in alert.summary:
        return "展柜灯未关,已关闭并检查定时器。 Case lamp left on; switched off, timer checked."
    if kind == AlertRule.Kind.BAND:
        return "除湿机故障已修复,湿度恢复。 Dehumidifier repaired; RH back in band."
    if kind == AlertRule.Kind.SILENCE:
        return "已更换电池。 Battery replaced."
    return "已检查,原因已记录。 Checked; cause recorded in the log."

