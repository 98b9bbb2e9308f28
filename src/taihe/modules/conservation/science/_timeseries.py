"""Duration-weighted aggregates over a :class:`~._validation.TimeAxis`.

conservation.md §0: every reading is weighted by its duration, never by reading count, and a
moving average never bridges a gap (readings inside a gap simply do not exist, so the gap
carries no weight).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
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
    return weighted_sum(values, axis) / axis.total


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

    For evenly spaced readings the two cumulative sums share one pass (see
    :func:`paired_running_sum`).
    """
    first, second = series
    if not axis.regular:
        return (
            moving_average(first, axis, window_seconds, kind=kind, edges=edges),
            moving_average(second, axis, window_seconds, kind=kind, edges=edges),
        )
    csum, off1, off2 = paired_running_sum(first, second)
    plan = RegularWindow.plan(axis.durations.shape[0], axis.nominal, window_seconds, kind, edges)
    return (
        plan.means(csum.real, off1, 0, plan.n, np.empty(plan.n)),
        plan.means(csum.imag, off2, 0, plan.n, np.empty(plan.n)),
    )


def paired_running_sum(
    first: FloatArray, second: FloatArray
) -> tuple[NDArray[np.complex128], float, float]:
    """``[0, cumsum(first - off1)]`` and the same for ``second``, in one complex array.

    The two running sums are the real and imaginary parts of one complex running sum: complex
    addition adds the parts separately, so each part is exactly its own running sum, and
    numpy's (sequential) accumulate costs about the same per complex element as per real one.
    Returns the running sum and the two offsets (see :func:`_offset`).
    """
    n = first.shape[0]
    off1, off2 = _offset(first), _offset(second)
    csum = np.empty(n + 1, dtype=np.complex128)
    csum[0] = 0.0
    np.subtract(first, off1, out=csum.real[1:])
    np.subtract(second, off2, out=csum.imag[1:])
    np.cumsum(csum[1:], out=csum[1:])
    return csum, off1, off2


def _offset(values: FloatArray) -> float:
    """Median of about 1,000 evenly spread readings (``values`` finite).

    Centring the values before accumulating keeps the running sums small, so differences of
    cumulative sums lose no precision over long records. This is ``numpy.median`` of the
    sample, bit for bit (numpy's own steps: partition at the middle rank(s), then ``mean``),
    without its NaN handling, whose first use imports ``numpy.ma`` (milliseconds).
    """
    sample = values[:: max(1, values.shape[0] // 1000)]
    half = sample.shape[0] // 2
    if sample.shape[0] % 2:
        return float(np.mean(np.partition(sample, half)[half : half + 1]))
    return float(np.mean(np.partition(sample, (half - 1, half))[half - 1 : half + 1]))


@dataclass(frozen=True, slots=True)
class RegularWindow:
    """A moving-average window over ``n`` evenly spaced readings without gaps.

    The window is a fixed number of readings each side (``kb`` before, ``ka`` after), so every
    window sum is a difference of two running sums; windows cut by the record's ends divide by
    their own count. Readings outside ``start:stop`` get NaN (``edges="nan"`` skips the ends).
    """

    n: int
    kb: int
    ka: int
    start: int
    stop: int

    @classmethod
    def plan(
        cls,
        n: int,
        step: float,
        window_seconds: float,
        kind: Literal["centred", "trailing"],
        edges: Literal["nan", "shrink"],
    ) -> RegularWindow:
        if kind == "centred":
            before = after = 0.5 * window_seconds
        else:
            before, after = window_seconds, 0.0
        return cls._plan(n, step, before, after, edges)

    @classmethod
    def _plan(
        cls, n: int, step: float, before: float, after: float, edges: Literal["nan", "shrink"]
    ) -> RegularWindow:
        kb = int(np.floor(before / step * (1 + 1e-12)))
        ka = int(np.floor(after / step * (1 + 1e-12)))
        start, stop = 0, n  # readings that get a value
        if edges == "nan":
            first_ok = int(np.ceil(before / step * (1 - 1e-12)))  # window starts in the record
            end_ok = n * step - after  # window must end within the last reading's interval
            last_ok = int(np.floor(end_ok / step * (1 + 1e-12)))
            start = min(first_ok, n)
            stop = min(max(last_ok + 1, first_ok), n)
        return cls(n, kb, ka, start, stop)

    def means(
        self, csum: FloatArray, offset: float, first: int, last: int, out: FloatArray
    ) -> FloatArray:
        """Window means of readings ``first:last`` into ``out`` (length ``last - first``).

        ``csum`` is ``[0, cumsum(values - offset)]``. Any block gives the same values, bit for
        bit, as the whole record: each reading's mean is ``(csum[hi] - csum[lo]) / count +
        offset`` whatever the block. Small blocks keep the work in cache.
        """
        n, kb, ka = self.n, self.kb, self.ka
        if max(kb + 1, self.start) <= first and last <= min(n - ka - 1, self.stop):
            # The common case, every window full (the general code below does the same).
            np.subtract(csum[first + ka + 1 : last + ka + 1], csum[first - kb : last - kb], out=out)
            out /= kb + ka + 1
            out += offset
            return out
        valid_lo = min(max(self.start, first), last)
        valid_hi = max(min(self.stop, last), valid_lo)
        # Reading i averages csum[i_hi] - csum[i_lo] over i_hi - i_lo readings, where
        # i_lo = max(i - kb, 0) (0 up to reading kb) and i_hi = min(i + ka + 1, n) (n from
        # reading n - ka - 1): split the readings where either end reaches the record's end.
        cuts = sorted(
            {valid_lo, valid_hi, *(min(max(c, valid_lo), valid_hi) for c in (kb + 1, n - ka - 1))}
        )
        for lo, hi in itertools.pairwise(cuts):
            part = out[lo - first : hi - first]
            starts_cut = lo < kb + 1  # i_lo = 0 throughout
            ends_cut = hi > n - ka - 1  # i_hi = n throughout
            top = csum[n] if ends_cut else csum[lo + ka + 1 : hi + ka + 1]
            bottom = csum[0] if starts_cut else csum[lo - kb : hi - kb]
            np.subtract(top, bottom, out=part)
            if starts_cut and ends_cut:
                part /= n
            elif starts_cut:
                part /= np.arange(lo + ka + 1, hi + ka + 1, dtype=np.float64)
            elif ends_cut:
                part /= np.arange(n - lo + kb, n - hi + kb, -1, dtype=np.float64)
            else:
                part /= kb + ka + 1
        # NaN outside start:stop (edges="nan"), offset added inside.
        out[: valid_lo - first] = np.nan
        out[valid_hi - first :] = np.nan
        out[valid_lo - first : valid_hi - first] += offset
        return out


def _regular_window_means(
    csum: FloatArray,
    step: float,
    before: float,
    after: float,
    offset: float,
    edges: Literal["nan", "shrink"],
) -> FloatArray:
    """:func:`moving_average` for evenly spaced readings without gaps, from the running sum.

    ``csum`` is ``[0, cumsum(values - offset)]``; see :class:`RegularWindow`.
    """
    n = csum.shape[0] - 1
    plan = RegularWindow._plan(n, step, before, after, edges)
    return plan.means(csum, offset, 0, n, np.empty(n))


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
