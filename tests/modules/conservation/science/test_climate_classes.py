"""ASHRAE classes and EN 15757 (conservation.md §3, §7)."""

import numpy as np
import pytest

from taihe.modules.conservation.science import (
    ashrae_compliance,
    ashrae_envelope,
    en15757_band,
)
from taihe.modules.conservation.science._timeseries import weighted_percentiles

HOUR = 3600.0
DAY = 86400.0


@pytest.mark.parametrize(
    ("cls", "lo", "hi"),
    [("AA", 45, 55), ("As", 35, 65), ("A1", 35, 65), ("A", 40, 60), ("A2", 40, 60),
     ("B", 30, 70), ("C", 25, 75), ("D", 0, 75)],
)  # fmt: skip
def test_rh_envelopes_for_annual_50pc(cls, lo, hi):
    env = ashrae_envelope(cls, 20.0, 50.0)
    assert (env.rh_min, env.rh_max) == (lo, hi)


def test_aa_temperature_envelope_at_20c():
    env = ashrae_envelope("AA", 20.0, 50.0)
    assert (env.t_min_c, env.t_max_c) == (13.0, 27.0)


def test_b_temperature_envelope_caps_the_season_at_30c():
    assert ashrae_envelope("B", 25.0, 50.0).t_max_c == 35.0


def year(rh_fn, t_fn=lambda d: 20.0 + 0.0 * d, step_h=1.0):
    times = np.arange(0, 365 * 24, step_h) * HOUR
    days = times / DAY
    return times, t_fn(days), rh_fn(days)


def test_constant_climate_is_fully_in_every_class():
    times, t, rh = year(lambda d: 50.0 + 0.0 * d)
    for cls in ["AA", "As", "A", "B", "C", "D"]:
        result = ashrae_compliance(times, t, rh, cls)
        assert result.fraction_in_class == 1.0
        assert result.coverage == 1.0


def test_seasonal_rh_swing_passes_as_but_fails_aa_and_a():
    # Given a seasonal RH cycle of ±8 % around 50 % with no short-term noise
    times, t, rh = year(lambda d: 50.0 + 8.0 * np.sin(2 * np.pi * d / 365))
    aa = ashrae_compliance(times, t, rh, "AA")
    as_ = ashrae_compliance(times, t, rh, "As")
    a = ashrae_compliance(times, t, rh, "A")
    # Then As (seasonal ±10 %) passes throughout; AA and A (no seasonal RH change) do not
    assert as_.fraction_in_class == 1.0
    assert aa.rh_seasonal_fraction < 0.3
    assert a.rh_seasonal_fraction < 0.3
    assert aa.rh_short_fraction < 1.0  # readings judged against the unmoved AA set point
    assert ashrae_compliance(times, t, rh, "A1").fraction_in_class == 1.0


def test_short_term_rh_fluctuation_of_7pc_fails_aa_and_passes_a():
    times, t, rh = year(lambda d: 50.0 + 7.0 * np.sin(2 * np.pi * d))  # daily cycle
    aa = ashrae_compliance(times, t, rh, "AA")
    a = ashrae_compliance(times, t, rh, "A")
    assert 0.4 < aa.rh_short_fraction < 0.6  # |7 sin| <= 5 for ~49 % of the time
    assert aa.rh_seasonal_fraction == 1.0
    assert a.fraction_in_class == 1.0


def test_temperature_tests_split_short_and_seasonal():
    times, t, rh = year(lambda d: 50.0 + 0 * d, t_fn=lambda d: 20.0 + 3.0 * np.sin(2 * np.pi * d))
    aa = ashrae_compliance(times, t, rh, "AA")
    b = ashrae_compliance(times, t, rh, "B")
    assert aa.t_short_fraction < 1.0
    assert aa.t_seasonal_fraction == 1.0
    assert b.fraction_in_class == 1.0


def test_given_annual_reference_overrides_the_series_mean():
    times, t, rh = year(lambda d: 50.0 + 0 * d)
    result = ashrae_compliance(times, t, rh, "AA", annual_t_c=20.0, annual_rh=40.0)
    assert result.rh_seasonal_fraction == 0.0
    assert result.annual_rh == 40.0


