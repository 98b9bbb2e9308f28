"""VTT mould growth model: Hukka–Viitanen (1999) with Ojanen et al. (2010) sensitivity classes.

Sources (conservation.md §4.1–4.2):

- A. Hukka, H. Viitanen (1999), "A mathematical model of mould growth on wooden material",
  *Wood Sci. Technol.* 33:475–485, doi:10.1007/s002260050131 (critical RH, growth rate,
  decline).
- T. Ojanen, H. Viitanen, R. Peuhkuri, K. Lähdesmäki, J. Vinha, K. Salminen (2010), "Mold
  growth modeling of building structures using sensitivity classes of materials", Thermal
  Performance of the Exterior Envelopes of Whole Buildings XI (k1, A, B, C, RH_min per class;
  decline coefficient C_mat). Parameter table cross-checked against A. Laukkarinen's
  implementation (github.com/anssilaukkarinen/trh-1, ``mi.py``).

The index M runs from 0 (no growth) to 6 (heavy growth): 1 microscopic growth, 3 visible
growth under 10 % of the surface, 6 about 100 % coverage. Inputs should be *surface* T and RH;
room air is an approximation.

Integration. The model is an ODE in time (dM/dt per day). Conditions are held constant over
each reading's duration and the ODE is then solved *exactly* over that interval, rather than by
an explicit Euler step: with ``u = M_max − M`` and growth ``dM/dt = c·(1 − e^{−a·u})``
(``a = 2.3``, ``c = k1/(7·t_m)``) the solution is ``e^{a·u(t)} − 1 = (e^{a·u0} − 1)·e^{−a·c·t}``;
the switch of k1 at M = 1 is located inside the step, and the piecewise-in-time decline rates
are integrated over the exact part of each interval they apply to. Results therefore do not
depend on the logging interval: a constant climate logged every 5 minutes or once a day gives
the same M at the same instant. For hourly data the difference from Laukkarinen's hourly
explicit Euler scheme is below 1e-3 in M.
"""

from __future__ import annotations

import array
import itertools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v
from ._validation import FloatArray, FloatOrArray

Sensitivity = Literal["very_sensitive", "sensitive", "medium_resistant", "resistant"]


@dataclass(frozen=True, slots=True)
class SensitivityClass:
    """Ojanen et al. (2010) sensitivity-class parameters (conservation.md §4.2).

    Attributes:
        k1_below_1: growth-rate factor k1 while M < 1.
        k1_from_1: growth-rate factor k1 once M >= 1.
        a: A in ``M_max = A + B·x − C·x²``.
        b: B in the same.
        c: C in the same.
        rh_min: minimum critical RH, %.
        examples: typical materials (MED confidence).
    """

    k1_below_1: float
    k1_from_1: float
    a: float
    b: float
    c: float
    rh_min: float
    examples: str


SENSITIVITY_CLASSES: dict[str, SensitivityClass] = {
    # Ojanen et al. 2010, Table 2 (via conservation.md §4.2, cross-checked with Laukkarinen).
    "very_sensitive": SensitivityClass(1.0, 2.0, 1.0, 7.0, 2.0, 80.0, "untreated pine sapwood"),
    "sensitive": SensitivityClass(
        0.578, 0.386, 0.3, 6.0, 1.0, 80.0, "glued wood boards, paper-faced products, spruce"
    ),
    "medium_resistant": SensitivityClass(
        0.072, 0.097, 0.0, 5.0, 1.5, 85.0, "concrete, aerated concrete, glass and polyester wool"
    ),
    "resistant": SensitivityClass(0.033, 0.014, 0.0, 3.0, 1.0, 85.0, "polished PUR, glass, metals"),
}

