"""Units and quantities named in logger headers, mojibake repair, and number parsing.

Vendors write the same unit many ways (``°C``, ``?C``, ``Â°C``, ``∞C``, ``deg C``, ``(C)``,
``*C``); the tables below map each spelling to a registry quantity and canonical unit. The
spellings come from the samples in research/heritage.md §4.2.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from taihe.modules.conservation.ingest.readings import QUANTITIES

# Mojibake of "°" seen in real exports (heritage.md §4.2 (a), (h)): UTF-8 read as cp1252
# ("Â°"), a cp1252 byte read as Mac Roman ("∞"), and the replacement "?" some tools write.
_MOJIBAKE = (("Â°", "°"), ("Âµ", "µ"), ("Î¼", "µ"), ("μ", "µ"), ("º", "°"))
_DEGREE_MARK = re.compile(r"(?:\?|∞|\*|�|deg\.?\s?)\s?([CF])\b", re.IGNORECASE)


def repair_mojibake(text: str) -> str:
    """Undo the common mis-decodings of ``°`` and ``µ`` in a header or unit string."""
    for bad, good in _MOJIBAKE:
        if bad in text:
            text = text.replace(bad, good)
    return _DEGREE_MARK.sub(lambda m: "°" + m.group(1).upper(), text)


# Header name keyword → quantity code. Checked in order, first match wins, on the lower-cased
# name, so the more specific phrases ("dew point", "cumulative illuminance") come first.
_NAME_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("dew", "dew_point"),
    ("taupunkt", "dew_point"),
    ("露点", "dew_point"),
    ("cumulative illuminance", "light_dose"),
    ("cumulative amount of uv", "uv_dose"),
    ("humid", "relative_humidity"),
    ("feuchte", "relative_humidity"),
    ("rh", "relative_humidity"),
    ("hr", "relative_humidity"),  # humedad relativa / humidité relative
    ("湿度", "relative_humidity"),
    ("temp", "temperature"),
    ("celsius", "temperature"),
    ("fahrenheit", "temperature"),
    ("温度", "temperature"),
    ("k-type", "temperature"),
    ("thermocouple", "temperature"),
    ("lux", "illuminance"),
    ("light", "illuminance"),
    ("illum", "illuminance"),
    ("照度", "illuminance"),
    ("uv", "uv"),
    ("co2", "co2"),
    ("co₂", "co2"),
    ("voc", "voc"),
    ("batt", "battery"),
    ("conductivity", "conductivity"),
    ("full range", "conductivity"),
    ("pressure", "pressure"),
)


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """A unit spelling: which quantity it implies (if any), canonical unit, linear conversion."""

    unit: str
    quantity: str | None
    scale: float = 1.0
    offset: float = 0.0


_FAHRENHEIT = UnitInfo("°F", "temperature", 5.0 / 9.0, -32.0 * 5.0 / 9.0)
# Unit spelling (lower-cased, spaces removed) → UnitInfo. °F → °C: (F − 32) × 5/9.
_UNITS: dict[str, UnitInfo] = {
    "°c": UnitInfo("°C", "temperature"),
    "c": UnitInfo("°C", "temperature"),
    "degc": UnitInfo("°C", "temperature"),
    "celsius": UnitInfo("°C", "temperature"),
    "°f": _FAHRENHEIT,
    "f": _FAHRENHEIT,
    "degf": _FAHRENHEIT,
    "fahrenheit": _FAHRENHEIT,
    "%": UnitInfo("%", None),
    "%rh": UnitInfo("%", "relative_humidity"),
    "rh%": UnitInfo("%", "relative_humidity"),
    "rh(%)": UnitInfo("%", "relative_humidity"),
    "%r.h.": UnitInfo("%", "relative_humidity"),
    "lux": UnitInfo("lx", "illuminance"),
    "lx": UnitInfo("lx", "illuminance"),
    "klx": UnitInfo("lx", "illuminance", 1000.0),
    "µw/lm": UnitInfo("µW/lm", "uv"),
    "uw/lm": UnitInfo("µW/lm", "uv"),
    "mw/cm2": UnitInfo("mW/cm²", "uv_irradiance"),
    "mw/cm²": UnitInfo("mW/cm²", "uv_irradiance"),
    "µw/cm2": UnitInfo("mW/cm²", "uv_irradiance", 0.001),
    "uw/cm2": UnitInfo("mW/cm²", "uv_irradiance", 0.001),
    "lxh": UnitInfo("lx·h", "light_dose"),
    "lx·h": UnitInfo("lx·h", "light_dose"),
    "klxh": UnitInfo("lx·h", "light_dose", 1000.0),
    # T&D writes the cumulative UV as "W/cm2h" (heritage.md §4.2 (g)); 1 W = 1000 mW.
    "w/cm2h": UnitInfo("mW·h/cm²", "uv_dose", 1000.0),
    "mw/cm2h": UnitInfo("mW·h/cm²", "uv_dose"),
    "ppm": UnitInfo("ppm", "co2"),
    "ppb": UnitInfo("ppb", "voc"),
    "v": UnitInfo("V", "battery"),
    "mv": UnitInfo("V", "battery", 0.001),
    "µs/cm": UnitInfo("µS/cm", "conductivity"),
    "us/cm": UnitInfo("µS/cm", "conductivity"),
    "hpa": UnitInfo("hPa", "pressure"),
    "mbar": UnitInfo("hPa", "pressure"),
    "kpa": UnitInfo("hPa", "pressure", 10.0),
}


def unit_info(raw: str) -> UnitInfo | None:
    """Look up a unit spelling (mojibake repaired, case and spaces ignored); None if unknown."""
    key = repair_mojibake(raw).strip().strip("()[]").replace(" ", "").lower()
    if key.startswith("deg") and len(key) > 3:
        key = "°" + key[3:]
    return _UNITS.get(key)


def quantity_for_name(name: str) -> str | None:
    """The registry quantity a column name suggests (``"Temp"`` → temperature), or None."""
    lowered = name.lower()
    for keyword, code in _NAME_KEYWORDS:
        if len(keyword) == 2:
            # "rh"/"hr" are too short to search inside words ("through"); require a token.
            if re.search(rf"(?<![a-z]){keyword}(?![a-z])", lowered):
                return code
        elif keyword in lowered:
            return code
    return None


# "Temp, °C (LGR S/N: …)" · "Temperature , °C" · "Temperature   (°C)" · "Celsius(deg C)"
# · "Humidity (RH(%))" · "T/°C" · "Temperature [°C]".
_UNIT_IN_PARENS = re.compile(r"^(?P<name>.*?)\s*[(\[](?P<unit>[^()\[\]]*(?:\([^()]*\))?)[)\]]\s*$")
_UNIT_AFTER_COMMA = re.compile(r"^(?P<name>[^,]+?)\s*,\s*(?P<unit>[^,(]+?)\s*(?:\(.*\))?\s*$")
_UNIT_AFTER_SLASH = re.compile(r"^(?P<name>[A-Za-z ]+)/(?P<unit>[^/]+)$")


def split_header(header: str) -> tuple[str, str]:
    """Split a column header into (name, unit text); unit text is ``""`` when none is given."""
    text = repair_mojibake(header).strip()
    for pattern in (_UNIT_AFTER_COMMA, _UNIT_IN_PARENS, _UNIT_AFTER_SLASH):
        match = pattern.match(text)
        if match and unit_info(match.group("unit")) is not None:
            return match.group("name").strip(), match.group("unit").strip()
    return text, ""


@dataclass(frozen=True, slots=True)
class ColumnQuantity:
    """What a data column holds once name and unit are read."""

    quantity: str
    unit: str
    source_unit: str
    scale: float = 1.0
    offset: float = 0.0


def column_quantity(name: str, unit_text: str) -> ColumnQuantity | None:
    """Decide quantity and conversion for a column from its name and unit text.

    The name decides the quantity when it can ("RH, %" and "Battery, %" share a unit); the unit
    decides it otherwise (T&D columns are named "ch1"…). Returns None when neither tells.
    """
    info = unit_info(unit_text) if unit_text else None
    quantity = quantity_for_name(name)
    if quantity is None and info is not None:
        quantity = info.quantity
    if quantity is None:
        return None
    if quantity == "battery" and info is not None and info.unit == "%":
        quantity = "battery_level"
    canonical = QUANTITIES[quantity].unit
    if info is None:
        # No unit given: assume the canonical one (Meaco "TEMPERATURE", bare "Humidity").
        return ColumnQuantity(quantity, canonical, canonical)
    if info.unit != canonical:
        if quantity in {"temperature", "dew_point"} and info.unit == "°F":
            return ColumnQuantity(quantity, canonical, "°F", info.scale, info.offset)
        return None
    return ColumnQuantity(quantity, canonical, info.unit, info.scale, info.offset)


_NUMBER_WITH_SUFFIX = re.compile(r"^\s*([-+]?[\d.,\s ']*\d|[-+]?\d)\s*(.*?)\s*$")
_GROUPED_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:[,. ' ]\d{3})+$")


def parse_number(text: str, *, decimal_comma: bool = False) -> float:
    """Parse a logger value: thousands separators, decimal commas, a unit suffix (``13.1 °C``).

    Raises ValueError when the text is not a finite or infinite number (NaN is returned as NaN
    so the caller can reject it with its own reason).
    """
    try:
        return float(text)
    except ValueError:
        pass
    match = _NUMBER_WITH_SUFFIX.match(text)
    if not match:
        raise ValueError(text)
    number = match.group(1).replace(" ", "").replace(" ", "").replace("'", "")
    if decimal_comma:
        number = number.replace(".", "").replace(",", ".")
    elif "," in number and "." in number:
        # Both marks: the last one is the decimal mark ("1.234,5" or "1,234.5").
        if number.rfind(",") > number.rfind("."):
            number = number.replace(".", "").replace(",", ".")
        else:
            number = number.replace(",", "")
    elif "," in number:
        number = (
            number.replace(",", "")
            if _GROUPED_THOUSANDS.match(number)
            else number.replace(",", ".")
        )
    return float(number)


def value_suffix_unit(text: str) -> str:
    """The unit written after a number (``"56.3 %RH"`` → ``"%RH"``); ``""`` when none."""
    match = _NUMBER_WITH_SUFFIX.match(text)
    return match.group(2) if match else ""


def decimal_comma_in(values: Iterable[str]) -> bool:
    """True when numbers in a column use a decimal comma (``21,5``) rather than grouping."""
    for value in values:
        if "," in value and "." not in value and not _GROUPED_THOUSANDS.match(value.strip()):
            return True
    return False


def is_finite(value: float) -> bool:
    """NaN and ±inf are never readings."""
    return not (math.isnan(value) or math.isinf(value))


def explicit_quantity(quantity: str, unit: str) -> ColumnQuantity | None:
    """Conversion for a quantity and unit named in a column mapping; None if they do not fit."""
    spec = QUANTITIES.get(quantity)
    if spec is None:
        return None
    if not unit:
        return ColumnQuantity(quantity, spec.unit, spec.unit)
    info = unit_info(unit)
    if info is None:
        return None
    if info.unit == spec.unit:
        return ColumnQuantity(quantity, spec.unit, info.unit, info.scale, info.offset)
    if info.unit == "°F" and spec.unit == "°C":
        return ColumnQuantity(quantity, spec.unit, "°F", info.scale, info.offset)
    return None
