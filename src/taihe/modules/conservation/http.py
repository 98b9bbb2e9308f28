"""Environmental monitoring's API under ``/api/v1/conservation``: parse, call one service or
selector, serialise.

People authenticate as everywhere (session with CSRF, or ``thk_`` tokens). Two kinds of
callers are not people: a sensor pushing its readings (``/push``, only its own ``ths_`` device
token) and a LoRaWAN network server (``/lorawan/...``, only the shared webhook secret). Their
operations take no session, so no CSRF token applies to them.

Sensors in places the caller may not know (restricted stores) are hidden with their readings,
placements and alerts; a past placement in such a place is shown without its place.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from taihe.kernel import authz
from taihe.kernel.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.http import ratelimit
from taihe.kernel.http.api import as_utc
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import metrics, selectors, services
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation import schemas as s
from taihe.modules.conservation.ingest import FORMATS, QUANTITIES
from taihe.modules.conservation.models import (
    Alert,
    AlertRule,
    IngestBatch,
    Sensor,
    Specification,
)
from taihe.modules.conservation.specifications import QuantitySeries

router = Router()
MAX_PAGE = 200
SERIES_POINTS = (10, 5000)
SERIES_DEFAULT = dt.timedelta(days=7)
# A monthly report is the common question; the metrics themselves work on any span.
METRICS_DEFAULT = dt.timedelta(days=30)
# A year of one-minute readings of four quantities is about 30 MB of CSV; twice that leaves
# room for verbose formats (HOBOware with event columns) while bounding a request's memory.
MAX_IMPORT_BYTES = 64 * 1024 * 1024
# A "+" left unencoded in a query string arrives as a space: "…T08:00:00 08:00".
_SPACE_FOR_PLUS = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class WebhookNotConfigured(DomainError):
    code = "not_configured"
    status = 503
    default_detail = gettext_lazy(
        "LoRaWAN webhooks are switched off on this server: the administrator sets "
        "TAIHE_LORAWAN_WEBHOOK_TOKEN to receive uplinks.")


class PayloadTooLarge(DomainError):
    code = "too_large"
    status = 413
    default_detail = gettext_lazy("The request body is too large.")


class DeviceTokenAuth(HttpBearer):
    """``Authorization: Bearer ths_…``: a sensor's own device token. Person sessions and
    ``thk_`` tokens are not accepted here (a device token is all a gateway should hold)."""

    def authenticate(self, request: HttpRequest, token: str) -> Sensor | None:
        sensor = services.sensor_for_token(token.strip())
        if sensor is None:
            ratelimit.hit("token", ratelimit.client_key(request))
        return sensor


class LorawanWebhookAuth(HttpBearer):
    """``Authorization: Bearer <TAIHE_LORAWAN_WEBHOOK_TOKEN>``, the secret the network server's
    webhook (The Things Stack) or HTTP integration (ChirpStack) is configured to send."""

    def __call__(self, request: HttpRequest) -> Any:
        if not getattr(settings, "TAIHE_LORAWAN_WEBHOOK_TOKEN", None):
            raise WebhookNotConfigured()
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        expected = str(settings.TAIHE_LORAWAN_WEBHOOK_TOKEN)
        if secrets.compare_digest(token.strip().encode(), expected.encode()):
            return "lorawan"
        ratelimit.hit("token", ratelimit.client_key(request))
        return None


# --- helpers ------------------------------------------------------------------------------

def _page(limit: int, offset: int) -> tuple[int, int]:
    start = max(offset, 0)
    return start, start + min(max(limit, 1), MAX_PAGE)


def _places(actor: Any) -> dict[int, catalog.LocationInfo]:
    return {place.id: place for place in catalog.locations_visible_to(actor)}


def _check_place(actor: Any, operation: authz.Operation, location_id: int | None,
                 field: str = "location_id") -> None:
    """A place given in input must be one the actor may know, whatever its id says. The
    permission comes first, so that an unpermitted caller learns nothing about the place."""
    authz.require(actor, operation.code)
    if location_id is not None and location_id not in _places(actor):
        raise ValidationFailed(fields={field: _("There is no such location.")})


def _place_ref(location_id: int | None,
               places: dict[int, catalog.LocationInfo]) -> dict[str, Any] | None:
    if location_id is None:
        return None
    info = places.get(location_id) or catalog.location(location_id)
    if info is None:
        return None
    return {"id": info.id, "code": info.code, "name": dict(info.name)}


def _sensor(sensor: Sensor, state: selectors.SensorStatus,
            places: dict[int, catalog.LocationInfo]) -> dict[str, Any]:
    latest = {code: {"time": dt.datetime.fromtimestamp(entry[0], dt.UTC), "value": entry[1]}
              for code, entry in sorted(sensor.last_values.items())}
    body = {name: getattr(sensor, name) for name in (
        "id", "code", "name", "manufacturer", "model", "serial", "quantities",
        "logging_interval_seconds", "status", "battery_volts", "battery_percent",
        "last_reading_at", "token_hint", "lorawan_device_eui", "notes", "created_at",
        "updated_at")}
    body.update(location=_place_ref(sensor.location_id, places),
                state={"code": state.code, "open_alerts": state.open_alerts},
                last_values=latest, has_token=bool(sensor.token_hash))
    return body


def _one_sensor(actor: Any, sensor: Sensor) -> dict[str, Any]:
    sensor.refresh_from_db()
    state = selectors.sensor_statuses([sensor], actor=actor)[sensor.pk]
    return _sensor(sensor, state, _places(actor))


def _sensor_data(sensor: Sensor) -> services.SensorData:
    return services.SensorData(
        code=sensor.code, name=sensor.name, manufacturer=sensor.manufacturer,
        model=sensor.model, serial=sensor.serial, quantities=list(sensor.quantities),
        logging_interval_seconds=sensor.logging_interval_seconds,
        location_id=sensor.location_id, status=sensor.status,
        lorawan_device_eui=sensor.lorawan_device_eui, notes=sensor.notes)


def _moment(value: str, field: str) -> dt.datetime | None:
    """An ISO 8601 date-time from the query string, in UTC (no zone: the museum's zone)."""
    text = _SPACE_FOR_PLUS.sub(r"\1+\2", value.strip())
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(fields={field: _(
            "Give a date and time in ISO 8601, such as 2025-03-01T08:00:00+08:00.")}) from None
    return as_utc(parsed, field)


def _span(start: str, end: str, default: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
    first, last = _moment(start, "start"), _moment(end, "end")
    try:
        if last is None:
            last = timezone.now() if first is None else first + default
        if first is None:
            first = last - default
    except OverflowError:
        # The default span reaches past year 1 or 9999.
        raise ValidationFailed(fields={"end" if end.strip() else "start": _(
            "This date and time is out of range.")}) from None
    if last <= first:
        raise ValidationFailed(fields={"end": _("The end must be after the start.")})
    return first, last


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise PayloadTooLarge() from None


def _outcome(outcome: services.IngestOutcome) -> dict[str, Any]:
    return {"dry_run": outcome.dry_run, "file_format": outcome.file_format,
            "stored": outcome.stored, "duplicates": outcome.duplicates,
            "rejected": [{"row": row, "field": field, "reason": reason}
                         for row, field, reason in outcome.rejected],
            "sensors": outcome.sensors, "first": outcome.first, "last": outcome.last,
            "batch_id": outcome.batch_id, "warnings": outcome.warnings,
            "preview": [{"sensor": sensor, "quantity": quantity, "time": time, "value": value}
                        for sensor, quantity, time, value in outcome.preview]}


# --- Sensors ------------------------------------------------------------------------------

@router.get("/sensors", response=s.SensorPageOut,
            summary="Sensors, with their state and latest values")
def list_sensors(request: HttpRequest, location: int | None = None, status: str = "",
                 state: str = "", q: str = "", limit: int = 50, offset: int = 0) -> Any:
    """``location``: sensors in that place or inside it; ``status``: the service status
    (``active``, ``inactive``, ``retired``); ``state``: the dashboard state (``alert``,
    ``warning``, ``silent``, ``ok``, ``no_data``, ``inactive``); ``q``: part of the code, name,
    serial number or model."""
    sensors = selectors.sensors_for(request.user).order_by("code")
    if location is not None:
        sensors = sensors.filter(location_id__in=catalog.location_ids_within(location))
    if status:
        sensors = sensors.filter(status=status[:16])
    text = q.strip()[:100]
    if text:
        sensors = sensors.filter(Q(code__icontains=text) | Q(name__icontains=text)
                                 | Q(serial__icontains=text) | Q(model__icontains=text))
    start, stop = _page(limit, offset)
    if state:
        # The state is computed, not stored: filter the (few hundred at most) sensors in Python.
        everything = list(sensors)
        states = selectors.sensor_statuses(everything, actor=request.user)
        matching = [sensor for sensor in everything if states[sensor.pk].code == state]
        count, page = len(matching), matching[start:stop]
    else:
        count, page = sensors.count(), list(sensors[start:stop])
        states = selectors.sensor_statuses(page, actor=request.user)
    places = _places(request.user)
    return {"items": [_sensor(sensor, states[sensor.pk], places) for sensor in page],
            "count": count}


@router.get("/sensors/{sensor_id}", response=s.SensorOut)
def get_sensor(request: HttpRequest, sensor_id: int) -> Any:
    return _one_sensor(request.user, selectors.sensor_for(request.user, sensor_id))


@router.post("/sensors", response={201: s.SensorOut}, summary="Add a sensor")
def create_sensor(request: HttpRequest, payload: s.SensorIn) -> Any:
    _check_place(request.user, ops.SENSOR_MANAGE, payload.location_id)
    sensor = services.do_create_sensor(request.user, services.SensorData(**payload.dict()))
    return Status(201, _one_sensor(request.user, sensor))


@router.patch("/sensors/{sensor_id}", response=s.SensorOut,
              summary="Change a sensor; a new location is recorded as a move")
def update_sensor(request: HttpRequest, sensor_id: int, payload: s.SensorPatch) -> Any:
    sensor = selectors.sensor_for(request.user, sensor_id)
    changes = payload.dict(exclude_unset=True)
    if "location_id" in changes:
        _check_place(request.user, ops.SENSOR_MANAGE, changes["location_id"])
    data = _sensor_data(sensor)
    for name, value in changes.items():
        if value is not None or name == "location_id":
            setattr(data, name, value)
    sensor = services.do_update_sensor(request.user, sensor.pk, data)
    return _one_sensor(request.user, sensor)


@router.post("/sensors/{sensor_id}/move", response=s.SensorOut,
             summary="Record that a sensor now hangs in another place")
def move_sensor(request: HttpRequest, sensor_id: int, payload: s.MoveIn) -> Any:
    sensor = selectors.sensor_for(request.user, sensor_id)
    _check_place(request.user, ops.SENSOR_MANAGE, payload.location_id)
    sensor = services.do_move_sensor(request.user, sensor.pk, payload.location_id,
                                     at=as_utc(payload.at, "at"), note=payload.note)
    return _one_sensor(request.user, sensor)


@router.get("/sensors/{sensor_id}/placements", response=list[s.PlacementOut],
            summary="Where the sensor has been, oldest first")
def list_placements(request: HttpRequest, sensor_id: int) -> Any:
    sensor = selectors.sensor_for(request.user, sensor_id)
    places = _places(request.user)
    return [{"id": stay.pk, "restricted": stay.location_id not in places,
             "location_id": stay.location_id if stay.location_id in places else None,
             "location_code": places[stay.location_id].code if stay.location_id in places
             else None,
             "placed_at": stay.placed_at, "removed_at": stay.removed_at,
             "placed_by_id": stay.placed_by_id, "note": stay.note}
            for stay in sensor.placements.order_by("placed_at", "id")]


@router.get("/sensors/{sensor_id}/calibrations", response=list[s.CalibrationOut])
def list_calibrations(request: HttpRequest, sensor_id: int) -> Any:
    sensor = selectors.sensor_for(request.user, sensor_id)
    return [_calibration(item) for item in
            sensor.calibrations.select_related("quantity").order_by("quantity_id",
                                                                     "effective_from")]


def _calibration(item: Any) -> dict[str, Any]:
    return {"id": item.pk, "quantity": item.quantity.code, "effective_from": item.effective_from,
            "offset": item.offset, "reference": item.reference, "note": item.note,
            "recorded_by_id": item.recorded_by_id, "recorded_at": item.recorded_at}


@router.post("/sensors/{sensor_id}/calibrations", response={201: s.CalibrationOut},
             summary="Record a calibration; stored readings from then on are corrected")
def record_calibration(request: HttpRequest, sensor_id: int, payload: s.CalibrationIn) -> Any:
    sensor = selectors.sensor_for(request.user, sensor_id)
    moment = payload.effective_from
    if timezone.is_aware(moment):
        moment = as_utc(moment, "effective_from") or moment
    calibration = services.do_record_calibration(
        request.user, sensor.pk, quantity=payload.quantity, effective_from=moment,
        offset=payload.offset, reference=payload.reference, note=payload.note)
    return Status(201, _calibration(calibration))


@router.post("/sensors/{sensor_id}/token", response={201: s.TokenOut},
             summary="Issue the sensor's device token (shown once; the old one stops working)")
def issue_token(request: HttpRequest, sensor_id: int) -> Any:
    sensor = selectors.sensor_for(request.user, sensor_id)
    token = services.do_issue_token(request.user, sensor.pk)
    return Status(201, {"sensor_id": sensor.pk, "token": token, "hint": token[-4:],
                        "detail": _("Copy the token now: it is not shown again.")})


# --- Readings -----------------------------------------------------------------------------

@router.get("/sensors/{sensor_id}/series", response=s.SeriesOut,
            summary="A chart's series: downsampled, gaps as nulls, with the specification band")
def sensor_series(request: HttpRequest, sensor_id: int, quantity: str, start: str = "",
                  end: str = "", points: int = 500) -> Any:
    """``start``/``end``: ISO 8601 (without a zone: the museum's), default the last 7 days;
    ``points``: about how many buckets the chart has room for (10–5,000). Raw readings when
    they fit, else min/mean/max buckets."""
    sensor = selectors.sensor_for(request.user, sensor_id)
    errors: dict[str, str] = {}
    if quantity not in QUANTITIES:
        errors["quantity"] = _("Unknown quantity.")
    if not SERIES_POINTS[0] <= points <= SERIES_POINTS[1]:
        errors["points"] = _("Ask for %(low)d to %(high)d points.") % {
            "low": SERIES_POINTS[0], "high": SERIES_POINTS[1]}
    try:
        first, last = _span(start, end, SERIES_DEFAULT)
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    return selectors.chart_series(sensor, quantity, first, last, points)


@router.get("/sensors/{sensor_id}/metrics", response=s.MetricsOut,
            summary="Conservation metrics of the sensor's readings against its place's "
                    "specification")
def sensor_metrics(request: HttpRequest, sensor_id: int, start: str = "", end: str = "") -> Any:
    """Every metric row (``metrics.METRIC_CODES``) over ``start``–``end`` (default the last
    30 days), measured against the specification of the sensor's present place."""
    sensor = selectors.sensor_for(request.user, sensor_id)
    first, last = _span(start, end, METRICS_DEFAULT)
    specification = services.specification_for_location(sensor.location_id)
    series = {code: QuantitySeries(times, values)
              for code, (times, values) in selectors.period_series(sensor, first, last).items()}
    result = metrics.period_metrics(series, specification.as_spec() if specification else None)
    return {"sensor": sensor.code, "start": first, "end": last,
            "specification": specification.code if specification else None,
            "lines": [{"code": line.code, "label": line.label, "value": line.value,
                       "display": line.display, "note": line.note} for line in result.lines]}


@router.post("/import", response=s.ImportOut,
             summary="Import a data-logger file (dry_run: check it and store nothing)")
def import_file(request: HttpRequest,
                file: UploadedFile = File(...),  # noqa: B008 (ninja idiom)
                sensor: str = Form(""),
                file_format: str = Form("auto", alias="format"),
                time_zone: str = Form("", alias="timezone"),
                date_order: str = Form(""),
                column_mapping: str = Form(""),
                create_sensor: bool = Form(False),
                dry_run: bool = Form(False)) -> Any:
    errors: dict[str, str] = {}
    if (file.size or 0) > MAX_IMPORT_BYTES:
        errors["file"] = _("The file is larger than %(size)d MB.") % {
            "size": MAX_IMPORT_BYTES // (1024 * 1024)}
    if file_format != "auto" and file_format not in FORMATS:
        errors["format"] = _("Unknown format; known formats: %(known)s.") % {
            "known": ", ".join(["auto", *sorted(FORMATS)])}
    if date_order and date_order not in ("DMY", "MDY", "YMD"):
        errors["date_order"] = _("The date order is DMY, MDY or YMD.")
    mapping = None
    if column_mapping.strip():
        try:
            mapping = json.loads(column_mapping)
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict):
            errors["column_mapping"] = _("The column mapping must be a JSON object.")
    if errors:
        raise ValidationFailed(fields=errors)
    outcome = services.do_import_file(
        request.user, file.read(), file.name or "upload", sensor_code=sensor.strip() or None,
        file_format=file_format, time_zone=time_zone.strip() or None, column_mapping=mapping,
        date_order=date_order or None, create_sensor=create_sensor, dry_run=dry_run)
    return _outcome(outcome)


def _batch(batch: IngestBatch, *, rows: bool = False) -> dict[str, Any]:
    body = {name: getattr(batch, name) for name in (
        "id", "source", "file_name", "file_format", "sensors", "stored", "duplicates",
        "rejected", "first_time", "last_time", "started_at", "finished_at", "by_id")}
    if rows:
        body["rejected_rows"] = [{"row": row, "field": field, "reason": reason}
                                 for row, field, reason in batch.rejected_rows]
    return body


@router.get("/batches", response=s.BatchPageOut, summary="Import history, newest first")
def list_batches(request: HttpRequest, source: str = "", limit: int = 50,
                 offset: int = 0) -> Any:
    batches = selectors.batches_for(request.user)
    if source:
        batches = batches.filter(source=source[:16])
    start, stop = _page(limit, offset)
    return {"items": [_batch(batch) for batch in batches[start:stop]],
            "count": batches.count()}


@router.get("/batches/{batch_id}", response=s.BatchDetailOut,
            summary="One import, with its rejected rows")
def get_batch(request: HttpRequest, batch_id: int) -> Any:
    batch = selectors.batches_for(request.user).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound()
    return _batch(batch, rows=True)


_PUSH_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {
        "type": "object", "required": ["readings"],
        "properties": {"sensor": {"type": "string"},
                       "readings": {"type": "array", "items": {"type": "object"}}}}},
    "application/senml+json": {"schema": {"type": "array", "items": {"type": "object"}}}}}}


