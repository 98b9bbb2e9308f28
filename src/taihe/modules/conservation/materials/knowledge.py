"""The material sensitivity rule base: frozen dataclasses, strict loading and validation.

The rule base is data (``rules.json`` next to this module), versioned and sourced, so that a
conservator can edit it without touching code; the Django layer stores edited versions as JSON
and reloads them with :meth:`RuleBase.from_dict`, which validates exactly as
:func:`load_rule_base` does. Sensitivity levels follow the CCI agents of deterioration
(heritage.md §3.1, §3.3); bands follow CIE 157 (light) and the storage bands in §3.4.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("rules.json")

# The seven agent keys named in issue 5; each maps to one of the CCI ten agents.
AGENT_KEYS = (
    "rh_fluctuation",
    "damp_mould",
    "critical_rh",
    "temperature",
    "light",
    "pollutants",
    "pests",
)
LEVELS = ("high", "medium", "low", "none")
LANGUAGES = ("en", "zh-hans")
BAND_NUMBERS = (
    "t_min",
    "t_max",
    "rh_min",
    "rh_max",
    "max_rh_change_24h",
    "lux_max",
    "annual_lux_hours_max",
    "uv_max_uw_per_lm",
)


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    url: str | None


@dataclass(frozen=True)
class Agent:
    key: str
    names: Mapping[str, str]
    cci_agent: int


@dataclass(frozen=True)
class Sensitivity:
    level: str
    basis: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Bands:
    t_min: float
    t_max: float
    rh_min: float
    rh_max: float
    max_rh_change_24h: float | None
    lux_max: float | None
    annual_lux_hours_max: float | None
    uv_max_uw_per_lm: float | None
    blue_wool: int | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Strategy:
    key: str
    agent: str
    text: Mapping[str, str]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Material:
    key: str
    aat: str | None
    names: Mapping[str, str]
    synonyms: Mapping[str, tuple[str, ...]]
    group: str
    sensitivity: Mapping[str, Sensitivity]
    bands: Bands
    strategies: tuple[Strategy, ...]

    def terms(self, language: str) -> tuple[str, ...]:
        """The name and synonyms of this material in ``language`` (``"en"`` or ``"zh-hans"``)."""
        return (self.names[language], *self.synonyms.get(language, ()))


@dataclass(frozen=True)
class RuleBase:
    version: str
    updated: str
    sources: Mapping[str, Source]
    agents: tuple[Agent, ...]
    materials: tuple[Material, ...]

    def material(self, key: str) -> Material:
        """The material with ``key``; raises ``KeyError`` naming the key when there is none."""
        for material in self.materials:
            if material.key == key:
                return material
        raise KeyError(f"material {key!r} is not in rule base {self.version}")

    @property
    def material_keys(self) -> tuple[str, ...]:
        return tuple(material.key for material in self.materials)

    def to_dict(self) -> dict[str, Any]:
        """The rule base as plain JSON-ready data, in the shape of ``rules.json``."""
        return {
            "version": self.version,
            "updated": self.updated,
            "sources": {
                key: {"citation": source.citation, "url": source.url}
                for key, source in self.sources.items()
            },
            "agents": [
                {"key": agent.key, "names": dict(agent.names), "cci_agent": agent.cci_agent}
                for agent in self.agents
            ],
            "materials": [_material_to_dict(material) for material in self.materials],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleBase:
        """Build and validate a rule base from JSON data.

        Returns the :class:`RuleBase`. Raises ``ValueError`` naming the material key and field
        for an unknown agent, level, source key or language, a band whose minimum exceeds its
        maximum, a duplicate material key, strategy key or vocabulary term, or a missing field.
        """
        return _parse(data)


def load_rule_base(path: str | Path | None = None) -> RuleBase:
    """Load and validate the rule base at ``path`` (default: the packaged ``rules.json``).

    Returns the :class:`RuleBase`; raises ``ValueError`` as :meth:`RuleBase.from_dict` does,
    and ``ValueError`` naming the path when the file is not valid JSON.
    """
    file_path = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = json.loads(file_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"rule base {file_path}: invalid JSON: {error}") from error
    return _parse(data)


def _material_to_dict(material: Material) -> dict[str, Any]:
    bands = material.bands
    return {
        "key": material.key,
        "aat": material.aat,
        "names": dict(material.names),
        "synonyms": {language: list(terms) for language, terms in material.synonyms.items()},
        "group": material.group,
        "sensitivity": {
            agent: {"level": item.level, "basis": item.basis, "sources": list(item.sources)}
            for agent, item in material.sensitivity.items()
        },
        "bands": {
            **{name: getattr(bands, name) for name in BAND_NUMBERS},
            "blue_wool": bands.blue_wool,
            "sources": list(bands.sources),
        },
        "strategies": [
            {
                "key": strategy.key,
                "agent": strategy.agent,
                "text": dict(strategy.text),
                "sources": list(strategy.sources),
            }
            for strategy in material.strategies
        ],
    }


def _fail(where: str, field: str, message: str) -> ValueError:
    return ValueError(f"rule base: {where}: {field}: {message}")


def _require(data: Mapping[str, Any], field: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, Mapping):
        raise _fail(where, field, f"expected an object, got {type(data).__name__}")
    if field not in data:
        raise _fail(where, field, "missing")
    value = data[field]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _fail(where, field, f"expected {kind}, got {value!r}")
    return value


def _names(data: Any, where: str, field: str) -> dict[str, str]:
    if not isinstance(data, Mapping):
        raise _fail(where, field, f"expected an object, got {data!r}")
    unknown = set(data) - set(LANGUAGES)
    if unknown:
        raise _fail(where, field, f"unknown language {sorted(unknown)[0]!r}")
    names: dict[str, str] = {}
    for language in LANGUAGES:
        value = data.get(language)
        if not isinstance(value, str) or not value.strip():
            raise _fail(where, f"{field}.{language}", f"expected a non-empty string, got {value!r}")
        names[language] = value
    return names


def _source_keys(
    data: Any, sources: Mapping[str, Source], where: str, field: str
) -> tuple[str, ...]:
    if not isinstance(data, list):
        raise _fail(where, field, f"expected a list of source keys, got {data!r}")
    for index, key in enumerate(data):
        if key not in sources:
            raise _fail(where, f"{field}[{index}]", f"unknown source key {key!r}")
    return tuple(data)


def _number(data: Mapping[str, Any], field: str, where: str, optional: bool) -> float | None:
    if field not in data:
        raise _fail(where, f"bands.{field}", "missing")
    value = data[field]
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"bands.{field}", f"expected a number, got {value!r}")
    if value < 0 and not field.startswith("t_"):
        raise _fail(where, f"bands.{field}", f"must not be negative, got {value!r}")
    return float(value)


def _bands(data: Any, sources: Mapping[str, Source], where: str) -> Bands:
    if not isinstance(data, Mapping):
        raise _fail(where, "bands", f"expected an object, got {data!r}")
    values = {
        name: _number(
            data, name, where, optional=name not in ("t_min", "t_max", "rh_min", "rh_max")
        )
        for name in BAND_NUMBERS
    }
    for low, high in (("t_min", "t_max"), ("rh_min", "rh_max")):
        low_value, high_value = values[low], values[high]
        if low_value is None or high_value is None:  # required fields are never None
            continue
        if low_value > high_value:
            raise _fail(where, f"bands.{low}", f"{low_value} is greater than {high} {high_value}")
    for name in ("rh_min", "rh_max"):
        value = values[name]
        if value is not None and value > 100:
            raise _fail(where, f"bands.{name}", f"RH above 100 %: {value}")
    blue_wool = data.get("blue_wool")
    if blue_wool is not None and (
        isinstance(blue_wool, bool) or not isinstance(blue_wool, int) or not 1 <= blue_wool <= 8
    ):
        # ISO 105-B02 defines Blue Wool references 1 to 8.
        raise _fail(where, "bands.blue_wool", f"expected 1-8 or null, got {blue_wool!r}")
    return Bands(
        t_min=values["t_min"] or 0.0,
        t_max=values["t_max"] or 0.0,
        rh_min=values["rh_min"] or 0.0,
        rh_max=values["rh_max"] or 0.0,
        max_rh_change_24h=values["max_rh_change_24h"],
        lux_max=values["lux_max"],
        annual_lux_hours_max=values["annual_lux_hours_max"],
        uv_max_uw_per_lm=values["uv_max_uw_per_lm"],
        blue_wool=blue_wool,
        sources=_source_keys(data.get("sources"), sources, where, "bands.sources"),
    )


def _material(data: Any, index: int, sources: Mapping[str, Source], agents: set[str]) -> Material:
    key = _require(data, "key", str, f"materials[{index}]")
    where = f"material {key!r}"
    aat = data.get("aat")
    if aat is not None and (not isinstance(aat, str) or not aat.isdigit() or len(aat) != 9):
        # Getty AAT subject ids are nine digits starting with 300.
        raise _fail(where, "aat", f"expected a 9-digit AAT id or null, got {aat!r}")
    if aat is not None and not aat.startswith("300"):
        raise _fail(where, "aat", f"AAT ids start with 300, got {aat!r}")
    names = _names(data.get("names"), where, "names")
    raw_synonyms = _require(data, "synonyms", Mapping, where)
    synonyms: dict[str, tuple[str, ...]] = {}
    for language, terms in raw_synonyms.items():
        if language not in LANGUAGES:
            raise _fail(where, "synonyms", f"unknown language {language!r}")
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise _fail(where, f"synonyms.{language}", f"expected a list of strings, got {terms!r}")
        synonyms[language] = tuple(terms)
    group = _require(data, "group", str, where)
    raw_sensitivity = _require(data, "sensitivity", Mapping, where)
    sensitivity: dict[str, Sensitivity] = {}
    for agent, item in raw_sensitivity.items():
        if agent not in agents:
            raise _fail(where, f"sensitivity.{agent}", f"unknown agent {agent!r}")
        level = _require(item, "level", str, f"{where}: sensitivity.{agent}")
        if level not in LEVELS:
            raise _fail(where, f"sensitivity.{agent}.level", f"unknown level {level!r}")
        basis = _require(item, "basis", str, f"{where}: sensitivity.{agent}")
        sensitivity[agent] = Sensitivity(
            level=level,
            basis=basis,
            sources=_source_keys(
                item.get("sources"), sources, where, f"sensitivity.{agent}.sources"
            ),
        )
    missing = [agent for agent in AGENT_KEYS if agent in agents and agent not in sensitivity]
    if missing:
        raise _fail(where, f"sensitivity.{missing[0]}", "missing")
    strategies: list[Strategy] = []
    seen: set[str] = set()
    for position, item in enumerate(_require(data, "strategies", list, where)):
        field = f"strategies[{position}]"
        strategy_key = _require(item, "key", str, f"{where}: {field}")
        if strategy_key in seen:
            raise _fail(where, f"{field}.key", f"duplicate strategy key {strategy_key!r}")
        seen.add(strategy_key)
        agent = _require(item, "agent", str, f"{where}: {field}")
        if agent not in agents:
            raise _fail(where, f"{field}.agent", f"unknown agent {agent!r}")
        strategies.append(
            Strategy(
                key=strategy_key,
                agent=agent,
                text=_names(item.get("text"), where, f"{field}.text"),
                sources=_source_keys(item.get("sources"), sources, where, f"{field}.sources"),
            )
        )
    return Material(
        key=key,
        aat=aat,
        names=names,
        synonyms=synonyms,
        group=group,
        sensitivity=sensitivity,
        bands=_bands(data.get("bands"), sources, where),
        strategies=tuple(strategies),
    )


def _parse(data: Any) -> RuleBase:
    where = "top level"
    version = _require(data, "version", str, where)
    updated = _require(data, "updated", str, where)
    sources: dict[str, Source] = {}
    for key, item in _require(data, "sources", Mapping, where).items():
        citation = _require(item, "citation", str, f"source {key!r}")
        url = item.get("url")
        if url is not None and not isinstance(url, str):
            raise _fail(f"source {key!r}", "url", f"expected a string or null, got {url!r}")
        sources[key] = Source(key=key, citation=citation, url=url)
    agents: list[Agent] = []
    for index, item in enumerate(_require(data, "agents", list, where)):
        key = _require(item, "key", str, f"agents[{index}]")
        if key not in AGENT_KEYS:
            raise _fail(f"agents[{index}]", "key", f"unknown agent {key!r}")
        if any(agent.key == key for agent in agents):
            raise _fail(f"agents[{index}]", "key", f"duplicate agent {key!r}")
        cci_agent = _require(item, "cci_agent", int, f"agent {key!r}")
        if not 1 <= cci_agent <= 10:
            # CCI defines ten agents of deterioration, numbered 1-10 in heritage.md §3.1.
            raise _fail(f"agent {key!r}", "cci_agent", f"expected 1-10, got {cci_agent}")
        agents.append(
            Agent(
                key=key,
                names=_names(item.get("names"), f"agent {key!r}", "names"),
                cci_agent=cci_agent,
            )
        )
    agent_keys = {agent.key for agent in agents}
    materials: list[Material] = []
    terms: dict[tuple[str, str], str] = {}
    for index, item in enumerate(_require(data, "materials", list, where)):
        material = _material(item, index, sources, agent_keys)
        if any(existing.key == material.key for existing in materials):
            raise _fail(f"material {material.key!r}", "key", f"duplicate key {material.key!r}")
        for language in LANGUAGES:
            for term in material.terms(language):
                normal = (language, term.strip().casefold())
                owner = terms.get(normal)
                if owner is not None and owner != material.key:
                    raise _fail(
                        f"material {material.key!r}",
                        f"synonyms.{language}",
                        f"term {term!r} already names material {owner!r}",
                    )
                terms[normal] = material.key
        materials.append(material)
    return RuleBase(
        version=version,
        updated=updated,
        sources=sources,
        agents=tuple(agents),
        materials=tuple(materials),
    )
