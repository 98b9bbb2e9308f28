"""Reads of the register: restricted stores stay hidden; search in Chinese and English."""

from __future__ import annotations

from typing import Any

import pytest

from taihe.modules.catalog import selectors, services

pytestmark = pytest.mark.django_db


def test_restricted_store_is_hidden_from_staff(catalog: Any) -> None:
    staff, scroll = catalog["people"]["member"], catalog["scroll"]
    place = selectors.place_of(staff, scroll)
    assert (place.restricted, place.location, place.label("en")) == (
        True, None, "Restricted location")
    codes = set(selectors.locations_for(staff).values_list("code", flat=True))
    assert codes == {"SITE", "G1"}
    result = selectors.search_objects(staff, selectors.ObjectQuery())
    assert [value.value for value in result.facets["location"]] == [str(catalog["site"].pk)]
    assert result.facets["location"][0].count == 1
    hidden = selectors.search_objects(staff, selectors.ObjectQuery(
        location_id=catalog["store"].pk))
    assert (hidden.total, hidden.objects) == (0, [])


def test_registrar_sees_the_store(catalog: Any) -> None:
    registrar = catalog["people"]["registrar"]
    assert selectors.place_of(registrar, catalog["scroll"]).location == catalog["shelf"]
    found = selectors.search_objects(registrar, selectors.ObjectQuery(
        location_id=catalog["store"].pk))
    assert [obj.object_number for obj in found.objects] == ["故00002"]


@pytest.mark.parametrize("text", ["青花", "blue"])
def test_search_in_chinese_and_english_with_facets(catalog: Any, text: str) -> None:
    result = selectors.search_objects(catalog["people"]["member"],
                                      selectors.ObjectQuery(text=text))
    assert [obj.object_number for obj in result.objects] == ["故00001"]
    assert [(v.value, v.count) for v in result.facets["material"]] == [("porcelain", 1)]
    assert [(v.value, v.count) for v in result.facets["period"]] == [("ming", 1)]


def test_year_range(catalog: Any) -> None:
    result = selectors.search_objects(catalog["people"]["member"], selectors.ObjectQuery(
        year_from=1000, year_to=1200))
    assert [obj.object_number for obj in result.objects] == ["故00002"]


def test_condition_checks_due_follow_the_latest_check(catalog: dict[str, Any]) -> None:
    import datetime as dt

    from django.utils import timezone

    from taihe.kernel.shell import todos_for

    conservator = catalog["people"]["conservator"]
    bowl = catalog["bowl"]
    today = timezone.localdate()
    long_ago = timezone.now() - dt.timedelta(days=400)
    services.do_record_condition_check(conservator, bowl, services.ConditionInput(
        condition="fair", checked_at=long_ago, next_check_due=today - dt.timedelta(days=30)))

    due = selectors.condition_checks_due(conservator, by=today)
    titles = [todo.title for todo in todos_for(conservator)]

    assert [(obj.object_number, when) for obj, when in due] == [
        ("故00001", today - dt.timedelta(days=30))]
    assert titles == ["Condition check due: 故00001 Blue and white bowl"]
    assert selectors.condition_checks_due(catalog["people"]["member"], by=today) == []

    services.do_record_condition_check(conservator, bowl, services.ConditionInput(
        condition="good", next_check_due=today + dt.timedelta(days=365)))
    assert selectors.condition_checks_due(conservator, by=today) == []


@pytest.fixture
def shelf_of_bowls(catalog: Any) -> Any:
    """Sixty more objects: 40 bowls (porcelain; every fourth grade 1), 20 jade discs."""
    registrar = catalog["people"]["registrar"]
    for index in range(60):
        bowl = index < 40
        services.do_create_object(registrar, services.ObjectInput(
            object_number=f"S{index:03d}",
            title={"en": "Export bowl" if bowl else "Jade disc"},
            materials=["porcelain"] if bowl else ["jade"],
            grade="grade-1" if bowl and index % 4 == 0 else "general",
            year_earliest=1700, year_latest=1720))
    return catalog


def test_facets_ignore_their_own_selection(shelf_of_bowls: Any) -> None:
    registrar = shelf_of_bowls["people"]["registrar"]

    result = selectors.search_objects(registrar, selectors.ObjectQuery(
        materials=["porcelain"], grades=["grade-1"]))

    assert (result.total, result.approximate) == (11, False)  # 10 bowls + 故00001
    grades = {value.value: (value.count, value.selected) for value in result.facets["grade"]}
    assert grades == {"grade-1": (11, True), "general": (30, False)}
    materials = {value.value: value.count for value in result.facets["material"]}
    assert materials == {"porcelain": 11}
    assert [obj.object_number for obj in result.objects][:3] == ["S000", "S004", "S008"]


def test_large_matches_are_sampled_and_paged_through_the_index(
        shelf_of_bowls: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above EXACT_LIMIT candidates the counts come from every n-th one and say so; the
    page is still exact, in catalogue-entry order, and respects every filter."""
    monkeypatch.setattr(selectors, "EXACT_LIMIT", 10)
    monkeypatch.setattr(selectors, "SAMPLE_SIZE", 20)
    monkeypatch.setattr(selectors, "PAGE_CHUNK", 7)
    registrar = shelf_of_bowls["people"]["registrar"]

    plain = selectors.search_objects(registrar, selectors.ObjectQuery(text="bowl"), limit=5)
    narrowed = selectors.search_objects(registrar, selectors.ObjectQuery(
        text="bowl", grades=["grade-1"]), offset=2, limit=3)

    assert (plain.approximate, plain.order) == (True, "entry")
    assert 30 <= plain.total <= 52  # 41 bowls, estimated from every other one
    assert sum(value.count for value in plain.facets["grade"]) in range(30, 52)
    assert [obj.object_number for obj in plain.objects] == [
        "故00001", "S000", "S001", "S002", "S003"]
    assert narrowed.approximate is True
    # 故00001 is a grade-1 bowl too, so the third grade-1 match is S004
    assert [obj.object_number for obj in narrowed.objects] == ["S004", "S008", "S012"]
    assert all(obj.grade == "grade-1" for obj in narrowed.objects)


def test_browsing_everything_samples_by_id(shelf_of_bowls: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "EXACT_LIMIT", 10)
    monkeypatch.setattr(selectors, "SAMPLE_SIZE", 31)
    registrar = shelf_of_bowls["people"]["registrar"]

    result = selectors.search_objects(registrar, selectors.ObjectQuery(), limit=2)

    assert (result.total, result.approximate) == (62, True)
    assert [obj.object_number for obj in result.objects] == ["S000", "S001"]
    estimated = {value.value: value.count for value in result.facets["material"]}
    assert set(estimated) <= {"porcelain", "jade", "silk"}
    assert 30 <= estimated["porcelain"] <= 52
