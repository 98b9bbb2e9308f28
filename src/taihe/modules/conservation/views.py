"""The conservator's monitoring pages: the dashboard, the sensor list and sensor page with its
charts and period metrics, the sensor forms (add, edit, move, calibrate, device token) and the
logger-file import (upload, dry-run preview, column mapping, import, result).

Thin like ``http.py``: parse with a form, call one service or selector, render. Services
decide who may do what; these views only avoid offering what the person could not use.
Sensors in restricted stores never reach a template for a person who may not know those
stores: every sensor comes from ``selectors.sensors_for`` and every place from
``catalog.api.locations_visible_to``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from taihe.kernel import authz
from taihe.kernel.errors import DomainError, ValidationFailed
from taihe.kernel.http.pages import forbidden, not_found, refuse, show_errors
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import alerts as alert_rules
from taihe.modules.conservation import forms as conservation_forms
from taihe.modules.conservation import live_topics, metrics, selectors, services, store
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.ingest import FORMATS, QUANTITIES, LoggerFileError, detect_columns
from taihe.modules.conservation.labels import QUANTITY_LABELS, quantity_label
from taihe.modules.conservation.models import Alert, IngestBatch, Sensor, Specification
from taihe.modules.conservation.specifications import QuantitySeries

# --- Shared helpers -----------------------------------------------------------------------

DISPLAY_ORDER = tuple(QUANTITY_LABELS)
DECIMALS = {"temperature": 1, "relative_humidity": 1, "dew_point": 1, "illuminance": 0,
            "uv": 0, "co2": 0, "voc": 0, "battery": 2, "battery_level": 0, "pressure": 1}
"""Decimals shown per quantity (live.js and charts.js use the same)."""
TILE_QUANTITIES = ("temperature", "relative_humidity", "illuminance", "uv")
"""What a dashboard tile shows: the climate and light, not the battery."""

STATUS_LABELS: dict[str, Any] = {
    "ok": gettext_lazy("In range"),
    "warning": gettext_lazy("Warning"),
    "alert": gettext_lazy("Alert"),
    "silent": gettext_lazy("Silent"),
    "no_data": gettext_lazy("No data yet"),
    "inactive": gettext_lazy("Out of service"),
}
STATUS_HELP: dict[str, Any] = {
    "ok": gettext_lazy("Readings arrive and no alert is open."),
    "warning": gettext_lazy("A warning alert is open."),
    "alert": gettext_lazy("A critical alert is open."),
    "silent": gettext_lazy("No reading for three logging intervals."),
    "no_data": gettext_lazy("Nothing received yet."),
    "inactive": gettext_lazy("Out of service or retired."),
}
STATUS_ORDER = ("alert", "warning", "silent", "ok", "no_data", "inactive")

ROOM_KINDS = frozenset({"gallery", "room", "store", "lab"})
"""Location kinds a dashboard groups sensors by; cases, shelves and boxes show on the tile."""
FLOOR_KINDS = frozenset({"floor", "building", "site"})

PAGE_SIZE = 50
HOUR = 3_600



def format_value(quantity: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{DECIMALS.get(quantity, 2)}f}"


def age_text(seconds: float) -> str:
    """How long ago, shortly: "just now", "3 min ago", "5 h ago", "2 d ago"."""
    if seconds < 60:
        return _("just now")
    minutes = int(seconds // 60)
    if minutes < 60:
        return _("%(count)s min ago") % {"count": minutes}
    hours = minutes // 60
    if hours < 48:
        return _("%(count)s h ago") % {"count": hours}
    return _("%(count)s d ago") % {"count": hours // 24}


def age_templates() -> dict[str, str]:
    """The same texts with ``{n}`` for live.js, which keeps the ages current."""
    return {"now": _("just now"), "minutes": _("%(count)s min ago") % {"count": "{n}"},
            "hours": _("%(count)s h ago") % {"count": "{n}"},
            "days": _("%(count)s d ago") % {"count": "{n}"}}


def is_fragment(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _int_or_none(text: str | None) -> int | None:
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        return None
    return number if -(2**31) < number < 2**31 else None


def place_name(info: catalog.LocationInfo, language: str | None = None) -> str:
    """A place's name in the language (then Chinese, English, any), or its code."""
    names = info.name or {}
    preferred = [language] if language else []
    if language and language.lower().startswith("zh"):
        preferred += ["zh-Hans", "zh-Hant"]
    for key in [*preferred, "zh-Hans", "en", "zh-Hant"]:
        if names.get(key):
            return str(names[key])
    return next((str(text) for text in names.values() if text), info.code)


def _chain(info: catalog.LocationInfo, places: Mapping[int, catalog.LocationInfo]
           ) -> list[catalog.LocationInfo]:
    """The place and the places it lies in that the person may know, outermost first."""
    ids = [int(part) for part in info.path.strip("/").split("/") if part]
    chain = [places[i] for i in ids if i in places and i != info.id]
    return [*chain, info]


def place_label(info: catalog.LocationInfo | None, places: Mapping[int, catalog.LocationInfo],
                language: str | None = None) -> str:
    """"Main site › Gallery 1 › Case 3", or "" for no place."""
    if info is None:
        return ""
    return " › ".join(place_name(step, language) for step in _chain(info, places))


def visible_places(actor: Any) -> dict[int, catalog.LocationInfo]:
    """The location tree the actor may know, in tree order."""
    return {info.id: info for info in catalog.locations_visible_to(actor)}


