"""Sentences for risks, strategies and their reasons, in the active language (gettext,
English source). Pages and exports call only these; the data stays codes and numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from taihe.modules.conservation.materials import RuleBase


def _n(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        number = float(value)
        return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.{digits}f}"
    return str(value)


def _pct(share: Any) -> str:
    return "–" if share is None else f"{float(share) * 100:.1f}"


def material_name(material_key: str, rule_base: RuleBase | None = None) -> str:
    """The material's name in the active language (the key when the rule base lacks it)."""
    if rule_base is not None and material_key in rule_base.material_keys:
        names = rule_base.material(material_key).names
        language = (get_language() or "en").lower()
        return names.get("zh-hans" if language.startswith("zh") else "en") or material_key
    return material_key


def _anomaly_kind(code: Any) -> str:
    """The anomaly kind's label in the active language (the code when unknown)."""
    from taihe.modules.conservation.models import Anomaly

    labels = dict(Anomaly.Kind.choices)
    return str(labels.get(str(code), code))


def _risk_sentences() -> dict[str, Callable[[Mapping[str, Any]], str]]:
    return {
        "light.years_to_jnf": lambda n: (
            _(
                "%(dose)s lx·h a year (up to %(lux)s lx): a just-noticeable fade in "
                "%(years)s years for Blue Wool %(bw)s%(inferred)s."
            )
            % {
                "dose": _n(n.get("annual_lux_hours")),
                "lux": _n(n.get("max_lux")),
                "years": _n(n.get("years_to_jnf"), 2),
                "bw": n.get("blue_wool"),
                "inferred": _(" (assumed from the material's light sensitivity)")
                if n.get("blue_wool_inferred")
                else "",
            }
        ),
        "damp_mould.mould_index": lambda n: (
            _("Mould index reached %(index)s; RH above 75 %% for %(share)s %% of the time.")
            % {"index": _n(n.get("mould_index_max"), 2), "share": _pct(n.get("rh_share_above_75"))}
        ),
        "rh_fluctuation.range_24h": lambda n: (
            _(
                "RH changes by up to %(range)s %% in 24 hours (95th percentile); the material "
                "tolerates %(allowed)s %%."
            )
            % {
                "range": _n(n.get("rh_range_24h_p95_percent")),
                "allowed": _n(n.get("max_rh_change_24h_percent")),
            }
        ),
        "rh_fluctuation.emc": lambda n: (
            _(
                "Wood moisture content ranges %(low)s–%(high)s %% "
                "(safe: %(safe_low)s–%(safe_high)s %%)."
            )
            % {
                "low": _n(n.get("emc_min_percent")),
                "high": _n(n.get("emc_max_percent")),
                "safe_low": _n(n.get("emc_safe_min_percent")),
                "safe_high": _n(n.get("emc_safe_max_percent")),
            }
        ),
        "critical_rh.corrosion": lambda n: (
            _(
                "RH above the corrosion limit of %(limit)s %% for %(share)s %% of the time "
                "(95th percentile %(p95)s %%)."
            )
            % {
                "limit": _n(n.get("rh_max_percent"), 0),
                "share": _pct(n.get("rh_share_above_limit")),
                "p95": _n(n.get("rh_p95_percent")),
            }
        ),
        "critical_rh.hydrolysis": lambda n: (
            _(
                "RH above %(limit)s %% for %(share)s %% of the time (95th percentile %(p95)s %%), "
                "speeding chemical decay."
            )
            % {
                "limit": _n(n.get("rh_max_percent"), 0),
                "share": _pct(n.get("rh_share_above_limit")),
                "p95": _n(n.get("rh_p95_percent")),
            }
        ),
        "temperature.outside_band": lambda n: (
            _(
                "Above %(t_max)s °C for %(above)s %% and below %(t_min)s °C for %(below)s %% of "
                "the time."
            )
            % {
                "t_max": _n(n.get("t_max_c"), 0),
                "t_min": _n(n.get("t_min_c"), 0),
                "above": _pct(n.get("t_share_above_max")),
                "below": _pct(n.get("t_share_below_min")),
            }
        ),
        "temperature.lifetime": lambda n: (
            _(
                "At %(t)s °C and %(rh)s %% RH the chemical lifetime is %(lm)s × that at 20 °C and "
                "50 %% RH."
            )
            % {
                "t": _n(n.get("t_mean_c")),
                "rh": _n(n.get("rh_mean_percent")),
                "lm": _n(n.get("lifetime_multiplier"), 2),
            }
        ),
        "pollutants.not_measured": lambda n: _("Sensitive to pollutants; not measured here."),
        "pests.not_measured": lambda n: _("Sensitive to pests; not measured here."),
        "rh_fluctuation.not_measured": lambda n: _("RH fluctuation: no RH readings."),
        "damp_mould.not_measured": lambda n: _("Damp and mould: no RH readings."),
        "critical_rh.not_measured": lambda n: _("Critical RH: no RH readings."),
        "temperature.not_measured": lambda n: _("Temperature: no readings."),
        "light.not_measured": lambda n: _("Light sensitive; light not measured here."),
    }


def risk_text(risk: Mapping[str, Any]) -> str:
    """One sentence with the numbers of a risk item (``assess_object``'s ``risks``)."""
    sentence = _risk_sentences().get(str(risk.get("measure")))
    if sentence is None:
        return _("Unknown measure %(code)s.") % {"code": risk.get("measure")}
    return sentence(risk.get("numbers") or {})


