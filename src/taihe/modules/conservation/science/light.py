"""Light exposure and fading: CIE 157:2004 limits and Michalski's just-noticeable-fade doses.

Sources (conservation.md §5): CIE 157:2004, *Control of damage to museum objects by optical
radiation*; S. Michalski, "Agent of Deterioration: Light, Ultraviolet and Infrared", Canadian
Conservation Institute; ISO 105-B02 blue wool references 1–8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _timeseries as ts
from . import _validation as v
from ._results import JSONResult
from ._validation import FloatOrArray

JNF_UV_FILTERED_MLXH: dict[int, float] = {
    # Michalski / CIE 157, dose per just-noticeable fade (ΔE ≈ 1.6, grey scale 4) in Mlx·h,
    # UV-blocked light (conservation.md §5, MED confidence). Each step is half a decade.
    1: 0.3, 2: 1.0, 3: 3.0, 4: 10.0, 5: 30.0, 6: 100.0, 7: 300.0, 8: 1000.0,
}  # fmt: skip
JNF_UV_RICH_BW1_MLXH = 0.22
"""Blue wool 1 in UV-rich light, Mlx·h (Michalski; conservation.md §5, MED)."""
UV_RICH_FACTOR_ASSUMED = 0.7
"""ASSUMPTION (conservation.md §5, LOW): UV-rich doses for blue wool 2–8 were not found; they
are taken as 0.7 × the UV-blocked dose (BW1: 0.22/0.3 = 0.73)."""


@dataclass(frozen=True, slots=True)
class CIE157Category(JSONResult):
    """A CIE 157:2004 responsivity category and its limits (conservation.md §5)."""

    name: str
    blue_wool: tuple[int, ...]
    max_illuminance_lux: float  # inf: no limit from light (set by other factors, e.g. heat)
    max_annual_exposure_lux_hours: float


CIE157_CATEGORIES: dict[str, CIE157Category] = {
    # CIE 157:2004 Table (via conservation.md §5, HIGH). ~3000 display hours a year.
    "irresponsive": CIE157Category("irresponsive", (), float("inf"), float("inf")),
    "low": CIE157Category("low", (7, 8), 200.0, 600_000.0),
    "medium": CIE157Category("medium", (4, 5, 6), 50.0, 150_000.0),
    "high": CIE157Category("high", (1, 2, 3), 50.0, 15_000.0),
}


def cie157_category(blue_wool: int) -> CIE157Category:
    """CIE 157 responsivity category for an ISO blue wool class 1–8 (8: "8 and above").

    Raises:
        ValueError: ``blue_wool`` is not an integer from 1 to 8.
    """
    bw = _blue_wool_scalar(blue_wool)
    return next(c for c in CIE157_CATEGORIES.values() if bw in c.blue_wool)


def _blue_wool_scalar(blue_wool: int) -> int:
    if isinstance(blue_wool, bool) or int(blue_wool) != blue_wool or not 1 <= blue_wool <= 8:
        raise ValueError(f"blue_wool = {blue_wool!r} must be an ISO blue wool class 1–8")
    return int(blue_wool)


def light_exposure(
    times: ArrayLike, lux: ArrayLike, max_gap: float | np.timedelta64 | None = None
) -> float:
    """Total light exposure (dose) over the series, lux·hours.

    ``Σ E_i · Δt_i`` with each reading weighted by its duration (conservation.md §5);
    reciprocity (dose = E·t) is assumed, as in CIE 157. A gap longer than ``max_gap`` (default
    twice the median interval) adds nothing: the reading before it counts for the nominal
    interval only, so the dose is a lower bound when coverage is below 1 (see
    :func:`series_coverage`).

    Args:
        times: reading times, ``numpy.datetime64`` array or POSIX seconds, sorted, unique.
        lux: illuminance in lux per reading (finite, >= 0).
        max_gap: longest interval treated as continuous (seconds or ``numpy.timedelta64``).

    Returns:
        lux·hours.

    Raises:
        ValueError: invalid times or illuminance, or mismatched lengths.
    """
    axis = v.time_axis(times, max_gap)
    e = v.series("lux", v.non_negative("lux", lux, "lux"), axis.durations.shape[0])
    return ts.weighted_sum(e, axis) / v.SECONDS_PER_HOUR


def years_to_just_noticeable_fade(
    annual_lux_hours: ArrayLike, blue_wool: ArrayLike, uv_filtered: bool = True
) -> FloatOrArray:
    """Years until one just-noticeable fade (JNF) at a given annual exposure.

    ``years = JNF dose / annual exposure`` with Michalski's JNF doses (adopted in CIE 157):
    0.3, 1, 3, 10, 30, 100, 300, 1000 Mlx·h for blue wool 1–8 under UV-blocked light
    (conservation.md §5). Michalski's doses step by about 3.16× per blue wool class (half a
    decade), not the 2× of ISO 105-B02's description; the museum (Michalski/CIE) steps are used.
    With ``uv_filtered=False``, blue wool 1 uses the published UV-rich 0.22 Mlx·h; **blue wool
    2–8 use an assumed 0.7 × the UV-blocked dose** (not published; LOW confidence).
    Example: BW1, UV-rich, 50 lx for 8 h a day, 365.25 days (146 100 lx·h/yr) gives 1.51 years.

    Args:
        annual_lux_hours: exposure per year in lx·h (>= 0; 0 gives ``inf``).
        blue_wool: ISO blue wool class 1–8 (integers), scalar or array.
        uv_filtered: ``True`` for UV-blocked light (the default, museum practice).

    Returns:
        years; ``float`` for scalar inputs, else the broadcast array.

    Raises:
        ValueError: negative or non-finite exposure, blue wool outside 1–8, shape mismatch.
    """
    dose = v.non_negative("annual_lux_hours", annual_lux_hours, "lx·h")
    bw_raw = np.asarray(blue_wool)
    bw = v.as_float_array("blue_wool", bw_raw)
    bad = ~((bw >= 1) & (bw <= 8) & (np.floor(bw) == bw))
    if bad.any():
        raise v.first_bad("blue_wool", bw, bad, "is not an ISO blue wool class 1–8")
    v.broadcast_shape(annual_lux_hours=dose, blue_wool=bw)
    table = np.array([np.nan, *JNF_UV_FILTERED_MLXH.values()]) * 1e6
    if not uv_filtered:
        table *= UV_RICH_FACTOR_ASSUMED
        table[1] = JNF_UV_RICH_BW1_MLXH * 1e6
    jnf = table[bw.astype(np.intp)]
    with np.errstate(divide="ignore"):
        return v.output(jnf / dose)
