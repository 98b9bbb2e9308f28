"""Every catalog endpoint, called by four actors: anonymous, a member without the
permission, a member with it, and an administrator. Denied callers get the error envelope
with no object title or restricted location code in it, and the database is unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import resolve

from taihe.kernel.testing.matrix import Call, assert_allowed, assert_denied
from taihe.modules.catalog import services
from taihe.modules.catalog.models import (
    CatalogObject,
    Exhibition,
    FieldDefinition,
    InventoryCampaign,
    Loan,
    Treatment,
)

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "without", "with", "admin")
SECRETS = ["VAULT-X9", "Hidden vault", "Hidden landscape scroll", "秘藏山水卷"]
OBJECT_SECRETS = ["Blue and white bowl", "青花缠枝莲纹碗", *SECRETS]


@dataclass
class Case:
    name: str
    route: str
    """The OpenAPI path template this case covers (checked against the built call)."""
    build: Callable[[dict[str, Any]], Call]
    expected: dict[str, int]
    holder: str = "registrar"
    without: str = "member"
    filtered: Callable[[Any], bool] | None = None
    """For reads that answer 200 to the unpermitted member: what the empty answer is."""


def empty_page(body: Any) -> bool:
    return body["items"] == [] and body["count"] == 0


def empty_list(body: Any) -> bool:
    return body == []


P = "/api/v1/catalog"
READ = {"anonymous": 401, "without": 200, "with": 200, "admin": 200}
HIDDEN = {"anonymous": 401, "without": 404, "with": 200, "admin": 200}
WRITE = {"anonymous": 401, "without": 403, "with": 200, "admin": 200}
CREATE = {"anonymous": 401, "without": 403, "with": 201, "admin": 201}

_counter = {"n": 0}


def n() -> int:
    _counter["n"] += 1
    return _counter["n"]


def _loan(c: dict[str, Any], status: str = Loan.Status.DRAFT, by: str = "registrar") -> Loan:
    number = f"L-{n()}"
    loan = Loan.objects.create(number=number, direction="out", status=status,
                               partner={"en": "Partner museum"},
                               starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 3, 1),
                               requested_by=c["people"][by])
    loan.lines.create(object=c["bowl"], insurance_value="1000000.00")
    return loan


def _treatment(c: dict[str, Any]) -> int:
    return Treatment.objects.create(object=c["bowl"], conservator=c["people"]["conservator"],
                                    proposal="Clean the rim").pk


def _exhibition(c: dict[str, Any]) -> int:
    return Exhibition.objects.create(code=f"ex-{n()}", title={"en": "Ming blue"}).pk


def _field(c: dict[str, Any]) -> int:
    return FieldDefinition.objects.create(code=f"f{n()}", label={"en": "Shelf mark"},
                                          kind="text").pk


def _campaign(c: dict[str, Any]) -> int:
    return InventoryCampaign.objects.create(name="Gallery check", scope=c["site"],
                                            started_by=c["people"]["registrar"]).pk


def _new_object(c: dict[str, Any]) -> int:
    return services.do_create_object(c["people"]["registrar"], services.ObjectInput(
        object_number=f"新{n()}", title={"en": "Blue and white bowl copy"})).pk


def _jpeg() -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from taihe.modules.catalog.demo_images import render_object_image

    buffer = io.BytesIO()
    render_object_image("jade", 1, size=(120, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile("bi.jpg", buffer.getvalue(), content_type="image/jpeg")


def _check(c: dict[str, Any]) -> int:
    """A condition check of the scroll (on the restricted shelf) with one photograph."""
    conservator = c["people"]["conservator"]
    check = services.do_record_condition_check(conservator, c["scroll"],
                                               services.ConditionInput(condition="good"))
    services.do_add_media(conservator, c["scroll"], _jpeg(), caption={"en": "Silk tear"},
                          condition_check=check)
    return check.pk


def _media(c: dict[str, Any]) -> int:
    return services.do_add_media(c["people"]["registrar"], c["scroll"], _jpeg()).pk


OBJ = "{object_id}"
CASES = [
    Case("object images", f"{P}/objects/{OBJ}/media",
         lambda c: Call("GET", f"{P}/objects/{c['scroll'].pk}/media", secrets=SECRETS),
         HIDDEN, holder="member", without="outsider"),
    Case("add image", f"{P}/objects/{OBJ}/media",
         lambda c: Call("POST", f"{P}/objects/{c['scroll'].pk}/media",
                        body={"caption": "Front"}, files={"file": _jpeg()}), CREATE),
    Case("remove image", f"{P}/media/{{media_id}}",
         lambda c: Call("DELETE", f"{P}/media/{_media(c)}"),
         {"anonymous": 401, "without": 403, "with": 204, "admin": 204}),
    Case("search objects", f"{P}/objects",
         lambda c: Call("GET", f"{P}/objects?text=bowl", secrets=OBJECT_SECRETS),
         READ, without="outsider", filtered=empty_page),
    Case("object by number", f"{P}/objects/by-number/{{number}}",
         lambda c: Call("GET", f"{P}/objects/by-number/故00002", secrets=SECRETS),
         HIDDEN, holder="member", without="outsider"),
    Case("object", f"{P}/objects/{OBJ}",
         lambda c: Call("GET", f"{P}/objects/{c['scroll'].pk}", secrets=SECRETS),
         HIDDEN, holder="member", without="outsider"),
    Case("create object", f"{P}/objects",
         lambda c: Call("POST", f"{P}/objects", {"object_number": f"新-{n()}",
                                                 "title": {"en": "New bowl"}}), CREATE),
    Case("update object", f"{P}/objects/{OBJ}",
         lambda c: Call("PATCH", f"{P}/objects/{c['scroll'].pk}",
                        {"notes": f"checked {n()}"}, secrets=SECRETS), WRITE),
    Case("publish object", f"{P}/objects/{OBJ}/publish",
         lambda c: Call("POST", f"{P}/objects/{_new_object(c)}/publish", secrets=SECRETS),
         WRITE, holder="curator"),
    Case("unpublish object", f"{P}/objects/{OBJ}/unpublish",
         lambda c: Call("POST", f"{P}/objects/{c['scroll'].pk}/unpublish", secrets=SECRETS),
         WRITE, holder="curator"),
    Case("revisions", f"{P}/objects/{OBJ}/revisions",
         lambda c: Call("GET", f"{P}/objects/{c['scroll'].pk}/revisions", secrets=SECRETS),
         HIDDEN, holder="member", without="outsider"),
    Case("timeline", f"{P}/objects/{OBJ}/timeline",
         lambda c: Call("GET", f"{P}/objects/{c['scroll'].pk}/timeline", secrets=SECRETS),
         HIDDEN, holder="member", without="outsider"),
    Case("movements of an object", f"{P}/objects/{OBJ}/movements",
         lambda c: Call("GET", f"{P}/objects/{c['scroll'].pk}/movements", secrets=SECRETS),
         HIDDEN, holder="member", without="outsider"),
    Case("move objects", f"{P}/movements",
         lambda c: Call("POST", f"{P}/movements", {
             "object_ids": [c["bowl"].pk], "to_location_id": c["gallery"].pk,
             "reason": "exhibition"}), CREATE),
    Case("locations", f"{P}/locations",
         lambda c: Call("GET", f"{P}/locations", secrets=SECRETS),
         READ, holder="member", without="outsider", filtered=empty_list),
    Case("location", f"{P}/locations/{{location_id}}",
         lambda c: Call("GET", f"{P}/locations/{c['store'].pk}", secrets=SECRETS),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}, holder="registrar"),
    Case("create location", f"{P}/locations",
         lambda c: Call("POST", f"{P}/locations", {
             "code": f"R-{n()}", "name": {"en": "Room"}, "kind": "room",
             "parent_id": c["site"].pk}), CREATE),
    Case("update location", f"{P}/locations/{{location_id}}",
         lambda c: Call("PATCH", f"{P}/locations/{c['gallery'].pk}",
                        {"notes": f"lights {n()}"}), WRITE),
    Case("objects at a location", f"{P}/locations/{{location_id}}/objects",
         lambda c: Call("GET", f"{P}/locations/{c['store'].pk}/objects", secrets=SECRETS),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}, holder="registrar"),
    Case("condition checks", f"{P}/objects/{OBJ}/condition-checks",
         lambda c: Call("GET", f"{P}/objects/{c['scroll'].pk}/condition-checks",
                        secrets=SECRETS), HIDDEN, holder="member", without="outsider"),
    Case("record condition check", f"{P}/objects/{OBJ}/condition-checks",
         lambda c: Call("POST", f"{P}/objects/{c['bowl'].pk}/condition-checks",
                        {"condition": "good", "hazards": ["fragile"]}),
         CREATE, holder="conservator"),
    Case("condition photos", f"{P}/condition-checks/{{check_id}}/photos",
         lambda c: Call("GET", f"{P}/condition-checks/{_check(c)}/photos",
                        secrets=[*SECRETS, "Silk tear"]),
         HIDDEN, holder="member", without="outsider"),
    Case("add condition photo", f"{P}/condition-checks/{{check_id}}/photos",
         lambda c: Call("POST", f"{P}/condition-checks/{_check(c)}/photos",
                        body={"caption": "Detail"}, files={"file": _jpeg()},
                        secrets=SECRETS), CREATE, holder="conservator"),
    Case("treatments", f"{P}/objects/{OBJ}/treatments",
         lambda c: Call("GET", f"{P}/objects/{c['scroll'].pk}/treatments", secrets=SECRETS),
         HIDDEN, holder="member", without="outsider"),
    Case("propose treatment", f"{P}/objects/{OBJ}/treatments",
         lambda c: Call("POST", f"{P}/objects/{c['bowl'].pk}/treatments",
                        {"proposal": "Consolidate the glaze"}), CREATE, holder="conservator"),
    Case("update treatment", f"{P}/treatments/{{treatment_id}}",
         lambda c: Call("PATCH", f"{P}/treatments/{_treatment(c)}",
                        {"status": "in-progress"}), WRITE, holder="conservator"),
    Case("loans", f"{P}/loans",
         lambda c: Call("GET", f"{P}/loans?x={_loan(c).pk}",
                        secrets=["Partner museum", "1000000"]),
         READ, filtered=empty_list),
    Case("loan", f"{P}/loans/{{loan_id}}",
         lambda c: Call("GET", f"{P}/loans/{_loan(c).pk}",
                        secrets=["Partner museum", "1000000"]),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}),
    Case("create loan", f"{P}/loans",
         lambda c: Call("POST", f"{P}/loans", {
             "number": f"L-new-{n()}", "partner": {"en": "Borrower"},
             "starts_on": "2027-01-01", "ends_on": "2027-02-01"}), CREATE),
    Case("update loan", f"{P}/loans/{{loan_id}}",
         lambda c: Call("PATCH", f"{P}/loans/{_loan(c).pk}", {"purpose": "Exhibition"},
                        secrets=["Partner museum"]),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}),
    Case("set loan objects", f"{P}/loans/{{loan_id}}/objects",
         lambda c: Call("PUT", f"{P}/loans/{_loan(c).pk}/objects", {
             "lines": [{"object_id": c["bowl"].pk, "insurance_value": "5"}]}),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}),
    Case("request loan approval", f"{P}/loans/{{loan_id}}/request",
         lambda c: Call("POST", f"{P}/loans/{_loan(c).pk}/request"),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}),
    Case("decide loan", f"{P}/loans/{{loan_id}}/decide",
         lambda c: Call("POST", f"{P}/loans/{_loan(c, Loan.Status.REQUESTED).pk}/decide",
                        {"approve": True}),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}, holder="approver"),
    Case("dispatch loan", f"{P}/loans/{{loan_id}}/dispatch",
         lambda c: Call("POST", f"{P}/loans/{_loan(c, Loan.Status.APPROVED).pk}/dispatch",
                        {"location_id": c["external"].pk}),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}),
    Case("return loan", f"{P}/loans/{{loan_id}}/return",
         lambda c: Call("POST", f"{P}/loans/{_loan(c, Loan.Status.ACTIVE).pk}/return",
                        {"location_id": c["gallery"].pk}),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}),
    Case("exhibitions", f"{P}/exhibitions",
         lambda c: Call("GET", f"{P}/exhibitions?x={_exhibition(c)}", secrets=["Ming blue"]),
         READ, holder="member", without="outsider", filtered=empty_list),
    Case("exhibition", f"{P}/exhibitions/{{exhibition_id}}",
         lambda c: Call("GET", f"{P}/exhibitions/{_exhibition(c)}", secrets=["Ming blue"]),
         HIDDEN, holder="member", without="outsider"),
    Case("create exhibition", f"{P}/exhibitions",
         lambda c: Call("POST", f"{P}/exhibitions", {
             "code": f"show-{n()}", "title": {"en": "Show"},
             "object_ids": [c["bowl"].pk]}), CREATE, holder="curator"),
    Case("update exhibition", f"{P}/exhibitions/{{exhibition_id}}",
         lambda c: Call("PATCH", f"{P}/exhibitions/{_exhibition(c)}", {"status": "open"}),
         WRITE, holder="curator"),
    Case("museum fields", f"{P}/fields",
         lambda c: Call("GET", f"{P}/fields?x={_field(c)}", secrets=["Shelf mark"]),
         READ, holder="member", without="outsider", filtered=empty_list),
    Case("create museum field", f"{P}/fields",
         lambda c: Call("POST", f"{P}/fields", {"code": f"donor{n()}",
                                                "label": {"en": "Donor"}, "kind": "text"}),
         CREATE),
    Case("update museum field", f"{P}/fields/{{field_id}}",
         lambda c: Call("PATCH", f"{P}/fields/{_field(c)}", {"required": False}), WRITE),
    Case("start inventory", f"{P}/inventories",
         lambda c: Call("POST", f"{P}/inventories", {"name": "Spring check",
                                                     "scope_id": c["site"].pk}), CREATE),
    Case("record finding", f"{P}/inventories/{{campaign_id}}/findings",
         lambda c: Call("POST", f"{P}/inventories/{_campaign(c)}/findings",
                        {"object_number": "故00001", "location_id": c["gallery"].pk}),
         {"anonymous": 401, "without": 404, "with": 201, "admin": 201}),
    Case("inventory report", f"{P}/inventories/{{campaign_id}}/report",
         lambda c: Call("GET", f"{P}/inventories/{_campaign(c)}/report"),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}),
    Case("close inventory", f"{P}/inventories/{{campaign_id}}/close",
         lambda c: Call("POST", f"{P}/inventories/{_campaign(c)}/close",
                        {"record_misplaced_moves": True}),
         {"anonymous": 401, "without": 404, "with": 200, "admin": 200}),
    Case("terms", f"{P}/terms",
         lambda c: Call("GET", f"{P}/terms?scheme=material", secrets=["porcelain"]),
         READ, holder="member", without="outsider", filtered=empty_list),
]

def covered_operations() -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every case, for the directory's meta-test."""
    methods = {}
    for case in CASES:
        source = case.build.__code__.co_consts
        methods[case.name] = next(value for value in source
                                  if value in {"GET", "POST", "PUT", "PATCH", "DELETE"})
    return {(methods[case.name], case.route) for case in CASES}


