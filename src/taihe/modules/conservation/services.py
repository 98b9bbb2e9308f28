"""The only write path of environmental monitoring.

Ingest: four transports (logger files, HTTP push, MQTT, LoRaWAN webhooks) turn their payloads
into readings and hand them to :func:`ingest`, which resolves sensors and quantities, rejects
impossible values, applies calibration offsets and writes through ``store`` in batches.
Alerts: rules are evaluated by a job after readings are stored (``jobs.evaluate_alerts``);
alerts notify through ``notifications.api`` and escalate until somebody acknowledges.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import events, store
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.ingest import LoggerFileError, parse_file
from taihe.modules.conservation.live import (
    LiveReading,
    PayloadInvalid,
    decode_readings_message,
    decode_status_message,
    parse_chirpstack_uplink,
    parse_json_readings,
    parse_senml,
    parse_things_stack_uplink,
    parse_topic,
)
from taihe.modules.conservation.live_topics import push_for_location
from taihe.modules.conservation.models import (
    Alert,
    AlertEntry,
    AlertRule,
    Calibration,
    IngestBatch,
    PlaceEnvironment,
    Quantity,
    Sensor,
    SensorPlacement,
    Specification,
)
from taihe.modules.directory import api as directory
from taihe.modules.notifications import api as notifications

notifications.register_category("conservation.alerts", gettext_lazy("Environmental alerts"),
                                 email_by_default=True)

SENSOR_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Readings before this are clock faults (a logger whose battery died resets to 2000-01-01 or
# 1970); the earliest electronic museum loggers in service date from the 1990s.
EARLIEST_READING = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
# A logger clock a little ahead of the server is normal; a day ahead is a fault.
LATEST_AHEAD = dt.timedelta(days=1)
REJECTED_KEPT = 1_000
# Live units (SenML names) to the store's quantity codes where they differ.
_LIVE_QUANTITY = {("battery", "%EL"): "battery_level"}


def _require(actor: Any, operation: str) -> None:
    if not authz.can(actor, operation):
        raise PermissionDenied()


def _person_id(actor: Any) -> int | None:
    resolved = authz.actor_for(actor)
    return None if resolved.is_anonymous else resolved.user_id


# --- Sensors ------------------------------------------------------------------------------

@dataclass
class SensorData:
    code: str
    name: str = ""
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    quantities: list[str] = field(default_factory=lambda: ["temperature", "relative_humidity"])
    logging_interval_seconds: int = 300
    location_id: int | None = None
    status: str = Sensor.Status.ACTIVE
    lorawan_device_eui: str = ""
    notes: str = ""


def _check_sensor(data: SensorData, sensor: Sensor | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not SENSOR_CODE.match(data.code or ""):
        errors["code"] = _("Use 1–64 letters, digits, dots, dashes or underscores, starting "
                           "with a letter or digit.")
    elif Sensor.objects.exclude(pk=sensor.pk if sensor else 0).filter(code=data.code).exists():
        errors["code"] = _("Another sensor has this code.")
    known = set(store.quantity_ids())
    unknown = [code for code in data.quantities if code not in known]
    if not data.quantities:
        errors["quantities"] = _("Choose at least one measured quantity.")
    elif unknown:
        errors["quantities"] = _("Unknown quantities: %(codes)s.") % {"codes": ", ".join(unknown)}
    if not 1 <= data.logging_interval_seconds <= 86_400:
        errors["logging_interval_seconds"] = _("Give an interval from 1 second to 1 day.")
    if data.location_id is not None and catalog.location(data.location_id) is None:
        errors["location_id"] = _("There is no such location.")
    if data.status not in Sensor.Status.values:
        errors["status"] = _("Unknown status.")
    eui = data.lorawan_device_eui.strip().upper()
    if eui and not re.fullmatch(r"[0-9A-F]{16}", eui):
        errors["lorawan_device_eui"] = _("A DevEUI is 16 hexadecimal digits.")
    elif eui and Sensor.objects.exclude(pk=sensor.pk if sensor else 0).filter(
            lorawan_device_eui=eui).exists():
        errors["lorawan_device_eui"] = _("Another sensor has this DevEUI.")
    for name, limit in (("name", 200), ("manufacturer", 100), ("model", 100), ("serial", 100)):
        if len(getattr(data, name)) > limit:
            errors[name] = _("At most %(count)d characters.") % {"count": limit}
    return errors


def do_create_sensor(actor: Any, data: SensorData) -> Sensor:
    """Create a sensor (placed at ``location_id`` from now). Emits
    ``conservation.sensor.saved.v1``. Raises PermissionDenied, ValidationFailed."""
    _require(actor, ops.SENSOR_MANAGE.code)
    errors = _check_sensor(data, None)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        sensor = Sensor.objects.create(
            code=data.code, name=data.name.strip(), manufacturer=data.manufacturer.strip(),
            model=data.model.strip(), serial=data.serial.strip(),
            quantities=list(dict.fromkeys(data.quantities)),
            logging_interval_seconds=data.logging_interval_seconds, status=data.status,
            lorawan_device_eui=data.lorawan_device_eui.strip().upper(), notes=data.notes)
        if data.location_id is not None:
            _place(sensor, data.location_id, timezone.now(), _person_id(actor), "")
        publish(events.SensorSaved(sensor_id=sensor.pk, code=sensor.code))
    return sensor


def do_update_sensor(actor: Any, sensor_id: int, data: SensorData) -> Sensor:
    """Change a sensor's description; a new location is a move (kept in its history).
    Emits ``conservation.sensor.saved.v1``."""
    _require(actor, ops.SENSOR_MANAGE.code)
    sensor = Sensor.objects.filter(pk=sensor_id).first()
    if sensor is None:
        raise NotFound()
    errors = _check_sensor(data, sensor)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        for name in ("code", "name", "manufacturer", "model", "serial", "status", "notes"):
            setattr(sensor, name, getattr(data, name).strip())
        sensor.quantities = list(dict.fromkeys(data.quantities))
        sensor.logging_interval_seconds = data.logging_interval_seconds
        sensor.lorawan_device_eui = data.lorawan_device_eui.strip().upper()
        sensor.save()
        if data.location_id != sensor.location_id:
            if data.location_id is None:
                SensorPlacement.objects.filter(sensor=sensor, removed_at__isnull=True).update(
                    removed_at=timezone.now())
                Sensor.objects.filter(pk=sensor.pk).update(location=None)
                sensor.location_id = None
            else:
                _place(sensor, data.location_id, timezone.now(), _person_id(actor), "")
        publish(events.SensorSaved(sensor_id=sensor.pk, code=sensor.code))
    return sensor


def _place(sensor: Sensor, location_id: int, at: dt.datetime, by: int | None, note: str) -> None:
    SensorPlacement.objects.filter(sensor=sensor, removed_at__isnull=True).update(removed_at=at)
    SensorPlacement.objects.create(sensor=sensor, location_id=location_id, placed_at=at,
                                   placed_by_id=by, note=note[:300])
    Sensor.objects.filter(pk=sensor.pk).update(location_id=location_id)
    sensor.location_id = location_id


def do_move_sensor(actor: Any, sensor_id: int, location_id: int, *,
                   at: dt.datetime | None = None, note: str = "") -> Sensor:
    """Record that a sensor now hangs in another place (from ``at``, default now). Emits
    ``conservation.sensor.moved.v1``."""
    _require(actor, ops.SENSOR_MANAGE.code)
    sensor = Sensor.objects.filter(pk=sensor_id).first()
    if sensor is None:
        raise NotFound()
    if catalog.location(location_id) is None:
        raise ValidationFailed(fields={"location_id": _("There is no such location.")})
    moment = at or timezone.now()
    current = sensor.placements.filter(removed_at__isnull=True).first()
    if current is not None and moment <= current.placed_at:
        raise ValidationFailed(fields={"at": _("The move must be after the sensor was placed "
                                               "where it is now.")})
    with transaction.atomic():
        _place(sensor, location_id, moment, _person_id(actor), note)
        publish(events.SensorMoved(sensor_id=sensor.pk, location_id=location_id))
    return sensor


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_issue_token(actor: Any, sensor_id: int) -> str:
    """A new device API token for the sensor (the old one stops working). The token is shown
    once; only its hash is kept."""
    _require(actor, ops.SENSOR_MANAGE.code)
    token = "ths_" + secrets.token_urlsafe(32)
    if not Sensor.objects.filter(pk=sensor_id).update(token_hash=_token_hash(token),
                                                      token_hint=token[-4:]):
        raise NotFound()
    return token


def sensor_for_token(token: str) -> Sensor | None:
    if not token.startswith("ths_"):
        return None
    return Sensor.objects.filter(token_hash=_token_hash(token)).exclude(
        status=Sensor.Status.RETIRED).first()


def do_record_calibration(actor: Any, sensor_id: int, *, quantity: str,
                          effective_from: dt.datetime, offset: float, reference: str = "",
                          note: str = "") -> Calibration:
    """Record a calibration: ``offset`` applies to readings of ``quantity`` from
    ``effective_from`` until the next calibration. Readings already stored in that span are
    corrected (and their rollups); raw values are never lost, they are value − offset.
    Emits ``conservation.sensor.calibrated.v1``."""
    _require(actor, ops.SENSOR_MANAGE.code)
    sensor = Sensor.objects.filter(pk=sensor_id).first()
    if sensor is None:
        raise NotFound()
    quantity_id = store.quantity_ids().get(quantity)
    errors: dict[str, str] = {}
    if quantity_id is None:
        errors["quantity"] = _("Unknown quantity.")
    if not math.isfinite(offset) or abs(offset) > 50:
        errors["offset"] = _("Give an offset between −50 and 50.")
    if effective_from.tzinfo is None:
        errors["effective_from"] = _("Give the time with its time zone.")
    if errors:
        raise ValidationFailed(fields=errors)
    assert quantity_id is not None
    with transaction.atomic():
        # The same lock the store takes to calibrate a batch: no batch is half-shifted.
        Sensor.objects.select_for_update().filter(pk=sensor.pk).first()
        if Calibration.objects.filter(sensor=sensor, quantity_id=quantity_id,
                                      effective_from=effective_from).exists():
            raise Conflict(fields={"effective_from": _("A calibration from this moment is "
                                                       "already recorded.")})
        previous = (Calibration.objects.filter(sensor=sensor, quantity_id=quantity_id,
                                               effective_from__lt=effective_from)
                    .order_by("-effective_from").first())
        following = (Calibration.objects.filter(sensor=sensor, quantity_id=quantity_id,
                                                effective_from__gt=effective_from)
                     .order_by("effective_from").first())
        calibration = Calibration.objects.create(
            sensor=sensor, quantity_id=quantity_id, effective_from=effective_from, offset=offset,
            reference=reference.strip()[:200], note=note, recorded_by_id=_person_id(actor))
        delta = offset - (previous.offset if previous else 0.0)
        store.shift_values(sensor.pk, quantity_id, int(effective_from.timestamp()),
                           int(following.effective_from.timestamp()) if following else None,
                           delta)
        publish(events.SensorCalibrated(sensor_id=sensor.pk, calibration_id=calibration.pk))
    return calibration


# --- Specifications -----------------------------------------------------------------------

@dataclass
class SpecificationData:
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
    source: str = ""


_LIMITS = {"t_min": (-30.0, 60.0), "t_max": (-30.0, 60.0), "rh_min": (0.0, 100.0),
           "rh_max": (0.0, 100.0), "max_t_change_24h": (0.0, 50.0),
           "max_rh_change_24h": (0.0, 100.0), "lux_max": (0.0, 100_000.0),
           "annual_lux_hours_max": (0.0, 1e9), "uv_max": (0.0, 10_000.0)}


def do_save_specification(actor: Any, specification_id: int | None,
                          data: SpecificationData) -> Specification:
    """Create or change a custom specification (presets are read-only). Emits
    ``conservation.specification.saved.v1``."""
    _require(actor, ops.SPECIFICATION_MANAGE.code)
    spec = None
    if specification_id is not None:
        spec = Specification.objects.filter(pk=specification_id).first()
        if spec is None:
            raise NotFound()
        if spec.is_preset:
            raise Conflict(detail=_("Published presets cannot be changed; copy one instead."))
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", data.code or ""):
        errors["code"] = _("Use 1–64 letters, digits, dots, dashes or underscores.")
    elif Specification.objects.exclude(pk=spec.pk if spec else 0).filter(
            code=data.code).exists():
        errors["code"] = _("Another specification has this code.")
    names = {lang: text.strip() for lang, text in (data.name or {}).items() if text.strip()}
    if not names:
        errors["name"] = _("Give the specification a name.")
    for name, (low, high) in _LIMITS.items():
        value = getattr(data, name)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            errors[name] = _("Give a value from %(low)s to %(high)s.") % {"low": low,
                                                                          "high": high}
    for low_name, high_name in (("t_min", "t_max"), ("rh_min", "rh_max")):
        low_value, high_value = getattr(data, low_name), getattr(data, high_name)
        if (low_value is not None and high_value is not None and low_value > high_value
                and high_name not in errors):
            errors[high_name] = _("The upper limit is below the lower one.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        spec = spec or Specification(is_preset=False)
        spec.code = data.code
        spec.name = names
        for name in _LIMITS:
            setattr(spec, name, getattr(data, name))
        spec.source = data.source.strip()
        spec.save()
        publish(events.SpecificationSaved(specification_id=spec.pk, code=spec.code))
    return spec


def do_delete_specification(actor: Any, specification_id: int) -> None:
    """Delete an unused custom specification. Raises Conflict when places use it."""
    _require(actor, ops.SPECIFICATION_MANAGE.code)
    spec = Specification.objects.filter(pk=specification_id).first()
    if spec is None:
        raise NotFound()
    if spec.is_preset:
        raise Conflict(detail=_("Published presets cannot be deleted."))
    if spec.places.exists():
        raise Conflict(detail=_("Places still use this specification."))
    spec.delete()


def do_assign_environment(actor: Any, location_id: int, *, specification_id: int | None,
                          responsible_ids: Sequence[int]) -> PlaceEnvironment:
    """Set a place's specification (None: inherit from the enclosing place) and the people
    who answer for its climate. Emits ``conservation.place.environment_set.v1``."""
    _require(actor, ops.SPECIFICATION_MANAGE.code)
    if catalog.location(location_id) is None:
        raise NotFound()
    errors: dict[str, str] = {}
    if specification_id is not None and not Specification.objects.filter(
            pk=specification_id).exists():
        errors["specification_id"] = _("There is no such specification.")
    people = {info.id for info in directory.people(sorted(set(responsible_ids)))
              if info.is_active}
    missing = sorted(set(responsible_ids) - people)
    if missing:
        errors["responsible_ids"] = _("Unknown or inactive people: %(ids)s.") % {
            "ids": ", ".join(map(str, missing))}
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        place, _created = PlaceEnvironment.objects.update_or_create(
            location_id=location_id, defaults={"specification_id": specification_id})
        place.responsible.set(sorted(people))
        publish(events.PlaceEnvironmentSet(location_id=location_id,
                                           specification_id=specification_id))
    return place


def specification_for_location(location_id: int | None) -> Specification | None:
    """The specification that applies to a place: its own or the nearest enclosing one's."""
    if location_id is None:
        return None
    info = catalog.location(location_id)
    if info is None:
        return None
    chain = [int(part) for part in info.path.strip("/").split("/") if part]
    found = {place.location_id: place for place in PlaceEnvironment.objects.filter(
        location_id__in=chain).select_related("specification")}
    for ancestor in reversed(chain):
        place = found.get(ancestor)
        if place is not None and place.specification is not None:
            return place.specification
    return None


