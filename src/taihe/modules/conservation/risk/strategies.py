"""Targeted preservation strategies for one object, ranked by the risk they remove.

Each strategy changes what the object would experience (another place's measured climate, a
case at a target RH, less light, UV filtered, an equipment fault fixed) and the object is
re-assessed with :func:`assessment.assess_object`; ``reduction`` is the fall of the object's
score (the max over agents). Pests and pollutants are not measured: IPM and inert cases
remove their inferred score. Pure: no database.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from taihe.modules.conservation.materials import RuleBase
from taihe.modules.conservation.materials.knowledge import Material
from taihe.modules.conservation.risk.assessment import (
    RH_GRID,
    _material_keys,
    assess_object,
)

CASE_RH_SPREAD = 2.0
"""A sealed case buffered with conditioned silica gel holds RH within about ±2 % of its
set point over a day (Thomson 1986, thomson1986; CCI, cci_rh): modelled as p5/p95 ± 2."""
MAX_CANDIDATES = 3
MONTHS_PER_YEAR = 12
DAYS_PER_YEAR = 365.25


def _materials(materials: Iterable[Any], rule_base: RuleBase) -> list[Material]:
    known = set(rule_base.material_keys)
    return [rule_base.material(key) for key in _material_keys(materials) if key in known]


def _score(keys: list[str], rule_base: RuleBase, summary: Mapping[str, Any]) -> float:
    return float(assess_object(keys, rule_base, summary)["score"])


def _strategy(
    key: str,
    agent: str,
    before: float,
    after: float,
    parameters: dict[str, Any],
    reasons: list[dict[str, Any]],
    sources: Iterable[str],
    kind: str = "task",
    process: str | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "ref": key,
        "agent": agent,
        "reduction": round(max(before - after, 0.0), 4),
        "score_after": round(after, 4),
        "parameters": parameters,
        "reasons": reasons,
        "sources": list(dict.fromkeys(sources)),
        "action": {"kind": kind, "process": process},
    }


def _rule_sources(materials: Sequence[Material], agent: str) -> list[str]:
    found: list[str] = []
    for material in materials:
        found.extend(material.sensitivity[agent].sources)
        for strategy in material.strategies:
            if strategy.agent == agent:
                found.extend(strategy.sources)
    return found


def _case_summary(summary: Mapping[str, Any], target: float) -> dict[str, Any]:
    """The place's summary as a buffered case at ``target`` % RH would see it."""
    inside = copy.deepcopy(dict(summary))
    low, high = target - CASE_RH_SPREAD, target + CASE_RH_SPREAD
    inside["rh"] = {"mean": target, "p5": low, "p95": high, "min": low, "max": high}
    # RH spread evenly between the two bounds.
    inside["rh_share_above"] = [
        1.0 if x < low else (0.0 if x >= high else round((high - x) / (high - low), 4))
        for x in RH_GRID
    ]
    inside["rh_share_above_75"] = 0.0 if high <= 75 else 1.0
    inside["rh_share_above_65"] = 0.0 if high <= 65 else 1.0
    inside["rh_range_24h_p95"] = 2 * CASE_RH_SPREAD
    if inside.get("mould_index_by_class") is not None and high < 75:
        inside["mould_index_by_class"] = dict.fromkeys(inside["mould_index_by_class"], 0.0)
        inside["mould_index_max"] = 0.0
    if inside.get("emc_wood") is not None:
        from taihe.modules.conservation.science import emc_wood

        t_mean = float((summary.get("t_c") or {}).get("mean") or 20.0)
        emc_low, emc_high = float(emc_wood(t_mean, low)), float(emc_wood(t_mean, high))
        inside["emc_wood"] = {
            "min": round(emc_low, 4),
            "max": round(emc_high, 4),
            "range": round(emc_high - emc_low, 4),
        }
    return inside


def _target_rh(materials: Sequence[Material]) -> tuple[float, float, float] | None:
    """The RH all materials accept (the overlap of their bands), its midpoint first."""
    low = max(material.bands.rh_min for material in materials)
    high = min(material.bands.rh_max for material in materials)
    if low > high:
        return None
    return round((low + high) / 2.0, 1), low, high


def _light_summary(
    summary: Mapping[str, Any], annual: float, max_lux: float | None, uv: float | None = None
) -> dict[str, Any]:
    changed = copy.deepcopy(dict(summary))
    changed["light"] = {
        **(summary.get("light") or {}),
        "annual_lux_hours": annual,
        "max_lux": max_lux,
    }
    if uv is not None and changed.get("uv"):
        changed["uv"] = {"mean_uw_per_lm": uv, "max_uw_per_lm": uv}
    return changed


