"""VTT mould index against Hukka–Viitanen / Ojanen reference curves (conservation.md §4)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from taihe.modules.conservation.science import vtt_mould_index, vtt_rh_critical
from taihe.modules.conservation.science._mould_reference import vtt_mould_index_reference

HOUR = 3600.0
DAY = 86400.0
CLASSES = ["very_sensitive", "sensitive", "medium_resistant", "resistant"]


def constant(days, t_c, rh, step_s=HOUR):
    n = round(days * DAY / step_s)
    return np.arange(n) * step_s, np.full(n, t_c), np.full(n, rh)


@pytest.mark.parametrize(
    ("t_c", "expected"), [(0.0, 100.0), (5.0, 88.0), (10.0, 82.0), (20.0, 80.04), (30.0, 80.0)]
)
def test_critical_rh_curve_hukka_viitanen(t_c, expected):
    assert vtt_rh_critical(t_c) == pytest.approx(expected, abs=0.05)


def test_critical_rh_is_raised_to_the_class_minimum():
    # The 1999 cubic dips to 79.92 % near 17 °C; classes clamp it to RH_min (Ojanen 2010)
    assert vtt_rh_critical(17.0) == pytest.approx(79.92, abs=0.01)
    assert vtt_rh_critical(17.0, "very_sensitive") == 80.0
    assert vtt_rh_critical(17.0, "resistant") == 85.0
    assert vtt_rh_critical(5.0, "resistant") == pytest.approx(88.0, abs=0.05)


def test_very_sensitive_at_20c_90pc_after_30_days():
    # Laukkarinen's hourly Euler gives 1.038; the exact integration gives 1.039
    m = vtt_mould_index(*constant(30, 20.0, 90.0))
    assert m[-1] == pytest.approx(1.038, abs=0.002)


def test_very_sensitive_at_20c_90pc_reaches_m_max_within_a_year():
    m = vtt_mould_index(*constant(365, 20.0, 90.0))
    assert m[-1] == pytest.approx(3.995, abs=0.001)
    assert m.max() <= 3.995 + 1e-3


def test_time_to_m1_at_22c_97pc_is_7_tm():
    # 7·t_m = 9.73 days (Hukka & Viitanen 1999 t_m at 22 °C / 97 %)
    times, t, rh = constant(20, 22.0, 97.0)
    m = vtt_mould_index(times, t, rh)
    ends = (times + HOUR) / DAY
    assert np.interp(1.0, m, ends) == pytest.approx(9.73, abs=0.01)


def test_no_growth_below_critical_rh_or_outside_0_to_50c():
    assert vtt_mould_index(*constant(60, 20.0, 79.0)).max() == 0.0
    assert vtt_mould_index(*constant(60, 0.0, 100.0)).max() == 0.0
    assert vtt_mould_index(*constant(60, 50.0, 100.0)).max() == 0.0


@pytest.mark.parametrize("step_s", [300.0, 3 * HOUR, DAY, 7 * DAY])
def test_result_does_not_depend_on_the_logging_interval(step_s):
    # Given the same constant damp climate logged hourly and at another interval
    hourly = vtt_mould_index(*constant(56, 22.0, 95.0, HOUR))
    other = vtt_mould_index(*constant(56, 22.0, 95.0, step_s))
    # Then M at the same instant (end of day 56) is the same
    assert other[-1] == pytest.approx(hourly[-1], abs=1e-9)


def test_decline_follows_the_piecewise_rates():
    # Given growth to some M, then 48 h of dry air (C_mat = 1, then 0.5)
    grow_t, grow_temp, grow_rh = constant(60, 22.0, 95.0, 600.0)
    dry_t = grow_t[-1] + 600.0 + np.arange(48 * 6) * 600.0
    times = np.concatenate([grow_t, dry_t])
    t = np.concatenate([grow_temp, np.full(dry_t.size, 22.0)])
    rh = np.concatenate([grow_rh, np.full(dry_t.size, 40.0)])
    for c_mat in (1.0, 0.5):
        m = vtt_mould_index(times, t, rh, decline=c_mat)
        m0 = m[grow_t.size - 1]
        # −0.032/day for 6 h, 0 for 6–24 h, −0.016/day after 24 h (Hukka & Viitanen 1999)
        after_6h = m[grow_t.size - 1 + 36]
        after_24h = m[grow_t.size - 1 + 144]
        after_48h = m[-1]
        assert m0 - after_6h == pytest.approx(c_mat * 0.032 / 4, abs=1e-12)
        assert after_6h - after_24h == pytest.approx(0.0, abs=1e-12)
        assert after_24h - after_48h == pytest.approx(c_mat * 0.016, abs=1e-12)


def test_state_is_held_across_a_gap():
    times, t, rh = constant(40, 22.0, 95.0)
    gap = np.concatenate([times[:500], times[500:] + 30 * DAY])
    m_gap = vtt_mould_index(gap, t, rh)
    m = vtt_mould_index(times, t, rh)
    np.testing.assert_allclose(m_gap, m, rtol=0, atol=1e-12)


def test_sensitivity_classes_are_ordered():
    times, t, rh = constant(120, 22.0, 93.0)
    peaks = [vtt_mould_index(times, t, rh, sensitivity=c).max() for c in CLASSES]
    assert peaks == sorted(peaks, reverse=True)
    assert peaks[0] > peaks[-1]


def test_mould_index_maximum_for_very_sensitive_at_100pc_is_6():
    m = vtt_mould_index(*constant(730, 25.0, 100.0, 6 * HOUR))
    assert m[-1] == pytest.approx(6.0, abs=1e-6)


series = st.integers(2, 400).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.float64, n, elements=st.floats(60.0, 7200.0)),  # intervals, s
        hnp.arrays(np.float64, n, elements=st.floats(-5.0, 55.0)),
        hnp.arrays(np.float64, n, elements=st.floats(60.0, 100.0)),
    )
)


@given(series, st.sampled_from(CLASSES), st.sampled_from([1.0, 0.5, 0.1]))
def test_fast_and_per_step_reference_agree_and_stay_in_0_to_6(data, sensitivity, c_mat):
    steps, t, rh = data
    times = np.cumsum(steps)
    fast = vtt_mould_index(times, t, rh, sensitivity=sensitivity, decline=c_mat)
    slow = vtt_mould_index_reference(times, t, rh, sensitivity=sensitivity, decline=c_mat)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10)
    assert fast.min() >= 0.0
    assert fast.max() <= 6.0


def test_fast_and_reference_agree_on_a_long_random_year():
    rng = np.random.default_rng(7)
    n = 20_000
    times = np.cumsum(rng.uniform(300, 1800, n))
    t = 18 + 6 * np.sin(np.arange(n) / 800) + rng.normal(0, 1, n)
    rh = np.clip(82 + 12 * np.sin(np.arange(n) / 300) + rng.normal(0, 3, n), 0, 100)
    fast = vtt_mould_index(times, t, rh)
    slow = vtt_mould_index_reference(times, t, rh)
    assert fast.max() > 1.0  # the series exercises growth past M = 1 and decline
    assert np.abs(fast - slow).max() < 1e-10


def test_growth_is_faster_when_warmer_and_damper():
    slow = vtt_mould_index(*constant(30, 10.0, 90.0))[-1]
    warm = vtt_mould_index(*constant(30, 25.0, 90.0))[-1]
    damp = vtt_mould_index(*constant(30, 10.0, 98.0))[-1]
    assert warm > slow
    assert damp > slow
    assert math.isfinite(warm)
