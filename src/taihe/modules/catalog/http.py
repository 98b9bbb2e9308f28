"""The collection register's API under ``/api/v1/catalog``: parse, call one service or
selector, serialise. Restricted places are redacted here from the selectors' view of the
caller; insurance values go only to people who prepare or approve loans (an approver
weighs them)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from taihe.kernel import authz
from taihe.kernel.errors import NotFound
from taihe.modules.catalog import operations as ops
from taihe.modules.catalog import schemas as s
from taihe.modules.catalog import selectors, services
from taihe.modules.catalog.models import (
    CatalogObject,
    ConditionCheck,
    Exhibition,
    InventoryCampaign,
    Loan,
)

router = Router()
MAX_PAGE = 200


def _hidden(actor: Any) -> set[int]:
    return selectors.hidden_locations(actor)


def _place(actor: Any, obj: CatalogObject, hidden: set[int],
           place: selectors.PlaceView | None = None) -> dict[str, Any]:
    place = place or selectors.place_of(actor, obj, hidden=hidden)
    return {"restricted": place.restricted,
            "location_id": place.location.pk if place.location else None,
            "code": place.location.code if place.location else None,
            "label": place.label(get_language()), "since": place.since}


def _summaries(actor: Any, objects: list[CatalogObject], hidden: set[int]
               ) -> list[dict[str, Any]]:
    places = selectors.places_of(actor, objects, hidden=hidden)
    return [_summary(actor, obj, hidden, places[obj.pk]) for obj in objects]


def _summary(actor: Any, obj: CatalogObject, hidden: set[int],
             place: selectors.PlaceView | None = None) -> dict[str, Any]:
    return {"id": obj.pk, "object_number": obj.object_number, "title": obj.title,
            "object_name": obj.object_name,
            "object_type": obj.object_type.code if obj.object_type else None,
            "grade": obj.grade, "status": obj.status, "year_earliest": obj.year_earliest,
            "year_latest": obj.year_latest, "is_published": obj.is_published,
            "place": _place(actor, obj, hidden, place)}


def _object(actor: Any, obj: CatalogObject) -> dict[str, Any]:
    snap = services.snapshot(obj)
    body = {**snap, **_summary(actor, obj, _hidden(actor))}
    body["acquisition_date"] = obj.acquisition_date
    body["revision"] = obj.revision
    body["updated_at"] = obj.updated_at
    return body


def _object_input(payload: Any) -> services.ObjectInput:
    return services.ObjectInput(**payload.dict(exclude_unset=True))


# --- Objects ------------------------------------------------------------------------------------

@router.get("/objects", response=s.ObjectPageOut, summary="Search the register with facets")
def list_objects(request: HttpRequest, text: str = "",
                 object_type: list[str] = Query(default=[]),  # noqa: B008 (ninja idiom)
                 material: list[str] = Query(default=[]),  # noqa: B008
                 period: list[str] = Query(default=[]),  # noqa: B008
                 grade: list[str] = Query(default=[]),  # noqa: B008
                 status: list[str] = Query(default=[]),  # noqa: B008
                 location_id: int | None = None, year_from: int | None = None,
                 year_to: int | None = None, sort: str = "number", limit: int = 50,
                 offset: int = 0) -> Any:
    query = selectors.ObjectQuery(text=text[:200], object_types=object_type, materials=material,
                                  periods=period, grades=grade, statuses=status,
                                  location_id=location_id, year_from=year_from,
                                  year_to=year_to, sort=sort)
    result = selectors.search_objects(request.user, query, offset=max(offset, 0),
                                      limit=min(max(limit, 1), MAX_PAGE))
    hidden = _hidden(request.user)
    return {"items": _summaries(request.user, result.objects, hidden),
            "count": result.total, "approximate": result.approximate, "order": result.order,
            "facets": {name: [asdict(value) for value in values]
                       for name, values in result.facets.items()}}


@router.get("/objects/by-number/{number}", response=s.ObjectOut,
            summary="The object with this object number")
def get_object_by_number(request: HttpRequest, number: str) -> Any:
    return _object(request.user, selectors.object_by_number(request.user, number))


@router.get("/objects/{object_id}", response=s.ObjectOut)
def get_object(request: HttpRequest, object_id: int) -> Any:
    return _object(request.user, selectors.object_for(request.user, object_id))


@router.post("/objects", response={201: s.ObjectOut}, summary="Catalogue a new object")
def create_object(request: HttpRequest, payload: s.ObjectIn) -> Any:
    obj = services.do_create_object(request.user, _object_input(payload), source="api")
    return Status(201, _object(request.user, obj))


@router.patch("/objects/{object_id}", response=s.ObjectOut)
def update_object(request: HttpRequest, object_id: int, payload: s.ObjectPatch) -> Any:
    obj = selectors.object_for(request.user, object_id)
    obj = services.do_update_object(request.user, obj, _object_input(payload), source="api")
    return _object(request.user, obj)


@router.post("/objects/{object_id}/publish", response=s.ObjectOut)
def publish_object(request: HttpRequest, object_id: int) -> Any:
    obj = selectors.object_for(request.user, object_id)
    return _object(request.user, services.do_set_published(request.user, obj, True))


@router.get("/objects/{object_id}/media", response=list[s.MediaOut], summary="Object images")
def list_media(request: HttpRequest, object_id: int) -> Any:
    return list(selectors.media_of(selectors.object_for(request.user, object_id)))


@router.post("/objects/{object_id}/media", response={201: s.MediaOut},
             summary="Add an image (JPEG, PNG, TIFF, WebP); IIIF tiles follow in the background")
def add_media(request: HttpRequest, object_id: int,
              file: UploadedFile = File(...),  # noqa: B008 (ninja idiom)
              caption: str = Form(""), rights: str = Form("")) -> Any:
    obj = selectors.object_for(request.user, object_id)
    return Status(201, services.do_add_media(request.user, obj, file, caption=caption[:500],
                                             rights=rights[:200]))


@router.delete("/media/{media_id}", response={204: None}, summary="Remove an image")
def remove_media(request: HttpRequest, media_id: int) -> Any:
    services.do_remove_media(request.user, selectors.media_for(request.user, media_id))
    return Status(204, None)


@router.post("/objects/{object_id}/unpublish", response=s.ObjectOut)
def unpublish_object(request: HttpRequest, object_id: int) -> Any:
    obj = selectors.object_for(request.user, object_id)
    return _object(request.user, services.do_set_published(request.user, obj, False))


@router.get("/objects/{object_id}/revisions", response=list[s.RevisionOut])
def list_revisions(request: HttpRequest, object_id: int) -> Any:
    obj = selectors.object_for(request.user, object_id)
    return list(selectors.revisions_for(request.user, obj))


@router.get("/objects/{object_id}/timeline", response=list[s.TimelineEntryOut])
def object_timeline(request: HttpRequest, object_id: int) -> Any:
    obj = selectors.object_for(request.user, object_id)
    return [asdict(entry) for entry in selectors.timeline_for(request.user, obj)]


@router.get("/objects/{object_id}/movements", response=list[s.MovementOut])
def object_movements(request: HttpRequest, object_id: int) -> Any:
    obj = selectors.object_for(request.user, object_id)
    return selectors.movements_for(request.user, obj)


@router.post("/movements", response={201: list[s.MovementOut]}, summary="Move objects")
def move_objects(request: HttpRequest, payload: s.MoveIn) -> Any:
    movements = services.do_move_objects(
        request.user, payload.object_ids, payload.to_location_id, reason=payload.reason,
        moved_at=payload.moved_at, note=payload.note,
        authorised_by_id=payload.authorised_by_id)
    hidden = _hidden(request.user)
    return Status(201, [{"id": move.pk, "object_id": move.object_id, "moved_at": move.moved_at,
                         "reason": move.reason, "note": move.note,
                         "recorded_by_id": move.recorded_by_id,
                         "from_location_id": None if move.from_location_id in hidden
                         else move.from_location_id,
                         "to_location_id": move.to_location_id,
                         "restricted": move.from_location_id in hidden}
                        for move in movements])


# --- Locations ----------------------------------------------------------------------------------

@router.get("/locations", response=list[s.LocationOut], summary="The location tree")
def list_locations(request: HttpRequest, include_inactive: bool = False) -> Any:
    return list(selectors.locations_for(request.user, include_inactive=include_inactive))


@router.get("/locations/{location_id}", response=s.LocationOut)
def get_location(request: HttpRequest, location_id: int) -> Any:
    return selectors.location_for(request.user, location_id)


@router.post("/locations", response={201: s.LocationOut})
def create_location(request: HttpRequest, payload: s.LocationIn) -> Any:
    data = services.LocationInput(**payload.dict())
    return Status(201, services.do_save_location(request.user, data))


@router.patch("/locations/{location_id}", response=s.LocationOut)
def update_location(request: HttpRequest, location_id: int, payload: s.LocationPatch) -> Any:
    location = selectors.location_for(request.user, location_id)
    data = services.LocationInput(**payload.dict(exclude_unset=True))
    return services.do_save_location(request.user, data, location)


@router.get("/locations/{location_id}/objects", response=s.ObjectPageOut,
            summary="Objects at a location and everything inside it")
def location_objects(request: HttpRequest, location_id: int, limit: int = 50,
                     offset: int = 0) -> Any:
    location = selectors.location_for(request.user, location_id)
    objects = selectors.objects_at(request.user, location).select_related("object_type")
    hidden = _hidden(request.user)
    page = objects.order_by("number_sort")[max(offset, 0):max(offset, 0)
                                           + min(max(limit, 1), MAX_PAGE)]
    return {"items": _summaries(request.user, list(page), hidden),
            "count": objects.count(), "facets": {}}


# --- Condition and treatment -------------------------------------------------------------------

@router.get("/objects/{object_id}/condition-checks", response=list[s.ConditionCheckOut])
def list_condition_checks(request: HttpRequest, object_id: int) -> Any:
    obj = selectors.object_for(request.user, object_id)
    return list(selectors.condition_checks_for(request.user, obj))


@router.post("/objects/{object_id}/condition-checks", response={201: s.ConditionCheckOut})
def record_condition_check(request: HttpRequest, object_id: int,
                           payload: s.ConditionCheckIn) -> Any:
    obj = selectors.object_for(request.user, object_id)
    check = services.do_record_condition_check(request.user, obj,
                                               services.ConditionInput(**payload.dict()))
    return Status(201, check)


def _condition_check(actor: Any, check_id: int) -> ConditionCheck:
    """A condition check of an object the actor may see. Raises :class:`NotFound`."""
    check = (ConditionCheck.objects.filter(pk=check_id, object__in=selectors.objects_for(actor))
             .select_related("object").first())
    if check is None:
        raise NotFound(_("There is no such condition check."))
    return check


@router.get("/condition-checks/{check_id}/photos", response=list[s.MediaOut],
            summary="Photographs taken during a condition check")
def list_condition_photos(request: HttpRequest, check_id: int) -> Any:
    check = _condition_check(request.user, check_id)
    return list(selectors.condition_photos(check).order_by("sort_order", "id"))


@router.post("/condition-checks/{check_id}/photos", response={201: s.MediaOut},
             summary="Add a photograph to a condition check (JPEG, PNG, TIFF, WebP)")
def add_condition_photo(request: HttpRequest, check_id: int,
                        file: UploadedFile = File(...),  # noqa: B008 (ninja idiom)
                        caption: str = Form("")) -> Any:
    check = _condition_check(request.user, check_id)
    return Status(201, services.do_add_media(request.user, check.object, file,
                                             caption=caption[:500], condition_check=check))


@router.get("/objects/{object_id}/treatments", response=list[s.TreatmentOut])
def list_treatments(request: HttpRequest, object_id: int) -> Any:
    obj = selectors.object_for(request.user, object_id)
    return list(selectors.treatments_for(request.user, obj))


@router.post("/objects/{object_id}/treatments", response={201: s.TreatmentOut})
def create_treatment(request: HttpRequest, object_id: int, payload: s.TreatmentIn) -> Any:
    obj = selectors.object_for(request.user, object_id)
    treatment = services.do_save_treatment(request.user, obj,
                                           services.TreatmentInput(**payload.dict()))
    return Status(201, treatment)


@router.patch("/treatments/{treatment_id}", response=s.TreatmentOut)
def update_treatment(request: HttpRequest, treatment_id: int, payload: s.TreatmentIn) -> Any:
    treatment = selectors.treatment_for(request.user, treatment_id)
    current = {name: getattr(treatment, name) for name in
               ("status", "started_on", "finished_on", "proposal", "treatment",
                "materials_used", "outcome")}
    data = services.TreatmentInput(**{**current, **payload.dict(exclude_unset=True)})
    return services.do_save_treatment(request.user, treatment.object, data, treatment)


# --- Loans --------------------------------------------------------------------------------------

def _loan(actor: Any, loan: Loan) -> dict[str, Any]:
    may_see_value = (authz.can(actor, ops.LOAN_MANAGE.code)
                     or authz.can(actor, ops.LOAN_APPROVE.code))
    body = {name: getattr(loan, name) for name in
            ("id", "number", "direction", "status", "partner", "venue", "purpose",
             "starts_on", "ends_on", "insurance_currency", "environment_requirements",
             "environment_specification", "requested_by_id", "decided_by_id", "decided_at",
             "decision_note")}
    body["lines"] = [{"object_id": line.object_id, "returned_at": line.returned_at,
                      "insurance_value": line.insurance_value if may_see_value else None}
                     for line in loan.lines.all()]
    return body


LOAN_FIELDS = ("number", "direction", "partner", "venue", "purpose", "starts_on", "ends_on",
               "insurance_currency", "environment_requirements", "environment_specification")


@router.get("/loans", response=list[s.LoanOut])
def list_loans(request: HttpRequest) -> Any:
    return [_loan(request.user, loan) for loan in selectors.loans_for(request.user)]


@router.get("/loans/{loan_id}", response=s.LoanOut)
def get_loan(request: HttpRequest, loan_id: int) -> Any:
    return _loan(request.user, selectors.loan_for(request.user, loan_id))


@router.post("/loans", response={201: s.LoanOut})
def create_loan(request: HttpRequest, payload: s.LoanIn) -> Any:
    loan = services.do_save_loan(request.user, services.LoanInput(**payload.dict()))
    return Status(201, _loan(request.user, loan))


@router.patch("/loans/{loan_id}", response=s.LoanOut)
def update_loan(request: HttpRequest, loan_id: int, payload: s.LoanPatch) -> Any:
    loan = selectors.loan_for(request.user, loan_id)
    current = {name: getattr(loan, name) for name in LOAN_FIELDS}
    changes = {name: value for name, value in payload.dict(exclude_unset=True).items()
               if value is not None}
    loan = services.do_save_loan(request.user, services.LoanInput(**{**current, **changes}),
                                 loan)
    return _loan(request.user, loan)


@router.put("/loans/{loan_id}/objects", response=s.LoanOut,
            summary="Replace the objects of a draft loan")
def set_loan_objects(request: HttpRequest, loan_id: int, payload: s.LoanObjectsIn) -> Any:
    loan = selectors.loan_for(request.user, loan_id)
    services.do_set_loan_objects(request.user, loan, [(line.object_id, line.insurance_value)
                                                      for line in payload.lines])
    return _loan(request.user, loan)


@router.post("/loans/{loan_id}/request", response=s.LoanOut, summary="Ask for approval")
def request_loan_approval(request: HttpRequest, loan_id: int) -> Any:
    loan = selectors.loan_for(request.user, loan_id)
    return _loan(request.user, services.do_request_loan_approval(request.user, loan))


@router.post("/loans/{loan_id}/decide", response=s.LoanOut, summary="Approve or reject")
def decide_loan(request: HttpRequest, loan_id: int, payload: s.DecisionIn) -> Any:
    loan = selectors.loan_for(request.user, loan_id)
    return _loan(request.user, services.do_decide_loan(request.user, loan,
                                                       approve=payload.approve,
                                                       note=payload.note))


@router.post("/loans/{loan_id}/dispatch", response=s.LoanOut)
def dispatch_loan(request: HttpRequest, loan_id: int, payload: s.LoanMoveIn) -> Any:
    loan = selectors.loan_for(request.user, loan_id)
    return _loan(request.user, services.do_dispatch_loan(request.user, loan,
                                                         location_id=payload.location_id))


@router.post("/loans/{loan_id}/return", response=s.LoanOut)
def return_loan(request: HttpRequest, loan_id: int, payload: s.LoanMoveIn) -> Any:
    loan = selectors.loan_for(request.user, loan_id)
    return _loan(request.user, services.do_return_loan(request.user, loan,
                                                       location_id=payload.location_id))


# --- Exhibitions --------------------------------------------------------------------------------

def _exhibition(actor: Any, exhibition: Exhibition) -> dict[str, Any]:
    hidden = _hidden(actor)
    return {"id": exhibition.pk, "code": exhibition.code, "title": exhibition.title,
            "description": exhibition.description, "status": exhibition.status,
            "venues": [{"name": venue.name, "opens_on": venue.opens_on,
                        "closes_on": venue.closes_on,
                        "location_id": None if venue.location_id in hidden
                        else venue.location_id,
                        "restricted": venue.location_id in hidden}
                       for venue in exhibition.venues.all()],
            "object_ids": sorted(exhibition.objects_shown.values_list("id", flat=True))}


def _venues(venues: list[s.VenueSchema]) -> list[services.VenueInput]:
    return [services.VenueInput(name=venue.name, opens_on=venue.opens_on,
                                closes_on=venue.closes_on, location_id=venue.location_id)
            for venue in venues]


@router.get("/exhibitions", response=list[s.ExhibitionOut])
def list_exhibitions(request: HttpRequest) -> Any:
    return [_exhibition(request.user, item) for item in selectors.exhibitions_for(request.user)]


@router.get("/exhibitions/{exhibition_id}", response=s.ExhibitionOut)
def get_exhibition(request: HttpRequest, exhibition_id: int) -> Any:
    return _exhibition(request.user, selectors.exhibition_for(request.user, exhibition_id))


@router.post("/exhibitions", response={201: s.ExhibitionOut})
def create_exhibition(request: HttpRequest, payload: s.ExhibitionIn) -> Any:
    exhibition = services.do_save_exhibition(
        request.user, code=payload.code, title=payload.title, description=payload.description,
        status=payload.status, venues=_venues(payload.venues), object_ids=payload.object_ids)
    return Status(201, _exhibition(request.user, exhibition))


@router.patch("/exhibitions/{exhibition_id}", response=s.ExhibitionOut)
def update_exhibition(request: HttpRequest, exhibition_id: int,
                      payload: s.ExhibitionPatch) -> Any:
    exhibition = selectors.exhibition_for(request.user, exhibition_id)
    venues = (_venues(payload.venues) if payload.venues is not None else
              [services.VenueInput(name=venue.name, opens_on=venue.opens_on,
                                   closes_on=venue.closes_on, location_id=venue.location_id)
               for venue in exhibition.venues.all()])
    object_ids = (payload.object_ids if payload.object_ids is not None
                  else list(exhibition.objects_shown.values_list("id", flat=True)))
    exhibition = services.do_save_exhibition(
        request.user, code=payload.code or exhibition.code,
        title=payload.title if payload.title is not None else exhibition.title,
        description=(payload.description if payload.description is not None
                     else exhibition.description),
        status=payload.status or exhibition.status, venues=venues, object_ids=object_ids,
        exhibition=exhibition)
    return _exhibition(request.user, exhibition)


# --- Museum fields ------------------------------------------------------------------------------

@router.get("/fields", response=list[s.FieldOut], summary="The museum's own object fields")
def list_fields(request: HttpRequest) -> Any:
    return list(selectors.fields_for(request.user))


@router.post("/fields", response={201: s.FieldOut})
def create_field(request: HttpRequest, payload: s.FieldIn) -> Any:
    return Status(201, services.do_save_field(request.user, **payload.dict()))


@router.patch("/fields/{field_id}", response=s.FieldOut)
def update_field(request: HttpRequest, field_id: int, payload: s.FieldPatch) -> Any:
    definition = selectors.field_for(request.user, field_id)
    changes = {name: value for name, value in payload.dict(exclude_unset=True).items()
               if value is not None}
    return services.do_save_field(
        request.user, code=definition.code, kind=definition.kind,
        label=changes.get("label", definition.label),
        choices=changes.get("choices", definition.choices),
        required=changes.get("required", definition.required),
        help_text=changes.get("help_text", definition.help_text), definition=definition)


# --- Inventory ----------------------------------------------------------------------------------

@router.post("/inventories", response={201: s.InventoryOut}, summary="Start an inventory")
def start_inventory(request: HttpRequest, payload: s.InventoryIn) -> Any:
    return Status(201, services.do_start_inventory(request.user, name=payload.name,
                                                   scope_id=payload.scope_id))


@router.post("/inventories/{campaign_id}/findings", response={201: s.FindingOut},
             summary="Record that an object was found at a location")
def record_finding(request: HttpRequest, campaign_id: int, payload: s.FindingIn) -> Any:
    campaign = selectors.campaign_for(request.user, campaign_id)
    return Status(201, services.do_record_finding(request.user, campaign,
                                                  object_number=payload.object_number,
                                                  location_id=payload.location_id))


def _report(actor: Any, report: services.InventoryReport) -> dict[str, Any]:
    hidden = _hidden(actor)

    def shown(location_id: int | None) -> int | None:
        return None if location_id in hidden else location_id

    return {"in_place": [{"object_id": obj, "found_at": shown(at), "expected_at": shown(at)}
                         for obj, at in report.in_place],
            "misplaced": [{"object_id": obj, "found_at": shown(at),
                           "expected_at": shown(expected)}
                          for obj, at, expected in report.misplaced],
            "missing": [{"object_id": obj, "expected_at": shown(expected)}
                        for obj, expected in report.missing]}


@router.get("/inventories/{campaign_id}/report", response=s.InventoryReportOut)
def inventory_report(request: HttpRequest, campaign_id: int) -> Any:
    campaign: InventoryCampaign = selectors.campaign_for(request.user, campaign_id)
    return _report(request.user, services.inventory_report(campaign, request.user))


@router.post("/inventories/{campaign_id}/close", response=s.InventoryReportOut)
def close_inventory(request: HttpRequest, campaign_id: int, payload: s.CloseInventoryIn) -> Any:
    campaign = selectors.campaign_for(request.user, campaign_id)
    report = services.do_close_inventory(request.user, campaign,
                                         record_misplaced_moves=payload.record_misplaced_moves)
    return _report(request.user, report)


# --- Vocabulary ---------------------------------------------------------------------------------

@router.get("/terms", response=list[s.TermOut], summary="Controlled terms of one scheme")
def list_terms(request: HttpRequest, scheme: str) -> Any:
    if not authz.can(request.user, ops.OBJECT_VIEW.code):
        return []
    found = selectors.terms(scheme[:32]).select_related("parent")
    return [{"scheme": term.scheme, "code": term.code, "label": term.label,
             "aat_id": term.aat_id, "parent_code": term.parent.code if term.parent else None}
            for term in found]


__all__ = ["router"]
