"""Duration-weighted aggregates over a :class:`~._validation.TimeAxis`.

conservation.md §0: every reading is weighted by its duration, never by reading count, and a
moving average never bridges a gap (readings inside a gap simply do not exist, so the gap
carries no weight).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ._validation import FloatArray, TimeAxis

MIN_WINDOW_COVERAGE = 0.5
"""A moving-average window must hold data for at least half its length, else NaN (our choice)."""


def weighted_sum(values: FloatArray, axis: TimeAxis) -> float:
    """``Σ values_i · Δt_i`` in value·seconds.

    Deliberately not ``np.dot``: BLAS threads gain nothing on one vector and stall badly on a
    busy machine. Evenly spaced readings need only a sum.
    """
    if axis.regular:
        return float(values.sum()) * axis.nominal
    return float(np.multiply(values, axis.durations).sum())


def weighted_mean(values: FloatArray, axis: TimeAxis) -> float:
    """Duration-weighted mean of ``values``."""
    return weighted_sum(values, axis) / float(axis.durations.sum())


def weighted_fraction(mask: NDArray[np.bool_], axis: TimeAxis) -> float:
    """Duration-weighted fraction of readings where ``mask`` is true."""
    return float(axis.durations[mask].sum() / axis.durations.sum())


def moving_average(
    values: FloatArray,
    axis: TimeAxis,
    window_seconds: float,
    *,
    kind: Literal["centred", "trailing"],
    edges: Literal["nan", "shrink"],
) -> FloatArray:
    """Duration-weighted moving average.

    ``centred`` averages the readings with times in the closed window ``[t - W/2, t + W/2]``
    (so 721 hourly readings for 30 days: symmetric about the reading); ``trailing`` uses
    ``[t - W, t]``. With ``edges="nan"`` the result is NaN wherever the window reaches outside
    the record (before the first reading or after the end of the last one); with
    ``edges="shrink"`` the window is cut to the record. In both cases a window that holds data
    for less than :data:`MIN_WINDOW_COVERAGE` of its (possibly cut) length is NaN.
    """
    n = axis.durations.shape[0]
    if kind == "centred":
        before = after = 0.5 * window_seconds
    else:
        before, after = window_seconds, 0.0
    # Centre the values before accumulating: keeps the running sums small, so differences of
    # cumulative sums lose no precision over long records.
    offset = float(np.median(values[:: max(1, n // 1000)]))
    csum = np.empty(n + 1)
    csum[0] = 0.0
    if axis.regular:
        # Evenly spaced, no gaps: the window is a fixed number of readings each side.
        step = axis.nominal
        np.cumsum(values - offset, out=csum[1:])
        kb = int(np.floor(before / step * (1 + 1e-12)))
        ka = int(np.floor(after / step * (1 + 1e-12)))
        result = np.empty(n)
        width = kb + ka + 1
        if width <= n:
            result[kb : n - ka] = (csum[width:] - csum[: n + 1 - width]) / width
        head = np.arange(min(kb, n))
        tail = np.arange(max(n - ka, 0), n)
        for idx in (head, tail):
            lo = np.maximum(idx - kb, 0)
            hi = np.minimum(idx + ka + 1, n)
            result[idx] = (csum[hi] - csum[lo]) / (hi - lo)
        result += offset
        if edges == "nan":
            first_ok = int(np.ceil(before / step * (1 - 1e-12)))
            result[:first_ok] = np.nan  # window starts before the first reading
            end_ok = n * step - after  # window must end within the last reading's interval
            last_ok = int(np.floor(end_ok / step * (1 + 1e-12)))
            result[max(last_ok + 1, first_ok) :] = np.nan
        return result
    t = axis.seconds
    np.cumsum((values - offset) * axis.durations, out=csum[1:])
    wsum = np.empty(n + 1)
    wsum[0] = 0.0
    np.cumsum(axis.durations, out=wsum[1:])
    lo_i = np.searchsorted(t, t - before, side="left")
    hi_i = np.searchsorted(t, t + after, side="right")
    weight = wsum[hi_i] - wsum[lo_i]
    out: FloatArray = (csum[hi_i] - csum[lo_i]) / weight + offset
    start = np.maximum(t - before, 0.0)
    stop = np.minimum(t + after, axis.end)
    # A zero-length window (trailing, at the first reading) holds that reading: covered.
    out[weight / np.maximum(stop - start, weight) < MIN_WINDOW_COVERAGE] = np.nan
    if edges == "nan":
        out[(t - before < -1e-9) | (t + after > axis.end + 1e-9)] = np.nan
    return out


def weighted_percentiles(values: FloatArray, weights: FloatArray, q: FloatArray) -> FloatArray:
    """Duration-weighted percentiles (``q`` in 0–100), linear interpolation.

    Each sorted value sits at the midpoint of its weight on the cumulative-weight axis,
    rescaled so the smallest value is at 0 and the largest at 1; with equal weights this is
    exactly numpy's default ``"linear"`` method (position k/(n − 1)), and equal weights take
    numpy's O(n) selection path.
    """
    w0 = weights[0]
    if np.all(weights == w0):
        return np.asarray(np.percentile(values, q), dtype=np.float64)
    order = np.argsort(values, kind="stable")
    v = values[order]
    w = weights[order]
    mid = np.cumsum(w) - 0.5 * w
    position = (mid - mid[0]) / (mid[-1] - mid[0])
    return np.asarray(np.interp(np.asarray(q) / 100.0, position, v), dtype=np.float64)
