"""IPI-style good / ok / risk ratings for one time series.

Sources (conservation.md §1.1–1.5): IPI dpcalc.org and eClimateNotebook rating thresholds;
D. Nishimura, *Understanding Preservation Metrics* (IPI); E. Richardson, M. Cummings,
J.-L. Bigourdan (2023), *Heritage* 6(5):4202–4213. Mould uses the VTT index (§4) instead of IPI's
unpublished days-to-mould table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _timeseries as ts
from . import _validation as v
from ._results import JSONResult
from .ageing import _decay_rate_per_year
from .mould import Sensitivity, vtt_mould_index
from .wood import emc_wood

Level = Literal["good", "ok", "risk"]

# IPI natural ageing (PI and TWPI), dpcalc and eClimateNotebook (conservation.md §1.1, HIGH).
PI_GOOD_MIN = 75.0
PI_OK_MIN = 45.0
# eClimateNotebook mechanical damage from lagged EMC (conservation.md §1.4, MED).
EMC_MECHANICAL_MIN = 5.0
EMC_MECHANICAL_MAX = 12.5
# dpcalc metal corrosion thresholds on EMC (conservation.md §1.5, HIGH): 7.0 → ok, 10.5 → risk.
EMC_METAL_OK_MIN = 7.0
EMC_METAL_RISK_MIN = 10.5
# Object-response lags (IPI via Nishimura and Richardson et al. 2023; conservation.md §1.2/§1.4).
LAG_T_HOURS = 24.0
LAG_RH_DAYS = 30.0
# Mould: our mapping of the VTT index onto IPI's mould-risk-factor scale (0–0.5 low,
# 0.5–1 some risk, >= 1 germination; conservation.md §1.3), since M = 1 is first microscopic
# growth and M >= 1 the usual acceptance limit (§4.2). Not an IPI rule.
MOULD_OK_MIN = 0.5
MOULD_RISK_MIN = 1.0


@dataclass(frozen=True, slots=True)
class Rating(JSONResult):
    """One rating: the level, the headline number and the numbers behind it."""

    rating: Level
    value: float
    unit: str
    basis: str
    numbers: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IPIRatings(JSONResult):
    """Ratings for natural ageing, mechanical damage, metal corrosion and mould."""

    natural_ageing: Rating
    mechanical: Rating
    metal_corrosion: Rating
    mould: Rating
    coverage: float


def _rate(value: float, ok_from: float, risk_from: float) -> Level:
    """Ascending scale: below ``ok_from`` good, below ``risk_from`` ok, else risk."""
    if value < ok_from:
        return "good"
    return "ok" if value < risk_from else "risk"


def ipi_ratings(
    times: ArrayLike,
    t_c: ArrayLike,
    rh: ArrayLike,
    sensitivity: Sensitivity = "very_sensitive",
    max_gap: float | np.timedelta64 | None = None,
) -> IPIRatings:
    """IPI-style ratings of a climate record, with the numbers behind each.

    - ``natural_ageing``: TWPI (approximate, Padfield's closed form; raw inputs as in dpcalc).
      good >= 75 years, ok 45–75, risk < 45 (IPI).
    - ``mechanical``: EMC (wood, §2) from lagged inputs, T as a trailing 24 h and RH as a
      trailing 30-day moving average (readings in the first 30 days, whose window would reach
      before the record, are skipped unless the record is shorter than that); good if
      min EMC > 5 % and max EMC < 12.5 %, else risk (eClimateNotebook; there is no "ok").
      ``value`` is the EMC range (max − min), percentage points.
    - ``metal_corrosion``: maximum of the same lagged EMC: good < 7.0 %, ok 7.0–10.5 %,
      risk >= 10.5 % (dpcalc thresholds).
    - ``mould``: maximum VTT mould index over the record (raw inputs; ``sensitivity`` class):
      good < 0.5, ok 0.5–1, risk >= 1. This maps the VTT index onto IPI's mould-risk-factor
      scale and is our choice, not an IPI rule.

    Args:
        times: reading times, ``numpy.datetime64`` array or POSIX seconds, sorted, unique.
        t_c: temperature in °C per reading.
        rh: relative humidity in % per reading.
        sensitivity: VTT sensitivity class for the mould rating.
        max_gap: longest interval treated as continuous; default twice the median interval.

    Raises:
        ValueError: invalid inputs or mismatched lengths.
    """
    axis = v.time_axis(times, max_gap)
    n = axis.durations.shape[0]
    t = v.series("t_c", v.temperature("t_c", t_c), n)
    h = v.series("rh", v.relative_humidity("rh", rh), n)

    consumed = ts.weighted_sum(_decay_rate_per_year(t, h), axis)
    twpi = float(axis.durations.sum()) / consumed if consumed > 0 else float("inf")
    natural = Rating(
        rating="good" if twpi >= PI_GOOD_MIN else ("ok" if twpi >= PI_OK_MIN else "risk"),
        value=twpi,
        unit="years",
        basis="TWPI (approx., Padfield closed form); good >= 75, ok >= 45",
    )

    t_window = LAG_T_HOURS * v.SECONDS_PER_HOUR
    rh_window = LAG_RH_DAYS * v.SECONDS_PER_DAY
    # The object's state before the record starts is unknown: skip the first 30 days rather
    # than let a few hours of data stand for a 30-day response (a start-up artefact). Records
    # shorter than the window fall back to a window cut at the record start.
    edges: Literal["nan", "shrink"] = "nan" if axis.end > rh_window else "shrink"
    t_lag = ts.moving_average(t, axis, t_window, kind="trailing", edges=edges)
    rh_lag = ts.moving_average(h, axis, rh_window, kind="trailing", edges=edges)
    ok = ~(np.isnan(t_lag) | np.isnan(rh_lag))
    emc = np.asarray(emc_wood(t_lag[ok], rh_lag[ok]))
    emc_min, emc_max = float(emc.min()), float(emc.max())
    mechanical = Rating(
        rating="good"
        if (emc_min > EMC_MECHANICAL_MIN and emc_max < EMC_MECHANICAL_MAX)
        else "risk",
        value=emc_max - emc_min,
        unit="% EMC (range)",
        basis="lagged EMC (T 24 h, RH 30 d); good if 5 < min and max < 12.5",
        numbers={"min_emc": emc_min, "max_emc": emc_max},
    )
    metal = Rating(
        rating=_rate(emc_max, EMC_METAL_OK_MIN, EMC_METAL_RISK_MIN),
        value=emc_max,
        unit="% EMC (maximum)",
        basis="maximum lagged EMC; good < 7, ok < 10.5",
        numbers={"min_emc": emc_min, "max_emc": emc_max},
    )
    m = vtt_mould_index(times, t, h, sensitivity=sensitivity, max_gap=max_gap)
    m_max = float(m.max())
    mould = Rating(
        rating=_rate(m_max, MOULD_OK_MIN, MOULD_RISK_MIN),
        value=m_max,
        unit="VTT mould index (maximum)",
        basis=f"maximum VTT mould index ({sensitivity}); good < 0.5, ok < 1",
        numbers={
            "final_mould_index": float(m[-1]),
            "fraction_above_1": ts.weighted_fraction(m >= 1.0, axis),
        },
    )
    return IPIRatings(
        natural_ageing=natural,
        mechanical=mechanical,
        metal_corrosion=metal,
        mould=mould,
        coverage=axis.coverage,
    )
