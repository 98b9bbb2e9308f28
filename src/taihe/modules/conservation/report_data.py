"""Assemble a place's environmental report (:class:`~.reports.ReportData`) from the database.

Which readings describe a place. A place usually has one logger of its own (the room air) and
perhaps others in the cases and shelves inside it; averaging them would blend a case's
microclimate into the room's and describe neither. So, per quantity, the report follows the
place's *main* sensor: sensors hanging in the place itself rank before those in places inside
it, then the one with the most hours of readings in the period, then by code. Where the main
sensor has no reading for an hour (a battery change, a logger swapped mid-month), the next
sensor by rank fills that hour; daily values are filled day by day the same way. Every sensor
that hung in the place during the period is listed in the report with its calibrations.

A sensor counts for the place only while it hung there (``SensorPlacement``): readings taken
after it was moved out, or before it was moved in from another place, belong to other places.
Its first placement counts from its first reading (history imported for a logger registered
today). Hours and days are taken whole, from the first one that starts inside the stay to the
last one that ends inside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, PermissionDenied
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import metrics, reports, store
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.models import Calibration, Sensor, SensorPlacement
from taihe.modules.conservation.selectors import sensors_for
from taihe.modules.conservation.services import specification_for_location
from taihe.modules.conservation.specifications import QuantitySeries
from taihe.modules.directory import api as directory

REPORT_QUANTITIES = (metrics.TEMPERATURE, metrics.RELATIVE_HUMIDITY, metrics.ILLUMINANCE,
                     metrics.UV)
# The physical ranges the metrics insist on. A calibration offset added to a saturated
# hygrometer (100 % RH) can push a stored hourly mean just past it.
_CLIP = {metrics.RELATIVE_HUMIDITY: (0.0, 100.0), metrics.ILLUMINANCE: (0.0, np.inf),
         metrics.UV: (0.0, np.inf)}


@dataclass
class _Stay:
    """One sensor's time in the place (or a place inside it), clipped to the period."""

    sensor: Sensor
    own: bool
    spans: list[tuple[int, int]] = field(default_factory=list)


def text_in(names: dict[str, str], language: str) -> str:
    """The name in ``language`` (then Chinese, English, anything)."""
    by_language = {code.lower(): text for code, text in names.items() if text}
    for code in (language.lower(), "zh-hans", "en"):
        if by_language.get(code):
            return by_language[code]
    return next(iter(by_language.values()), "")


def person_name(person_id: int | None, language: str) -> str:
    found = directory.person(person_id) if person_id is not None else None
    if found is None:
        return ""
    if language.lower().startswith("zh"):
        return found.name_zh or found.name_en or found.username
    return found.name_en or found.name_zh or found.username


def _stays(actor: Any, place_ids: list[int], location_id: int, first: int, last: int
           ) -> list[_Stay]:
    visible = sensors_for(actor)
    stays: dict[int, _Stay] = {}
    placements = list(SensorPlacement.objects.filter(
        location_id__in=place_ids, sensor__in=visible).filter(
            Q(removed_at__isnull=True) | Q(removed_at__gt=dt.datetime.fromtimestamp(first, dt.UTC)))
        .select_related("sensor").order_by("placed_at"))
    earliest = dict(SensorPlacement.objects.filter(
        sensor_id__in={placement.sensor_id for placement in placements})
        .values("sensor_id").annotate(first=Min("placed_at")).values_list("sensor_id", "first"))
    for placement in placements:
        # A sensor's first placement reaches back to its first reading: a logger registered
        # today with a year of its files imported hung in that place all along.
        placed = (first if placement.placed_at <= earliest[placement.sensor_id]
                  else int(placement.placed_at.timestamp()))
        removed = int(placement.removed_at.timestamp()) if placement.removed_at else last
        begin, end = max(first, placed), min(last, removed)
        if begin >= end:
            continue
        stay = stays.setdefault(placement.sensor_id, _Stay(placement.sensor, False))
        stay.own = stay.own or placement.location_id == location_id
        stay.spans.append((begin, end))
    # Sensors given a place without a placement row (written before placements were kept).
    for sensor in visible.filter(location_id__in=place_ids, placements__isnull=True):
        stays[sensor.pk] = _Stay(sensor, sensor.location_id == location_id, [(first, last)])
    return list(stays.values())


