"""Structured measurements from a dimensions line ("H. 35.2 cm; W. 20 cm", "高35.2厘米").

The result is a list of ``(kind, value, unit)``: kind is height, width, depth, length,
diameter, rim_diameter (口径), base_diameter (底径/足径), body_diameter (腹径), thickness or
weight; value a Decimal; unit cm, mm, m, in, g or kg. A line that cannot be read gives an empty
list, and the caller keeps the text.

Rules, in order:

* labelled values ("H. 9 1/4 in.", "Diam. of rim 21 cm", "通高45厘米", "重2.5千克");
  when an imperial value is followed by its metric equivalent in brackets (the Met's
  "H. 9 1/4 in. (23.5 cm)"), the metric one is kept;
* a series "32 x 24.5 cm" is height × width (× depth), the order the Met, CDWA and most
  catalogues write it in, unless labels say otherwise ("H. 9 x W. 5 x D. 2 in."); again the
  metric twin in brackets wins; a series is preferred when it gives at least as many values
  as the labelled reading;
* each kind is kept once, first occurrence first: multi-part objects list the whole object
  (or its main part) first.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

Dimension = tuple[str, Decimal, str]

_KINDS_EN = {
    "h": "height", "ht": "height", "hgt": "height", "height": "height", "overall height":
    "height", "w": "width", "wd": "width", "width": "width", "d": "depth", "depth": "depth",
    "l": "length", "length": "length", "diam": "diameter", "dia": "diameter",
    "diameter": "diameter", "th": "thickness", "thickness": "thickness", "wt": "weight",
    "weight": "weight",
}
_KINDS_ZH = {
    "通高": "height", "高": "height", "纵": "height", "縱": "height", "宽": "width",
    "寬": "width", "横": "width", "橫": "width", "长": "length", "長": "length", "深": "depth",
    "厚": "thickness", "口径": "rim_diameter", "口徑": "rim_diameter",
    "底径": "base_diameter", "底徑": "base_diameter", "足径": "base_diameter",
    "足徑": "base_diameter", "腹径": "body_diameter", "腹徑": "body_diameter",
    "直径": "diameter", "直徑": "diameter", "径": "diameter", "徑": "diameter",
    "重量": "weight", "重": "weight", "通长": "length", "通長": "length", "通宽": "width",
    "通寬": "width",
}
_UNITS = {
    "cm": "cm", "厘米": "cm", "公分": "cm", "釐米": "cm", "mm": "mm", "毫米": "mm",
    "m": "m", "米": "m", "in": "in", "in.": "in", "inch": "in", "inches": "in", '"': "in",
    "″": "in", "kg": "kg", "千克": "kg", "公斤": "kg", "g": "g", "克": "g",
}
_QUALIFIED_DIAMETER = {"rim": "rim_diameter", "mouth": "rim_diameter", "base": "base_diameter",
                       "foot": "base_diameter"}
_METRIC = {"cm", "mm", "m"}

_NUMBER = r"(?:\d+(?:\.\d+)?(?:\s+\d+/\d+)?|\d+/\d+)"
_UNIT_EN = r"(?:cm|mm|m|inches|inch|in\.?|kg|g|\"|″)(?![a-z])"
_UNIT_ZH = r"(?:厘米|公分|釐米|毫米|千克|公斤|米|克|cm|mm|kg|m|g)"

_LABELLED_EN = re.compile(
    r"(?<![a-z])(?P<kind>" + "|".join(sorted(_KINDS_EN, key=len, reverse=True)) + r")\.?"
    r"(?:\s*\([^)]*\))?"  # "Height (Total):"
    r"(?:\s+(?:of\s+)?(?P<qualifier>[a-z]+))?"  # "Diam. of rim", "H. closed"
    rf"\s*:?\s*(?P<value>{_NUMBER})\s*(?P<unit>{_UNIT_EN})"
    rf"(?:\s*\(\s*(?P<metric_value>{_NUMBER})\s*(?P<metric_unit>cm|mm|m)(?![a-z])\s*\))?"
)
_LABELLED_ZH = re.compile(
    r"(?P<kind>" + "|".join(sorted(_KINDS_ZH, key=len, reverse=True)) + r")"
    rf"\s*[:：]?\s*(?:约|約)?\s*(?P<value>{_NUMBER})\s*(?P<unit>{_UNIT_ZH})"
)
_SERIES_LABEL = r"(?:(?:h|w|d|l|diam|dia)\.?\s*)"
_SERIES_ITEM = rf"{_SERIES_LABEL}?{_NUMBER}(?:\s*{_UNIT_EN})?"
_SERIES = re.compile(rf"{_SERIES_ITEM}(?:\s*x\s*{_SERIES_ITEM}){{1,2}}")
_SERIES_VALUE = re.compile(
    rf"(?:(?P<label>h|w|d|l|diam|dia)\.?\s*)?(?P<value>{_NUMBER})(?:\s*(?P<unit>{_UNIT_EN}))?"
)
_TWIN = re.compile(r"\s*\(\s*(?P<inner>[^()]*)\)")
_SERIES_KINDS = ("height", "width", "depth")


def _decimal(text: str) -> Decimal | None:
    """"12 1/2" → 12.5; "3/4" → 0.75; "35.2" → 35.2."""
    try:
        whole, _, fraction = text.strip().partition(" ")
        if "/" in whole:
            whole, fraction = "0", whole
        value = Decimal(whole)
        if fraction:
            numerator, denominator = fraction.split("/")
            if Decimal(denominator) == 0:
                return None
            part = Decimal(numerator) / Decimal(denominator)
            # Binary fractions (1/2 … 1/64) are exact; anything else is rounded to 0.0001.
            value += part if part == part.quantize(Decimal("0.000001")) else \
                part.quantize(Decimal("0.0001"))
        return value
    except (InvalidOperation, ValueError):
        return None


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.replace("×", "x").replace("✕", "x")


def _labelled(text: str) -> list[Dimension]:
    found: list[Dimension] = []
    for match in _LABELLED_EN.finditer(text):
        kind = _KINDS_EN[match["kind"]]
        if kind == "diameter" and match["qualifier"] in _QUALIFIED_DIAMETER:
            kind = _QUALIFIED_DIAMETER[match["qualifier"]]
        value, unit = match["value"], _UNITS[match["unit"]]
        if unit not in _METRIC and match["metric_value"]:
            value, unit = match["metric_value"], match["metric_unit"]
        number = _decimal(value)
        if number is not None:
            found.append((kind, number, unit))
    for match in _LABELLED_ZH.finditer(text):
        number = _decimal(match["value"])
        if number is not None:
            found.append((_KINDS_ZH[match["kind"]], number, _UNITS[match["unit"]]))
    return found


def _series_values(text: str) -> list[Dimension] | None:
    """"9 3/8 x W. 5 x D. 2 1/2 in." → height, width, depth: kinds from the labels where
    written, else by position (height × width × depth); the unit is the last one written."""
    parts = list(_SERIES_VALUE.finditer(text))
    unit = next((part["unit"] for part in reversed(parts) if part["unit"]), None)
    if unit is None:
        return None  # "32 x 24.5" without a unit is not a measurement
    values: list[Dimension] = []
    for index, part in enumerate(parts):
        number = _decimal(part["value"])
        if number is None:
            return None
        kind = _KINDS_EN[part["label"]] if part["label"] else _SERIES_KINDS[index]
        values.append((kind, number, _UNITS[unit]))
    return values


def _series(text: str) -> tuple[list[Dimension], bool]:
    """The first series written outside brackets, replaced by its metric twin in brackets when
    the Met-style "… in. (… cm)" follows. A series found only inside brackets is returned
    with ``True``: it counts only when nothing else could be read."""
    bracketed: list[Dimension] | None = None
    for match in _SERIES.finditer(text):
        values = _series_values(match[0])
        if values is None:
            continue
        if text[: match.start()].rstrip().endswith("("):
            bracketed = bracketed or values
            continue
        if values[0][2] not in _METRIC and (twin := _TWIN.match(text, match.end())):
            metric = _SERIES.fullmatch(twin["inner"].strip())
            metric_values = _series_values(metric[0]) if metric else None
            if metric_values and len(metric_values) == len(values) and \
                    metric_values[0][2] in _METRIC:
                values = [(kind, number, unit) for (kind, _n, _u), (_k, number, unit)
                          in zip(values, metric_values, strict=True)]
        return values, False
    return bracketed or [], True


def parse_dimensions(text: str) -> list[Dimension]:
    """The measurements in a dimensions line, each kind once, in the order written; an empty
    list when none can be read (never raises)."""
    normalized = _normalize(text or "")
    if not normalized.strip():
        return []
    labelled = _labelled(normalized)
    series, only_bracketed = _series(normalized)
    # "H. 9 3/8 x W. 5 x D. 2 1/2 in." is one series, not a lone depth of 2 1/2 in.
    if only_bracketed and labelled:
        found = labelled
    else:
        found = series if len(series) >= len(labelled) else labelled
    result: list[Dimension] = []
    seen: set[str] = set()
    for kind, value, unit in found:
        if kind not in seen:
            seen.add(kind)
            result.append((kind, value, unit))
    return result
