"""Services of the collection register: revisions, validation, locations, movements,
inventory, condition checks, loans and exhibitions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from taihe.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from taihe.modules.catalog import services
from taihe.modules.catalog.models import (
    CatalogObject,
    CurrentLocation,
    FieldDefinition,
    Loan,
    Movement,
    ObjectRevision,
)

pytestmark = pytest.mark.django_db


def test_update_writes_a_revision_and_an_unchanged_update_writes_none(catalog: Any) -> None:
    registrar, bowl = catalog["people"]["registrar"], catalog["bowl"]
    services.do_update_object(registrar, bowl, services.ObjectInput(notes="Rim chipped"))
    services.do_update_object(registrar, bowl, services.ObjectInput(notes="Rim chipped"))
    revisions = list(ObjectRevision.objects.filter(object=bowl).values_list("number", "changes"))
    assert revisions[1] == (2, {"notes": ["", "Rim chipped"]})
    assert len(revisions) == 2


def test_number_conflict(catalog: Any) -> None:
    with pytest.raises(Conflict) as error:
        services.do_create_object(catalog["people"]["registrar"],
                                  services.ObjectInput(object_number="故００００１"))
    assert error.value.fields == {"object_number": "This number is taken."}


def test_language_map_errors_name_the_field(catalog: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.do_create_object(catalog["people"]["registrar"], services.ObjectInput(
            object_number="X1", title={"Chinese!": "碗"}, year_earliest=1500, year_latest=1400))
    assert error.value.fields == {
        "title": "“Chinese!” is not a language tag such as zh-Hans or en.",
        "year_latest": "The latest year is before the earliest year."}


def test_custom_field_kinds_and_required(catalog: Any) -> None:
    FieldDefinition.objects.create(code="weight-g", label={"en": "Weight"}, kind="number",
                                   required=True)
    FieldDefinition.objects.create(code="glazed", label={"en": "Glazed"}, kind="yes-no")
    registrar = catalog["people"]["registrar"]
    with pytest.raises(ValidationFailed) as error:
        services.do_create_object(registrar, services.ObjectInput(
            object_number="X2", custom={"glazed": "maybe"}))
    assert error.value.fields == {"custom.glazed": "Glazed: Answer yes or no.",
                                  "custom.weight-g": "Weight is required."}
    obj = services.do_create_object(registrar, services.ObjectInput(
        object_number="X2", custom={"glazed": "是", "weight-g": "1,250.50"}))
    assert obj.custom == {"glazed": True, "weight-g": "1250.5"}


def test_reparenting_moves_paths_and_refuses_loops(catalog: Any) -> None:
    registrar, site, store, shelf = (catalog["people"]["registrar"], catalog["site"],
                                     catalog["store"], catalog["shelf"])
    gallery = catalog["gallery"]
    services.do_save_location(registrar, services.LocationInput(parent_id=gallery.pk), store)
    shelf.refresh_from_db()
    assert shelf.path == f"/{site.pk}/{gallery.pk}/{store.pk}/{shelf.pk}/"
    with pytest.raises(ValidationFailed) as error:
        services.do_save_location(registrar, services.LocationInput(parent_id=shelf.pk), store)
    assert list(error.value.fields) == ["parent_id"]


def test_back_dated_movement_keeps_the_current_place(catalog: Any) -> None:
    registrar, bowl = catalog["people"]["registrar"], catalog["bowl"]
    services.do_move_objects(registrar, [bowl.pk], catalog["site"].pk, reason="storage",
                             moved_at=timezone.now() - dt.timedelta(days=10))
    assert CurrentLocation.objects.get(object=bowl).location_id == catalog["gallery"].pk
    services.do_move_objects(registrar, [bowl.pk], catalog["site"].pk, reason="storage")
    assert CurrentLocation.objects.get(object=bowl).location_id == catalog["site"].pk


@pytest.mark.parametrize("statement", ["UPDATE catalog_movement SET note = 'x'",
                                       "DELETE FROM catalog_movement"])
def test_movement_log_is_append_only(catalog: Any, statement: str) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Movement.objects.count() == 2


def test_inventory_report_and_close(catalog: Any) -> None:
    registrar, bowl, scroll = catalog["people"]["registrar"], catalog["bowl"], catalog["scroll"]
    campaign = services.do_start_inventory(registrar, name="Check", scope_id=catalog["site"].pk)
    services.do_record_finding(registrar, campaign, object_number="故00001",
                               location_id=catalog["site"].pk)
    report = services.inventory_report(campaign)
    assert report.in_place == []
    assert report.misplaced == [(bowl.pk, catalog["site"].pk, catalog["gallery"].pk)]
    assert report.missing == [(scroll.pk, catalog["shelf"].pk)]
    services.do_close_inventory(registrar, campaign, record_misplaced_moves=True)
    assert CurrentLocation.objects.get(object=bowl).location_id == catalog["site"].pk


def test_condition_check_validation(catalog: Any) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.do_record_condition_check(
            catalog["people"]["conservator"], catalog["bowl"], services.ConditionInput(
                condition="shiny", hazards=["glitter"], next_check_due=timezone.localdate()))
    assert error.value.fields == {
        "condition": "Choose the condition from the list.",
        "hazards": "“glitter” is not a known hazard term.",
        "next_check_due": "The next check must come after this one."}


def test_loan_four_eyes_rejection_dispatch_and_return(catalog: Any) -> None:
    people, bowl = catalog["people"], catalog["bowl"]
    # The administrator may both prepare and approve loans: four eyes must still stop them.
    registrar = people["admin"]
    loan = services.do_save_loan(registrar, services.LoanInput(
        number="L-1", partner={"en": "Partner"}, starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 2, 1)))
    services.do_set_loan_objects(registrar, loan, [(bowl.pk, None)])
    services.do_request_loan_approval(registrar, loan)
    with pytest.raises(PermissionDenied) as refused:
        services.do_decide_loan(registrar, loan, approve=True)
    assert str(refused.value) == "Someone else must approve a loan you prepared."
    with pytest.raises(ValidationFailed) as error:
        services.do_decide_loan(people["approver"], loan, approve=False)
    assert error.value.fields == {"note": "Say why the loan is rejected."}
    services.do_decide_loan(people["approver"], loan, approve=True)
    services.do_dispatch_loan(registrar, loan, location_id=catalog["site"].pk)
    bowl.refresh_from_db()
    assert (loan.status, bowl.status) == (Loan.Status.ACTIVE, CatalogObject.Status.ON_LOAN_OUT)
    assert CurrentLocation.objects.get(object=bowl).location_id == catalog["site"].pk
    services.do_return_loan(registrar, loan, location_id=catalog["gallery"].pk)
    bowl.refresh_from_db()
    assert (loan.status, bowl.status) == (Loan.Status.RETURNED,
                                          CatalogObject.Status.IN_COLLECTION)


def test_exhibition_save(catalog: Any) -> None:
    exhibition = services.do_save_exhibition(
        catalog["people"]["curator"], code="Ming-Blue", title="明代青花",
        venues=[services.VenueInput(name={"en": "Gallery 1"}, opens_on=dt.date(2027, 5, 1),
                                    closes_on=dt.date(2027, 8, 1),
                                    location_id=catalog["gallery"].pk)],
        object_ids=[catalog["bowl"].pk])
    assert (exhibition.code, exhibition.title) == ("ming-blue", {"zh-Hans": "明代青花"})
    assert list(exhibition.objects_shown.values_list("id", flat=True)) == [catalog["bowl"].pk]
