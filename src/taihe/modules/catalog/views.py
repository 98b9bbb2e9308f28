"""The registrar's pages: object list and search, object page, object form, location browser
and labels, scan to move, import wizard, loans, inventory, condition and treatment forms.

Thin like ``http.py``: parse with a form, call one service or selector, render. Services
decide who may do what; these views only avoid offering what the person could not use.
Restricted stores never reach a template for a person who may not know them: every place
shown comes from ``selectors.place_of``, ``locations_for`` or ``timeline_for``.
"""

from __future__ import annotations

import csv
import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taihe.kernel import authz, shell
from taihe.kernel.errors import DomainError, NotFound, PermissionDenied
from taihe.kernel.http.pages import forbidden, not_found, refuse, show_errors
from taihe.modules.catalog import forms as catalog_forms
from taihe.modules.catalog import iiif, public, selectors, services
from taihe.modules.catalog import operations as ops
from taihe.modules.catalog.exports import _shared as shared
from taihe.modules.catalog.exports import tabular
from taihe.modules.catalog.exports.lido import lido
from taihe.modules.catalog.exports.linked_art import linked_art
from taihe.modules.catalog.imaging import ImageRejected, inspect_image, thumbnail_size
from taihe.modules.catalog.models import (
    CatalogObject,
    Exhibition,
    Location,
    normalise_number,
    text_in,
)
from taihe.modules.catalog.records import ObjectRecord

PAGE_SIZE = 25
FACETS = (("object_type", "type"), ("material", "material"), ("period", "period"),
          ("location", "location"), ("status", "status"), ("grade", "grade"))
"""(facet name from ``search_objects``, query parameter)."""


# --- Shared helpers ---------------------------------------------------------------------------

def thumbnail_url(media: Any) -> str:
    width, height = thumbnail_size(media.width, media.height)
    return f"/catalog/iiif/image/{media.pk}/full/{width},{height}/0/default.jpg"


def location_choices(actor: Any, *, blank: Any = None) -> list[tuple[Any, str]]:
    """The locations the actor may know, indented by depth, in tree order."""
    language = get_language()
    choices: list[tuple[Any, str]] = [("", str(blank))] if blank is not None else []
    for place in selectors.locations_for(actor):
        depth = len(place.path.strip("/").split("/")) - 1
        choices.append((place.pk, "\u2003" * depth + f"{place.code} {place.name_in(language)}"))
    return choices


MAX_PAGE = 10_000


def _int_or_none(text: str | None) -> int | None:
    """A whole number from a query string, or None; out-of-range numbers count as absent
    (the database's integers end at 2**63)."""
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        return None
    return number if -(2**31) < number < 2**31 else None


# --- Object list --------------------------------------------------------------------------------

@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.OBJECT_VIEW.code):
        return forbidden(request)
    params = request.GET
    query = selectors.ObjectQuery(
        text=params.get("q", "")[:200], object_types=params.getlist("type"),
        materials=params.getlist("material"), periods=params.getlist("period"),
        grades=params.getlist("grade"), statuses=params.getlist("status"),
        location_id=_int_or_none(params.get("location")),
        year_from=_int_or_none(params.get("year_from")),
        year_to=_int_or_none(params.get("year_to")))
    page_number = min(max(_int_or_none(params.get("page")) or 1, 1), MAX_PAGE)
    result = selectors.search_objects(request.user, query, offset=(page_number - 1) * PAGE_SIZE,
                                      limit=PAGE_SIZE)
    hidden = selectors.hidden_locations(request.user)
    language = get_language()
    rows = []
    places = selectors.places_of(request.user, result.objects, hidden=hidden)
    images = selectors.primary_images(result.objects)
    for obj in result.objects:
        media = images.get(obj.pk)
        rows.append({"object": obj, "title": selectors.display_title(obj),
                     "period": text_in(obj.period, language),
                     "place": places[obj.pk].label(language),
                     "thumbnail": thumbnail_url(media) if media else ""})
    # Paginator over the total only (search_objects already returned the page's rows).
    page = Paginator(range(result.total), PAGE_SIZE).get_page(page_number)
    rest = params.copy()
    rest.pop("page", None)
    facets = [(name, param, result.facets.get(name, [])) for name, param in FACETS]
    return render(request, "catalog/index.html", {
        "rows": rows, "total": result.total, "facets": facets, "params": params,
        "approximate": result.approximate, "order": result.order,
        "page_obj": page, "query_string": rest.urlencode(),
        "may_create": authz.can(request.user, ops.OBJECT_EDIT.code),
        "may_export": authz.can(request.user, ops.OBJECT_IMPORT.code),
        "may_manage_fields": authz.can(request.user, ops.FIELD_MANAGE.code),
    })


# --- Object page --------------------------------------------------------------------------------

@login_required
def object_page(request: HttpRequest, object_id: int) -> HttpResponse:
    try:
        obj = selectors.object_for(request.user, object_id)
    except NotFound:
        return not_found(request)
    actor = request.user
    language = get_language()
    definitions = list(selectors.fields_for(actor))
    maps = [(label, getattr(obj, name)) for name, label in (
        ("title", _("Title")), ("object_name", _("Object name")), ("culture", _("Culture")),
        ("period", _("Period")), ("medium", _("Medium")),
        ("dimensions_text", _("Dimensions as written")), ("description", _("Description")),
        ("acquisition_source", _("Acquired from")), ("credit_line", _("Credit line")))
        if getattr(obj, name)]
    museum_fields = [(text_in(d.label, language) or d.code, obj.custom.get(d.code))
                     for d in definitions if d.code in obj.custom]
    may_loans = authz.can(actor, ops.LOAN_MANAGE.code) or authz.can(actor, ops.LOAN_APPROVE.code)
    return render(request, "catalog/object.html", {
        "object": obj, "title": selectors.display_title(obj), "maps": maps,
        "museum_fields": museum_fields,
        "materials": [link.term.label_in(language) for link in
                      obj.material_links.select_related("term")],
        "techniques": [term.label_in(language) for term in obj.techniques.all()],
        "makers": [(text_in(m["name"], language), m.get("role", "")) for m in obj.makers],
        "images": [(media, thumbnail_url(media),
                    text_in(media.caption, language) or selectors.display_title(obj))
                   for media in selectors.media_of(obj).filter(tiles_ready=True)],
        "place": selectors.place_of(actor, obj), "language": language,
        "object_type_label": obj.object_type.label_in(language) if obj.object_type else "",
        "timeline": selectors.timeline_for(actor, obj),
        "checks": [(check, _photos(check))
                   for check in selectors.condition_checks_for(actor, obj)],
        "treatments": selectors.treatments_for(actor, obj),
        "exhibitions": selectors.exhibitions_for(actor).filter(objects_shown=obj),
        "loan_lines": ([(line.loan, line) for line in obj.loan_lines.select_related("loan")]
                       if may_loans else []),
        "may_edit": authz.can(actor, ops.OBJECT_EDIT.code, department_id=obj.department_id),
        "may_publish": authz.can(actor, ops.OBJECT_PUBLISH.code,
                                 department_id=obj.department_id),
        "may_check": authz.can(actor, ops.CONDITION_RECORD.code),
        "may_treat": authz.can(actor, ops.TREATMENT_RECORD.code),
        "may_add_media": authz.can(actor, ops.MEDIA_MANAGE.code,
                                   department_id=obj.department_id),
        "pending_images": selectors.media_of(obj).filter(tiles_ready=False).count(),
        "panels": shell.object_panels(request, obj.pk),
    })


