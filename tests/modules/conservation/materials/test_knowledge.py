"""The rule base loads, round-trips, and rejects malformed data naming the material and field."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from taihe.modules.conservation.materials.knowledge import (
    AGENT_KEYS,
    RuleBase,
    load_rule_base,
)


@pytest.fixture(scope="module")
def data() -> dict:
    return load_rule_base().to_dict()


def test_packaged_rule_base_loads_with_every_agent_for_every_material() -> None:
    rule_base = load_rule_base()
    assert rule_base.version == "2026.1"
    assert len(rule_base.materials) >= 35
    assert {agent.key for agent in rule_base.agents} == set(AGENT_KEYS)
    for material in rule_base.materials:
        assert set(material.sensitivity) == set(AGENT_KEYS), material.key


def test_aat_ids_from_the_research_notes_are_kept() -> None:
    rule_base = load_rule_base()
    assert rule_base.material("paper").aat == "300014109"
    assert rule_base.material("bronze").aat == "300010957"
    assert rule_base.material("earthenware").aat == "300010669"
    assert rule_base.material("jade").aat is None


def test_material_lookup_of_unknown_key_raises_key_error() -> None:
    with pytest.raises(KeyError, match="unobtainium"):
        load_rule_base().material("unobtainium")


def test_to_dict_and_from_dict_round_trip(data: dict) -> None:
    again = RuleBase.from_dict(data)
    assert again == load_rule_base()
    assert again.to_dict() == data


def test_load_from_a_path(tmp_path: Path, data: dict) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_rule_base(path).material("silk").names["zh-hans"] == "丝绸"


def test_invalid_json_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json"):
        load_rule_base(path)


def _material(data: dict, key: str) -> dict:
    return next(m for m in data["materials"] if m["key"] == key)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: _material(d, "silk")["sensitivity"].update(
                {"vibration": {"level": "high", "basis": "x", "sources": []}}
            ),
            r"material 'silk': sensitivity.vibration: unknown agent 'vibration'",
        ),
        (
            lambda d: _material(d, "silk")["sensitivity"]["light"].update({"level": "extreme"}),
            r"material 'silk': sensitivity.light.level: unknown level 'extreme'",
        ),
        (
            lambda d: _material(d, "silk")["sensitivity"]["light"].update({"sources": ["nowhere"]}),
            r"material 'silk': sensitivity.light.sources\[0\]: unknown source key 'nowhere'",
        ),
        (
            lambda d: _material(d, "silk")["bands"].update({"rh_min": 70, "rh_max": 50}),
            r"material 'silk': bands.rh_min: 70.0 is greater than rh_max 50.0",
        ),
        (
            lambda d: _material(d, "silk")["bands"].update({"t_min": 30}),
            r"material 'silk': bands.t_min: 30.0 is greater than t_max",
        ),
        (
            lambda d: _material(d, "silk")["bands"].update({"blue_wool": 9}),
            r"material 'silk': bands.blue_wool: expected 1-8 or null, got 9",
        ),
        (
            lambda d: d["materials"].append(copy.deepcopy(_material(d, "silk"))),
            r"material 'silk': key: duplicate key 'silk'",
        ),
        (
            lambda d: _material(d, "silk")["sensitivity"].pop("pests"),
            r"material 'silk': sensitivity.pests: missing",
        ),
        (
            lambda d: _material(d, "silk").update({"aat": "12345"}),
            r"material 'silk': aat: expected a 9-digit AAT id or null",
        ),
        (
            lambda d: _material(d, "cotton")["synonyms"]["en"].append("Silk"),
            r"material 'cotton': synonyms.en: term 'Silk' already names material 'silk'",
        ),
        (
            lambda d: _material(d, "silk")["strategies"][0].update({"agent": "fire"}),
            r"material 'silk': strategies\[0\].agent: unknown agent 'fire'",
        ),
    ],
)
def test_from_dict_rejects_invalid_data_naming_material_and_field(
    data: dict, mutate, message
) -> None:
    broken = copy.deepcopy(data)
    mutate(broken)
    with pytest.raises(ValueError, match=message):
        RuleBase.from_dict(broken)


def test_importing_the_package_loads_no_django() -> None:
    src = Path(__file__).resolve().parents[4] / "src"
    code = (
        "import sys\n"
        "import taihe.modules.conservation.materials as materials\n"
        "assert materials.classify_medium('Bronze')[0].key == 'bronze'\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'ninja'})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert result.stdout.strip() == ""