def place_choices(places: Mapping[int, catalog.LocationInfo], language: str | None = None
                  ) -> list[tuple[Any, str]]:
    """Places indented by depth, in tree order, for a select."""
    return [(info.id, "\u2003" * (len(info.path.strip("/").split("/")) - 1)
             + f"{info.code} {place_name(info, language)}") for info in places.values()]


def quantity_choices(codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Quantities (those known to the store, or ``codes``) in display order with names."""
    known = list(codes) if codes is not None else list(store.quantity_ids())
    ordered = [code for code in DISPLAY_ORDER if code in known]
    ordered += sorted(code for code in known if code not in ordered)
    return [(code, quantity_label(code)) for code in ordered]


def specification_name(spec: Specification | None, language: str | None = None) -> str:
    if spec is None:
        return ""
    names = spec.name or {}
    for key in [language or "", "zh-Hans", "en"]:
        if key and names.get(key):
            return f"{names[key]} ({spec.code})"
    return spec.code


def _may(actor: Any, operation: Any) -> bool:
    return authz.can(actor, operation.code)


SECTION_TABS: tuple[tuple[str, Any, Any], ...] = (
    ("conservation:dashboard", gettext_lazy("Environment"), ops.MONITORING_VIEW),
    ("conservation:sensors", gettext_lazy("Sensors"), ops.MONITORING_VIEW),
    ("conservation:alerts", gettext_lazy("Alerts"), ops.MONITORING_VIEW),
    ("conservation:rules", gettext_lazy("Alert rules"), ops.MONITORING_VIEW),
    ("conservation:specifications", gettext_lazy("Specifications and places"),
     ops.MONITORING_VIEW),
    ("conservation:reports", gettext_lazy("Reports"), ops.REPORT_VIEW),
)
"""The monitoring section's tabs (the same as ``views_care``'s pages show)."""


def section_nav(actor: Any, current: str = "") -> list[dict[str, Any]]:
    """The tabs of the monitoring section the person may open; ``current`` is marked."""
    return [{"url": reverse(name), "label": label, "current": name == current}
            for name, label, operation in SECTION_TABS if _may(actor, operation)]


# --- Latest values and sparklines -----------------------------------------------------------

@dataclass
class LatestValue:
    quantity: str
    label: str
    unit: str
    text: str
    epoch: int | None
    at: dt.datetime | None
    age: str
    sparkline: str = ""
    low: float | None = None
    high: float | None = None


def latest_values(sensor: Sensor, codes: Iterable[str], units: Mapping[str, str],
                  now: dt.datetime) -> list[LatestValue]:
    values = []
    for code in codes:
        entry = sensor.last_values.get(code)
        epoch = int(entry[0]) if entry else None
        value = float(entry[1]) if entry and entry[1] is not None else None
        at = dt.datetime.fromtimestamp(epoch, dt.UTC) if epoch is not None else None
        values.append(LatestValue(
            quantity=code, label=quantity_label(code), unit=units.get(code, ""),
            text=format_value(code, value), epoch=epoch, at=at,
            age=age_text((now - at).total_seconds()) if at else ""))
    return values


def _sparkline_window(now: dt.datetime) -> tuple[int, int]:
    end = (int(now.timestamp()) // HOUR + 1) * HOUR
    return end - 24 * HOUR, end


def sparkline_values(sensor: Sensor, quantity_id: int, now: dt.datetime,
                     hourly: dict[tuple[int, int], dict[int, float]] | None = None
                     ) -> list[float | None]:
    """Hourly means of the last 24 hours, one per hour (None where nothing was logged).
    ``hourly`` is :func:`store.hourly_means_of_many` for the same window, when a page draws
    many sparklines (one query instead of one per sparkline)."""
    start, end = _sparkline_window(now)
    if hourly is None:
        hourly = store.hourly_means_of_many([sensor.pk], start, end)
    means = hourly.get((sensor.pk, quantity_id), {})
    slots = [means.get(start + index * HOUR) for index in range(24)]
    return [round(mean, 2) if mean is not None and math.isfinite(mean) else None
            for mean in slots]


class _Specifications:
    """The specification of each place, looked up once per page."""

    def __init__(self) -> None:
        self._found: dict[int | None, Specification | None] = {}

    def of(self, location_id: int | None) -> Specification | None:
        if location_id not in self._found:
            self._found[location_id] = services.specification_for_location(location_id)
        return self._found[location_id]


# --- Dashboard ------------------------------------------------------------------------------

@dataclass
class Tile:
    sensor: Sensor
    status: str
    status_label: str
    open_alerts: int
    place: str
    values: list[LatestValue]


@dataclass
class Room:
    title: str
    code: str
    tiles: list[Tile] = field(default_factory=list)


@dataclass
class Section:
    title: str
    rooms: dict[int | None, Room] = field(default_factory=dict)


@dataclass(frozen=True)
class _Where:
    """Where a tile goes on the dashboard: its section (floor), room and exact place."""

    section_order: int
    section_key: Any
    section_title: str
    room_order: int
    room_key: int | None
    room_title: str
    room_code: str
    exact: str


def _where(info: catalog.LocationInfo | None, places: Mapping[int, catalog.LocationInfo],
           order: Mapping[int, int], language: str) -> _Where:
    """The room is the nearest gallery, room, store or lab holding the place (else the place
    itself); the section is the nearest floor, building or site holding the room (else the
    room's parent). Sensors without a place come last."""
    last = len(order)
    if info is None:
        return _Where(last + 1, "", _("Not placed"), last, None, "", "", "")
    chain = _chain(info, places)
    room_at = next((i for i in range(len(chain) - 1, -1, -1) if chain[i].kind in ROOM_KINDS),
                   len(chain) - 1)
    room = chain[room_at]
    floor = next((chain[i] for i in range(room_at - 1, -1, -1) if chain[i].kind in FLOOR_KINDS),
                 chain[room_at - 1] if room_at > 0 else None)
    exact = " › ".join(place_name(step, language) for step in chain[room_at + 1:])
    if floor is None:
        return _Where(last, "", _("Other places"), order.get(room.id, last), room.id,
                      place_name(room, language), room.code, exact)
    return _Where(order.get(floor.id, last), floor.id, place_label(floor, places, language),
                  order.get(room.id, last), room.id, place_name(room, language), room.code,
                  exact)


def dashboard_sections(actor: Any, *, now: dt.datetime | None = None) -> list[Section]:
    """The sensors the actor may see as tiles, grouped floor by floor and room by room."""
    moment = now or timezone.now()
    language = get_language()
    places = visible_places(actor)
    order = {place_id: index for index, place_id in enumerate(places)}
    sensors = list(selectors.sensors_for(actor).exclude(status=Sensor.Status.RETIRED))
    statuses = selectors.sensor_statuses(sensors, now=moment, actor=actor)
    units = store_units()
    ids = store.quantity_ids()
    specs = _Specifications()
    hourly = store.hourly_means_of_many([sensor.pk for sensor in sensors],
                                        *_sparkline_window(moment))
    placed: list[tuple[_Where, Tile]] = []
    for sensor in sensors:
        status = statuses[sensor.pk]
        codes = [code for code in TILE_QUANTITIES
                 if code in sensor.quantities or code in sensor.last_values]
        values = latest_values(sensor, codes, units, moment)
        spec = specs.of(sensor.location_id)
        for value in values:
            if value.quantity in ids:
                value.sparkline = json.dumps(sparkline_values(sensor, ids[value.quantity],
                                                              moment, hourly))
            value.low, value.high = alert_rules.spec_band(spec, value.quantity)
        where = _where(places.get(sensor.location_id or 0), places, order, language)
        placed.append((where, Tile(sensor, status.code, str(STATUS_LABELS[status.code]),
                                   status.open_alerts, where.exact, values)))
    placed.sort(key=lambda entry: (entry[0].section_order, entry[0].room_order, entry[0].exact,
                                   entry[1].sensor.code))
    sections: dict[Any, Section] = {}
    for where, tile in placed:
        section = sections.setdefault((where.section_order, where.section_key),
                                      Section(where.section_title))
        section.rooms.setdefault(where.room_key, Room(where.room_title, where.room_code)
                                 ).tiles.append(tile)
    return list(sections.values())


def store_units() -> dict[str, str]:
    return {code: store.quantity_by_id(qid).unit for code, qid in store.quantity_ids().items()}


def _status_legend() -> list[dict[str, str]]:
    return [{"code": code, "label": str(STATUS_LABELS[code]), "help": str(STATUS_HELP[code])}
            for code in STATUS_ORDER]


def _live_context(actor: Any) -> dict[str, Any]:
    return {"live_restricted": live_topics.may_listen_restricted(actor),
            "age_templates": age_templates(), "decimals": json.dumps(DECIMALS),
            "status_labels": json.dumps({code: str(label)
                                         for code, label in STATUS_LABELS.items()},
                                        ensure_ascii=False)}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    sections = dashboard_sections(actor)
    context = {
        "nav": section_nav(actor, "conservation:dashboard"),
        "sections": sections, "legend": _status_legend(),
        "sensor_count": sum(len(room.tiles) for s in sections for room in s.rooms.values()),
        "open_alerts": selectors.alerts_for(actor).exclude(
            status=Alert.Status.RESOLVED).count(),
        "may_manage": _may(actor, ops.SENSOR_MANAGE),
        "may_import": _may(actor, ops.READING_IMPORT),
        **_live_context(actor),
    }
    if is_fragment(request):
        return render(request, "conservation/_dashboard_places.html", context)
    return render(request, "conservation/dashboard.html", context)


# --- Sensor list ------------------------------------------------------------------------------

@login_required
def sensor_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    language = get_language()
    params = request.GET
    places = visible_places(actor)
    sensors = selectors.sensors_for(actor)
    text = params.get("q", "").strip()[:100]
    if text:
        sensors = sensors.filter(Q(code__icontains=text) | Q(name__icontains=text)
                                 | Q(serial__icontains=text) | Q(model__icontains=text)
                                 | Q(manufacturer__icontains=text))
    place_id = _int_or_none(params.get("place"))
    if place_id is not None:
        within = catalog.location_ids_within(place_id) if place_id in places else []
        sensors = sensors.filter(location_id__in=within)
    found = list(sensors)
    statuses = selectors.sensor_statuses(found, actor=actor)
    status = params.get("status", "")
    if status in STATUS_LABELS:
        found = [sensor for sensor in found if statuses[sensor.pk].code == status]
    page = Paginator(found, PAGE_SIZE).get_page(_int_or_none(params.get("page")) or 1)
    units = store_units()
    now = timezone.now()
    rows = [{"sensor": sensor, "status": statuses[sensor.pk].code,
             "status_label": STATUS_LABELS[statuses[sensor.pk].code],
             "open_alerts": statuses[sensor.pk].open_alerts,
             "place": place_label(places.get(sensor.location_id or 0), places, language),
             "values": latest_values(sensor, [code for code in TILE_QUANTITIES
                                              if code in sensor.quantities], units, now)}
            for sensor in page.object_list]
    rest = params.copy()
    rest.pop("page", None)
    return render(request, "conservation/sensors.html", {
        "nav": section_nav(actor, "conservation:sensors"),
        "rows": rows, "page_obj": page, "query_string": rest.urlencode(), "total": len(found),
        "params": params, "place_choices": place_choices(places, language),
        "selected_place": place_id, "statuses": _status_legend(), "selected_status": status,
        "may_manage": _may(actor, ops.SENSOR_MANAGE),
        "may_import": _may(actor, ops.READING_IMPORT),
    })


# --- Sensor page ------------------------------------------------------------------------------

PERIODS: dict[str, tuple[dt.timedelta, Any]] = {
    "24h": (dt.timedelta(hours=24), gettext_lazy("24 hours")),
    "7d": (dt.timedelta(days=7), gettext_lazy("7 days")),
    "30d": (dt.timedelta(days=30), gettext_lazy("30 days")),
    "1y": (dt.timedelta(days=365), gettext_lazy("1 year")),
}
DEFAULT_PERIOD = "7d"
LONGEST_PERIOD = dt.timedelta(days=366 * 10)
# Days far enough out that a period and its UTC bounds always exist (year 1 and 9999 do not).
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)


