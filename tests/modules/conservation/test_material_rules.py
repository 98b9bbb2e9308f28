"""The material rule base services: every change is a new version (restores included) with an
event for the audit log, invalid rules are refused naming the field, and the classifier reads
catalogue objects when they are created, edited or imported and when the rules change, never
overwriting materials a person set."""

from __future__ import annotations

import io
from typing import Any

import pytest

from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.testing.events import captured_events
from taihe.modules.catalog import importer
from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import material_rules
from taihe.modules.conservation.materials import load_rule_base
from taihe.modules.conservation.models import MaterialRuleSet, ObjectMaterials

pytestmark = pytest.mark.django_db

PACKAGED = load_rule_base()


def _keys(object_id: int) -> list[str]:
    row = ObjectMaterials.objects.get(object_id=object_id)
    return [str(item["key"]) for item in row.materials]


def _create(registrar: Any, number: str, medium: dict[str, str]) -> Any:
    return catalog_services.do_create_object(
        registrar,
        catalog_services.ObjectInput(object_number=number, title={"en": number}, medium=medium),
    )


# --- Versions -------------------------------------------------------------------------------


def test_each_save_stores_a_new_current_version_based_on_the_previous(
    people: dict[str, Any],
) -> None:
    # given the packaged rule base, stored as the first version
    first_version, _rules = material_rules.current_rule_base()
    first = MaterialRuleSet.objects.get(is_current=True)
    assert first_version == PACKAGED.version == "2026.1"
    # when a curator narrows the RH band of paper, then a conservator edits silk
    saved = material_rules.do_save_material(
        people["curator"],
        "paper",
        {"bands": {"rh_min": 48, "rh_max": 52}},
        "Tighter band after the 2026 survey",
    )
    again = material_rules.do_save_material(
        people["conservator"],
        "silk",
        {"sensitivity": {"light": {"basis": "fades fast"}}},
        "Clearer basis",
        based_on_version=saved.version,
    )
    # then each is a new version, based on the one before, and only the newest is current
    assert (saved.version, saved.based_on_id, again.version, again.based_on_id) == (
        "2026.1+1",
        first.pk,
        "2026.1+2",
        saved.pk,
    )
    assert list(
        MaterialRuleSet.objects.filter(is_current=True).values_list("version", flat=True)
    ) == ["2026.1+2"]
    version, rules = material_rules.current_rule_base()
    assert version == "2026.1+2" == rules.version
    paper = rules.material("paper")
    assert (paper.bands.rh_min, paper.bands.rh_max) == (48.0, 52.0)
    assert rules.material("silk").sensitivity["light"].basis == "fades fast"
    assert (
        rules.material("silk").sensitivity["light"].level
        == PACKAGED.material("silk").sensitivity["light"].level
    )
    # and the first version is untouched
    first.refresh_from_db()
    assert first.data == PACKAGED.to_dict()
    assert (saved.note, saved.created_by_id) == (
        "Tighter band after the 2026 survey",
        people["curator"].pk,
    )