@pytest.fixture
def ctx(catalog: dict[str, Any]) -> dict[str, Any]:
    external = services.do_save_location(catalog["people"]["registrar"], services.LocationInput(
        code="EXT-1", name={"en": "Borrowing museum"}, kind="external"))
    return {**catalog, "external": external}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_four_actors(case: Case, ctx: dict[str, Any], client_for: Any,
                     run_commit_hooks: Any) -> None:
    people = ctx["people"]
    callers = {"anonymous": None, "without": people[case.without],
               "with": people[case.holder], "admin": people["admin"]}
    for actor in ACTORS:
        call = case.build(ctx)
        client = client_for(callers[actor])
        status = case.expected[actor]
        if status >= 400:
            assert_denied(client, call, status)
        elif actor == "without" and case.filtered is not None:
            response = assert_allowed(client, call, status)
            assert case.filtered(response.json()), (case.name, response.json())
        else:
            with run_commit_hooks():
                assert_allowed(client, call, status)


def test_case_routes_match_their_calls(ctx: dict[str, Any]) -> None:
    """Each case's declared route is the one its call reaches, and its method is declared."""
    spec = Client().get("/api/v1/openapi.json").json()
    for case in CASES:
        call = case.build(ctx)
        template = case.route
        sample = template
        for part in ("{object_id}", "{location_id}", "{treatment_id}", "{loan_id}",
                     "{exhibition_id}", "{field_id}", "{campaign_id}", "{media_id}",
                     "{check_id}"):
            sample = sample.replace(part, "1")
        sample = sample.replace("{number}", "x")
        assert resolve(urlsplit(call.path).path).route == resolve(sample).route, case.name
        assert call.method.lower() in spec["paths"][template], case.name
        assert (call.method, template) in covered_operations(), case.name
    assert covered_operations() >= {(method.upper(), path)
                                     for path, item in spec["paths"].items()
                                     if path.startswith(P) for method in item}