def _photos(check: Any) -> list[tuple[Any, str, str]]:
    """A condition check's photographs as (media, thumbnail URL or "" while being prepared,
    caption)."""
    language = get_language()
    return [(media, thumbnail_url(media) if media.tiles_ready else "",
             text_in(media.caption, language) or _("Condition photograph"))
            for media in selectors.condition_photos(check).order_by("sort_order", "id")]


@login_required
@require_POST
def media_add(request: HttpRequest, object_id: int) -> HttpResponse:
    try:
        obj = selectors.object_for(request.user, object_id)
    except NotFound:
        return not_found(request)
    upload = request.FILES.get("image")
    if upload is None:
        messages.error(request, _("Choose an image file to upload."))
        return redirect("catalog:object", object_id=obj.pk)
    try:
        services.do_add_media(request.user, obj, upload,
                              caption=request.POST.get("caption", "")[:500])
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, " ".join(error.fields.values()) or str(error.detail))
    else:
        messages.success(request, _("The image is uploaded; its zoomable version is being "
                                    "prepared."))
    return redirect("catalog:object", object_id=obj.pk)


@login_required
@require_POST
def media_remove(request: HttpRequest, media_id: int) -> HttpResponse:
    try:
        media = selectors.media_for(request.user, media_id)
        services.do_remove_media(request.user, media)
    except DomainError as error:
        return refuse(request, error) or not_found(request)
    messages.success(request, _("The image is removed."))
    return redirect("catalog:object", object_id=media.object_id)


@login_required
@require_POST
def object_publish(request: HttpRequest, object_id: int) -> HttpResponse:
    try:
        obj = selectors.object_for(request.user, object_id)
        services.do_set_published(request.user, obj, request.POST.get("published") == "yes")
    except (NotFound, PermissionDenied) as error:
        return refuse(request, error) or not_found(request)
    messages.success(request, _("Published.") if obj.is_published else _("No longer public."))
    return redirect("catalog:object", object_id=obj.pk)


# --- Object form --------------------------------------------------------------------------------

def _vocabulary() -> dict[str, Any]:
    return {scheme: selectors.terms(scheme) for scheme in
            ("object_type", "material", "technique", "acquisition_method")}


def _initial(obj: CatalogObject) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "object_number": obj.object_number, "object_type": getattr(obj.object_type, "code", ""),
        "materials": [link.term.code for link in obj.material_links.select_related("term")],
        "techniques": [term.code for term in obj.techniques.all()],
        "period": text_in(obj.period), "production_date": obj.production_date,
        "year_earliest": obj.year_earliest, "year_latest": obj.year_latest,
        "makers": "\n".join(f"{text_in(m['name'])} | {m.get('role', '')}".rstrip(" |")
                            for m in obj.makers),
        "dimensions": "\n".join(f"{d['kind']} {d['value']} {d['unit']}" for d in obj.dimensions),
        "grade": obj.grade, "status": obj.status, "acquisition_method": obj.acquisition_method,
        "acquisition_date": obj.acquisition_date, "notes": obj.notes}
    for name, _label, _long in catalog_forms.MAP_FIELDS:
        for tag, _language in catalog_forms.LANGUAGES:
            initial[catalog_forms.map_field_name(name, tag)] = getattr(obj, name).get(tag, "")
    for code, value in obj.custom.items():
        initial[f"custom__{code}"] = ("yes" if value else "no") if isinstance(value, bool) \
            else value
    return initial


def _object_input(form: catalog_forms.ObjectForm, obj: CatalogObject | None
                  ) -> services.ObjectInput:
    """The form's values as a service input; on edit, blank fields that held a value are
    emptied, and languages the form does not offer are kept."""
    data = form.cleaned_data
    maps: dict[str, dict[str, str]] = {}
    for name, _label, _long in catalog_forms.MAP_FIELDS:
        value = dict(getattr(obj, name)) if obj else {}
        for tag, _language in catalog_forms.LANGUAGES:
            value[tag] = data[catalog_forms.map_field_name(name, tag)]
        maps[name] = value
    period = dict(obj.period) if obj else {}
    period["zh-Hans" if not period or "zh-Hans" in period else next(iter(period))] = \
        data["period"]
    clear = []
    for name in ("year_earliest", "year_latest", "acquisition_date", "object_type"):
        if data[name] in (None, "") and obj is not None and getattr(obj, name) is not None:
            clear.append(name)
    custom = {d.code: data[f"custom__{d.code}"] for d in form.definitions
              if data[f"custom__{d.code}"] not in ("", None)
              or (obj is not None and d.code in obj.custom)}
    return services.ObjectInput(
        object_number=data["object_number"], title=maps["title"],
        object_name=maps["object_name"], description=maps["description"], period=period,
        object_type=data["object_type"] or None, materials=data["materials"],
        techniques=data["techniques"], production_date=data["production_date"],
        year_earliest=data["year_earliest"], year_latest=data["year_latest"],
        makers=data["makers"], dimensions=data["dimensions"], grade=data["grade"],
        status=data["status"], acquisition_method=data["acquisition_method"],
        acquisition_date=data["acquisition_date"], notes=data["notes"],
        custom=custom, clear=clear)