def test_classes_c_and_d_use_absolute_limits():
    times, t, rh = year(lambda d: np.where(d < 100, 80.0, 50.0))
    c = ashrae_compliance(times, t, rh, "C")
    d = ashrae_compliance(times, t, rh, "D")
    assert c.fraction_in_class == pytest.approx(265 / 365)
    assert d.fraction_in_class == pytest.approx(265 / 365)
    times, t, rh = year(lambda d: 75.0 + 0 * d)
    assert ashrae_compliance(times, t, rh, "C").fraction_in_class == 1.0  # 25–75 inclusive
    assert ashrae_compliance(times, t, rh, "D").fraction_in_class == 0.0  # below 75


def test_compliance_to_dict_has_the_contract_names():
    times, t, rh = year(lambda d: 50.0 + 0 * d)
    data = ashrae_compliance(times, t, rh, "AA").to_dict()
    for key in ["fraction_in_class", "rh_short_fraction", "t_short_fraction",
                "rh_seasonal_fraction", "t_seasonal_fraction", "coverage"]:  # fmt: skip
        assert data[key] == 1.0


def test_en15757_synthetic_daily_sine_amplitude_15():
    # conservation.md §7: RH = 50 + 15 sin(2πh/24) hourly → upper offset 14.47, band 35.5–64.5
    times, _, rh = year(lambda d: 50.0 + 15.0 * np.sin(2 * np.pi * d))
    band = en15757_band(times, rh)
    assert band.p93 == pytest.approx(14.47, abs=0.01)
    assert band.p7 == pytest.approx(-14.47, abs=0.01)
    assert np.nanmin(band.lower) == pytest.approx(35.5, abs=0.05)
    assert np.nanmax(band.upper) == pytest.approx(64.5, abs=0.05)


def test_en15757_minimum_band_of_10pc_applies_for_small_fluctuations():
    times, _, rh = year(lambda d: 50.0 + 8.0 * np.sin(2 * np.pi * d))
    band = en15757_band(times, rh)
    assert band.p93 < 10.0
    assert (band.lower_offset, band.upper_offset) == (-10.0, 10.0)
    assert band.fraction_within == 1.0


def test_en15757_moving_average_is_nan_in_first_and_last_15_days():
    times, _, rh = year(lambda d: 50.0 + 5.0 * np.sin(2 * np.pi * d / 365))
    band = en15757_band(times, rh)
    defined = ~np.isnan(band.moving_average)
    first = np.flatnonzero(defined)[0]
    last = np.flatnonzero(defined)[-1]
    assert times[first] == 15 * DAY
    assert times[last] == 350 * DAY  # window end at the end of the last reading
    assert band.lower.shape == rh.shape
    assert np.isnan(band.upper[:first]).all()


def test_en15757_centred_window_holds_721_hourly_readings():
    times, _, rh = year(lambda d: 50.0 + 0 * d)
    rh = rh.copy()
    rh[5000] = 100.0
    band = en15757_band(times, rh)
    bump = (100.0 - 50.0) / 721
    assert band.moving_average[5000 + 360] == pytest.approx(50.0 + bump, abs=1e-9)
    assert band.moving_average[5000 + 361] == pytest.approx(50.0, abs=1e-9)


def test_en15757_too_short_record_is_an_error():
    times = np.arange(20 * 24) * HOUR
    with pytest.raises(ValueError, match="more than 30 days"):
        en15757_band(times, np.full(times.size, 50.0))


def test_en15757_irregular_sampling_matches_regular_result():
    times, _, rh = year(lambda d: 50.0 + 15.0 * np.sin(2 * np.pi * d))
    regular = en15757_band(times, rh)
    irregular_times = times.copy()
    irregular_times[1::2] += 1.0  # break exact regularity by one second
    irregular = en15757_band(irregular_times, rh)
    assert irregular.p93 == pytest.approx(regular.p93, abs=0.05)