# Hukka & Viitanen 1999 (conservation.md §4.1): RH_crit(T) cubic for T <= 20 °C, 80 % above.
RH_CRIT_POLY = (100.0, -3.13, 0.160, -0.00267)  # c0 + c1·T + c2·T² + c3·T³
RH_CRIT_T_LIMIT_C = 20.0
RH_CRIT_ABOVE_LIMIT = 80.0
GROWTH_T_RANGE_C = (0.0, 50.0)  # growth needs 0 < T < 50 °C (Hukka & Viitanen 1999)
# t_m = exp(−0.68 ln T − 13.9 ln RH + 66.02) weeks, the W and SQ terms replaced by the class
# parameters (Hukka & Viitanen 1999; Ojanen et al. 2010).
TM_LN_T = -0.68
TM_LN_RH = -13.9
TM_CONST = 66.02
K2_SLOPE = 2.3  # k2 = max(1 − exp(2.3·(M − M_max)), 0) (Hukka & Viitanen 1999)
RH_MAX = 100.0
# Decline in unfavourable conditions, per day, by time since conditions turned unfavourable
# (Hukka & Viitanen 1999): −0.032 up to 6 h, 0 from 6 to 24 h, −0.016 after 24 h.
DECLINE_EARLY_PER_DAY = 0.032
DECLINE_EARLY_END_H = 6.0
DECLINE_LATE_START_H = 24.0
DECLINE_LATE_PER_DAY = 0.016

# Unfavourable runs shorter than this are stepped in Python; longer ones with numpy.
_SHORT_RUN = 24


def sensitivity_class(sensitivity: str) -> SensitivityClass:
    """Look up an Ojanen (2010) class by name, with a ``ValueError`` listing the valid ones."""
    try:
        return SENSITIVITY_CLASSES[sensitivity]
    except KeyError:
        names = ", ".join(SENSITIVITY_CLASSES)
        raise ValueError(f"unknown sensitivity {sensitivity!r}; expected one of {names}") from None


def _rh_crit(t: FloatArray, rh_min: float | None) -> FloatArray:
    c0, c1, c2, c3 = RH_CRIT_POLY
    poly: FloatArray = ((c3 * t + c2) * t + c1) * t + c0
    if rh_min is not None:
        poly = np.maximum(poly, rh_min)
    result: FloatArray = np.where(t <= RH_CRIT_T_LIMIT_C, poly, rh_min or RH_CRIT_ABOVE_LIMIT)
    return result