@router.post("/push", response=s.PushOut, auth=DeviceTokenAuth(), openapi_extra=_PUSH_BODY,
             summary="A device pushes readings with its own token (Taihe JSON or SenML)")
def push_readings(request: HttpRequest,
                  body_format: str = Query("", alias="format")) -> Any:
    """Taihe JSON readings, or SenML (RFC 8428) with ``Content-Type: application/senml+json``
    or ``?format=senml``. All or nothing: a bad record refuses the batch, naming each bad place
    (``readings[3].time``). The same batch sent again stores nothing new."""
    if body_format not in ("", "json", "senml"):
        raise ValidationFailed(fields={"format": _("Use json or senml.")})
    senml = body_format == "senml" or (
        not body_format and request.content_type == "application/senml+json")
    sensor: Sensor = request.auth  # type: ignore[attr-defined]
    outcome = services.do_push_readings(sensor, _body(request), senml=senml)
    return outcome.summary()


@router.post("/lorawan/things-stack", response=s.PushOut, auth=LorawanWebhookAuth(),
             summary="Uplink webhook of The Things Stack (v3 JSON)")
def things_stack_uplink(request: HttpRequest) -> Any:
    return services.do_receive_uplink("things-stack", _body(request)).summary()


@router.post("/lorawan/chirpstack", response=s.PushOut, auth=LorawanWebhookAuth(),
             summary="Uplink event of ChirpStack's HTTP integration (v4 JSON)")
