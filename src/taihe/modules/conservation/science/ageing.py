"""Chemical (natural) ageing: preservation index, TWPI and the isoperm lifetime multiplier.

Sources: conservation.md §1.1–1.2 (IPI preservation index, TWPI; Padfield's closed form) and
§6.2 (Sebera isoperms; Michalski 2002 constants for the lifetime multiplier).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _timeseries as ts
from . import _validation as v
from ._validation import FloatOrArray

# Padfield (2004), https://www.conservationphysics.org/twpi/twpi_01.html (conservation.md §1.1):
# k = RH[%] · 5.9e12 · exp(−90300 / (8.314 · T_K)) per year, PI = 1/k.
PADFIELD_PREFACTOR_PER_YEAR = 5.9e12
"""Pre-exponential factor per % RH per year (Padfield 2004)."""
PADFIELD_EA_J_PER_MOL = 90_300.0
"""Activation energy, J/mol (Padfield 2004)."""
GAS_CONSTANT = 8.314
"""Molar gas constant in J/(mol·K) as used by Padfield (2004) and Sebera (1994)."""

# Michalski (2002), ICOM-CC Rio, and Padfield's IsoBurn page (conservation.md §6.2).
MICHALSKI_EA_J_PER_MOL = 100_000.0
"""Activation energy for cellulose, J/mol (Michalski 2002)."""
MICHALSKI_RH_EXPONENT = 1.3
"""RH exponent n (Michalski 2002)."""
SEBERA_EA_J_PER_MOL = 35_000.0 * 4.184
"""35 kcal/mol = 146.4 kJ/mol, used in Sebera's (1994) isoperm diagrams (with n = 1)."""


def preservation_index(t_c: ArrayLike, rh: ArrayLike) -> FloatOrArray:
    """Preservation index (approx.), years to noticeable decay of vulnerable organic material.

    **Approximation of IPI's tables.** IPI's preservation index (dpcalc.org, eClimateNotebook)
    is read from a lookup table that IPI has not published as an equation. This function
    evaluates Padfield's (2004) published closed form (conservation.md §1.1)::

        PI = 1 / (RH[%] · 5.9e12 · exp(−90300 / (8.314 · T_K)))     # years

    Error band against dpcalc's table: at the seven published dpcalc anchor points (−13 to
    25 °C, 33–50 % RH) it reads 5–12 % *low* (PI(20 °C, 50 %) = 41.8 against 44;
    PI(20 °C, 45 %) = 46.4 against 50; PI(−13 °C, 33 %) = 6955 against 7840). At the RH
    extremes it reads *high*: at 20 °C +15 % at 70 % RH, +45 % at 90 % RH and +56 % at 10 % RH.
    Overall, between 10 and 90 % RH, expect −12 % to +56 %. Use it for trends and
    order-of-magnitude work and label it "approx. PI"; for dpcalc parity use IPI's table.
    Unlike dpcalc it does not clamp inputs to the table's grid nor cap values at 9999, and
    RH = 0 % gives ``inf`` (no hydrolysis).

    Args:
        t_c: temperature in °C.
        rh: relative humidity in % (0–100).

    Returns:
        years; ``float`` for scalar inputs, else the broadcast array. Higher is better.

    Raises:
        ValueError: invalid temperature or RH, or shapes that do not broadcast.
    """
    t = v.temperature("t_c", t_c)
    h = v.relative_humidity("rh", rh)
    v.broadcast_shape(t_c=t, rh=h)
    with np.errstate(divide="ignore", over="ignore"):
        slow = np.exp((PADFIELD_EA_J_PER_MOL / GAS_CONSTANT) / (t - v.ABSOLUTE_ZERO_C))
        return v.output(slow / (h * PADFIELD_PREFACTOR_PER_YEAR))


def _decay_rate_per_year(t: v.FloatArray, h: v.FloatArray) -> v.FloatArray:
    """1/PI: fraction of the useful life consumed per year (Padfield 2004)."""
    rate: v.FloatArray = h * np.exp(
        (-PADFIELD_EA_J_PER_MOL / GAS_CONSTANT) / (t - v.ABSOLUTE_ZERO_C)
    )
    rate *= PADFIELD_PREFACTOR_PER_YEAR
    return rate