@login_required
def object_edit(request: HttpRequest, object_id: int | None = None) -> HttpResponse:
    actor = request.user
    obj = None
    if object_id is not None:
        try:
            obj = selectors.object_for(actor, object_id)
        except NotFound:
            return not_found(request)
    if not authz.can(actor, ops.OBJECT_EDIT.code,
                     department_id=obj.department_id if obj else None):
        return forbidden(request)
    kwargs: dict[str, Any] = {"vocabulary": _vocabulary(),
                              "definitions": list(selectors.fields_for(actor)),
                              "language": get_language()}
    form = catalog_forms.ObjectForm(initial=_initial(obj) if obj else {}, **kwargs)
    status = 200
    if request.method == "POST":
        form = catalog_forms.ObjectForm(request.POST, **kwargs)
        if form.is_valid():
            data = _object_input(form, obj)
            try:
                saved = (services.do_update_object(actor, obj, data) if obj
                         else services.do_create_object(actor, data))
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, _with_custom_names(error))
            else:
                messages.success(request, _("Object %(number)s is saved.")
                                 % {"number": saved.object_number})
                return redirect("catalog:object", object_id=saved.pk)
        status = 422
    return render(request, "catalog/object_form.html", {"form": form, "object": obj},
                  status=status)


def _with_custom_names(error: DomainError) -> DomainError:
    """Museum-field messages come back as ``custom.<code>`` or ``<code>``; the form names
    them ``custom__<code>``."""
    renamed = {}
    for name, message in error.fields.items():
        if name.startswith("custom."):
            name = "custom__" + name[len("custom."):]
        renamed[name] = message
    error.fields = renamed
    return error


# --- Condition and treatment --------------------------------------------------------------------

@login_required
def condition_new(request: HttpRequest, object_id: int) -> HttpResponse:
    try:
        obj = selectors.object_for(request.user, object_id)
    except NotFound:
        return not_found(request)
    if not authz.can(request.user, ops.CONDITION_RECORD.code):
        return forbidden(request)
    language = get_language()
    form = catalog_forms.ConditionForm(request.POST or None, request.FILES or None)
    form.fields["condition"].choices = catalog_forms.term_choices(  # type: ignore[attr-defined]
        selectors.terms("condition"), language, blank=True)
    form.fields["completeness"].choices = catalog_forms.term_choices(  # type: ignore[attr-defined]
        selectors.terms("completeness"), language, blank=True)
    form.fields["hazards"].choices = catalog_forms.term_choices(  # type: ignore[attr-defined]
        selectors.terms("hazard"), language, blank=False)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photos = data.pop("photos")
        caption = data.pop("photo_caption")
        if _check_photos(form, photos):
            try:
                # One transaction: a check is never left without the photographs that were
                # sent with it, and a refused photograph leaves no check behind.
                with transaction.atomic():
                    check = services.do_record_condition_check(
                        request.user, obj, services.ConditionInput(**data))
                    for photo in photos:
                        services.do_add_media(request.user, obj, photo, caption=caption,
                                              condition_check=check)
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, _renamed(error, {"file": "photos", "image": "photos",
                                                   "caption": "photo_caption"}))
            else:
                messages.success(request, _("The condition check is recorded."))
                return redirect("catalog:object", object_id=obj.pk)
    return render(request, "catalog/simple_form.html", {
        "form": form, "object": obj, "heading": _("Record a condition check"),
        "multipart": True}, status=422 if request.method == "POST" else 200)


def _check_photos(form: forms.Form, photos: list[UploadedFile]) -> bool:
    """Whether every photograph is an image the service will take, checked before anything
    is written so that a bad file saves nothing and leaves no stored file behind."""
    for photo in photos:
        try:
            inspect_image(photo)
        except ImageRejected as error:
            # the message names the file (imaging uses the upload's own name)
            form.add_error("photos", " ".join(error.fields.values()) or str(error.detail))
            return False
        photo.seek(0)
    return True


@login_required
def treatment_edit(request: HttpRequest, object_id: int,
                   treatment_id: int | None = None) -> HttpResponse:
    try:
        obj = selectors.object_for(request.user, object_id)
        treatment = (selectors.treatments_for(request.user, obj).filter(pk=treatment_id).first()
                     if treatment_id else None)
    except (NotFound, PermissionDenied) as error:
        return refuse(request, error) or not_found(request)
    if treatment_id and treatment is None:
        return not_found(request)
    if not authz.can(request.user, ops.TREATMENT_RECORD.code):
        return forbidden(request)
    initial = ({name: getattr(treatment, name) for name in catalog_forms.TreatmentForm.base_fields}
               if treatment else {})
    form = catalog_forms.TreatmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_treatment(request.user, obj,
                                       services.TreatmentInput(**form.cleaned_data),
                                       treatment)
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, error)
        else:
            messages.success(request, _("The treatment is saved."))
            return redirect("catalog:object", object_id=obj.pk)
    return render(request, "catalog/simple_form.html", {
        "form": form, "object": obj, "heading": _("Conservation treatment")},
        status=422 if request.method == "POST" else 200)


# --- Locations ----------------------------------------------------------------------------------

@login_required
def locations(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.OBJECT_VIEW.code):
        return forbidden(request)
    language = get_language()
    places = list(selectors.locations_for(request.user))
    selected = None
    objects: list[CatalogObject] = []
    chosen = _int_or_none(request.GET.get("location"))
    if chosen is not None:
        selected = next((place for place in places if place.pk == chosen), None)
        if selected is None:
            return not_found(request)
        objects = list(selectors.objects_at(request.user, selected, include_inside=False))
    tree = [{"location": place, "name": place.name_in(language),
             "depth": len(place.path.strip("/").split("/")) - 1} for place in places]
    return render(request, "catalog/locations.html", {
        "tree": tree, "selected": selected, "objects": objects, "language": language,
        "selected_name": selected.name_in(language) if selected else "",
        "may_manage": authz.can(request.user, ops.LOCATION_MANAGE.code),
    })