def chirpstack_uplink(request: HttpRequest) -> Any:
    return services.do_receive_uplink("chirpstack", _body(request)).summary()


# --- Specifications -----------------------------------------------------------------------

def _specification(actor: Any, specification_id: int) -> Specification:
    if not selectors.can_view(actor):
        raise PermissionDenied()
    found = selectors.specifications().filter(pk=specification_id).first()
    if found is None:
        raise NotFound()
    return found


SPECIFICATION_FIELDS = ("code", "name", "t_min", "t_max", "rh_min", "rh_max",
                        "max_t_change_24h", "max_rh_change_24h", "lux_max",
                        "annual_lux_hours_max", "uv_max", "source")


@router.get("/specifications", response=list[s.SpecificationOut],
            summary="Published presets first, then the museum's own")
def list_specifications(request: HttpRequest) -> Any:
    if not selectors.can_view(request.user):
        return []
    return list(selectors.specifications())


@router.get("/specifications/{specification_id}", response=s.SpecificationOut)
def get_specification(request: HttpRequest, specification_id: int) -> Any:
    return _specification(request.user, specification_id)


@router.post("/specifications", response={201: s.SpecificationOut})
def create_specification(request: HttpRequest, payload: s.SpecificationIn) -> Any:
    data = services.SpecificationData(**payload.dict())
    return Status(201, services.do_save_specification(request.user, None, data))


