"""Climate risk of a place and of each object in it, per agent of deterioration.

Two halves:

- :func:`climate_summary` reads the hourly means of the sensors at a place (or, when it has
  none, at its parent place) and :func:`summarise_hourly` turns them into plain numbers with
  the science library: T and RH statistics, exceedance shares at every whole-number threshold
  (so any material's band can be checked later without the readings), the 95th percentile of
  the daily RH range, the VTT mould index for every Ojanen sensitivity class, wood EMC, the
  annual light dose and UV.
- :func:`assess_object` (pure, no database) scores one object's materials against such a
  summary: one risk item per agent, each naming the material, the rule and every number used.

Score mappings (all monotone, 0–1; ``score = sensitivity weight × hazard`` except light,
whose years to a just-noticeable fade already carry the material's responsivity):

- light: ``hazard = clip(1 − log10(years to JNF)/3, 0, 1)``: 1 year or less → 1, 10 years →
  0.67, 100 → 0.33, 1,000 or more → 0; the decades follow the A scale of the ABC method
  (heritage.md §3.2: 1, 10, 100, 1,000 years).
- damp_mould: ``max(min(M, 3)/3, min(share RH > 75 %/0.10, 1))``: visible growth (M = 3) or
  a tenth of the time above 75 % RH (CCI: damp above 75 %, heritage.md §3.1) is the worst.
- rh_fluctuation: ``clip((range/allowed − 0.5)/1.5, 0, 1)`` on the 24-h RH range (p95)
  against the material's ``max_rh_change_24h``; for wood-like materials also the EMC leaving
  IPI's safe 5–12.5 % band (conservation.md §1.4): ``clip(distance outside/2.5, 0, 1)``.
- critical_rh: ``max(min(share above rh_max/0.25, 1), clip((RH p95 − rh_max)/10, 0, 1))``.
- temperature: ``min((share above t_max + share below t_min)/0.25, 1)``, and for chemically
  unstable materials (temperature sensitivity high) ``clip(−log2(LM)/2, 0, 1)`` with the
  Sebera/Michalski lifetime multiplier LM at the mean climate (conservation.md §6.2).
- pollutants, pests: not measured; ``weight × 0.3`` (confidence "inferred").

Levels: score ≥ 0.6 high, ≥ 0.3 medium, ≥ 0.1 low, else none.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from taihe.modules.conservation.materials import RuleBase
from taihe.modules.conservation.materials.knowledge import Material
from taihe.modules.conservation.science import (
    JNF_UV_FILTERED_MLXH,
    emc_wood,
    lifetime_multiplier,
    light_exposure,
    vtt_mould_index,
    years_to_just_noticeable_fade,
)

AGENTS = (
    "light",
    "damp_mould",
    "rh_fluctuation",
    "critical_rh",
    "temperature",
    "pollutants",
    "pests",
)
SENSITIVITY_WEIGHT = {"high": 1.0, "medium": 0.6, "low": 0.3, "none": 0.0}
INFERRED_FACTOR = 0.3
"""Unmeasured agents score at most "medium": the sensitivity is known, the exposure is not."""
LEVELS = ((0.6, "high"), (0.3, "medium"), (0.1, "low"))
MOULD_CLASSES = ("very_sensitive", "sensitive", "medium_resistant", "resistant")
DAMP_RH = 75.0
"""CCI "damp": above 75 % RH mould and corrosion start (heritage.md §3.1, cci_rh)."""
SAFE_RH = 65.0
"""The rule base's "keep RH below 65 %" strategy (cci_rh)."""
EMC_SAFE = (5.0, 12.5)
"""IPI mechanical-damage rating: OK while 5 ≤ EMC ≤ 12.5 % (conservation.md §1.4)."""
HOURS_PER_YEAR = 8766.0  # 365.25 days, as in conservation.md §5's annual_rate
UV_FILTERED_MAX = 75.0
"""UV at or below 75 µW/lm counts as filtered (Thomson 1986, conservation.md §5)."""
T_GRID = range(-10, 46)
RH_GRID = range(0, 101)
MIN_HOURS_PER_DAY = 18
"""A day needs 18 of its 24 hourly means to give a 24-h range."""
CORROSION_GROUPS = frozenset({"metal", "glass", "stone", "ceramic"})
EMC_GROUPS = frozenset({"wood"})
CIE_LOWEST_BLUE_WOOL = {"high": 1, "medium": 4, "low": 7}
"""When a material has no Blue Wool class, the most responsive class of its CIE 157
category is assumed (CIE 157:2004 via conservation.md §5: high BW1–3, medium 4–6,
low 7–8): the colourants are unknown, so the safe side."""


