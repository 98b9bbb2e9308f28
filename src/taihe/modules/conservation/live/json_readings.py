"""Taihe's simple JSON readings format (HTTP bulk push and MQTT) → LiveReadings.

The format, for scripts and gateways that do not speak SenML::

    {
      "sensor": "GAL1-CASE3",                       (optional default for every reading)
      "readings": [
        {"sensor": "GAL1-CASE3", "time": "2025-03-01T10:00:00+08:00",
         "temperature": 20.1, "relative_humidity": 48},
        {"time": "2025-03-01T10:05:00Z", "quantity": "illuminance", "value": 50, "unit": "lx"}
      ]
    }

- ``readings`` is an array of objects; each needs ``time`` (ISO 8601 **with** a UTC offset or
  ``Z``) and a sensor, either its own ``sensor`` or the top-level one (or the one the MQTT
  topic or device token names, passed as ``default_sensor``).
- *Wide* objects carry one or more quantity keys (``temperature``, ``relative_humidity``,
  ``illuminance``, ``uv``, ``co2``, ``voc``, ``battery``, ``dew_point``) with values in the
  canonical units (°C, %RH, lx, µW/lm, ppm, ppb, V; see ``readings.py``).
- *Long* objects carry ``quantity``, ``value`` and optionally ``unit`` (any unit the quantity
  accepts, e.g. ``K`` or ``%EL``). An object is either wide or long, not both.
- Any other key is an error (so a typo such as ``temprature`` is reported, not dropped).
- Validation is whole-batch: one bad reading rejects the batch, with every problem listed by
  index and field (``readings[3].time``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from django.utils.translation import gettext_lazy as _

from .readings import (
    CANONICAL_UNITS,
    DEFAULT_MAX_FUTURE,
    ErrorCollector,
    LiveReading,
    PayloadInvalid,
    UnitError,
    check_not_future,
    check_now,
    check_sensor_code,
    make_reading,
    number,
    parse_timestamp,
)
from .senml import DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS, load_json

_LONG_KEYS: Final = frozenset({"quantity", "value", "unit"})
_COMMON_KEYS: Final = frozenset({"sensor", "time"})


def parse_json_readings(
    payload: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    default_sensor: str | None = None,
    max_readings: int = DEFAULT_MAX_RECORDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> list[LiveReading]:
    """Parse the Taihe JSON readings format (module docstring), all or nothing.

    Args:
        payload: the JSON text, or an already decoded object.
        now: the server's current time (aware), bounding how far ahead a reading may be.
        default_sensor: sensor for readings that name none (from the topic or device token);
            a top-level ``sensor`` in the payload takes precedence.
        max_readings: the most reading objects a batch may hold.
        max_bytes: the largest JSON text accepted.
        max_future: how far ahead of ``now`` a reading may be.

    Returns:
        one LiveReading per quantity value, in payload order.

    Raises:
        PayloadInvalid: with ``fields`` naming every bad reading and key; nothing is returned
            for a batch with any error.
    """
    now = check_now(now)
    document = load_json(payload, max_bytes) if isinstance(payload, bytes | str) else payload
    if not isinstance(document, Mapping):
        raise PayloadInvalid(_('The payload must be a JSON object with a "readings" array.'))
    unknown = sorted(set(document) - {"sensor", "readings"})
    if unknown:
        raise PayloadInvalid(
            _("Unknown top-level field %(field)r.") % {"field": unknown[0]},
            fields={unknown[0]: _("Unknown field.")},
        )
    items = document.get("readings")
    if not isinstance(items, list) or not items:
        raise PayloadInvalid(
            _('"readings" must be a non-empty array.'), fields={"readings": _("Required.")}
        )
    if len(items) > max_readings:
        raise PayloadInvalid(
            _("The batch holds %(count)d readings; the limit is %(max)d.")
            % {"count": len(items), "max": max_readings}
        )
    errors = ErrorCollector()
    batch_sensor = default_sensor
    if "sensor" in document:
        try:
            batch_sensor = check_sensor_code(document["sensor"])
        except ValueError as error:
            errors.add("sensor", error)
    readings: list[LiveReading] = []
    for index, item in enumerate(items):
        readings.extend(
            _parse_item(item, f"readings[{index}]", batch_sensor, now, max_future, errors)
        )
    errors.raise_if_any()
    return readings


def _parse_item(
    item: object,
    here: str,
    default_sensor: str | None,
    now: datetime,
    max_future: timedelta,
    errors: ErrorCollector,
) -> list[LiveReading]:
    if not isinstance(item, Mapping):
        errors.add(here, _("A reading must be a JSON object."))
        return []
    problems_before = errors.count
    sensor = default_sensor
    if "sensor" in item:
        try:
            sensor = check_sensor_code(item["sensor"])
        except ValueError as error:
            errors.add(f"{here}.sensor", error)
    elif sensor is None:
        errors.add(f"{here}.sensor", _("No sensor: give one here or at the top level."))
    time: datetime | None = None
    if "time" not in item:
        errors.add(f"{here}.time", _("Required."))
    else:
        try:
            time = parse_timestamp(item["time"])
            check_not_future(time, now, max_future)
        except ValueError as error:
            errors.add(f"{here}.time", error)
    is_long = bool(_LONG_KEYS & set(item))
    values: list[tuple[str, str, object, str | None]] = []  # (where, quantity, value, unit)
    for key in item:
        if key in _COMMON_KEYS or (is_long and key in _LONG_KEYS):
            continue
        if key in CANONICAL_UNITS and not is_long:
            values.append((f"{here}.{key}", key, item[key], None))
        elif key in CANONICAL_UNITS:
            errors.add(
                f"{here}.{key}",
                _("Give either quantity/value/unit or quantity keys, not both."),
            )
        else:
            errors.add(f"{here}.{key}", _("Unknown field %(field)r.") % {"field": key})
    if is_long:
        quantity, unit = item.get("quantity"), item.get("unit")
        if not isinstance(quantity, str):
            errors.add(f"{here}.quantity", _("Required, as text."))
        elif "value" not in item:
            errors.add(f"{here}.value", _("Required."))
        elif unit is not None and not isinstance(unit, str):
            errors.add(f"{here}.unit", _("Expected text, got %(value)r.") % {"value": unit})
        else:
            values.append((f"{here}.value", quantity, item["value"], unit))
    elif not values:
        errors.add(here, _("The reading carries no quantity."))
    readings: list[LiveReading] = []
    for where, quantity, raw, unit in values:
        try:
            value = number(raw)
            if sensor is not None and time is not None:
                readings.append(make_reading(sensor, quantity, time, value, unit))
        except UnitError as error:
            errors.add(f"{here}.unit", error)
        except ValueError as error:
            errors.add(f"{here}.quantity" if quantity not in CANONICAL_UNITS else where, error)
    return readings if errors.count == problems_before else []
