"""Strategies for one object, ranked by the risk they remove (pure: no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from taihe.modules.conservation.materials import load_rule_base
from taihe.modules.conservation.risk.assessment import assess_object, summarise_hourly
from taihe.modules.conservation.risk.strategies import strategies_for

RULES = load_rule_base()
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def place(
    location_id: int, *, rh: Any = 50.0, lux: float = 0.0, lit_hours: int = 8
) -> dict[str, Any]:
    """30 days of hourly means at 20 °C: RH constant (or ``rh(hour starts)``), ``lux`` for
    the first ``lit_hours`` of each day, dark otherwise."""
    end = START + dt.timedelta(days=30)
    times = np.arange(int(START.timestamp()), int(end.timestamp()), 3600)
    quantities = {
        "temperature": (times, np.full(times.size, 20.0)),
        "relative_humidity": (times, rh(times) if callable(rh) else np.full(times.size, rh)),
    }
    if lux:
        quantities["illuminance"] = (times, np.where((times // 3600) % 24 < lit_hours, lux, 0.0))
    summary = summarise_hourly({"S1": quantities}, start=START, end=end)
    summary["location_id"] = location_id
    return summary


def damp(times: np.ndarray) -> np.ndarray:
    """RH spread evenly over 60–70 % (p5 60, p95 70)."""
    return 60 + 10 * ((times // 3600) % 11) / 10


def plan(materials: list[str], summary: dict[str, Any], **more: Any) -> list[dict[str, Any]]:
    risks = assess_object(materials, RULES, summary)
    return strategies_for(1, materials, RULES, summary, risks, **more)


def ranking(strategies: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    return [(s["ref"], s["reduction"], s["score_after"]) for s in strategies]


def test_a_watercolour_in_a_bright_gallery_is_moved_to_the_dark_store_first() -> None:
    # given a watercolour (BW2, 50 lx, 15,000 lx·h a year) lit at 300 lx for 10 h a day:
    # 300 × 10 × 365.25 = 1,095,750 lx·h a year, a fade in under a year (light score 1)
    gallery = place(1, lux=300.0, lit_hours=10)
    assert gallery["light"]["annual_lux_hours"] == 1_095_750.0
    store = place(2)
    # when its strategies are planned with the dark store as a candidate
    strategies = plan(["watercolour"], gallery, candidates=[store])
    # then moving removes the most: only the unmeasured pests (high × 0.3) remain
    assert ranking(strategies) == [
        ("move:2", 0.7, 0.3),
        # rotate: 15,000 lx·h a year → 1 Mlx·h/15,000 = 66.7 years → 1 − log10(66.7)/3
        ("rotate", 0.608, 0.392),
        # 50 lx instead of 300: 182,625 lx·h → 5.48 years → 1 − log10(5.48)/3 = 0.7539
        ("reduce_lux", 0.2461, 0.7539),
    ]
    move = strategies[0]
    assert move["parameters"] == {"location_id": 2, "top_agent_after": "light"}
    assert move["action"] == {"kind": "request", "process": "object_movement"}
    assert move["reasons"][0]["numbers"]["score_before"] == 1.0
    assert strategies[2]["parameters"] == {"lux_max": 50.0, "annual_lux_hours_after": 182_625.0}


def test_rotation_months_come_from_the_annual_dose_and_the_budget() -> None:
    # given silk (budget 15,000 lx·h) at its 50 lx limit 8 h a day: 146,100 lx·h a year
    gallery = place(1, lux=50.0, lit_hours=8)
    assert gallery["light"]["annual_lux_hours"] == 146_100.0
    # when planned
    strategies = plan(["silk"], gallery)
    # then it is shown 15,000/146,100 of the year: 1.23 months (1.2, rounded down), 37.5
    # days (37); reducing lux is not offered, the lux already meets the limit
    assert [s["key"] for s in strategies] == ["rotate"]
    rotate = strategies[0]
    assert rotate["parameters"] == {
        "months_on_display": 1.2,
        "days_on_display": 37,
        "annual_lux_hours_max": 15_000.0,
    }
    # BW1 assumed (300,000 lx·h per JNF): 2.05 years before → 0.8958, 20 years after → 0.5663
    assert (rotate["reduction"], rotate["score_after"]) == (0.3295, 0.5663)
    assert rotate["reasons"] == [
        {
            "code": "rotate.budget",
            "numbers": {
                "annual_lux_hours": 146_100.0,
                "annual_lux_hours_max": 15_000.0,
                "months_on_display": 1.2,
                "days_on_display": 37,
            },
        }
    ]


def test_unfiltered_uv_adds_a_uv_filter() -> None:
    # given the same silk under 400 µW/lm of UV (unfiltered: above 75 µW/lm)
    gallery = place(1, lux=50.0, lit_hours=8)
    gallery["uv"] = {"mean_uw_per_lm": 400.0, "max_uw_per_lm": 400.0}
    # when planned
    strategies = plan(["silk"], gallery)
    # then filtering UV to the rule's 10 µW/lm brings the score back to the filtered 0.8958
    assert ranking(strategies) == [("rotate", 0.3295, 0.6112), ("uv_filter", 0.0449, 0.8958)]
    assert strategies[1]["parameters"] == {"uv_max_uw_per_lm": 10.0}


def test_a_bronze_in_damp_gets_a_case_at_the_rules_target_rh() -> None:
    # given a bronze (RH 0–40 %) in a room at 60–70 % RH: critical RH score 1
    room = place(3, rh=damp)
    # when planned
    strategies = plan(["bronze"], room)
    # then a silica-gel case at the middle of the rule's band, 20 %, leaves only pollutants
    assert ranking(strategies) == [("microclimate", 0.7, 0.3)]
    case = strategies[0]
    assert case["agent"] == "critical_rh"
    assert case["parameters"] == {
        "target_rh_percent": 20.0,
        "rh_min_percent": 0.0,
        "rh_max_percent": 40.0,
        "buffer": "silica_gel",
    }
    assert case["reasons"][0]["numbers"]["rh_p95_percent"] == 70.0
    assert "thomson1986" in case["sources"]


def test_an_equipment_fault_at_the_place_is_named_in_fix_equipment() -> None:
    # given the damp room with an open dehumidifier fault and a sensor fault
    room = place(3, rh=damp)
    fault = {
        "id": 5,
        "sensor_code": "G1-CASE3",
        "kind": "control_loss",
        "quantity": "relative_humidity",
        "cause": "equipment",
        "score": 1.6,
        "started_at": "2025-01-10T00:00:00+00:00",
    }
    stuck = {**fault, "id": 6, "kind": "flatline", "cause": "sensor"}
    # when planned
    strategies = plan(["bronze"], room, anomalies=[fault, stuck])
    # then only the equipment fault is to be fixed, through a repair request
    assert ranking(strategies) == [("microclimate", 0.7, 0.3), ("fix_equipment:5", 0.7, 0.3)]
    fix = strategies[1]
    assert fix["parameters"] == {
        "anomaly_id": 5,
        "sensor_code": "G1-CASE3",
        "kind": "control_loss",
        "quantity": "relative_humidity",
        "started_at": "2025-01-10T00:00:00+00:00",
    }
    assert fix["action"] == {"kind": "request", "process": "repair"}


def test_pests_on_top_give_ipm_and_pollutants_on_top_an_oddy_tested_case() -> None:
    # given silk in a dark room at 55 % RH (pests high × 0.3 inferred, pollutants medium ×
    # 0.3), and silver with no readings at all (pollutants high, the rest low: 0.3 × 0.3)
    dark = place(1, rh=55.0)
    dark["light"] = {"annual_lux_hours": 0.0, "max_lux": 0.0}
    silk = plan(["silk"], dark)
    silver = plan(["silver"], {})
    # then IPM removes the pests' 0.3 down to the pollutants' 0.18; silver needs a
    # sulfur-free case (down to its damp, critical RH and temperature 0.09)
    assert ranking(silk) == [("ipm", 0.12, 0.18)]
    assert ranking(silver) == [("oddy_case", 0.21, 0.09)]
    assert silver[0]["parameters"] == {"materials": ["silver"], "sulfur_free": True}


def test_a_candidate_no_better_and_the_objects_own_place_are_not_moves() -> None:
    gallery = place(1, lux=300.0, lit_hours=10)
    also_bright = place(4, lux=300.0, lit_hours=10)
    strategies = plan(["watercolour"], gallery, candidates=[gallery, also_bright])
    assert [s["key"] for s in strategies] == ["rotate", "reduce_lux"]


def test_nothing_at_risk_and_unknown_materials_give_no_strategies() -> None:
    assert plan(["kryptonite"], place(1)) == []
    assert plan([], place(1)) == []
    # a tie on top: removing the pests leaves light, damp and critical RH at 0.3
    assert plan(["silk"], {}) == []
