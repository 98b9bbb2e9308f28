"""Period metrics: what a monthly or annual environmental report says about one location.

:func:`period_metrics` turns the series of one location (temperature, RH, illuminance, UV) and
its specification into a list of :class:`MetricLine` rows, in a fixed order, each with a
number, its localized display and a note. Every number comes from the science library or
from :func:`~taihe.modules.conservation.specifications.compliance`; nothing here re-derives a
formula. A metric whose inputs are missing or too short still has its row, with ``value`` set
to ``None`` and a note saying why, so a report and a spreadsheet always show the same rows.

Labels and notes are translated with ``gettext`` when :func:`period_metrics` runs: call it
inside ``translation.override(language)`` for the report's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import numpy as np
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from numpy.typing import NDArray

from .science import (
    ASHRAE_CLASSES,
    AshraeCompliance,
    ashrae_compliance,
    dew_point,
    emc_wood,
    en15757_band,
    twpi,
    vtt_mould_index,
)
from .science import _timeseries as science_timeseries
from .science import _validation as science_validation
from .science.climate_classes import EN15757_WINDOW_DAYS
from .specifications import (
    BandResult,
    ComplianceResult,
    EnvironmentSpec,
    LightResult,
    QuantitySeries,
    compliance,
)

TEMPERATURE: Final = "temperature"
RELATIVE_HUMIDITY: Final = "relative_humidity"
ILLUMINANCE: Final = "illuminance"
UV: Final = "uv"

SECONDS_PER_DAY: Final = 86_400.0
DAYS_PER_YEAR: Final = 365.0

ASHRAE_CLASS_MET_FRACTION: Final = 0.95
"""A class counts as achieved when at least 95 % of the covered time meets it. ASHRAE gives no
such fraction (conservation.md §3: no algorithm for a time series); this is our choice, looser
than 100 % so that a single logger spike or door opening does not decide the class, and
stricter than EN 15757's 7th/93rd percentiles (14 % of readings outside, conservation.md §7)."""
MIN_SHORT_TERM_DAYS: Final = 1.0
"""The 24 h change and the ASHRAE short-term test need at least one day of readings."""
MOULD_SENSITIVITY: Final = "very_sensitive"
"""VTT class for the mould index: the original Hukka–Viitanen pine-sapwood model (Ojanen et al.
2010), the cautious choice for mixed collections (conservation.md §4.2)."""

_NO_LIMITS: Final = EnvironmentSpec(code="", name={})
"""Measured against no limits, :func:`compliance` still gives minima, maxima, 24 h changes and
light doses; used when a location has no specification."""


@dataclass(frozen=True)
class MetricLine:
    """One row of the period summary.

    Attributes:
        code: stable identifier, e.g. ``temperature_mean`` (see :data:`METRIC_CODES`).
        label: translated name of the metric.
        value: the number in the unit of ``display`` (fractions of time in %), or ``None``
            when it could not be computed (``note`` says why).
        display: ``value`` localized with its unit, ``"—"`` when ``value`` is ``None``.
        note: translated remark: the reason for a missing value, the limit it is compared
            with, or a caveat on how far the number can be trusted.
    """

    code: str
    label: str
    value: float | None
    display: str
    note: str


@dataclass(frozen=True)
class PeriodMetrics:
    """The rows of the summary, and the specification compliance they came from (``None``
    without a specification)."""

    lines: list[MetricLine]
    compliance: ComplianceResult | None

    def line(self, code: str) -> MetricLine:
        """The row with ``code``; ``KeyError`` if there is none."""
        for line in self.lines:
            if line.code == code:
                return line
        raise KeyError(code)


METRIC_CODES: Final = (
    "temperature_mean",
    "temperature_min",
    "temperature_max",
    "relative_humidity_mean",
    "relative_humidity_min",
    "relative_humidity_max",
    "dew_point_min",
    "dew_point_max",
    "temperature_change_24h_max",
    "relative_humidity_change_24h_max",
    "temperature_in_band",
    "relative_humidity_in_band",
    "ashrae_class_achieved",
    "ashrae_class_compliance",
    "en15757_in_band",
    "twpi",
    "emc_wood_min",
    "emc_wood_max",
    "mould_index_max",
    "light_dose",
    "light_dose_annual",
    "illuminance_max",
    "uv_max",
)
"""Every row :func:`period_metrics` returns, in this order."""


