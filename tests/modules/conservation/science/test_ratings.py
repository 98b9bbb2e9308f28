"""IPI-style ratings (conservation.md §1) and JSON serialisation of results."""

import json

import numpy as np
import pytest

from taihe.modules.conservation.science import en15757_band, ipi_ratings, preservation_index

HOUR = 3600.0


def constant_year(t_c, rh, step_h=6.0):
    times = np.arange(0, 365 * 24, step_h) * HOUR
    return times, np.full(times.size, t_c), np.full(times.size, rh)


@pytest.mark.parametrize(
    ("t_c", "rh", "level"), [(10.0, 40.0, "good"), (20.0, 40.0, "ok"), (25.0, 50.0, "risk")]
)
def test_natural_ageing_thresholds(t_c, rh, level):
    result = ipi_ratings(*constant_year(t_c, rh))
    assert result.natural_ageing.rating == level
    assert result.natural_ageing.value == pytest.approx(preservation_index(t_c, rh), rel=1e-12)


@pytest.mark.parametrize(
    ("rh", "mechanical", "metal"),
    [(25.0, "good", "good"), (40.0, "good", "ok"), (60.0, "good", "risk"),
     (20.0, "risk", "good"), (75.0, "risk", "risk")],
)  # fmt: skip
def test_emc_based_ratings(rh, mechanical, metal):
    # EMC at 20 °C: 25 % → 5.4, 40 % → 7.7, 60 % → 11.0, 20 % → 4.6, 75 % → 14.7
    result = ipi_ratings(*constant_year(20.0, rh))
    assert result.mechanical.rating == mechanical
    assert result.metal_corrosion.rating == metal
    assert result.mechanical.value == pytest.approx(0.0, abs=1e-9)


def test_mould_rating_in_damp_store_is_risk():
    result = ipi_ratings(*constant_year(22.0, 92.0))
    assert result.mould.rating == "risk"
    assert result.mould.value > 1.0


def test_mould_rating_in_dry_gallery_is_good():
    result = ipi_ratings(*constant_year(20.0, 50.0))
    assert result.mould.rating == "good"
    assert result.mould.value == 0.0


def test_lag_smooths_short_rh_spikes_out_of_the_emc_range():
    # Given a steady 50 % with one day at 70 % in the middle of the year
    times, t, rh = constant_year(20.0, 50.0, step_h=1.0)
    rh = rh.copy()
    rh[4000:4024] = 70.0
    result = ipi_ratings(times, t, rh)
    # Then the 30-day RH lag keeps max EMC far below the instantaneous 13.1 %
    assert result.mechanical.numbers["max_emc"] < 9.6
    assert result.mechanical.rating == "good"


def test_to_dict_is_plain_json():
    times, t, rh = constant_year(20.0, 50.0, step_h=1.0)
    data = ipi_ratings(times, t, rh).to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["natural_ageing"]["rating"] == "risk"


def test_en15757_to_dict_turns_nan_into_none():
    times, _, rh = constant_year(20.0, 50.0, step_h=1.0)
    data = en15757_band(times, rh).to_dict()
    json.dumps(data, allow_nan=False)
    assert data["moving_average"][0] is None
    assert data["moving_average"][24 * 20] == pytest.approx(50.0)
    assert isinstance(data["lower"], list)
