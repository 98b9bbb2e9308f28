"""Every validation error names the problem and the index (issue 3 contract)."""

import numpy as np
import pytest

from taihe.modules.conservation import science as s

HOUR = 3600.0
T = np.arange(10) * HOUR
TEMP = np.full(10, 20.0)
RH = np.full(10, 50.0)


def with_value(a, i, x):
    b = a.copy()
    b[i] = x
    return b


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: s.dew_point(20.0, [50.0, 104.0]), r"rh\[1\] = 104.0 is outside 0–100 %"),
        (lambda: s.emc_wood(20.0, -1.0), r"rh\[0\] = -1.0 is outside 0–100 %"),
        (lambda: s.preservation_index([20.0, np.nan], 50.0), r"t_c\[1\] = nan is not a number"),
        (lambda: s.absolute_humidity(20.0, [50.0, np.nan]), r"rh\[1\] = nan is not a number"),
        (lambda: s.saturation_vapour_pressure(np.inf), r"t_c\[0\] = inf is not a finite"),
        (lambda: s.saturation_vapour_pressure(-300.0), r"t_c\[0\] = -300.0 .*absolute zero"),
        (
            lambda: s.emc_wood([[20.0, 20.0], [20.0, 20.0]], [[50.0, 50.0], [50.0, 101.0]]),
            r"rh\[1, 1\] = 101.0",
        ),
        (lambda: s.dew_point([1.0, 2.0], [50.0, 50.0, 50.0]), r"mismatched shapes"),
        (lambda: s.mixing_ratio(20.0, 50.0, pressure_pa=1000.0), r"pressure_pa\[0\]"),
        (lambda: s.mixing_ratio(20.0, 50.0, pressure_pa=np.nan), r"pressure_pa\[0\] = nan"),
        (lambda: s.twpi(T, TEMP, with_value(RH, 7, 104.0)), r"rh\[7\] = 104.0"),
        (lambda: s.twpi(T, with_value(TEMP, 3, np.nan), RH), r"t_c\[3\] = nan"),
        (lambda: s.twpi(with_value(T, 5, T[3]), TEMP, RH), r"times\[5\] .*earlier than times\[4\]"),
        (lambda: s.twpi(with_value(T, 5, T[4]), TEMP, RH), r"times\[5\] .*duplicates times\[4\]"),
        (lambda: s.twpi(T, TEMP[:-1], RH), r"mismatched lengths: t_c has shape \(9,\)"),
        (lambda: s.twpi(T, TEMP, RH[:, None]), r"mismatched lengths: rh"),
        (lambda: s.twpi(T[:1], TEMP[:1], RH[:1]), r"at least 2 readings"),
        (lambda: s.twpi(T[:, None], TEMP, RH), r"one-dimensional"),
        (lambda: s.twpi(np.array(["a"] * 10), TEMP, RH), r"datetime64 or POSIX seconds"),
        (lambda: s.twpi(with_value(T, 2, np.nan), TEMP, RH), r"times\[2\] = nan"),
        (lambda: s.twpi(T, TEMP, RH, max_gap=-1.0), r"max_gap"),
        (lambda: s.light_exposure(T, with_value(RH, 2, -5.0)), r"lux\[2\] = -5.0"),
        (lambda: s.vtt_mould_index(T, TEMP, RH, sensitivity="wood"), r"unknown sensitivity"),
        (lambda: s.vtt_mould_index(T, TEMP, RH, decline=-1.0), r"decline"),
        (lambda: s.ashrae_compliance(T, TEMP, RH, "Z"), r"unknown climate_class 'Z'"),
        (lambda: s.years_to_just_noticeable_fade(1e5, 9), r"blue_wool\[0\] = 9.0"),
        (lambda: s.years_to_just_noticeable_fade(-1.0, 3), r"annual_lux_hours\[0\] = -1.0"),
        (lambda: s.cie157_category(0), r"blue_wool = 0"),
        (lambda: s.lifetime_multiplier(20.0, 50.0, ea_j_per_mol=0.0), r"ea_j_per_mol"),
        (lambda: s.vtt_rh_critical("warm"), r"t_c must be numeric"),
    ],
)
def test_invalid_input_raises_value_error_naming_problem_and_index(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_nat_timestamps_are_rejected():
    times = np.datetime64("2024-01-01") + np.arange(10) * np.timedelta64(1, "h")
    times[4] = np.datetime64("NaT")
    with pytest.raises(ValueError, match=r"times\[4\] is NaT"):
        s.twpi(times, TEMP, RH)


def test_timedelta_max_gap_is_accepted():
    times = np.array([0, 1, 2, 5, 6], dtype=float) * HOUR
    gap3h = s.series_coverage(times, max_gap=np.timedelta64(3, "h"))
    gap2h = s.series_coverage(times)
    assert gap3h == 1.0
    assert gap2h == pytest.approx(5.0 / 7.0)


@pytest.mark.parametrize("n", [2, 3, 1000, 32768, 32769, 32770, 70000])
def test_step_range_is_min_and_max_of_the_differences(monkeypatch, n):
    from taihe.modules.conservation.science import _validation

    rng = np.random.default_rng(n)
    for ticks in (np.cumsum(rng.integers(1, 9, n)), np.cumsum(rng.random(n) + 0.1)):
        for block in (1, 5, 32768):
            monkeypatch.setattr(_validation, "_STEP_BLOCK", block)
            steps = np.diff(ticks)
            assert _validation._step_range(ticks) == (steps.min(), steps.max())
