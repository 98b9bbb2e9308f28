"""Environmental specifications as data, the published presets, and compliance of a series.

An :class:`EnvironmentSpec` is the ``EnvSpec`` of heritage.md §3.4 ("keep every band as data
... never hard-code them"): absolute T and RH bands, the largest 24-hour change, an
illuminance limit, an annual light-dose limit and a UV limit; ``None`` means "no limit".
Custom specifications are the same dataclass built from stored rows.

ASHRAE classes are not absolute bands: their limits sit around the collection's annual
average. Their presets therefore carry ``ashrae_class`` and :func:`compliance` runs
:func:`~taihe.modules.conservation.science.ashrae_compliance` for them; the absolute T/RH
band stored with them is the class's outer envelope around the CCI/ASHRAE default set point
(50 % RH, 20 °C; conservation.md §3), useful for charts and as a quick check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .science import AshraeCompliance, ashrae_compliance, ashrae_envelope, light_exposure
from .science import _timeseries as science_timeseries
from .science import _validation as science_validation

HOURS_PER_YEAR: Final = 365.25 * 24.0
SECONDS_PER_DAY: Final = 86_400.0


@dataclass(frozen=True)
class EnvironmentSpec:
    """An environmental specification. Temperatures in °C, RH in %, light in lx, UV in µW/lm.

    Attributes:
        code: stable identifier, e.g. ``BIZOT-2014``.
        name: display names by language code (``zh-Hans``, ``en``).
        t_min, t_max: temperature band, °C.
        rh_min, rh_max: relative-humidity band, %.
        max_rh_change_24h: largest allowed RH range (max − min) within any 24 h, % RH.
        max_t_change_24h: largest allowed temperature range within any 24 h, K.
        lux_max: largest allowed illuminance, lx.
        annual_lux_hours_max: largest allowed light dose per year, lx·h.
        uv_max: largest allowed UV per lumen, µW/lm.
        source: where the numbers come from, and which ones are uncertain.
        ashrae_class: for ASHRAE presets, the class passed to ``ashrae_compliance``.
    """

    code: str
    name: Mapping[str, str]
    t_min: float | None = None
    t_max: float | None = None
    rh_min: float | None = None
    rh_max: float | None = None
    max_rh_change_24h: float | None = None
    max_t_change_24h: float | None = None
    lux_max: float | None = None
    annual_lux_hours_max: float | None = None
    uv_max: float | None = None
    source: str = ""
    ashrae_class: str | None = field(default=None)

    def __post_init__(self) -> None:
        for low, high in (("t_min", "t_max"), ("rh_min", "rh_max")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{self.code}: {low} = {lo} is above {high} = {hi}")
        for name in ("max_rh_change_24h", "max_t_change_24h", "lux_max",
                     "annual_lux_hours_max", "uv_max"):  # fmt: skip
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{self.code}: {name} = {value} must be finite and >= 0")


def _ashrae(code: str, en: str, zh: str) -> EnvironmentSpec:
    envelope = ashrae_envelope(code, annual_t_c=20.0, annual_rh=50.0)
    return EnvironmentSpec(
        code=f"ASHRAE-{code}",
        name={"en": en, "zh-Hans": zh},
        t_min=None if math.isinf(envelope.t_min_c) else envelope.t_min_c,
        t_max=None if math.isinf(envelope.t_max_c) else envelope.t_max_c,
        rh_min=None if envelope.rh_min <= 0 else envelope.rh_min,
        rh_max=None if envelope.rh_max >= 100 else envelope.rh_max,
        source=(
            "ASHRAE Handbook—HVAC Applications 2011 ch. 23 Table 2, via S. Michalski, CCI "
            "'ASHRAE types of control' (conservation.md §3, rated HIGH there; heritage.md §3.4 "
            "marks the numbers ⚠ from memory). Class limits are relative to the annual average; "
            "the T/RH band here is the class envelope around 50 % RH / 20 °C."
        ),
        ashrae_class=code,
    )


_CN_SOURCE = (
    "Chinese museum storage bands as reproduced on Chinese museum-equipment pages, probably "
    "JGJ 66 (heritage.md §3.3, 🟡; ⚠ to check against JGJ 66-2015 and GB/T 23863-2024). "
    "Illuminance limits from JGJ 66 (heritage.md §1.4, 🟡; ⚠ the 2024 lighting table is "
    "unchecked)."
)
_CIE_SOURCE = (
    "CIE 157:2004 limiting illuminance and annual exposure (conservation.md §5, HIGH); UV "
    "75 µW/lm is Thomson's traditional maximum (conservation.md §5, HIGH as a historical value)."
)

PRESETS: Final[Mapping[str, EnvironmentSpec]] = {
    spec.code: spec
    for spec in (
        # ASHRAE classes: envelope at annual 50 % RH / 20 °C (ashrae_envelope, conservation.md
        # §3: AA 45–55 %, 13–27 °C; As 35–65 %; A 40–60 %; B 30–70 %; C 25–75 %; D < 75 %).
        _ashrae("AA", "ASHRAE class AA (precision control)", "ASHRAE AA 级(精密控制)"),
        _ashrae("A", "ASHRAE class A / A2 (precision, gradients)", "ASHRAE A/A2 级"),
        _ashrae("As", "ASHRAE class As / A1 (precision, seasonal)", "ASHRAE As/A1 级"),
        _ashrae("B", "ASHRAE class B (winter setback)", "ASHRAE B 级(冬季降温)"),
        _ashrae("C", "ASHRAE class C (prevent extremes)", "ASHRAE C 级(防止极端)"),
        _ashrae("D", "ASHRAE class D (prevent dampness)", "ASHRAE D 级(防潮)"),
        # Bizot Green Protocol interim guidelines (2014/2015, loans): heritage.md §3.4.
        EnvironmentSpec(
            code="BIZOT-2014",
            name={"en": "Bizot Green Protocol (interim guidelines)", "zh-Hans": "比佐绿色协议"},
            t_min=16.0,
            t_max=25.0,
            rh_min=40.0,
            rh_max=60.0,
            max_rh_change_24h=10.0,
            source=(
                "Bizot Green Protocol 2014/2015 interim guidelines for loans: 16–25 °C, "
                "40–60 % RH (heritage.md §3.4, via dataloggergraphs ✅); fluctuation ±10 % RH "
                "in 24 h is ⚠ uncertain in the research and stored here as a 10 % RH range."
            ),
        ),
        # PAS 198:2012 (BSI with The National Archives): heritage.md §3.4.
        EnvironmentSpec(
            code="PAS198-2012",
            name={"en": "PAS 198:2012 typical range", "zh-Hans": "PAS 198:2012 典型范围"},
            t_min=5.0,
            t_max=25.0,
            rh_min=30.0,
            rh_max=65.0,
            source=(
                "PAS 198:2012 band 5–25 °C, 30–65 % RH as used in dataloggergraphs "
                "(heritage.md §3.4, 🟡). PAS 198 is risk-based: institutions set their own."
            ),
        ),
        # BS 4971:2017, archive and library collections: heritage.md §3.4.
        EnvironmentSpec(
            code="BS4971-2017",
            name={
                "en": "BS 4971:2017 archives and libraries",
                "zh-Hans": "BS 4971:2017 档案与图书",
            },
            t_min=13.0,
            t_max=23.0,
            rh_min=35.0,
            rh_max=60.0,
            source="BS 4971:2017: 13–23 °C, 35–60 % RH via dataloggergraphs "
            "(heritage.md §3.4, 🟡).",
        ),
        # Icon (UK Institute of Conservation) 2023 band: heritage.md §3.4.
        EnvironmentSpec(
            code="ICON-2023",
            name={"en": "Icon 2023 band", "zh-Hans": "Icon 2023 范围"},
            t_min=5.0,
            t_max=23.0,
            rh_min=35.0,
            rh_max=65.0,
            source="Icon 2023: 5–23 °C, 35–65 % RH via dataloggergraphs (heritage.md §3.4, 🟡).",
        ),
        # Chinese bands by material group (heritage.md §3.3 "China storage band" column).
        EnvironmentSpec(
            code="CN-PAPER-TEXTILE",
            name={
                "en": "China: paper, calligraphy, textiles (highly light-sensitive)",
                "zh-Hans": "纸质、书画、纺织品(对光特别敏感)",
            },
            rh_min=50.0,
            rh_max=60.0,
            lux_max=50.0,
            source=_CN_SOURCE,
        ),
        EnvironmentSpec(
            code="CN-ORGANIC",
            name={
                "en": "China: wood, lacquer, bone, ivory, oil paintings (light-sensitive)",
                "zh-Hans": "木器、漆器、骨角牙、油画(对光敏感)",
            },
            rh_min=50.0,
            rh_max=60.0,
            lux_max=180.0,
            source=_CN_SOURCE,
        ),
        EnvironmentSpec(
            code="CN-METAL",
            name={"en": "China: metals (bronze, iron, silver)", "zh-Hans": "金属(青铜、铁、银)"},
            rh_min=0.0,
            rh_max=40.0,
            lux_max=300.0,
            # The table gives "20 °C" with no tolerance, so no T band is set.
            source=_CN_SOURCE + " The table's 20 °C has no tolerance and is not set as a band.",
        ),
        EnvironmentSpec(
            code="CN-CERAMIC-STONE",
            name={
                "en": "China: ceramics, stone, jade, plaster",
                "zh-Hans": "陶瓷、石器、玉器、灰泥",
            },
            rh_min=40.0,
            rh_max=50.0,
            lux_max=300.0,
            source=_CN_SOURCE,
        ),
        # CIE 157:2004 light categories (conservation.md §5), for combining with a T/RH band.
        EnvironmentSpec(
            code="CIE157-HIGH",
            name={
                "en": "CIE 157 high responsivity (BW 1–3)",
                "zh-Hans": "CIE 157 高敏感(蓝羊毛 1–3)",
            },
            lux_max=50.0,
            annual_lux_hours_max=15_000.0,
            uv_max=75.0,
            source=_CIE_SOURCE,
        ),
        EnvironmentSpec(
            code="CIE157-MEDIUM",
            name={
                "en": "CIE 157 medium responsivity (BW 4–6)",
                "zh-Hans": "CIE 157 中敏感(蓝羊毛 4–6)",
            },
            lux_max=50.0,
            annual_lux_hours_max=150_000.0,
            uv_max=75.0,
            source=_CIE_SOURCE,
        ),
        EnvironmentSpec(
            code="CIE157-LOW",
            name={
                "en": "CIE 157 low responsivity (BW 7–8)",
                "zh-Hans": "CIE 157 低敏感(蓝羊毛 7–8)",
            },
            lux_max=200.0,
            annual_lux_hours_max=600_000.0,
            uv_max=75.0,
            source=_CIE_SOURCE,
        ),
    )
}


@dataclass(frozen=True)
class QuantitySeries:
    """Readings of one quantity: times (``numpy.datetime64`` or POSIX seconds, sorted and
    unique, as the science library takes them) and values aligned with them."""

    times: ArrayLike
    values: ArrayLike


@dataclass(frozen=True)
class Excursion:
    """A run of consecutive readings outside a band.

    Attributes:
        start_index, end_index: first and last reading of the run (inclusive).
        duration_seconds: the run's duration-weighted length (gaps are not bridged).
        extreme: the value farthest outside the band.
    """

    start_index: int
    end_index: int
    duration_seconds: float
    extreme: float


@dataclass(frozen=True)
class BandResult:
    """Compliance of one quantity with ``[low, high]``; fractions are duration-weighted.

    ``change_24h_max`` is the largest max − min over any trailing 24 h window and
    ``change_24h_fraction`` the fraction of time whose trailing 24 h range was within the
    spec's limit (``None`` without a limit).
    """

    quantity: str
    low: float | None
    high: float | None
    fraction_in_band: float
    excursions: tuple[Excursion, ...]
    minimum: float
    maximum: float
    coverage: float
    change_24h_max: float
    change_24h_fraction: float | None


@dataclass(frozen=True)
class LightResult:
    """Illuminance against a spec: lux limit fraction and the annualised dose.

    ``annual_lux_hours`` extrapolates the measured dose over the covered time to a year
    (dose / covered hours × 8766 h); it is ``None``-free but only as good as ``coverage``.
    """

    fraction_within_lux_max: float | None
    maximum_lux: float
    lux_hours: float
    annual_lux_hours: float
    annual_dose_within_limit: bool | None
    coverage: float


@dataclass(frozen=True)
class ComplianceResult:
    """How a set of series meets one specification; ``None`` where data or limit is absent."""

    spec_code: str
    temperature: BandResult | None
    relative_humidity: BandResult | None
    light: LightResult | None
    uv: BandResult | None
    ashrae: AshraeCompliance | None


def _limit(value: float | None, default: float) -> float:
    return default if value is None else value


def _trailing_ranges(
    seconds: NDArray[np.float64], values: NDArray[np.float64]
) -> NDArray[np.float64]:
    """max − min of the readings in ``(t − 24 h, t]`` for every reading.

    A sparse table of block maxima and minima (levels of doubling length): each window is
    answered by two overlapping power-of-two blocks, so a year of 5-minute readings is a few
    dozen numpy passes (O(n log n)) instead of a Python loop over readings.
    """
    n = values.shape[0]
    if n == 0:
        return np.empty(0)
    starts = np.searchsorted(seconds, seconds - SECONDS_PER_DAY, side="right")
    index = np.arange(n)
    levels = np.floor(np.log2(index - starts + 1)).astype(np.intp)
    highs, lows = [values], [values]
    top = int(levels.max())
    for level in range(1, top + 1):
        half = 1 << (level - 1)
        highs.append(np.maximum(highs[-1][:-half], highs[-1][half:]))
        lows.append(np.minimum(lows[-1][:-half], lows[-1][half:]))
    out_max = np.empty(n)
    out_min = np.empty(n)
    for level in range(top + 1):
        chosen = np.flatnonzero(levels == level)
        if chosen.size == 0:
            continue
        first = starts[chosen]
        second = chosen - (1 << level) + 1
        out_max[chosen] = np.maximum(highs[level][first], highs[level][second])
        out_min[chosen] = np.minimum(lows[level][first], lows[level][second])
    return out_max - out_min


def band_result(
    quantity: str,
    series: QuantitySeries,
    low: float | None,
    high: float | None,
    max_change_24h: float | None = None,
) -> BandResult:
    """Duration-weighted compliance of one series with a band, its excursions and 24 h ranges.

    Readings are weighted by their duration exactly as in the science library (a gap longer
    than twice the median interval is never bridged).

    Raises:
        ValueError: fewer than two readings, unsorted or duplicate times, non-finite values or
            mismatched lengths (from the science library's validation).
    """
    axis = science_validation.time_axis(series.times)
    values = np.asarray(series.values, dtype=np.float64)
    values = science_validation.series(quantity, values, axis.durations.shape[0])
    science_validation.check_finite(quantity, values)
    lo, hi = _limit(low, -math.inf), _limit(high, math.inf)
    inside = (values >= lo) & (values <= hi)
    excursions: list[Excursion] = []
    outside = np.flatnonzero(~inside)
    if outside.size:
        breaks = np.flatnonzero(np.diff(outside) > 1)
        starts = np.concatenate(([outside[0]], outside[breaks + 1]))
        ends = np.concatenate((outside[breaks], [outside[-1]]))
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            run = values[s : e + 1]
            distance = np.maximum(lo - run, run - hi)
            excursions.append(
                Excursion(
                    s,
                    e,
                    float(axis.durations[s : e + 1].sum()),
                    float(run[int(np.argmax(distance))]),
                )
            )
    ranges = _trailing_ranges(axis.seconds, values)
    change_fraction = (
        None
        if max_change_24h is None
        else float(science_timeseries.weighted_fraction(ranges <= max_change_24h, axis))
    )
    return BandResult(
        quantity=quantity,
        low=low,
        high=high,
        fraction_in_band=float(science_timeseries.weighted_fraction(inside, axis)),
        excursions=tuple(excursions),
        minimum=float(values.min()),
        maximum=float(values.max()),
        coverage=axis.coverage,
        change_24h_max=float(ranges.max()),
        change_24h_fraction=change_fraction,
    )


def light_result(spec: EnvironmentSpec, series: QuantitySeries) -> LightResult:
    """Illuminance against ``lux_max`` and ``annual_lux_hours_max`` (dose from the science
    library's :func:`light_exposure`).

    Raises:
        ValueError: invalid times or illuminance (from the science library).
    """
    dose = light_exposure(series.times, series.values)
    axis = science_validation.time_axis(series.times)
    lux = np.asarray(series.values, dtype=np.float64)
    annual = dose / (axis.total / 3600.0) * HOURS_PER_YEAR
    return LightResult(
        fraction_within_lux_max=(
            None
            if spec.lux_max is None
            else float(science_timeseries.weighted_fraction(lux <= spec.lux_max, axis))
        ),
        maximum_lux=float(lux.max()),
        lux_hours=dose,
        annual_lux_hours=annual,
        annual_dose_within_limit=(
            None if spec.annual_lux_hours_max is None else bool(annual <= spec.annual_lux_hours_max)
        ),
        coverage=axis.coverage,
    )


def compliance(spec: EnvironmentSpec, readings: Mapping[str, QuantitySeries]) -> ComplianceResult:
    """Measure series against a specification.

    Args:
        spec: the specification.
        readings: series by quantity code (``temperature``, ``relative_humidity``,
            ``illuminance``, ``uv``); missing quantities give ``None`` results.

    Returns:
        band results for T, RH and UV, the light result, and for ASHRAE presets the science
        library's :func:`ashrae_compliance` over the readings where T and RH share a time.

    Raises:
        ValueError: a series is invalid (fewer than two readings, unsorted, non-finite...).
    """
    t = readings.get("temperature")
    rh = readings.get("relative_humidity")
    lux = readings.get("illuminance")
    uv = readings.get("uv")
    ashrae: AshraeCompliance | None = None
    if spec.ashrae_class is not None and t is not None and rh is not None:
        t_times, rh_times = np.asarray(t.times), np.asarray(rh.times)
        common, t_index, rh_index = np.intersect1d(t_times, rh_times, return_indices=True)
        if common.shape[0] >= 2:
            ashrae = ashrae_compliance(
                common,
                np.asarray(t.values, dtype=np.float64)[t_index],
                np.asarray(rh.values, dtype=np.float64)[rh_index],
                spec.ashrae_class,
            )
    return ComplianceResult(
        spec_code=spec.code,
        temperature=None
        if t is None
        else band_result("temperature", t, spec.t_min, spec.t_max, spec.max_t_change_24h),
        relative_humidity=None
        if rh is None
        else band_result("relative_humidity", rh, spec.rh_min, spec.rh_max, spec.max_rh_change_24h),
        light=None if lux is None else light_result(spec, lux),
        uv=None if uv is None else band_result("uv", uv, None, spec.uv_max),
        ashrae=ashrae,
    )