def lifetime_multiplier(
    t_c: ArrayLike,
    rh: ArrayLike,
    ea_j_per_mol: float = MICHALSKI_EA_J_PER_MOL,
    rh_exponent: float = MICHALSKI_RH_EXPONENT,
    t_ref_c: float = 20.0,
    rh_ref: float = 50.0,
) -> FloatOrArray:
    """Isoperm lifetime multiplier relative to a reference climate (dimensionless).

    ``LM = (RH_ref/RH)^n · exp[(Ea/R)·(1/T_K − 1/T_ref,K)]`` (Sebera 1994; conservation.md
    §6.2). Defaults are Michalski's (2002) Ea = 100 kJ/mol and n = 1.3 for cellulose, with the
    reference 20 °C / 50 % RH, giving LM(15 °C, 50 %) = 2.04, LM(20 °C, 25 %) = 2.46 and
    LM(25 °C, 50 %) = 0.50. Sebera's 1994 diagrams use Ea = 146.4 kJ/mol
    (:data:`SEBERA_EA_J_PER_MOL`) and n = 1. LM > 1 means a longer chemical lifetime than at
    the reference; RH = 0 % gives ``inf``. (ConSciR's ``calcLM`` has the exponent, units and
    sign wrong; it is not a reference.)

    Args:
        t_c: temperature in °C.
        rh: relative humidity in % (0–100).
        ea_j_per_mol: activation energy in J/mol (> 0).
        rh_exponent: exponent n of the RH dependence (> 0).
        t_ref_c: reference temperature in °C.
        rh_ref: reference RH in % (> 0).

    Returns:
        dimensionless multiplier; ``float`` for scalar inputs, else the broadcast array.

    Raises:
        ValueError: invalid inputs or parameters, or shapes that do not broadcast.
    """
    t = v.temperature("t_c", t_c)
    h = v.relative_humidity("rh", rh)
    v.broadcast_shape(t_c=t, rh=h)
    ea = v.positive_scalar("ea_j_per_mol", ea_j_per_mol)
    n = v.positive_scalar("rh_exponent", rh_exponent)
    h_ref = v.positive_scalar("rh_ref", rh_ref)
    t_ref_k = float(v.temperature("t_ref_c", t_ref_c)) - v.ABSOLUTE_ZERO_C
    k = ea / GAS_CONSTANT
    with np.errstate(divide="ignore", over="ignore"):
        exponent = k / (t - v.ABSOLUTE_ZERO_C) - n * np.log(h)
        exponent += n * np.log(h_ref) - k / t_ref_k
        return v.output(np.exp(exponent))


def twpi(
    times: ArrayLike,
    t_c: ArrayLike,
    rh: ArrayLike,
    max_gap: float | np.timedelta64 | None = None,
) -> float:
    """Time-weighted preservation index (TWPI), years.

    The duration-weighted *harmonic* mean of the preservation index: decay rates are averaged,
    not lifetimes (IPI; conservation.md §1.2)::

        TWPI = Σ Δt_i / Σ (Δt_i / PI_i)

    PI is :func:`preservation_index` (Padfield's closed form, so this is an *approximate* TWPI
    with the same error band). Inputs are used raw, as dpcalc does (no object-response lag).
    Six months at PI 44 and six at PI 211 give 72.8, not the arithmetic 127.5. Compute over at
    least a full year so every season is represented (Richardson et al. 2023). Gaps longer than
    ``max_gap`` carry no weight; see :func:`series_coverage` for the coverage.

    Args:
        times: reading times, ``numpy.datetime64`` array or POSIX seconds, sorted, unique.
        t_c: temperature in °C per reading.
        rh: relative humidity in % per reading.
        max_gap: longest interval treated as continuous (seconds or ``numpy.timedelta64``);
            default twice the median interval.

    Returns:
        years (``inf`` if every reading has RH = 0 %).

    Raises:
        ValueError: invalid times, temperatures or RH, or mismatched lengths.
    """
    axis = v.time_axis(times, max_gap)
    n = axis.durations.shape[0]
    t = v.series("t_c", v.temperature("t_c", t_c), n)
    h = v.series("rh", v.relative_humidity("rh", rh), n)
    consumed = ts.weighted_sum(_decay_rate_per_year(t, h), axis)
    total = float(axis.durations.sum())
    return total / consumed if consumed > 0.0 else float("inf")


def series_coverage(times: ArrayLike, max_gap: float | np.timedelta64 | None = None) -> float:
    """Fraction (0–1) of the record span that the series functions count as data.

    Each reading stands for the time to the next one, or for the nominal (median) interval when
    the next one is more than ``max_gap`` away (default: twice the median interval) and for the
    last reading. The span runs from the first reading to the end of the last one's interval.

    Raises:
        ValueError: invalid times.
    """
    return v.time_axis(times, max_gap).coverage