@router.patch("/specifications/{specification_id}", response=s.SpecificationOut,
              summary="Change a custom specification (presets are read-only)")
def update_specification(request: HttpRequest, specification_id: int,
                         payload: s.SpecificationPatch) -> Any:
    found = _specification(request.user, specification_id)
    current = {name: getattr(found, name) for name in SPECIFICATION_FIELDS}
    changes = payload.dict(exclude_unset=True)
    for name in ("code", "name", "source"):
        if changes.get(name, "") is None:
            del changes[name]
    data = services.SpecificationData(**{**current, **changes})
    return services.do_save_specification(request.user, found.pk, data)


@router.delete("/specifications/{specification_id}", response={204: None},
               summary="Delete an unused custom specification")
def delete_specification(request: HttpRequest, specification_id: int) -> Any:
    services.do_delete_specification(request.user,
                                     _specification(request.user, specification_id).pk)
    return Status(204, None)


@router.put("/places/{location_id}/environment", response=s.EnvironmentOut,
            summary="Set the specification a place keeps to and who answers for it")
def set_environment(request: HttpRequest, location_id: int, payload: s.EnvironmentIn) -> Any:
    authz.require(request.user, ops.SPECIFICATION_MANAGE.code)
    if location_id not in _places(request.user):
        raise NotFound()
    place = services.do_assign_environment(request.user, location_id,
                                           specification_id=payload.specification_id,
                                           responsible_ids=payload.responsible_ids)
    return {"location_id": location_id, "specification_id": place.specification_id,
            "specification_code": place.specification.code if place.specification else None,
            "responsible_ids": sorted(place.responsible.values_list("id", flat=True))}


