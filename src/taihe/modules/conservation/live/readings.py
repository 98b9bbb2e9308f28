"""The reading shape every live transport produces, and the checks they share.

A :class:`LiveReading` is one measured value of one quantity from one sensor at one instant
(UTC). The same shape comes out of the logger-file parsers in ``conservation.ingest``, so the
store sees one kind of row whichever way a reading arrived. Quantity codes and canonical units:

========================  ==============  =====================================================
quantity                  canonical unit  other units accepted (converted or kept)
========================  ==============  =====================================================
``temperature``           ``Cel``         ``K`` (converted to ``Cel``)
``relative_humidity``     ``%RH``         –
``illuminance``           ``lx``          –
``uv``                    ``uW/lm``       –  (Taihe unit: UV per lumen, the museum measure)
``co2``                   ``ppm``         –
``voc``                   ``ppb``         ``ppm`` (converted to ``ppb``)
``battery``               ``V``           ``%EL`` (kept: remaining charge in %, RFC 8428)
``dew_point``             ``Cel``         ``K`` (converted to ``Cel``)
========================  ==============  =====================================================

Unit spellings follow the IANA SenML units registry (RFC 8428 §12.1, RFC 8798) where it has
one (heritage.md §4.4).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from django.utils.translation import gettext_lazy as _

from taihe.kernel.errors import ValidationFailed

TEMPERATURE: Final = "temperature"
RELATIVE_HUMIDITY: Final = "relative_humidity"
ILLUMINANCE: Final = "illuminance"
UV: Final = "uv"
CO2: Final = "co2"
VOC: Final = "voc"
BATTERY: Final = "battery"
DEW_POINT: Final = "dew_point"

QUANTITIES: Final = (TEMPERATURE, RELATIVE_HUMIDITY, ILLUMINANCE, UV, CO2, VOC, BATTERY, DEW_POINT)

CANONICAL_UNITS: Final[Mapping[str, str]] = {
    TEMPERATURE: "Cel",
    RELATIVE_HUMIDITY: "%RH",
    ILLUMINANCE: "lx",
    UV: "uW/lm",
    CO2: "ppm",
    VOC: "ppb",
    BATTERY: "V",
    DEW_POINT: "Cel",
}

# (quantity, given unit) -> (stored unit, scale, offset): stored = given * scale + offset.
_CONVERSIONS: Final[Mapping[tuple[str, str], tuple[str, float, float]]] = {
    **{(q, u): (u, 1.0, 0.0) for q, u in CANONICAL_UNITS.items()},
    (TEMPERATURE, "K"): ("Cel", 1.0, -273.15),
    (DEW_POINT, "K"): ("Cel", 1.0, -273.15),
    (VOC, "ppm"): ("ppb", 1000.0, 0.0),
    # RFC 8428 §12.1: "%EL" is the remaining battery energy level in percent.
    (BATTERY, "%EL"): ("%EL", 1.0, 0.0),
}

# Physically possible ranges for each stored unit. Values outside are sensor faults (a
# disconnected probe reads 327.67 °C or -40 °C on many loggers) and are rejected, not stored
# (issue 4: "impossible values are rejected"). Bounds are deliberately wide: museum cold
# stores run at -20 °C (conservation.md §3, ASHRAE storage rows) and direct sun is ~100 klx.
PLAUSIBLE_RANGES: Final[Mapping[tuple[str, str], tuple[float, float]]] = {
    (TEMPERATURE, "Cel"): (-60.0, 90.0),
    (RELATIVE_HUMIDITY, "%RH"): (0.0, 100.0),
    (ILLUMINANCE, "lx"): (0.0, 200_000.0),
    (UV, "uW/lm"): (0.0, 10_000.0),
    (CO2, "ppm"): (0.0, 100_000.0),
    (VOC, "ppb"): (0.0, 1_000_000.0),
    (BATTERY, "V"): (0.0, 60.0),
    (BATTERY, "%EL"): (0.0, 100.0),
    (DEW_POINT, "Cel"): (-90.0, 90.0),
}

# Sensor clocks drift; a reading a few minutes ahead of the server is normal, one hours ahead
# is a wrong clock or time zone and would poison "latest value" displays.
DEFAULT_MAX_FUTURE: Final = timedelta(minutes=5)

SENSOR_CODE_MAX_LENGTH: Final = 100
# Letters, digits and - _ . : only: safe in an MQTT topic level (no "/", "+", "#"), in a
# SenML name (RFC 8428 §4.5.1 name characters) and in a URL path segment.
_SENSOR_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]*")


@dataclass(frozen=True, slots=True)
class LiveReading:
    """One value of one quantity from one sensor, at an aware UTC instant.

    Attributes:
        sensor: the sensor's code.
        quantity: one of :data:`QUANTITIES`.
        time: aware ``datetime`` in UTC.
        value: the value in ``unit``, finite and physically possible.
        unit: the stored unit (see the module table).
    """

    sensor: str
    quantity: str
    time: datetime
    value: float
    unit: str


class PayloadInvalid(ValidationFailed):
    """A live payload broke a rule; ``fields`` maps each bad place (``[3].v``) to the reason."""

    code = "payload_invalid"
    default_detail = _("The payload is not valid.")


class UnitError(ValueError):
    """The unit does not fit the quantity (so the sender's unit field is the one to fix)."""


class ErrorCollector:
    """Gathers every problem of one payload, so the sender sees them all at once.

    Only the first :attr:`limit` problems are kept: a broken 10 000-record batch must not
    produce a 10 000-line answer.
    """

    limit = 50

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.count = 0

    def add(self, where: str, message: Any) -> None:
        self.count += 1
        if len(self.fields) < self.limit and where not in self.fields:
            self.fields[where] = str(message)

    def raise_if_any(self) -> None:
        """Raise :class:`PayloadInvalid` naming the first problem, if there were any."""
        if not self.count:
            return
        where, message = next(iter(self.fields.items()))
        detail = _("%(count)d problem(s) in the payload; first at %(where)s: %(message)s") % {
            "count": self.count,
            "where": where,
            "message": message,
        }
        raise PayloadInvalid(detail, fields=self.fields)


def check_sensor_code(code: object) -> str:
    """Return ``code`` if it is a valid sensor code.

    Raises:
        ValueError: with a translated message, if it is not a non-empty string of letters,
            digits and ``- _ . :`` starting with a letter or digit, at most 100 characters.
    """
    if not isinstance(code, str) or not code:
        raise ValueError(_("A sensor code must be a non-empty text."))
    if len(code) > SENSOR_CODE_MAX_LENGTH:
        raise ValueError(
            _("Sensor code is longer than %(max)d characters.") % {"max": SENSOR_CODE_MAX_LENGTH}
        )
    if _SENSOR_CODE.fullmatch(code) is None:
        raise ValueError(
            _(
                "Sensor code %(code)r may hold only letters, digits and - _ . : "
                "(no spaces, slashes or MQTT wildcards + #)."
            )
            % {"code": code}
        )
    return code


def number(value: object) -> float:
    """Return ``value`` as a finite float.

    Raises:
        ValueError: booleans, text, NaN and infinities (JSON has no NaN, but some senders
            write it anyway, and ``1e999`` parses as infinity).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("Expected a number, got %(value)r.") % {"value": value})
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(_("Expected a finite number, got %(value)r.") % {"value": value})
    return result


def make_reading(
    sensor: str, quantity: str, time: datetime, value: float, unit: str | None
) -> LiveReading:
    """Convert to the stored unit and check the value is physically possible.

    ``unit`` ``None`` means the quantity's canonical unit.

    Raises:
        UnitError: a unit that does not fit the quantity (a ``ValueError``).
        ValueError: unknown quantity or an impossible value (translated message).
    """
    if quantity not in CANONICAL_UNITS:
        raise ValueError(
            _("Unknown quantity %(quantity)r; expected one of %(known)s.")
            % {"quantity": quantity, "known": ", ".join(QUANTITIES)}
        )
    given = CANONICAL_UNITS[quantity] if unit is None else unit
    conversion = _CONVERSIONS.get((quantity, given))
    if conversion is None:
        allowed = sorted(u for (q, u) in _CONVERSIONS if q == quantity)
        raise UnitError(
            _("Unit %(unit)r does not fit %(quantity)s; expected one of %(allowed)s.")
            % {"unit": given, "quantity": quantity, "allowed": ", ".join(allowed)}
        )
    stored_unit, scale, offset = conversion
    stored = value * scale + offset
    low, high = PLAUSIBLE_RANGES[(quantity, stored_unit)]
    if not low <= stored <= high:
        raise ValueError(
            _("%(quantity)s = %(value)s %(unit)s is impossible (allowed %(low)s to %(high)s).")
            % {
                "quantity": quantity,
                "value": value,
                "unit": given,
                "low": low,
                "high": high,
            }
        )
    return LiveReading(sensor, quantity, time, stored, stored_unit)


def parse_timestamp(text: object) -> datetime:
    """Parse an ISO 8601 / RFC 3339 timestamp that carries a UTC offset; return it in UTC.

    Accepts ``Z`` and fractions of a second longer than microseconds (The Things Stack and
    ChirpStack send nanoseconds), which are truncated to microseconds.

    Raises:
        ValueError: not text, not ISO 8601, or no UTC offset (a local time without a zone is
            ambiguous, and guessing it shifts every reading by hours).
    """
    if not isinstance(text, str):
        raise ValueError(_("Expected an ISO 8601 time as text, got %(value)r.") % {"value": text})
    cleaned = re.sub(r"(\.\d{6})\d+", r"\1", text.strip())
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(_("%(value)r is not an ISO 8601 time.") % {"value": text}) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(
            _("Time %(value)r has no UTC offset; add Z or +08:00, for example.") % {"value": text}
        )
    return parsed.astimezone(UTC)


def check_not_future(time: datetime, now: datetime, max_future: timedelta) -> None:
    """Reject a time more than ``max_future`` after ``now``.

    Raises:
        ValueError: the time is too far ahead (translated message).
    """
    if time > now + max_future:
        raise ValueError(
            _("Time %(time)s is in the future (now %(now)s); check the sensor clock.")
            % {"time": time.isoformat(), "now": now.isoformat()}
        )


def check_now(now: datetime) -> datetime:
    """Return ``now`` in UTC. Raises ``ValueError`` if it is naive (a programming error)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(UTC)
