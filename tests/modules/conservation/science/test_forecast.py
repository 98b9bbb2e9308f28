"""Climate forecast, breach warnings and projected mould index (issue 5)."""

import numpy as np
import pytest

from taihe.modules.conservation.science._hourly import hourly_means
from taihe.modules.conservation.science.forecast import (
    ClimateForecast,
    QuantityForecast,
    _combination,
    forecast_climate,
    predict_breach,
    predict_mould,
    seasonal_naive,
)
from taihe.modules.conservation.science.mould import vtt_mould_index

HOUR = 3600
DAY = 86400
STEP = 300
T0 = 1_735_689_600  # 2025-01-01T00:00Z


def grid(days, start=T0):
    return start + STEP * np.arange(int(days * DAY / STEP), dtype=np.int64)


def sine(times, mean, amplitude):
    return mean + amplitude * np.sin(2 * np.pi * (times % DAY) / DAY)


def test_a_pure_daily_sine_is_forecast_within_a_hundredth():
    # Given 28 days of a daily sine, when forecasting 72 h, then the hourly means match
    times = grid(28)
    future = grid(3, start=int(times[-1]) + STEP)
    forecast = forecast_climate(times, sine(times, 20.0, 1.0), sine(times, 50.0, 5.0))
    actual = hourly_means(future, sine(future, 20.0, 1.0), sine(future, 50.0, 5.0))
    assert forecast.times.astype(np.int64).tolist() == actual.hours.tolist()
    assert np.max(np.abs(forecast.temperature.mean - actual.values[0])) < 0.01
    assert np.max(np.abs(forecast.relative_humidity.mean - actual.values[1])) < 0.05
    assert forecast.temperature.model == "daily_profile_ar2_naive_blend"
    assert forecast.temperature.fallback is None


