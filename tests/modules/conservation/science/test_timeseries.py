"""Fast paths of the duration-weighted aggregates give the plain results, bit for bit."""

import numpy as np
import pytest

from taihe.modules.conservation.science._timeseries import (
    RegularWindow,
    _offset,
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


def _window_means_by_definition(values, n_before, n_after, edges_nan):
    """Each reading's window mean straight from the definition (cut at the record's ends).

    With ``edges_nan`` a window may end within the last reading's interval, not after it.
    """
    n = values.shape[0]
    out = np.full(n, np.nan)
    for i in range(n):
        lo, hi = i - n_before, i + n_after + 1
        if edges_nan and (lo < 0 or i + n_after > n):
            continue
        out[i] = values[max(lo, 0) : min(hi, n)].mean()
    return out


@pytest.mark.parametrize("n", [2, 5, 30, 31, 61, 200, 1000])
@pytest.mark.parametrize("kind", ["centred", "trailing"])
@pytest.mark.parametrize("edges", ["nan", "shrink"])
def test_regular_window_means_in_any_blocks_equal_the_whole(n, kind, edges):
    t, _ = _series(n, n)
    axis = time_axis(np.arange(n) * 3600.0)
    window = 30 * 3600.0  # 31 hourly readings
    whole = moving_average(t, axis, window, kind=kind, edges=edges)
    csum = np.concatenate(([0.0], np.cumsum(t - 20.0)))
    plan = RegularWindow.plan(n, 3600.0, window, kind, edges)
    reference = plan.means(csum, 20.0, 0, n, np.empty(n))
    for size in (1, 3, 7, 16, 64, n):
        blocks = np.empty(n)
        for first in range(0, n, size):
            last = min(first + size, n)
            blocks[first:last] = plan.means(csum, 20.0, first, last, np.empty(last - first))
        np.testing.assert_array_equal(blocks, reference)
    np.testing.assert_allclose(reference, whole, rtol=1e-12)
    n_before, n_after = (15, 15) if kind == "centred" else (30, 0)
    np.testing.assert_allclose(
        whole, _window_means_by_definition(t, n_before, n_after, edges == "nan"), rtol=1e-12
    )


@pytest.mark.parametrize("n", [2, 3, 10, 999, 1000, 1001, 2000, 2001, 20001, 105120])
def test_offset_is_numpy_median_of_the_sample(n):
    rng = np.random.default_rng(n)
    for values in (rng.normal(50, 5, n), np.round(rng.normal(50, 5, n), 1), np.full(n, -0.0)):
        got = _offset(values)
        expected = float(np.median(values[:: max(1, n // 1000)]))
        assert got == expected and np.signbit(got) == np.signbit(expected)
