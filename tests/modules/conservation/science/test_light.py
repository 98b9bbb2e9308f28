"""Light dose and fading (CIE 157:2004, Michalski; conservation.md §5)."""

import numpy as np
import pytest

from taihe.modules.conservation.science import (
    CIE157_CATEGORIES,
    cie157_category,
    light_exposure,
    years_to_just_noticeable_fade,
)

HOUR = 3600.0


@pytest.mark.parametrize(
    ("bw", "name", "lux", "annual"),
    [(1, "high", 50, 15_000), (3, "high", 50, 15_000), (4, "medium", 50, 150_000),
     (6, "medium", 50, 150_000), (7, "low", 200, 600_000), (8, "low", 200, 600_000)],
)  # fmt: skip
def test_cie157_limits(bw, name, lux, annual):
    cat = cie157_category(bw)
    assert cat.name == name
    assert cat.max_illuminance_lux == lux
    assert cat.max_annual_exposure_lux_hours == annual


def test_irresponsive_category_has_no_light_limit():
    cat = CIE157_CATEGORIES["irresponsive"]
    assert cat.max_illuminance_lux == np.inf
    assert cat.to_dict()["max_illuminance_lux"] is None


def test_conservation_md_example_bw1_uv_rich_at_50_lux():
    # 50 lx, 8 h/day, 365.25 days → 146 100 lx·h/yr; BW1 UV-rich 0.22 Mlx·h → 1.51 years
    assert years_to_just_noticeable_fade(146_100, 1, uv_filtered=False) == pytest.approx(
        1.506, abs=0.001
    )


@pytest.mark.parametrize(
    ("bw", "mlxh"), [(1, 0.3), (2, 1), (3, 3), (4, 10), (5, 30), (6, 100), (7, 300), (8, 1000)]
)
def test_michalski_jnf_doses_uv_filtered(bw, mlxh):
    assert years_to_just_noticeable_fade(1e6, bw) == pytest.approx(mlxh)


def test_uv_rich_assumed_factor_for_bw2_to_8():
    assert years_to_just_noticeable_fade(1e6, 4, uv_filtered=False) == pytest.approx(7.0)


def test_cci_ranges_at_50_lux_3000_hours():
    # CCI: high responsivity 1.5–20 years at 50 lx; 150 000 lx·h/yr
    years = years_to_just_noticeable_fade(150_000, np.array([1, 3]))
    assert years[0] == pytest.approx(2.0)
    assert years[1] == pytest.approx(20.0)


def test_zero_exposure_never_fades():
    assert years_to_just_noticeable_fade(0.0, 5) == np.inf


def test_light_exposure_constant_50_lux_for_a_day():
    times = np.arange(24) * HOUR
    assert light_exposure(times, np.full(24, 50.0)) == pytest.approx(1200.0)


def test_light_exposure_does_not_bridge_gaps():
    # Given lights on at 100 lx, logged hourly, with a 5-hour hole in the log
    times = np.array([0, 1, 2, 8, 9], dtype=float) * HOUR
    dose = light_exposure(times, np.full(5, 100.0))
    # Then each reading counts one hour: 500 lx·h, not 900
    assert dose == pytest.approx(500.0)


def test_light_exposure_weights_irregular_intervals():
    times = np.array([0.0, 0.5, 2.0, 2.5]) * HOUR
    lux = np.array([100.0, 0.0, 200.0, 0.0])
    assert light_exposure(times, lux, max_gap=2 * HOUR) == pytest.approx(50.0 + 100.0)