def metric_label(code: str) -> str:
    """Translated label of a metric code (current language)."""
    labels: dict[str, Callable[[], str]] = {
        "temperature_mean": lambda: _("Mean temperature"),
        "temperature_min": lambda: _("Lowest temperature"),
        "temperature_max": lambda: _("Highest temperature"),
        "relative_humidity_mean": lambda: _("Mean relative humidity"),
        "relative_humidity_min": lambda: _("Lowest relative humidity"),
        "relative_humidity_max": lambda: _("Highest relative humidity"),
        "dew_point_min": lambda: _("Lowest dew point"),
        "dew_point_max": lambda: _("Highest dew point"),
        "temperature_change_24h_max": lambda: _("Largest temperature change in 24 h"),
        "relative_humidity_change_24h_max": lambda: _("Largest RH change in 24 h"),
        "temperature_in_band": lambda: _("Time within the temperature band"),
        "relative_humidity_in_band": lambda: _("Time within the RH band"),
        "ashrae_class_achieved": lambda: _("ASHRAE class achieved"),
        "ashrae_class_compliance": lambda: _("Time within the specified ASHRAE class"),
        "en15757_in_band": lambda: _("Time within the EN 15757 seasonal RH band"),
        "twpi": lambda: _("Time-weighted preservation index (TWPI)"),
        "emc_wood_min": lambda: _("Lowest wood equilibrium moisture content"),
        "emc_wood_max": lambda: _("Highest wood equilibrium moisture content"),
        "mould_index_max": lambda: _("Highest VTT mould index"),
        "light_dose": lambda: _("Light dose over the period"),
        "light_dose_annual": lambda: _("Light dose per year (annualised)"),
        "illuminance_max": lambda: _("Highest illuminance"),
        "uv_max": lambda: _("Highest UV"),
    }
    return labels[code]()


def format_number(value: float, decimals: int) -> str:
    """``value`` rounded half-even to ``decimals`` places, localized, grouped by thousands.

    Django's ``number_format`` cuts digits instead of rounding them, so the value is rounded
    here first; ``-0.0`` shows as ``0.0``.
    """
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN)
    if rounded.is_zero():
        rounded = abs(rounded)
    return number_format(rounded, decimals, force_grouping=True)


def _unit_text(unit: str) -> str:
    units: dict[str, Callable[[], str]] = {
        "years": lambda: _("years"),
        "lxh": lambda: _("lx·h"),
        "lxh_year": lambda: _("lx·h per year"),
        "mc": lambda: _("% MC"),
    }
    return units[unit]() if unit in units else unit


def _display(value: float, decimals: int, unit: str) -> str:
    text = format_number(value, decimals)
    if unit == "%":
        return f"{text} %"
    return f"{text} {_unit_text(unit)}" if unit else text


class _Lines:
    """Collects rows by code; :meth:`result` returns them in :data:`METRIC_CODES` order."""

    def __init__(self) -> None:
        self._rows: dict[str, MetricLine] = {}

    def value(self, code: str, value: float, decimals: int, unit: str, note: str = "") -> None:
        self._rows[code] = MetricLine(
            code, metric_label(code), float(value), _display(value, decimals, unit), note
        )

    def text(self, code: str, value: float | None, display: str, note: str = "") -> None:
        self._rows[code] = MetricLine(code, metric_label(code), value, display, note)

    def missing(self, code: str, note: str) -> None:
        self._rows[code] = MetricLine(code, metric_label(code), None, "—", note)

    def missing_all(self, codes: tuple[str, ...], note: str) -> None:
        for code in codes:
            self.missing(code, note)

    def result(self) -> list[MetricLine]:
        return [self._rows[code] for code in METRIC_CODES]


