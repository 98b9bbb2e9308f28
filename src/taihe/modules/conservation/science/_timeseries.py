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
    """Duration-weighted fraction of readings where ``mask`` is true.

    Evenly spaced readings all weigh the same, so a count does (bit for bit the same result
    when the interval is a whole number of seconds, as the weighted sums are then exact).
    """
    if axis.regular:
        return np.count_nonzero(mask) / mask.shape[0]
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
    offset = _offset(values)
    if axis.regular:
        csum = np.empty(n + 1)
        csum[0] = 0.0
        np.subtract(values, offset, out=csum[1:])
        np.cumsum(csum[1:], out=csum[1:])
        return _regular_window_means(csum, axis.nominal, before, after, offset, edges)
    csum = np.empty(n + 1)
    csum[0] = 0.0
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


def moving_averages(
    series: tuple[FloatArray, FloatArray],
    axis: TimeAxis,
    window_seconds: float,
    *,
    kind: Literal["centred", "trailing"],
    edges: Literal["nan", "shrink"],
) -> tuple[FloatArray, FloatArray]:
    """:func:`moving_average` of two series on the same axis (the same results, bit for bit).

    For evenly spaced readings the two cumulative sums share one pass, as the real and
    imaginary parts of one complex running sum: complex addition adds the parts separately, so
    each part is exactly its own running sum, and numpy's (sequential) accumulate costs about
    the same per complex element as per real one.
    """
    first, second = series
    if not axis.regular:
        return (
            moving_average(first, axis, window_seconds, kind=kind, edges=edges),
            moving_average(second, axis, window_seconds, kind=kind, edges=edges),
        )
    n = axis.durations.shape[0]
    if kind == "centred":
        before = after = 0.5 * window_seconds
    else:
        before, after = window_seconds, 0.0
    off1, off2 = _offset(first), _offset(second)
    csum = np.empty(n + 1, dtype=np.complex128)
    csum[0] = 0.0
    np.subtract(first, off1, out=csum.real[1:])
    np.subtract(second, off2, out=csum.imag[1:])
    np.cumsum(csum[1:], out=csum[1:])
    step = axis.nominal
    return (
        _regular_window_means(csum.real, step, before, after, off1, edges),
        _regular_window_means(csum.imag, step, before, after, off2, edges),
    )


def _offset(values: FloatArray) -> float:
    # Centre the values before accumulating: keeps the running sums small, so differences of
    # cumulative sums lose no precision over long records.
    return float(np.median(values[:: max(1, values.shape[0] // 1000)]))


def _regular_window_means(
    csum: FloatArray,
    step: float,
    before: float,
    after: float,
    offset: float,
    edges: Literal["nan", "shrink"],
) -> FloatArray:
    """:func:`moving_average` for evenly spaced readings without gaps, from the running sum.

    ``csum`` is ``[0, cumsum(values - offset)]``. The window is a fixed number of readings
    each side, so every window sum is a difference of two running sums; windows cut by the
    record's ends divide by their own count. Only the readings that get a value are computed
    (``edges="nan"`` skips the ends).
    """
    n = csum.shape[0] - 1
    kb = int(np.floor(before / step * (1 + 1e-12)))
    ka = int(np.floor(after / step * (1 + 1e-12)))
    width = kb + ka + 1
    start, stop = 0, n  # readings that get a value
    if edges == "nan":
        first_ok = int(np.ceil(before / step * (1 - 1e-12)))  # window starts in the record
        end_ok = n * step - after  # window must end within the last reading's interval
        last_ok = int(np.floor(end_ok / step * (1 + 1e-12)))
        start = min(first_ok, n)
        stop = min(max(last_ok + 1, first_ok), n)
    result = np.empty(n)
    result[:start] = np.nan
    result[stop:] = np.nan
    # Full windows: readings kb .. n - ka - 1, all of ``width`` readings.
    lo, hi = max(kb, start), min(n - ka, stop)
    if lo < hi:
        full = result[lo:hi]
        np.subtract(csum[lo + ka + 1 : hi + ka + 1], csum[lo - kb : hi - kb], out=full)
        full /= width
        parts = [(start, lo), (hi, stop)]
    else:
        parts = [(start, stop)]
    # Windows cut by the start or end of the record (at most kb + ka readings).
    for first, last in parts:
        if first < last:
            idx = np.arange(first, last)
            i_lo = np.maximum(idx - kb, 0)
            i_hi = np.minimum(idx + ka + 1, n)
            result[first:last] = (csum[i_hi] - csum[i_lo]) / (i_hi - i_lo)
    result[start:stop] += offset
    return result


def weighted_percentiles(
    values: FloatArray,
    weights: FloatArray | None,
    q: FloatArray,
    *,
    overwrite_input: bool = False,
) -> FloatArray:
    """Duration-weighted percentiles (``q`` in 0–100), linear interpolation.

    Each sorted value sits at the midpoint of its weight on the cumulative-weight axis,
    rescaled so the smallest value is at 0 and the largest at 1; with equal weights
    (``weights`` None or all the same) this is exactly numpy's default ``"linear"`` method
    (position k/(n − 1)), computed by :func:`_linear_percentiles` in O(n) without sorting.
    With ``overwrite_input`` and equal weights, ``values`` is reordered instead of copied.
    """
    if weights is None or np.all(weights == weights[0]):
        return _linear_percentiles(values if overwrite_input else values.copy(), q)
    order = np.argsort(values, kind="stable")
    v = values[order]
    w = weights[order]
    mid = np.cumsum(w) - 0.5 * w
    position = (mid - mid[0]) / (mid[-1] - mid[0])
    return np.asarray(np.interp(np.asarray(q) / 100.0, position, v), dtype=np.float64)


def _linear_percentiles(a: FloatArray, q: FloatArray) -> FloatArray:
    """``np.percentile(a, q)`` (method "linear"), bit for bit, for 1-D ``a``; reorders ``a``.

    numpy partitions its copy at all the needed ranks in one call, which is several times
    slower than a single-rank partition; here each rank is selected in turn, ascending, in
    the part of the array above the previous one, and the rank just above a selected one
    (the other end of an interpolation) is a minimum. The interpolation is numpy's own
    (``_lerp`` in numpy/lib/_function_base_impl.py).
    """
    n = a.shape[0]
    frac = np.true_divide(q, 100.0)
    if n == 0 or not np.all((frac >= 0.0) & (frac <= 1.0)) or np.isnan(a.max()):
        return np.asarray(np.percentile(a, q), dtype=np.float64)  # numpy's errors, NaN
    virtual = (n - 1) * frac
    below = np.floor(virtual)
    gamma = virtual - below
    lower = np.minimum(below, n - 1).astype(np.intp)
    upper = np.minimum(below + 1, n - 1).astype(np.intp)
    ranked: dict[int, float] = {}
    done = 0  # a[done:] holds the n - done largest values
    for k in sorted({*lower.tolist(), *upper.tolist()}):
        if k == done:
            i = done + int(np.argmin(a[done:]))
            a[done], a[i] = a[i], a[done]
        else:
            a[done:].partition(k - done)
        ranked[k] = float(a[k])
        done = k + 1
    lo = np.array([ranked[k] for k in lower.tolist()])
    hi = np.array([ranked[k] for k in upper.tolist()])
    diff = hi - lo
    result = lo + diff * gamma
    np.subtract(hi, diff * (1 - gamma), out=result, where=gamma >= 0.5)
    return result