@dataclass
class Period:
    key: str
    start: dt.datetime
    end: dt.datetime
    first_day: dt.date
    last_day: dt.date
    error: str = ""


def choose_period(params: Mapping[str, str], now: dt.datetime) -> Period:
    """The period of the sensor page: the last 24 h, 7 d, 30 d or year, or whole museum
    days from ``from`` to ``to``; a bad custom period falls back to the default."""
    zone = timezone.get_default_timezone()
    key = params.get("period", DEFAULT_PERIOD)
    if key == "custom":
        try:
            first = dt.date.fromisoformat(params.get("from", ""))
            last = dt.date.fromisoformat(params.get("to", ""))
        except ValueError:
            error = _("Give the first and last day of the period.")
        else:
            if last < first:
                error = _("The last day is before the first.")
            elif first < EARLIEST_DAY or last > LATEST_DAY:
                error = _("Choose days from %(first)s to %(last)s.") % {
                    "first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()}
            elif last - first >= LONGEST_PERIOD:
                error = _("Choose at most ten years.")
            else:
                start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
                end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min,
                                          tzinfo=zone)
                return Period("custom", start, end, first, last)
        fallback = choose_period({"period": DEFAULT_PERIOD}, now)
        fallback.error = error
        return fallback
    span = PERIODS.get(key, PERIODS[DEFAULT_PERIOD])[0]
    key = key if key in PERIODS else DEFAULT_PERIOD
    start = now - span
    return Period(key, start, now, timezone.localtime(start, zone).date(),
                  timezone.localtime(now, zone).date())