def strategies_for(
    object_id: int,
    materials: Iterable[Any],
    rule_base: RuleBase,
    summary: Mapping[str, Any] | None,
    risks: Mapping[str, Any] | Sequence[Any],
    candidates: Sequence[Mapping[str, Any]] = (),
    anomalies: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Strategies for object ``object_id``, highest ``reduction`` first, only those that
    remove some risk.

    ``risks``: the :func:`assess_object` result for ``summary`` (or its ``risks`` list);
    ``candidates``: summaries of other places (each with ``location_id``); ``anomalies``:
    open equipment anomalies at the object's place, ``{id, sensor_code, kind, quantity,
    cause, started_at}``. Returns ``[{key, agent, reduction, score_after, parameters,
    reasons: [{code, numbers}], sources, action: {kind, process}}]``.

    Raises:
        ValueError: a material without a key.
    """
    del object_id  # part of the contract: callers log it; the computation does not need it
    found = _materials(materials, rule_base)
    keys = [material.key for material in found]
    summary = dict(summary or {})
    items = list(risks.get("risks", []) if isinstance(risks, Mapping) else risks)
    by_agent = {item["agent"]: item for item in items}
    before = max((float(item["score"]) for item in items), default=0.0)
    if not found or before <= 0:
        return []
    out: list[dict[str, Any]] = []
    here = summary.get("location_id")

    # Move to a place whose measured climate suits the materials.
    moves = []
    for candidate in candidates:
        place = candidate.get("location_id")
        if place is None or place == here or candidate.get("rh") is None:
            continue
        after_result = assess_object(keys, rule_base, candidate)
        after = float(after_result["score"])
        if after < before:
            rh = candidate.get("rh") or {}
            light = candidate.get("light") or {}
            moves.append(
                _strategy(
                    "move",
                    by_agent_top(items),
                    before,
                    after,
                    {"location_id": place, "top_agent_after": after_result["top_agent"]},
                    [
                        {
                            "code": "move.climate",
                            "numbers": {
                                "score_before": round(before, 4),
                                "score_after": round(after, 4),
                                "rh_p95_percent": rh.get("p95"),
                                "rh_p5_percent": rh.get("p5"),
                                "mould_index_max": candidate.get("mould_index_max"),
                                "annual_lux_hours": light.get("annual_lux_hours"),
                                "location_id": place,
                            },
                        }
                    ],
                    [*_rule_sources(found, by_agent_top(items))],
                    "request",
                    "object_movement",
                )
            )
    for move in moves:
        move["ref"] = f"move:{move['parameters']['location_id']}"
    moves.sort(key=lambda s: (-s["reduction"], s["parameters"]["location_id"]))
    out.extend(moves[:MAX_CANDIDATES])

    # Microclimate case with silica gel at the RH all materials accept.
    rh_agents = [
        a
        for a in ("damp_mould", "critical_rh", "rh_fluctuation")
        if a in by_agent and by_agent[a]["confidence"] == "measured" and by_agent[a]["score"] > 0
    ]
    target = _target_rh(found)
    if rh_agents and target is not None and summary.get("rh") is not None:
        case_rh, low, high = target
        inside = _case_summary(summary, case_rh)
        after = _score(keys, rule_base, inside)
        agent = max(rh_agents, key=lambda a: by_agent[a]["score"])
        out.append(
            _strategy(
                "microclimate",
                agent,
                before,
                after,
                {
                    "target_rh_percent": case_rh,
                    "rh_min_percent": low,
                    "rh_max_percent": high,
                    "buffer": "silica_gel",
                },
                [
                    {
                        "code": "microclimate.rh",
                        "numbers": {
                            "rh_p95_percent": summary["rh"].get("p95"),
                            "rh_p5_percent": summary["rh"].get("p5"),
                            "target_rh_percent": case_rh,
                            "rh_min_percent": low,
                            "rh_max_percent": high,
                            "score_before": round(before, 4),
                            "score_after": round(after, 4),
                        },
                    }
                ],
                [*_rule_sources(found, agent), "thomson1986"],
            )
        )

        # Fix the equipment behind an open fault at this place (RH back in band).
        for anomaly in anomalies:
            if anomaly.get("cause") != "equipment":
                continue
            out.append(
                _strategy(
                    "fix_equipment",
                    agent,
                    before,
                    after,
                    {
                        "anomaly_id": anomaly.get("id"),
                        "sensor_code": anomaly.get("sensor_code"),
                        "kind": anomaly.get("kind"),
                        "quantity": anomaly.get("quantity"),
                        "started_at": anomaly.get("started_at"),
                    },
                    [
                        {
                            "code": "fix_equipment.anomaly",
                            "numbers": {
                                "anomaly_id": anomaly.get("id"),
                                "score": anomaly.get("score"),
                                "rh_p95_percent": summary["rh"].get("p95"),
                                "score_after": round(after, 4),
                            },
                        }
                    ],
                    _rule_sources(found, agent),
                    "request",
                    "repair",
                )
            )
            out[-1]["ref"] = f"fix_equipment:{anomaly.get('id')}"

    light = by_agent.get("light")
    place_light = summary.get("light")
    if light is not None and place_light:
        material = rule_base.material(light["material"]) if light else None
        annual = float(place_light["annual_lux_hours"]) if place_light else 0.0
        max_lux = place_light.get("max_lux") if place_light else None
        if material is not None and annual > 0:
            # Reduce lux to the rule's limit: the dose scales with the illuminance (CIE 157).
            if material.bands.lux_max and max_lux and max_lux > material.bands.lux_max:
                factor = material.bands.lux_max / float(max_lux)
                after = _score(
                    keys,
                    rule_base,
                    _light_summary(summary, annual * factor, material.bands.lux_max),
                )
                out.append(
                    _strategy(
                        "reduce_lux",
                        "light",
                        before,
                        after,
                        {
                            "lux_max": material.bands.lux_max,
                            "annual_lux_hours_after": round(annual * factor, 1),
                        },
                        [
                            {
                                "code": "reduce_lux.limit",
                                "numbers": {
                                    "max_lux": max_lux,
                                    "lux_max": material.bands.lux_max,
                                    "annual_lux_hours": round(annual, 1),
                                    "years_to_jnf": light["numbers"].get("years_to_jnf"),
                                },
                            }
                        ],
                        [*_rule_sources(found, "light"), *material.bands.sources],
                    )
                )
            # Rotate off display once the year's budget is spent.
            budget = material.bands.annual_lux_hours_max
            if budget and annual > budget:
                months = math.floor(10 * MONTHS_PER_YEAR * budget / annual) / 10
                days = math.floor(DAYS_PER_YEAR * budget / annual)
                after = _score(keys, rule_base, _light_summary(summary, float(budget), max_lux))
                out.append(
                    _strategy(
                        "rotate",
                        "light",
                        before,
                        after,
                        {
                            "months_on_display": months,
                            "days_on_display": days,
                            "annual_lux_hours_max": budget,
                        },
                        [
                            {
                                "code": "rotate.budget",
                                "numbers": {
                                    "annual_lux_hours": round(annual, 1),
                                    "annual_lux_hours_max": budget,
                                    "months_on_display": months,
                                    "days_on_display": days,
                                },
                            }
                        ],
                        [*_rule_sources(found, "light"), *material.bands.sources],
                    )
                )
            # UV filtering when UV is measured above the material's limit.
            uv = summary.get("uv")
            uv_limit = material.bands.uv_max_uw_per_lm
            if uv and uv_limit is not None and float(uv.get("max_uw_per_lm") or 0) > uv_limit:
                after = _score(
                    keys, rule_base, _light_summary(summary, annual, max_lux, float(uv_limit))
                )
                out.append(
                    _strategy(
                        "uv_filter",
                        "light",
                        before,
                        after,
                        {"uv_max_uw_per_lm": uv_limit},
                        [
                            {
                                "code": "uv_filter.measured",
                                "numbers": {
                                    "uv_max_uw_per_lm_measured": uv.get("max_uw_per_lm"),
                                    "uv_max_uw_per_lm": uv_limit,
                                },
                            }
                        ],
                        [*_rule_sources(found, "light"), "thomson1986"],
                    )
                )

    # Unmeasured agents: IPM for pest-sensitive materials, inert cases for metals.
    for agent, key, wanted in (("pests", "ipm", None), ("pollutants", "oddy_case", "metal")):
        item = by_agent.get(agent)
        if item is None or item["score"] <= 0:
            continue
        sensitive = [
            m
            for m in found
            if m.sensitivity[agent].level in ("high", "medium")
            and (wanted is None or m.group == wanted)
        ]
        if not sensitive:
            continue
        others = max((float(i["score"]) for i in items if i["agent"] != agent), default=0.0)
        parameters: dict[str, Any] = {"materials": [m.key for m in sensitive]}
        if key == "oddy_case":
            parameters["sulfur_free"] = any(m.key == "silver" for m in sensitive) or any(
                s.key == "sulfur_free" for m in sensitive for s in m.strategies
            )
        out.append(
            _strategy(
                key,
                agent,
                before,
                min(before, others),
                parameters,
                [
                    {
                        "code": f"{key}.sensitivity",
                        "numbers": {
                            "score": item["score"],
                            "sensitivity_weight": item["numbers"].get("sensitivity_weight"),
                        },
                    }
                ],
                _rule_sources(sensitive, agent),
            )
        )

    ranked = [s for s in out if s["reduction"] > 0]
    order = {
        "move": 0,
        "microclimate": 1,
        "fix_equipment": 2,
        "reduce_lux": 3,
        "rotate": 4,
        "uv_filter": 5,
        "ipm": 6,
        "oddy_case": 7,
    }
    ranked.sort(key=lambda s: (-s["reduction"], order[s["key"]]))
    return ranked


def by_agent_top(items: Sequence[Mapping[str, Any]]) -> str:
    """The agent of the highest-scoring risk item ("" when there is none)."""
    return str(items[0]["agent"]) if items else ""


__all__ = ["strategies_for"]
