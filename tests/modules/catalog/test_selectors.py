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