def vtt_rh_critical(t_c: ArrayLike, sensitivity: Sensitivity | None = None) -> FloatOrArray:
    """Critical relative humidity for mould growth, % (Hukka & Viitanen 1999).

    ``RH_crit = −0.00267·T³ + 0.160·T² − 3.13·T + 100.0`` for T <= 20 °C and 80 % above
    (conservation.md §4.1): 100 % at 0 °C, 88.0 % at 5 °C, 82.0 % at 10 °C, 80.04 % at 20 °C.
    The cubic dips to 79.92 % near 17 °C. With a ``sensitivity`` class, the curve is raised to
    the class's RH_min (Ojanen et al. 2010): ``max(cubic, RH_min)`` for T <= 20 °C and RH_min
    above, following Laukkarinen's reading of the ambiguous primary text. Growth additionally
    needs 0 < T < 50 °C; outside that range the curve is returned as is (it exceeds 100 %
    below 0 °C).

    Args:
        t_c: temperature in °C.
        sensitivity: ``None`` for the original 1999 curve, or an Ojanen class name.

    Returns:
        % RH; ``float`` for scalar input, else an array.

    Raises:
        ValueError: invalid temperature or unknown class.
    """
    t = v.temperature("t_c", t_c)
    rh_min = None if sensitivity is None else sensitivity_class(sensitivity).rh_min
    return v.output(_rh_crit(t, rh_min))


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Everything that does not depend on M, computed with numpy over all readings.

    The growth loop tracks ``Q = exp(−a·M)`` instead of M (``a = 2.3``). With
    ``c = exp(−a·M_max)``, the exact solution over one favourable interval is
    ``Q − c → (Q − c)·g`` with ``g = exp(−a·k1·Δt/(7·t_m))``; M < M_max is ``Q > c`` and M < 1
    is ``Q > exp(−a)``. The loop therefore needs only a comparison, a multiplication and an
    addition per reading, and M is recovered afterwards with one vectorised logarithm.
    """

    favourable: np.ndarray[tuple[int], np.dtype[np.bool_]]
    index: np.ndarray[tuple[int], np.dtype[np.intp]]  # positions of favourable readings
    c: FloatArray  # exp(−a·M_max) per favourable reading
    g_below: FloatArray  # g for k1(M < 1) per favourable reading
    g_from: FloatArray  # g for k1(M >= 1)
    hours: FloatArray  # duration of every reading, hours


def _prepare(
    durations_s: FloatArray, t: FloatArray, h: FloatArray, cls: SensitivityClass
) -> _Prepared:
    rc = _rh_crit(t, cls.rh_min)
    fav = h >= rc
    fav &= rc < RH_MAX  # RH_crit reaches 100 % as T → 0 °C: no growth possible there
    fav &= t > GROWTH_T_RANGE_C[0]
    fav &= t < GROWTH_T_RANGE_C[1]
    idx = np.flatnonzero(fav)
    hours = durations_s / v.SECONDS_PER_HOUR
    if idx.size == 0:
        empty = np.empty(0)
        return _Prepared(fav, idx, empty, empty, empty, hours)
    tf, hf, rcf = t.take(idx), h.take(idx), rc.take(idx)
    x = (rcf - hf) / (rcf - RH_MAX)
    m_max = np.maximum(cls.a + (cls.b - cls.c * x) * x, 0.0)
    # Δt/(7·t_m) with t_m in weeks and Δt in days: growth over the interval at k1 = k2 = 1.
    base = np.log(hf)
    base *= -TM_LN_RH
    base += (-TM_LN_T) * np.log(tf)
    base -= TM_CONST
    np.exp(base, out=base)
    base *= hours.take(idx) / (7.0 * 24.0)
    return _Prepared(
        favourable=fav,
        index=idx,
        c=np.exp(-K2_SLOPE * m_max),
        g_below=np.exp((-K2_SLOPE * cls.k1_below_1) * base),
        g_from=np.exp((-K2_SLOPE * cls.k1_from_1) * base),
        hours=hours,
    )


def vtt_mould_index(
    times: ArrayLike,
    t_c: ArrayLike,
    rh: ArrayLike,
    sensitivity: Sensitivity = "very_sensitive",
    decline: float = 1.0,
    max_gap: float | np.timedelta64 | None = None,
) -> FloatArray:
    """VTT mould index M (0–6) after each reading.

    Hukka–Viitanen (1999) growth and decline with the Ojanen et al. (2010) sensitivity classes
    (conservation.md §4.1–4.2)::

        RH_crit = max(cubic(T), RH_min)  (T <= 20 °C),  RH_min (T > 20 °C)
        M_max   = A + B·x − C·x²,  x = (RH_crit − RH)/(RH_crit − 100)
        dM/dt   = k1·k2 / (7·exp(−0.68 ln T − 13.9 ln RH + 66.02))     per day, if favourable
        k2      = max(1 − exp(2.3·(M − M_max)), 0)
        dM/dt   = −C_mat · {0.032 (≤ 6 h), 0 (6–24 h), 0.016 (> 24 h)} per day, otherwise

    Favourable means 0 < T < 50 °C and RH >= RH_crit (with RH_crit < 100 %). Reading i's
    conditions hold for its duration (the time to the next reading), and ``M[i]`` is the
    index at the end of that interval. The ODE is solved exactly over each interval (see the
    module docstring), so any logging interval gives the same answer. Across a gap longer
    than ``max_gap`` the state (M and the time since conditions turned unfavourable) is held,
    not extrapolated. The recurrence starts at M = 0. Very sensitive class at constant
    20 °C / 90 %: M = 1.04 after 30 days, reaching M_max = 3.995 within a year.

    Args:
        times: reading times, ``numpy.datetime64`` array or POSIX seconds, sorted, unique.
        t_c: surface temperature in °C per reading.
        rh: surface relative humidity in % per reading.
        sensitivity: Ojanen class: ``very_sensitive`` (untreated pine sapwood, the original
            model), ``sensitive``, ``medium_resistant`` or ``resistant``.
        decline: the relative decline coefficient C_mat (Ojanen 2010): 1.0 reference pine
            (large decline), 0.5 significant, 0.25 relatively low, 0.1 almost none.
        max_gap: longest interval treated as continuous; default twice the median interval.

    Returns:
        array of M, one per reading, within 0–6.

    Raises:
        ValueError: invalid times, temperatures, RH, class or decline, or mismatched lengths.
    """
    axis = v.time_axis(times, max_gap)
    n = axis.durations.shape[0]
    t = v.series("t_c", v.temperature("t_c", t_c), n)
    h = v.series("rh", v.relative_humidity("rh", rh), n)
    cls = sensitivity_class(sensitivity)
    c_mat = float(decline)
    if not (math.isfinite(c_mat) and c_mat >= 0.0):
        raise ValueError(f"decline = {decline!r} must be a finite number >= 0")
    return _integrate(_prepare(axis.durations, t, h, cls), c_mat)


def _floats(a: FloatArray) -> memoryview[float]:
    return np.ascontiguousarray(a).data.cast("B").cast("d")


def _integrate(prep: _Prepared, c_mat: float) -> FloatArray:
    """Run the recurrence: a Python loop over favourable readings, numpy over long declines."""
    fav = prep.favourable
    n = fav.shape[0]
    out = np.zeros(n)
    if prep.index.size == 0:
        return out  # never favourable: M stays 0 (the usual case in a gallery)
    edges = np.flatnonzero(fav[1:] != fav[:-1]) + 1
    bounds = [0, *edges.tolist(), n]
    growing = bool(fav[0])
    a = K2_SLOPE
    q_one = math.exp(-a)  # Q at M = 1
    # memoryviews yield Python floats lazily and slice without copying: cheaper than tolist().
    c_list = _floats(prep.c)
    g_list = _floats(prep.g_from)
    g_below = _floats(prep.g_below)
    hours = _floats(prep.hours)
    exp, log = math.exp, math.log
    q_values = array.array("d")
    append = q_values.append
    m = 0.0
    j = 0  # position in the favourable-only lists
    for start, stop in itertools.pairwise(bounds):
        if growing:
            j_stop = j + stop - start
            q = exp(-a * m)
            if q > q_one:  # M < 1: k1 = k1(M < 1) until M reaches 1
                for c, gb in zip(c_list[j:j_stop], g_below[j:j_stop], strict=True):
                    if q > c:
                        q_new = c + (q - c) * gb
                        if q_new < q_one:
                            # M crossed 1 inside the interval: find when, then finish the
                            # interval with k1(M >= 1).
                            spent = log((q_one - c) / (q - c)) / log(gb)
                            q_new = c + (q_one - c) * g_list[j] ** (1.0 - spent)
                            q = q_new
                            append(q)
                            j += 1
                            break
                        q = q_new
                    append(q)
                    j += 1
            for c, g in zip(c_list[j:j_stop], g_list[j:j_stop], strict=True):
                if q > c:  # M < M_max; otherwise k2 = 0 and M holds
                    q = c + (q - c) * g
                append(q)
            j = j_stop
            m = -log(q) / a
        elif m > 0.0:
            if stop - start < _SHORT_RUN:
                unfavourable_h = 0.0
                k = start
                for dt_h in hours[start:stop]:
                    end_h = unfavourable_h + dt_h
                    early = min(end_h, DECLINE_EARLY_END_H) - unfavourable_h
                    late = end_h - max(unfavourable_h, DECLINE_LATE_START_H)
                    lost = DECLINE_EARLY_PER_DAY * max(early, 0.0)
                    lost += DECLINE_LATE_PER_DAY * max(late, 0.0)
                    m -= c_mat * lost / 24.0
                    unfavourable_h = end_h
                    if m <= 0.0:
                        m = 0.0
                        break
                    out[k] = m
                    k += 1
            else:
                m = _decline_run(m, prep.hours[start:stop], c_mat, out[start:stop])
        growing = not growing
    growth = np.log(np.frombuffer(q_values, dtype=np.float64))
    growth /= -a
    out[prep.index] = growth
    return out


def _decline_run(m: float, hours: FloatArray, c_mat: float, out: FloatArray) -> float:
    """Vectorised decline over one unfavourable run; writes ``out`` and returns the final M."""
    end = np.cumsum(hours)
    start = end - hours
    early = np.minimum(end, DECLINE_EARLY_END_H)
    early -= start
    np.maximum(early, 0.0, out=early)
    late = end - np.maximum(start, DECLINE_LATE_START_H)
    np.maximum(late, 0.0, out=late)
    late *= DECLINE_LATE_PER_DAY
    late += DECLINE_EARLY_PER_DAY * early
    late *= c_mat
    late /= 24.0
    seq = np.empty(hours.shape[0] + 1)
    seq[0] = m
    seq[1:] = late
    # subtract.accumulate subtracts in the same order as a scalar loop; since every decline
    # is >= 0, once the running value is below zero it stays there, so clipping afterwards
    # equals the sequential max(M − d, 0).
    np.maximum(np.subtract.accumulate(seq)[1:], 0.0, out=out)
    return float(out[-1])
