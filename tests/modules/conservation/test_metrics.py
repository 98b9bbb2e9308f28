"""Period metrics: exact values from designed series, and why a row has no value."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import translation

from taihe.modules.conservation import science
from taihe.modules.conservation.metrics import (
    METRIC_CODES,
    PeriodMetrics,
    format_number,
    period_metrics,
)
from taihe.modules.conservation.specifications import PRESETS, EnvironmentSpec, QuantitySeries

HOUR = 3600.0
DAY = 86_400.0
T0 = 1_772_294_400.0  # 2026-02-28 16:00 UTC = 2026-03-01 00:00 in Shanghai


def hourly(values: np.ndarray | list[float], start: float = T0) -> QuantitySeries:
    array = np.asarray(values, dtype=np.float64)
    return QuantitySeries(times=start + np.arange(array.shape[0]) * HOUR, values=array)


def constant(value: float, days: float) -> QuantitySeries:
    return hourly(np.full(round(days * 24), value))


def summary(
    series: dict[str, QuantitySeries], spec: EnvironmentSpec | None = None, **kwargs: str
) -> PeriodMetrics:
    with translation.override("en"):
        return period_metrics(series, spec, **kwargs)


def test_constant_climate_gives_the_science_library_values() -> None:
    # given 40 days at a constant 20 °C / 50 % RH, logged hourly
    t, rh = constant(20.0, 40), constant(50.0, 40)
    # when
    metrics = summary({"temperature": t, "relative_humidity": rh}, PRESETS["BIZOT-2014"])
    # then
    line = metrics.line
    assert (line("temperature_mean").value, line("temperature_mean").display) == (20.0, "20.0 °C")
    assert line("temperature_min").value == line("temperature_max").value == 20.0
    assert line("relative_humidity_mean").display == "50.0 %"
    assert line("twpi").value == science.twpi(t.times, t.values, rh.values)
    assert line("twpi").display == "42 years"  # Padfield: PI(20 °C, 50 %) = 41.8
    assert line("dew_point_min").value == science.dew_point(20.0, 50.0)
    assert line("dew_point_max").value == line("dew_point_min").value
    assert line("emc_wood_max").value == science.emc_wood(20.0, 50.0)
    assert line("emc_wood_max").display == "9.3 % MC"  # 9.27 % (conservation.md §2)
    assert line("mould_index_max").value == 0.0
    assert line("temperature_change_24h_max").value == 0.0
    assert line("relative_humidity_change_24h_max").note == (
        "limit 10.0 %: met; 100.0 % of the time within it"
    )
    assert line("temperature_in_band").value == 100.0
    assert line("relative_humidity_in_band").note == "band 40.0 to 60.0 %"
    assert (line("ashrae_class_achieved").display, line("ashrae_class_achieved").value) == (
        "AA (100.0 %)",
        100.0,
    )
    assert line("en15757_in_band").value == 100.0
    assert line("en15757_in_band").note == (
        "band -10.0 to +10.0 % around the 30-day average; EN 15757 asks for at least a year of data"
    )
    assert metrics.compliance is not None
    assert metrics.compliance.spec_code == "BIZOT-2014"


def test_rows_come_in_the_published_order() -> None:
    # given no readings at all
    # when
    metrics = summary({}, None)
    # then
    assert [line.code for line in metrics.lines] == list(METRIC_CODES)
    assert metrics.compliance is None


def test_a_designed_step_gives_the_hand_computed_fraction_in_band() -> None:
    # given 6 days at 50 % RH then 2 days at 65 % (outside Bizot's 40–60 %), 20 °C throughout
    rh = hourly([50.0] * 144 + [65.0] * 48)
    t = constant(20.0, 8)
    # when
    metrics = summary({"temperature": t, "relative_humidity": rh}, PRESETS["BIZOT-2014"])
    # then 144 of 192 equal hours are in the band
    line = metrics.line("relative_humidity_in_band")
    assert (line.value, line.display) == (75.0, "75.0 %")
    assert line.note == "band 40.0 to 60.0 %; 1 excursion"
    change = metrics.line("relative_humidity_change_24h_max")
    assert change.value == 15.0
    # the trailing windows (t − 24 h, t] holding both levels end at hours 144 to 166: 23 of 192
    assert change.note == "limit 10.0 %: exceeded; 88.0 % of the time within it"
    assert metrics.line("relative_humidity_max").value == 65.0
    # 50 % for 6 days and 65 % for 2: the time-weighted mean is 53.75 %
    assert metrics.line("relative_humidity_mean").value == 53.75
    assert metrics.line("relative_humidity_mean").display == "53.8 %"


def test_ashrae_class_achieved_is_the_strictest_class_met() -> None:
    # given RH swinging ±7 % every hour around 50 % for 10 days at 20 °C: too much for AA
    # and As (±5 %), within A (±10 %)
    rh = hourly(np.tile([43.0, 57.0], 120))
    t = constant(20.0, 10)
    # when
    metrics = summary({"temperature": t, "relative_humidity": rh}, PRESETS["ASHRAE-AA"])
    # then
    achieved = metrics.line("ashrae_class_achieved")
    assert (achieved.value, achieved.display) == (100.0, "A (100.0 %)")
    assert achieved.note == (
        "best class met 95 % of the time or more; annual average taken as the period's average"
    )
    expected = science.ashrae_compliance(t.times, t.values, rh.values, "AA").fraction_in_class
    assert metrics.line("ashrae_class_compliance").value == 100.0 * expected
    assert metrics.line("ashrae_class_compliance").note == "class AA"


def test_no_ashrae_class_when_rh_reaches_75_percent() -> None:
    # given RH at 80 % half the time: even class D (RH below 75 %) fails
    rh = hourly(np.tile([50.0, 80.0], 48))
    metrics = summary({"temperature": constant(20.0, 4), "relative_humidity": rh})
    # then
    achieved = metrics.line("ashrae_class_achieved")
    assert (achieved.value, achieved.display) == (None, "none")


def test_mould_index_is_the_vtt_maximum() -> None:
    # given 40 days of 20 °C / 90 % RH, favourable for mould
    t, rh = constant(20.0, 40), constant(90.0, 40)
    # when
    metrics = summary({"temperature": t, "relative_humidity": rh})
    # then
    expected = science.vtt_mould_index(t.times, t.values, rh.values, "very_sensitive").max()
    line = metrics.line("mould_index_max")
    assert line.value == float(expected)
    assert line.value > 1.0  # M = 1.04 after 30 days (science docstring)
    assert line.display == format_number(float(expected), 2)


def test_light_dose_annualised_against_the_limit() -> None:
    # given 100 lx for 10 days and 30 µW/lm of UV, against CIE 157 high responsivity
    lux, uv = constant(100.0, 10), constant(30.0, 10)
    # when
    metrics = summary({"illuminance": lux, "uv": uv}, PRESETS["CIE157-HIGH"])
    # then 100 lx × 240 h; a year is 8766 h
    dose = metrics.line("light_dose")
    assert (dose.value, dose.display, dose.note) == (24_000.0, "24,000 lx·h", "based on 10.0 days")
    annual = metrics.line("light_dose_annual")
    assert (annual.value, annual.display) == (876_600.0, "876,600 lx·h per year")
    assert annual.note == ("limit 15,000 lx·h per year: exceeded; extrapolated from 10.0 days")
    highest = metrics.line("illuminance_max")
    assert (highest.value, highest.note) == (
        100.0,
        "limit 50 lx: exceeded; 0.0 % of the time within it",
    )
    assert (metrics.line("uv_max").value, metrics.line("uv_max").note) == (
        30.0,
        "limit 75 µW/lm: met",
    )


def test_rows_without_enough_data_say_why() -> None:
    # given 12 hours of temperature, one RH reading and no light
    t = constant(20.0, 0.5)
    rh = hourly([50.0])
    # when
    metrics = summary({"temperature": t, "relative_humidity": rh}, PRESETS["BIZOT-2014"])
    # then
    line = metrics.line
    assert line("temperature_mean").value == 20.0
    assert (line("temperature_change_24h_max").value, line("temperature_change_24h_max").note) == (
        None,
        "needs at least one day of readings",
    )
    assert (line("relative_humidity_mean").display, line("relative_humidity_mean").note) == (
        "—",
        "needs at least two readings",
    )
    assert line("twpi").note == "needs at least two readings"
    assert line("light_dose").note == "no illuminance readings"
    assert line("uv_max").note == "no UV readings"
    missing = [row.code for row in metrics.lines if row.value is None]
    assert missing == [
        code for code in METRIC_CODES if code not in {"temperature_mean", "temperature_min",
                                                      "temperature_max", "temperature_in_band"}
    ]  # fmt: skip


def test_en15757_needs_more_than_thirty_days() -> None:
    metrics = summary({"relative_humidity": constant(50.0, 20)})
    line = metrics.line("en15757_in_band")
    assert (line.value, line.note) == (None, "needs more than 30 days of readings")


def test_spec_rows_without_a_specification_or_its_limit() -> None:
    series = {"temperature": constant(20.0, 3), "relative_humidity": constant(50.0, 3)}
    without = summary(series, None)
    assert without.line("temperature_in_band").note == "no specification"
    assert without.line("ashrae_class_compliance").note == "no specification"
    metal = summary(series, PRESETS["CN-METAL"])  # RH band, no temperature band
    assert metal.line("temperature_in_band").note == "the specification sets no temperature band"
    assert metal.line("relative_humidity_in_band").value == 0.0
    assert metal.line("ashrae_class_compliance").note == "the specification is not an ASHRAE class"


def test_temperature_and_humidity_at_different_times_are_not_paired() -> None:
    t = constant(20.0, 2)
    rh = hourly(np.full(48, 50.0), start=T0 + 1800.0)
    metrics = summary({"temperature": t, "relative_humidity": rh})
    assert metrics.line("twpi").note == "temperature and RH were not read at the same times"
    assert metrics.line("relative_humidity_mean").value == 50.0


def test_partly_shared_times_use_the_shared_readings() -> None:
    # given RH logged for the first 24 of 48 temperature hours
    t = hourly([20.0] * 24 + [30.0] * 24)
    rh = hourly([50.0] * 24)
    # when
    metrics = summary({"temperature": t, "relative_humidity": rh})
    # then only 20 °C readings pair with RH
    assert metrics.line("dew_point_max").value == science.dew_point(20.0, 50.0)


def test_datetime64_times_give_the_same_rows() -> None:
    seconds = constant(21.0, 3)
    as_datetime = QuantitySeries(
        times=(np.asarray(seconds.times) * 1e9).astype("datetime64[ns]"), values=seconds.values
    )
    rh = constant(45.0, 3)
    rh64 = QuantitySeries(times=as_datetime.times, values=rh.values)
    a = summary({"temperature": seconds, "relative_humidity": rh})
    b = summary({"temperature": as_datetime, "relative_humidity": rh64})
    assert a.lines == b.lines


def test_wood_species_is_named_in_the_note() -> None:
    series = {"temperature": constant(20.0, 2), "relative_humidity": constant(50.0, 2)}
    metrics = summary(series, wood_species="Pinus massoniana")
    assert metrics.line("emc_wood_min").note == (
        "USDA FPL equation, average for wood; Pinus massoniana may differ from the average"
    )


def test_invalid_readings_raise() -> None:
    with pytest.raises(ValueError, match=r"relative_humidity\[1\] = 104.0 is outside 0–100 %"):
        summary({"relative_humidity": hourly([50.0, 104.0, 50.0])})
    with pytest.raises(ValueError, match=r"illuminance\[0\] = -1.0 is not a finite value >= 0"):
        summary({"illuminance": hourly([-1.0, 0.0])})


def test_format_number_rounds_and_localizes() -> None:
    with translation.override("en"):
        assert format_number(12_345.678, 1) == "12,345.7"  # Django alone would cut to .6
        assert format_number(-0.04, 1) == "0.0"
        assert format_number(2.5, 0) == "2"  # half to even
    with translation.override("zh-hans"):
        assert format_number(12_345.678, 1) == "12345.7"
