"""Input checking and time-axis handling shared by every metric.

Every public function funnels its inputs through here so that invalid data fails the same way
everywhere: a :class:`ValueError` whose message names the argument, the index and the value
(for example ``rh[17] = 104.0 is outside 0–100 %``).

The checks are written to cost as little as possible on valid data: a NaN or an out-of-range
value is detected with one ``min`` and one ``max`` reduction (both propagate NaN), and the
element-wise search for the offending index only runs once something is known to be wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray: TypeAlias = NDArray[np.float64]
FloatOrArray: TypeAlias = float | FloatArray
"""Point functions return a ``float`` for scalar input and an ``ndarray`` otherwise."""

ABSOLUTE_ZERO_C = -273.15
"""0 K in °C (SI definition of the kelvin)."""

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0


def _index_text(shape: tuple[int, ...], flat_index: int) -> str:
    if len(shape) <= 1:
        return str(flat_index)
    return ", ".join(str(int(i)) for i in np.unravel_index(flat_index, shape))


def first_bad(name: str, a: FloatArray, bad: NDArray[np.bool_], problem: str) -> ValueError:
    flat = int(np.flatnonzero(bad.ravel())[0])
    value = float(a.ravel()[flat])
    where = _index_text(a.shape, flat)
    if np.isnan(value):
        return ValueError(f"{name}[{where}] = nan is not a number")
    return ValueError(f"{name}[{where}] = {value!r} {problem}")


def as_float_array(name: str, x: ArrayLike) -> FloatArray:
    """Convert ``x`` to a float64 array, rejecting non-numeric input with a clear message."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    return a


def check_finite(name: str, a: FloatArray) -> None:
    """Raise if ``a`` holds NaN or ±inf."""
    if a.size == 0:
        return
    lo = a.min()
    hi = a.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise first_bad(name, a, ~np.isfinite(a), "is not finite")


def temperature(name: str, x: ArrayLike) -> FloatArray:
    """Temperature in °C: finite and above absolute zero."""
    a = as_float_array(name, x)
    if a.size == 0:
        return a
    lo = a.min()
    hi = a.max()
    if not (lo > ABSOLUTE_ZERO_C and np.isfinite(hi)):
        raise first_bad(
            name,
            a,
            ~(np.isfinite(a) & (a > ABSOLUTE_ZERO_C)),
            "is not a finite temperature above absolute zero (-273.15 °C)",
        )
    return a


def relative_humidity(name: str, x: ArrayLike) -> FloatArray:
    """Relative humidity in %, 0–100 inclusive (WMO convention: relative to liquid water)."""
    a = as_float_array(name, x)
    if a.size == 0:
        return a
    lo = a.min()
    hi = a.max()
    if not (lo >= 0.0 and hi <= 100.0):  # NaN fails both comparisons
        raise first_bad(name, a, ~((a >= 0.0) & (a <= 100.0)), "is outside 0–100 %")
    return a


def non_negative(name: str, x: ArrayLike, unit: str) -> FloatArray:
    """Finite, non-negative quantity (illuminance, dose)."""
    a = as_float_array(name, x)
    if a.size == 0:
        return a
    lo = a.min()
    hi = a.max()
    if not (lo >= 0.0 and np.isfinite(hi)):
        raise first_bad(
            name, a, ~(np.isfinite(a) & (a >= 0.0)), f"is not a finite value >= 0 {unit}"
        )
    return a


def positive_scalar(name: str, x: float) -> float:
    """A finite, strictly positive scalar parameter."""
    value = float(x)
    if not (np.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} = {value!r} must be a finite number > 0")
    return value


def broadcast_shape(**arrays: FloatArray) -> tuple[int, ...]:
    """Shape the arguments broadcast to, or a ``ValueError`` naming the mismatch."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} has shape {v.shape}" for k, v in arrays.items())
        raise ValueError(f"mismatched shapes: {shapes}; they cannot be broadcast") from None


def output(x: FloatArray | np.floating[Any] | float) -> FloatOrArray:
    """Return a Python ``float`` for 0-d results, the array otherwise."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        return float(a)
    return a


@dataclass(frozen=True)
class TimeAxis:
    """A validated time axis and the duration each reading stands for.

    Attributes:
        durations: seconds each reading is weighted by. It is the time to the next reading; a
            reading followed by a gap longer than ``max_gap`` (and the last reading) stands for
            the nominal interval only, so gaps are never bridged.
        nominal: the nominal logging interval in seconds (median interval).
        max_gap: the longest interval, in seconds, that is treated as continuous data.
        regular: ``True`` when every interval equals the nominal one (enables fast paths).
        coverage: covered time divided by the record span (first reading to the end of the
            last reading's duration), 0–1.
    """

    durations: FloatArray
    nominal: float
    max_gap: float
    regular: bool
    coverage: float
    _ticks: NDArray[Any]  # int64 ticks or float seconds, as given
    _seconds_per_tick: float

    @cached_property
    def seconds(self) -> FloatArray:
        """Reading times in seconds after the first reading (computed on first use)."""
        t0 = self._ticks[0]
        out: FloatArray = (self._ticks - t0).astype(np.float64)
        if self._seconds_per_tick != 1.0:
            out *= self._seconds_per_tick
        return out

    @cached_property
    def total(self) -> float:
        """Covered time in seconds: the sum of the durations (computed on first use)."""
        return float(self.durations.sum())

    @property
    def end(self) -> float:
        """End of the record in seconds: the last reading plus its duration."""
        span = float(self._ticks[-1] - self._ticks[0]) * self._seconds_per_tick
        return span + float(self.durations[-1])


