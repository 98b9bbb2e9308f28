"""Psychrometrics against ASHRAE tables and the worked values of conservation.md §6.1."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from taihe.modules.conservation.science import (
    absolute_humidity,
    dew_point,
    mixing_ratio,
    saturation_vapour_pressure,
)

temps = st.floats(-40.0, 60.0)
rhs = st.floats(0.5, 100.0)


@pytest.mark.parametrize(
    ("t_c", "ashrae_pa"),
    [(5.0, 872.6), (25.0, 3169.7), (50.0, 12351.3)],
)
def test_saturation_pressure_matches_ashrae_table_within_magnus_accuracy(t_c, ashrae_pa):
    # Given ASHRAE Handbook—Fundamentals 2017 ch. 1 Table 3 (via psychrolib's tests)
    # When the Sonntag/WMO Magnus form is evaluated
    value = saturation_vapour_pressure(t_c)
    # Then it agrees within the documented ~0.3 % between 0 and 50 °C
    assert value == pytest.approx(ashrae_pa, rel=0.0031)


def test_saturation_pressure_at_25c_is_the_magnus_value():
    assert saturation_vapour_pressure(25.0) == pytest.approx(3160.06, abs=0.01)


def test_below_zero_uses_water_not_ice_as_wmo_defines_rh():
    # ASHRAE tabulates 401.74 Pa over ice at −5 °C; over supercooled water it is 421.7 Pa.
    value = saturation_vapour_pressure(-5.0)
    assert value == pytest.approx(421.7, rel=0.003)
    assert value > 401.74 * 1.04


def test_worked_values_at_20c_50pc():
    assert dew_point(20.0, 50.0) == pytest.approx(9.26, abs=0.005)
    assert absolute_humidity(20.0, 50.0) == pytest.approx(8.62, abs=0.005)
    assert mixing_ratio(20.0, 50.0) == pytest.approx(7.24, abs=0.005)


def test_saturation_mixing_ratio_at_25c_close_to_ashrae():
    # ASHRAE: 0.020173 kg/kg (Hyland–Wexler with enhancement factor); Magnus is ~0.75 % lower.
    assert mixing_ratio(25.0, 100.0) == pytest.approx(20.173, rel=0.01)


def test_mixing_ratio_rises_as_pressure_falls():
    assert mixing_ratio(20.0, 50.0, 80_000.0) > mixing_ratio(20.0, 50.0)


def test_scalar_in_float_out_and_arrays_broadcast():
    assert isinstance(dew_point(20.0, 50.0), float)
    out = dew_point(np.array([[10.0], [20.0]]), np.array([40.0, 60.0, 80.0]))
    assert isinstance(out, np.ndarray)
    assert out.shape == (2, 3)
    assert out[1, 1] == pytest.approx(dew_point(20.0, 60.0))


def test_dew_point_at_zero_rh_is_the_magnus_limit_not_nan():
    assert dew_point(20.0, 0.0) == pytest.approx(-243.12)


@given(temps)
def test_dew_point_at_saturation_equals_air_temperature(t):
    assert dew_point(t, 100.0) == pytest.approx(t, abs=1e-9)


@given(temps, rhs)
def test_dew_point_inverts_to_the_same_rh(t, rh):
    td = dew_point(t, rh)
    # RH = 100 · e_s(Td)/e_s(T) (conservation.md §6.1)
    back = 100.0 * saturation_vapour_pressure(td) / saturation_vapour_pressure(t)
    assert back == pytest.approx(rh, rel=1e-9)
    assert td <= t + 1e-9


@given(temps, st.floats(0.0, 99.0))
def test_absolute_humidity_increases_with_rh(t, rh):
    assert absolute_humidity(t, rh + 1.0) > absolute_humidity(t, rh)
