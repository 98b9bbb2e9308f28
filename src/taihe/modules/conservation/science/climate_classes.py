"""Climate-class compliance: ASHRAE museum classes and the EN 15757:2010 RH band.

Sources:

- ASHRAE Handbook—HVAC Applications, "Museums, Galleries, Archives, and Libraries" (2011
  ch. 23 Table 2; 2015/2019 ch. 24), as summarised by S. Michalski, "ASHRAE types of control",
  Canadian Conservation Institute (conservation.md §3). The 2019 edition renames As/A to A1/A2
  with the same numbers; both labels are accepted.
- CEN EN 15757:2010 and D. Camuffo, A. Della Valle, F. Becherini (2022), *Atmosphere*
  13(9):1344 (conservation.md §7).

ASHRAE publishes the limits but no algorithm for a time series. The recipe here is the one in
conservation.md §3 (in line with Michalski's commentary): the seasonal set point is a centred
30-day moving average, checked against the annual reference; each reading is checked against
the seasonal set point for the short-term band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _timeseries as ts
from . import _validation as v
from ._results import JSONResult
from ._validation import FloatArray

INF = math.inf
_EPS = 1e-9  # tolerance on limits, so 55.0 % against a 50 ± 5 % band passes despite rounding


@dataclass(frozen=True, slots=True)
class AshraeClass(JSONResult):
    """Limits of one ASHRAE climate class (conservation.md §3 table).

    Short-term limits are ± around the seasonal set point; seasonal limits bound how far the
    seasonal set point may move up/down from the annual reference. ``rh_range`` and
    ``t_max_c`` are absolute limits (classes B, C, D). ``inf`` means no limit.
    """

    name: str
    rh_short: float
    t_short: float
    rh_season_up: float
    rh_season_down: float
    t_season_up: float
    t_season_down: float
    rh_range: tuple[float, float]
    rh_upper_exclusive: bool
    season_t_max_c: float
    t_max_c: float
    risk: str


ASHRAE_CLASSES: dict[str, AshraeClass] = {
    # ASHRAE Handbook—HVAC Applications 2011 ch. 23 Table 2 (via Michalski/CCI; conservation.md
    # §3, HIGH for these numbers).
    "AA": AshraeClass(
        "AA", 5.0, 2.0, 0.0, 0.0, 5.0, 5.0, (-INF, INF), False, INF, INF,
        "No risk of mechanical damage to most artefacts and paintings",
    ),
    "As": AshraeClass(
        "As", 5.0, 2.0, 10.0, 10.0, 5.0, 10.0, (-INF, INF), False, INF, INF,
        "Small risk of mechanical damage to high-vulnerability artefacts",
    ),
    "A": AshraeClass(
        "A", 10.0, 2.0, 0.0, 0.0, 5.0, 10.0, (-INF, INF), False, INF, INF,
        "Small risk of mechanical damage to high-vulnerability artefacts",
    ),
    # B: T up 10 K but the seasonal set point not above 30 °C; down as low as needed.
    "B": AshraeClass(
        "B", 10.0, 5.0, 10.0, 10.0, 10.0, INF, (-INF, INF), False, 30.0, INF,
        "Moderate risk of mechanical damage to high-vulnerability artefacts",
    ),
    # C: 25–75 % RH year-round; T rarely over 30 °C (checked as T <= 30 °C).
    "C": AshraeClass(
        "C", INF, INF, INF, INF, INF, INF, (25.0, 75.0), False, INF, 30.0,
        "High risk of mechanical damage to high-vulnerability artefacts",
    ),
    # D: RH reliably below 75 % (checked as RH < 75 %).
    "D": AshraeClass(
        "D", INF, INF, INF, INF, INF, INF, (-INF, 75.0), True, INF, INF,
        "Mould and rapid corrosion avoided",
    ),
}  # fmt: skip
ASHRAE_ALIASES = {"A1": "As", "A2": "A"}  # ASHRAE 2019 names (conservation.md §3, MED)
SEASONAL_WINDOW_DAYS = 30.0  # conservation.md §3: 30-day centred moving average, our choice
# ASHRAE gives no dead band for "no seasonal change" (AA, A): a 30-day mean never sits exactly
# on the annual mean, so the seasonal tests allow this much beyond the class limits. Our
# choice, about a sensor's resolution; pass 0 for the strict reading.
SEASONAL_TOLERANCE_RH = 1.0
SEASONAL_TOLERANCE_T = 0.5


def ashrae_class(climate_class: str) -> AshraeClass:
    """Look up an ASHRAE class: ``AA``, ``As``/``A1``, ``A``/``A2``, ``B``, ``C``, ``D``."""
    name = ASHRAE_ALIASES.get(climate_class, climate_class)
    try:
        return ASHRAE_CLASSES[name]
    except KeyError:
        names = ", ".join([*ASHRAE_CLASSES, *ASHRAE_ALIASES])
        raise ValueError(
            f"unknown climate_class {climate_class!r}; expected one of {names}"
        ) from None


@dataclass(frozen=True, slots=True)
class AshraeEnvelope(JSONResult):
    """Outer limits a reading can reach in a class: seasonal and short-term limits combined."""

    rh_min: float
    rh_max: float
    t_min_c: float
    t_max_c: float


def ashrae_envelope(climate_class: str, annual_t_c: float, annual_rh: float) -> AshraeEnvelope:
    """Outer envelope of a class around an annual reference (necessary, not sufficient).

    For annual RH = 50 %: AA 45–55 %, As 35–65 %, A 40–60 %, B 30–70 %, C 25–75 %, D < 75 %;
    AA at annual 20 °C: 13–27 °C (conservation.md §3). It ignores rates of change; use
    :func:`ashrae_compliance` for a time series.
    """
    c = ashrae_class(climate_class)
    lo_rh = max(annual_rh - c.rh_season_down - c.rh_short, c.rh_range[0])
    hi_rh = min(annual_rh + c.rh_season_up + c.rh_short, c.rh_range[1])
    lo_t = annual_t_c - c.t_season_down - c.t_short
    hi_t = min(min(annual_t_c + c.t_season_up, c.season_t_max_c) + c.t_short, c.t_max_c)
    return AshraeEnvelope(
        rh_min=max(lo_rh, 0.0), rh_max=min(hi_rh, 100.0), t_min_c=lo_t, t_max_c=hi_t
    )


@dataclass(frozen=True, slots=True)
class AshraeCompliance(JSONResult):
    """Time-weighted compliance with an ASHRAE class.

    Attributes:
        climate_class: class name as given.
        fraction_in_class: fraction of the covered time meeting every test.
        rh_short_fraction: short-term RH test (reading vs allowed set point; C/D: absolute RH).
        t_short_fraction: short-term T test (C: T <= 30 °C; D: no T test, so 1.0).
        rh_seasonal_fraction: seasonal RH set point vs the annual reference (C/D: 1.0).
        t_seasonal_fraction: seasonal T set point vs the annual reference (C/D: 1.0).
        coverage: covered time / record span (gaps longer than max_gap are not data).
        annual_t_c: the annual reference temperature used.
        annual_rh: the annual reference RH used.
    """

    climate_class: str
    fraction_in_class: float
    rh_short_fraction: float
    t_short_fraction: float
    rh_seasonal_fraction: float
    t_seasonal_fraction: float
    coverage: float
    annual_t_c: float
    annual_rh: float


def _within(x: FloatArray, lo: float, hi: float, upper_exclusive: bool = False) -> np.ndarray:
    ok = x >= lo - _EPS
    ok &= (x < hi) if upper_exclusive else (x <= hi + _EPS)
    return ok


_BLOCK = 32768  # readings per block: the block's work arrays stay in the CPU caches


def _ashrae_regular_counts(
    cls: AshraeClass,
    axis: v.TimeAxis,
    t: FloatArray,
    h: FloatArray,
    ref_t: float,
    ref_rh: float,
    tol_t: float,
    tol_rh: float,
) -> list[int]:
    """Readings passing each test (every, RH short, T short, RH seasonal, T seasonal).

    For evenly spaced readings without gaps (every reading weighs the same). The seasonal set
    points come block by block from the running sums of :func:`ts.paired_running_sum`, exactly
    as :func:`ts.moving_averages` computes them, and each test is the same arithmetic as in
    :func:`ashrae_compliance`'s general path, so the counts are identical.
    """
    n = t.shape[0]
    window = SEASONAL_WINDOW_DAYS * v.SECONDS_PER_DAY
    plan = ts.RegularWindow.plan(n, axis.nominal, window, "centred", "shrink")
    csum, off_t, off_rh = ts.paired_running_sum(t, h)
    sums_t, sums_rh = csum.real, csum.imag
    size = min(n, _BLOCK)
    d_t, d_rh = np.empty(size), np.empty(size)
    # Work masks: RH short, T short, RH seasonal, T seasonal, and two temporaries.
    masks = np.empty((6, size), dtype=np.bool_)
    ok, tmp = masks[4], masks[5]
    rh_short_all, t_short_all, rh_season_all, t_season_all = masks[:4]
    capped = math.isfinite(cls.season_t_max_c)
    fixed_rh = cls.rh_season_down == 0.0 and cls.rh_season_up == 0.0  # AA, A
    rh_lo, rh_hi = -cls.rh_season_down - tol_rh - _EPS, cls.rh_season_up + tol_rh + _EPS
    t_lo, t_hi = -cls.t_season_down - tol_t - _EPS, cls.t_season_up + tol_t + _EPS
    counts = [0] * 5
    for first in range(0, n, size):
        last = min(first + size, n)
        m = last - first
        st = plan.means(sums_t, off_t, first, last, d_t[:m])
        srh = plan.means(sums_rh, off_rh, first, last, d_rh[:m])
        rh_short, t_short = rh_short_all[:m], t_short_all[:m]
        rh_season, t_season = rh_season_all[:m], t_season_all[:m]
        if capped:
            np.less_equal(st, cls.season_t_max_c + tol_t, out=tmp[:m])
        np.subtract(st, ref_t, out=st)
        np.subtract(srh, ref_rh, out=srh)
        _within_into(srh, rh_lo, rh_hi, rh_season, ok[:m])
        _within_into(st, t_lo, t_hi, t_season, ok[:m])
        np.clip(st, -cls.t_season_down, cls.t_season_up, out=st)
        st += ref_t
        if capped:
            t_season &= tmp[:m]
            np.minimum(st, cls.season_t_max_c, out=st)
        if fixed_rh:
            # clip(S − A, −0, +0) + A is A itself: the allowed RH set point is the reference.
            np.subtract(h[first:last], ref_rh, out=srh)
        else:
            np.clip(srh, -cls.rh_season_down, cls.rh_season_up, out=srh)
            srh += ref_rh
            np.subtract(h[first:last], srh, out=srh)
        _within_into(srh, -cls.rh_short - _EPS, cls.rh_short + _EPS, rh_short, ok[:m])
        np.subtract(t[first:last], st, out=st)
        _within_into(st, -cls.t_short - _EPS, cls.t_short + _EPS, t_short, ok[:m])
        counts[1] += int(np.count_nonzero(rh_short))
        counts[2] += int(np.count_nonzero(t_short))
        counts[3] += int(np.count_nonzero(rh_season))
        counts[4] += int(np.count_nonzero(t_season))
        every = np.logical_and(rh_short, t_short, out=ok[:m])
        every &= rh_season
        every &= t_season
        counts[0] += int(np.count_nonzero(every))
    return counts


def _within_into(
    x: FloatArray, lo: float, hi: float, out: NDArray[np.bool_], tmp: NDArray[np.bool_]
) -> None:
    """:func:`_within` (inclusive, limits already widened by ``_EPS``) into ``out``."""
    np.greater_equal(x, lo, out=out)
    out &= np.less_equal(x, hi, out=tmp)


def ashrae_compliance(
    times: ArrayLike,
    t_c: ArrayLike,
    rh: ArrayLike,
    climate_class: str,
    annual_t_c: float | None = None,
    annual_rh: float | None = None,
    max_gap: float | np.timedelta64 | None = None,
    seasonal_tolerance_rh: float = SEASONAL_TOLERANCE_RH,
    seasonal_tolerance_t: float = SEASONAL_TOLERANCE_T,
) -> AshraeCompliance:
    """Fraction of time a series meets an ASHRAE museum climate class.

    Algorithm (conservation.md §3; ASHRAE gives none):

    1. Annual reference A: ``annual_t_c``/``annual_rh`` if given (e.g. last year's means or a
       set point), else the duration-weighted mean of the series (use at least a year).
    2. Seasonal set point S: centred 30-day duration-weighted moving average, with the window
       cut to the record at its ends (every reading gets a set point).
    3. Seasonal tests: ``−down − tol <= S − A <= up + tol`` for RH and T (B also
       ``S_T <= 30 °C``); ``tol`` (default 1 % RH, 0.5 K) is our dead band, because a 30-day
       mean never sits exactly on the annual mean and AA/A allow no seasonal RH change.
    4. Short-term tests: ``|reading − S*| <= short band`` for RH and T, where
       ``S* = A + clip(S − A, −down, up)`` is the allowed set point nearest the seasonal
       average (so a reading never passes outside the class envelope).
    5. Classes C and D have absolute limits only (C: 25 <= RH <= 75 % and T <= 30 °C;
       D: RH < 75 %); their seasonal fractions are 1.0.

    Fractions are duration-weighted over the covered time; limits are inclusive.

    Args:
        times: reading times, ``numpy.datetime64`` array or POSIX seconds, sorted, unique.
        t_c: temperature in °C per reading.
        rh: relative humidity in % per reading.
        climate_class: ``AA``, ``As`` (2019: ``A1``), ``A`` (2019: ``A2``), ``B``, ``C``, ``D``.
        annual_t_c: annual reference temperature, °C (default: mean of the series).
        annual_rh: annual reference RH, % (default: mean of the series).
        max_gap: longest interval treated as continuous; default twice the median interval.
        seasonal_tolerance_rh: dead band of the seasonal RH test, % RH (>= 0).
        seasonal_tolerance_t: dead band of the seasonal T test, K (>= 0).

    Raises:
        ValueError: invalid inputs, unknown class or mismatched lengths.
    """
    cls = ashrae_class(climate_class)
    axis = v.time_axis(times, max_gap)
    n = axis.durations.shape[0]
    t = v.series("t_c", v.temperature("t_c", t_c), n)
    h = v.series("rh", v.relative_humidity("rh", rh), n)
    ref_t = (
        ts.weighted_mean(t, axis)
        if annual_t_c is None
        else float(v.temperature("annual_t_c", annual_t_c))
    )
    ref_rh = (
        ts.weighted_mean(h, axis)
        if annual_rh is None
        else float(v.relative_humidity("annual_rh", annual_rh))
    )
    tol_rh = float(seasonal_tolerance_rh)
    tol_t = float(seasonal_tolerance_t)
    if not (tol_rh >= 0.0 and tol_t >= 0.0):
        raise ValueError("seasonal tolerances must be >= 0")
    ones = np.ones(n, dtype=np.bool_)
    if math.isinf(cls.rh_short):  # C, D: absolute limits only
        rh_short = _within(h, *cls.rh_range, upper_exclusive=cls.rh_upper_exclusive)
        t_short = t <= cls.t_max_c + _EPS if math.isfinite(cls.t_max_c) else ones
        rh_season = t_season = ones
    elif axis.regular:
        # Evenly spaced readings without gaps: the fractions are counts, so the set points and
        # tests are worked out block by block from the running sums (the same arithmetic as
        # below, reading for reading) and never held for the whole record.
        counts = _ashrae_regular_counts(cls, axis, t, h, ref_t, ref_rh, tol_t, tol_rh)
        return AshraeCompliance(
            climate_class=climate_class,
            fraction_in_class=counts[0] / n,
            rh_short_fraction=counts[1] / n,
            t_short_fraction=counts[2] / n,
            rh_seasonal_fraction=counts[3] / n,
            t_seasonal_fraction=counts[4] / n,
            coverage=axis.coverage,
            annual_t_c=ref_t,
            annual_rh=ref_rh,
        )
    else:
        window = SEASONAL_WINDOW_DAYS * v.SECONDS_PER_DAY
        s_t, s_rh = ts.moving_averages((t, h), axis, window, kind="centred", edges="shrink")
        # The arrays are reused in place: S − A, then the allowed set point S*, then the
        # reading's departure from S* (each step is the same arithmetic as on fresh arrays).
        if math.isfinite(cls.season_t_max_c):
            season_t_cap = s_t <= cls.season_t_max_c + tol_t
        d_t = np.subtract(s_t, ref_t, out=s_t)
        d_rh = np.subtract(s_rh, ref_rh, out=s_rh)
        rh_season = _within(d_rh, -cls.rh_season_down - tol_rh, cls.rh_season_up + tol_rh)
        t_season = _within(d_t, -cls.t_season_down - tol_t, cls.t_season_up + tol_t)
        # The set point the class allows that is nearest the observed seasonal average.
        set_rh = np.clip(d_rh, -cls.rh_season_down, cls.rh_season_up, out=d_rh)
        set_rh += ref_rh
        set_t = np.clip(d_t, -cls.t_season_down, cls.t_season_up, out=d_t)
        set_t += ref_t
        if math.isfinite(cls.season_t_max_c):
            t_season &= season_t_cap
            np.minimum(set_t, cls.season_t_max_c, out=set_t)
        rh_short = _within(np.subtract(h, set_rh, out=set_rh), -cls.rh_short, cls.rh_short)
        t_short = _within(np.subtract(t, set_t, out=set_t), -cls.t_short, cls.t_short)
    every = rh_short & t_short & rh_season & t_season
    return AshraeCompliance(
        climate_class=climate_class,
        fraction_in_class=ts.weighted_fraction(every, axis),
        rh_short_fraction=ts.weighted_fraction(rh_short, axis),
        t_short_fraction=ts.weighted_fraction(t_short, axis),
        rh_seasonal_fraction=ts.weighted_fraction(rh_season, axis),
        t_seasonal_fraction=ts.weighted_fraction(t_season, axis),
        coverage=axis.coverage,
        annual_t_c=ref_t,
        annual_rh=ref_rh,
    )


@dataclass(frozen=True, slots=True)
class EN15757Band(JSONResult):
    """EN 15757:2010 RH target band, aligned with the input readings.

    Attributes:
        moving_average: centred 30-day moving average of RH, % (NaN in the first and last 15
            days, and where the window holds less than half its length of data).
        lower: lower limit, % (NaN where the moving average is).
        upper: upper limit, %.
        p7: 7th percentile of the fluctuations RH − MA, % RH.
        p93: 93rd percentile of the fluctuations, % RH.
        lower_offset: ``min(p7, −10)``, added to the moving average for ``lower``.
        upper_offset: ``max(p93, +10)``, added for ``upper``.
        fraction_within: duration-weighted fraction of the readings where the band is defined
            that lie inside it (inclusive).
        coverage: covered time / record span.
    """

    moving_average: FloatArray
    lower: FloatArray
    upper: FloatArray
    p7: float
    p93: float
    lower_offset: float
    upper_offset: float
    fraction_within: float
    coverage: float


EN15757_WINDOW_DAYS = 30.0  # EN 15757:2010, centred 30-day moving average (conservation.md §7)
EN15757_PERCENTILES = (7.0, 93.0)  # EN 15757:2010 (conservation.md §7, HIGH)
EN15757_MIN_HALF_WIDTH = 10.0  # at least ±10 % RH (EN 15757:2010; conservation.md §7, HIGH)


def en15757_band(
    times: ArrayLike, rh: ArrayLike, max_gap: float | np.timedelta64 | None = None
) -> EN15757Band:
    """EN 15757:2010 "historical climate" target band for RH.

    1. MA30: centred 30-day moving average of RH, duration-weighted over the closed window
       ``[t − 15 d, t + 15 d]`` (721 hourly readings). It is NaN in the first and last 15
       days (no shrinking window) and where the window holds under half its length of data.
    2. Fluctuations ``f = RH − MA30`` where MA30 is defined.
    3. P7 and P93: duration-weighted 7th/93rd percentiles of f (numpy's "linear" method when
       readings are evenly spaced).
    4. ``lower = MA30 + min(P7, −10)``, ``upper = MA30 + max(P93, +10)``.

    Use at least one full year of data. EN 15757 compliance is "relative to history", never
    absolute safety (Camuffo et al. 2022); combine it with mould risk and absolute extremes.

    Args:
        times: reading times, ``numpy.datetime64`` array or POSIX seconds, sorted, unique.
        rh: relative humidity in % per reading.
        max_gap: longest interval treated as continuous; default twice the median interval.

    Raises:
        ValueError: invalid inputs, mismatched lengths, or a record too short (or too gappy)
            for any 30-day moving average to be defined.
    """
    axis = v.time_axis(times, max_gap)
    n = axis.durations.shape[0]
    h = v.series("rh", v.relative_humidity("rh", rh), n)
    window = EN15757_WINDOW_DAYS * v.SECONDS_PER_DAY
    ma = ts.moving_average(h, axis, window, kind="centred", edges="nan")
    if axis.regular:
        # No gaps: MA30 is defined exactly on the readings whose window lies in the record.
        plan = ts.RegularWindow.plan(n, axis.nominal, window, "centred", "nan")
        first, count = plan.start, plan.stop - plan.start
        defined = None
    else:
        defined = ~np.isnan(ma)
        count = int(np.count_nonzero(defined))
        first = int(np.argmax(defined))
    if count == 0:
        days = axis.end / v.SECONDS_PER_DAY
        raise ValueError(
            f"en15757_band needs more than {EN15757_WINDOW_DAYS:g} days of data for a centred "
            f"moving average; the record spans {days:.1f} days"
        )
    where: slice | NDArray[np.bool_] = slice(first, first + count)
    if defined is not None and not defined[where].all():  # not one run (only with gaps)
        where = defined
    # The fluctuations are worked out in the array that then receives ``lower``.
    lower = np.empty(n)
    fluct = np.subtract(h[where], ma[where], out=lower[:count])
    if axis.regular:
        # Evenly spaced readings weigh the same: percentiles and fraction need no weights, so
        # the percentile selection may reorder the fluctuations in place.
        p7, p93 = ts.weighted_percentiles(
            fluct, None, np.asarray(EN15757_PERCENTILES), overwrite_input=True
        ).tolist()
    else:
        weights = axis.durations[where]
        p7, p93 = ts.weighted_percentiles(fluct, weights, np.asarray(EN15757_PERCENTILES)).tolist()
    lo_off = min(p7, -EN15757_MIN_HALF_WIDTH)
    hi_off = max(p93, EN15757_MIN_HALF_WIDTH)
    inside = fluct >= lo_off - _EPS
    inside &= fluct <= hi_off + _EPS
    if axis.regular:
        fraction_within = int(np.count_nonzero(inside)) / count
    else:
        fraction_within = float(weights[inside].sum() / weights.sum())
    np.add(ma, lo_off, out=lower)
    upper = ma + hi_off
    return EN15757Band(
        moving_average=ma,
        lower=lower,
        upper=upper,
        p7=p7,
        p93=p93,
        lower_offset=lo_off,
        upper_offset=hi_off,
        fraction_within=fraction_within,
        coverage=axis.coverage,
    )