def _level(score: float) -> str:
    return next((name for floor, name in LEVELS if score >= floor), "none")


def _clip(value: float) -> float:
    return float(min(max(value, 0.0), 1.0))


def _r(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def mould_class(material: Material) -> str:
    """The Ojanen (2010) class assumed for a material from its damp sensitivity: wood as
    very sensitive (pine sapwood is the class's reference), other highly sensitive organics
    as sensitive (paper-faced products), medium as medium resistant, the rest resistant
    (glass, metals) (conservation.md §4.2)."""
    level = material.sensitivity["damp_mould"].level
    if level == "high":
        return "very_sensitive" if material.group == "wood" else "sensitive"
    return "medium_resistant" if level == "medium" else "resistant"


# --- place summary ---------------------------------------------------------------------------


def _stats(values: np.ndarray) -> dict[str, float | None]:
    return {
        "mean": _r(float(values.mean())),
        "p5": _r(float(np.percentile(values, 5))),
        "p95": _r(float(np.percentile(values, 95))),
        "min": _r(float(values.min())),
        "max": _r(float(values.max())),
    }


def _daily_ranges(times: np.ndarray, values: np.ndarray) -> list[float]:
    days = (times // 86_400).astype(np.int64)
    ranges = []
    for day in np.unique(days):
        chosen = values[days == day]
        if chosen.size >= MIN_HOURS_PER_DAY:
            ranges.append(float(chosen.max() - chosen.min()))
    return ranges


def summarise_hourly(
    sensors: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]],
    *,
    start: dt.datetime,
    end: dt.datetime,
    mould_class_name: str = "very_sensitive",
) -> dict[str, Any]:
    """Climate summary from hourly means: ``sensors`` maps a sensor code to
    ``{quantity code: (hour starts in epoch seconds, means)}`` with quantity codes
    ``temperature``, ``relative_humidity``, ``illuminance`` and ``uv`` (µW/lm).

    Every hour of every sensor counts once (pooled) for means, percentiles and shares; the
    mould index, EMC, light dose and maximum lux are the worst sensor's. Returns the JSON
    summary described in ``risk/README`` (keys below); quantities without readings are None.

    Raises:
        ValueError: ``mould_class_name`` is not an Ojanen class, or readings are invalid
            (from the science library, naming the array and index).
    """
    if mould_class_name not in MOULD_CLASSES:
        raise ValueError(
            f"mould_class_name = {mould_class_name!r} is not one of {', '.join(MOULD_CLASSES)}"
        )
    period_hours = max((end - start).total_seconds() / 3600.0, 1.0)
    pooled_t: list[np.ndarray] = []
    pooled_rh: list[np.ndarray] = []
    ranges: list[float] = []
    mould = dict.fromkeys(MOULD_CLASSES, 0.0)
    emc_min, emc_max = math.inf, -math.inf
    annual_dose, max_lux, lux_hours = None, None, 0
    uv_values: list[np.ndarray] = []
    hours_t_rh = 0
    for code in sorted(sensors):
        quantities = sensors[code]
        if "temperature" in quantities and "relative_humidity" in quantities:
            t_times, t_values = quantities["temperature"]
            h_times, h_values = quantities["relative_humidity"]
            common, t_index, h_index = np.intersect1d(t_times, h_times, return_indices=True)
            if common.size:
                t = np.asarray(t_values, dtype=float)[t_index]
                h = np.clip(np.asarray(h_values, dtype=float)[h_index], 0.0, 100.0)
                pooled_t.append(t)
                pooled_rh.append(h)
                hours_t_rh += int(common.size)
                ranges.extend(_daily_ranges(common, h))
                seconds = common.astype(np.float64)
                for name in MOULD_CLASSES:
                    index = vtt_mould_index(seconds, t, h, sensitivity=name)  # type: ignore[arg-type]
                    mould[name] = max(mould[name], float(np.max(index)))
                emc = np.asarray(emc_wood(t, h))
                emc_min, emc_max = min(emc_min, float(emc.min())), max(emc_max, float(emc.max()))
        if "illuminance" in quantities and quantities["illuminance"][0].size:
            l_times, l_values = quantities["illuminance"]
            lux = np.clip(np.asarray(l_values, dtype=float), 0.0, None)
            dose = light_exposure(l_times.astype(np.float64), lux, max_gap=3_600 * 2)
            # Each hourly mean stands for its hour; the period's dose is scaled to a year
            # from the hours measured (conservation.md §5, annual_rate).
            annual = dose / lux.size * HOURS_PER_YEAR
            annual_dose = annual if annual_dose is None else max(annual_dose, annual)
            max_lux = float(lux.max()) if max_lux is None else max(max_lux, float(lux.max()))
            lux_hours = max(lux_hours, int(lux.size))
        if "uv" in quantities and quantities["uv"][0].size:
            uv_values.append(np.asarray(quantities["uv"][1], dtype=float))
    summary: dict[str, Any] = {
        "period_start": start.astimezone(dt.UTC).isoformat(),
        "period_end": end.astimezone(dt.UTC).isoformat(),
        "period_hours": _r(period_hours, 1),
        "sensor_codes": sorted(sensors),
        "hours": hours_t_rh,
        "coverage": 0.0,
        "t_c": None,
        "rh": None,
        "rh_share_above_75": None,
        "rh_share_above_65": None,
        "rh_share_above": None,
        "t_share_above": None,
        "t_share_below": None,
        "rh_range_24h_p95": None,
        "mould_index_max": None,
        "mould_class": mould_class_name,
        "mould_index_by_class": None,
        "emc_wood": None,
        "light": None,
        "uv": None,
    }
    if pooled_t:
        t_all, rh_all = np.concatenate(pooled_t), np.concatenate(pooled_rh)
        summary["coverage"] = _r(min(hours_t_rh / len(pooled_t) / period_hours, 1.0))
        summary["t_c"] = _stats(t_all)
        summary["rh"] = _stats(rh_all)
        summary["rh_share_above_75"] = _r(float(np.mean(rh_all > DAMP_RH)))
        summary["rh_share_above_65"] = _r(float(np.mean(rh_all > SAFE_RH)))
        summary["rh_share_above"] = [_r(float(np.mean(rh_all > x))) for x in RH_GRID]
        summary["t_share_above"] = {str(x): _r(float(np.mean(t_all > x))) for x in T_GRID}
        summary["t_share_below"] = {str(x): _r(float(np.mean(t_all < x))) for x in T_GRID}
        summary["rh_range_24h_p95"] = _r(float(np.percentile(ranges, 95))) if ranges else None
        summary["mould_index_by_class"] = {name: _r(value) for name, value in mould.items()}
        summary["mould_index_max"] = _r(mould[mould_class_name])
        summary["emc_wood"] = {
            "min": _r(emc_min),
            "max": _r(emc_max),
            "range": _r(emc_max - emc_min),
        }
    if annual_dose is not None:
        summary["light"] = {
            "annual_lux_hours": _r(annual_dose, 1),
            "max_lux": _r(max_lux, 1),
            "hours": lux_hours,
            "coverage": _r(min(lux_hours / period_hours, 1.0)),
        }
    if uv_values:
        uv_all = np.concatenate(uv_values)
        summary["uv"] = {
            "mean_uw_per_lm": _r(float(uv_all.mean()), 2),
            "max_uw_per_lm": _r(float(uv_all.max()), 2),
        }
    return summary


