"""Environmental specifications: presets as data and compliance of series."""

from __future__ import annotations

import numpy as np
import pytest

from taihe.modules.conservation.specifications import (
    PRESETS,
    EnvironmentSpec,
    Excursion,
    QuantitySeries,
    band_result,
    compliance,
)

HOUR = 3600.0


def hourly(values: list[float]) -> QuantitySeries:
    return QuantitySeries(times=np.arange(len(values)) * HOUR, values=np.array(values))


def test_presets_hold_the_published_bands() -> None:
    bizot = PRESETS["BIZOT-2014"]
    assert (bizot.t_min, bizot.t_max, bizot.rh_min, bizot.rh_max) == (16.0, 25.0, 40.0, 60.0)
    assert bizot.max_rh_change_24h == 10.0
    assert "⚠" in bizot.source
    pas = PRESETS["PAS198-2012"]
    assert (pas.t_min, pas.t_max, pas.rh_min, pas.rh_max) == (5.0, 25.0, 30.0, 65.0)
    bs = PRESETS["BS4971-2017"]
    assert (bs.t_min, bs.t_max, bs.rh_min, bs.rh_max) == (13.0, 23.0, 35.0, 60.0)
    aa = PRESETS["ASHRAE-AA"]
    assert (aa.t_min, aa.t_max, aa.rh_min, aa.rh_max, aa.ashrae_class) == (
        13.0, 27.0, 45.0, 55.0, "AA",
    )  # fmt: skip
    assert (PRESETS["ASHRAE-As"].rh_min, PRESETS["ASHRAE-As"].rh_max) == (35.0, 65.0)
    assert (PRESETS["ASHRAE-A"].rh_min, PRESETS["ASHRAE-A"].rh_max) == (40.0, 60.0)
    assert (PRESETS["ASHRAE-B"].rh_min, PRESETS["ASHRAE-B"].rh_max) == (30.0, 70.0)
    assert (PRESETS["ASHRAE-C"].rh_min, PRESETS["ASHRAE-C"].rh_max) == (25.0, 75.0)
    assert (PRESETS["ASHRAE-D"].rh_min, PRESETS["ASHRAE-D"].rh_max) == (None, 75.0)
    assert PRESETS["CN-PAPER-TEXTILE"].lux_max == 50.0
    assert PRESETS["CIE157-HIGH"].annual_lux_hours_max == 15_000.0
    for spec in PRESETS.values():
        assert set(spec.name) == {"en", "zh-Hans"}
        assert spec.source


def test_spec_rejects_inverted_band() -> None:
    with pytest.raises(ValueError, match="t_min = 25.0 is above t_max = 16.0"):
        EnvironmentSpec(code="X", name={"en": "x", "zh-Hans": "x"}, t_min=25.0, t_max=16.0)


def test_band_result_fraction_excursions_and_24h_change() -> None:
    # given RH hourly: 2 readings out high, 1 reading out low, 5 in band
    series = hourly([50, 50, 62, 64, 50, 50, 38, 50])
    # when
    result = band_result("relative_humidity", series, 40.0, 60.0, max_change_24h=20.0)
    # then
    assert result.fraction_in_band == 5 / 8
    assert result.excursions == (
        Excursion(2, 3, 2 * HOUR, 64.0),
        Excursion(6, 6, HOUR, 38.0),
    )
    assert (result.minimum, result.maximum) == (38.0, 64.0)
    assert result.change_24h_max == 26.0  # 64 - 38 within one day
    # the windows ending at readings 6 and 7 hold both 64 and 38
    assert result.change_24h_fraction == 6 / 8
    assert type(result.fraction_in_band) is float


def test_compliance_light_dose_and_ashrae() -> None:
    spec = PRESETS["CIE157-HIGH"]
    lux = hourly([0, 50, 100, 50])
    result = compliance(spec, {"illuminance": lux})
    assert result.light is not None
    assert result.light.lux_hours == 200.0
    assert result.light.fraction_within_lux_max == 3 / 4
    assert result.light.annual_lux_hours == pytest.approx(200.0 / 4 * 8766)
    assert result.light.annual_dose_within_limit is False
    assert (result.temperature, result.relative_humidity, result.ashrae) == (None, None, None)

    days = np.arange(0, 60 * 24) * HOUR
    t = QuantitySeries(days, np.full(days.shape, 20.0))
    rh = QuantitySeries(days, np.full(days.shape, 50.0))
    aa = compliance(PRESETS["ASHRAE-AA"], {"temperature": t, "relative_humidity": rh})
    assert aa.ashrae is not None and aa.ashrae.fraction_in_class == 1.0
    assert aa.temperature is not None and aa.temperature.fraction_in_band == 1.0
    assert aa.relative_humidity is not None and aa.relative_humidity.excursions == ()


def test_band_result_propagates_science_validation() -> None:
    with pytest.raises(ValueError, match="duplicates"):
        band_result("temperature", QuantitySeries([0.0, 0.0], [1.0, 2.0]), 0.0, 1.0)
