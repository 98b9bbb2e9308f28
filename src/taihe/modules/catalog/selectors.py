"""Reads of the collection register, always filtered by what the actor may see.

Restricted stores: a person without ``catalog.location.view_restricted`` sees that an object
is in a restricted location, never which one; such locations are missing from the location
browser, the facets and the filters, and movements to or from them show no place.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from taihe.kernel import authz, search
from taihe.kernel.db.engine import id_sample_sql, quick_count
from taihe.kernel.db.functions import GroupConcat
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
    ObjectMaterial,
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


def hidden_locations(actor: Any) -> set[int]:
    """The locations the actor may not know of (restricted ones and everything inside)."""
    return set() if may_know_restricted(actor) else restricted_location_ids()


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
    return places_of(actor, [obj], hidden=hidden)[obj.pk]


def places_of(actor: Any, objects: Iterable[CatalogObject], *,
              hidden: set[int] | None = None) -> dict[int, PlaceView]:
    """``place_of`` for a whole page of objects in two queries."""
    items = list(objects)
    hidden = hidden if hidden is not None else hidden_locations(actor)
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
    approximate: bool = False
    """Counts and facets estimated from a sample (more than ``EXACT_LIMIT`` candidates)."""
    order: str = "number"
    """The order the page is in: number, year, updated, relevance or entry."""


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
EXACT_LIMIT = 10_000
"""Up to this many candidates, counts and facets are exact."""
SAMPLE_SIZE = 4_000
"""Above it, counts and facets come from an evenly spread sample of about this many."""
PAGE_CHUNK = 2_000
FACET_ORDER = ("object_type", "material", "grade", "status", "period", "location")
_PERIOD_STARTS = [start for _code, start, _end in PERIOD_BUCKETS]


def search_objects(actor: Any, query: ObjectQuery, *, offset: int = 0, limit: int = 50,
                   with_facets: bool = True) -> SearchResult:
    """One page of objects matching ``query`` with the facet counts of the whole match.
    Text is matched in Chinese (characters and bigrams) and English (words, prefixes).

    How it stays fast on a register of millions: the text match is read from the search
    index alone; the facet columns of the candidates are fetched once and counted in one
    pass (each facet ignoring its own selection, so a choice can be widened as well as
    narrowed). Up to ``EXACT_LIMIT`` candidates everything is exact. Above it, counts and
    facets are estimated from every n-th candidate (``approximate`` is then true and pages
    show "about"), and a text match is listed in catalogue-entry order, walked through the
    index a chunk at a time, so the first page never waits for the whole match.
    """
    if not authz.can(actor, ops.OBJECT_VIEW.code):
        return SearchResult(0, [], {})
    hidden = hidden_locations(actor)
    engine = _Search(actor, query, hidden)
    return engine.run(offset=max(offset, 0), limit=max(limit, 0), with_facets=with_facets)


class _Search:
    def __init__(self, actor: Any, query: ObjectQuery, hidden: set[int]) -> None:
        self.actor, self.query, self.hidden = actor, query, hidden
        self.text = query.text.strip()
        self.count_exact = True
        self.base = objects_for(actor)
        if query.year_from is not None:
            self.base = self.base.filter(year_latest__gte=query.year_from)
        if query.year_to is not None:
            self.base = self.base.filter(year_earliest__lte=query.year_to)
        if query.published is not None:
            self.base = self.base.filter(is_published=query.published)
        self.plain_base = (query.year_from is None and query.year_to is None
                           and query.published is None)
        terms = Term.objects.filter(scheme__in=["object_type", "material"]).values_list(
            "pk", "scheme", "code")
        self.type_code = {pk: code for pk, scheme, code in terms if scheme == "object_type"}
        self.material_code = {pk: code for pk, scheme, code in terms if scheme == "material"}
        self.paths = dict(Location.objects.values_list("pk", "path"))
        self.location_ok: set[int] | None = None
        self.location_depth = 0
        if query.location_id is not None:
            chosen = self.paths.get(query.location_id)
            self.location_ok = set() if chosen is None or query.location_id in hidden else {
                pk for pk, path in self.paths.items()
                if path.startswith(chosen) and pk not in hidden}
            self.location_depth = len(chosen.strip("/").split("/")) if chosen else 0
        self.selected = {
            "object_type": set(query.object_types), "material": set(query.materials),
            "grade": set(query.grades), "status": set(query.statuses),
            "period": set(query.periods)}
        self.filtering = (any(self.selected.values()) or self.location_ok is not None
                          or not self.plain_base)

    # -- candidates ---------------------------------------------------------------------------

    def candidates(self) -> tuple[int, tuple[str, list[Any]] | None, int]:
        """(how many candidates, SQL listing their ids — or a spread sample of them — or
        None for all of ``base``, the sampling stride)."""
        if self.text:
            # The match comes from the index alone; the other conditions are applied to
            # the candidates' rows (``rows`` reads them through ``base``).
            # The start of the match decides exact or sampled without reading all of it; a
            # sampled match's size is then estimated from the sample itself.
            count, _exact = search.estimate_count(SEARCH_INDEX, self.text,
                                                  exact_up_to=EXACT_LIMIT) or (0, True)
            stride = 1 if count <= EXACT_LIMIT else -(-count // SAMPLE_SIZE)
            return count, search.match_sql(SEARCH_INDEX, self.text, stride=stride), stride
        count, self.count_exact = quick_count(self.base)
        if count <= EXACT_LIMIT:
            return count, None, 1
        stride = -(-count // SAMPLE_SIZE)
        # two one-row index reads: MIN and MAX in one statement would scan the table
        ids = self.base.order_by().values_list("pk", flat=True)
        low, high = ids.order_by("pk").first(), ids.order_by("-pk").first()
        return count, id_sample_sql(low or 0, high or 0, stride), stride

    def rows(self, ids: tuple[str, list[Any]] | list[int] | None) -> list[tuple[Any, ...]]:
        """Facet columns of the candidates (all of ``base`` when ``ids`` is None; ids as SQL
        or as a list), materials as a set of codes, in one statement."""
        objects = self.base
        if isinstance(ids, list):
            objects = objects.filter(pk__in=ids)
        elif ids is not None:
            # ids come from the search index or the sampler as SQL, never from the person
            objects = objects.filter(pk__in=RawSQL(*ids))  # noqa: S611
        materials = (ObjectMaterial.objects.filter(object=OuterRef("pk")).order_by()
                     .values("object").annotate(codes=GroupConcat("term_id")).values("codes"))
        # .order_by(): no sorting (the models' default orders join and sort for nothing)
        rows = objects.order_by().annotate(material_ids=Subquery(materials)).values_list(
            "pk", "object_type_id", "grade", "status", "year_earliest", "number_sort",
            "current__location_id", "material_ids")
        code = self.material_code
        return [(*row[:7], {code.get(int(pk), "") for pk in row[7].split(",")} if row[7]
                 else set()) for row in rows]

    # -- counting -------------------------------------------------------------------------------

    def period_of(self, year: int | None) -> str | None:
        if year is None:
            return None
        index = bisect.bisect_right(_PERIOD_STARTS, year) - 1
        if index >= 0 and year <= PERIOD_BUCKETS[index][2]:
            return PERIOD_BUCKETS[index][0]
        return None

    def checks(self, rows: list[tuple[Any, ...]]) -> dict[str, list[bool]]:
        """For each facet with a selection, whether each row satisfies it."""
        selected, checks = self.selected, {}
        if selected["object_type"]:
            allowed = {pk for pk, code in self.type_code.items()
                       if code in selected["object_type"]}
            checks["object_type"] = [row[1] in allowed for row in rows]
        if selected["material"]:
            need = selected["material"]
            checks["material"] = [need <= row[7] for row in rows]
        if selected["grade"]:
            checks["grade"] = [row[2] in selected["grade"] for row in rows]
        if selected["status"]:
            checks["status"] = [row[3] in selected["status"] for row in rows]
        if selected["period"]:
            buckets = {year: self.period_of(year) for year in {row[4] for row in rows}}
            checks["period"] = [buckets[row[4]] in selected["period"] for row in rows]
        if self.location_ok is not None:
            checks["location"] = [row[6] in self.location_ok for row in rows]
        return checks

    @staticmethod
    def keep(rows: list[tuple[Any, ...]], flags: list[list[bool]]) -> list[tuple[Any, ...]]:
        if not flags:
            return rows
        return [row for row, *ok in zip(rows, *flags, strict=True) if all(ok)]

    def count(self, rows: list[tuple[Any, ...]]
              ) -> tuple[list[tuple[Any, ...]], dict[str, Counter[Any]]]:
        """The rows passing every selection, and per facet the counts over the rows passing
        every *other* facet's selection."""
        checks = self.checks(rows)
        passing = self.keep(rows, list(checks.values()))
        counters: dict[str, Counter[Any]] = {}
        for name in FACET_ORDER:
            subset = (self.keep(rows, [flags for other, flags in checks.items() if other != name])
                      if name in checks else passing)
            if name == "object_type":
                by_id = Counter([row[1] for row in subset])
                counters[name] = Counter({self.type_code.get(pk): n for pk, n in by_id.items()
                                          if pk is not None})
            elif name == "material":
                counters[name] = Counter(chain.from_iterable(row[7] for row in subset))
            elif name == "grade":
                counters[name] = Counter([row[2] for row in subset])
            elif name == "status":
                counters[name] = Counter([row[3] for row in subset])
            elif name == "period":
                periods: Counter[Any] = Counter()
                for year, n in Counter([row[4] for row in subset]).items():
                    bucket = self.period_of(year)
                    if bucket is not None:
                        periods[bucket] += n
                counters[name] = periods
            else:
                counters[name] = Counter(pk for pk in (row[6] for row in subset)
                                         if pk is not None and pk not in self.hidden)
        return passing, counters

    # -- the page -------------------------------------------------------------------------------

    def run(self, *, offset: int, limit: int, with_facets: bool) -> SearchResult:
        count, ids, stride = self.candidates()
        sampled = stride > 1
        rows = self.rows(ids) if (with_facets or not sampled or self.filtering or self.text) \
            else []
        passing, counters = self.count(rows)
        if not sampled:
            total = len(passing)
        elif self.text or self.filtering:
            total = len(passing) * stride
        else:
            total = count  # the whole register: counted (estimated on PostgreSQL)
        if sampled:
            page, order = self.page_from_index(offset, limit) if self.text else (
                self.page_in_sql(offset, limit), self.query.sort)
        else:
            page, order = self.page_from_rows(passing, offset, limit)
        facets = self.facets(counters, stride) if with_facets else {}
        return SearchResult(total=total, objects=page, facets=facets, approximate=sampled and (
            self.filtering or with_facets or bool(self.text) or not self.count_exact),
            order=order)

    def _fetch(self, ids: list[int]) -> list[CatalogObject]:
        by_id = {obj.pk: obj for obj in CatalogObject.objects.filter(pk__in=ids)
                 .select_related("object_type")}
        return [by_id[pk] for pk in ids if pk in by_id]

    def page_from_rows(self, passing: list[tuple[Any, ...]], offset: int, limit: int
                       ) -> tuple[list[CatalogObject], str]:
        sort = self.query.sort
        if sort == "relevance" and self.text:
            ranked = search.ranked_ids(SEARCH_INDEX, self.text, limit=RANKED_LIMIT)
            allowed = {row[0] for row in passing}
            return self._fetch([pk for pk in ranked if pk in allowed][offset:offset + limit]), \
                sort
        if sort == "year":
            passing.sort(key=lambda row: (row[4] is None, row[4] or 0, row[5]))
        elif sort == "updated":
            ids = [row[0] for row in passing]
            ordered = list(CatalogObject.objects.filter(pk__in=ids).order_by(
                "-updated_at", "number_sort").values_list("pk", flat=True)[offset:offset + limit])
            return self._fetch(ordered), sort
        else:
            sort = "number"
            passing.sort(key=lambda row: row[5])
        return self._fetch([row[0] for row in passing[offset:offset + limit]]), sort

    def page_from_index(self, offset: int, limit: int) -> tuple[list[CatalogObject], str]:
        """Walk the match in id order a chunk at a time until the page is full."""
        wanted, after = offset + limit, None
        if not self.filtering:  # every match is on the page: the index alone says which
            ids = search.match_ids(SEARCH_INDEX, self.text, limit=wanted) or []
            return self._fetch(ids[offset:wanted]), "entry"
        found: list[int] = []
        size = min(PAGE_CHUNK, max(200, wanted * 4))
        while len(found) < wanted:
            chunk = search.match_ids(SEARCH_INDEX, self.text, after=after, limit=size)
            size = PAGE_CHUNK
            if not chunk:
                break
            after = chunk[-1]
            rows = sorted(self.rows(chunk))
            found += [row[0] for row in self.keep(rows, list(self.checks(rows).values()))]
        return self._fetch(found[offset:wanted]), "entry"

    def page_in_sql(self, offset: int, limit: int) -> list[CatalogObject]:
        objects = _filtered(self.actor, self.query, hidden=self.hidden)
        order = {"year": ["year_earliest", "number_sort"], "updated": ["-updated_at"]}.get(
            self.query.sort, ["number_sort"])
        return list(objects.select_related("object_type").order_by(*order)
                    [offset:offset + limit])

    def facets(self, counters: dict[str, Counter[Any]], stride: int
               ) -> dict[str, list[FacetValue]]:
        language = get_language()
        labels = {(t.scheme, t.code): t.label_in(language)
                  for t in Term.objects.filter(scheme__in=["object_type", "material"])}
        grade_labels = dict(CatalogObject.Grade.choices)
        status_labels = dict(CatalogObject.Status.choices)
        period_names = period_labels()
        selected = self.selected
        facets = {
            "object_type": [FacetValue(code, labels.get(("object_type", code), code),
                                       n * stride, code in selected["object_type"])
                            for code, n in counters["object_type"].most_common(30) if code],
            "material": [FacetValue(code, labels.get(("material", code), code), n * stride,
                                    code in selected["material"])
                         for code, n in counters["material"].most_common(30) if code],
            "grade": [FacetValue(code, str(grade_labels.get(code, code)), n * stride,
                                 code in selected["grade"])
                      for code, n in sorted(counters["grade"].items())],
            "status": [FacetValue(code, str(status_labels.get(code, code)), n * stride,
                                  code in selected["status"])
                       for code, n in sorted(counters["status"].items())],
            "period": [FacetValue(code, period_names[code], counters["period"][code] * stride,
                                  code in selected["period"])
                       for code, _start, _end in PERIOD_BUCKETS if counters["period"][code]],
        }
        facets["location"] = self.location_facet(counters["location"], stride, language)
        return facets

    def location_facet(self, per_location: Counter[Any], stride: int, language: str
                       ) -> list[FacetValue]:
        """Counts rolled up to the children of the chosen location (or the top of the
        tree), so the facet drills down one level at a time."""
        rolled: Counter[int] = Counter()
        chosen = self.query.location_id
        for location_id, n in per_location.items():
            parts = [int(part) for part in self.paths.get(location_id, "").strip("/").split("/")
                     if part]
            if chosen is not None and chosen not in parts:
                continue
            if len(parts) > self.location_depth:
                rolled[parts[self.location_depth]] += n
        places = {place.pk: place for place in Location.objects.filter(pk__in=rolled)}
        return [FacetValue(str(pk), places[pk].name_in(language), n * stride)
                for pk, n in rolled.most_common() if pk in places and pk not in self.hidden]


def count_matching(actor: Any, query: ObjectQuery) -> int:
    """The exact number of objects matching ``query`` (no sampling: for scripts)."""
    return _filtered(actor, query, hidden=hidden_locations(actor)).count()


def objects_matching(actor: Any, query: ObjectQuery, *, batch: int = 1000
                     ) -> Iterator[list[CatalogObject]]:
    """Every object matching ``query`` (exactly, no sampling), in id order, ``batch`` at a
    time with keyset paging, so an export of millions never re-reads what it passed."""
    hidden = hidden_locations(actor)
    objects = _filtered(actor, query, hidden=hidden).select_related("object_type")
    last = 0
    while True:
        chunk = list(objects.filter(pk__gt=last).order_by("pk")[:batch])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


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
    hidden = hidden_locations(actor)
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
    hidden = hidden_locations(actor)
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
