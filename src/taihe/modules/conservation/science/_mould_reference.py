"""A straightforward, per-step implementation of the VTT mould model (test oracle).

This is the readable specification of :func:`.mould.vtt_mould_index`: one loop over the
readings, every equation evaluated with :mod:`math` at each step, no precomputation and no
run detection. The test suite checks that the fast implementation gives the same results on
random series, and ``benchmarks/science.py`` times the two against each other. It is not part
of the public API.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v
from .mould import Sensitivity, sensitivity_class


def _overlap(a: float, b: float, lo: float, hi: float) -> float:
    return max(0.0, min(b, hi) - max(a, lo))


def vtt_mould_index_reference(
    times: ArrayLike,
    t_c: ArrayLike,
    rh: ArrayLike,
    sensitivity: Sensitivity = "very_sensitive",
    decline: float = 1.0,
    max_gap: float | np.timedelta64 | None = None,
) -> v.FloatArray:
    """Same contract as :func:`.mould.vtt_mould_index`, one reading at a time."""
    axis = v.time_axis(times, max_gap)
    n = axis.durations.shape[0]
    temps = v.series("t_c", v.temperature("t_c", t_c), n).tolist()
    rhs = v.series("rh", v.relative_humidity("rh", rh), n).tolist()
    durations = axis.durations.tolist()
    cls = sensitivity_class(sensitivity)
    m = 0.0
    unfavourable_h = 0.0
    out = []
    for dt_s, temp, rel in zip(durations, temps, rhs, strict=True):
        # Hukka & Viitanen 1999 critical RH, raised to RH_min (Ojanen 2010, Laukkarinen).
        if temp <= 20.0:
            poly = -0.00267 * temp**3 + 0.160 * temp**2 - 3.13 * temp + 100.0
            rh_crit = max(poly, cls.rh_min)
        else:
            rh_crit = cls.rh_min
        if 0.0 < temp < 50.0 and rel >= rh_crit and rh_crit < 100.0:
            unfavourable_h = 0.0
            x = (rh_crit - rel) / (rh_crit - 100.0)
            m_max = max(cls.a + cls.b * x - cls.c * x * x, 0.0)
            k1 = cls.k1_below_1 if m < 1.0 else cls.k1_from_1
            k2 = max(1.0 - math.exp(2.3 * (m - m_max)), 0.0)
            t_m_weeks = math.exp(-0.68 * math.log(temp) - 13.9 * math.log(rel) + 66.02)
            rate_per_day = 1.0 / (7.0 * t_m_weeks)  # dM/dt for k1 = k2 = 1
            dt_days = dt_s / 86400.0
            if k2 > 0.0:
                # Exact solution of dM/dt = k1·rate·(1 − exp(2.3·(M − M_max))) over the step:
                # exp(2.3·(M_max − M)) − 1 decays as exp(−2.3·k1·rate·t).
                e0 = math.expm1(2.3 * (m_max - m))
                m_new = m_max - math.log1p(e0 * math.exp(-2.3 * k1 * rate_per_day * dt_days)) / 2.3
                if m < 1.0 and m_new > 1.0:
                    # k1 changes at M = 1: integrate to M = 1, then on with k1(M >= 1).
                    e1 = math.expm1(2.3 * (m_max - 1.0))
                    t_to_1 = math.log(e0 / e1) / (2.3 * cls.k1_below_1 * rate_per_day)
                    rest = dt_days - t_to_1
                    decay = math.exp(-2.3 * cls.k1_from_1 * rate_per_day * rest)
                    m_new = m_max - math.log1p(e1 * decay) / 2.3
                m = m_new
        else:
            start_h = unfavourable_h
            unfavourable_h += dt_s / 3600.0
            lost_day_hours = 0.032 * _overlap(start_h, unfavourable_h, 0.0, 6.0)
            lost_day_hours += 0.016 * _overlap(start_h, unfavourable_h, 24.0, math.inf)
            m = max(m - decline * lost_day_hours / 24.0, 0.0)
        out.append(m)
    return np.asarray(out, dtype=np.float64)