def strategy_title(strategy: Mapping[str, Any]) -> str:
    """A short imperative title for a strategy (``strategies_for`` item)."""
    p = strategy.get("parameters") or {}
    key = strategy.get("key")
    if key == "move":
        from taihe.modules.catalog import api as catalog

        place = p.get("location_id")
        name = catalog.location_name(int(place), get_language()) if place is not None else ""
        return _("Move to %(place)s") % {"place": name or place}
    titles: dict[str, Callable[[], str]] = {
        "microclimate": lambda: (
            _("Microclimate case with silica gel at %(rh)s %% RH")
            % {"rh": _n(p.get("target_rh_percent"), 0)}
        ),
        "fix_equipment": lambda: (
            _("Fix the equipment: %(kind)s on sensor %(sensor)s")
            % {"kind": _anomaly_kind(p.get("kind")), "sensor": p.get("sensor_code")}
        ),
        "reduce_lux": lambda: _("Reduce light to %(lux)s lx") % {"lux": _n(p.get("lux_max"), 0)},
        "rotate": lambda: (
            _("Rotate off display after %(days)s days a year (%(months)s months)")
            % {"days": p.get("days_on_display"), "months": _n(p.get("months_on_display"))}
        ),
        "uv_filter": lambda: (
            _("Filter UV to %(uv)s µW/lm") % {"uv": _n(p.get("uv_max_uw_per_lm"), 0)}
        ),
        "ipm": lambda: _("Integrated pest management inspection"),
        "oddy_case": lambda: (
            _("Sulfur-free, Oddy-tested case")
            if p.get("sulfur_free")
            else _("Oddy-tested case materials")
        ),
    }
    title = titles.get(str(key))
    return title() if title else _("Strategy %(code)s") % {"code": key}


def _reason_sentences() -> dict[str, Callable[[Mapping[str, Any]], str]]:
    return {
        "move.climate": lambda n: (
            _(
                "There the risk score falls from %(before)s to %(after)s (RH %(p5)s–%(p95)s %%, "
                "mould index %(mould)s, %(dose)s lx·h a year)."
            )
            % {
                "before": _n(n.get("score_before"), 2),
                "after": _n(n.get("score_after"), 2),
                "p5": _n(n.get("rh_p5_percent")),
                "p95": _n(n.get("rh_p95_percent")),
                "mould": _n(n.get("mould_index_max"), 2),
                "dose": _n(n.get("annual_lux_hours")),
            }
        ),
        "microclimate.rh": lambda n: (
            _(
                "The room's RH runs %(p5)s–%(p95)s %%; the materials accept %(low)s–%(high)s %%, "
                "so a case held at %(target)s %% takes the score from %(before)s to %(after)s."
            )
            % {
                "p5": _n(n.get("rh_p5_percent")),
                "p95": _n(n.get("rh_p95_percent")),
                "low": _n(n.get("rh_min_percent"), 0),
                "high": _n(n.get("rh_max_percent"), 0),
                "target": _n(n.get("target_rh_percent"), 0),
                "before": _n(n.get("score_before"), 2),
                "after": _n(n.get("score_after"), 2),
            }
        ),
        "fix_equipment.anomaly": lambda n: (
            _("Open equipment anomaly #%(id)s; RH 95th percentile %(p95)s %%.")
            % {"id": n.get("anomaly_id"), "p95": _n(n.get("rh_p95_percent"))}
        ),
        "reduce_lux.limit": lambda n: (
            _(
                "Light reaches %(lux)s lx against a limit of %(limit)s lx; %(dose)s lx·h a year "
                "gives a just-noticeable fade in %(years)s years."
            )
            % {
                "lux": _n(n.get("max_lux")),
                "limit": _n(n.get("lux_max"), 0),
                "dose": _n(n.get("annual_lux_hours")),
                "years": _n(n.get("years_to_jnf"), 2),
            }
        ),
        "rotate.budget": lambda n: (
            _(
                "%(dose)s lx·h a year against a budget of %(budget)s lx·h: the budget is spent "
                "after %(days)s days (%(months)s months)."
            )
            % {
                "dose": _n(n.get("annual_lux_hours")),
                "budget": _n(n.get("annual_lux_hours_max")),
                "days": n.get("days_on_display"),
                "months": _n(n.get("months_on_display")),
            }
        ),
        "uv_filter.measured": lambda n: (
            _("UV measured at %(uv)s µW/lm against a limit of %(limit)s µW/lm.")
            % {
                "uv": _n(n.get("uv_max_uw_per_lm_measured")),
                "limit": _n(n.get("uv_max_uw_per_lm"), 0),
            }
        ),
        "ipm.sensitivity": lambda n: (
            _("The materials are food for pests; pests are not monitored here (score %(score)s).")
            % {"score": _n(n.get("score"), 2)}
        ),
        "oddy_case.sensitivity": lambda n: (
            _(
                "The metal corrodes in acids and sulfides from case materials; pollutants are not "
                "measured here (score %(score)s)."
            )
            % {"score": _n(n.get("score"), 2)}
        ),
    }


def strategy_reasons(strategy: Mapping[str, Any]) -> list[str]:
    """One sentence per reason of a strategy, with its numbers."""
    sentences = _reason_sentences()
    out = []
    for reason in strategy.get("reasons") or []:
        sentence = sentences.get(str(reason.get("code")))
        out.append(
            sentence(reason.get("numbers") or {})
            if sentence
            else _("Reason %(code)s.") % {"code": reason.get("code")}
        )
    return out


def source_citation(rule_base: RuleBase, key: str) -> str:
    """The full citation of a source key of the rule base (with its address when known)."""
    source = rule_base.sources.get(key)
    if source is None:
        return _("Unknown source %(key)s") % {"key": key}
    return f"{source.citation} {source.url}" if source.url else source.citation