def responsible_for_location(location_id: int | None) -> list[int]:
    """People answering for a place: those of the nearest place (itself or enclosing) that
    names any."""
    if location_id is None:
        return []
    info = catalog.location(location_id)
    if info is None:
        return []
    chain = [int(part) for part in info.path.strip("/").split("/") if part]
    for ancestor in reversed(chain):
        place = PlaceEnvironment.objects.filter(location_id=ancestor).first()
        if place is not None:
            people = list(place.responsible.values_list("id", flat=True))
            if people:
                return people
    return []


# --- Ingest -------------------------------------------------------------------------------

@dataclass
class IngestOutcome:
    """What one arrival did. ``rejected`` lists (row, field, reason)."""

    stored: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    sensors: list[str] = field(default_factory=list)
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    batch_id: int | None = None
    dry_run: bool = False
    file_format: str = ""
    warnings: list[str] = field(default_factory=list)
    preview: list[tuple[str, str, dt.datetime, float]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {"stored": self.stored, "duplicates": self.duplicates,
                "rejected": len(self.rejected)}


class Incoming(NamedTuple):
    """One reading on its way in: sensor code, quantity code, aware time, value, and where
    it came from in the source (row number, or index in a payload). A NamedTuple: a year of
    logger data is hundreds of thousands of these."""

    sensor: str
    quantity: str
    time: dt.datetime
    value: float
    row: int = 0


Arriving = tuple[str, str, dt.datetime, float, int]
"""Sensor code, quantity code, aware time, value, source row: :class:`Incoming` or a plain
tuple (the logger-file path builds hundreds of thousands)."""


def ingest(incoming: Iterable[Arriving], *, source: str, actor: Any = None,
           file_name: str = "", file_format: str = "", create_sensors: bool = False,
           rejected: Sequence[tuple[int, str, str]] = (), dry_run: bool = False,
           now: dt.datetime | None = None,
           progress: Callable[[int, int], None] | None = None) -> IngestOutcome:
    """Store readings from any transport: resolve sensors and quantities, reject impossible
    values (each with its row and reason), apply calibration offsets, write in batches.

    Each batch commits on its own (a crash keeps what was stored and a re-run stores the
    rest); duplicates are skipped. Records an :class:`IngestBatch`, pushes the newest values
    live and queues alert evaluation after commit. With ``dry_run`` nothing is written.
    """
    moment = now or timezone.now()
    outcome = IngestOutcome(rejected=list(rejected), dry_run=dry_run, file_format=file_format)
    reject = outcome.rejected.append
    quantities = {code: store.quantity_by_id(qid) for code, qid in store.quantity_ids().items()}
    limits = {code: (q.pk, -math.inf if q.minimum is None else q.minimum,
                     math.inf if q.maximum is None else q.maximum)
              for code, q in quantities.items()}
    # Per sensor code: its id (0 for a dry run's would-be sensor) or None when unusable,
    # with the reason.
    sensors: dict[str, tuple[int | None, str]] = {}
    rows: list[store.Row] = []
    add = rows.append
    earliest = EARLIEST_READING.timestamp()
    latest = (moment + LATEST_AHEAD).timestamp()
    last_time: dt.datetime | None = None
    stamp = 0.0
    last_code = ""
    known: tuple[int | None, str] = (None, "")
    preview = outcome.preview if dry_run else None
    for code, quantity, time, value, row in incoming:
        if code != last_code:
            cached = sensors.get(code)
            if cached is None:
                cached = sensors[code] = _resolve_sensor(code, create_sensors, dry_run, actor)
            known, last_code = cached, code
        sensor_id, problem = known
        if sensor_id is None:
            reject((row, "sensor", problem))
            continue
        limit = limits.get(quantity)
        if limit is None:
            reject((row, quantity, _("Unknown quantity %(code)s.") % {"code": quantity}))
            continue
        if time is not last_time:  # the quantities of one logger row share their time
            stamp, last_time = time.timestamp(), time
        if not earliest <= stamp <= latest:
            reject((row, "time", _(
                "The time %(time)s is before 1990 or more than a day in the future: a logger "
                "clock fault.") % {"time": time.isoformat()}))
            continue
        quantity_id, low, high = limit
        if not low <= value <= high:  # also false for NaN
            reject((row, quantity, _(
                "%(value)s %(unit)s is not a possible %(quantity)s reading.") % {
                    "value": value, "unit": quantities[quantity].unit, "quantity": quantity}))
            continue
        if preview is not None and len(preview) < 20:
            preview.append((code, quantity, time, value))
        add((sensor_id, quantity_id, int(stamp), float(value)))
    outcome.sensors = sorted(sensors)
    if rows:
        outcome.first = dt.datetime.fromtimestamp(min(r[2] for r in rows), dt.UTC)
        outcome.last = dt.datetime.fromtimestamp(max(r[2] for r in rows), dt.UTC)
    if dry_run:
        outcome.stored = len(rows)
        return outcome
    for start in range(0, len(rows), store.BATCH_SIZE):
        chunk = rows[start:start + store.BATCH_SIZE]
        result = store.write(chunk, apply_calibration=True)
        outcome.stored += result.stored
        outcome.duplicates += result.duplicates
        if progress is not None:
            progress(min(start + len(chunk), len(rows)), len(rows))
    touched = sorted({row[0] for row in rows})
    with transaction.atomic():
        batch = IngestBatch.objects.create(
            source=source, file_name=file_name[:255], file_format=file_format[:32],
            sensors=outcome.sensors, stored=outcome.stored, duplicates=outcome.duplicates,
            rejected=len(outcome.rejected),
            rejected_rows=[list(entry) for entry in outcome.rejected[:REJECTED_KEPT]],
            first_time=outcome.first, last_time=outcome.last, finished_at=timezone.now(),
            by_id=_person_id(actor) if actor is not None else None)
        outcome.batch_id = batch.pk
        _note_latest(rows, {q.pk: q for q in quantities.values()},
                     live=source != IngestBatch.Source.FILE)
        if rows:
            # Also when nothing new was stored: a re-run after a crash between storing and
            # evaluating must still evaluate.
            from taihe.modules.conservation.jobs import evaluate_alerts

            for sensor_id in touched:
                enqueue(evaluate_alerts, sensor_id, unique=True)
        if source == IngestBatch.Source.FILE:
            # Files are a person's action and are audited; live transports are not (one
            # event per MQTT message would bury the audit log).
            publish(events.ReadingsStored(batch_id=batch.pk, source=source,
                                          stored=outcome.stored, sensor_ids=touched,
                                          actor_id=batch.by_id))
    return outcome


def _resolve_sensor(code: str, create: bool, dry_run: bool, actor: Any
                    ) -> tuple[int | None, str]:
    sensor = Sensor.objects.filter(code=code).first()
    if sensor is not None and actor is not None:
        from taihe.modules.conservation.selectors import sensors_for

        if not sensors_for(actor).filter(pk=sensor.pk).exists():
            # A sensor in a store the importer may not know: as if it did not exist (and it
            # is not created either: the code is taken).
            return None, _("No sensor has the code %(code)s.") % {"code": code}
    if sensor is None and create and SENSOR_CODE.match(code):
        if dry_run:
            return 0, ""
        sensor, _created = Sensor.objects.get_or_create(
            code=code, defaults={"quantities": ["temperature", "relative_humidity"],
                                 "notes": _("Created by a logger-file import.")})
    if sensor is None:
        return None, _("No sensor has the code %(code)s.") % {"code": code}
    if sensor.status == Sensor.Status.RETIRED:
        return None, _("Sensor %(code)s is retired.") % {"code": code}
    return sensor.pk, ""


def _note_latest(rows: Sequence[store.Row], by_id: Mapping[int, Quantity], *,
                 live: bool) -> None:
    """Keep each sensor's newest value per quantity (for the dashboard) and push it live."""
    latest_rows: dict[tuple[int, int], store.Row] = {}
    for row in rows:
        current = latest_rows.get((row[0], row[1]))
        if current is None or row[2] > current[2]:
            latest_rows[(row[0], row[1])] = row
    newest: dict[int, dict[str, tuple[int, float]]] = defaultdict(dict)
    # Rows arrive uncalibrated (the store calibrates each batch): the few newest get their
    # offsets here for the dashboard.
    for sensor_id, quantity_id, time, value in store.calibrate(list(latest_rows.values())):
        newest[sensor_id][by_id[quantity_id].code] = (time, value)
    for sensor in Sensor.objects.filter(pk__in=list(newest)):
        values = dict(sensor.last_values)
        changed = False
        for code, (time, value) in newest[sensor.pk].items():
            known = values.get(code)
            if known is None or time > known[0]:
                values[code] = [time, value]
                changed = True
        if not changed:
            continue
        latest = max(entry[0] for entry in values.values())
        updates: dict[str, Any] = {
            "last_values": values,
            "last_reading_at": dt.datetime.fromtimestamp(latest, dt.UTC)}
        if "battery" in values:
            updates["battery_volts"] = values["battery"][1]
        if "battery_level" in values:
            updates["battery_percent"] = values["battery_level"][1]
        Sensor.objects.filter(pk=sensor.pk).update(**updates)
        if live:
            push_for_location(sensor.location_id, {"sensor_id": sensor.pk, "code": sensor.code,
                                                   "values": values})


def _from_live(readings: Iterable[LiveReading], row_base: int = 0) -> list[Incoming]:
    return [Incoming(reading.sensor, _LIVE_QUANTITY.get((reading.quantity, reading.unit),
                                                        reading.quantity),
                     reading.time, reading.value, row_base + index)
            for index, reading in enumerate(readings, start=1)]


def do_import_file(actor: Any, data: bytes, file_name: str, *, sensor_code: str | None = None,
                   file_format: str = "auto", time_zone: str | None = None,
                   column_mapping: Mapping[str, Any] | None = None,
                   date_order: str | None = None, create_sensor: bool = False,
                   dry_run: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> IngestOutcome:
    """Import a data-logger file. With ``sensor_code`` every reading is that sensor's (the
    file must hold one sensor); otherwise the file's serials or names must be sensor codes
    or serial numbers. ``create_sensor`` creates a sensor whose code is new. Raises
    PermissionDenied, ValidationFailed (file unreadable: ``fields["file"]``)."""
    _require(actor, ops.READING_IMPORT.code)
    if sensor_code is not None and not SENSOR_CODE.match(sensor_code):
        raise ValidationFailed(fields={"sensor": _("Not a valid sensor code.")})
    try:
        parsed = parse_file(data, filename=file_name, format=file_format, timezone=time_zone,
                            column_mapping=column_mapping, date_order=date_order)
    except LoggerFileError as exc:
        raise ValidationFailed(fields={"file": str(exc)}) from exc
    file_sensors = [name for name in parsed.sensors if name]
    if sensor_code is not None and len(set(file_sensors)) > 1:
        raise ValidationFailed(fields={"sensor": _(
            "The file holds several sensors (%(names)s); import it without choosing one, with "
            "sensors whose codes or serial numbers match.") % {"names": ", ".join(file_sensors)}})
    from taihe.modules.conservation.selectors import sensors_for

    visible = sensors_for(actor)
    mapping: dict[str | None, str] = {}
    for name in set(file_sensors) | {None}:
        if sensor_code is not None:
            mapping[name] = sensor_code
        elif name is None:
            continue
        else:
            # Codes and serials are matched only among sensors the importer may see.
            match = (visible.filter(code=name).first()
                     or visible.filter(serial=name).first())
            mapping[name] = match.code if match else name
    if create_sensor and not dry_run and any(
            not Sensor.objects.filter(code=code).exists() for code in set(mapping.values())):
        # Creating a sensor is managing sensors, not just importing readings.
        _require(actor, ops.SENSOR_MANAGE.code)
    rejected = [(row.row, row.field, row.reason) for row in parsed.rejected]
    incoming: list[tuple[str, str, dt.datetime, float, int]]
    if sensor_code is not None:  # every reading is this sensor's
        incoming = [(sensor_code, r.quantity, r.time, r.value, r.source_row)
                    for r in parsed.readings]
    else:
        incoming = []
        for reading in parsed.readings:
            mapped = mapping.get(reading.sensor)
            if mapped is None:
                rejected.append((reading.source_row, "sensor",
                                 _("The file does not say which sensor; choose one.")))
                continue
            incoming.append((mapped, reading.quantity, reading.time, reading.value,
                             reading.source_row))
    outcome = ingest(incoming, source=IngestBatch.Source.FILE, actor=actor,
                     file_name=file_name, file_format=parsed.format,
                     create_sensors=create_sensor, rejected=rejected, dry_run=dry_run,
                     progress=progress)
    outcome.warnings = [str(warning) for warning in parsed.warnings]
    outcome.rejected.sort(key=lambda entry: entry[0])
    return outcome


def do_push_readings(sensor: Sensor, body: bytes, *, senml: bool,
                     now: dt.datetime | None = None) -> IngestOutcome:
    """Store a device's HTTP batch (Taihe JSON or SenML). The batch is all or nothing:
    a bad record raises PayloadInvalid naming it, and nothing is stored. A reading for
    another sensor than the token's is refused."""
    moment = now or timezone.now()
    parser = parse_senml if senml else parse_json_readings
    readings = parser(body, now=moment, default_sensor=sensor.code)
    foreign = sorted({r.sensor for r in readings if r.sensor != sensor.code})
    if foreign:
        raise PayloadInvalid(fields={"sensor": _("This token may only send readings of %(code)s, "
                                                 "not %(others)s.") % {
            "code": sensor.code, "others": ", ".join(foreign)}})
    return ingest(_from_live(readings), source=IngestBatch.Source.HTTP, now=moment)


def do_receive_uplink(provider: str, body: bytes, *,
                      now: dt.datetime | None = None) -> IngestOutcome:
    """Store a LoRaWAN network server's uplink (``provider``: ``things-stack`` or
    ``chirpstack``). The device is found by its DevEUI (a sensor's LoRaWAN device EUI) or
    its device id (a sensor's code). Raises PayloadInvalid, NotFound (unknown device)."""
    moment = now or timezone.now()
    if provider == "things-stack":
        uplink = parse_things_stack_uplink(body, now=moment)
    elif provider == "chirpstack":
        uplink = parse_chirpstack_uplink(body, now=moment)
    else:
        raise NotFound()
    sensor = None
    if uplink.dev_eui:
        sensor = Sensor.objects.filter(lorawan_device_eui=uplink.dev_eui.upper()).first()
    if sensor is None:
        sensor = Sensor.objects.filter(code=uplink.sensor).first()
        # A sensor configured with another DevEUI is another device, whatever its id says.
        if (sensor is not None and sensor.lorawan_device_eui and uplink.dev_eui
                and sensor.lorawan_device_eui != uplink.dev_eui.upper()):
            sensor = None
    if sensor is None:
        raise NotFound(detail=_("No sensor has the device %(device)s.") % {
            "device": uplink.dev_eui or uplink.sensor})
    readings = [Incoming(sensor.code, _LIVE_QUANTITY.get((r.quantity, r.unit), r.quantity),
                         r.time, r.value, index)
                for index, r in enumerate(uplink.readings, start=1)]
    return ingest(readings, source=IngestBatch.Source.LORAWAN, now=moment,
                  rejected=[(0, name, reason) for name, reason in uplink.rejected_fields])


def do_receive_mqtt(topic: str, payload: bytes, *, now: dt.datetime | None = None) -> None:
    """Handle one MQTT message (``taihe/<site>/sensors/<sensor>/readings|status``).

    Raises PayloadInvalid for a message that can never be stored (the subscriber then
    acknowledges and drops it); any other error means "try again" (not acknowledged)."""
    moment = now or timezone.now()
    try:
        where = parse_topic(topic)
    except ValueError as exc:
        # A topic outside the scheme can never be stored: acknowledged and dropped, not
        # redelivered forever.
        raise PayloadInvalid(fields={"topic": str(exc)}) from exc
    if where.kind == "status":
        status = decode_status_message(where, payload, now=moment)
        sensor = Sensor.objects.filter(code=where.sensor).first()
        if sensor is None:
            raise PayloadInvalid(fields={"topic": _("No sensor has the code %(code)s.") % {
                "code": where.sensor}})
        updates: dict[str, Any] = {}
        if status.state in ("offline", "fault"):
            updates["status"] = Sensor.Status.INACTIVE
        elif status.state == "online" and sensor.status == Sensor.Status.INACTIVE:
            updates["status"] = Sensor.Status.ACTIVE
        if status.battery is not None:
            ingest(_from_live([status.battery]), source=IngestBatch.Source.MQTT, now=moment)
        if updates:
            Sensor.objects.filter(pk=sensor.pk).update(**updates)
        return
    readings = decode_readings_message(where, payload, now=moment)
    outcome = ingest(_from_live(readings), source=IngestBatch.Source.MQTT, now=moment)
    if outcome.rejected and not outcome.stored and not outcome.duplicates:
        _row, name, reason = outcome.rejected[0]
        raise PayloadInvalid(fields={name: reason})


# --- Alerts -------------------------------------------------------------------------------

@dataclass
class AlertRuleData:
    name: str
    kind: str
    parameters: dict[str, Any]
    use_specification: bool = False
    severity: str = AlertRule.Severity.WARNING
    sensor_id: int | None = None
    location_id: int | None = None
    notify_ids: list[int] = field(default_factory=list)
    escalate_after_minutes: int = 30
    escalate_to_ids: list[int] = field(default_factory=list)
    is_active: bool = True


def do_save_alert_rule(actor: Any, rule_id: int | None, data: AlertRuleData) -> AlertRule:
    """Create or change an alert rule. Changing a rule restarts its evaluation state.
    Emits ``conservation.alert_rule.saved.v1``."""
    from taihe.modules.conservation.alerts import check_parameters

    _require(actor, ops.ALERT_RULE_MANAGE.code)
    rule = None
    if rule_id is not None:
        rule = AlertRule.objects.filter(pk=rule_id).first()
        if rule is None:
            raise NotFound()
    errors: dict[str, str] = {}
    if not data.name.strip() or len(data.name) > 200:
        errors["name"] = _("Give the rule a name of at most 200 characters.")
    if data.kind not in AlertRule.Kind.values:
        errors["kind"] = _("Unknown kind of rule.")
    else:
        errors.update(check_parameters(data.kind, data.parameters, data.use_specification))
    if data.severity not in AlertRule.Severity.values:
        errors["severity"] = _("Unknown severity.")
    if data.sensor_id is not None and not Sensor.objects.filter(pk=data.sensor_id).exists():
        errors["sensor_id"] = _("There is no such sensor.")
    if data.location_id is not None and catalog.location(data.location_id) is None:
        errors["location_id"] = _("There is no such location.")
    if not 1 <= data.escalate_after_minutes <= 7 * 24 * 60:
        errors["escalate_after_minutes"] = _("Give 1 minute to 7 days.")
    for name, ids in (("notify_ids", data.notify_ids), ("escalate_to_ids", data.escalate_to_ids)):
        active = {info.id for info in directory.people(sorted(set(ids))) if info.is_active}
        if set(ids) - active:
            errors[name] = _("Unknown or inactive people: %(ids)s.") % {
                "ids": ", ".join(map(str, sorted(set(ids) - active)))}
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        rule = rule or AlertRule()
        rule.name = data.name.strip()
        rule.kind = data.kind
        rule.parameters = dict(data.parameters)
        rule.use_specification = data.use_specification
        rule.severity = data.severity
        rule.sensor_id = data.sensor_id
        rule.location_id = data.location_id
        rule.escalate_after_minutes = data.escalate_after_minutes
        rule.is_active = data.is_active
        rule.save()
        rule.notify.set(sorted(set(data.notify_ids)))
        rule.escalate_to.set(sorted(set(data.escalate_to_ids)))
        from taihe.modules.conservation.alerts import reset_states

        reset_states(rule)
        publish(events.AlertRuleSaved(rule_id=rule.pk))
    return rule


def do_delete_alert_rule(actor: Any, rule_id: int) -> None:
    """Delete a rule that never raised an alert; one with alerts is deactivated instead
    (its alerts keep their history)."""
    _require(actor, ops.ALERT_RULE_MANAGE.code)
    rule = AlertRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    if rule.alerts.exists():
        # Its states stay: reactivated, it goes on from where it stopped.
        AlertRule.objects.filter(pk=rule.pk).update(is_active=False)
    else:
        rule.delete()


def _alert_for(actor: Any, alert_id: int) -> Alert:
    _require(actor, ops.ALERT_RESPOND.code)
    from taihe.modules.conservation.selectors import alerts_for

    alert = alerts_for(actor).filter(pk=alert_id).select_for_update().first()
    if alert is None:
        raise NotFound()
    return alert


def do_acknowledge_alert(actor: Any, alert_id: int, *, comment: str = "") -> Alert:
    """Acknowledge an open alert: escalation stops. Emits
    ``conservation.alert.acknowledged.v1``. Raises Conflict when not open."""
    with transaction.atomic():
        alert = _alert_for(actor, alert_id)
        if alert.status != Alert.Status.OPEN:
            raise Conflict(detail=_("Only an open alert can be acknowledged."))
        now = timezone.now()
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.acknowledged_at = now
        alert.acknowledged_by_id = _person_id(actor)
        alert.next_escalation_at = None
        alert.save()
        AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.ACKNOWLEDGED, at=now,
                                  actor_id=alert.acknowledged_by_id, text=comment.strip())
        publish(events.AlertAcknowledged(alert_id=alert.pk))
        push_for_location(alert.location_id, {"alert_id": alert.pk, "sensor_id": alert.sensor_id,
                                              "status": alert.status})
    return alert


def do_comment_alert(actor: Any, alert_id: int, text: str) -> AlertEntry:
    """Add a comment to an alert's history."""
    if not text.strip():
        raise ValidationFailed(fields={"text": _("Write a comment.")})
    if len(text) > 5000:
        raise ValidationFailed(fields={"text": _("At most 5,000 characters.")})
    with transaction.atomic():
        alert = _alert_for(actor, alert_id)
        return AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.COMMENTED,
                                         at=timezone.now(), actor_id=_person_id(actor),
                                         text=text.strip())


