"""Plain records produced by the parser: readings, rejected rows, logger events, the result.

Quantities are a registry (code → canonical unit and physically possible range) so that a new
sensor kind is one :func:`register_quantity` call, not a change to the parser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class Quantity:
    """A measured quantity: registry code, canonical unit and the range a real reading can have.

    ``minimum``/``maximum`` are *physical plausibility* limits, not conservation targets: a value
    outside them is a sensor or file fault and is rejected, never stored.
    """

    code: str
    unit: str
    minimum: float = -math.inf
    maximum: float = math.inf


QUANTITIES: dict[str, Quantity] = {}


def register_quantity(quantity: Quantity) -> Quantity:
    """Add (or replace) a quantity in the registry and return it."""
    QUANTITIES[quantity.code] = quantity
    return quantity


# Temperature −50…80 °C: the working range of common museum loggers (HOBO MX1101 −20…70 °C,
# Tinytag Ultra 2 −40…85 °C); anything beyond is a disconnected probe, not a room.
register_quantity(Quantity("temperature", "°C", -50.0, 80.0))
# RH is a ratio of vapour pressures: 0–100 % by definition.
register_quantity(Quantity("relative_humidity", "%", 0.0, 100.0))
register_quantity(Quantity("dew_point", "°C", -80.0, 80.0))
register_quantity(Quantity("illuminance", "lx", 0.0))
# UV as a proportion of visible light, µW/lm (museum convention, CCI; 75 µW/lm guideline).
register_quantity(Quantity("uv", "µW/lm", 0.0))
# UV irradiance as T&D TR-74Ui reports it.
register_quantity(Quantity("uv_irradiance", "mW/cm²", 0.0))
register_quantity(Quantity("light_dose", "lx·h", 0.0))
register_quantity(Quantity("uv_dose", "mW·h/cm²", 0.0))
register_quantity(Quantity("co2", "ppm", 0.0))
register_quantity(Quantity("voc", "ppb", 0.0))
register_quantity(Quantity("battery", "V", 0.0))
register_quantity(Quantity("battery_level", "%", 0.0, 100.0))
register_quantity(Quantity("conductivity", "µS/cm", 0.0))
register_quantity(Quantity("pressure", "hPa", 0.0))


class Reading(NamedTuple):
    """One measured value. ``time`` is timezone-aware UTC; ``value`` is in ``unit`` (canonical).

    ``source_unit`` is the unit the file used when it differs (``"°F"`` for converted
    temperatures); ``flags`` carries quality notes such as ``"clock_reset"``.

    A NamedTuple rather than a dataclass: a year of 5-minute data is hundreds of thousands of
    these, and tuple construction is several times cheaper.
    """

    sensor: str | None
    quantity: str
    time: datetime
    value: float
    unit: str
    source_row: int
    source_unit: str = ""
    flags: tuple[str, ...] = ()


class RejectedRow(NamedTuple):
    """A row (1-based line in the file, or sheet row) or one value in it that was not stored."""

    row: int
    field: str
    reason: str


class LoggerEvent(NamedTuple):
    """A logger event such as "Coupler Attached" or "Stopped": kept as an annotation."""

    sensor: str | None
    name: str
    time: datetime
    source_row: int


@dataclass(slots=True)
class ParseResult:
    """Everything read from one file. ``sensors`` lists serials/names in order of appearance."""

    format: str
    sensors: list[str] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    events: list[LoggerEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    confidence: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)