# --- Alert rules --------------------------------------------------------------------------

def _rules_for(actor: Any) -> QuerySet[AlertRule]:
    """Rules the actor may see: those of visible sensors and known places."""
    if not selectors.can_view(actor):
        return AlertRule.objects.none()
    return (AlertRule.objects
            .filter(Q(sensor__isnull=True) | Q(sensor__in=selectors.sensors_for(actor)))
            .filter(Q(location__isnull=True) | Q(location_id__in=list(_places(actor))))
            .prefetch_related("notify", "escalate_to").order_by("name", "id"))


def _rule_for(actor: Any, rule_id: int) -> AlertRule:
    if not selectors.can_view(actor):
        raise PermissionDenied()
    rule = _rules_for(actor).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    return rule


def _rule(rule: AlertRule) -> dict[str, Any]:
    body = {name: getattr(rule, name) for name in (
        "id", "name", "kind", "parameters", "use_specification", "severity", "sensor_id",
        "location_id", "escalate_after_minutes", "is_active", "created_at", "updated_at")}
    body["notify_ids"] = sorted(person.pk for person in rule.notify.all())
    body["escalate_to_ids"] = sorted(person.pk for person in rule.escalate_to.all())
    return body


def _rule_scope(actor: Any, sensor_id: int | None, location_id: int | None) -> None:
    authz.require(actor, ops.ALERT_RULE_MANAGE.code)
    if sensor_id is not None and not selectors.sensors_for(actor).filter(pk=sensor_id).exists():
        raise ValidationFailed(fields={"sensor_id": _("There is no such sensor.")})
    _check_place(actor, ops.ALERT_RULE_MANAGE, location_id)