@login_required
def location_edit(request: HttpRequest, location_id: int | None = None) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.LOCATION_MANAGE.code):
        return forbidden(request)
    location = None
    if location_id is not None:
        try:
            location = selectors.location_for(actor, location_id)
        except NotFound:
            return not_found(request)
    initial: dict[str, Any] = {"is_active": True}
    if location is not None:
        initial = {"code": location.code, "kind": location.kind, "parent": location.parent_id,
                   "is_restricted": location.is_restricted, "is_public": location.is_public,
                   "is_active": location.is_active, "notes": location.notes,
                   "name_zh_Hans": location.name.get("zh-Hans", ""),
                   "name_en": location.name.get("en", ""),
                   "name_zh_Hant": location.name.get("zh-Hant", "")}
    form = catalog_forms.LocationForm(request.POST or None, initial=initial)
    form.fields["parent"].choices = location_choices(  # type: ignore[attr-defined]
        actor, blank=_("(top of the tree)"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        name = dict(location.name) if location else {}
        name.update({"zh-Hans": data["name_zh_Hans"], "en": data["name_en"],
                     "zh-Hant": data["name_zh_Hant"]})
        try:
            saved = services.do_save_location(actor, services.LocationInput(
                code=data["code"], name=name, kind=data["kind"], parent_id=data["parent"],
                move_to_top=data["parent"] is None, is_restricted=data["is_restricted"],
                is_public=data["is_public"], is_active=data["is_active"], notes=data["notes"]),
                location)
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, _renamed(error, {"parent_id": "parent"}))
        else:
            messages.success(request, _("Location %(code)s is saved.") % {"code": saved.code})
            return redirect(f"{_url('catalog:locations')}?location={saved.pk}")
    return render(request, "catalog/location_form.html", {"form": form, "location": location},
                  status=422 if request.method == "POST" else 200)


def _renamed(error: DomainError, names: dict[str, str]) -> DomainError:
    error.fields = {names.get(name, name): message for name, message in error.fields.items()}
    return error


def _url(name: str, **kwargs: Any) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


def qr_svg(text: str) -> str:
    """An inline SVG QR code (segno; error correction M, ISO/IEC 18004 §6.5.1, survives a
    scuffed label) sized for a 30 mm label at 4 px per module."""
    import segno

    code = segno.make_qr(text, error="m")
    return str(code.svg_inline(scale=4, border=2, omitsize=False))


@login_required
def location_labels(request: HttpRequest, location_id: int) -> HttpResponse:
    try:
        location = selectors.location_for(request.user, location_id)
    except NotFound:
        return not_found(request)
    language = get_language()
    labels = [{"code": location.code, "text": location.name_in(language),
               "qr": qr_svg(location.code)}]
    for obj in selectors.objects_at(request.user, location, include_inside=False):
        labels.append({"code": obj.object_number, "text": selectors.display_title(obj),
                       "qr": qr_svg(obj.object_number)})
    return render(request, "catalog/labels.html", {"location": location, "labels": labels})


# --- Scan to move -------------------------------------------------------------------------------

@login_required
def scan(request: HttpRequest) -> HttpResponse:
    """Step by step without JavaScript: the form carries the location code and the numbers
    scanned so far; each submission adds a scan (a keyboard-wedge scanner types the code and
    presses Enter) or, with ``action=move``, records the move."""
    actor = request.user
    if not authz.can(actor, ops.MOVEMENT_RECORD.code):
        return forbidden(request)
    language = get_language()
    form = catalog_forms.ScanForm(request.POST or None)
    form.fields["reason"].choices = catalog_forms.term_choices(  # type: ignore[attr-defined]
        selectors.terms("movement_reason"), language, blank=True)
    location: Location | None = None
    objects: list[CatalogObject] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["location_code"].strip():
            try:
                location = selectors.location_by_code(actor, data["location_code"])
            except NotFound as error:
                form.add_error("location_code", str(error.detail))
        numbers = [n for n in data["numbers"].split("\n") if n.strip()]
        scanned = data["scanned"].strip()
        if scanned and location is None and not form.errors:
            # The first scan names the place; a wedge scanner cannot tell us which it is.
            try:
                location = selectors.location_by_code(actor, scanned)
                posted = request.POST.copy()
                posted["location_code"] = location.code
                form.data = posted
            except NotFound as error:
                form.add_error("scanned", str(error.detail))
        elif scanned:
            try:
                found = selectors.object_by_number(actor, scanned)
            except NotFound as error:
                form.add_error("scanned", str(error.detail))
            else:
                if found.object_number not in numbers:
                    numbers.append(found.object_number)
        objects = [selectors.object_by_number(actor, n) for n in numbers
                   if selectors.objects_for(actor).filter(object_number=n).exists()]
        if request.POST.get("action") == "move" and location is not None:
            try:
                moved = services.do_move_objects(actor, [o.pk for o in objects], location.pk,
                                                 reason=data["reason"], note=data["note"])
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, _renamed(error, {"object_ids": "scanned",
                                                   "to_location_id": "location_code"}))
            else:
                messages.success(request, ngettext(
                    "%(count)s object moved to %(place)s.", "%(count)s objects moved to %(place)s.",
                    len(moved)) % {"count": len(moved), "place": location.code})
                return redirect("catalog:scan")
        posted = form.data.copy()  # type: ignore[attr-defined]
        posted["numbers"] = "\n".join(o.object_number for o in objects)
        posted["scanned"] = ""
        form.data = posted
        status = 422 if form.errors else 200
    hidden = selectors.hidden_locations(actor)
    rows = [{"object": o, "title": selectors.display_title(o),
             "place": selectors.place_of(actor, o, hidden=hidden).label(language)}
            for o in objects]
    return render(request, "catalog/scan.html", {
        "form": form, "location": location, "rows": rows,
        "location_name": location.name_in(language) if location else ""}, status=status)


# --- Import -------------------------------------------------------------------------------------

IMPORT_FOLDER = "catalog/imports/pending"
"""Uploads wait here between the preview and the import (named by a random token)."""
ALLOWED_SUFFIXES = {".csv", ".xlsx", ".jsonl", ".ndjson"}


def _pending_path(token: str, suffix: str) -> str:
    return f"{IMPORT_FOLDER}/{token}{suffix}"


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    from taihe.modules.catalog import importer

    actor = request.user
    if not authz.can(actor, ops.OBJECT_IMPORT.code):
        return forbidden(request)
    form = catalog_forms.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            form.add_error("file", _("“%(name)s” is not a CSV, XLSX or JSON Lines file.")
                           % {"name": upload.name})
        else:
            token = uuid.uuid4().hex
            stored = default_storage.save(_pending_path(token, suffix), upload)
            try:
                importer.preview_file(Path(default_storage.path(stored)), filename=upload.name)
            except DomainError as error:
                default_storage.delete(stored)
                form.add_error("file", " ".join(error.fields.values()) or str(error.detail))
            else:
                return redirect(f"{_url('catalog:import_map', token=token + suffix)}"
                                f"?name={upload.name}")
    return render(request, "catalog/import_upload.html", {
        "form": form, "runs": selectors.import_runs_for(actor)[:20]},
        status=422 if request.method == "POST" else 200)