def _max_gap_seconds(max_gap: float | np.timedelta64 | None, nominal: float) -> float:
    if max_gap is None:
        # conservation.md §0: gaps longer than 2x the logging interval are "no data".
        return 2.0 * nominal
    if isinstance(max_gap, np.timedelta64):
        value = float(max_gap / np.timedelta64(1, "ns")) / 1e9
    else:
        value = float(max_gap)
    if not (np.isfinite(value) and value > 0.0):
        raise ValueError(f"max_gap = {max_gap!r} must be a positive duration")
    return value


def time_axis(times: ArrayLike, max_gap: float | np.timedelta64 | None = None) -> TimeAxis:
    """Validate ``times`` (``numpy.datetime64`` or POSIX seconds) and derive durations.

    Costs a few passes over the timestamps: datetime64 values are read as integer ticks
    without conversion, and per-reading seconds are only computed when a moving average
    needs them.
    """
    a = np.asarray(times)
    if a.ndim != 1:
        raise ValueError(f"times must be one-dimensional, got shape {a.shape}")
    n = a.shape[0]
    if n < 2:
        raise ValueError(f"times must hold at least 2 readings, got {n}")
    if np.issubdtype(a.dtype, np.datetime64):
        unit, count = np.datetime_data(a.dtype)
        ticks: NDArray[Any] = a.view(np.int64)
        if ticks.min() == np.iinfo(np.int64).min:  # NaT is the smallest int64
            raise ValueError(f"times[{int(np.flatnonzero(np.isnat(a))[0])}] is NaT (not a time)")
        tick = np.array(count, dtype=np.int64).view(f"timedelta64[{unit}]")
        per_tick = float(tick / np.timedelta64(1, "ns")) / 1e9
    elif np.issubdtype(a.dtype, np.number) and not np.issubdtype(a.dtype, np.complexfloating):
        ticks = a.astype(np.float64, copy=False)
        check_finite("times", ticks)
        per_tick = 1.0
    else:
        raise ValueError(f"times must be numpy.datetime64 or POSIX seconds, got dtype {a.dtype}")
    smin, smax = _step_range(ticks)
    steps: NDArray[Any] | None
    if not smin > 0:
        steps = np.diff(ticks)
        i = int(np.flatnonzero(steps <= 0)[0])
        if steps[i] == 0:
            raise ValueError(f"times[{i + 1}] = {a[i + 1]} duplicates times[{i}]")
        raise ValueError(
            f"times[{i + 1}] = {a[i + 1]} is earlier than times[{i}] = {a[i]}; "
            "timestamps must be sorted"
        )
    regular = bool(smin == smax)
    steps = None if regular else np.diff(ticks)  # evenly spaced readings need no steps
    nominal = float(smin) * per_tick if steps is None else float(np.median(steps)) * per_tick
    gap = _max_gap_seconds(max_gap, nominal)
    last = min(nominal, gap)
    if regular and nominal <= gap:
        durations = np.full(n, nominal)
        covered = n * nominal
        span = covered
    else:
        if steps is None:
            steps = np.diff(ticks)
        durations = np.empty(n, dtype=np.float64)
        np.multiply(steps, per_tick, out=durations[:-1])
        durations[-1] = last
        if float(smax) * per_tick > gap:
            durations[:-1][durations[:-1] > gap] = last
            regular = False
        covered = float(durations.sum())
        span = float(ticks[-1] - ticks[0]) * per_tick + last
    return TimeAxis(
        durations=durations,
        nominal=nominal,
        max_gap=gap,
        regular=regular,
        coverage=covered / span,
        _ticks=ticks,
        _seconds_per_tick=per_tick,
    )


_STEP_BLOCK = 32768  # intervals per block when scanning the time axis


def _step_range(ticks: NDArray[Any]) -> tuple[Any, Any]:
    """``(min, max)`` of ``numpy.diff(ticks)``, worked out in cache-sized blocks.

    The same values as reducing the full difference array, without allocating it (a fresh
    array the size of the record costs more in page faults than the arithmetic).
    """
    n = ticks.shape[0]
    size = min(n - 1, _STEP_BLOCK)
    buf = np.empty(size, dtype=ticks.dtype)
    lows, highs = [], []
    for first in range(0, n - 1, size):
        last = min(first + size, n - 1)
        part = np.subtract(ticks[first + 1 : last + 1], ticks[first:last], out=buf[: last - first])
        lows.append(part.min())
        highs.append(part.max())
    return min(lows), max(highs)


def series(name: str, values: FloatArray, n: int) -> FloatArray:
    """Check that a series argument is one-dimensional with one value per timestamp."""
    if values.ndim != 1 or values.shape[0] != n:
        raise ValueError(
            f"mismatched lengths: {name} has shape {values.shape} but times has {n} readings"
        )
    return values