def _saved_rule(rule: AlertRule) -> dict[str, Any]:
    return _rule(AlertRule.objects.prefetch_related("notify", "escalate_to").get(pk=rule.pk))


@router.get("/rules", response=list[s.AlertRuleOut], summary="Alert rules")
def list_rules(request: HttpRequest) -> Any:
    return [_rule(rule) for rule in _rules_for(request.user)]


@router.get("/rules/{rule_id}", response=s.AlertRuleOut)
def get_rule(request: HttpRequest, rule_id: int) -> Any:
    return _rule(_rule_for(request.user, rule_id))


@router.post("/rules", response={201: s.AlertRuleOut}, summary="Define an alert rule")
def create_rule(request: HttpRequest, payload: s.AlertRuleIn) -> Any:
    _rule_scope(request.user, payload.sensor_id, payload.location_id)
    rule = services.do_save_alert_rule(request.user, None,
                                       services.AlertRuleData(**payload.dict()))
    return Status(201, _saved_rule(rule))


@router.patch("/rules/{rule_id}", response=s.AlertRuleOut,
              summary="Change an alert rule (its evaluation starts afresh)")
def update_rule(request: HttpRequest, rule_id: int, payload: s.AlertRulePatch) -> Any:
    rule = _rule_for(request.user, rule_id)
    current = _rule(rule)
    changes = {name: value for name, value in payload.dict(exclude_unset=True).items()
               if value is not None or name in ("sensor_id", "location_id")}
    merged = {name: changes.get(name, current[name]) for name in (
        "name", "kind", "parameters", "use_specification", "severity", "sensor_id",
        "location_id", "notify_ids", "escalate_after_minutes", "escalate_to_ids", "is_active")}
    _rule_scope(request.user, merged["sensor_id"], merged["location_id"])
    rule = services.do_save_alert_rule(request.user, rule.pk, services.AlertRuleData(**merged))
    return _saved_rule(rule)


