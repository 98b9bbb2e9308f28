"""Alert rules and the incremental engine: exact event sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from taihe.modules.conservation.alerting import (
    AlertCleared,
    AlertOpened,
    AlertState,
    BandBreach,
    BatteryLow,
    MetricThreshold,
    RateOfChange,
    ReadingIgnored,
    Silence,
    evaluate,
)
from taihe.modules.conservation.live import LiveReading

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def rh_series(values: list[float], step: int = 5, start: int = 0) -> list[LiveReading]:
    return [
        LiveReading("CASE-3", "relative_humidity", at(start + i * step), v, "%RH")
        for i, v in enumerate(values)
    ]


HIGH_RH = BandBreach("relative_humidity", 40.0, 60.0, min_duration_minutes=30, hysteresis=2.0)


def test_breach_shorter_than_duration_raises_nothing() -> None:
    # given 25 minutes above 60 % then back in band
    readings = rh_series([50, 61, 62, 63, 62, 61, 61, 55])
    # when
    state, events = evaluate(HIGH_RH, AlertState(), readings)
    # then
    assert events == []
    assert (state.open, state.since) == (False, None)


def test_breach_longer_than_duration_opens_once_when_duration_elapsed() -> None:
    readings = rh_series([50, 61, 62, 63, 62, 61, 61, 62, 64, 63])
    state, events = evaluate(HIGH_RH, AlertState(), readings)
    # out of band from 09:05; 30 minutes elapse at 09:35 (the reading at 09:35 is still out)
    assert events == [AlertOpened(HIGH_RH, at(35), at(5), 62.0)]
    assert (state.open, state.opened_at) == (True, at(35))


def test_wobble_within_hysteresis_stays_open_and_clears_below_band_minus_hysteresis() -> None:
    state, _ = evaluate(HIGH_RH, AlertState(), rh_series([61] * 8))
    assert state.open
    # wobbles: 59 and 58.5 are inside the band but not 2 % inside, so the alert stays open
    state, events = evaluate(HIGH_RH, state, rh_series([59, 61, 58.5, 62], start=40))
    assert events == []
    state, events = evaluate(HIGH_RH, state, rh_series([58.0, 61], start=60))
    assert events == [AlertCleared(HIGH_RH, at(60), 58.0)]
    assert not state.open and state.since == at(65)


def test_breach_split_over_batches_uses_stored_state() -> None:
    state, events = evaluate(HIGH_RH, AlertState(), rh_series([61, 61, 61]))
    assert events == []
    state, events = evaluate(HIGH_RH, state, rh_series([39, 38, 37, 36], step=10, start=15))
    # 61 → 39 crosses straight to the low side: the run goes on, from 09:00
    # the first reading at or after 09:30 is 37 % at 09:35
    assert events == [AlertOpened(HIGH_RH, at(30), at(0), 37.0)]


def test_zero_duration_opens_at_first_out_of_band_reading() -> None:
    rule = BandBreach("temperature", None, 25.0)
    readings = [LiveReading("S", "temperature", at(m), v, "Cel") for m, v in ((0, 24), (5, 26))]
    assert evaluate(rule, AlertState(), readings)[1] == [AlertOpened(rule, at(5), at(5), 26.0)]


def test_late_and_repeated_readings_are_reported_and_ignored() -> None:
    first = rh_series([61, 61])
    late = LiveReading("CASE-3", "relative_humidity", at(2), 90.0, "%RH")
    state, events = evaluate(HIGH_RH, AlertState(), [*first, first[1], late])
    assert events == [
        ReadingIgnored(HIGH_RH, first[1], "repeated"),
        ReadingIgnored(HIGH_RH, late, "late"),
    ]
    assert state.since == at(0)


def test_rate_of_change_opens_on_step_and_clears_when_window_passes() -> None:
    rule = RateOfChange("relative_humidity", max_change=5.0, window_minutes=60)
    readings = rh_series([50, 51, 57, 57, 57], step=30)
    state, events = evaluate(rule, AlertState(), readings)
    # the closed window [09:00, 10:00] spans 50 → 57; the window ending 11:00 holds only 57s
    assert events == [AlertOpened(rule, at(60), at(60), 7.0), AlertCleared(rule, at(120), 0.0)]
    assert not state.open


def test_silence_opens_after_missing_intervals_and_clears_on_next_reading() -> None:
    rule = Silence(max_missing_intervals=3)
    interval = timedelta(minutes=5)
    state, events = evaluate(rule, AlertState(), rh_series([50, 50]), now=at(20),
                             logging_interval=interval)  # fmt: skip
    assert events == []  # last 09:05, deadline 09:20: not yet passed
    state, events = evaluate(rule, state, [], now=at(21), logging_interval=interval)
    assert events == [AlertOpened(rule, at(20), at(5), None)]
    state, events = evaluate(rule, state, [], now=at(40), logging_interval=interval)
    assert events == []  # still one alert
    state, events = evaluate(rule, state, rh_series([50], start=41), now=at(41),
                             logging_interval=interval)  # fmt: skip
    assert events == [AlertCleared(rule, at(41), 50.0)]
    with pytest.raises(ValueError, match="needs now"):
        evaluate(rule, state, [])


def test_battery_low_with_hysteresis() -> None:
    rule = BatteryLow(threshold=2.8, unit="V", hysteresis=0.1)
    volts = [2.9, 2.75, 2.85, 2.79, 2.95]
    readings = [LiveReading("S", "battery", at(i * 60), v, "V") for i, v in enumerate(volts)]
    percent = LiveReading("S", "battery", at(500), 5.0, "%EL")  # other unit: not this rule's
    _, events = evaluate(rule, AlertState(), [*readings, percent])
    assert events == [AlertOpened(rule, at(60), at(60), 2.75), AlertCleared(rule, at(240), 2.95)]


def test_dew_point_margin_pairs_temperature_and_humidity() -> None:
    rule = MetricThreshold("dew_point_margin", threshold=3.0, hysteresis=0.5)
    readings = [
        LiveReading("S", "temperature", at(0), 20.0, "Cel"),
        LiveReading(
            "S", "relative_humidity", at(0), 50.0, "%RH"
        ),  # margin 10.74 K (Magnus dew point 9.26 °C)
        LiveReading("S", "temperature", at(5), 20.0, "Cel"),
        LiveReading("S", "relative_humidity", at(5), 85.0, "%RH"),  # margin 2.60 K
        LiveReading("S", "temperature", at(10), 20.0, "Cel"),
        LiveReading(
            "S", "relative_humidity", at(10), 81.0, "%RH"
        ),  # 3.36 K: above 3 but below 3 + 0.5
        LiveReading("S", "temperature", at(15), 20.0, "Cel"),
        LiveReading("S", "relative_humidity", at(15), 78.0, "%RH"),  # 3.96 K: clears
    ]
    _, events = evaluate(rule, AlertState(), readings)
    assert [(type(e).__name__, e.at) for e in events if not isinstance(e, ReadingIgnored)] == [
        ("AlertOpened", at(5)),
        ("AlertCleared", at(15)),
    ]
    assert isinstance(events[0], AlertOpened) and events[0].value == pytest.approx(2.6006, abs=1e-4)


def test_mould_index_opens_in_damp_case() -> None:
    rule = MetricThreshold("mould_index", threshold=1.0, window_days=60)
    readings: list[LiveReading] = []
    for hour in range(0, 40 * 24, 6):
        when = T0 + timedelta(hours=hour)
        readings.append(LiveReading("S", "temperature", when, 20.0, "Cel"))
        readings.append(LiveReading("S", "relative_humidity", when, 90.0, "%RH"))
    _, events = evaluate(rule, AlertState(), readings)
    # science README: very sensitive class at 20 °C / 90 % reaches M = 1.04 after 30 days
    assert len(events) == 1 and isinstance(events[0], AlertOpened)
    assert timedelta(days=28) < events[0].at - T0 <= timedelta(days=30)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: BandBreach("temperature", None, None), "needs low"),
        (lambda: BandBreach("temperature", 20, 21, hysteresis=1), "hysteresis"),
        (lambda: RateOfChange("temperature", 0, 60), "max_change"),
        (lambda: Silence(0), "max_missing_intervals"),
        (lambda: MetricThreshold("vapour", 1.0), "unknown metric"),  # type: ignore[arg-type]
    ],
)
def test_rules_reject_meaningless_settings(factory: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()  # type: ignore[operator]
