"""Equilibrium moisture content (EMC) of wood: USDA FPL Hailwood–Horrobin equation.

Sources (conservation.md §2): W. T. Simpson (1973), *Wood Science* 5(1):41–49; Simpson (1998),
FPL-RN-0268; *Wood Handbook* FPL-GTR-190 (2010) ch. 4, Eq. 4-5 with the metric coefficients.
The same equation, evaluated on IPI's integer grid and rounded to 0.1, is every cell of
dpcalc's ``emctable`` (conservation.md §1.4), so this is also IPI's %EMC.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v
from ._validation import FloatOrArray

# Wood Handbook (FPL-GTR-190, 2010) ch. 4, Eq. 4-5, metric coefficients, T in °C
# (conservation.md §2). Each tuple is (c0, c1, c2) for c0 + c1·T + c2·T².
EMC_W = (349.0, 1.29, 0.0135)
EMC_K = (0.805, 0.000736, -0.00000273)
EMC_K1 = (6.27, -0.00938, -0.000303)
EMC_K2 = (1.91, 0.0407, -0.000293)
_K_PER_PERCENT = (EMC_K[0] / 100.0, EMC_K[1] / 100.0, EMC_K[2] / 100.0)
_W_OVER_1800 = (EMC_W[0] / 1800.0, EMC_W[1] / 1800.0, EMC_W[2] / 1800.0)


_BLOCK = 16384
"""Readings evaluated per block. The equation takes about 30 array operations; on blocks of
this size their intermediates stay in the CPU cache instead of each pass allocating and
streaming a full-length temporary (about 2-3x faster on a sensor-year). Every element goes
through exactly the same operations in the same order, so results do not depend on it."""


def _quadratic(c: tuple[float, float, float], t: v.FloatArray, out: v.FloatArray) -> v.FloatArray:
    # Horner form, (c2·T + c1)·T + c0, written into ``out``: no temporaries.
    np.multiply(t, c[2], out=out)
    out += c[1]
    out *= t
    out += c[0]
    return out


def _emc_block(t: v.FloatArray, h: v.FloatArray, out: v.FloatArray, scratch: v.FloatArray) -> None:
    """EMC of equal-length 1-D ``t``, ``h`` into ``out``; ``scratch`` has three rows as long."""
    # Constants folded into the coefficients save two passes: K/100 takes h = RH/100, and
    # W/1800 replaces the 1800/W factor.
    kh = _quadratic(_K_PER_PERCENT, t, scratch[0])
    kh *= h  # Kh
    a = _quadratic(EMC_K1, t, scratch[1])
    a *= kh  # K1·Kh
    b = _quadratic(EMC_K2, t, out)
    b *= kh
    b *= a  # K1·K2·Kh²
    den = np.add(a, b, out=scratch[2])
    den += 1.0  # 1 + K1·Kh + K1·K2·Kh²
    num = np.add(b, b, out=out)
    num += a
    num /= den  # (K1·Kh + 2·K1·K2·Kh²) / (1 + K1·Kh + K1·K2·Kh²)
    one_minus_kh = np.subtract(1.0, kh, out=scratch[1])
    kh /= one_minus_kh
    num += kh  # + Kh/(1 − Kh)
    num /= _quadratic(_W_OVER_1800, t, scratch[1])  # · 1800/W


def emc_wood(t_c: ArrayLike, rh: ArrayLike) -> FloatOrArray:
    """Equilibrium moisture content of wood, % of oven-dry mass.

    Hailwood–Horrobin one-hydrate form with the Wood Handbook metric coefficients
    (conservation.md §2)::

        M = 1800/W · [Kh/(1 − Kh) + (K1·Kh + 2·K1·K2·Kh²) / (1 + K1·Kh + K1·K2·Kh²)]

    with ``h = RH/100`` and W, K, K1, K2 quadratic in T (°C). Valid for RH from 0 to about
    98 % and below fibre saturation (about 30 % MC), at the FPL table's temperatures (about
    −1 to 99 °C); dpcalc extrapolates down to −20 °C and so does this function. The equation
    agrees with Wood Handbook Table 4-2 within ±0.1 %MC up to 90 % RH (up to about 0.4 at
    95–98 % RH). EMC(20 °C, 50 %) = 9.24 %; EMC(20 °C, 65 %) = 12.0 %.

    Args:
        t_c: temperature in °C.
        rh: relative humidity in % (0–100).

    Returns:
        % moisture content, ``float`` for scalar inputs, else the broadcast array.

    Raises:
        ValueError: invalid temperature or RH, or shapes that do not broadcast.
    """
    t = v.temperature("t_c", t_c)
    h = v.relative_humidity("rh", rh)
    shape = v.broadcast_shape(t_c=t, rh=h)
    # Flat views of the inputs (a copy only where one argument is broadcast to the other).
    t_flat = np.broadcast_to(t, shape).reshape(-1)
    h_flat = np.broadcast_to(h, shape).reshape(-1)
    result = np.empty(shape)
    out = result.reshape(-1)
    n = out.shape[0]
    scratch = np.empty((3, min(n, _BLOCK)))
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        m = stop - start
        _emc_block(t_flat[start:stop], h_flat[start:stop], out[start:stop], scratch[:, :m])
    return v.output(result)
