"""SenML JSON (RFC 8428) batches → :class:`~.readings.LiveReading`.

What is read (RFC 8428 §4):

- A pack is a JSON array of records. Base fields ``bn`` (base name), ``bt`` (base time),
  ``bu`` (base unit), ``bv`` (base value) and ``bver`` apply to the record that holds them and
  every later record until changed (§4.1). ``bs`` and ``ut`` are understood and ignored.
- Each record's name is ``bn + n``, its time ``bt + t`` (absent ``t`` = 0), its unit ``u`` or
  else ``bu``, its value ``bv + v``. Only numeric values (``v``) are readings: records with
  ``vs``, ``vb``, ``vd`` or only ``s`` are rejected, because no Taihe quantity is textual.
- Times are seconds since the Unix epoch. A resolved time below 2**28 (about 8.5 years) is
  relative to ``now`` (§4.5.3): ``-60`` is a minute ago.
- A field whose label ends in ``_`` must be understood (§4.4); none are, so such a pack is
  rejected. ``bver`` above 10 is rejected (§4.4). Other unknown fields are ignored (§4.4).

Name scheme (Taihe's, documented in the module README): the resolved name is
``<sensor code><separator><quantity>`` where the separator is the last ``/`` or ``:``. Either
part may come from ``bn`` or ``n``::

    [{"bn": "GAL1-CASE3/", "bt": 1.7e9, "n": "temperature", "u": "Cel", "v": 21.4},
     {"n": "relative_humidity", "u": "%RH", "v": 48.2}]
    [{"bn": "urn:dev:mac:0024befffe804ff1:", "n": "temp", "u": "Cel", "v": 21.4}]

A name with no separator is a bare quantity for ``default_sensor`` (the sensor the MQTT topic
or device token names). Quantity names accept the common SenML short forms in
:data:`QUANTITY_ALIASES`. Validation is strict and whole-pack: one bad record rejects the pack
(nothing partial is stored) with every problem listed by record index and field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from django.utils.translation import gettext_lazy as _

from .readings import (
    BATTERY,
    CO2,
    DEFAULT_MAX_FUTURE,
    DEW_POINT,
    ILLUMINANCE,
    RELATIVE_HUMIDITY,
    TEMPERATURE,
    UV,
    VOC,
    ErrorCollector,
    LiveReading,
    PayloadInvalid,
    UnitError,
    check_not_future,
    check_now,
    check_sensor_code,
    make_reading,
    number,
)

SENML_VERSION: Final = 10  # RFC 8428 §4.4: the version this parser understands
RELATIVE_TIME_LIMIT: Final = 2**28  # RFC 8428 §4.5.3
DEFAULT_MAX_RECORDS: Final = 10_000
DEFAULT_MAX_BYTES: Final = 2 * 1024 * 1024
# RFC 8428 §4.5.1: a name starts with a letter or digit and holds only these characters.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-:./_]*")
_KNOWN_FIELDS: Final = frozenset(
    {"bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut"}
)

QUANTITY_ALIASES: Final[Mapping[str, str]] = {
    **{q: q for q in (TEMPERATURE, RELATIVE_HUMIDITY, ILLUMINANCE, UV, CO2, VOC, BATTERY)},
    DEW_POINT: DEW_POINT,
    "temp": TEMPERATURE,
    "rh": RELATIVE_HUMIDITY,
    "humidity": RELATIVE_HUMIDITY,
    "lux": ILLUMINANCE,
    "light": ILLUMINANCE,
    "bat": BATTERY,
    "dewpoint": DEW_POINT,
}


def _reject_constant(name: str) -> float:
    raise ValueError(name)


def load_json(payload: bytes | str, max_bytes: int) -> Any:
    """Decode JSON text, refusing oversized input and the non-standard NaN/Infinity literals.

    Raises:
        PayloadInvalid: too large, not UTF-8, not JSON, or NaN/Infinity present.
    """
    if len(payload) > max_bytes:
        raise PayloadInvalid(
            _("The payload is %(size)d bytes; the limit is %(max)d.")
            % {"size": len(payload), "max": max_bytes}
        )
    try:
        return json.loads(payload, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise PayloadInvalid(_("The payload is not UTF-8 text.")) from None
    except json.JSONDecodeError as error:
        raise PayloadInvalid(
            _("The payload is not JSON: %(error)s at line %(line)d, column %(column)d.")
            % {"error": error.msg, "line": error.lineno, "column": error.colno}
        ) from None
    except ValueError as error:  # from _reject_constant
        raise PayloadInvalid(
            _("The payload holds %(constant)s, which is not a JSON number.")
            % {"constant": str(error)}
        ) from None


def split_name(name: str, default_sensor: str | None) -> tuple[str, str]:
    """Split a resolved SenML name into (sensor code, quantity).

    Raises:
        ValueError: no sensor part and no default, empty quantity, unknown quantity or an
            invalid sensor code (translated message).
    """
    cut = max(name.rfind("/"), name.rfind(":"))
    if cut < 0:
        if default_sensor is None:
            raise ValueError(
                _("Name %(name)r has no sensor part; write <sensor code>/<quantity>.")
                % {"name": name}
            )
        sensor, quantity_name = default_sensor, name
    else:
        sensor, quantity_name = name[:cut], name[cut + 1 :]
    if not quantity_name:
        raise ValueError(_("Name %(name)r ends without a quantity.") % {"name": name})
    quantity = QUANTITY_ALIASES.get(quantity_name.lower())
    if quantity is None:
        raise ValueError(
            _("Unknown quantity %(quantity)r in name %(name)r; expected one of %(known)s.")
            % {"quantity": quantity_name, "name": name, "known": ", ".join(QUANTITY_ALIASES)}
        )
    return check_sensor_code(sensor), quantity


def parse_senml(
    payload: bytes | str | list[Any],
    *,
    now: datetime,
    default_sensor: str | None = None,
    max_records: int = DEFAULT_MAX_RECORDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> list[LiveReading]:
    """Parse a SenML JSON pack (RFC 8428) into readings, all or nothing.

    Args:
        payload: the JSON text, or an already decoded array.
        now: the server's current time (aware); resolves relative times and bounds the future.
        default_sensor: the sensor for names without a sensor part (from the topic or token).
        max_records: the most records a pack may hold.
        max_bytes: the largest JSON text accepted.
        max_future: how far ahead of ``now`` a reading may be (sensor clock drift).

    Returns:
        the readings in pack order, values converted to the stored units.

    Raises:
        PayloadInvalid: with ``fields`` such as ``{"[3].v": "..."}`` naming every bad record
            and field; nothing is returned for a pack with any error.
    """
    now = check_now(now)
    pack = load_json(payload, max_bytes) if isinstance(payload, bytes | str) else payload
    if not isinstance(pack, list):
        raise PayloadInvalid(_("A SenML pack must be a JSON array of records."))
    if not pack:
        raise PayloadInvalid(_("The SenML pack holds no records."))
    if len(pack) > max_records:
        raise PayloadInvalid(
            _("The SenML pack holds %(count)d records; the limit is %(max)d.")
            % {"count": len(pack), "max": max_records}
        )
    errors = ErrorCollector()
    readings: list[LiveReading] = []
    base_name, base_time, base_unit, base_value = "", 0.0, None, 0.0
    for index, record in enumerate(pack):
        here = f"[{index}]"
        if not isinstance(record, dict):
            errors.add(here, _("A record must be a JSON object."))
            continue
        must_understand = sorted(k for k in record if isinstance(k, str) and k.endswith("_"))
        if must_understand:
            errors.add(
                f"{here}.{must_understand[0]}",
                _("Field %(field)s must be understood (RFC 8428 §4.4) and is not supported.")
                % {"field": must_understand[0]},
            )
            continue
        try:
            base_name, base_time, base_unit, base_value = _apply_base_fields(
                record, base_name, base_time, base_unit, base_value, here
            )
            reading = _record_reading(
                record, base_name, base_time, base_unit, base_value, here, now, default_sensor
            )
        except _FieldError as error:
            errors.add(error.where, error.message)
            continue
        try:
            check_not_future(reading.time, now, max_future)
        except ValueError as error:
            errors.add(f"{here}.t", error)
            continue
        readings.append(reading)
    errors.raise_if_any()
    return readings


class _FieldError(Exception):
    def __init__(self, where: str, message: Any) -> None:
        super().__init__(str(message))
        self.where = where
        self.message = message


def _field_number(record: Mapping[str, Any], key: str, here: str) -> float:
    try:
        return number(record[key])
    except ValueError as error:
        raise _FieldError(f"{here}.{key}", error) from None


def _field_text(record: Mapping[str, Any], key: str, here: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise _FieldError(f"{here}.{key}", _("Expected text, got %(value)r.") % {"value": value})
    return value


def _apply_base_fields(
    record: Mapping[str, Any],
    base_name: str,
    base_time: float,
    base_unit: str | None,
    base_value: float,
    here: str,
) -> tuple[str, float, str | None, float]:
    if "bver" in record:
        version = record["bver"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise _FieldError(f"{here}.bver", _("bver must be a positive whole number."))
        if version > SENML_VERSION:
            raise _FieldError(
                f"{here}.bver",
                _("SenML version %(version)d is newer than the supported %(supported)d.")
                % {"version": version, "supported": SENML_VERSION},
            )
    if "bn" in record:
        base_name = _field_text(record, "bn", here)
    if "bt" in record:
        base_time = _field_number(record, "bt", here)
    if "bu" in record:
        base_unit = _field_text(record, "bu", here)
    if "bv" in record:
        base_value = _field_number(record, "bv", here)
    return base_name, base_time, base_unit, base_value


def _record_reading(
    record: Mapping[str, Any],
    base_name: str,
    base_time: float,
    base_unit: str | None,
    base_value: float,
    here: str,
    now: datetime,
    default_sensor: str | None,
) -> LiveReading:
    name = base_name + (_field_text(record, "n", here) if "n" in record else "")
    if not name:
        raise _FieldError(f"{here}.n", _("The record has no name (n or bn)."))
    if _NAME.fullmatch(name) is None:
        raise _FieldError(
            f"{here}.n",
            _("Name %(name)r holds characters RFC 8428 §4.5.1 does not allow.") % {"name": name},
        )
    if "v" not in record:
        present = [k for k in ("vs", "vb", "vd", "s") if k in record]
        message = (
            _("Only numeric values (v) are readings; %(field)s is not supported.")
            % {"field": present[0]}
            if present
            else _("The record has no value (v).")
        )
        raise _FieldError(f"{here}.v", message)
    value = base_value + _field_number(record, "v", here)
    offset = _field_number(record, "t", here) if "t" in record else 0.0
    seconds = base_time + offset
    if not math.isfinite(seconds):
        raise _FieldError(f"{here}.t", _("The resolved time is not finite."))
    unit = _field_text(record, "u", here) if "u" in record else base_unit
    try:
        sensor, quantity = split_name(name, default_sensor)
    except ValueError as error:
        raise _FieldError(f"{here}.n", error) from None
    try:
        if seconds < RELATIVE_TIME_LIMIT:
            time = now + timedelta(seconds=seconds)  # RFC 8428 §4.5.3: relative to now
        else:
            time = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise _FieldError(
            f"{here}.t", _("Time %(seconds)s is out of range.") % {"seconds": seconds}
        ) from None
    try:
        return make_reading(sensor, quantity, time, value, unit)
    except UnitError as error:
        raise _FieldError(f"{here}.u", error) from None
    except ValueError as error:
        raise _FieldError(f"{here}.v", error) from None