def do_resolve_alert(actor: Any, alert_id: int, *, comment: str) -> Alert:
    """Resolve an alert, saying what was done. Emits ``conservation.alert.resolved.v1``."""
    if not comment.strip():
        raise ValidationFailed(fields={"comment": _("Say what was done or found.")})
    with transaction.atomic():
        alert = _alert_for(actor, alert_id)
        if alert.status == Alert.Status.RESOLVED:
            raise Conflict(detail=_("This alert is already resolved."))
        now = timezone.now()
        alert.status = Alert.Status.RESOLVED
        alert.resolved_at = now
        alert.resolved_by_id = _person_id(actor)
        alert.next_escalation_at = None
        if alert.acknowledged_at is None:
            alert.acknowledged_at = now
            alert.acknowledged_by_id = alert.resolved_by_id
        alert.save()
        AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.RESOLVED, at=now,
                                  actor_id=alert.resolved_by_id, text=comment.strip())
        publish(events.AlertResolved(alert_id=alert.pk))
        push_for_location(alert.location_id, {"alert_id": alert.pk, "sensor_id": alert.sensor_id,
                                              "status": alert.status})
    return alert


def apply_retention(days: int) -> int:
    """Delete raw readings older than ``days`` (rollups stay)."""
    return store.apply_retention(days)