@dataclass(frozen=True)
class _Series:
    """A usable series: float arrays, its span and covered time in days."""

    times: NDArray[np.float64]
    values: NDArray[np.float64]
    span_days: float
    covered_days: float
    mean: float


def _checked(quantity: str, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """The values, checked as the science library checks its inputs (raises ``ValueError``)."""
    if quantity == TEMPERATURE:
        return science_validation.temperature(quantity, values)
    if quantity == RELATIVE_HUMIDITY:
        return science_validation.relative_humidity(quantity, values)
    if quantity == ILLUMINANCE:
        return science_validation.non_negative(quantity, values, "lx")
    return science_validation.non_negative(quantity, values, "µW/lm")


def _usable(quantity: str, series: QuantitySeries | None) -> _Series | str | None:
    """The series as arrays, or a reason (translated) why it cannot be used, or ``None`` when
    it is absent or empty.

    Raises:
        ValueError: invalid times or values (the science library's validation).
    """
    if series is None:
        return None
    times = np.asarray(series.times)
    if times.ndim == 1 and times.shape[0] == 0:
        return None
    if times.ndim == 1 and times.shape[0] == 1:
        return _("needs at least two readings")
    axis = science_validation.time_axis(times)
    values = _checked(quantity, np.asarray(series.values, dtype=np.float64))
    values = science_validation.series(quantity, values, axis.durations.shape[0])
    if np.issubdtype(times.dtype, np.datetime64):
        seconds = (times - np.datetime64(0, "s")) / np.timedelta64(1, "s")
    else:
        seconds = times.astype(np.float64, copy=False)
    return _Series(
        times=seconds,
        values=values,
        span_days=axis.end / SECONDS_PER_DAY,
        covered_days=axis.total / SECONDS_PER_DAY,
        mean=science_timeseries.weighted_mean(values, axis),
    )


def _no_readings(quantity: str) -> str:
    notes: dict[str, Callable[[], str]] = {
        TEMPERATURE: lambda: _("no temperature readings"),
        RELATIVE_HUMIDITY: lambda: _("no relative humidity readings"),
        ILLUMINANCE: lambda: _("no illuminance readings"),
        UV: lambda: _("no UV readings"),
    }
    return notes[quantity]()


def _paired(
    t: _Series, rh: _Series
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]] | None:
    """Temperature and RH at the times both were read (``None`` if fewer than two)."""
    if t.times.shape == rh.times.shape and np.array_equal(t.times, rh.times):
        return t.times, t.values, rh.values
    common, t_index, rh_index = np.intersect1d(t.times, rh.times, return_indices=True)
    if common.shape[0] < 2:
        return None
    return common, t.values[t_index], rh.values[rh_index]


def _days_note(days: float) -> str:
    return _("based on %(days)s days") % {"days": format_number(days, 1)}


def _limit_note(limit: float | None, decimals: int, unit: str, met: bool) -> str:
    if limit is None:
        return ""
    params = {"limit": _display(limit, decimals, unit)}
    if met:
        return _("limit %(limit)s: met") % params
    return _("limit %(limit)s: exceeded") % params


def _band_note(low: float | None, high: float | None, decimals: int, unit: str) -> str:
    if low is not None and high is not None:
        return _("band %(low)s to %(high)s") % {
            "low": format_number(low, decimals),
            "high": _display(high, decimals, unit),
        }
    if low is not None:
        return _("at least %(low)s") % {"low": _display(low, decimals, unit)}
    return _("at most %(high)s") % {"high": _display(high or 0.0, decimals, unit)}


def _temperature_humidity(
    lines: _Lines, quantity: str, data: _Series | str | None, band: BandResult | None
) -> None:
    prefix = quantity
    codes = (f"{prefix}_mean", f"{prefix}_min", f"{prefix}_max")
    unit, decimals = ("°C", 1) if quantity == TEMPERATURE else ("%", 1)
    if isinstance(data, str) or data is None or band is None:
        lines.missing_all(codes, data if isinstance(data, str) else _no_readings(quantity))
        return
    lines.value(f"{prefix}_mean", data.mean, decimals, unit, _("time-weighted"))
    lines.value(f"{prefix}_min", band.minimum, decimals, unit)
    lines.value(f"{prefix}_max", band.maximum, decimals, unit)