@login_required
def import_map(request: HttpRequest, token: str) -> HttpResponse:
    from taihe.modules.catalog import importer
    from taihe.modules.catalog.importing.fields import FIELD_NAMES

    actor = request.user
    if not authz.can(actor, ops.OBJECT_IMPORT.code):
        return forbidden(request)
    stem, suffix = Path(token).stem, Path(token).suffix
    if len(stem) != 32 or not stem.isalnum() or suffix not in ALLOWED_SUFFIXES:
        return not_found(request)
    stored = _pending_path(stem, suffix)
    if not default_storage.exists(stored):
        return not_found(request)
    # The shown name is the person's file name; its type is the stored file's own.
    shown = Path(request.POST.get("name") or request.GET.get("name") or token).stem[:200]
    file_name = f"{shown}{suffix}"
    try:
        preview = importer.preview_file(Path(default_storage.path(stored)), filename=file_name)
    except DomainError as failure:
        messages.error(request, str(failure.detail))
        return redirect("catalog:import")
    saved_mappings = selectors.mappings_for(actor)
    mapping = dict(preview.suggested_mapping)
    chosen = saved_mappings.filter(pk=_int_or_none(request.GET.get("mapping")) or 0).first()
    if chosen is not None:
        mapping = {column: field for column, field in chosen.mapping.items()
                   if column in preview.columns}
    targets = [*FIELD_NAMES, *(f"custom:{d.code}" for d in selectors.fields_for(actor))]
    error = ""
    if request.method == "POST":
        mapping = {column: request.POST.get(f"map-{index}", "")
                   for index, column in enumerate(preview.columns)}
        mapping = {column: field for column, field in mapping.items() if field}
        try:
            if request.POST.get("action") == "save":
                saved = importer.do_save_mapping(actor, request.POST.get("mapping_name", ""),
                                                 mapping)
                messages.success(request, _("Mapping “%(name)s” is saved.")
                                 % {"name": saved.name})
            else:
                with default_storage.open(stored, "rb") as handle:
                    run = importer.start_import(
                        actor, UploadedFile(handle, name=file_name), mapping=mapping,
                        dry_run=request.POST.get("action") == "dry-run")
                default_storage.delete(stored)
                return redirect("catalog:import_run", run_id=run.pk)
        except DomainError as failure:
            denied = refuse(request, failure)
            if denied is not None:
                return denied
            error = " ".join(failure.fields.values()) or str(failure.detail)
    columns = [{"index": index, "name": column, "field": mapping.get(column, ""),
                "samples": [row.get(column, "") for row in preview.rows]}
               for index, column in enumerate(preview.columns)]
    return render(request, "catalog/import_map.html", {
        "token": token, "file_name": file_name, "columns": columns, "targets": targets,
        "rows": preview.rows, "saved_mappings": saved_mappings, "chosen": chosen,
        "error": error}, status=422 if error else 200)


@login_required
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    if not authz.can(request.user, ops.OBJECT_IMPORT.code):
        return forbidden(request)
    try:
        run = selectors.import_run_for(request.user, run_id)
    except NotFound:
        return not_found(request)
    return render(request, "catalog/import_run.html", {"run": run})


# --- Loans --------------------------------------------------------------------------------------

def _may_loans(actor: Any) -> bool:
    return authz.can(actor, ops.LOAN_MANAGE.code) or authz.can(actor, ops.LOAN_APPROVE.code)


@login_required
def loans(request: HttpRequest) -> HttpResponse:
    if not _may_loans(request.user):
        return forbidden(request)
    return render(request, "catalog/loans.html", {
        "loans": selectors.loans_for(request.user), "language": get_language(),
        "may_manage": authz.can(request.user, ops.LOAN_MANAGE.code)})


@login_required
def loan_page(request: HttpRequest, loan_id: int) -> HttpResponse:
    if not _may_loans(request.user):
        return forbidden(request)
    try:
        loan = selectors.loan_for(request.user, loan_id)
    except NotFound:
        return not_found(request)
    lines = list(loan.lines.select_related("object"))
    total = sum(line.insurance_value for line in lines if line.insurance_value is not None)
    place_form = catalog_forms.PlaceForm()
    place_form.fields["location"].choices = location_choices(  # type: ignore[attr-defined]
        request.user)
    return render(request, "catalog/loan.html", {
        "loan": loan, "lines": lines, "total": total, "language": get_language(),
        "place_form": place_form,
        "may_manage": authz.can(request.user, ops.LOAN_MANAGE.code),
        "may_approve": (authz.can(request.user, ops.LOAN_APPROVE.code)
                        and loan.requested_by_id != request.user.pk)})


@login_required
def loan_edit(request: HttpRequest, loan_id: int | None = None) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.LOAN_MANAGE.code):
        return forbidden(request)
    loan = None
    if loan_id is not None:
        try:
            loan = selectors.loan_for(actor, loan_id)
        except NotFound:
            return not_found(request)
    initial: dict[str, Any] = {}
    if loan is not None:
        initial = {name: getattr(loan, name) for name in (
            "number", "direction", "purpose", "starts_on", "ends_on", "insurance_currency",
            "environment_requirements")}
        initial.update(partner=text_in(loan.partner), venue=text_in(loan.venue), objects="\n".join(
            f"{line.object.object_number} {line.insurance_value or ''}".strip()
            for line in loan.lines.select_related("object")))
    form = catalog_forms.LoanForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        lines = data.pop("objects")
        agreement = data.pop("agreement")
        try:
            object_ids = [(selectors.object_by_number(actor, number).pk, value)
                          for number, value in lines]
        except NotFound as error:
            form.add_error("objects", str(error.detail))
        else:
            try:
                saved = services.do_save_loan(actor, services.LoanInput(**data), loan,
                                              agreement=agreement)
                services.do_set_loan_objects(actor, saved, object_ids)
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, _renamed(error, {"insurance_value": "objects"}))
            else:
                messages.success(request, _("Loan %(number)s is saved.")
                                 % {"number": saved.number})
                return redirect("catalog:loan", loan_id=saved.pk)
    return render(request, "catalog/simple_form.html", {
        "form": form, "multipart": True,
        "heading": _("Loan %(number)s") % {"number": loan.number} if loan
        else _("New loan")}, status=422 if request.method == "POST" else 200)


