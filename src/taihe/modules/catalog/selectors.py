"""Reads of the collection register, always filtered by what the actor may see.

Restricted stores: a person without ``catalog.location.view_restricted`` sees that an object
is in a restricted location, never which one; such locations are missing from the location
browser, the facets and the filters, and movements to or from them show no place.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from taihe.kernel import authz, search
from taihe.kernel.errors import NotFound
from taihe.modules.catalog import operations as ops
from taihe.modules.catalog.models import (
    SEARCH_INDEX,
    CatalogObject,
    ConditionCheck,
    CurrentLocation,
    Exhibition,
    FieldDefinition,
    ImportMapping,
    ImportRun,
    InventoryCampaign,
    Loan,
    Location,
    Media,
    Movement,
    ObjectRevision,
    Term,
    Treatment,
    normalise_number,
    text_in,
)
from taihe.modules.catalog.records import (
    DimensionRecord,
    ImageRecord,
    InscriptionRecord,
    MakerRecord,
    ObjectRecord,
    TermRecord,
)

# Period facet buckets by year (dynasty spans as in the importer's table, dates.py).
PERIOD_BUCKETS: list[tuple[str, int, int]] = [
    ("neolithic", -10000, -2071), ("xia-shang", -2070, -1047), ("zhou", -1046, -222),
    ("qin-han", -221, 220), ("six-dynasties", 221, 588), ("sui-tang", 589, 906),
    ("five-dynasties-song", 907, 1278), ("yuan", 1279, 1367), ("ming", 1368, 1643),
    ("qing", 1644, 1911), ("modern", 1912, 2200),
]


def period_labels() -> dict[str, str]:
    return {"neolithic": _("Neolithic"), "xia-shang": _("Xia and Shang"), "zhou": _("Zhou"),
            "qin-han": _("Qin and Han"), "six-dynasties": _("Six Dynasties"),
            "sui-tang": _("Sui and Tang"), "five-dynasties-song": _("Five Dynasties and Song"),
            "yuan": _("Yuan"), "ming": _("Ming"), "qing": _("Qing"),
            "modern": _("Since 1912")}


def restricted_location_ids() -> set[int]:
    """Locations that are restricted themselves or lie inside a restricted one."""
    flagged = list(Location.objects.filter(is_restricted=True).values_list("path", flat=True))
    if not flagged:
        return set()
    found: set[int] = set()
    for location_id, path in Location.objects.values_list("id", "path"):
        if any(path.startswith(prefix) for prefix in flagged):
            found.add(location_id)
    return found


def may_know_restricted(actor: Any) -> bool:
    return authz.can(actor, ops.LOCATION_VIEW_RESTRICTED.code)


def require_view(actor: Any) -> None:
    authz.require(actor, ops.OBJECT_VIEW.code)


def objects_for(actor: Any) -> QuerySet[CatalogObject]:
    if not authz.can(actor, ops.OBJECT_VIEW.code):
        return CatalogObject.objects.none()
    return CatalogObject.objects.all()


def object_for(actor: Any, object_id: int) -> CatalogObject:
    obj = (objects_for(actor).select_related("object_type").filter(pk=object_id).first())
    if obj is None:
        raise NotFound(_("There is no such object."))
    return obj


def object_by_number(actor: Any, number: str) -> CatalogObject:
    obj = objects_for(actor).filter(object_number=normalise_number(number)).first()
    if obj is None:
        raise NotFound(_("No object has the number %(number)s.") % {"number": number[:64]})
    return obj


# --- Locations ----------------------------------------------------------------------------------

def locations_for(actor: Any, *, include_inactive: bool = False) -> QuerySet[Location]:
    """The location tree the actor may know (restricted stores only for those allowed)."""
    if not authz.can(actor, ops.OBJECT_VIEW.code):
        return Location.objects.none()
    locations = Location.objects.all()
    if not include_inactive:
        locations = locations.filter(is_active=True)
    if not may_know_restricted(actor):
        locations = locations.exclude(pk__in=restricted_location_ids())
    return locations.order_by("path")


def location_for(actor: Any, location_id: int) -> Location:
    location = locations_for(actor, include_inactive=True).filter(pk=location_id).first()
    if location is None:
        raise NotFound(_("There is no such location."))
    return location


def location_by_code(actor: Any, code: str) -> Location:
    location = locations_for(actor).filter(code=normalise_number(code)).first()
    if location is None:
        raise NotFound(_("No location has the code %(code)s.") % {"code": code[:64]})
    return location


@dataclass
class PlaceView:
    """Where an object is, as the actor may know it."""

    location: Location | None
    trail: list[Location]
    restricted: bool
    since: dt.datetime | None

    def label(self, language: str | None = None) -> str:
        if self.restricted:
            return str(_("Restricted location"))
        if self.location is None:
            return str(_("No location recorded"))
        return " › ".join(place.name_in(language) for place in self.trail)


def place_of(actor: Any, obj: CatalogObject, *, hidden: set[int] | None = None) -> PlaceView:
    current = CurrentLocation.objects.filter(object=obj).select_related("location").first()
    if current is None:
        return PlaceView(None, [], False, None)
    hidden = hidden if hidden is not None else (
        set() if may_know_restricted(actor) else restricted_location_ids())
    if current.location_id in hidden:
        return PlaceView(None, [], True, None)
    location = current.location
    ancestors = {place.pk: place for place in Location.objects.filter(
        pk__in=location.ancestor_ids)}
    trail = [ancestors[pk] for pk in location.ancestor_ids if pk in ancestors] + [location]
    return PlaceView(location, trail, False, current.moved_at)


def places_of(actor: Any, objects: Iterable[CatalogObject], *,
              hidden: set[int] | None = None) -> dict[int, PlaceView]:
    """``place_of`` for a whole page of objects in two queries."""
    items = list(objects)
    hidden = hidden if hidden is not None else (
        set() if may_know_restricted(actor) else restricted_location_ids())
    current = {row.object_id: row for row in CurrentLocation.objects.filter(
        object__in=items).select_related("location")}
    ancestor_ids = {pk for row in current.values() for pk in row.location.ancestor_ids}
    ancestors = {place.pk: place for place in Location.objects.filter(pk__in=ancestor_ids)}
    places: dict[int, PlaceView] = {}
    for obj in items:
        row = current.get(obj.pk)
        if row is None:
            places[obj.pk] = PlaceView(None, [], False, None)
        elif row.location_id in hidden:
            places[obj.pk] = PlaceView(None, [], True, None)
        else:
            trail = [ancestors[pk] for pk in row.location.ancestor_ids if pk in ancestors]
            places[obj.pk] = PlaceView(row.location, [*trail, row.location], False,
                                       row.moved_at)
    return places


def primary_images(objects: Iterable[CatalogObject]) -> dict[int, Media]:
    """The main ready image of each object (one query for a page)."""
    images: dict[int, Media] = {}
    for media in Media.objects.filter(object__in=list(objects), tiles_ready=True,
                                      condition_check=None).order_by(
            "object_id", "-is_primary", "sort_order", "id"):
        images.setdefault(media.object_id, media)
    return images


def objects_at(actor: Any, location: Location, *, include_inside: bool = True
               ) -> QuerySet[CatalogObject]:
    """Objects whose latest movement put them at ``location`` (or anywhere inside)."""
    places = (Location.objects.filter(path__startswith=location.path) if include_inside
              else Location.objects.filter(pk=location.pk))
    if not may_know_restricted(actor):
        places = places.exclude(pk__in=restricted_location_ids())
    return objects_for(actor).filter(current__location__in=places)


# --- Search -------------------------------------------------------------------------------------

@dataclass
class ObjectQuery:
    text: str = ""
    object_types: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    location_id: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    published: bool | None = None
    sort: str = "number"
    """number, relevance (with text), year, updated."""


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchResult:
    total: int
    objects: list[CatalogObject]
    facets: dict[str, list[FacetValue]]


def _filtered(actor: Any, query: ObjectQuery, *, hidden: set[int],
              skip: str = "") -> QuerySet[CatalogObject]:
    objects = objects_for(actor)
    if query.text.strip():
        match = search.match_sql(SEARCH_INDEX, query.text)
        if match is not None:
            # The kernel adapter returns SQL with the text as a bound parameter.
            objects = objects.filter(id__in=RawSQL(*match))  # noqa: S611
    if query.object_types and skip != "object_type":
        objects = objects.filter(object_type__code__in=query.object_types)
    if query.materials and skip != "material":
        for code in query.materials:  # every chosen material (AND), as people expect
            objects = objects.filter(material_links__term__code=code)
    if query.grades and skip != "grade":
        objects = objects.filter(grade__in=query.grades)
    if query.statuses and skip != "status":
        objects = objects.filter(status__in=query.statuses)
    if query.periods and skip != "period":
        spans = Q()
        for code, start, end in PERIOD_BUCKETS:
            if code in query.periods:
                spans |= Q(year_earliest__gte=start, year_earliest__lte=end)
        objects = objects.filter(spans)
    if query.year_from is not None:
        objects = objects.filter(year_latest__gte=query.year_from)
    if query.year_to is not None:
        objects = objects.filter(year_earliest__lte=query.year_to)
    if query.published is not None:
        objects = objects.filter(is_published=query.published)
    if query.location_id is not None and skip != "location":
        location = Location.objects.filter(pk=query.location_id).first()
        if location is None or location.pk in hidden:
            return objects.none()
        objects = objects.filter(current__location__path__startswith=location.path)
        if hidden:  # restricted stores inside a visible place stay out of its count
            objects = objects.exclude(current__location_id__in=hidden)
    return objects


RANKED_LIMIT = 5000


def search_objects(actor: Any, query: ObjectQuery, *, offset: int = 0, limit: int = 50,
                   with_facets: bool = True) -> SearchResult:
    """One page of objects matching ``query`` with the facet counts of the whole match.
    Text is matched in Chinese (characters and bigrams) and English (words, prefixes)."""
    hidden = set() if may_know_restricted(actor) else restricted_location_ids()
    objects = _filtered(actor, query, hidden=hidden)
    if query.sort == "relevance" and query.text.strip():
        # Rank the best RANKED_LIMIT matches, keep those the filters allow (one query), and
        # page through them; beyond that, relevance adds nothing a person would page to.
        ranked = search.ranked_ids(SEARCH_INDEX, query.text, limit=RANKED_LIMIT)
        allowed = set(objects.filter(pk__in=ranked).values_list("pk", flat=True))
        page_ids = [pk for pk in ranked if pk in allowed][offset:offset + limit]
        by_id = {obj.pk: obj for obj in objects.filter(pk__in=page_ids)
                 .select_related("object_type")}
        page = [by_id[pk] for pk in page_ids if pk in by_id]
    else:
        order = {"year": ["year_earliest", "number_sort"], "updated": ["-updated_at"],
                 }.get(query.sort, ["number_sort"])
        page = list(objects.select_related("object_type").order_by(*order)
                    [offset:offset + limit])
    total = objects.count()
    facets = facet_counts(actor, query, hidden=hidden) if with_facets else {}
    return SearchResult(total=total, objects=page, facets=facets)


def facet_counts(actor: Any, query: ObjectQuery, *, hidden: set[int]
                 ) -> dict[str, list[FacetValue]]:
    """Counts per facet value over the match. Each facet ignores its own selection, so a
    person can widen a choice as well as narrow it."""
    language = get_language()
    labels = {(t.scheme, t.code): t.label_in(language)
              for t in Term.objects.filter(scheme__in=["object_type", "material"])}
    facets: dict[str, list[FacetValue]] = {}

    rows = (_filtered(actor, query, hidden=hidden, skip="object_type")
            .exclude(object_type__isnull=True).values("object_type__code")
            .annotate(n=Count("id")).order_by("-n"))
    facets["object_type"] = [FacetValue(row["object_type__code"],
                                        labels.get(("object_type", row["object_type__code"]),
                                                   row["object_type__code"]), row["n"],
                                        row["object_type__code"] in query.object_types)
                             for row in rows[:30]]
    rows = (_filtered(actor, query, hidden=hidden, skip="material")
            .values("material_links__term__code").exclude(material_links__term__code=None)
            .annotate(n=Count("id")).order_by("-n"))
    facets["material"] = [FacetValue(row["material_links__term__code"],
                                     labels.get(("material", row["material_links__term__code"]),
                                                row["material_links__term__code"]), row["n"],
                                     row["material_links__term__code"] in query.materials)
                          for row in rows[:30]]
    grade_labels = dict(CatalogObject.Grade.choices)
    rows = (_filtered(actor, query, hidden=hidden, skip="grade").values("grade")
            .annotate(n=Count("id")).order_by("grade"))
    facets["grade"] = [FacetValue(row["grade"], str(grade_labels.get(row["grade"], row["grade"])),
                                  row["n"], row["grade"] in query.grades) for row in rows]
    status_labels = dict(CatalogObject.Status.choices)
    rows = (_filtered(actor, query, hidden=hidden, skip="status").values("status")
            .annotate(n=Count("id")).order_by("status"))
    facets["status"] = [FacetValue(row["status"],
                                   str(status_labels.get(row["status"], row["status"])),
                                   row["n"], row["status"] in query.statuses) for row in rows]
    period_names = period_labels()
    counted: Counter[str] = Counter()
    years = (_filtered(actor, query, hidden=hidden, skip="period")
             .exclude(year_earliest__isnull=True).values("year_earliest")
             .annotate(n=Count("id")))
    for row in years:
        for code, start, end in PERIOD_BUCKETS:
            if start <= row["year_earliest"] <= end:
                counted[code] += row["n"]
                break
    facets["period"] = [FacetValue(code, period_names[code], counted[code],
                                   code in query.periods)
                        for code, _start, _end in PERIOD_BUCKETS if counted[code]]
    facets["location"] = _location_facet(actor, query, hidden)
    return facets


def _location_facet(actor: Any, query: ObjectQuery, hidden: set[int]) -> list[FacetValue]:
    """Counts rolled up to the children of the chosen location (or the top of the tree),
    so the facet drills down one level at a time."""
    per_location = dict(_filtered(actor, query, hidden=hidden, skip="location")
                        .filter(current__isnull=False).values("current__location")
                        .annotate(n=Count("id")).values_list("current__location", "n"))
    parent = (Location.objects.filter(pk=query.location_id).first()
              if query.location_id else None)
    depth = len(parent.path.strip("/").split("/")) if parent else 0
    paths = dict(Location.objects.filter(pk__in=per_location).values_list("id", "path"))
    rolled: Counter[int] = Counter()
    for location_id, count in per_location.items():
        if location_id in hidden:
            continue
        parts = [int(part) for part in paths.get(location_id, "").strip("/").split("/") if part]
        if parent is not None and parent.pk not in parts:
            continue
        if len(parts) > depth:
            rolled[parts[depth]] += count
    places = {place.pk: place for place in Location.objects.filter(pk__in=rolled)}
    language = get_language()
    return [FacetValue(str(pk), places[pk].name_in(language), count)
            for pk, count in rolled.most_common() if pk in places and pk not in hidden]


# --- Timeline, condition, loans -----------------------------------------------------------------

@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str
    """movement, condition, treatment, revision, loan, exhibition."""
    title: str
    detail: str = ""
    person_id: int | None = None
    url: str = ""


def timeline_for(actor: Any, obj: CatalogObject) -> list[TimelineEntry]:
    """The object's history, newest first: movements (restricted places hidden from those
    who may not know them), condition checks, treatments and record changes."""
    language = get_language()
    hidden = set() if may_know_restricted(actor) else restricted_location_ids()
    entries: list[TimelineEntry] = []
    places = {place.pk: place for place in Location.objects.filter(
        pk__in=Movement.objects.filter(object=obj).values("to_location"))}
    for move in Movement.objects.filter(object=obj).order_by("-moved_at", "-id"):
        place = (str(_("a restricted location")) if move.to_location_id in hidden
                 else places[move.to_location_id].name_in(language))
        entries.append(TimelineEntry(move.moved_at, "movement",
                                     _("Moved to %(place)s") % {"place": place},
                                     move.note, move.recorded_by_id))
    for check in ConditionCheck.objects.filter(object=obj):
        entries.append(TimelineEntry(check.checked_at, "condition",
                                     _("Condition checked: %(condition)s") % {
                                         "condition": term_label("condition", check.condition)},
                                     check.note, check.checked_by_id))
    for treatment in Treatment.objects.filter(object=obj):
        entries.append(TimelineEntry(treatment.updated_at, "treatment",
                                     _("Treatment: %(status)s") % {
                                         "status": treatment.get_status_display()},
                                     treatment.treatment or treatment.proposal,
                                     treatment.conservator_id))
    for revision in ObjectRevision.objects.filter(object=obj):
        changed = ", ".join(sorted(revision.changes)) if revision.changes else ""
        entries.append(TimelineEntry(revision.changed_at, "revision",
                                     _("Record revision %(number)s") % {
                                         "number": revision.number}, changed,
                                     revision.changed_by_id))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def term_label(scheme: str, code: str, language: str | None = None) -> str:
    term = Term.objects.filter(scheme=scheme, code=code).first()
    return term.label_in(language or get_language()) if term else code


def terms(scheme: str) -> QuerySet[Term]:
    return Term.objects.filter(scheme=scheme, is_active=True).order_by("sort_order", "code")


def condition_checks_for(actor: Any, obj: CatalogObject) -> QuerySet[ConditionCheck]:
    require_view(actor)
    return ConditionCheck.objects.filter(object=obj).order_by("-checked_at", "-id")


def treatments_for(actor: Any, obj: CatalogObject) -> QuerySet[Treatment]:
    require_view(actor)
    return Treatment.objects.filter(object=obj)


def treatment_for(actor: Any, treatment_id: int) -> Treatment:
    """One treatment of an object the actor may see. Raises :class:`NotFound`."""
    treatment = (Treatment.objects.filter(pk=treatment_id, object__in=objects_for(actor))
                 .select_related("object").first())
    if treatment is None:
        raise NotFound(_("There is no such treatment."))
    return treatment


def movements_for(actor: Any, obj: CatalogObject) -> list[dict[str, Any]]:
    require_view(actor)
    hidden = set() if may_know_restricted(actor) else restricted_location_ids()
    rows = []
    for move in Movement.objects.filter(object=obj).order_by("-moved_at", "-id"):
        rows.append({"id": move.pk, "moved_at": move.moved_at, "reason": move.reason,
                     "note": move.note, "recorded_by_id": move.recorded_by_id,
                     "from_location_id": None if move.from_location_id in hidden
                     else move.from_location_id,
                     "to_location_id": None if move.to_location_id in hidden
                     else move.to_location_id,
                     "restricted": move.to_location_id in hidden
                     or move.from_location_id in hidden})
    return rows


def revisions_for(actor: Any, obj: CatalogObject) -> QuerySet[ObjectRevision]:
    require_view(actor)
    return ObjectRevision.objects.filter(object=obj).order_by("-number")


def loans_for(actor: Any) -> QuerySet[Loan]:
    if not (authz.can(actor, ops.LOAN_MANAGE.code) or authz.can(actor, ops.LOAN_APPROVE.code)):
        return Loan.objects.none()
    return Loan.objects.all().prefetch_related("lines")


def loan_for(actor: Any, loan_id: int) -> Loan:
    loan = loans_for(actor).filter(pk=loan_id).first()
    if loan is None:
        raise NotFound(_("There is no such loan."))
    return loan


def exhibitions_for(actor: Any) -> QuerySet[Exhibition]:
    if not authz.can(actor, ops.OBJECT_VIEW.code):
        return Exhibition.objects.none()
    return Exhibition.objects.all().prefetch_related("venues")


def exhibition_for(actor: Any, exhibition_id: int) -> Exhibition:
    exhibition = exhibitions_for(actor).filter(pk=exhibition_id).first()
    if exhibition is None:
        raise NotFound(_("There is no such exhibition."))
    return exhibition


def campaigns_for(actor: Any) -> QuerySet[InventoryCampaign]:
    """Inventories the actor runs; one of a restricted store only for those who may know
    the store (its report lists what is inside)."""
    if not authz.can(actor, ops.INVENTORY_MANAGE.code):
        return InventoryCampaign.objects.none()
    campaigns = InventoryCampaign.objects.select_related("scope")
    if not may_know_restricted(actor):
        campaigns = campaigns.exclude(scope_id__in=restricted_location_ids())
    return campaigns


def campaign_for(actor: Any, campaign_id: int) -> InventoryCampaign:
    campaign = campaigns_for(actor).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("There is no such inventory."))
    return campaign


def fields_for(actor: Any) -> QuerySet[FieldDefinition]:
    if not authz.can(actor, ops.OBJECT_VIEW.code):
        return FieldDefinition.objects.none()
    return FieldDefinition.objects.filter(is_active=True)


def field_for(actor: Any, field_id: int) -> FieldDefinition:
    """One museum field. Raises :class:`NotFound`."""
    definition = fields_for(actor).filter(pk=field_id).first()
    if definition is None:
        raise NotFound(_("There is no such museum field."))
    return definition


def mappings_for(actor: Any) -> QuerySet[ImportMapping]:
    if not authz.can(actor, ops.OBJECT_IMPORT.code):
        return ImportMapping.objects.none()
    return ImportMapping.objects.all()


def import_runs_for(actor: Any) -> QuerySet[ImportRun]:
    if not authz.can(actor, ops.OBJECT_IMPORT.code):
        return ImportRun.objects.none()
    return ImportRun.objects.all()


def import_run_for(actor: Any, run_id: int) -> ImportRun:
    run = import_runs_for(actor).filter(pk=run_id).first()
    if run is None:
        raise NotFound(_("There is no such import."))
    return run


def condition_checks_due(actor: Any, *, by: dt.date, limit: int = 20
                         ) -> list[tuple[CatalogObject, dt.date]]:
    """Objects whose latest condition check asks for the next one by ``by`` (earliest
    first); a later check that moved the date on supersedes the earlier one."""
    if not authz.can(actor, ops.CONDITION_RECORD.code):
        return []
    latest = ConditionCheck.objects.filter(object=OuterRef("object")).order_by(
        "-checked_at", "-id").values("id")[:1]
    checks = (ConditionCheck.objects.filter(id=Subquery(latest), next_check_due__lte=by)
              .select_related("object").order_by("next_check_due", "object__number_sort"))
    return [(check.object, check.next_check_due) for check in checks[:limit]
            if check.next_check_due is not None]


def media_of(obj: CatalogObject) -> QuerySet[Media]:
    """The object's images (condition-check photographs are kept with their check)."""
    return Media.objects.filter(object=obj, condition_check=None)


