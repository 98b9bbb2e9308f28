"""Sentences for risks, strategies and reasons, in English and in Simplified Chinese."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.utils import translation

from taihe.modules.conservation.materials import load_rule_base
from taihe.modules.conservation.risk import describe
from taihe.modules.conservation.risk.assessment import AGENTS, assess_object, summarise_hourly
from taihe.modules.conservation.risk.strategies import strategies_for

RULES = load_rule_base()
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
LANGUAGES = ("en", "zh-hans")


def bright_gallery() -> dict[str, Any]:
    """30 days at 20 °C, 50 % RH, 300 lx for 10 h a day (1,095,750 lx·h a year)."""
    end = START + dt.timedelta(days=30)
    times = np.arange(int(START.timestamp()), int(end.timestamp()), 3600)
    quantities = {
        "temperature": (times, np.full(times.size, 20.0)),
        "relative_humidity": (times, np.full(times.size, 50.0)),
        "illuminance": (times, np.where((times // 3600) % 24 < 10, 300.0, 0.0)),
    }
    return summarise_hourly({"S1": quantities}, start=START, end=end)


def test_a_light_risk_and_its_strategies_read_with_their_numbers() -> None:
    # given a watercolour in the bright gallery
    summary = bright_gallery()
    risks = assess_object(["watercolour"], RULES, summary)
    strategies = strategies_for(1, ["watercolour"], RULES, summary, risks)
    # when described in English
    with translation.override("en"):
        light = describe.risk_text(risks["risks"][0])
        titles = [describe.strategy_title(s) for s in strategies]
        reasons = [describe.strategy_reasons(s) for s in strategies]
    # then every number is there, formatted
    assert light == (
        "1,095,750 lx·h a year (up to 300.0 lx): a just-noticeable fade in 0.91 years for "
        "Blue Wool 2."
    )
    assert titles == [
        "Rotate off display after 5 days a year (0.1 months)",
        "Reduce light to 50 lx",
    ]
    assert reasons == [
        [
            "1,095,750 lx·h a year against a budget of 15,000 lx·h: the budget is spent after "
            "5 days (0.1 months)."
        ],
        [
            "Light reaches 300.0 lx against a limit of 50 lx; 1,095,750 lx·h a year gives a "
            "just-noticeable fade in 0.91 years."
        ],
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_numbers_survive_in_every_language(language: str) -> None:
    summary = bright_gallery()
    risks = assess_object(["watercolour"], RULES, summary)
    strategies = strategies_for(1, ["watercolour"], RULES, summary, risks)
    with translation.override(language):
        text = describe.risk_text(risks["risks"][0])
        reasons = describe.strategy_reasons(strategies[0])
        name = describe.material_name("watercolour", RULES)
    assert "1,095,750" in text and "0.91" in text
    assert "15,000" in reasons[0] and "0.1" in reasons[0]
    assert name == {"en": "watercolour", "zh-hans": "水彩"}[language]


def every_risk_item() -> list[dict[str, Any]]:
    """One item for every measure code: each agent's measured forms and its unmeasured one."""
    measures = [
        "light.years_to_jnf",
        "damp_mould.mould_index",
        "rh_fluctuation.range_24h",
        "rh_fluctuation.emc",
        "critical_rh.corrosion",
        "critical_rh.hydrolysis",
        "temperature.outside_band",
        "temperature.lifetime",
        *(f"{agent}.not_measured" for agent in AGENTS),
    ]
    numbers = {
        "annual_lux_hours": 1234.5,
        "max_lux": 80.0,
        "years_to_jnf": 3.25,
        "blue_wool": 3,
        "blue_wool_inferred": True,
        "mould_index_max": 1.5,
        "rh_share_above_75": 0.125,
        "rh_range_24h_p95_percent": 12.5,
        "max_rh_change_24h_percent": 10.0,
        "emc_min_percent": 4.5,
        "emc_max_percent": 13.0,
        "emc_safe_min_percent": 5.0,
        "emc_safe_max_percent": 12.5,
        "rh_max_percent": 40.0,
        "rh_share_above_limit": 0.5,
        "rh_p95_percent": 62.5,
        "t_max_c": 25.0,
        "t_min_c": 16.0,
        "t_share_above_max": 0.25,
        "t_share_below_min": 0.0,
        "t_mean_c": 24.0,
        "rh_mean_percent": 55.0,
        "lifetime_multiplier": 0.45,
        "sensitivity_weight": 1.0,
    }
    return [{"measure": code, "numbers": numbers} for code in measures]