def _change_24h(
    lines: _Lines,
    quantity: str,
    data: _Series | str | None,
    band: BandResult | None,
    limit: float | None,
) -> None:
    code = f"{quantity}_change_24h_max"
    unit = "K" if quantity == TEMPERATURE else "%"
    if isinstance(data, str) or data is None or band is None:
        lines.missing(code, data if isinstance(data, str) else _no_readings(quantity))
        return
    if data.span_days < MIN_SHORT_TERM_DAYS:
        lines.missing(code, _("needs at least one day of readings"))
        return
    note = _limit_note(limit, 1, unit, band.change_24h_max <= limit) if limit is not None else ""
    if band.change_24h_fraction is not None:
        note += "; " + _("%(percent)s of the time within it") % {
            "percent": _display(100.0 * band.change_24h_fraction, 1, "%")
        }
    lines.value(code, band.change_24h_max, 1, unit, note)


def _in_band(
    lines: _Lines,
    quantity: str,
    data: _Series | str | None,
    band: BandResult | None,
    spec: EnvironmentSpec | None,
) -> None:
    code = f"{quantity}_in_band"
    if isinstance(data, str) or data is None or band is None:
        lines.missing(code, data if isinstance(data, str) else _no_readings(quantity))
        return
    if spec is None:
        lines.missing(code, _("no specification"))
        return
    if band.low is None and band.high is None:
        if quantity == TEMPERATURE:
            lines.missing(code, _("the specification sets no temperature band"))
        else:
            lines.missing(code, _("the specification sets no RH band"))
        return
    unit = "°C" if quantity == TEMPERATURE else "%"
    note = _band_note(band.low, band.high, 1, unit)
    if band.excursions:
        count = len(band.excursions)
        note += "; " + ngettext("%(count)d excursion", "%(count)d excursions", count) % {
            "count": count
        }
    lines.value(code, 100.0 * band.fraction_in_band, 1, "%", note)


def _ashrae_achieved(
    times: NDArray[np.float64], t: NDArray[np.float64], rh: NDArray[np.float64]
) -> tuple[str, AshraeCompliance] | None:
    """The first class, strictest first, met for :data:`ASHRAE_CLASS_MET_FRACTION` of the
    time, with its compliance; ``None`` if not even class D is."""
    for name in ASHRAE_CLASSES:
        result = ashrae_compliance(times, t, rh, name)
        if result.fraction_in_class >= ASHRAE_CLASS_MET_FRACTION:
            return name, result
    return None


