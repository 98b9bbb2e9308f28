"""Psychrometrics: saturation vapour pressure, dew point, absolute humidity, mixing ratio.

Source: conservation.md §6.1. Saturation vapour pressure uses the Magnus form with the
Sonntag (1990) / WMO-No. 8 constants *over water* (valid −45 to 60 °C). RH is relative to
liquid water at every temperature (WMO convention), which is what sensors report, so the water
constants are used below 0 °C as well; ASHRAE's tables switch to ice below 0 °C and therefore
differ there (see the tests).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v
from ._validation import FloatOrArray

MAGNUS_A_PA = 611.2
"""Magnus a = 6.112 hPa, Sonntag 1990 / WMO-No. 8 over water (conservation.md §6.1)."""
MAGNUS_B = 17.62
"""Magnus b (dimensionless), Sonntag 1990 / WMO-No. 8 over water (conservation.md §6.1)."""
MAGNUS_C = 243.12
"""Magnus c in °C, Sonntag 1990 / WMO-No. 8 over water (conservation.md §6.1)."""
AH_COEFFICIENT = 100.0 * 18.015 / 8.314
"""216.7 = 100·M_w/R with M_w = 18.015 g/mol, R = 8.314 J/(mol·K): AH = 216.7·e[hPa]/T_K in
g/m³ (conservation.md §6.1)."""
MIXING_RATIO_COEFFICIENT = 621.98
"""621.98 g/kg = 1000·M_w/M_dry-air: x = 621.98·e/(p − e) (conservation.md §6.1)."""
STANDARD_PRESSURE_PA = 101325.0
"""Standard sea-level atmosphere, 1013.25 hPa (conservation.md §6.1)."""


def saturation_vapour_pressure(t_c: ArrayLike) -> FloatOrArray:
    """Saturation vapour pressure over liquid water, in Pa.

    ``e_s = 611.2 · exp(17.62·T / (243.12 + T))`` (Magnus form, Sonntag 1990 / WMO-No. 8;
    conservation.md §6.1). Within about 0.3 % of the ASHRAE Handbook (Hyland–Wexler) values
    between 0 and 50 °C: 3168.7 Pa at 25 °C against ASHRAE's 3169.7 Pa.

    Args:
        t_c: air temperature in °C, scalar or array.

    Returns:
        Pa; a ``float`` for scalar input, else an array of the input's shape.

    Raises:
        ValueError: a temperature is NaN, infinite or below absolute zero.
    """
    t = v.temperature("t_c", t_c)
    return v.output(MAGNUS_A_PA * np.exp(MAGNUS_B * t / (MAGNUS_C + t)))


def dew_point(t_c: ArrayLike, rh: ArrayLike) -> FloatOrArray:
    """Dew point in °C from air temperature and relative humidity (Magnus inversion).

    ``γ = ln(RH/100) + b·T/(c + T)``, ``Td = c·γ/(b − γ)`` (conservation.md §6.1), computed as
    ``c / (b/γ − 1)`` so that RH = 0 % gives the formula's limit ``−c = −243.12 °C`` rather
    than NaN; that limit means "no dew point" and lies far outside the Magnus range.
    Td(20 °C, 50 %) = 9.26 °C.

    Args:
        t_c: air temperature in °C.
        rh: relative humidity in % (0–100).

    Returns:
        °C, ``float`` for scalar inputs, else the broadcast array.

    Raises:
        ValueError: invalid temperature or RH, or shapes that do not broadcast.
    """
    t = v.temperature("t_c", t_c)
    h = v.relative_humidity("rh", rh)
    v.broadcast_shape(t_c=t, rh=h)
    with np.errstate(divide="ignore", over="ignore"):
        gamma = np.log(h * 0.01) + MAGNUS_B * t / (MAGNUS_C + t)
        return v.output(MAGNUS_C / (MAGNUS_B / gamma - 1.0))


def _vapour_pressure_pa(t: v.FloatArray, h: v.FloatArray) -> v.FloatArray:
    result: v.FloatArray = (h * (0.01 * MAGNUS_A_PA)) * np.exp(MAGNUS_B * t / (MAGNUS_C + t))
    return result


def absolute_humidity(t_c: ArrayLike, rh: ArrayLike) -> FloatOrArray:
    """Absolute humidity (water vapour density) in g/m³.

    ``AH = 216.7 · e[hPa] / T_K`` with ``e = RH/100 · e_s(T)`` (conservation.md §6.1).
    AH(20 °C, 50 %) = 8.62 g/m³.

    Args:
        t_c: air temperature in °C.
        rh: relative humidity in % (0–100).

    Returns:
        g/m³, ``float`` for scalar inputs, else the broadcast array.

    Raises:
        ValueError: invalid temperature or RH, or shapes that do not broadcast.
    """
    t = v.temperature("t_c", t_c)
    h = v.relative_humidity("rh", rh)
    v.broadcast_shape(t_c=t, rh=h)
    e_hpa_times_coeff = _vapour_pressure_pa(t, h) * (AH_COEFFICIENT * 0.01)
    return v.output(e_hpa_times_coeff / (t - v.ABSOLUTE_ZERO_C))


def mixing_ratio(
    t_c: ArrayLike, rh: ArrayLike, pressure_pa: ArrayLike = STANDARD_PRESSURE_PA
) -> FloatOrArray:
    """Mixing ratio (humidity ratio) in g of water vapour per kg of dry air.

    ``x = 621.98 · e / (p − e)`` (conservation.md §6.1). x(20 °C, 50 %, 101 325 Pa) = 7.24 g/kg.

    Args:
        t_c: air temperature in °C.
        rh: relative humidity in % (0–100).
        pressure_pa: total air pressure in Pa (default: standard sea-level atmosphere).

    Returns:
        g/kg, ``float`` for scalar inputs, else the broadcast array.

    Raises:
        ValueError: invalid temperature, RH or pressure (not finite, not above the vapour
            pressure), or shapes that do not broadcast.
    """
    t = v.temperature("t_c", t_c)
    h = v.relative_humidity("rh", rh)
    p = v.as_float_array("pressure_pa", pressure_pa)
    v.check_finite("pressure_pa", p)
    v.broadcast_shape(t_c=t, rh=h, pressure_pa=p)
    e = _vapour_pressure_pa(t, h)
    dry = p - e
    if dry.size and not dry.min() > 0.0:
        bad = np.broadcast_to(p, dry.shape)
        raise v.first_bad(
            "pressure_pa",
            np.ascontiguousarray(bad),
            dry <= 0.0,
            "Pa is not above the water vapour pressure",
        )
    return v.output(MIXING_RATIO_COEFFICIENT * e / dry)