def _hourly(
    sensor: Any, start: dt.datetime, end: dt.datetime
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from taihe.modules.conservation import store

    ids = store.quantity_ids()
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for code in ("temperature", "relative_humidity", "illuminance", "uv"):
        if code in ids:
            times, values = store.hourly_means(
                sensor.pk, ids[code], int(start.timestamp()), int(end.timestamp())
            )
            if times.size:
                found[code] = (times, values)
    return found


def _place_mould_class(location_id: int) -> str:
    """The Ojanen class of the most mould-sensitive material among the objects there."""
    from taihe.modules.catalog import api as catalog
    from taihe.modules.conservation.material_rules import current_rule_base, object_materials

    object_ids = catalog.objects_at([location_id])
    if not object_ids:
        return "very_sensitive"
    _version, rules = current_rule_base()
    known = set(rules.material_keys)
    classes = {
        mould_class(rules.material(item["key"]))
        for items in object_materials(object_ids).values()
        for item in items
        if item.get("key") in known
    }
    return next((name for name in MOULD_CLASSES if name in classes), "very_sensitive")


def climate_summary(location_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The measured climate of a place from ``start`` (or its first hourly reading, when
    later) to ``end`` (see :func:`summarise_hourly`), plus ``location_id``, ``measured_at``
    (the place whose sensors were read: this one, or its parent when it has none;
    ``from_parent`` says which).

    Raises:
        ValueError: ``start`` is not before ``end``.
    """
    from taihe.modules.catalog import api as catalog
    from taihe.modules.conservation.models import Sensor

    if not start < end:
        raise ValueError(f"start = {start.isoformat()} must be before end = {end.isoformat()}")
    measured_at: int | None = location_id
    sensors = list(Sensor.objects.filter(location_id=location_id).order_by("code"))
    from_parent = False
    if not sensors:
        place = catalog.location(location_id)
        parent = place.parent_id if place else None
        sensors = list(Sensor.objects.filter(location_id=parent).order_by("code")) if parent else []
        measured_at, from_parent = (parent, True) if sensors else (None, False)
    series = {sensor.code: _hourly(sensor, start, end) for sensor in sensors}
    series = {code: found for code, found in series.items() if found}
    first = min(
        (int(np.min(times)) for found in series.values() for times, _values in found.values()),
        default=None,
    )
    if first is not None and first > start.timestamp():
        # Coverage and the period describe the time since the first reading, not the weeks
        # before a logger was installed.
        start = dt.datetime.fromtimestamp(first, tz=dt.UTC)
    summary = summarise_hourly(
        series, start=start, end=end, mould_class_name=_place_mould_class(location_id)
    )
    summary.update(
        {"location_id": location_id, "measured_at": measured_at, "from_parent": from_parent}
    )
    return summary


# --- one object ---------------------------------------------------------------------------


def _interpolated(
    table: Mapping[str, Any] | Sequence[Any] | None, x: float, grid: range
) -> float | None:
    """A share at threshold ``x`` from a table at whole-number thresholds (linear between)."""
    if table is None:
        return None
    x = min(max(x, grid.start), grid.stop - 1)
    low, high = math.floor(x), math.ceil(x)

    def at(k: int) -> float:
        value = table[str(k)] if isinstance(table, Mapping) else table[k - grid.start]
        return float(value)

    if low == high:
        return at(low)
    return at(low) + (at(high) - at(low)) * (x - low)


def _blue_wool(material: Material) -> tuple[int | None, bool]:
    if material.bands.blue_wool is not None:
        return material.bands.blue_wool, False
    level = material.sensitivity["light"].level
    return CIE_LOWEST_BLUE_WOOL.get(level), True


def _item(
    agent: str,
    material: Material,
    score: float,
    measure: str,
    numbers: dict[str, Any],
    field: str,
    value: Any,
    confidence: str,
) -> dict[str, Any]:
    score = round(_clip(score), 4)
    sources = list(dict.fromkeys([*material.sensitivity[agent].sources, *material.bands.sources]))
    return {
        "agent": agent,
        "level": _level(score),
        "score": score,
        "material": material.key,
        "measure": measure,
        "numbers": numbers,
        "rule": {"material": material.key, "field": field, "value": value},
        "sources": sources,
        "confidence": confidence,
    }


def _light(material: Material, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    if material.sensitivity["light"].level == "none":
        return None
    light = summary.get("light")
    blue_wool, inferred = _blue_wool(material)
    if not light or blue_wool is None:
        return None
    uv = summary.get("uv")
    uv_filtered = uv is None or (uv.get("max_uw_per_lm") or 0.0) <= UV_FILTERED_MAX
    annual = float(light["annual_lux_hours"])
    years = float(years_to_just_noticeable_fade(annual, blue_wool, uv_filtered=uv_filtered))
    hazard = 1.0 if years <= 1.0 else _clip(1.0 - math.log10(years) / 3.0)
    numbers = {
        "annual_lux_hours": _r(annual, 1),
        "max_lux": light.get("max_lux"),
        "lux_max": material.bands.lux_max,
        "annual_lux_hours_max": material.bands.annual_lux_hours_max,
        "blue_wool": blue_wool,
        "blue_wool_inferred": inferred,
        "jnf_dose_lux_hours": JNF_UV_FILTERED_MLXH[blue_wool] * 1e6,
        "uv_filtered": uv_filtered,
        "uv_max_uw_per_lm": None if uv is None else uv.get("max_uw_per_lm"),
        "years_to_jnf": _r(years, 3) if math.isfinite(years) else None,
    }
    field = "sensitivity.light.level" if inferred else "bands.blue_wool"
    value = material.sensitivity["light"].level if inferred else blue_wool
    return _item(
        "light",
        material,
        hazard,
        "light.years_to_jnf",
        numbers,
        field,
        value,
        "inferred" if inferred else "measured",
    )


def _damp(material: Material, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    by_class = summary.get("mould_index_by_class")
    if by_class is None:
        return None
    name = mould_class(material)
    index = float(by_class.get(name, summary.get("mould_index_max") or 0.0))
    share = float(summary.get("rh_share_above_75") or 0.0)
    hazard = max(min(index, 3.0) / 3.0, min(share / 0.10, 1.0))
    weight = SENSITIVITY_WEIGHT[material.sensitivity["damp_mould"].level]
    numbers = {
        "mould_index_max": _r(index),
        "mould_class": name,
        "rh_share_above_75": _r(share),
        "rh_p95_percent": (summary.get("rh") or {}).get("p95"),
    }
    return _item(
        "damp_mould",
        material,
        weight * hazard,
        "damp_mould.mould_index",
        numbers,
        "sensitivity.damp_mould.level",
        material.sensitivity["damp_mould"].level,
        "measured",
    )


def _fluctuation(material: Material, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    daily = summary.get("rh_range_24h_p95")
    if daily is None:
        return None
    allowed = material.bands.max_rh_change_24h
    hazard = _clip((float(daily) / allowed - 0.5) / 1.5) if allowed else 0.0
    numbers: dict[str, Any] = {
        "rh_range_24h_p95_percent": _r(daily),
        "max_rh_change_24h_percent": allowed,
    }
    measure = "rh_fluctuation.range_24h"
    emc = summary.get("emc_wood")
    if material.group in EMC_GROUPS and emc:
        outside = max(EMC_SAFE[0] - float(emc["min"]), float(emc["max"]) - EMC_SAFE[1], 0.0)
        numbers.update(
            {
                "emc_min_percent": emc["min"],
                "emc_max_percent": emc["max"],
                "emc_range_percent": emc["range"],
                "emc_safe_min_percent": EMC_SAFE[0],
                "emc_safe_max_percent": EMC_SAFE[1],
            }
        )
        emc_hazard = _clip(outside / 2.5)
        if emc_hazard > hazard:
            hazard, measure = emc_hazard, "rh_fluctuation.emc"
    weight = SENSITIVITY_WEIGHT[material.sensitivity["rh_fluctuation"].level]
    return _item(
        "rh_fluctuation",
        material,
        weight * hazard,
        measure,
        numbers,
        "bands.max_rh_change_24h",
        allowed,
        "measured",
    )


def _critical(material: Material, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    rh = summary.get("rh")
    if rh is None:
        return None
    limit = material.bands.rh_max
    share = _interpolated(summary.get("rh_share_above"), limit, RH_GRID) or 0.0
    p95 = float(rh["p95"])
    hazard = max(min(share / 0.25, 1.0), _clip((p95 - limit) / 10.0))
    weight = SENSITIVITY_WEIGHT[material.sensitivity["critical_rh"].level]
    measure = (
        "critical_rh.corrosion" if material.group in CORROSION_GROUPS else "critical_rh.hydrolysis"
    )
    numbers = {
        "rh_share_above_limit": _r(share),
        "rh_p95_percent": _r(p95),
        "rh_max_percent": limit,
    }
    return _item(
        "critical_rh",
        material,
        weight * hazard,
        measure,
        numbers,
        "bands.rh_max",
        limit,
        "measured",
    )


def _temperature(material: Material, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    t, rh = summary.get("t_c"), summary.get("rh")
    if t is None or rh is None:
        return None
    bands = material.bands
    above = _interpolated(summary.get("t_share_above"), bands.t_max, T_GRID) or 0.0
    below = _interpolated(summary.get("t_share_below"), bands.t_min, T_GRID) or 0.0
    hazard = min((above + below) / 0.25, 1.0)
    numbers: dict[str, Any] = {
        "t_share_above_max": _r(above),
        "t_share_below_min": _r(below),
        "t_max_c": bands.t_max,
        "t_min_c": bands.t_min,
        "t_mean_c": t["mean"],
        "rh_mean_percent": rh["mean"],
    }
    measure, field = "temperature.outside_band", "bands.t_max"
    value: Any = bands.t_max
    level = material.sensitivity["temperature"].level
    if level == "high":
        multiplier = float(lifetime_multiplier(float(t["mean"]), max(float(rh["mean"]), 0.1)))
        numbers["lifetime_multiplier"] = _r(multiplier)
        chemical = _clip(-math.log2(multiplier) / 2.0) if multiplier > 0 else 1.0
        if chemical > hazard:
            hazard, measure = chemical, "temperature.lifetime"
            field, value = "sensitivity.temperature.level", level
    return _item(
        "temperature",
        material,
        SENSITIVITY_WEIGHT[level] * hazard,
        measure,
        numbers,
        field,
        value,
        "measured",
    )


def _inferred(agent: str, material: Material) -> dict[str, Any]:
    level = material.sensitivity[agent].level
    return _item(
        agent,
        material,
        SENSITIVITY_WEIGHT[level] * INFERRED_FACTOR,
        f"{agent}.not_measured",
        {"sensitivity_weight": SENSITIVITY_WEIGHT[level]},
        f"sensitivity.{agent}.level",
        level,
        "inferred",
    )


_MEASURED = {
    "light": _light,
    "damp_mould": _damp,
    "rh_fluctuation": _fluctuation,
    "critical_rh": _critical,
    "temperature": _temperature,
}


def _material_keys(materials: Iterable[Any]) -> list[str]:
    keys = []
    for index, item in enumerate(materials):
        key = item.get("key") if isinstance(item, Mapping) else item
        if not isinstance(key, str) or not key:
            raise ValueError(f"materials[{index}] = {item!r} has no material key")
        if key not in keys:
            keys.append(key)
    return keys


def assess_object(
    materials: Iterable[Any], rule_base: RuleBase, summary: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Risk per agent for an object made of ``materials`` (material keys, or the
    ``{key, ...}`` dicts of ``object_materials``) in a place with this climate ``summary``.

    For each agent the worst of the object's materials is kept. Returns ``{"risks": [one item
    per agent, highest score first], "score": max score, "top_agent": key or None,
    "unknown_materials": [keys the rule base lacks]}``; agents with no data and no
    sensitivity are left out. Pure: no database.

    Raises:
        ValueError: a material without a key (naming its index).
    """
    keys = _material_keys(materials)
    known = set(rule_base.material_keys)
    found = [rule_base.material(key) for key in keys if key in known]
    summary = summary or {}
    risks = []
    for agent in AGENTS:
        best: dict[str, Any] | None = None
        for material in found:
            measured = _MEASURED.get(agent)
            item = measured(material, summary) if measured else None
            if item is None and material.sensitivity[agent].level != "none":
                item = _inferred(agent, material)
            if item is not None and (best is None or item["score"] > best["score"]):
                best = item
        if best is not None:
            risks.append(best)
    order = {agent: index for index, agent in enumerate(AGENTS)}
    risks.sort(
        key=lambda item: (-item["score"], item["confidence"] != "measured", order[item["agent"]])
    )
    top = risks[0] if risks and risks[0]["score"] > 0 else None
    return {
        "risks": risks,
        "score": top["score"] if top else 0.0,
        "top_agent": top["agent"] if top else None,
        "unknown_materials": [key for key in keys if key not in known],
    }
