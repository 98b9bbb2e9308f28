"""Hourly resampling of readings that may have gaps (NaN), shared by forecasts and anomalies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _validation as v
from ._validation import FloatArray

HOUR_S = 3600


def epoch_seconds(times: ArrayLike) -> NDArray[np.int64]:
    """Validated, sorted, unique reading times as integer POSIX seconds.

    Raises:
        ValueError: not one-dimensional, fewer than 2 readings, NaT, unsorted or duplicated.
    """
    v.time_axis(times)
    a = np.asarray(times)
    if np.issubdtype(a.dtype, np.datetime64):
        return a.astype("datetime64[s]").astype(np.int64)
    return np.floor(a.astype(np.float64)).astype(np.int64)


def gappy_series(name: str, values: ArrayLike, n: int, *, rh: bool) -> FloatArray:
    """A series that may hold NaN (no reading); other values must be valid T or RH.

    Raises:
        ValueError: wrong length, ±inf, T below absolute zero, RH outside 0–100 %.
    """
    a = v.series(name, v.as_float_array(name, values), n)
    present = ~np.isnan(a)
    if not present.any():
        raise ValueError(f"{name} holds no readings (all NaN)")
    bad = np.isinf(a)
    if rh:
        bad |= present & ((a < 0.0) | (a > 100.0))
        problem = "is outside 0–100 %"
    else:
        bad |= present & (a <= v.ABSOLUTE_ZERO_C)
        problem = "is not a finite temperature above absolute zero (-273.15 °C)"
    if bad.any():
        raise v.first_bad(name, a, bad, problem)
    return a


@dataclass(frozen=True)
class Hourly:
    """Hourly means on a complete hourly grid (NaN for hours without readings).

    Attributes:
        hours: start of each hour, POSIX seconds.
        values: mean of the readings in each hour, one array per input series.
    """

    hours: NDArray[np.int64]
    values: tuple[FloatArray, ...]


def hourly_means(seconds: NDArray[np.int64], *series: FloatArray) -> Hourly:
    """Mean of each series over each clock hour, NaN readings ignored."""
    index = seconds // HOUR_S
    first = int(index[0])
    slot = index - first
    count = int(slot[-1]) + 1
    out = []
    for values in series:
        ok = ~np.isnan(values)
        sums = np.bincount(slot[ok], values[ok], count)
        counts = np.bincount(slot[ok], None, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(counts > 0, sums / np.maximum(counts, 1), np.nan))
    hours = (first + np.arange(count, dtype=np.int64)) * HOUR_S
    return Hourly(hours=hours, values=tuple(out))


def fill_gaps(values: FloatArray) -> FloatArray:
    """Linear interpolation across NaN (held flat before the first/after the last value)."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    index = np.arange(values.shape[0])
    filled: FloatArray = np.interp(index, index[~missing], values[~missing])
    return filled