def chart_quantities(sensor: Sensor) -> list[str]:
    """The sensor's quantities in display order, with the dew point when it measures both
    temperature and relative humidity."""
    codes = [code for code, _label in quantity_choices(
        [code for code in sensor.quantities if code in store.quantity_ids()])]
    if "temperature" in codes and "relative_humidity" in codes:
        codes.insert(codes.index("relative_humidity") + 1, "dew_point")
    return codes


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sensor_metrics(sensor: Sensor, period: Period, spec: Specification | None
                    ) -> tuple[list[metrics.MetricLine], list[metrics.MetricLine], str]:
    """The period metrics of the sensor: (computed rows, rows without a value, error)."""
    found = selectors.period_series(sensor, period.start, period.end)
    series = {code: QuantitySeries(times, values) for code, (times, values) in found.items()}
    try:
        result = metrics.period_metrics(series, spec.as_spec() if spec else None)
    except ValueError as error:
        return [], [], _("The metrics could not be computed: %(reason)s") % {"reason": error}
    return ([line for line in result.lines if line.value is not None],
            [line for line in result.lines if line.value is None], "")


def _placements(sensor: Sensor, places: Mapping[int, catalog.LocationInfo], language: str
                ) -> list[dict[str, Any]]:
    rows = []
    for placement in sensor.placements.order_by("-placed_at"):
        info = places.get(placement.location_id)
        rows.append({"placement": placement,
                     "place": place_label(info, places, language) if info
                     else _("A place you may not see")})
    return rows


def _recent_imports(actor: Any, sensor: Sensor) -> list[IngestBatch]:
    # IngestBatch.sensors is a JSON list of codes; the text match narrows the rows on every
    # engine (JSON "contains" is not available on SQLite) and the exact test follows.
    candidates = selectors.batches_for(actor).filter(
        source=IngestBatch.Source.FILE, sensors__icontains=json.dumps(sensor.code))[:50]
    return [batch for batch in candidates if sensor.code in batch.sensors][:10]


def _sensor_or_refusal(request: HttpRequest, sensor_id: int) -> Sensor | HttpResponse:
    try:
        return selectors.sensor_for(request.user, sensor_id)
    except DomainError as error:
        return refuse(request, error) or not_found(request)