def test_restricted_place_is_redacted_for_a_staff_member(ctx: dict[str, Any],
                                                         client_for: Any) -> None:
    # given the scroll on a shelf inside a restricted store
    scroll = ctx["scroll"]
    # when a staff member and the registrar read it
    staff = client_for(ctx["people"]["member"]).get(f"{P}/objects/{scroll.pk}").json()
    registrar = client_for(ctx["people"]["registrar"]).get(f"{P}/objects/{scroll.pk}").json()
    # then only the registrar learns where it is
    assert staff["place"] == {"restricted": True, "location_id": None, "code": None,
                              "label": "Restricted location", "since": None}
    assert registrar["place"]["code"] == "VAULT-X9-S1"
    assert registrar["place"]["restricted"] is False


def test_insurance_values_only_for_those_who_prepare_or_approve_loans(
        ctx: dict[str, Any], client_for: Any) -> None:
    loan = _loan(ctx, Loan.Status.REQUESTED)
    approver = client_for(ctx["people"]["approver"]).get(f"{P}/loans/{loan.pk}").json()
    registrar = client_for(ctx["people"]["registrar"]).get(f"{P}/loans/{loan.pk}").json()
    curious = client_for(ctx["people"]["member"]).get(f"{P}/loans/{loan.pk}")
    assert approver["lines"] == [{"object_id": ctx["bowl"].pk, "insurance_value": "1000000.00",
                                  "returned_at": None}]
    assert registrar["lines"][0]["insurance_value"] == "1000000.00"
    assert curious.status_code == 404
    assert "1000000" not in curious.content.decode()


