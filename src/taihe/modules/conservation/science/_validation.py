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


@dataclass(frozen=True, slots=True)
class TimeAxis:
    """A validated time axis and the duration each reading stands for.

    Attributes:
        seconds: reading times in seconds after the first reading (float64, strictly increasing).
        durations: seconds each reading is weighted by. It is the time to the next reading; a
            reading followed by a gap longer than ``max_gap`` (and the last reading) stands for
            the nominal interval only, so gaps are never bridged.
        nominal: the nominal logging interval in seconds (median interval).
        max_gap: the longest interval, in seconds, that is treated as continuous data.
        regular: ``True`` when every interval equals the nominal one (enables fast paths).
        gap_after: boolean mask, ``True`` where the interval after the reading exceeds
            ``max_gap`` (always ``False`` for the last reading).
        coverage: covered time divided by the record span (first reading to the end of the
            last reading's duration), 0–1.
    """

    seconds: FloatArray
    durations: FloatArray
    nominal: float
    max_gap: float
    regular: bool
    gap_after: NDArray[np.bool_]
    coverage: float

    @property
    def end(self) -> float:
        """End of the record in seconds: the last reading plus its duration."""
        return float(self.seconds[-1] + self.durations[-1])


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
    """Validate ``times`` (``numpy.datetime64`` or POSIX seconds) and derive durations."""
    a = np.asarray(times)
    if a.ndim != 1:
        raise ValueError(f"times must be one-dimensional, got shape {a.shape}")
    n = a.shape[0]
    if n < 2:
        raise ValueError(f"times must hold at least 2 readings, got {n}")
    if np.issubdtype(a.dtype, np.datetime64):
        nat = np.isnat(a)
        if nat.any():
            raise ValueError(f"times[{int(np.flatnonzero(nat)[0])}] is NaT (not a time)")
        ns = a.astype("datetime64[ns]").view(np.int64)
        steps_raw = np.diff(ns)
        steps = steps_raw / 1e9
        seconds = (ns - ns[0]) / 1e9
        labels = a.astype("datetime64[ns]")
    elif np.issubdtype(a.dtype, np.number) and not np.issubdtype(a.dtype, np.complexfloating):
        f = a.astype(np.float64)
        check_finite("times", f)
        steps = np.diff(f)
        seconds = f - f[0]
        labels = f
    else:
        raise ValueError(f"times must be numpy.datetime64 or POSIX seconds, got dtype {a.dtype}")
    smin = float(steps.min())
    smax = float(steps.max())
    if not smin > 0.0:
        i = int(np.flatnonzero(steps <= 0.0)[0])
        if steps[i] == 0.0:
            raise ValueError(f"times[{i + 1}] = {labels[i + 1]} duplicates times[{i}]")
        raise ValueError(
            f"times[{i + 1}] = {labels[i + 1]} is earlier than times[{i}] = {labels[i]}; "
            "timestamps must be sorted"
        )
    regular = smin == smax
    nominal = smin if regular else float(np.median(steps))
    gap = _max_gap_seconds(max_gap, nominal)
    durations = np.empty(n, dtype=np.float64)
    durations[:-1] = steps
    durations[-1] = min(nominal, gap)
    gap_after = np.zeros(n, dtype=np.bool_)
    if smax > gap:
        gap_after[:-1] = steps > gap
        durations[gap_after] = min(nominal, gap)
        regular = False
    covered = float(durations.sum())
    span = float(seconds[-1] + durations[-1])
    return TimeAxis(
        seconds=seconds,
        durations=durations,
        nominal=nominal,
        max_gap=gap,
        regular=regular,
        gap_after=gap_after,
        coverage=covered / span,
    )


def series(name: str, values: FloatArray, n: int) -> FloatArray:
    """Check that a series argument is one-dimensional with one value per timestamp."""
    if values.ndim != 1 or values.shape[0] != n:
        raise ValueError(
            f"mismatched lengths: {name} has shape {values.shape} but times has {n} readings"
        )
    return values