@login_required
def sensor_detail(request: HttpRequest, sensor_id: int) -> HttpResponse:
    actor = request.user
    sensor = _sensor_or_refusal(request, sensor_id)
    if isinstance(sensor, HttpResponse):
        return sensor
    language = get_language()
    now = timezone.now()
    places = visible_places(actor)
    info = places.get(sensor.location_id) if sensor.location_id is not None else None
    spec = services.specification_for_location(sensor.location_id)
    units = store_units()
    statuses = selectors.sensor_statuses([sensor], now=now, actor=actor)
    latest = latest_values(sensor, quantity_choices_codes(sensor), units, now)
    context: dict[str, Any] = {
        "sensor": sensor, "status": statuses[sensor.pk].code,
        "status_label": STATUS_LABELS[statuses[sensor.pk].code],
        "open_alert_count": statuses[sensor.pk].open_alerts, "latest": latest,
        "legend": _status_legend(), **_live_context(actor),
    }
    if is_fragment(request):
        return render(request, "conservation/_sensor_latest.html", context)
    period = choose_period(request.GET, now)
    lines, missing, metrics_error = _sensor_metrics(sensor, period, spec)
    context.update({
        "nav": section_nav(actor, "conservation:sensors"),
        "place": place_label(info, places, language),
        "specification": specification_name(spec, language),
        "quantities": [quantity_label(code) for code in sensor.quantities],
        "placements": _placements(sensor, places, language),
        "calibrations": sensor.calibrations.select_related("quantity").order_by(
            "-effective_from"),
        "alerts": selectors.alerts_for(actor).filter(sensor=sensor).exclude(
            status=Alert.Status.RESOLVED)[:20],
        "imports": _recent_imports(actor, sensor),
        "chart_quantities": ",".join(chart_quantities(sensor)),
        "period": period, "periods": [(key, label) for key, (_span, label) in PERIODS.items()],
        "chart_start": _iso(period.start), "chart_end": _iso(period.end),
        "time_zone": settings.TIME_ZONE, "metric_lines": lines, "metric_missing": missing,
        "metrics_error": metrics_error,
        "may_manage": _may(actor, ops.SENSOR_MANAGE),
        "may_import": _may(actor, ops.READING_IMPORT),
    })
    return render(request, "conservation/sensor.html", context)


def quantity_choices_codes(sensor: Sensor) -> list[str]:
    codes = list(dict.fromkeys([*sensor.quantities, *sensor.last_values]))
    return [code for code, _label in quantity_choices(codes)]


# --- Chart series (JSON) -------------------------------------------------------------------

MAX_SERIES_SPAN = dt.timedelta(days=366 * 50)


def _json_error(error: DomainError, status: int | None = None) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=status or error.status)