def lab_week(times):
    """21 °C on weekdays 08:00–18:00 UTC, 17 °C otherwise (T0 is a Wednesday)."""
    weekday = ((times - T0) // DAY + 2) % 7  # 0 = Monday
    hour = (times % DAY) // HOUR
    working = (weekday < 5) & (hour >= 8) & (hour < 18)
    return np.where(working, 21.0, 17.0)


def test_a_weekday_schedule_is_forecast_across_the_weekend():
    # Given 30 days of a weekday heating schedule ending with Thursday 30 January 2025
    times = grid(30)
    future = grid(3, start=int(times[-1]) + STEP)
    forecast = forecast_climate(times, lab_week(times), sine(times, 50.0, 5.0))
    actual = hourly_means(future, lab_week(future), sine(future, 50.0, 5.0)).values[0]
    _, naive = seasonal_naive(times, lab_week(times), 72)
    # Then Friday's working day and the idle weekend are both right, where yesterday is not
    assert np.max(np.abs(forecast.temperature.mean - actual)) < 0.05
    assert np.max(np.abs(naive - actual)) == 4.0
    # noise-free weekday deviations are kept whole
    assert forecast.temperature.parameters["weekly_weight"] == pytest.approx(1.0)
    # 28 days kept, validation origins every 24 h from day 14 to 72 h before the end
    assert forecast.temperature.parameters["validation_origins"] == 12.0
    # the four candidates' weights at 24 h add up to one
    names = ("profile_ar", "daily_profile_ar", "weekly_naive", "seasonal_naive")
    parameters = forecast.temperature.parameters
    assert sum(parameters[f"weight_{name}_24h"] for name in names) == pytest.approx(1.0)


def test_a_short_window_uses_the_fixed_average():
    # Given 19 days (validation origins at days 14, 15 and 16: fewer than the 4 needed),
    times = grid(19)
    forecast = forecast_climate(times, sine(times, 20.0, 1.0), sine(times, 50.0, 5.0))
    parameters = forecast.temperature.parameters
    # then the forecast is the average of profile and weekly naive
    assert parameters["validation_origins"] == 3.0
    names = ("profile_ar", "daily_profile_ar", "weekly_naive", "seasonal_naive")
    assert [parameters[f"weight_{name}_24h"] for name in names] == [0.5, 0.0, 0.5, 0.0]


def test_twenty_days_give_the_four_validation_origins_needed():
    # Given 20 days: origins at days 14, 15, 16 and 17 (72 h before the end)
    times = grid(20)
    forecast = forecast_climate(times, sine(times, 20.0, 1.0), sine(times, 50.0, 5.0))
    assert forecast.temperature.parameters["validation_origins"] == 4.0


def test_each_lead_is_weighted_by_its_own_validation_errors():
    # Given validation errors (3 origins, 4 candidates, 2 leads) where seasonal naive is exact
    # at lead 1 and profile_ar at lead 2, the others off by 1 (weekly naive by 2)
    error = np.ones((3, 4, 2))
    error[:, 2, :] = 2.0
    error[:, 3, 0] = 0.0
    error[:, 0, 1] = 0.0
    weights, combined = _combination(error)
    # then each lead follows its own exact candidate, not its neighbour's
    np.testing.assert_allclose(weights[:, 0], [0.0, 0.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(weights[:, 1], [1.0, 0.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(combined, 0.0, atol=1e-12)


def test_leads_from_24_h_pool_the_same_hour_a_day_apart():
    # Given 72 leads where every candidate is off by 1 (weekly naive by 2), except seasonal
    # naive, exact at 48 h (index 47)
    error = np.ones((3, 4, 72))
    error[:, 2, :] = 2.0
    error[:, 3, 47] = 0.0
    weights, _ = _combination(error)
    # then 24 h and 72 h, a day apart from 48 h, favour it (pooled MSE 0.5 against 1) ...
    for lead in (23, 71):
        assert weights[3, lead] > 0.6
        assert weights[0, lead] == pytest.approx(weights[1, lead])
        assert weights[3, lead] > 3 * weights[0, lead]
    # ... while 23 h, 25 h and 6 h, not a whole number of days from it, weigh it like the
    # profiles
    for lead in (5, 22, 24):
        assert weights[3, lead] == pytest.approx(weights[0, lead])
    # and 48 h itself, pooling its own zeros with the ones at 24 h and 72 h, still favours it
    assert weights[3, 47] > 2 * weights[0, 47]


def test_equal_pairs_win_when_errors_cancel():
    # Given profile_ar and seasonal naive off by +1 and -1 at every origin, the others by 3
    error = np.full((5, 4, 1), 3.0)
    error[:, 0, 0] = 1.0
    error[:, 3, 0] = -1.0
    weights, combined = _combination(error)
    # then their equal pair (validation error 0) takes all the weight
    np.testing.assert_allclose(weights[:, 0], [0.5, 0.0, 0.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(combined, 0.0, atol=1e-12)


def test_intervals_cover_red_noise_near_their_level():
    # Given 28 days of a daily sine plus AR(1) noise (phi 0.9 per hour, sd 0.3 K),
    rng = np.random.default_rng(7)
    hours = T0 + HOUR * np.arange(28 * 24 + 72 * 40)
    noise = np.zeros(hours.size)
    for i in range(1, hours.size):
        noise[i] = 0.9 * noise[i - 1] + rng.normal(0.0, 0.3 * np.sqrt(1 - 0.81))
    t = sine(hours, 20.0, 1.0) + noise
    inside = {"0.8": [], "0.95": []}
    widths = []
    # when forecasting from 40 successive origins 72 h apart
    for k in range(40):
        end = 28 * 24 + 72 * k
        f = forecast_climate(hours[:end], t[:end], sine(hours[:end], 50.0, 5.0))
        actual = t[end : end + 72]
        widths.append(f.temperature.upper["0.8"] - f.temperature.mean)
        for key in inside:
            q = f.temperature
            inside[key].extend(((actual >= q.lower[key]) & (actual <= q.upper[key])).tolist())
    # then the intervals cover within 8 points of nominal and never narrow with the lead
    assert abs(np.mean(inside["0.8"]) - 0.8) < 0.08
    assert abs(np.mean(inside["0.95"]) - 0.95) < 0.05
    assert all(np.all(np.diff(w) >= -1e-9) for w in widths)


def test_intervals_nest_and_rh_stays_within_0_100():
    rng = np.random.default_rng(1)
    times = grid(10)
    rh = np.clip(97.0 + rng.normal(0, 3.0, times.size), 0, 100)
    forecast = forecast_climate(times, sine(times, 20.0, 1.0), rh)
    q = forecast.relative_humidity
    assert q.upper["0.95"].max() <= 100.0
    assert np.all(q.lower["0.95"] <= q.lower["0.8"])
    assert np.all(q.upper["0.8"] <= q.upper["0.95"])


def test_gaps_are_bridged():
    times = grid(14)
    t = sine(times, 20.0, 1.0)
    t[1000:2500] = np.nan
    forecast = forecast_climate(times, t, sine(times, 50.0, 5.0), horizon_hours=24)
    assert not np.isnan(forecast.temperature.mean).any()
    assert forecast.temperature.mean.shape == (24,)


def test_short_series_falls_back_to_seasonal_naive():
    times = grid(3)
    forecast = forecast_climate(times, sine(times, 20.0, 1.0), sine(times, 50.0, 5.0))
    assert forecast.temperature.model == "seasonal_naive"
    assert forecast.temperature.fallback == "short_series"
    _, naive = seasonal_naive(times, sine(times, 20.0, 1.0), 72)
    np.testing.assert_allclose(forecast.temperature.mean, naive)


def test_flat_series_is_forecast_as_constant():
    times = grid(10)
    forecast = forecast_climate(times, np.full(times.size, 18.0), sine(times, 50.0, 5.0))
    assert forecast.temperature.model == "constant"
    assert forecast.temperature.fallback == "flat_series"
    assert forecast.temperature.mean.tolist() == [18.0] * 72


def test_seasonal_naive_repeats_the_last_day():
    times = T0 + HOUR * np.arange(48)
    values = np.arange(48, dtype=float)
    future, forecast = seasonal_naive(times, values, 30)
    assert forecast.tolist() == [*range(24, 48), *range(24, 30)]
    assert future[0] == np.datetime64(T0 + 48 * HOUR, "s")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon_hours": 0}, "horizon_hours = 0"),
        ({"levels": (0.8, 1.5)}, r"levels\[1\] = 1.5"),
    ],
)
def test_invalid_arguments(kwargs, message):
    times = grid(10)
    with pytest.raises(ValueError, match=message):
        forecast_climate(times, sine(times, 20, 1), sine(times, 50, 5), **kwargs)


def test_invalid_readings_and_too_little_data():
    times = grid(10)
    rh = sine(times, 50, 5)
    rh[17] = 104.0
    with pytest.raises(ValueError, match=r"rh\[17\] = 104.0 is outside 0–100 %"):
        forecast_climate(times, sine(times, 20, 1), rh)
    short = grid(1.5)
    with pytest.raises(ValueError, match="36 hourly means .* at least 48"):
        forecast_climate(short, sine(short, 20, 1), sine(short, 50, 5))


def rising_forecast():
    hours = T0 + HOUR * np.arange(10)
    mean = 20.0 + 0.5 * np.arange(10)  # 20.0, 20.5, ... 24.5
    q = QuantityForecast(
        quantity="temperature",
        mean=mean,
        lower={"0.8": mean - 1.0},
        upper={"0.8": mean + 1.0},
        model="test",
        fallback=None,
        parameters={},
    )
    flat = np.full(10, 50.0)
    rh = QuantityForecast("relative_humidity", flat, {"0.8": flat - 2}, {"0.8": flat + 2}, "test",
                          None, {})  # fmt: skip
    return ClimateForecast(
        times=hours.astype("datetime64[s]"),
        temperature=q,
        relative_humidity=rh,
        levels=(0.8,),
        training_start=np.datetime64(T0 - 28 * DAY, "s"),
        training_end=np.datetime64(T0, "s"),
    )


def test_a_breach_on_a_rising_series_is_predicted_at_the_right_hour():
    # Given a mean rising 0.5 K/h from 20 °C with a ±1 K interval and a 22.2 °C maximum
    breaches = predict_breach(rising_forecast(), t_max=22.2, rh_max=60.0)
    # Then the mean crosses in hour 6 (22.5 °C) and the upper bound in hour 4 (22.5 °C)
    assert len(breaches) == 1
    breach = breaches[0]
    assert (breach.quantity, breach.side, breach.limit) == ("temperature", "above", 22.2)
    assert breach.hours_until_expected == 6
    assert breach.hours_until_earliest == 4
    assert breach.expected_at == np.datetime64(T0 + 5 * HOUR, "s")
    assert breach.expected_value == 22.5
    assert breach.to_dict()["earliest_at"] == "2025-01-01T03:00:00Z"


def test_breach_argument_errors():
    with pytest.raises(ValueError, match="probability_level = 0.9"):
        predict_breach(rising_forecast(), t_max=22.0, probability_level=0.9)
    with pytest.raises(ValueError, match="t_min = 25.0 is above t_max = 22.0"):
        predict_breach(rising_forecast(), t_min=25.0, t_max=22.0)


def test_mould_projection_continues_the_history():
    # Given 20 days at 20 °C / 90 % (M < 1) forecast to stay there for 30 days
    times = grid(20)
    t = np.full(times.size, 20.0)
    rh = np.full(times.size, 90.0)
    forecast = forecast_climate(times, t, rh, horizon_hours=720)
    projection = predict_mould(times, t, rh, forecast)
    # Then M reaches 1 when a 5-minute then hourly constant record does (exact integration)
    oracle_times = np.concatenate([times, forecast.times.astype(np.int64)])
    oracle = vtt_mould_index(oracle_times, np.full(oracle_times.size, 20.0),
                             np.full(oracle_times.size, 90.0), max_gap=7200.0)  # fmt: skip
    expected = int(np.argmax(oracle[times.size :] >= 1.0)) + 1
    assert 0.5 < projection.current_index < 1.0
    assert projection.hours_to_1 == expected
    assert projection.hours_to_3 is None
    assert projection.to_dict()["times"][0] == str(forecast.times[0]) + "Z"