@router.delete("/rules/{rule_id}", response={204: None},
               summary="Delete a rule (one that raised alerts is deactivated instead)")
def delete_rule(request: HttpRequest, rule_id: int) -> Any:
    services.do_delete_alert_rule(request.user, _rule_for(request.user, rule_id).pk)
    return Status(204, None)


# --- Alerts -------------------------------------------------------------------------------

def _alert(alert: Alert) -> dict[str, Any]:
    body = {name: getattr(alert, name) for name in (
        "id", "rule_id", "sensor_id", "location_id", "kind", "severity", "summary", "status",
        "value", "condition_since", "opened_at", "condition_cleared_at", "acknowledged_at",
        "acknowledged_by_id", "resolved_at", "resolved_by_id", "escalation_level")}
    body["rule_name"] = alert.rule.name
    body["sensor_code"] = alert.sensor.code
    return body


def _entry(entry: Any) -> dict[str, Any]:
    return {"id": entry.pk, "kind": entry.kind, "at": entry.at, "actor_id": entry.actor_id,
            "text": entry.text, "recipients": list(entry.recipients or [])}


def _alert_detail(actor: Any, alert_id: int) -> dict[str, Any]:
    if not selectors.can_view(actor):
        raise PermissionDenied()
    alert = (selectors.alerts_for(actor).filter(pk=alert_id)
             .select_related("rule", "sensor").first())
    if alert is None:
        raise NotFound()
    body = _alert(alert)
    body["entries"] = [_entry(entry) for entry in alert.entries.order_by("at", "id")]
    return body