def _whole(begin: int, end: int, step: int, offset: int = 0) -> tuple[int, int]:
    """[begin, end) shrunk to whole buckets of ``step`` seconds (shifted by ``offset``)."""
    up = -((-(begin + offset)) // step) * step - offset
    down = ((end + offset) // step) * step - offset
    return up, down


def _hourly(stay: _Stay, quantity_id: int) -> tuple[np.ndarray, np.ndarray]:
    times: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for begin, end in stay.spans:
        low, high = _whole(begin, end, store.HOUR)
        if low < high:
            found_times, found_values = store.hourly_means(stay.sensor.pk, quantity_id, low, high)
            times.append(found_times)
            values.append(found_values)
    if not times:
        return np.empty(0, dtype=np.int64), np.empty(0)
    return np.concatenate(times), np.concatenate(values)


def _daily(stay: _Stay, quantity_id: int) -> tuple[np.ndarray, ...]:
    offset = store.day_offset()
    parts: list[tuple[np.ndarray, ...]] = []
    for begin, end in stay.spans:
        low, high = _whole(begin, end, store.DAY, offset)
        if low < high:
            parts.append(store.daily_summary(stay.sensor.pk, quantity_id, low, high))
    if not parts:
        return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0), np.empty(0)
    return tuple(np.concatenate([part[index] for part in parts]) for index in range(4))


def _fill(ranked: Iterable[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Merge aligned arrays (times first) in rank order: a time already taken by a better
    ranked source is not taken again. The result is sorted by time."""
    taken: list[tuple[np.ndarray, ...]] = []
    seen = np.empty(0, dtype=np.int64)
    for arrays in ranked:
        keep = ~np.isin(arrays[0], seen)
        if keep.any():
            taken.append(tuple(array[keep] for array in arrays))
            seen = np.concatenate([seen, arrays[0][keep]])
    if not taken:
        return ()
    merged = tuple(np.concatenate([part[index] for part in taken])
                   for index in range(len(taken[0])))
    order = np.argsort(merged[0], kind="stable")
    return tuple(array[order] for array in merged)


def _ranked(stays: list[_Stay], hours: dict[int, int]) -> list[_Stay]:
    """Stays with readings of one quantity (``hours``: hourly values per sensor), best first:
    the place's own sensors, then the most hours of readings, then by code."""
    return sorted((stay for stay in stays if hours.get(stay.sensor.pk)),
                  key=lambda stay: (not stay.own, -hours[stay.sensor.pk], stay.sensor.code))


def _calibration_text(sensor: Sensor, start: dt.datetime, end: dt.datetime,
                      units: dict[int, tuple[str, str]]) -> str:
    """The calibrations in force during the period: the last one before it began and every
    one recorded within it, per quantity."""
    rows = list(Calibration.objects.filter(sensor=sensor, effective_from__lt=end)
                .order_by("quantity_id", "effective_from"))
    texts: list[str] = []
    for index, cal in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        superseded = (following is not None and following.quantity_id == cal.quantity_id
                      and following.effective_from <= start)
        if superseded:
            continue
        code, unit = units.get(cal.quantity_id, ("", ""))
        when = timezone.localtime(cal.effective_from).strftime("%Y-%m-%d")
        text = _("%(quantity)s %(offset)s %(unit)s from %(date)s") % {
            "quantity": reports.quantity_label(code), "offset": f"{cal.offset:+.2f}",
            "unit": unit, "date": when}
        texts.append(f"{text} ({cal.reference})" if cal.reference else text)
    return "; ".join(texts) if texts else _("No calibration recorded")


def build_report(actor: Any, location_id: int, start: dt.datetime, end: dt.datetime,
                 period_label: str, language: str) -> reports.ReportData:
    """Everything the report of a place over [start, end) shows, labels in ``language``.

    Raises PermissionDenied (no ``conservation.report.view``), NotFound (no such place, or
    one the actor may not know of)."""
    if not authz.can(actor, ops.REPORT_VIEW.code):
        raise PermissionDenied()
    visible = {place.id: place for place in catalog.locations_visible_to(actor)}
    place = visible.get(location_id)
    if place is None:
        raise NotFound()
    place_ids = [pk for pk in catalog.location_ids_within(location_id) if pk in visible]
    first, last = int(start.timestamp()), int(end.timestamp())
    stays = _stays(actor, place_ids, location_id, first, last)
    ids = store.quantity_ids()
    hourly = {(stay.sensor.pk, code): _hourly(stay, ids[code])
              for stay in stays for code in REPORT_QUANTITIES if code in ids}
    series: dict[str, QuantitySeries] = {}
    daily: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    for code in REPORT_QUANTITIES:
        if code not in ids:
            continue
        ranked = _ranked(stays, {stay.sensor.pk: hourly[(stay.sensor.pk, code)][0].size
                                 for stay in stays})
        if not ranked:
            continue
        times, values = _fill(hourly[(stay.sensor.pk, code)] for stay in ranked)
        low, high = _CLIP.get(code, (-np.inf, np.inf))
        series[code] = QuantitySeries(times.astype(np.float64), np.clip(values, low, high))
        days = _fill(_daily(stay, ids[code]) for stay in ranked)
        if days:
            daily[code] = (days[0], days[1], days[2], days[3])
    specification = specification_for_location(location_id)
    spec = specification.as_spec() if specification is not None else None
    units = {quantity_id: (code, store.quantity_by_id(quantity_id).unit)
             for code, quantity_id in ids.items()}
    with translation.override(language):
        summary = metrics.period_metrics(series, spec)
        excursions = (reports.report_excursions(summary.compliance, series)
                      if summary.compliance is not None else [])
        sensors = [reports.ReportSensor(
            code=stay.sensor.code,
            model=" ".join(part for part in (stay.sensor.manufacturer, stay.sensor.model)
                           if part),
            serial=stay.sensor.serial, quantities=list(stay.sensor.quantities),
            calibration=_calibration_text(stay.sensor, start, end, units))
            for stay in sorted(stays, key=lambda stay: stay.sensor.code)]
        generated_by = person_name(authz.actor_for(actor).user_id, language)
    return reports.ReportData(
        museum_name=str(getattr(settings, "TAIHE_MUSEUM_NAME", "Taihe")),
        location_code=place.code, location_name=text_in(place.name, language) or place.code,
        period_label=period_label, start=start, end=end, time_zone=settings.TIME_ZONE,
        specification=spec, series=series, daily=daily, metrics=summary,
        excursions=excursions, sensors=sensors, generated_at=timezone.now(),
        generated_by=generated_by, language=language)
