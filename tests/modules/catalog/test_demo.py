"""The demo collection: its shape, that every object is somewhere, and that loading it twice
changes nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db.models import Max

from taihe.kernel import demo as kernel_demo
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.catalog import demo
from taihe.modules.catalog.models import (
    CatalogObject,
    ConditionCheck,
    CurrentLocation,
    Exhibition,
    Loan,
    Location,
    Media,
    Movement,
    ObjectMaterial,
    ObjectRevision,
    Term,
    Treatment,
)
from taihe.modules.catalog.selectors import restricted_location_ids
from taihe.modules.directory import demo as directory_demo

pytestmark = pytest.mark.django_db

OBJECTS = 300
"""Enough objects for every category, the loan (six porcelain objects) and the checks."""


@pytest.fixture
def people() -> None:
    directory_demo.load(lambda line: None)


def load(objects: int = OBJECTS, images: int = 0) -> dict[str, Any]:
    return demo.load_collection(lambda line: None, objects=objects, images=images)


def state() -> dict[str, tuple[int, int | None]]:
    """Row count and highest id of every table the demo writes."""
    return {model.__name__: (model.objects.count(), model.objects.aggregate(top=Max("pk"))["top"])
            for model in (Term, Location, CatalogObject, ObjectMaterial, ObjectRevision, Movement,
                          ConditionCheck, Treatment, Loan, Exhibition, Media, OutboxEvent)}


def test_the_catalog_loader_runs_after_the_directory() -> None:
    # when
    order = [entry.name for entry in kernel_demo.loaders()]

    # then
    assert order.index("directory") < order.index("catalog")


def test_the_demo_collection_has_its_objects_and_locations(people: None) -> None:
    # when
    summary = load()

    # then
    assert summary["objects"] == OBJECTS
    assert summary["locations"] == len(demo.LOCATIONS) == Location.objects.count()
    assert CatalogObject.objects.count() == OBJECTS
    assert ObjectRevision.objects.filter(number=1).count() == OBJECTS
    assert set(CatalogObject.objects.values_list("revision", flat=True)) == {1}
    assert Loan.objects.get(number=demo.LOAN_NUMBER).status == Loan.Status.REQUESTED
    assert Loan.objects.get(number=demo.LOAN_NUMBER).lines.count() == 6
    exhibition = Exhibition.objects.get(code=demo.EXHIBITION_CODE)
    assert exhibition.objects_shown.count() > 0
    assert ConditionCheck.objects.count() == OBJECTS // 50


def test_every_object_has_a_current_location_consistent_with_its_last_move(
        people: None) -> None:
    # when
    load()

    # then
    current = dict(CurrentLocation.objects.values_list("object_id", "location_id"))
    assert set(current) == set(CatalogObject.objects.values_list("id", flat=True))
    for spec in demo.demo_objects(OBJECTS):
        obj = CatalogObject.objects.get(object_number=spec.number)
        assert Location.objects.get(pk=current[obj.pk]).code == spec.home
        moves = list(Movement.objects.filter(object=obj).order_by("moved_at", "id"))
        # the recorded history, then the move home unless the history already ends there
        assert len(moves) == len(spec.history) + (spec.history[-1][0] != spec.home)
        assert moves[-1].to_location_id == current[obj.pk]
        assert [m.from_location_id for m in moves[1:]] == [m.to_location_id for m in moves[:-1]]
    assert Movement.objects.values("object_id").distinct().count() == OBJECTS
    assert Counter(len(spec.history) for spec in demo.demo_objects(OBJECTS))[2] > 0


def test_stores_are_restricted_and_galleries_open_to_visitors(people: None) -> None:
    # when
    load()

    # then
    stores = Location.objects.filter(kind=Location.Kind.STORE)
    assert stores.count() == 6
    assert all(store.is_restricted for store in stores)
    hidden = restricted_location_ids()
    cabinets = Location.objects.filter(kind__in=[Location.Kind.CABINET, Location.Kind.SHELF])
    assert cabinets.count() == 18
    assert set(cabinets.values_list("id", flat=True)) <= hidden
    galleries = Location.objects.filter(kind=Location.Kind.GALLERY)
    assert galleries.count() == 7
    assert all(g.is_public and g.pk not in hidden for g in galleries)
    assert Location.objects.filter(kind=Location.Kind.LAB).count() == 1
    site = Location.objects.get(code=demo.SITE)
    assert site.name == {"zh-Hans": "太和博物馆", "en": "Taihe Museum"}
    assert Location.objects.filter(path__startswith=site.path).count() == len(demo.LOCATIONS)


def test_the_records_are_plausible(people: None) -> None:
    # when
    load()

    # then
    for obj in CatalogObject.objects.select_related("object_type"):
        assert obj.year_earliest is not None and obj.year_latest is not None
        assert obj.year_earliest <= obj.year_latest, obj.object_number
        assert set(obj.title) == {"zh-Hans", "en"}
        assert obj.dimensions
    qianlong = CatalogObject.objects.filter(period__en="Qing dynasty, Qianlong reign")
    assert qianlong.exists()
    assert {(o.year_earliest, o.year_latest) for o in qianlong} == {(1736, 1795)}
    grades = Counter(CatalogObject.objects.values_list("grade", flat=True))
    assert grades["general"] > grades["grade-3"] > grades["grade-1"]
    assert set(ObjectMaterial.objects.values_list("term__scheme", flat=True)) == {"material"}
    painting = CatalogObject.objects.filter(object_type__code="hanging-scroll",
                                            makers__0__role="painter").first()
    assert painting is not None


def test_loading_twice_changes_nothing(people: None) -> None:
    # given
    load(images=2)
    before = state()

    # when
    summary = load(images=2)

    # then
    assert summary["created"] == 0
    assert state() == before
    assert Media.objects.count() == 2


def test_the_registered_loader_takes_its_size_from_the_environment(
        people: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    monkeypatch.setenv("TAIHE_DEMO_CATALOG_OBJECTS", "60")
    monkeypatch.setenv("TAIHE_DEMO_CATALOG_IMAGES", "0")
    lines: list[str] = []

    # when
    summary = demo.load(lines.append)

    # then
    assert summary["objects"] == 60
    assert CatalogObject.objects.count() == 60
    assert Media.objects.count() == 0
    assert lines and "60 objects" in lines[0]