@login_required
def loan_agreement(request: HttpRequest, loan_id: int) -> HttpResponseBase:
    """The signed agreement, for the people who may see the loan (never from /media/)."""
    try:
        loan = selectors.loan_for(request.user, loan_id)
    except NotFound:
        return not_found(request)
    if not loan.agreement:
        return not_found(request)
    return FileResponse(loan.agreement.open("rb"), as_attachment=True,
                        filename=f"{loan.number}-agreement.pdf")


@login_required
@require_POST
def loan_action(request: HttpRequest, loan_id: int, action: str) -> HttpResponse:
    """request (approval), decide, dispatch, return."""
    actor = request.user
    if not _may_loans(actor):
        return forbidden(request)
    try:
        loan = selectors.loan_for(actor, loan_id)
        if action == "request":
            services.do_request_loan_approval(actor, loan)
        elif action == "decide":
            decision = catalog_forms.DecisionForm(request.POST)
            if not decision.is_valid():
                return not_found(request)
            services.do_decide_loan(actor, loan, approve=decision.cleaned_data["approve"],
                                    note=decision.cleaned_data["note"])
        elif action in ("dispatch", "return"):
            location_id = _int_or_none(request.POST.get("location")) or 0
            place = (services.do_dispatch_loan if action == "dispatch"
                     else services.do_return_loan)
            place(actor, loan, location_id=location_id)
        else:
            return not_found(request)
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, " ".join(error.fields.values()) or str(error.detail))
    else:
        messages.success(request, _("Loan %(number)s: %(status)s.") % {
            "number": loan.number, "status": loan.get_status_display()})
    return redirect("catalog:loan", loan_id=loan_id)


# --- Inventory ----------------------------------------------------------------------------------

@login_required
def inventory(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.INVENTORY_MANAGE.code):
        return forbidden(request)
    form = catalog_forms.CampaignForm(request.POST or None)
    form.fields["scope"].choices = location_choices(actor)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.do_start_inventory(actor, name=form.cleaned_data["name"],
                                                   scope_id=form.cleaned_data["scope"])
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, _renamed(error, {"scope_id": "scope"}))
        else:
            return redirect("catalog:campaign", campaign_id=campaign.pk)
    return render(request, "catalog/inventory.html", {
        "form": form, "campaigns": selectors.campaigns_for(actor), "language": get_language()},
        status=422 if request.method == "POST" else 200)


@login_required
def campaign_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.INVENTORY_MANAGE.code):
        return forbidden(request)
    try:
        campaign = selectors.campaign_for(actor, campaign_id)
    except NotFound:
        return not_found(request)
    form = catalog_forms.FindingForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "close":
        try:
            services.do_close_inventory(actor, campaign, record_misplaced_moves=bool(
                request.POST.get("record_moves")))
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            messages.error(request, str(error.detail))
        return redirect("catalog:campaign", campaign_id=campaign.pk)
    if request.method == "POST" and form.is_valid():
        try:
            found_at = selectors.location_by_code(actor, form.cleaned_data["location_code"])
            services.do_record_finding(actor, campaign, location_id=found_at.pk,
                                       object_number=form.cleaned_data["object_number"])
        except NotFound as error:
            form.add_error("location_code", str(error.detail))
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, error)
        else:
            form = catalog_forms.FindingForm(initial={
                "location_code": form.cleaned_data["location_code"]})
    report = services.inventory_report(campaign, request.user)
    language = get_language()
    known = {place.pk: place for place in selectors.locations_for(actor, include_inactive=True)}
    ids = {row[0] for row in [*report.in_place, *report.misplaced, *report.missing]}
    numbers = dict(selectors.objects_for(actor).filter(pk__in=ids)
                   .values_list("id", "object_number"))

    def place(location_id: int | None) -> str:
        if location_id is None:
            return _("No location recorded")
        found = known.get(location_id)
        return f"{found.code} {found.name_in(language)}" if found else _("Restricted location")

    return render(request, "catalog/campaign.html", {
        "campaign": campaign, "form": form,
        "in_place": [(numbers.get(o), place(at)) for o, at in report.in_place],
        "misplaced": [(numbers.get(o), place(at), place(expected))
                      for o, at, expected in report.misplaced],
        "missing": [(numbers.get(o), place(at)) for o, at in report.missing],
        "scope_name": place(campaign.scope_id)},
        status=422 if request.method == "POST" and form.errors else 200)


# --- Exhibitions --------------------------------------------------------------------------------

def _hidden_ids(actor: Any) -> set[int]:
    return selectors.hidden_locations(actor)


def _venue_rows(exhibition: Exhibition, hidden: set[int], language: str
                ) -> list[dict[str, Any]]:
    """Venues as shown: a gallery in a restricted store is named only to those who may know
    it (the others read "Restricted location", as everywhere else)."""
    rows = []
    for venue in exhibition.venues.all():
        place = ""
        if venue.location_id is not None:
            location = venue.location
            place = (str(_("Restricted location")) if venue.location_id in hidden or location
                     is None else f"{location.code} {location.name_in(language)}")
        rows.append({"venue": venue, "name": text_in(venue.name, language), "place": place})
    return rows


@login_required
def exhibitions(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.OBJECT_VIEW.code):
        return forbidden(request)
    language = get_language()
    hidden = _hidden_ids(request.user)
    items = [{"exhibition": exhibition, "title": text_in(exhibition.title, language)
              or exhibition.code, "venues": _venue_rows(exhibition, hidden, language)}
             for exhibition in selectors.exhibitions_for(request.user)
             .annotate(object_count=Count("objects_shown", distinct=True))]
    return render(request, "catalog/exhibitions.html", {
        "items": items, "may_manage": authz.can(request.user, ops.EXHIBITION_MANAGE.code)})


@login_required
def exhibition_page(request: HttpRequest, exhibition_id: int) -> HttpResponse:
    actor = request.user
    try:
        exhibition = selectors.exhibition_for(actor, exhibition_id)
    except NotFound:
        return not_found(request)
    language = get_language()
    shown = list(selectors.objects_for(actor).filter(exhibitions=exhibition)
                 .select_related("object_type").order_by("number_sort"))
    images = selectors.primary_images(shown)
    rows = [{"object": obj, "title": selectors.display_title(obj),
             "thumbnail": thumbnail_url(images[obj.pk]) if obj.pk in images else ""}
            for obj in shown]
    return render(request, "catalog/exhibition.html", {
        "exhibition": exhibition, "title": text_in(exhibition.title, language)
        or exhibition.code, "venues": _venue_rows(exhibition, _hidden_ids(actor), language),
        "rows": rows, "may_manage": authz.can(actor, ops.EXHIBITION_MANAGE.code)})


