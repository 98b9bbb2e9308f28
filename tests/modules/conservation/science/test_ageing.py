"""Preservation index, TWPI and lifetime multiplier (conservation.md §1.1–1.2, §6.2)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from taihe.modules.conservation.science import (
    lifetime_multiplier,
    preservation_index,
    series_coverage,
    twpi,
)
from taihe.modules.conservation.science.ageing import SEBERA_EA_J_PER_MOL

HOUR = 3600.0


@pytest.mark.parametrize(
    ("t_c", "rh", "dpcalc"),
    [(20, 50, 44), (20, 45, 50), (21, 50, 39), (18, 40, 74), (10, 40, 211), (25, 50, 24),
     (-13, 33, 7840)],
)  # fmt: skip
def test_dpcalc_anchor_points_within_the_documented_band(t_c, rh, dpcalc):
    # Docstring: at the dpcalc anchors (33–50 % RH) the closed form reads 5–12 % low.
    ratio = preservation_index(t_c, rh) / dpcalc
    assert 0.88 <= ratio <= 0.95


@pytest.mark.parametrize(
    ("rh", "dpcalc", "low", "high"), [(10, 134, 1.5, 1.6), (70, 26, 1.1, 1.2), (90, 16, 1.4, 1.5)]
)
def test_rh_extremes_read_high_as_documented(rh, dpcalc, low, high):
    assert low <= preservation_index(20, rh) / dpcalc <= high


def test_padfield_value_at_20c_50pc():
    assert preservation_index(20.0, 50.0) == pytest.approx(41.76, abs=0.01)


def test_zero_rh_is_infinite_life():
    assert preservation_index(20.0, 0.0) == np.inf


@given(st.floats(-20.0, 60.0), st.floats(1.0, 100.0))
def test_pi_falls_as_temperature_rises(t, rh):
    assert preservation_index(t + 1.0, rh) < preservation_index(t, rh)


@given(st.floats(-20.0, 60.0), st.floats(1.0, 99.0))
def test_pi_falls_as_rh_rises(t, rh):
    assert preservation_index(t, rh + 1.0) < preservation_index(t, rh)


@pytest.mark.parametrize(
    ("t_c", "rh", "expected"), [(15, 50, 2.04), (20, 25, 2.46), (25, 50, 0.50), (20, 50, 1.0)]
)
def test_lifetime_multiplier_michalski_defaults(t_c, rh, expected):
    assert lifetime_multiplier(t_c, rh) == pytest.approx(expected, abs=0.005)


def test_sebera_newsprint_example():
    # Sebera 1994: 68 °F/50 % → 95 °F/80 % keeps about 3 % of its permanence (formula 0.034)
    lm = lifetime_multiplier(35.0, 80.0, ea_j_per_mol=SEBERA_EA_J_PER_MOL, rh_exponent=1.0)
    assert lm == pytest.approx(0.034, abs=0.001)


@given(st.floats(-10.0, 40.0), st.floats(5.0, 95.0))
def test_lifetime_multiplier_falls_with_warmth(t, rh):
    assert lifetime_multiplier(t + 1.0, rh) < lifetime_multiplier(t, rh)


@given(st.floats(-10.0, 40.0), st.floats(1.0, 100.0), st.integers(2, 50))
def test_twpi_of_constant_climate_equals_pi(t, rh, n):
    times = np.arange(n) * 600.0
    result = twpi(times, np.full(n, t), np.full(n, rh))
    assert result == pytest.approx(preservation_index(t, rh), rel=1e-12)


def test_twpi_is_the_harmonic_mean_of_pi_not_the_arithmetic_mean():
    # Given half the time at 20 °C/50 % and half at 10 °C/40 %
    n = 1000
    t = np.where(np.arange(n) < n // 2, 20.0, 10.0)
    rh = np.where(np.arange(n) < n // 2, 50.0, 40.0)
    result = twpi(np.arange(n) * HOUR, t, rh)
    a, b = preservation_index(20, 50), preservation_index(10, 40)
    assert result == pytest.approx(2.0 / (1.0 / a + 1.0 / b), rel=1e-12)
    assert result < (a + b) / 2.0


def test_conservation_md_example_of_72_8_years():
    # 6 months at PI 44 and 6 months at PI 211 → 72.8 (harmonic), not 127.5
    assert pytest.approx(72.8, abs=0.05) == 1.0 / (0.5 / 44 + 0.5 / 211)


def test_twpi_weights_by_duration_not_count():
    # Given one reading at 10 °C followed by 3 h, then hourly readings at 30 °C for 3 h
    times = np.array([0.0, 3.0, 4.0, 5.0, 6.0]) * HOUR
    t = np.array([10.0, 30.0, 30.0, 30.0, 30.0])
    rh = np.full(5, 50.0)
    # max_gap large enough that the 3 h interval is data
    result = twpi(times, t, rh, max_gap=4 * HOUR)
    cold, warm = preservation_index(10, 50), preservation_index(30, 50)
    # durations 3, 1, 1, 1 h and 1 h (nominal) for the last reading
    expected = 7.0 / (3.0 / cold + 4.0 / warm)
    assert result == pytest.approx(expected, rel=1e-12)


def test_twpi_does_not_bridge_gaps():
    # Given hourly readings with a 10-hour hole after a hot reading
    times = np.array([0, 1, 2, 12, 13, 14], dtype=float) * HOUR
    t = np.array([20.0, 20.0, 40.0, 20.0, 20.0, 20.0])
    rh = np.full(6, 50.0)
    result = twpi(times, t, rh)
    # Then the hot reading counts for one hour (the nominal interval), not ten
    hot, mild = preservation_index(40, 50), preservation_index(20, 50)
    assert result == pytest.approx(6.0 / (1.0 / hot + 5.0 / mild), rel=1e-12)
    assert series_coverage(times) == pytest.approx(6.0 / 15.0)


def test_datetime64_and_posix_seconds_agree():
    n = 100
    times = np.datetime64("2024-03-01T00:00") + np.arange(n) * np.timedelta64(5, "m")
    posix = (times - np.datetime64("1970-01-01")) / np.timedelta64(1, "s")
    t = 18.0 + np.linspace(0, 4, n)
    rh = np.linspace(40, 60, n)
    assert twpi(times, t, rh) == pytest.approx(twpi(posix, t, rh), rel=1e-12)