def condition_photos(check: ConditionCheck) -> QuerySet[Media]:
    return Media.objects.filter(condition_check=check)


def media_for(actor: Any, media_id: int) -> Media:
    media = (Media.objects.select_related("object").filter(pk=media_id).first()
             if authz.can(actor, ops.OBJECT_VIEW.code) else None)
    if media is None:
        raise NotFound(_("There is no such image."))
    return media


# --- Plain records for exporters and other modules ----------------------------------------------

def _term_record(term: Term) -> TermRecord:
    return TermRecord(term.scheme, term.code, dict(term.label), term.aat_id or None)


def object_records(objects: Iterable[CatalogObject]) -> list[ObjectRecord]:
    """Plain records (as ``records.ObjectRecord``) for exports, with terms and images."""
    items = list(objects)
    ids = [obj.pk for obj in items]
    materials: dict[int, list[TermRecord]] = {}
    for link in (CatalogObject.materials.through.objects.filter(object_id__in=ids)
                 .select_related("term").order_by("object_id", "position")):
        materials.setdefault(link.object_id, []).append(_term_record(link.term))
    techniques: dict[int, list[TermRecord]] = {}
    through = CatalogObject.techniques.through
    for row in through.objects.filter(catalogobject_id__in=ids).select_related("term"):
        techniques.setdefault(row.catalogobject_id, []).append(_term_record(row.term))
    images: dict[int, list[ImageRecord]] = {}
    for media in Media.objects.filter(object_id__in=ids, tiles_ready=True,
                                      condition_check=None):
        images.setdefault(media.object_id, []).append(ImageRecord(
            media.pk, media.width, media.height, "image/jpeg", dict(media.caption),
            media.is_primary, media.rights))
    types = {term.pk: term for term in Term.objects.filter(
        pk__in={obj.object_type_id for obj in items if obj.object_type_id})}
    return [ObjectRecord(
        id=obj.pk, object_number=obj.object_number,
        other_numbers=[(entry["number"], entry.get("kind", "")) for entry in obj.other_numbers],
        object_name=dict(obj.object_name),
        object_type=_term_record(types[obj.object_type_id]) if obj.object_type_id else None,
        title=dict(obj.title),
        makers=[MakerRecord(dict(maker["name"]), maker.get("role", "")) for maker in obj.makers],
        culture=dict(obj.culture), period=dict(obj.period),
        year_earliest=obj.year_earliest, year_latest=obj.year_latest,
        production_date=obj.production_date, materials=materials.get(obj.pk, []),
        medium=dict(obj.medium), techniques=techniques.get(obj.pk, []),
        dimensions=[DimensionRecord(entry["kind"], Decimal(entry["value"]), entry["unit"])
                    for entry in obj.dimensions],
        dimensions_text=dict(obj.dimensions_text),
        inscriptions=[InscriptionRecord(dict(entry["text"]), entry.get("kind", "inscription"),
                                        entry.get("position", ""))
                      for entry in obj.inscriptions],
        description=dict(obj.description), acquisition_method=obj.acquisition_method,
        acquisition_date=obj.acquisition_date,
        acquisition_source=dict(obj.acquisition_source), credit_line=dict(obj.credit_line),
        grade=obj.grade, status=obj.status,
        images=sorted(images.get(obj.pk, []), key=lambda image: not image.is_primary),
        updated_at=obj.updated_at) for obj in items]


def published_objects() -> QuerySet[CatalogObject]:
    """What the public may see (IIIF, Linked Art, OAI-PMH)."""
    return CatalogObject.objects.filter(is_published=True).exclude(
        status=CatalogObject.Status.DEACCESSIONED)


def display_title(obj: CatalogObject) -> str:
    return obj.title_in(get_language()) or text_in(obj.object_name) or obj.object_number