def _moment(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time with its offset (``Z`` allowed), in UTC; None when absent; ValueError
    when malformed or without an offset, OverflowError when UTC cannot hold it (year 1 at
    +14:00)."""
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(text)
    return moment.astimezone(dt.UTC)


@login_required
def sensor_series(request: HttpRequest, sensor_id: int) -> HttpResponse:
    """The chart JSON of ``selectors.chart_series`` for one quantity of one sensor."""
    actor = request.user
    try:
        sensor = selectors.sensor_for(actor, sensor_id)
    except DomainError as error:
        return _json_error(error)
    params = request.GET
    errors: dict[str, str] = {}
    quantity = params.get("quantity", "")
    if quantity not in chart_quantities(sensor):
        errors["quantity"] = _("This sensor does not measure %(quantity)s.") % {
            "quantity": quantity or "?"}
    moments: dict[str, dt.datetime | None] = {}
    for name in ("start", "end"):
        try:
            moments[name] = _moment(params.get(name))
        except ValueError:
            errors[name] = _("Give the time in ISO 8601 with its UTC offset.")
        except OverflowError:
            errors[name] = _("This date and time is out of range.")
    start, end = moments.get("start"), moments.get("end")
    if end is None and "end" not in errors:
        end = timezone.now()
    if start is None and end is not None and "start" not in errors:
        try:
            start = end - dt.timedelta(days=7)
        except OverflowError:
            errors["end"] = _("This date and time is out of range.")
    if start is not None and end is not None:
        if start >= end:
            errors["start"] = _("The start must be before the end.")
        elif end - start > MAX_SERIES_SPAN:
            errors["start"] = _("Ask for at most fifty years.")
    points = _int_or_none(params.get("points") or "1000")
    if points is None or not 10 <= points <= 5000:
        errors["points"] = _("Ask for 10 to 5,000 points.")
    if errors or start is None or end is None or points is None:
        return _json_error(ValidationFailed(fields=errors), status=400)
    data = selectors.chart_series(sensor, quantity, start, end, points)
    data["label"] = quantity_label(quantity)
    return JsonResponse(data)


# --- Sensor forms -------------------------------------------------------------------------------

def _manageable(request: HttpRequest, sensor_id: int | None) -> Sensor | HttpResponse | None:
    """The sensor (None for a new one) when the person may manage sensors; else the page
    that refuses."""
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    sensor = None
    if sensor_id is not None:
        found = _sensor_or_refusal(request, sensor_id)
        if isinstance(found, HttpResponse):
            return found
        sensor = found
    if not _may(actor, ops.SENSOR_MANAGE):
        return forbidden(request)
    return sensor


def _sensor_initial(sensor: Sensor) -> dict[str, Any]:
    return {"code": sensor.code, "name": sensor.name, "manufacturer": sensor.manufacturer,
            "model": sensor.model, "serial": sensor.serial, "quantities": sensor.quantities,
            "logging_interval_seconds": sensor.logging_interval_seconds,
            "location": sensor.location_id, "status": sensor.status,
            "lorawan_device_eui": sensor.lorawan_device_eui, "notes": sensor.notes}


@login_required
@require_http_methods(["GET", "POST"])
def sensor_create(request: HttpRequest) -> HttpResponse:
    return _sensor_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def sensor_edit(request: HttpRequest, sensor_id: int) -> HttpResponse:
    return _sensor_form(request, sensor_id)


def _sensor_form(request: HttpRequest, sensor_id: int | None) -> HttpResponse:
    actor = request.user
    sensor = _manageable(request, sensor_id)
    if isinstance(sensor, HttpResponse):
        return sensor
    language = get_language()
    kwargs: dict[str, Any] = {"places": place_choices(visible_places(actor), language),
                              "quantities": quantity_choices()}
    initial = _sensor_initial(sensor) if sensor else {"quantities": ["temperature",
                                                                     "relative_humidity"]}
    form = conservation_forms.SensorForm(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sensor_data = services.SensorData(
            code=data["code"].strip(), name=data["name"], manufacturer=data["manufacturer"],
            model=data["model"], serial=data["serial"], quantities=data["quantities"],
            logging_interval_seconds=data["logging_interval_seconds"],
            location_id=data["location"], status=data["status"],
            lorawan_device_eui=data["lorawan_device_eui"], notes=data["notes"])
        try:
            saved = (services.do_update_sensor(actor, sensor.pk, sensor_data) if sensor
                     else services.do_create_sensor(actor, sensor_data))
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, error, {"location_id": "location"})
        else:
            messages.success(request, _("Sensor %(code)s is saved.") % {"code": saved.code})
            return redirect("conservation:sensor", sensor_id=saved.pk)
    return render(request, "conservation/sensor_form.html", {
        "form": form, "sensor": sensor, "nav": section_nav(actor, "conservation:sensors")},
        status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def sensor_move(request: HttpRequest, sensor_id: int) -> HttpResponse:
    actor = request.user
    sensor = _manageable(request, sensor_id)
    if not isinstance(sensor, Sensor):
        return sensor or not_found(request)
    language = get_language()
    places = visible_places(actor)
    form = conservation_forms.MoveForm(request.POST or None,
                                       places=place_choices(places, language))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_move_sensor(actor, sensor.pk, data["location"], at=data["at"],
                                    note=data["note"])
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, error, {"location_id": "location"})
        else:
            messages.success(request, _("The move of %(code)s is recorded.")
                             % {"code": sensor.code})
            return redirect("conservation:sensor", sensor_id=sensor.pk)
    info = places.get(sensor.location_id) if sensor.location_id is not None else None
    return render(request, "conservation/sensor_move.html", {
        "form": form, "sensor": sensor, "place": place_label(info, places, language),
        "nav": section_nav(actor, "conservation:sensors")},
        status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def sensor_calibrate(request: HttpRequest, sensor_id: int) -> HttpResponse:
    actor = request.user
    sensor = _manageable(request, sensor_id)
    if not isinstance(sensor, Sensor):
        return sensor or not_found(request)
    codes = [code for code in sensor.quantities if code in store.quantity_ids()]
    form = conservation_forms.CalibrationForm(request.POST or None,
                                              quantities=quantity_choices(codes))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_record_calibration(
                actor, sensor.pk, quantity=data["quantity"],
                effective_from=data["effective_from"], offset=data["offset"],
                reference=data["reference"], note=data["note"])
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, error)
        else:
            messages.success(request, _(
                "The calibration is recorded; stored readings from %(time)s on are corrected.")
                % {"time": timezone.localtime(data["effective_from"]).strftime(
                    "%Y-%m-%d %H:%M")})
            return redirect("conservation:sensor", sensor_id=sensor.pk)
    return render(request, "conservation/sensor_calibrate.html", {
        "form": form, "sensor": sensor, "nav": section_nav(actor, "conservation:sensors"),
        "calibrations": sensor.calibrations.select_related("quantity").order_by(
            "-effective_from")},
        status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def sensor_token(request: HttpRequest, sensor_id: int) -> HttpResponse:
    """Issue a device token. The token is in the answer to the POST only (never stored,
    never cached): its hash is all the database keeps."""
    actor = request.user
    sensor = _manageable(request, sensor_id)
    if not isinstance(sensor, Sensor):
        return sensor or not_found(request)
    token = ""
    if request.method == "POST":
        try:
            token = services.do_issue_token(actor, sensor.pk)
        except DomainError as error:
            return refuse(request, error) or not_found(request)
        sensor.refresh_from_db()
    push_url = request.build_absolute_uri("/api/v1/conservation/push")
    example = json.dumps({"sensor": sensor.code, "readings": [
        {"time": _iso(timezone.now().replace(second=0, microsecond=0)),
         "temperature": 20.1, "relative_humidity": 48.5}]}, ensure_ascii=False)
    curl = (f"curl -X POST {push_url} \\\n  -H \"Authorization: Bearer {token or 'ths_…'}\" "
            f"\\\n  -H \"Content-Type: application/json\" \\\n  -d '{example}'")
    response = render(request, "conservation/sensor_token.html", {
        "sensor": sensor, "token": token, "curl": curl, "push_url": push_url,
        "nav": section_nav(actor, "conservation:sensors")})
    response["Cache-Control"] = "no-store"
    return response


# --- Logger-file import ---------------------------------------------------------------------

UPLOAD_FOLDER = ("conservation", "uploads")
"""Under MEDIA_ROOT, never served: uploads wait here between the preview and the import."""
UPLOAD_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".dat"})
UPLOAD_SESSION_KEY = "conservation.uploads"
UPLOAD_KEPT_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
"""A year of one-minute readings of five channels is about 30 MB as CSV."""
PREVIEW_REJECTED = 200


def _upload_folder() -> Path:
    folder = Path(settings.MEDIA_ROOT).joinpath(*UPLOAD_FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_stale_uploads(folder: Path) -> None:
    cutoff = time.time() - UPLOAD_KEPT_SECONDS
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue  # another request removed it first


def _keep_upload(request: HttpRequest, upload: Any) -> str:
    """Store the upload under a random name known only to this session; return the name."""
    folder = _upload_folder()
    _forget_stale_uploads(folder)
    suffix = Path(upload.name).suffix.lower()
    token = secrets.token_hex(16) + (suffix if suffix in UPLOAD_SUFFIXES else "")
    with (folder / token).open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    uploads = dict(request.session.get(UPLOAD_SESSION_KEY, {}))
    uploads[token] = Path(upload.name).name[:200]
    request.session[UPLOAD_SESSION_KEY] = uploads
    return token


def _kept_upload(request: HttpRequest, token: str) -> tuple[Path, str] | None:
    """The stored file and the person's file name, if this session uploaded it."""
    name = request.session.get(UPLOAD_SESSION_KEY, {}).get(token)
    if not name or not token.replace(".", "").isalnum():
        return None
    path = _upload_folder() / token
    return (path, name) if path.is_file() else None


def _drop_upload(request: HttpRequest, token: str) -> None:
    uploads = dict(request.session.get(UPLOAD_SESSION_KEY, {}))
    uploads.pop(token, None)
    request.session[UPLOAD_SESSION_KEY] = uploads
    if token.replace(".", "").isalnum():
        (_upload_folder() / token).unlink(missing_ok=True)


def _mapping_form(data: bytes, file_name: str, post: Any = None
                  ) -> conservation_forms.ColumnMappingForm | None:
    """The column-mapping dialog for a table, or None when no time column can be found."""
    try:
        columns = detect_columns(data, file_name)
    except LoggerFileError:
        return None
    if not any(column.role in {"time", "date"} for column in columns):
        return None
    quantities = quantity_choices([code for code in QUANTITIES if code in store.quantity_ids()])
    return conservation_forms.ColumnMappingForm(post, columns=columns, quantities=quantities)


def _sensor_choices(actor: Any) -> list[tuple[str, str]]:
    return [(sensor.code, f"{sensor.code} {sensor.name}".strip())
            for sensor in selectors.sensors_for(actor).exclude(status=Sensor.Status.RETIRED)]


@dataclass
class _Step:
    """What the import page shows: the upload form, the column mapping, or a preview."""

    mode: str
    options: conservation_forms.ImportOptionsForm
    form: conservation_forms.ImportForm | None = None
    mapping_form: conservation_forms.ColumnMappingForm | None = None
    token: str = ""
    file_name: str = ""
    column_mapping: str = ""
    outcome: services.IngestOutcome | None = None
    error: str = ""
    notice: str = ""
    may_map: bool = False


def _preview(actor: Any, step: _Step, data: bytes, mapping: dict[str, Any] | None) -> _Step:
    """A dry run of the file with the step's options; the mapping dialog when the file's
    columns are not recognised (or nothing at all was read from it)."""
    try:
        outcome = services.do_import_file(actor, data, step.file_name,
                                          column_mapping=mapping, dry_run=True,
                                          **step.options.options())
    except ValidationFailed as error:
        mapping_form = (_mapping_form(data, step.file_name)
                        if "file" in error.fields and mapping is None else None)
        if mapping_form is not None:
            step.mode, step.mapping_form = "columns", mapping_form
            step.notice = _("No logger format knows the columns of %(file)s; say what they "
                            "hold.") % {"file": step.file_name}
            return step
        step.mode, step.error = "failed", " ".join(error.fields.values()) or str(error.detail)
        return step
    step.may_map = _mapping_form(data, step.file_name) is not None
    if not outcome.stored and not outcome.rejected and step.may_map and mapping is None:
        step.mode, step.mapping_form = "columns", _mapping_form(data, step.file_name)
        step.notice = _("No readings were recognised in %(file)s; say what its columns "
                        "hold.") % {"file": step.file_name}
        return step
    step.mode, step.outcome = "preview", outcome
    step.column_mapping = json.dumps(mapping, ensure_ascii=False) if mapping else ""
    return step


@login_required
@require_http_methods(["GET", "POST"])
def import_file(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not selectors.can_view(actor) or not _may(actor, ops.READING_IMPORT):
        return forbidden(request)
    sensors = _sensor_choices(actor)
    posted = request.POST if request.method == "POST" else None
    action = request.POST.get("step", "upload") if posted is not None else "upload"
    if action == "upload":
        chosen = request.GET.get("sensor", "")
        form = conservation_forms.ImportForm(
            posted, request.FILES or None, sensors=sensors,
            initial={"sensor": chosen} if chosen in dict(sensors) else None)
        step = _Step("upload", form, form=form)
        if posted is not None and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_UPLOAD_BYTES:
                form.add_error("file", _("The file is larger than %(size)d MB.")
                               % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)})
            else:
                step.token = _keep_upload(request, upload)
                step.file_name = Path(upload.name).name[:200]
                step = _continue(request, step)
        return _import_page(request, actor, step)
    token = request.POST.get("token", "")
    kept = _kept_upload(request, token)
    if kept is None:
        messages.error(request, _("That upload is no longer here; upload the file again."))
        return redirect("conservation:import")
    path, file_name = kept
    if action == "cancel":
        _drop_upload(request, token)
        messages.success(request, _("The upload is discarded; nothing was imported."))
        return redirect("conservation:import")
    options = conservation_forms.ImportOptionsForm(posted, sensors=sensors)
    step = _Step("upload", options, token=token, file_name=file_name)
    if not options.is_valid():
        step.mode, step.error = "failed", " ".join(
            str(message) for messages_ in options.errors.values() for message in messages_)
        return _import_page(request, actor, step)
    data = path.read_bytes()
    if action == "columns":
        step.mode, step.mapping_form = "columns", _mapping_form(data, file_name)
        if step.mapping_form is None:
            step.mode, step.error = "failed", _("No date or time column was found in the file.")
        return _import_page(request, actor, step)
    if action == "map":
        mapping_form = _mapping_form(data, file_name, posted)
        if mapping_form is None:
            step.mode, step.error = "failed", _("No date or time column was found in the file.")
        elif not mapping_form.is_valid():
            step.mode, step.mapping_form = "columns", mapping_form
        else:
            step = _preview(actor, step, data, mapping_form.mapping())
            if step.mode == "failed":
                # The mapping does not fit the file (a unit that is not the quantity's):
                # say so in the dialog, which keeps what the person chose.
                mapping_form.add_error(None, step.error)
                step.mode, step.mapping_form, step.error = "columns", mapping_form, ""
        return _import_page(request, actor, step)
    if action == "import":
        mapping = conservation_forms.parse_column_mapping(request.POST.get("column_mapping", ""))
        try:
            outcome = services.do_import_file(actor, data, file_name, column_mapping=mapping,
                                              **options.options())
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            step.mode = "failed"
            step.error = " ".join(error.fields.values()) or str(error.detail)
            return _import_page(request, actor, step)
        _drop_upload(request, token)
        messages.success(request, _("%(stored)s readings imported from %(file)s.") % {
            "stored": outcome.stored, "file": file_name})
        return redirect("conservation:import_result", batch_id=outcome.batch_id)
    step = _preview(actor, step, data, None)
    return _import_page(request, actor, step)