def every_strategy() -> list[dict[str, Any]]:
    parameters = {
        "target_rh_percent": 20.0,
        "anomaly_id": 5,
        "sensor_code": "G1-CASE3",
        "kind": "control_loss",
        "lux_max": 50.0,
        "months_on_display": 1.2,
        "days_on_display": 37,
        "uv_max_uw_per_lm": 10.0,
        "sulfur_free": True,
    }
    numbers = {
        "score_before": 1.0,
        "score_after": 0.3,
        "rh_p5_percent": 60.0,
        "rh_p95_percent": 70.0,
        "rh_min_percent": 0.0,
        "rh_max_percent": 40.0,
        "target_rh_percent": 20.0,
        "mould_index_max": 0.5,
        "annual_lux_hours": 146_100.0,
        "annual_lux_hours_max": 15_000.0,
        "months_on_display": 1.2,
        "days_on_display": 37,
        "anomaly_id": 5,
        "max_lux": 300.0,
        "lux_max": 50.0,
        "years_to_jnf": 0.91,
        "uv_max_uw_per_lm_measured": 400.0,
        "uv_max_uw_per_lm": 10.0,
        "score": 0.3,
    }
    reasons = {
        "microclimate": "microclimate.rh",
        "fix_equipment": "fix_equipment.anomaly",
        "reduce_lux": "reduce_lux.limit",
        "rotate": "rotate.budget",
        "uv_filter": "uv_filter.measured",
        "ipm": "ipm.sensitivity",
        "oddy_case": "oddy_case.sensitivity",
    }
    return [
        {"key": key, "parameters": parameters, "reasons": [{"code": code, "numbers": numbers}]}
        for key, code in reasons.items()
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_measure_strategy_and_reason_has_a_sentence(language: str) -> None:
    with translation.override(language):
        risks = [describe.risk_text(item) for item in every_risk_item()]
        titles = [describe.strategy_title(s) for s in every_strategy()]
        reasons = [describe.strategy_reasons(s) for s in every_strategy()]
        empty = [describe.risk_text({"measure": item["measure"]}) for item in every_risk_item()]
    # no code falls through to the "unknown" sentence, and none is empty
    assert all(text and "Unknown measure" not in text for text in risks + empty)
    assert all(title and not title.startswith("Strategy ") for title in titles)
    assert all(len(found) == 1 and not found[0].startswith("Reason ") for found in reasons)
    # the numbers appear formatted: a percentage from a share, thousands separated
    assert "12.5" in risks[1] and "1,234" in risks[0]
    assert "146,100" in reasons[3][0] and "37" in reasons[3][0]
    assert "20" in titles[0] and "G1-CASE3" in titles[1]


def test_unknown_codes_say_so() -> None:
    with translation.override("en"):
        assert (
            describe.risk_text({"measure": "noise.decibels"}) == "Unknown measure noise.decibels."
        )
        assert describe.strategy_title({"key": "pray"}) == "Strategy pray"
        assert describe.strategy_reasons({"reasons": [{"code": "x.y"}]}) == ["Reason x.y."]
        assert describe.source_citation(RULES, "nowhere") == "Unknown source nowhere"
        assert describe.material_name("kryptonite", RULES) == "kryptonite"
    assert describe.source_citation(RULES, "cie157").startswith("CIE 157:2004")


def test_an_equipment_fix_names_the_anomaly_kind() -> None:
    with translation.override("en"):
        title = describe.strategy_title(
            {"key": "fix_equipment", "parameters": {"kind": "control_loss", "sensor_code": "S9"}}
        )
    assert title == "Fix the equipment: Equipment stopped controlling on sensor S9"


@pytest.mark.django_db
def test_a_move_is_titled_with_the_place_name(places: dict[str, Any]) -> None:
    move = {"key": "move", "parameters": {"location_id": places["gallery"].pk}}
    with translation.override("en"):
        assert describe.strategy_title(move) == "Move to Gallery 1"
    with translation.override("zh-hans"):
        assert "一号展厅" in describe.strategy_title(move)