def _climate(
    lines: _Lines,
    t: _Series | str | None,
    rh: _Series | str | None,
    spec: EnvironmentSpec | None,
    result: ComplianceResult,
    wood_species: str | None,
) -> None:
    """Rows that need temperature and RH together."""
    codes = (
        "dew_point_min", "dew_point_max", "ashrae_class_achieved", "ashrae_class_compliance",
        "twpi", "emc_wood_min", "emc_wood_max", "mould_index_max",
    )  # fmt: skip
    if not isinstance(t, _Series) or not isinstance(rh, _Series):
        reasons = [
            _no_readings(q) if d is None else d
            for q, d in ((TEMPERATURE, t), (RELATIVE_HUMIDITY, rh))
            if not isinstance(d, _Series)
        ]
        lines.missing_all(codes, "; ".join(reasons))
        return
    paired = _paired(t, rh)
    if paired is None:
        lines.missing_all(codes, _("temperature and RH were not read at the same times"))
        return
    times, t_c, rh_pc = paired
    span_days = (times[-1] - times[0]) / SECONDS_PER_DAY
    short_period = span_days < DAYS_PER_YEAR - 1.0

    dew = dew_point(t_c, rh_pc)
    assert isinstance(dew, np.ndarray)
    lines.value("dew_point_min", float(dew.min()), 1, "°C")
    lines.value("dew_point_max", float(dew.max()), 1, "°C")

    if span_days < MIN_SHORT_TERM_DAYS:
        lines.missing("ashrae_class_achieved", _("needs at least one day of readings"))
    else:
        achieved = _ashrae_achieved(times, t_c, rh_pc)
        note = _("best class met %(percent)s of the time or more") % {
            "percent": _display(100.0 * ASHRAE_CLASS_MET_FRACTION, 0, "%")
        }
        if short_period:
            note += "; " + _("annual average taken as the period's average")
        if achieved is None:
            lines.text("ashrae_class_achieved", None, _("none"), note)
        else:
            name, class_result = achieved
            share = _display(100.0 * class_result.fraction_in_class, 1, "%")
            lines.text(
                "ashrae_class_achieved",
                100.0 * class_result.fraction_in_class,
                f"{name} ({share})",
                note,
            )

    if spec is None:
        lines.missing("ashrae_class_compliance", _("no specification"))
    elif spec.ashrae_class is None:
        lines.missing("ashrae_class_compliance", _("the specification is not an ASHRAE class"))
    elif span_days < MIN_SHORT_TERM_DAYS or result.ashrae is None:
        lines.missing("ashrae_class_compliance", _("needs at least one day of readings"))
    else:
        lines.value(
            "ashrae_class_compliance",
            100.0 * result.ashrae.fraction_in_class,
            1,
            "%",
            _("class %(name)s") % {"name": spec.ashrae_class},
        )

    # Padfield's closed form of IPI's PI (science.preservation_index), so an approximate TWPI.
    twpi_note = _("approximate (Padfield's closed form of IPI's PI)")
    if short_period:
        # Richardson et al. (2023): compute over a full year so that every season counts.
        twpi_note += "; " + _("less than a year: not every season is represented")
    lines.value("twpi", twpi(times, t_c, rh_pc), 0, "years", twpi_note)

    emc = emc_wood(t_c, rh_pc)
    assert isinstance(emc, np.ndarray)
    # One equation for all species: the FPL Hailwood–Horrobin fit is a softwood average
    # (conservation.md §1.4, §2), so a species is named but does not change the number.
    emc_note = _("USDA FPL equation, average for wood")
    if wood_species:
        emc_note += "; " + _("%(species)s may differ from the average") % {"species": wood_species}
    lines.value("emc_wood_min", float(emc.min()), 1, "mc", emc_note)
    lines.value("emc_wood_max", float(emc.max()), 1, "mc", emc_note)

    mould = vtt_mould_index(times, t_c, rh_pc, sensitivity=MOULD_SENSITIVITY)
    lines.value(
        "mould_index_max",
        float(mould.max()),
        2,
        "",
        # The index is integrated from 0 at the first reading; growth before the period is
        # not carried in, and room air stands in for surface conditions (conservation.md §4).
        _("very sensitive materials, from 0 at the start of the period; 1 = microscopic growth"),
    )


def _en15757(lines: _Lines, rh: _Series | str | None) -> None:
    code = "en15757_in_band"
    if not isinstance(rh, _Series):
        lines.missing(code, rh if isinstance(rh, str) else _no_readings(RELATIVE_HUMIDITY))
        return
    # EN 15757:2010: a centred 30-day moving average, undefined until a whole window of data
    # lies inside the record.
    if rh.span_days <= EN15757_WINDOW_DAYS:
        lines.missing(code, _("needs more than 30 days of readings"))
        return
    try:
        band = en15757_band(rh.times, rh.values)
    except ValueError:
        # The values were validated in _usable, so the only failure left is a record with no
        # 30-day window holding half its length of data.
        lines.missing(code, _("too many gaps for a 30-day moving average"))
        return
    note = _("band %(low)s to %(high)s around the 30-day average") % {
        "low": format_number(band.lower_offset, 1),
        "high": "+" + _display(band.upper_offset, 1, "%"),
    }
    if rh.span_days < DAYS_PER_YEAR - 1.0:
        note += "; " + _("EN 15757 asks for at least a year of data")
    lines.value(code, 100.0 * band.fraction_within, 1, "%", note)


