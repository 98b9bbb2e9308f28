"""Demo climate generator: a physically behaving, deterministic year of museum readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from numpy.typing import NDArray

from taihe.modules.conservation.demo_climate import (
    IncidentWindow,
    Kind,
    SensorProfile,
    generate,
    incident_window,
    logger_gap,
    outdoor_climate,
)
from taihe.modules.conservation.science import saturation_vapour_pressure

BEIJING = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 1, 1, tzinfo=BEIJING)  # a Wednesday
END = datetime(2026, 1, 1, tzinfo=BEIJING)
ALL = ("temperature", "relative_humidity", "illuminance", "uv")
TRH = ("temperature", "relative_humidity")
PER_DAY = 288

Readings = dict[str, NDArray[np.float64] | NDArray[np.int64]]
_cache: dict[SensorProfile, Readings] = {}


def year(profile: SensorProfile) -> Readings:
    if profile not in _cache:
        _cache[profile] = generate(profile, START, END)
    return _cache[profile]


def values(readings: Readings, quantity: str) -> NDArray[np.float64]:
    return np.asarray(readings[quantity], dtype=np.float64)


def stamps(readings: Readings) -> NDArray[np.int64]:
    return np.asarray(readings["time"], dtype=np.int64)


def local_hour(times: NDArray[np.int64]) -> NDArray[np.float64]:
    return np.asarray(((times + 8 * 3600) % 86_400) / 3600.0, dtype=np.float64)


def local_weekday(times: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.asarray(((times + 8 * 3600) // 86_400 + 3) % 7, dtype=np.int64)


def inside(times: NDArray[np.int64], window: IncidentWindow) -> NDArray[np.bool_]:
    return (times >= window.start.timestamp()) & (times < window.end.timestamp())


def by_day(a: NDArray[np.float64]) -> NDArray[np.float64]:
    return a.reshape(-1, PER_DAY)


def test_times_are_aligned_strictly_increasing_and_inside_the_range() -> None:
    # Given a year from local midnight, and a range starting off the 5-minute grid
    readings = year(SensorProfile("G1", "gallery", ALL, seed=1))
    odd_start = datetime(2025, 3, 1, 10, 2, 17, tzinfo=BEIJING)
    odd = generate(
        SensorProfile("G1", "gallery", ALL, seed=1), odd_start, odd_start + timedelta(hours=1)
    )
    # Then a year is 365 × 288 readings on epoch multiples of 300 s, end excluded
    times = stamps(readings)
    assert readings["time"].dtype == np.int64
    assert times.size == 105_120
    assert np.all(times % 300 == 0)
    assert np.all(np.diff(times) == 300)
    assert times[0] == START.timestamp()
    assert times[-1] == END.timestamp() - 300
    # And the odd range starts at the next grid point
    odd_times = np.asarray(odd["time"])
    assert odd_times[0] == datetime(2025, 3, 1, 10, 5, tzinfo=BEIJING).timestamp()
    assert odd_times.size == 12
    assert set(odd) == {"time", *ALL}
    assert all(values(odd, q).dtype == np.float64 and values(odd, q).size == 12 for q in ALL)


def test_other_intervals_and_a_single_reading() -> None:
    # Given a 10-minute logger over a day, and a range holding one 5-minute reading
    day = generate(SensorProfile("S3", "store", TRH, seed=3), START, START + timedelta(days=1), 600)
    one = generate(SensorProfile("C3", "case", ALL, seed=3), START, START + timedelta(minutes=5))
    # Then the day has 144 readings 600 s apart, and the single reading is a full record
    assert np.all(np.diff(stamps(day)) == 600) and stamps(day).size == 144
    assert stamps(one).tolist() == [int(START.timestamp())]
    assert not np.isnan(values(one, "temperature")).any()
    assert not np.isnan(values(one, "relative_humidity")).any()
    with pytest.raises(ValueError, match="positive"):
        generate(SensorProfile("S3", "store", TRH), START, END, 0)


@pytest.mark.parametrize(
    ("kind", "t_low", "t_high"),
    [("gallery", 17.0, 28.0), ("case", 17.0, 28.0), ("store", 17.0, 19.0), ("lab", 12.0, 32.0),
     ("outdoor", -25.0, 42.0)],
)  # fmt: skip
def test_every_kind_stays_physically_possible(kind: Kind, t_low: float, t_high: float) -> None:
    # Given a year of each kind of sensor
    quantities = TRH if kind == "outdoor" else ALL
    readings = year(SensorProfile(f"X-{kind}", kind, quantities, seed=11))
    t = values(readings, "temperature")
    rh = values(readings, "relative_humidity")
    # Then RH is a percentage and T plausible for the place, at logger resolution
    assert np.nanmin(rh) >= 0.0 and np.nanmax(rh) <= 100.0
    assert t_low < np.nanmin(t) and np.nanmax(t) < t_high
    assert np.array_equal(np.round(t * 100) / 100, t, equal_nan=True)
    assert np.array_equal(np.round(rh * 10) / 10, rh, equal_nan=True)
    # And only the logger gap is missing (a few hours)
    assert 0 < np.isnan(t).sum() <= 5 * 12
    if kind != "outdoor":
        lux = values(readings, "illuminance")
        uv = values(readings, "uv")
        assert np.nanmin(lux) == 0.0
        assert np.array_equal(np.round(lux), lux, equal_nan=True)
        # UV per lumen is only measured in light, and filtered LEDs stay far below 75 µW/lm
        assert np.all(np.isnan(uv[lux < 10]))
        assert np.nanmin(uv) >= 0.0 and np.nanmax(uv) < 75.0


def test_gallery_is_lit_in_opening_hours_and_dark_at_night() -> None:
    # Given a year in a gallery
    readings = year(SensorProfile("G2", "gallery", ALL, seed=2))
    times = stamps(readings)
    lux = values(readings, "illuminance")
    hour, weekday = local_hour(times), local_weekday(times)
    # When looking at 11:00 on open days (Tuesday to Sunday) and at 03:00 on every day
    at_eleven = lux[(hour == 11.0) & (weekday != 0)]
    at_three = lux[hour == 3.0]
    # Then the lights are on by day (about 150 lx) and off at night
    assert at_eleven.size == 313 and at_three.size == 365
    assert np.all(at_eleven[~np.isnan(at_eleven)] > 100.0)
    assert np.all(at_eleven[~np.isnan(at_eleven)] < 200.0)
    assert np.all(at_three < 5.0)


def test_closed_monday_is_dark_all_day() -> None:
    # Given a year in a gallery and one in a case
    for profile in (
        SensorProfile("G3", "gallery", ALL, seed=3),
        SensorProfile("C3", "case", ALL, seed=3),
    ):
        readings = year(profile)
        monday = local_weekday(stamps(readings)) == 0
        # Then every Monday reading is 0 lx, and no UV ratio is measured
        lux = values(readings, "illuminance")[monday]
        assert lux.size == 52 * PER_DAY
        assert np.nanmax(lux) == 0.0
        assert np.all(np.isnan(values(readings, "uv")[monday]))


def test_case_buffers_its_room_rh_and_follows_its_temperature() -> None:
    # Given a gallery sensor and a case in the same room (same seed)
    room = year(SensorProfile("G7", "gallery", ALL, seed=7))
    case = year(SensorProfile("C7", "case", ALL, seed=7))
    room_rh, case_rh = (
        by_day(values(room, "relative_humidity")),
        by_day(values(case, "relative_humidity")),
    )
    # When the daily RH range is taken for every day of the year
    room_range = np.nanmax(room_rh, axis=1) - np.nanmin(room_rh, axis=1)
    case_range = np.nanmax(case_rh, axis=1) - np.nanmin(case_rh, axis=1)
    # Then the case's daily range is below the room's on every day, and far below on average
    assert np.all(case_range < room_range)
    assert case_range.mean() < 0.3 * room_range.mean()
    # And the case stays near its conditioned 50 % while the room drifts with the seasons
    assert np.nanmax(np.abs(values(case, "relative_humidity") - 50.0)) < 3.0
    assert (
        np.nanmax(values(room, "relative_humidity")) - np.nanmin(values(room, "relative_humidity"))
        > 8.0
    )
    # And its temperature follows the room closely
    assert np.nanmean(np.abs(values(case, "temperature") - values(room, "temperature"))) < 0.5


def test_slow_leak_makes_the_case_track_the_room_more_and_more() -> None:
    # Given a room, a healthy case and a case whose seal fails slowly, in the same room
    room = values(year(SensorProfile("G7", "gallery", ALL, seed=7)), "relative_humidity")
    leaky = values(year(SensorProfile("C8", "case", TRH, "slow_leak", seed=7)), "relative_humidity")
    healthy = values(year(SensorProfile("C7", "case", ALL, seed=7)), "relative_humidity")
    window = incident_window("slow_leak", START, END)
    assert window is not None and window.end == END.astimezone(UTC)
    first_month, last_month = slice(0, 30 * PER_DAY), slice(-30 * PER_DAY, None)
    # Then at first both cases hold their own RH; in the last month the leaky one follows the room
    early = np.nanmean(np.abs(leaky[first_month] - room[first_month]))
    late = np.nanmean(np.abs(leaky[last_month] - room[last_month]))
    healthy_late = np.nanmean(np.abs(healthy[last_month] - room[last_month]))
    assert early > 2.0
    assert late < 0.5 * early
    assert late < 0.5 * healthy_late


def test_store_dehumidifier_failure_raises_rh_for_its_window_only() -> None:
    # Given a store whose dehumidifier fails in summer
    readings = year(SensorProfile("S1", "store", TRH, "dehumidifier_failure", seed=5))
    window = incident_window("dehumidifier_failure", START, END)
    assert window is not None and window.repaired is not None
    assert window.start == datetime(2025, 7, 12, 2, 40, tzinfo=BEIJING)
    times = stamps(readings)
    rh = values(readings, "relative_humidity")
    during = inside(times, window)
    # Then RH climbs above 60 % inside the window and stays within 45–55 % outside it
    assert np.nanmax(rh[during]) > 60.0
    assert np.nanmin(rh[~during]) >= 45.0 and np.nanmax(rh[~during]) <= 55.0
    # And it holds its plateau near 68 % for a week before the repair
    plateau = (times >= (window.start + timedelta(days=4)).timestamp()) & (
        times < window.repaired.timestamp()
    )
    assert plateau.sum() == 7 * PER_DAY
    assert np.nanmin(rh[plateau]) > 64.0 and np.nanmax(rh[plateau]) < 71.0


def test_store_without_incident_is_very_stable_and_mostly_dark() -> None:
    # Given a year in a store
    readings = year(SensorProfile("S2", "store", ALL, seed=6))
    t, rh, lux = (
        values(readings, "temperature"),
        values(readings, "relative_humidity"),
        values(readings, "illuminance"),
    )
    # Then T stays within about ±0.5 K of 18 °C and RH within about ±2 % of 50 %
    assert np.nanmin(t) > 17.3 and np.nanmax(t) < 18.7
    assert np.nanmin(rh) > 47.5 and np.nanmax(rh) < 52.5
    # And it is lit only during brief inspections: under 1 % of the time, never at night
    lit = lux > 0
    assert 0 < lit.sum() < 0.01 * lux.size
    hour = local_hour(stamps(readings))
    assert np.all((hour[lit] >= 10.0) & (hour[lit] < 15.0))


def test_flatlined_sensor_freezes_at_its_last_reading_and_keeps_logging() -> None:
    # Given a gallery sensor that gets stuck
    readings = year(SensorProfile("G9", "gallery", ALL, "flatline", seed=4))
    window = incident_window("flatline", START, END)
    assert window is not None
    times = stamps(readings)
    frozen_from = int(np.searchsorted(times, window.start.timestamp()))
    assert 0 < frozen_from < times.size
    for quantity in ALL:
        series = values(readings, quantity)
        # Then from its date every reading repeats the last one before it, and none is missing
        after = series[frozen_from:]
        assert np.array_equal(after, np.full(after.size, series[frozen_from - 1]))
        assert not np.isnan(after).any()
    # And before that date the readings move
    day_before = slice(frozen_from - PER_DAY, frozen_from)
    assert np.unique(values(readings, "temperature")[day_before]).size > 20
    assert np.unique(values(readings, "relative_humidity")[day_before]).size > 5


def test_lamp_left_on_lights_several_nights() -> None:
    # Given a gallery where a work lamp is left on
    readings = year(SensorProfile("G8", "gallery", ALL, "lamp_left_on", seed=8))
    window = incident_window("lamp_left_on", START, END)
    assert window is not None
    local_start = window.start.astimezone(BEIJING)
    assert local_start.weekday() == 4 and (local_start.hour, local_start.minute) == (16, 50)
    times = stamps(readings)
    lux, uv = values(readings, "illuminance"), values(readings, "uv")
    night = local_hour(times) == 3.0
    # Then the four nights inside the window read about 300 lx with the lamp's UV
    lit_nights = night & inside(times, window)
    assert lit_nights.sum() == 4
    assert np.all((lux[lit_nights] > 250.0) & (lux[lit_nights] < 350.0))
    assert np.all((uv[lit_nights] > 50.0) & (uv[lit_nights] < 75.0))
    # And every other night is dark
    assert np.all(lux[night & ~inside(times, window)] == 0.0)


def test_same_seed_gives_same_readings_and_another_seed_others() -> None:
    # Given one profile generated twice, and the same profile with another seed
    profile = SensorProfile("C5", "case", ALL, seed=5)
    start, end = datetime(2025, 6, 1, tzinfo=BEIJING), datetime(2025, 7, 1, tzinfo=BEIJING)
    first, second = generate(profile, start, end), generate(profile, start, end)
    other = generate(SensorProfile("C5", "case", ALL, seed=6), start, end)
    # Then the same seed reproduces every array exactly, and another seed changes each quantity
    for quantity in ("time", *ALL):
        np.testing.assert_array_equal(first[quantity], second[quantity])
    for quantity in TRH:
        assert not np.array_equal(first[quantity], other[quantity], equal_nan=True)


def test_outdoor_climate_is_beijing_and_one_weather_for_all() -> None:
    # Given the outdoor climate for a year
    times = np.arange(int(START.timestamp()), int(END.timestamp()), 300, dtype=np.int64)
    t, rh = outdoor_climate(times)
    month = (times + 8 * 3600).astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12
    # Then January is near −3 °C and dry, July near 27 °C, and July–August humid
    assert -5.0 < t[month == 0].mean() < -1.0
    assert 25.0 < t[month == 6].mean() < 29.0
    assert rh[month == 0].mean() < 55.0
    assert rh[(month == 6) | (month == 7)].mean() > 65.0
    assert rh.min() >= 0.0 and rh.max() <= 100.0
    # And the daily cycle is warm and dry in the afternoon, cool and humid at dawn
    hour = local_hour(times)
    assert t[hour == 14.5].mean() - t[hour == 5.5].mean() > 6.0
    assert rh[hour == 5.5].mean() - rh[hour == 14.5].mean() > 15.0
    # And any subset of instants gets exactly the same weather
    picked = times[[5, 77_777, 100_000]]
    t_picked, rh_picked = outdoor_climate(picked[::-1])
    np.testing.assert_allclose(t_picked[::-1], t[[5, 77_777, 100_000]], atol=1e-9)
    np.testing.assert_allclose(rh_picked[::-1], rh[[5, 77_777, 100_000]], atol=1e-9)


def test_lab_rh_falls_when_heating_warms_air_of_the_same_moisture() -> None:
    # Given a lab without humidity control, on winter weekdays (heating set back at night)
    readings = year(SensorProfile("L1", "lab", TRH, seed=9))
    t, rh = by_day(values(readings, "temperature")), by_day(values(readings, "relative_humidity"))
    day = np.arange(365)
    winter_weekdays = (((day + 2) % 7) < 5) & ((day < 59) | (day >= 334))
    dawn, afternoon = 6 * 12, 14 * 12
    t_rise = np.nanmean(t[winter_weekdays, afternoon] - t[winter_weekdays, dawn])
    rh_change = np.nanmean(rh[winter_weekdays, afternoon] - rh[winter_weekdays, dawn])

    # When the vapour pressure is recovered from T and RH
    def vapour(i: int) -> float:
        rows = winter_weekdays & ~np.isnan(t[:, i])
        return float(np.mean(rh[rows, i] / 100.0 * saturation_vapour_pressure(t[rows, i])))

    # Then T rises by several kelvin while RH falls, because the moisture barely changes
    assert t_rise > 3.0
    assert rh_change < -1.0
    assert abs(vapour(afternoon) / vapour(dawn) - 1.0) < 0.25
    assert np.nanmean(rh[winter_weekdays]) < 25.0


def test_logger_gap_is_the_only_missing_stretch() -> None:
    # Given a sensor and its battery-change gap
    profile = SensorProfile("G1", "gallery", ALL, seed=1)
    gap = logger_gap(profile, START, END)
    assert gap is not None
    readings = year(profile)
    times = stamps(readings)
    missing = (times >= gap[0].timestamp()) & (times < gap[1].timestamp())
    # Then exactly the gap's readings are NaN, 2 to 5 hours of them
    assert 24 <= missing.sum() <= 60
    assert np.array_equal(np.isnan(values(readings, "temperature")), missing)
    # And short ranges have no gap
    assert logger_gap(profile, START, START + timedelta(days=13)) is None


def test_incident_windows_fall_inside_the_range() -> None:
    # Given a year and a short range
    short_end = START + timedelta(days=20)
    for incident in ("dehumidifier_failure", "slow_leak", "flatline", "lamp_left_on"):
        for end in (END, short_end):
            window = incident_window(incident, START, end)
            # Then each incident has a window inside the range
            assert window is not None and window.incident == incident
            assert START <= window.start < window.end <= end
    assert incident_window("none", START, END) is None


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (SensorProfile("G", "gallery", TRH, "dehumidifier_failure"), "happens in a store"),
        (SensorProfile("S", "store", TRH, "slow_leak"), "happens in a case"),
        (SensorProfile("G", "gallery", TRH, "lamp_left_on"), "measures illuminance"),
        (SensorProfile("O", "outdoor", ALL), "outdoor sensors"),
        (SensorProfile("G", "gallery", ("co2",)), "unknown quantities"),
        (SensorProfile("G", "gallery", ()), "non-empty"),
    ],
)
def test_impossible_profiles_are_refused(profile: SensorProfile, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(profile, START, START + timedelta(days=1))


def test_naive_or_reversed_ranges_are_refused() -> None:
    profile = SensorProfile("G", "gallery", TRH)
    with pytest.raises(ValueError, match="timezone-aware"):
        generate(profile, datetime(2025, 1, 1), datetime(2025, 1, 2))
    with pytest.raises(ValueError, match="not after"):
        generate(profile, END, START)
