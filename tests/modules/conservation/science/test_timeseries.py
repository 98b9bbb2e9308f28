"""Fast paths of the duration-weighted aggregates give the plain results, bit for bit."""

import numpy as np
import pytest

from taihe.modules.conservation.science._timeseries import (
    moving_average,
    moving_averages,
    weighted_percentiles,
)
from taihe.modules.conservation.science._validation import time_axis

DAY = 86400.0


def _series(n, seed):
    rng = np.random.default_rng(seed)
    day = np.arange(n) / 24.0
    t = 20.0 + 3.0 * np.sin(2 * np.pi * day / 365.0) + rng.normal(0, 0.3, n)
    rh = 50.0 + 8.0 * np.sin(2 * np.pi * day / 365.0) + rng.normal(0, 2.0, n)
    return t, rh


@pytest.mark.parametrize("kind", ["centred", "trailing"])
@pytest.mark.parametrize("edges", ["nan", "shrink"])
@pytest.mark.parametrize("layout", ["regular", "gappy", "short"])
def test_paired_moving_averages_equal_single_ones(kind, edges, layout):
    n = 24 * 10 if layout == "short" else 24 * 120
    seconds = np.arange(n) * 3600.0
    if layout == "gappy":
        seconds[n // 2 :] += 20 * DAY  # a gap longer than max_gap: not evenly spaced
    axis = time_axis(seconds)
    t, rh = _series(n, 4)
    paired = moving_averages((t, rh), axis, 30 * DAY, kind=kind, edges=edges)
    for values, got in zip((t, rh), paired, strict=True):
        expected = moving_average(values, axis, 30 * DAY, kind=kind, edges=edges)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000])
@pytest.mark.parametrize(
    "q", [[7.0, 93.0], [93.0, 7.0], [0.0, 100.0], [50.0], [7.0, 7.0], np.linspace(0, 100, 41)]
)
def test_equal_weight_percentiles_are_numpy_linear_bit_for_bit(n, q):
    rng = np.random.default_rng(n)
    for values in (rng.normal(size=n), rng.integers(0, 4, n).astype(float), np.full(n, 2.5)):
        q = np.asarray(q, dtype=float)
        expected = np.percentile(values, q)
        np.testing.assert_array_equal(weighted_percentiles(values, None, q), expected)
        np.testing.assert_array_equal(weighted_percentiles(values, np.ones(n), q), expected)
        work = values.copy()
        got = weighted_percentiles(work, None, q, overwrite_input=True)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.sort(work), np.sort(values))  # only reordered


def test_equal_weight_percentiles_propagate_nan_like_numpy():
    values = np.array([1.0, np.nan, 3.0, 4.0])
    q = np.array([7.0, 93.0])
    np.testing.assert_array_equal(weighted_percentiles(values, None, q), np.percentile(values, q))