def _continue(request: HttpRequest, step: _Step) -> _Step:
    kept = _kept_upload(request, step.token)
    if kept is None:
        return step
    path, _name = kept
    return _preview(request.user, step, path.read_bytes(), None)


def _import_page(request: HttpRequest, actor: Any, step: _Step) -> HttpResponse:
    if step.mode == "failed" and step.token:
        # The file cannot be read with these options: start again from the upload form,
        # with the options the person chose.
        _drop_upload(request, step.token)
        form = conservation_forms.ImportForm(initial=step.options.cleaned_data
                                             if step.options.is_bound and step.options.is_valid()
                                             else None, sensors=_sensor_choices(actor))
        step = _Step("upload", form, form=form, error=step.error)
    outcome = step.outcome
    known = set()
    if outcome is not None:
        known = set(selectors.sensors_for(actor).filter(code__in=outcome.sensors)
                    .values_list("code", flat=True))
    status = 200
    if step.mode == "upload" and request.method == "POST" and (
            step.error or (step.form is not None and step.form.errors)):
        status = 422
    if (step.mode == "columns" and step.mapping_form is not None and step.mapping_form.is_bound
            and step.mapping_form.errors):
        status = 422
    format_name = outcome.file_format if outcome else ""
    return render(request, "conservation/import_upload.html", {
        "nav": section_nav(actor), "step": step, "outcome": outcome,
        "format_label": FORMATS[format_name].label if format_name in FORMATS else format_name,
        "sensors_found": [(code, code in known) for code in (outcome.sensors if outcome else [])],
        "preview_rows": [{"sensor": sensor, "quantity": quantity_label(quantity),
                          "time": moment, "value": format_value(quantity, value),
                          "unit": store_units().get(quantity, "")}
                         for sensor, quantity, moment, value in (outcome.preview if outcome
                                                                 else [])],
        "rejected": (outcome.rejected[:PREVIEW_REJECTED] if outcome else []),
        "units": conservation_forms.UNIT_SUGGESTIONS,
        "batches": selectors.batches_for(actor).filter(source=IngestBatch.Source.FILE)[:20],
        "may_create_sensor": _may(actor, ops.SENSOR_MANAGE),
    }, status=status)


@login_required
def import_result(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = request.user
    if not selectors.can_view(actor) or not _may(actor, ops.READING_IMPORT):
        return forbidden(request)
    batch = selectors.batches_for(actor).filter(pk=batch_id).first()
    if batch is None:
        return not_found(request)
    visible = {sensor.code: sensor.pk for sensor in
               selectors.sensors_for(actor).filter(code__in=batch.sensors)}
    return render(request, "conservation/import_result.html", {
        "nav": section_nav(actor),
        "batch": batch, "sensors": [(code, visible.get(code)) for code in batch.sensors],
        "format_label": (FORMATS[batch.file_format].label if batch.file_format in FORMATS
                         else batch.file_format),
        "rejected_rows": batch.rejected_rows,
        "rejected_not_kept": max(batch.rejected - len(batch.rejected_rows), 0),
        "import_url": reverse("conservation:import"),
    })
