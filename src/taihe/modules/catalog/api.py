"""The catalog's public surface for other modules: plain data, ids in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taihe.kernel import authz
from taihe.modules.catalog import operations as ops
from taihe.modules.catalog import selectors
from taihe.modules.catalog.models import CatalogObject, CurrentLocation, Location, text_in
from taihe.modules.catalog.records import ObjectRecord


@dataclass(frozen=True)
class LocationInfo:
    id: int
    code: str
    name: dict[str, str]
    kind: str
    parent_id: int | None
    path: str
    is_restricted: bool
    """Restricted itself or inside a restricted location."""
    is_public: bool
    is_active: bool


def _location(location: Location, restricted: set[int]) -> LocationInfo:
    return LocationInfo(location.pk, location.code, dict(location.name), location.kind,
                        location.parent_id, location.path, location.pk in restricted,
                        location.is_public, location.is_active)


def location(location_id: int) -> LocationInfo | None:
    found = Location.objects.filter(pk=location_id).first()
    return _location(found, selectors.restricted_location_ids()) if found else None


def location_by_code(code: str) -> LocationInfo | None:
    found = Location.objects.filter(code=code).first()
    return _location(found, selectors.restricted_location_ids()) if found else None


def locations_visible_to(actor: Any) -> list[LocationInfo]:
    """The location tree as the actor may know it (restricted stores only if allowed)."""
    restricted = selectors.restricted_location_ids()
    return [_location(place, restricted) for place in selectors.locations_for(actor)]


def hidden_location_ids(actor: Any) -> set[int]:
    """Locations the actor may not know of: restricted stores and everything inside them
    (empty for those allowed to know them). Inactive places are not hidden."""
    return selectors.hidden_locations(actor)


def location_ids_within(location_id: int) -> list[int]:
    """The location and every location inside it."""
    found = Location.objects.filter(pk=location_id).first()
    if found is None:
        return []
    return list(Location.objects.filter(path__startswith=found.path).values_list("id", flat=True))


def objects_at(location_ids: list[int]) -> list[int]:
    """Ids of objects whose current location (from the movement log) is one of these."""
    return list(CurrentLocation.objects.filter(location_id__in=location_ids)
                .values_list("object_id", flat=True))


def current_location_of(object_ids: list[int]) -> dict[int, int]:
    return dict(CurrentLocation.objects.filter(object_id__in=object_ids)
                .values_list("object_id", "location_id"))


def object_ids(*, after_id: int = 0, limit: int = 500) -> list[int]:
    """The next ``limit`` object ids of the whole register above ``after_id``, in id order:
    for jobs that walk the register in batches (callers apply their own permissions)."""
    return list(CatalogObject.objects.filter(pk__gt=after_id).order_by("pk")
                .values_list("pk", flat=True)[:max(0, int(limit))])


def object_ids_by_number(numbers: list[str]) -> dict[str, int]:
    """The ids of the objects with these object numbers (exact match; numbers not found are
    left out). Callers apply their own permissions."""
    return dict(CatalogObject.objects.filter(object_number__in=[str(n) for n in numbers])
                .values_list("object_number", "pk"))


def object_records(object_ids: list[int]) -> list[ObjectRecord]:
    """Plain records (materials with AAT ids, dates as years) for the AI and conservation
    features. Callers apply their own permission rules before showing them."""
    return selectors.object_records(CatalogObject.objects.filter(pk__in=object_ids)
                                    .select_related("object_type"))


def object_title(object_id: int, language: str | None = None) -> str:
    obj = CatalogObject.objects.filter(pk=object_id).first()
    if obj is None:
        return ""
    return obj.title_in(language) or text_in(obj.object_name, language) or obj.object_number


def may_view_objects(actor: Any) -> bool:
    """Whether ``actor`` may see the objects of the register (``catalog.object.view``): for
    counts over many objects, where :func:`visible_object_ids` would need every id."""
    return authz.can(actor, ops.OBJECT_VIEW.code)


def visible_object_ids(actor: Any, object_ids: list[int]) -> set[int]:
    """The objects among ``object_ids`` that ``actor`` may see in the register."""
    return set(selectors.objects_for(actor).filter(pk__in=object_ids)
               .values_list("id", flat=True))


def visible_location_ids(actor: Any, location_ids: list[int]) -> set[int]:
    """The locations among ``location_ids`` that ``actor`` may see."""
    return set(selectors.locations_for(actor).filter(pk__in=location_ids)
               .values_list("id", flat=True))


def location_name(location_id: int, language: str | None = None) -> str:
    found = Location.objects.filter(pk=location_id).first()
    return text_in(found.name, language) or found.code if found else ""


__all__ = [
    "LocationInfo",
    "current_location_of",
    "location",
    "location_by_code",
    "location_ids_within",
    "location_name",
    "locations_visible_to",
    "may_view_objects",
    "object_ids",
    "object_ids_by_number",
    "object_records",
    "object_title",
    "objects_at",
    "visible_location_ids",
    "visible_object_ids",
]