def _light(
    lines: _Lines, lux: _Series | str | None, light: LightResult | None, spec: EnvironmentSpec
) -> None:
    codes = ("light_dose", "light_dose_annual", "illuminance_max")
    if not isinstance(lux, _Series) or light is None:
        lines.missing_all(codes, lux if isinstance(lux, str) else _no_readings(ILLUMINANCE))
        return
    lines.value("light_dose", light.lux_hours, 0, "lxh", _days_note(lux.covered_days))
    note = _limit_note(
        spec.annual_lux_hours_max, 0, "lxh_year", light.annual_dose_within_limit is True
    )
    if lux.span_days < DAYS_PER_YEAR - 1.0:
        extrapolated = _("extrapolated from %(days)s days") % {
            "days": format_number(lux.covered_days, 1)
        }
        note = f"{note}; {extrapolated}" if note else extrapolated
    lines.value("light_dose_annual", light.annual_lux_hours, 0, "lxh_year", note)
    max_note = _limit_note(spec.lux_max, 0, "lx", light.maximum_lux <= (spec.lux_max or 0.0))
    if light.fraction_within_lux_max is not None:
        max_note += "; " + _("%(percent)s of the time within it") % {
            "percent": _display(100.0 * light.fraction_within_lux_max, 1, "%")
        }
    lines.value("illuminance_max", light.maximum_lux, 0, "lx", max_note)


def _uv(
    lines: _Lines, uv: _Series | str | None, band: BandResult | None, spec: EnvironmentSpec
) -> None:
    if not isinstance(uv, _Series) or band is None:
        lines.missing("uv_max", uv if isinstance(uv, str) else _no_readings(UV))
        return
    note = _limit_note(spec.uv_max, 0, "µW/lm", band.maximum <= (spec.uv_max or 0.0))
    lines.value("uv_max", band.maximum, 0, "µW/lm", note)


def period_metrics(
    series: Mapping[str, QuantitySeries],
    spec: EnvironmentSpec | None,
    *,
    wood_species: str | None = None,
) -> PeriodMetrics:
    """Summarise one location's readings over a period.

    Args:
        series: series by quantity code (``temperature``, ``relative_humidity``,
            ``illuminance``, ``uv``); times as POSIX seconds or ``numpy.datetime64``, sorted
            and unique, values aligned. Other quantities are ignored; missing or empty ones
            give rows without a value.
        spec: the location's specification, or ``None``.
        wood_species: named in the note of the wood EMC rows.

    Returns:
        a row for every code in :data:`METRIC_CODES`, in that order, and the compliance with
        ``spec`` (``None`` without one). Labels and notes are in the active language.

    Raises:
        ValueError: a series is invalid (unsorted or duplicate times, non-finite values,
            mismatched lengths, RH outside 0–100 %, negative illuminance...).
    """
    data = {q: _usable(q, series.get(q)) for q in (TEMPERATURE, RELATIVE_HUMIDITY, ILLUMINANCE, UV)}
    usable = {q: series[q] for q, d in data.items() if isinstance(d, _Series)}
    result = compliance(spec or _NO_LIMITS, usable)
    lines = _Lines()
    t, rh = data[TEMPERATURE], data[RELATIVE_HUMIDITY]
    _temperature_humidity(lines, TEMPERATURE, t, result.temperature)
    _temperature_humidity(lines, RELATIVE_HUMIDITY, rh, result.relative_humidity)
    limits = spec or _NO_LIMITS
    _change_24h(lines, TEMPERATURE, t, result.temperature, limits.max_t_change_24h)
    _change_24h(lines, RELATIVE_HUMIDITY, rh, result.relative_humidity, limits.max_rh_change_24h)
    _in_band(lines, TEMPERATURE, t, result.temperature, spec)
    _in_band(lines, RELATIVE_HUMIDITY, rh, result.relative_humidity, spec)
    _climate(lines, t, rh, spec, result, wood_species)
    _en15757(lines, rh)
    _light(lines, data[ILLUMINANCE], result.light, limits)
    _uv(lines, data[UV], result.uv, limits)
    return PeriodMetrics(lines=lines.result(), compliance=None if spec is None else result)