@router.get("/alerts", response=s.AlertPageOut, summary="Alerts, newest first")
def list_alerts(request: HttpRequest, status: str = "", severity: str = "",
                sensor: int | None = None, location: int | None = None, limit: int = 50,
                offset: int = 0) -> Any:
    alerts = selectors.alerts_for(request.user).select_related("rule", "sensor")
    if status:
        alerts = alerts.filter(status=status[:16])
    if severity:
        alerts = alerts.filter(severity=severity[:16])
    if sensor is not None:
        alerts = alerts.filter(sensor_id=sensor)
    if location is not None:
        alerts = alerts.filter(location_id__in=catalog.location_ids_within(location))
    start, stop = _page(limit, offset)
    return {"items": [_alert(alert) for alert in alerts.order_by("-opened_at", "-id")
                      [start:stop]],
            "count": alerts.count()}


@router.get("/alerts/{alert_id}", response=s.AlertDetailOut,
            summary="An alert with its history")
def get_alert(request: HttpRequest, alert_id: int) -> Any:
    return _alert_detail(request.user, alert_id)


@router.post("/alerts/{alert_id}/acknowledge", response=s.AlertDetailOut,
             summary="Acknowledge an open alert: escalation stops")
def acknowledge_alert(request: HttpRequest, alert_id: int, payload: s.AcknowledgeIn) -> Any:
    services.do_acknowledge_alert(request.user, alert_id, comment=payload.comment)
    return _alert_detail(request.user, alert_id)


@router.post("/alerts/{alert_id}/comments", response={201: s.AlertEntryOut},
             summary="Add a comment to an alert's history")
def comment_alert(request: HttpRequest, alert_id: int, payload: s.CommentIn) -> Any:
    return Status(201, _entry(services.do_comment_alert(request.user, alert_id, payload.text)))


@router.post("/alerts/{alert_id}/resolve", response=s.AlertDetailOut,
             summary="Resolve an alert, saying what was done")
def resolve_alert(request: HttpRequest, alert_id: int, payload: s.ResolveIn) -> Any:
    services.do_resolve_alert(request.user, alert_id, comment=payload.comment)
    return _alert_detail(request.user, alert_id)


__all__ = ["router"]