def _venue_line(venue: Any, hidden: set[int]) -> str:
    parts = [text_in(venue.name), f"opens {venue.opens_on.isoformat()}",
             f"closes {venue.closes_on.isoformat()}"]
    if venue.location_id is not None and venue.location_id not in hidden:
        parts.append(venue.location.code)
    return " | ".join(parts)


def _exhibition_initial(exhibition: Exhibition, hidden: set[int]) -> dict[str, Any]:
    return {"code": exhibition.code, "status": exhibition.status,
            "title_zh_Hans": exhibition.title.get("zh-Hans", ""),
            "title_en": exhibition.title.get("en", ""),
            "description_zh_Hans": exhibition.description.get("zh-Hans", ""),
            "description_en": exhibition.description.get("en", ""),
            "venues": "\n".join(_venue_line(venue, hidden) for venue in exhibition.venues.all()),
            "objects": "\n".join(exhibition.objects_shown.order_by("number_sort")
                                 .values_list("object_number", flat=True))}


def _venue_inputs(actor: Any, form: catalog_forms.ExhibitionForm,
                  exhibition: Exhibition | None, hidden: set[int]
                  ) -> list[services.VenueInput] | None:
    """The typed venues as service input, or None with the error put on the form.

    A venue line that matches a saved venue keeps that venue's name in every language; one
    whose gallery the editor may not know (shown without a code) keeps its gallery, so that
    saving the form never drops what the editor could not see."""
    saved = list(exhibition.venues.all()) if exhibition else []
    venues = []
    for name, opens_on, closes_on, code in form.cleaned_data["venues"]:
        match = next((venue for venue in saved if name in venue.name.values()
                      and (venue.opens_on, venue.closes_on) == (opens_on, closes_on)), None)
        location_id = None
        if code:
            try:
                location_id = selectors.location_by_code(actor, code).pk
            except NotFound as error:
                form.add_error("venues", str(error.detail))
                return None
        elif match is not None and match.location_id in hidden:
            location_id = match.location_id
        venues.append(services.VenueInput(name=dict(match.name) if match else name,
                                          opens_on=opens_on, closes_on=closes_on,
                                          location_id=location_id))
    return venues


def _object_ids(actor: Any, form: forms.Form, numbers: list[str]) -> list[int] | None:
    """Object numbers as ids, or None with every unknown number named on the form."""
    found = dict(selectors.objects_for(actor)
                 .filter(object_number__in=[normalise_number(n) for n in numbers])
                 .values_list("object_number", "id"))
    missing = [number for number in numbers if normalise_number(number) not in found]
    if missing:
        form.add_error("objects", _("No object has the number %(numbers)s.")
                       % {"numbers": ", ".join(missing[:20])})
        return None
    return [found[normalise_number(number)] for number in numbers]


def _venue_errors(error: DomainError) -> DomainError:
    """``venues.<index>.<field>`` → the venues field, naming the venue by its line."""
    fields: dict[str, str] = {}
    for name, message in error.fields.items():
        if name.startswith("venues."):
            index = int(name.split(".")[1]) if name.split(".")[1].isdigit() else 0
            message = _("Venue %(number)s: %(message)s") % {"number": index + 1,
                                                             "message": message}
            fields["venues"] = f"{fields['venues']} {message}" if "venues" in fields \
                else message
        else:
            fields[{"object_ids": "objects", "title": "title_zh_Hans",
                    "description": "description_zh_Hans"}.get(name, name)] = message
    error.fields = fields
    return error


@login_required
def exhibition_edit(request: HttpRequest, exhibition_id: int | None = None) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.EXHIBITION_MANAGE.code):
        return forbidden(request)
    exhibition = None
    if exhibition_id is not None:
        try:
            exhibition = selectors.exhibition_for(actor, exhibition_id)
        except NotFound:
            return not_found(request)
    hidden = _hidden_ids(actor)
    form = catalog_forms.ExhibitionForm(
        request.POST or None,
        initial=_exhibition_initial(exhibition, hidden) if exhibition else {})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        venues = _venue_inputs(actor, form, exhibition, hidden)
        object_ids = _object_ids(actor, form, data["objects"])
        if venues is not None and object_ids is not None:
            title = dict(exhibition.title) if exhibition else {}
            title.update({"zh-Hans": data["title_zh_Hans"], "en": data["title_en"]})
            description = dict(exhibition.description) if exhibition else {}
            description.update({"zh-Hans": data["description_zh_Hans"],
                                "en": data["description_en"]})
            try:
                saved = services.do_save_exhibition(
                    actor, code=data["code"], title=title, description=description,
                    status=data["status"], venues=venues, object_ids=object_ids,
                    exhibition=exhibition)
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, _venue_errors(error))
            else:
                messages.success(request, _("Exhibition %(code)s is saved.")
                                 % {"code": saved.code})
                return redirect("catalog:exhibition", exhibition_id=saved.pk)
    return render(request, "catalog/simple_form.html", {
        "form": form, "heading": (_("Exhibition %(code)s") % {"code": exhibition.code}
                                  if exhibition else _("New exhibition"))},
        status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "HEAD"])
def exhibition_collection(request: HttpRequest, exhibition_id: int) -> HttpResponse:
    """IIIF Presentation 3.0 Collection (§5.2) of an exhibition: the manifests of its
    published objects that have a finished image, in object-number order.

    Open to everyone (viewers fetch it without signing in), like the manifests it lists;
    a planned exhibition is not announced yet, so only people who see the register get it.
    It names no location."""
    exhibition = Exhibition.objects.filter(pk=exhibition_id).first()
    if exhibition is None or (exhibition.status == Exhibition.Status.PLANNED
                              and not authz.can(request.user, ops.OBJECT_VIEW.code)):
        raise Http404
    shown = (selectors.published_objects().filter(exhibitions=exhibition)
             .select_related("object_type").order_by("number_sort"))
    root = public.base_url(request)
    manifests = [(shared.manifest_uri(record, root), record.title or record.object_name
                  or {"none": record.object_number})
                 for record in selectors.object_records(shown) if record.images]
    document = iiif.collection(
        exhibition.title or {"none": exhibition.code}, manifests,
        collection_id=root + reverse("catalog:exhibition_collection",
                                     kwargs={"exhibition_id": exhibition.pk}),
        summary=exhibition.description or None)
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = public.IIIF_PRESENTATION_TYPE
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- Export -------------------------------------------------------------------------------------