def test_a_save_publishes_the_changed_materials_for_the_audit_log(people: dict[str, Any]) -> None:
    material_rules.current_rule_base()
    with captured_events() as found:
        saved = material_rules.do_save_material(
            people["curator"],
            "paper",
            {"aat": "300014109", "group": "paper", "bands": {"lux_max": 30}},
            "Less light",
        )
    assert [row.name for row in found] == ["conservation.material_rules.saved.v1"]
    payload = found[0].payload
    assert (payload["rule_set_id"], payload["version"], payload["changed_materials"]) == (
        saved.pk,
        "2026.1+1",
        ["paper"],
    )
    assert payload["subject_type"] == "conservation.material_rules"
    assert payload["before"]["materials"]["paper"]["bands"]["lux_max"] == 50
    assert payload["after"]["materials"]["paper"]["bands"]["lux_max"] == 30


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bands": {"rh_min": 60, "rh_max": 50}}, "bands.rh_min"),
        ({"sensitivity": {"light": {"level": "extreme"}}}, "sensitivity.light.level"),
        ({"aat": "12345"}, "aat"),
        ({"names": {"en": ""}}, "names.en"),
        (
            {
                "strategies": [
                    {
                        "key": "x",
                        "agent": "heat",
                        "text": {"en": "a", "zh-hans": "b"},
                        "sources": [],
                    }
                ]
            },
            "strategies[0].agent",
        ),
        ({"synonyms": {"en": ["silk"]}}, "synonyms.en"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_rules_are_refused_naming_the_field(
    people: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    material_rules.current_rule_base()
    with pytest.raises(ValidationFailed) as raised:
        material_rules.do_save_material(people["curator"], "paper", changes, "Try")
    assert list(raised.value.fields) == [field]
    assert MaterialRuleSet.objects.count() == 1


def test_the_exact_message_of_a_band_error() -> None:
    error = material_rules._validation_failed(
        ValueError("rule base: material 'paper': bands.rh_min: 60.0 is greater than rh_max 50.0")
    )
    assert error.fields == {"bands.rh_min": "60.0 is greater than rh_max 50.0"}


def test_a_save_without_a_note_or_change_or_on_a_stale_version_is_refused(
    people: dict[str, Any],
) -> None:
    material_rules.current_rule_base()
    curator = people["curator"]
    with pytest.raises(ValidationFailed) as no_note:
        material_rules.do_save_material(curator, "paper", {"bands": {"lux_max": 30}}, " ")
    assert list(no_note.value.fields) == ["note"]
    with pytest.raises(ValidationFailed) as no_change:
        material_rules.do_save_material(curator, "paper", {"bands": {"lux_max": 50}}, "Same")
    assert list(no_change.value.fields) == ["note"]
    with pytest.raises(Conflict):
        material_rules.do_save_material(
            curator, "paper", {"bands": {"lux_max": 30}}, "Old", based_on_version="2025.9"
        )
    with pytest.raises(NotFound):
        material_rules.do_save_material(curator, "unobtainium", {"group": "metal"}, "New")
    assert MaterialRuleSet.objects.count() == 1


def test_people_without_the_operation_change_nothing(people: dict[str, Any]) -> None:
    material_rules.current_rule_base()
    first = MaterialRuleSet.objects.get()
    for name in ("member", "registrar", "outsider"):
        with pytest.raises(PermissionDenied):
            material_rules.do_save_material(people[name], "paper", {"bands": {"lux_max": 30}}, "No")
        with pytest.raises(PermissionDenied):
            material_rules.do_restore_version(people[name], first.pk)
        with pytest.raises(PermissionDenied):
            material_rules.do_reclassify_all(people[name])
    assert MaterialRuleSet.objects.count() == 1


def test_restoring_an_old_version_makes_a_new_version_and_keeps_history(
    people: dict[str, Any],
) -> None:
    material_rules.current_rule_base()
    first = MaterialRuleSet.objects.get()
    edited = material_rules.do_save_material(
        people["curator"], "paper", {"bands": {"lux_max": 30}}, "Less light"
    )
    with captured_events() as found:
        restored = material_rules.do_restore_version(people["conservator"], first.pk)
    assert (restored.version, restored.based_on_id, restored.is_current) == (
        "2026.1+2",
        edited.pk,
        True,
    )
    assert restored.note == "Restored version 2026.1."
    assert restored.data["materials"] == first.data["materials"]
    assert [row.payload["changed_materials"] for row in found] == [["paper"]]
    edited.refresh_from_db()
    assert (edited.is_current, edited.data["materials"][0]["bands"]["lux_max"]) == (False, 30)
    assert material_rules.current_rule_base()[1].material("paper").bands.lux_max == 50.0
    with pytest.raises(ValidationFailed):
        material_rules.do_restore_version(people["conservator"], restored.pk)


def test_adding_a_material_validates_it_and_its_key(people: dict[str, Any]) -> None:
    material_rules.current_rule_base()
    entry: dict[str, Any] = {
        **PACKAGED.to_dict()["materials"][0],
        "key": "birch_bark",
        "aat": None,
        "names": {"en": "birch bark", "zh-hans": "桦树皮"},
        "synonyms": {"en": [], "zh-hans": []},
    }
    saved = material_rules.do_add_material(people["curator"], entry, "Added birch bark")
    assert material_rules.version_changes(saved) == [
        material_rules.MaterialChange(
            "birch_bark", "added", {"en": "birch bark", "zh-hans": "桦树皮"}
        )
    ]
    with pytest.raises(ValidationFailed) as taken:
        material_rules.do_add_material(people["curator"], entry, "Again")
    assert list(taken.value.fields) == ["key"]
    with pytest.raises(ValidationFailed) as bad_key:
        material_rules.do_add_material(people["curator"], entry | {"key": "Birch Bark"}, "x")
    assert list(bad_key.value.fields) == ["key"]


def test_the_difference_names_each_changed_field(people: dict[str, Any]) -> None:
    material_rules.current_rule_base()
    saved = material_rules.do_save_material(
        people["curator"],
        "paper",
        {
            "bands": {"lux_max": 30},
            "sensitivity": {"light": {"level": "medium"}},
            "synonyms": {"zh-hans": ["纸张", "纸质", "纸本", "纸品"]},
        },
        "Several",
    )
    assert material_rules.version_changes(saved) == [
        material_rules.MaterialChange(
            "paper",
            "changed",
            {"en": "paper", "zh-hans": "纸"},
            [
                material_rules.FieldChange("bands.lux_max", 50, 30),
                material_rules.FieldChange("sensitivity.light.level", "high", "medium"),
                material_rules.FieldChange(
                    "synonyms.zh-hans", ["纸张", "纸质", "纸本"], ["纸张", "纸质", "纸本", "纸品"]
                ),
            ],
        )
    ]


# --- Classification -------------------------------------------------------------------------


def test_objects_are_read_when_catalogued_and_when_their_medium_changes(
    people: dict[str, Any], run_commit_hooks: Any
) -> None:
    registrar = people["registrar"]
    with run_commit_hooks():
        painting = _create(registrar, "P-1", {"en": "Oil paint on canvas"})
    row = ObjectMaterials.objects.get(object_id=painting.pk)
    assert (row.source, row.rules_version, row.text) == (
        "classifier",
        "2026.1",
        "Oil paint on canvas",
    )
    assert row.materials == [
        {
            "key": "oil_paint",
            "confidence": 0.95,
            "matched": "Oil paint",
            "method": "exact",
            "role": row.materials[0]["role"],
        },
        {
            "key": "canvas",
            "confidence": 0.95,
            "matched": "canvas",
            "method": "exact",
            "role": row.materials[1]["role"],
        },
    ]
    with run_commit_hooks():
        catalog_services.do_update_object(
            registrar,
            painting,
            catalog_services.ObjectInput(medium={"zh-Hans": "绢本设色"}, clear=[]),
        )
    assert _keys(painting.pk) == ["silk", "mineral_pigments", "carbon_ink"]


def test_objects_are_read_after_a_register_import(
    people: dict[str, Any], run_commit_hooks: Any
) -> None:
    text = "藏品编号,名称,质地\n故20001,兽面纹鼎,青铜\n故20002,掐丝珐琅瓶,铜胎掐丝珐琅\n"
    stream = io.BytesIO(text.encode("utf-8"))
    stream.name = "register.csv"
    with run_commit_hooks():
        summary = importer.import_file(
            people["registrar"],
            stream,
            filename="register.csv",
            mapping={"藏品编号": "object_number", "名称": "title", "质地": "medium"},
        )
    assert summary.created == 2
    rows = {
        row.text: [item["key"] for item in row.materials] for row in ObjectMaterials.objects.all()
    }
    assert rows == {"青铜": ["bronze"], "铜胎掐丝珐琅": ["enamel", "bronze"]}


def test_person_set_materials_survive_rule_changes_and_rereading(
    people: dict[str, Any], run_commit_hooks: Any
) -> None:
    registrar, conservator = people["registrar"], people["conservator"]
    with run_commit_hooks():
        scroll = _create(registrar, "S-1", {"en": "Ink on paper"})
        bowl = _create(registrar, "B-1", {"en": "Bronze"})
    with captured_events() as found:
        material_rules.do_set_object_materials(conservator, scroll.pk, ["silk", "carbon_ink"])
    assert [(row.name, row.payload["materials"]) for row in found] == [
        ("conservation.object_materials.set.v1", ["silk", "carbon_ink"])
    ]
    # when the rules change (which queues re-reading) and the whole register is read again
    with run_commit_hooks():
        material_rules.do_save_material(
            conservator, "bronze", {"bands": {"rh_max": 38}}, "Drier for bronze disease"
        )
    assert ObjectMaterials.objects.get(object_id=bowl.pk).rules_version == "2026.1+1"
    with run_commit_hooks():
        material_rules.do_reclassify_all(conservator)
    # then what the person set is kept, and the classifier's reading is current
    row = ObjectMaterials.objects.get(object_id=scroll.pk)
    assert (row.source, row.set_by_id, _keys(scroll.pk)) == (
        "person",
        conservator.pk,
        ["silk", "carbon_ink"],
    )
    assert _keys(bowl.pk) == ["bronze"]
    # and handing it back to the classifier reads the text again
    material_rules.do_set_object_materials(conservator, scroll.pk, None)
    row.refresh_from_db()
    assert (row.source, row.set_by_id) == ("classifier", None)
    assert "paper" in _keys(scroll.pk)


def test_setting_object_materials_checks_keys_permission_and_existence(
    people: dict[str, Any],
) -> None:
    registrar = people["registrar"]
    visible = _create(registrar, "V-1", {"en": "Bronze"})
    with pytest.raises(ValidationFailed) as unknown:
        material_rules.do_set_object_materials(people["conservator"], visible.pk, ["kryptonite"])
    assert unknown.value.fields == {"materials": "Unknown material: kryptonite."}
    with pytest.raises(ValidationFailed):
        material_rules.do_set_object_materials(people["conservator"], visible.pk, [])
    with pytest.raises(PermissionDenied):
        material_rules.do_set_object_materials(people["registrar"], visible.pk, ["bronze"])
    with pytest.raises(NotFound):
        material_rules.do_set_object_materials(people["conservator"], 999_999, ["bronze"])
    assert not ObjectMaterials.objects.filter(source="person").exists()