def test_weighted_percentile_with_equal_weights_is_numpy_linear():
    rng = np.random.default_rng(3)
    values = rng.normal(size=501)
    q = np.array([7.0, 50.0, 93.0])
    unequal = np.ones(501)
    unequal[0] = 1.0 + 1e-15  # forces the weighted path
    np.testing.assert_allclose(
        weighted_percentiles(values, unequal, q), np.percentile(values, q), atol=1e-9
    )


def test_weighted_percentile_counts_duration():
    values = np.array([0.0, 1.0, 2.0])
    weights = np.array([8.0, 1.0, 1.0])
    # Midpoints 4, 8.5, 9.5 → positions 0, 0.818, 1; the median is 0.611 (by count: 1)
    median = weighted_percentiles(values, weights, np.array([50.0]))[0]
    assert median == pytest.approx(0.5 / (4.5 / 5.5), abs=1e-12)


def _ashrae_by_the_recipe(t, rh, cls_name, tol_rh=1.0, tol_t=0.5):
    """The docstring's recipe on whole arrays (evenly spaced readings: fractions are counts)."""
    from taihe.modules.conservation.science._timeseries import moving_averages
    from taihe.modules.conservation.science._validation import time_axis
    from taihe.modules.conservation.science.climate_classes import _within, ashrae_class

    c = ashrae_class(cls_name)
    axis = time_axis(np.arange(t.shape[0]) * HOUR)
    ref_t, ref_rh = float(t.sum()) * HOUR / axis.total, float(rh.sum()) * HOUR / axis.total
    s_t, s_rh = moving_averages((t, rh), axis, 30 * DAY, kind="centred", edges="shrink")
    d_t, d_rh = s_t - ref_t, s_rh - ref_rh
    rh_season = _within(d_rh, -c.rh_season_down - tol_rh, c.rh_season_up + tol_rh)
    t_season = _within(d_t, -c.t_season_down - tol_t, c.t_season_up + tol_t)
    set_rh = np.clip(d_rh, -c.rh_season_down, c.rh_season_up) + ref_rh
    set_t = np.clip(d_t, -c.t_season_down, c.t_season_up) + ref_t
    if np.isfinite(c.season_t_max_c):
        t_season &= s_t <= c.season_t_max_c + tol_t
        set_t = np.minimum(set_t, c.season_t_max_c)
    rh_short = _within(rh - set_rh, -c.rh_short, c.rh_short)
    t_short = _within(t - set_t, -c.t_short, c.t_short)
    n = t.shape[0]
    every = rh_short & t_short & rh_season & t_season
    return [np.count_nonzero(m) / n for m in (every, rh_short, t_short, rh_season, t_season)]


@pytest.mark.parametrize("cls", ["AA", "As", "A", "B"])
@pytest.mark.parametrize("n", [2, 50, 24 * 20, 24 * 45, 24 * 400])
@pytest.mark.parametrize("block", [1, 7, 1000, 32768])
def test_ashrae_blocked_counts_equal_the_recipe_on_whole_arrays(monkeypatch, cls, n, block):
    from taihe.modules.conservation.science import climate_classes

    monkeypatch.setattr(climate_classes, "_BLOCK", block)
    rng = np.random.default_rng(n)
    day = np.arange(n) / 24.0
    t = 24.0 + 6.0 * np.sin(2 * np.pi * day / 365.0) + rng.normal(0, 1.0, n)
    rh = np.clip(50.0 + 12.0 * np.sin(2 * np.pi * day / 200.0) + rng.normal(0, 4.0, n), 0, 100)
    got = ashrae_compliance(np.arange(n) * HOUR, t, rh, cls)
    fractions = [
        got.fraction_in_class,
        got.rh_short_fraction,
        got.t_short_fraction,
        got.rh_seasonal_fraction,
        got.t_seasonal_fraction,
    ]
    assert fractions == _ashrae_by_the_recipe(t, rh, cls)
    assert got.rh_seasonal_fraction > 0.0 or n < 24 * 45  # the series exercises the tests