def test_errors_use_the_envelope(ctx: dict[str, Any], client_for: Any) -> None:
    response = client_for(ctx["people"]["registrar"]).post(
        f"{P}/objects", data={"object_number": "故00001"}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["fields"] == {"object_number": "This number is taken."}
    assert CatalogObject.objects.filter(object_number="故00001").count() == 1


def test_condition_photos_are_listed_with_their_check(ctx: dict[str, Any], client_for: Any,
                                                      run_commit_hooks: Any) -> None:
    # given a condition check of the bowl
    conservator = ctx["people"]["conservator"]
    check = services.do_record_condition_check(conservator, ctx["bowl"],
                                               services.ConditionInput(condition="good"))
    client = client_for(conservator)
    # when the conservator adds a photograph through the API
    with run_commit_hooks():
        added = client.post(f"{P}/condition-checks/{check.pk}/photos",
                            {"file": _jpeg(), "caption": "Rim detail"})
    # then it belongs to the check, is listed there and is not one of the object's images
    assert added.status_code == 201
    body = added.json()
    assert (body["object_id"], body["condition_check_id"], body["caption"], body["width"],
            body["height"], body["is_primary"]) == (
        ctx["bowl"].pk, check.pk, {"zh-Hans": "Rim detail"}, 120, 160, False)
    listed = client.get(f"{P}/condition-checks/{check.pk}/photos").json()
    assert [photo["id"] for photo in listed] == [body["id"]]
    assert client.get(f"{P}/objects/{ctx['bowl'].pk}/media").json() == []


def test_condition_photo_that_is_not_an_image_saves_nothing(ctx: dict[str, Any],
                                                            client_for: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from taihe.modules.catalog.models import Media

    conservator = ctx["people"]["conservator"]
    check = services.do_record_condition_check(conservator, ctx["bowl"],
                                               services.ConditionInput(condition="good"))
    response = client_for(conservator).post(
        f"{P}/condition-checks/{check.pk}/photos",
        {"file": SimpleUploadedFile("notes.txt", b"not an image")})
    assert response.status_code == 422
    assert response.json()["fields"] == {"file": "notes.txt is not an image file."}
    assert Media.objects.filter(condition_check=check).count() == 0
