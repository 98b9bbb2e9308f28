"""Risk per agent from hand-built climate summaries (pure: no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from taihe.modules.conservation.materials import load_rule_base
from taihe.modules.conservation.risk.assessment import assess_object, summarise_hourly
from taihe.modules.conservation.science import years_to_just_noticeable_fade

RULES = load_rule_base()
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def hourly_summary(
    *,
    days: int = 30,
    t_c: float = 20.0,
    rh: Any = 50.0,
    lux_day: float = 0.0,
    lux_hours_a_day: int = 8,
) -> dict[str, Any]:
    end = START + dt.timedelta(days=days)
    times = np.arange(int(START.timestamp()), int(end.timestamp()), 3600)
    rh_values = rh(times) if callable(rh) else np.full(times.size, float(rh))
    quantities = {
        "temperature": (times, np.full(times.size, t_c)),
        "relative_humidity": (times, rh_values),
    }
    if lux_day:
        lux = np.where((times // 3600) % 24 < lux_hours_a_day, lux_day, 0.0)
        quantities["illuminance"] = (times, lux)
    return summarise_hourly({"S1": quantities}, start=START, end=end)


def risk(result: dict[str, Any], agent: str) -> dict[str, Any]:
    return next(item for item in result["risks"] if item["agent"] == agent)


def test_silk_in_150_lux_for_3000_hours_fades_as_the_science_function_says() -> None:
    # given a silk textile lit at 150 lx for 3,000 h a year (Blue Wool 1 assumed: CIE high)
    summary = {"light": {"annual_lux_hours": 450_000.0, "max_lux": 150.0}}
    # when it is assessed
    result = assess_object(["silk"], RULES, summary)
    # then the years to a just-noticeable fade are the science library's, and light is high
    light = risk(result, "light")
    expected = float(years_to_just_noticeable_fade(450_000.0, 1))
    assert light["numbers"]["years_to_jnf"] == round(expected, 3) == 0.667
    assert light["numbers"]["blue_wool"] == 1 and light["numbers"]["blue_wool_inferred"]
    assert (light["level"], light["score"], light["confidence"]) == ("high", 1.0, "inferred")
    assert light["rule"] == {
        "material": "silk",
        "field": "sensitivity.light.level",
        "value": "high",
    }
    assert result["top_agent"] == "light" and result["score"] == 1.0


def test_watercolour_light_uses_its_blue_wool_class() -> None:
    result = assess_object(
        ["watercolour"], RULES, {"light": {"annual_lux_hours": 15_000.0, "max_lux": 50.0}}
    )
    light = risk(result, "light")
    # BW2: 1 Mlx·h / 15 klx·h = 66.667 years; hazard 1 − log10(66.667)/3 = 0.392
    assert light["numbers"]["years_to_jnf"] == 66.667
    assert light["score"] == 0.392 and light["level"] == "medium"
    assert light["rule"] == {"material": "watercolour", "field": "bands.blue_wool", "value": 2}


def test_bronze_at_rh_p95_55_against_rh_max_40_is_high_critical_rh() -> None:
    # given a year where RH is evenly spread 45–55 % (p95 about 54.5 %)
    summary = hourly_summary(rh=lambda t: 45 + 10 * ((t // 3600) % 11) / 10)
    assert summary["rh"]["p95"] == 55.0
    # when a bronze (rh_max 40 %) is assessed
    critical = risk(assess_object([{"key": "bronze"}], RULES, summary), "critical_rh")
    # then all the time is above its limit: corrosion, high
    assert critical["measure"] == "critical_rh.corrosion"
    assert critical["numbers"] == {
        "rh_share_above_limit": 1.0,
        "rh_p95_percent": 55.0,
        "rh_max_percent": 40.0,
    }
    assert (critical["level"], critical["score"]) == ("high", 1.0)
    assert critical["rule"] == {"material": "bronze", "field": "bands.rh_max", "value": 40.0}


def test_damp_store_scores_mould_and_share_above_75() -> None:
    summary = hourly_summary(days=60, rh=90.0)
    damp = risk(assess_object(["paper"], RULES, summary), "damp_mould")
    assert summary["rh_share_above_75"] == 1.0
    assert damp["numbers"]["rh_share_above_75"] == 1.0
    assert damp["numbers"]["mould_class"] == "sensitive"
    assert (damp["level"], damp["score"]) == ("high", 1.0)


def test_unmeasured_agents_are_inferred_and_capped_at_medium() -> None:
    pests = risk(assess_object(["wool"], RULES, None), "pests")
    assert pests == {
        **pests,
        "measure": "pests.not_measured",
        "score": 0.3,
        "level": "medium",
        "confidence": "inferred",
    }


def test_material_without_key_names_its_index() -> None:
    with pytest.raises(ValueError, match=r"materials\[1\]"):
        assess_object(["silk", {"confidence": 1}], RULES, None)


def test_summary_light_dose_is_scaled_to_a_year() -> None:
    summary = hourly_summary(lux_day=150.0)
    # 150 lx × 8 h a day = 1,200 lx·h a day over 720 h → × 8,766 h a year / 720 h
    assert summary["light"]["annual_lux_hours"] == round(1200 * 30 / 720 * 8766, 1)
    assert summary["light"]["max_lux"] == 150.0