EXPORT_BATCH = 1000
"""Objects read per query while exporting: memory stays flat however large the register."""
EXPORT_FILTERS = (("q", "text"), ("type", "object_types"), ("material", "materials"),
                  ("period", "periods"), ("grade", "grades"), ("status", "statuses"))
"""(query parameter, ObjectQuery field): the object list's own filters."""


def _export_query(params: Any) -> selectors.ObjectQuery:
    return selectors.ObjectQuery(
        text=params.get("q", "")[:200], object_types=params.getlist("type"),
        materials=params.getlist("material"), periods=params.getlist("period"),
        grades=params.getlist("grade"), statuses=params.getlist("status"))


def export_records(actor: Any, query: selectors.ObjectQuery) -> Iterator[ObjectRecord]:
    """Every object matching ``query`` that ``actor`` may see, as export records, read
    EXPORT_BATCH at a time in catalogue-entry order. No location is part of a record, so
    restricted stores cannot leak through an export."""
    for chunk in selectors.objects_matching(actor, query, batch=EXPORT_BATCH):
        yield from selectors.object_records(chunk)


class _Line:
    """A file-like target for ``csv.writer`` that hands back what was written."""

    def write(self, text: str) -> str:
        return text


def _csv_chunks(records: Iterable[ObjectRecord]) -> Iterator[str]:
    # Same layout as tabular.write_csv (header, CRLF rows), one row at a time so the response
    # streams; the byte-order mark lets Excel read the UTF-8 (write_csv's own advice).
    writer = csv.DictWriter(_Line(), fieldnames=tabular.ROW_FIELDS,
                            lineterminator="\r\n")
    yield "\ufeff" + str(writer.writeheader())
    for values in tabular.rows(records):
        yield str(writer.writerow(values))


def _jsonl_chunks(records: Iterable[ObjectRecord], root: str) -> Iterator[str]:
    for record in records:
        yield json.dumps(linked_art(record, base_url=root), ensure_ascii=False) + "\n"


@login_required
def export(request: HttpRequest) -> HttpResponseBase:
    """The export page; with ``format`` the download itself, of the objects matching the
    object list's filters carried in the query string."""
    actor = request.user
    if not authz.can(actor, ops.OBJECT_IMPORT.code):
        return forbidden(request)
    query = _export_query(request.GET)
    form = catalog_forms.ExportForm(request.GET if "format" in request.GET else None)
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data["format"]
        records = export_records(actor, query)
        stamp = timezone.localdate().isoformat()
        name = f"objects-{stamp}"
        if chosen == "csv":
            response: HttpResponseBase = StreamingHttpResponse(
                _csv_chunks(records), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        if chosen == "jsonl":
            response = StreamingHttpResponse(_jsonl_chunks(records, public.base_url(request)),
                                             content_type="application/x-ndjson; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.jsonl"'
            return response
        # XLSX and LIDO are written whole (a zip archive; one XML document) to a temporary
        # file that disappears when the response closes it.
        handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        if chosen == "xlsx":
            tabular.write_xlsx(records, handle)
            suffix, content_type = "xlsx", ("application/vnd.openxmlformats-officedocument."
                                            "spreadsheetml.sheet")
        else:
            handle.write(lido(records, base_url=public.base_url(request)))
            suffix, content_type = "xml", "application/xml"
        handle.seek(0)
        return FileResponse(handle, as_attachment=True, filename=f"{name}.{suffix}",
                            content_type=content_type)
    filters = [(param, value) for param, _field in EXPORT_FILTERS
               for value in request.GET.getlist(param) if value]
    return render(request, "catalog/export.html", {
        "form": form if form.is_bound else catalog_forms.ExportForm(initial={"format": "csv"}),
        "filters": filters,
        "total": selectors.search_objects(actor, query, limit=1, with_facets=False).total},
        status=422 if form.is_bound else 200)


# --- Museum fields ------------------------------------------------------------------------------

@login_required
def fields(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.FIELD_MANAGE.code):
        return forbidden(request)
    language = get_language()
    rows = [{"definition": definition, "label": text_in(definition.label, language)
             or definition.code} for definition in selectors.fields_for(request.user)]
    return render(request, "catalog/fields.html", {"rows": rows})


@login_required
def field_edit(request: HttpRequest, field_id: int | None = None) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.FIELD_MANAGE.code):
        return forbidden(request)
    definition = None
    if field_id is not None:
        try:
            definition = selectors.field_for(actor, field_id)
        except NotFound:
            return not_found(request)
    initial: dict[str, Any] = {}
    if definition is not None:
        initial = {"code": definition.code, "kind": definition.kind,
                   "required": definition.required,
                   "choices": "\n".join(str(choice) for choice in definition.choices),
                   "label_zh_Hans": definition.label.get("zh-Hans", ""),
                   "label_en": definition.label.get("en", ""),
                   "help_zh_Hans": definition.help_text.get("zh-Hans", ""),
                   "help_en": definition.help_text.get("en", "")}
    form = catalog_forms.FieldForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        label = dict(definition.label) if definition else {}
        label.update({"zh-Hans": data["label_zh_Hans"], "en": data["label_en"]})
        help_text = dict(definition.help_text) if definition else {}
        help_text.update({"zh-Hans": data["help_zh_Hans"], "en": data["help_en"]})
        try:
            saved = services.do_save_field(
                actor, code=data["code"], label=label, kind=data["kind"],
                choices=data["choices"], required=data["required"], help_text=help_text,
                definition=definition)
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            show_errors(form, _renamed(error, {"label": "label_zh_Hans",
                                               "help_text": "help_zh_Hans"}))
        else:
            messages.success(request, _("Museum field %(code)s is saved.")
                             % {"code": saved.code})
            return redirect("catalog:fields")
    return render(request, "catalog/simple_form.html", {
        "form": form, "heading": (_("Museum field %(code)s") % {"code": definition.code}
                                  if definition else _("New museum field"))},
        status=422 if request.method == "POST" else 200)
