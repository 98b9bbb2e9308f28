"""Pages of the material rule base: the four-actor matrix for every page and form, editing
through the page makes a new version, and every page renders in Chinese too."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import material_rules
from taihe.modules.conservation.models import MaterialRuleSet, ObjectMaterials
from taihe.modules.conservation.views_materials import MaterialForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def painting(people: dict[str, Any]) -> Any:
    return catalog_services.do_create_object(
        people["registrar"],
        catalog_services.ObjectInput(
            object_number="P-1", title={"en": "Landscape"}, medium={"en": "Oil paint on canvas"}
        ),
    )


def _pages(painting: Any) -> list[str]:
    first = MaterialRuleSet.objects.get(is_current=True)
    return [
        reverse("conservation:materials"),
        reverse("conservation:materials_material", args=["paper"]),
        reverse("conservation:materials_versions"),
        reverse("conservation:materials_version", args=[first.pk]),
        reverse("conservation:materials_object", args=[painting.pk]),
    ]


def test_pages_four_actor_matrix(people: dict[str, Any], painting: Any, client_for: Any) -> None:
    material_rules.current_rule_base()
    for url in _pages(painting):
        assert client_for(None).get(url).status_code == 302, url
        assert client_for(people["member"]).get(url).status_code == 403, url
        for name in ("registrar", "curator", "admin"):
            assert client_for(people[name]).get(url).status_code == 200, (name, url)
    edit = reverse("conservation:materials_edit", args=["paper"])
    add = reverse("conservation:materials_add")
    for url in (edit, add):
        assert client_for(None).get(url).status_code == 302
        for name in ("member", "registrar"):  # registrar sees the rules but may not edit them
            assert client_for(people[name]).get(url).status_code == 403
        for name in ("curator", "admin"):
            assert client_for(people[name]).get(url).status_code == 200


def _edit_data(version: str) -> dict[str, Any]:
    _version, rules = material_rules.current_rule_base()
    initial = MaterialForm.initial_from(rules.material("paper"), version)
    return {name: ("" if value is None else value) for name, value in initial.items()}


def test_editing_through_the_page_saves_a_new_version(
    people: dict[str, Any], client_for: Any
) -> None:
    material_rules.current_rule_base()
    url = reverse("conservation:materials_edit", args=["paper"])
    data = _edit_data("2026.1") | {"bands.lux_max": "30", "note": "Less light"}
    for person in (None, people["member"], people["registrar"]):
        client_for(person).post(url, data)
    assert MaterialRuleSet.objects.count() == 1
    # an invalid band is shown next to its field, nothing saved
    bad = client_for(people["curator"]).post(url, data | {"bands.rh_min": "70"})
    assert bad.status_code == 422
    assert "is greater than rh_max" in bad.content.decode()
    assert MaterialRuleSet.objects.count() == 1
    response = client_for(people["curator"]).post(url, data)
    assert response.status_code == 302
    saved = MaterialRuleSet.objects.get(is_current=True)
    assert saved.version == "2026.1+1"
    changes = material_rules.version_changes(saved)
    assert [(c.key, [(f.path, f.before, f.after) for f in c.fields]) for c in changes] == [
        ("paper", [("bands.lux_max", 50, 30)])
    ]
    page = (
        client_for(people["registrar"])
        .get(reverse("conservation:materials_version", args=[saved.pk]))
        .content.decode()
    )
    assert "Illuminance (lx)" in page and "Restore" not in page


def test_restore_and_reread_forms_matrix(
    people: dict[str, Any], client_for: Any, run_commit_hooks: Any
) -> None:
    material_rules.current_rule_base()
    first = MaterialRuleSet.objects.get()
    material_rules.do_save_material(
        people["curator"], "paper", {"bands": {"lux_max": 30}}, "Less light"
    )
    restore = reverse("conservation:materials_restore", args=[first.pk])
    reread = reverse("conservation:materials_reclassify")
    assert client_for(None).post(restore).status_code == 302
    for name in ("member", "registrar"):
        assert client_for(people[name]).post(restore).status_code == 403
        assert client_for(people[name]).post(reread).status_code == 403
    assert MaterialRuleSet.objects.count() == 2
    assert client_for(people["admin"]).post(restore).status_code == 302
    assert MaterialRuleSet.objects.get(is_current=True).version == "2026.1+2"
    with run_commit_hooks():
        assert client_for(people["curator"]).post(reread).status_code == 302


def test_correcting_an_object_through_its_page(
    people: dict[str, Any], painting: Any, client_for: Any
) -> None:
    url = reverse("conservation:materials_object", args=[painting.pk])
    page = client_for(people["registrar"]).get(url).content.decode()
    assert "Oil paint on canvas" in page and "95 %" in page
    assert "Correct the materials" not in page  # the registrar may look, not correct
    assert client_for(people["registrar"]).post(url, {"materials": ["silk"]}).status_code == 403
    assert client_for(people["member"]).post(url, {"materials": ["silk"]}).status_code == 403
    assert ObjectMaterials.objects.get(object_id=painting.pk).source == "classifier"
    response = client_for(people["curator"]).post(
        url, {"materials": ["canvas", "silk"], "action": "set"}
    )
    assert response.status_code == 302
    row = ObjectMaterials.objects.get(object_id=painting.pk)
    assert (row.source, [m["key"] for m in row.materials]) == ("person", ["canvas", "silk"])
    assert (
        client_for(people["curator"])
        .get(reverse("conservation:materials_object", args=[999_999]))
        .status_code
        == 404
    )


def test_every_page_renders_in_chinese(
    people: dict[str, Any], painting: Any, client_for: Any
) -> None:
    material_rules.current_rule_base()
    client = client_for(people["admin"])
    client.cookies["django_language"] = "zh-hans"
    urls = [
        *_pages(painting),
        reverse("conservation:materials_edit", args=["paper"]),
        reverse("conservation:materials_add"),
    ]
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        assert 'lang="zh-hans"' in response.content.decode(), url
    matrix = client.get(urls[0], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "纸 · paper" in matrix
    assert 'href="https://vocab.getty.edu/page/aat/300014109"' in matrix
