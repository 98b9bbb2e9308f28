"""The only write path of the collection register. ``check_*`` validates and authorises,
``do_*`` mutates and publishes events after commit. Every ``do_*`` runs in one transaction:
when it raises, nothing it began is left behind."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz, search
from taihe.kernel.db.engine import lock_rows_query
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue
from taihe.modules.catalog import events
from taihe.modules.catalog import operations as ops
from taihe.modules.catalog.custom_fields import clean_custom_values
from taihe.modules.catalog.models import (
    SEARCH_INDEX,
    CatalogObject,
    ConditionCheck,
    CurrentLocation,
    Exhibition,
    ExhibitionVenue,
    FieldDefinition,
    InventoryCampaign,
    InventoryFinding,
    Loan,
    LoanObject,
    Location,
    Media,
    Movement,
    ObjectMaterial,
    ObjectRevision,
    Term,
    Treatment,
    normalise_number,
    number_sort_key,
)
from taihe.modules.catalog.selectors import hidden_locations
from taihe.modules.directory import api as directory
from taihe.modules.notifications import api as notifications

LANGUAGE_TAG = re.compile(r"^(none|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$")
DEFAULT_LANGUAGE = "zh-Hans"

notifications.register_category("catalog.loans", _("Loans"))


# --- Values -----------------------------------------------------------------------------------

def clean_language_map(value: Any, *, field_name: str, errors: dict[str, str],
                       max_length: int = 20_000) -> dict[str, str]:
    """A language map from a dict of BCP 47 tag → text, or a plain string in the museum's
    default language. Empty texts are dropped."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = {DEFAULT_LANGUAGE: value}
    if not isinstance(value, dict):
        errors[field_name] = _("Give a text or an object of language tags and texts.")
        return {}
    cleaned: dict[str, str] = {}
    for tag, text in value.items():
        if not isinstance(tag, str) or not LANGUAGE_TAG.match(tag):
            errors[field_name] = _("“%(tag)s” is not a language tag such as zh-Hans or en.") % {
                "tag": str(tag)[:20]}
            return {}
        if text is None:
            continue
        if not isinstance(text, str):
            errors[field_name] = _("The %(tag)s text must be text.") % {"tag": tag}
            return {}
        text = text.strip()
        if len(text) > max_length:
            errors[field_name] = _("The %(tag)s text is longer than %(max)s characters.") % {
                "tag": tag, "max": max_length}
            return {}
        if text:
            cleaned[tag] = text
    return cleaned


def text_of(value: dict[str, str]) -> str:
    return " ".join(value.values())


# --- Objects ------------------------------------------------------------------------------------

@dataclass
class ObjectInput:
    """Fields of an object record; ``None`` leaves a field as it is (on update)."""

    object_number: str | None = None
    other_numbers: list[dict[str, str]] | None = None
    object_name: Any = None
    object_type: str | None = None
    title: Any = None
    makers: list[dict[str, Any]] | None = None
    culture: Any = None
    period: Any = None
    production_date: str | None = None
    year_earliest: int | None = None
    year_latest: int | None = None
    materials: list[str] | None = None
    medium: Any = None
    techniques: list[str] | None = None
    dimensions: list[dict[str, Any]] | None = None
    dimensions_text: Any = None
    inscriptions: list[dict[str, Any]] | None = None
    description: Any = None
    acquisition_method: str | None = None
    acquisition_date: dt.date | None = None
    acquisition_source: Any = None
    credit_line: Any = None
    grade: str | None = None
    status: str | None = None
    notes: str | None = None
    custom: dict[str, Any] | None = None
    department_id: int | None = None
    clear: list[str] = field(default_factory=list)
    """Fields to empty on update (``None`` cannot say "empty")."""


LANGUAGE_MAP_FIELDS = ("object_name", "title", "culture", "period", "medium", "dimensions_text",
                       "description", "acquisition_source", "credit_line")
PLAIN_FIELDS = ("object_number", "production_date", "year_earliest", "year_latest",
                "acquisition_method", "acquisition_date", "grade", "status", "notes",
                "department_id")
LIST_FIELDS = ("other_numbers", "makers", "dimensions", "inscriptions")
TERM_FIELDS = {"object_type": "object_type"}
SNAPSHOT_FIELDS = (*PLAIN_FIELDS, *LANGUAGE_MAP_FIELDS, *LIST_FIELDS, "object_type",
                   "materials", "techniques", "custom")
CLEARABLE_FIELDS = frozenset(SNAPSHOT_FIELDS) - {"object_number", "status", "custom"}
"""Fields an edit may empty (``ObjectInput.clear``); a status is changed, never emptied, and
museum fields are emptied one by one through ``custom``."""
DIMENSION_KINDS = {"height", "width", "depth", "length", "diameter", "rim_diameter",
                   "base_diameter", "body_diameter", "weight", "thickness"}
DIMENSION_UNITS = {"mm", "cm", "m", "in", "ft", "g", "kg", "lb"}


def term_codes(scheme: str) -> dict[str, Term]:
    return {term.code: term for term in Term.objects.filter(scheme=scheme, is_active=True)}


def _clean_terms(codes: Iterable[str], scheme: str, field_name: str,
                 errors: dict[str, str], known: dict[str, Term] | None = None) -> list[str]:
    known = known if known is not None else term_codes(scheme)
    cleaned: list[str] = []
    for code in codes:
        code = str(code).strip()
        if not code or code in cleaned:
            continue
        if code not in known:
            errors[field_name] = _("“%(code)s” is not a known %(scheme)s term.") % {
                "code": code[:64], "scheme": scheme.replace("_", " ")}
            return []
        cleaned.append(code)
    return cleaned


def _clean_list_of_dicts(value: Any, field_name: str, errors: dict[str, str]) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors[field_name] = _("Give a list of entries.")
        return []
    return value


def _clean_makers(value: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    makers = []
    for item in _clean_list_of_dicts(value, "makers", errors):
        name = clean_language_map(item.get("name"), field_name="makers", errors=errors,
                                  max_length=500)
        if not name:
            errors.setdefault("makers", _("Every maker needs a name."))
            return []
        makers.append({"name": name, "role": str(item.get("role") or "").strip()[:100]})
    return makers


def _clean_dimensions(value: Any, errors: dict[str, str]) -> list[dict[str, str]]:
    cleaned = []
    for item in _clean_list_of_dicts(value, "dimensions", errors):
        kind = str(item.get("kind") or "").strip().lower()
        unit = str(item.get("unit") or "").strip().lower()
        try:
            number = Decimal(str(item.get("value")))
        except (InvalidOperation, ValueError):
            number = Decimal("NaN")
        if kind not in DIMENSION_KINDS:
            errors["dimensions"] = _("“%(kind)s” is not a dimension (height, width, depth, "
                                     "length, diameter, weight, thickness).") % {"kind": kind}
        elif unit not in DIMENSION_UNITS:
            errors["dimensions"] = _("“%(unit)s” is not a unit (mm, cm, m, in, ft, g, kg, "
                                     "lb).") % {"unit": unit}
        elif not number.is_finite() or number <= 0 or number > Decimal("1e6"):
            errors["dimensions"] = _("The %(kind)s must be a positive number.") % {
                "kind": kind}
        else:
            cleaned.append({"kind": kind, "value": format(number.normalize(), "f"),
                            "unit": unit})
            continue
        return []
    return cleaned


def _clean_inscriptions(value: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    cleaned = []
    for item in _clean_list_of_dicts(value, "inscriptions", errors):
        text = clean_language_map(item.get("text"), field_name="inscriptions", errors=errors)
        if not text:
            errors.setdefault("inscriptions", _("Every inscription needs its text."))
            return []
        cleaned.append({"text": text, "kind": str(item.get("kind") or "inscription")[:32],
                        "position": str(item.get("position") or "")[:200]})
    return cleaned


def _clean_other_numbers(value: Any, errors: dict[str, str]) -> list[dict[str, str]]:
    cleaned = []
    for item in _clean_list_of_dicts(value, "other_numbers", errors):
        number = normalise_number(str(item.get("number") or ""))
        if not number:
            errors["other_numbers"] = _("Every other number needs the number itself.")
            return []
        cleaned.append({"number": number[:64], "kind": str(item.get("kind") or "")[:64]})
    return cleaned


def check_object_values(data: ObjectInput, *, obj: CatalogObject | None,
                        vocabulary: dict[str, dict[str, Term]] | None = None,
                        definitions: Sequence[FieldDefinition] | None = None,
                        ) -> dict[str, Any]:
    """Validate the given fields; return them cleaned. Raises :class:`ValidationFailed`
    with a message for every bad field. Needs no database writes, so imports call it for a
    dry run too (``vocabulary`` and ``definitions`` let a batch look them up once)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    vocabulary = vocabulary or {}
    for name in LANGUAGE_MAP_FIELDS:
        raw = getattr(data, name)
        if raw is not None:
            values[name] = clean_language_map(raw, field_name=name, errors=errors)
    if data.object_number is not None or obj is None:
        number = normalise_number(data.object_number or "")
        if not number:
            errors["object_number"] = _("Every object needs an object number.")
        elif len(number) > 64:
            errors["object_number"] = _("The object number is longer than 64 characters.")
        values["object_number"] = number
    if data.production_date is not None:
        values["production_date"] = str(data.production_date).strip()[:200]
    for name in ("year_earliest", "year_latest"):
        raw = getattr(data, name)
        if raw is not None:
            if isinstance(raw, bool) or not isinstance(raw, int) or not -10000 <= raw <= 2200:
                errors[name] = _("Give a year between -10000 and 2200 (negative is BCE).")
            else:
                values[name] = raw
    earliest = values.get("year_earliest", obj.year_earliest if obj else None)
    latest = values.get("year_latest", obj.year_latest if obj else None)
    if "year_earliest" in data.clear:
        earliest = None
    if "year_latest" in data.clear:
        latest = None
    if earliest is not None and latest is not None and earliest > latest:
        errors["year_latest"] = _("The latest year is before the earliest year.")
    if data.acquisition_method is not None:
        values["acquisition_method"] = _clean_terms(
            [data.acquisition_method], "acquisition_method", "acquisition_method", errors,
            vocabulary.get("acquisition_method"))[:1]
        values["acquisition_method"] = (values["acquisition_method"] or [""])[0]
    if data.acquisition_date is not None:
        if data.acquisition_date > timezone.localdate():
            errors["acquisition_date"] = _("The acquisition date is in the future.")
        values["acquisition_date"] = data.acquisition_date
    if data.grade is not None:
        if data.grade not in CatalogObject.Grade.values:
            errors["grade"] = _("“%(value)s” is not a grade.") % {"value": data.grade[:32]}
        values["grade"] = data.grade
    if data.status is not None:
        if data.status not in CatalogObject.Status.values:
            errors["status"] = _("“%(value)s” is not a status.") % {"value": data.status[:32]}
        values["status"] = data.status
    if data.notes is not None:
        values["notes"] = str(data.notes).strip()
    if data.department_id is not None:
        if directory.department(data.department_id) is None:
            errors["department_id"] = _("There is no such department.")
        values["department_id"] = data.department_id
    if data.object_type is not None:
        codes = _clean_terms([data.object_type], "object_type", "object_type", errors,
                             vocabulary.get("object_type"))
        values["object_type"] = codes[0] if codes else None
    if data.materials is not None:
        values["materials"] = _clean_terms(data.materials, "material", "materials", errors,
                                           vocabulary.get("material"))
    if data.techniques is not None:
        values["techniques"] = _clean_terms(data.techniques, "technique", "techniques",
                                            errors, vocabulary.get("technique"))
    if data.makers is not None:
        values["makers"] = _clean_makers(data.makers, errors)
    if data.dimensions is not None:
        values["dimensions"] = _clean_dimensions(data.dimensions, errors)
    if data.inscriptions is not None:
        values["inscriptions"] = _clean_inscriptions(data.inscriptions, errors)
    if data.other_numbers is not None:
        values["other_numbers"] = _clean_other_numbers(data.other_numbers, errors)
    if data.custom is not None:
        values["custom"] = clean_custom_values(data.custom, errors, definitions=definitions,
                                               stored=obj.custom if obj else None)
    elif obj is None:
        values["custom"] = clean_custom_values({}, errors, definitions=definitions)
    for name in data.clear:
        if name not in CLEARABLE_FIELDS:
            errors[name] = _("This field cannot be emptied.")
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def snapshot(obj: CatalogObject) -> dict[str, Any]:
    """The whole record as JSON-able values (the revision history keeps one per change)."""
    values: dict[str, Any] = {}
    for name in (*PLAIN_FIELDS, *LANGUAGE_MAP_FIELDS, *LIST_FIELDS, "custom"):
        value = getattr(obj, name)
        values[name] = value.isoformat() if isinstance(value, dt.date) else value
    values["object_type"] = obj.object_type.code if obj.object_type else None
    # .all() so that a prefetch (imports snapshot whole batches) saves the queries
    values["materials"] = [link.term.code for link in
                           sorted(obj.material_links.all(), key=lambda link: link.position)]
    values["techniques"] = sorted(term.code for term in obj.techniques.all())
    values["is_published"] = obj.is_published
    return values


def search_text(obj: CatalogObject, snap: dict[str, Any],
                labels: dict[tuple[str, str], dict[str, str]]) -> str:
    """Everything a person might type to find the object, in every language held."""
    parts = [obj.object_number, *(entry["number"] for entry in obj.other_numbers)]
    for name in ("object_name", "title", "culture", "period", "medium", "description",
                 "credit_line", "acquisition_source", "dimensions_text"):
        parts.append(text_of(getattr(obj, name)))
    parts.append(obj.production_date)
    parts += [text_of(maker["name"]) for maker in obj.makers]
    parts += [text_of(inscription["text"]) for inscription in obj.inscriptions]
    if snap.get("object_type"):
        parts.append(text_of(labels.get(("object_type", snap["object_type"]), {})))
    for code in snap.get("materials") or []:
        parts.append(text_of(labels.get(("material", code), {})))
    for code in snap.get("techniques") or []:
        parts.append(text_of(labels.get(("technique", code), {})))
    return " ".join(part for part in parts if part)


def term_labels() -> dict[tuple[str, str], dict[str, str]]:
    return {(term.scheme, term.code): term.label for term in Term.objects.all()}


def reindex(object_ids: Iterable[int], *, using: str = "default") -> int:
    """Rewrite the search documents of these objects from their stored records."""
    labels = {(term.scheme, term.code): term.label for term in Term.objects.using(using)}
    ids = list(object_ids)
    count = 0
    for start in range(0, len(ids), 1000):
        batch = (CatalogObject.objects.using(using).filter(pk__in=ids[start:start + 1000])
                 .select_related("object_type").prefetch_related("material_links__term",
                                                                 "techniques"))
        documents = [(obj.pk, search_text(obj, snapshot(obj), labels)) for obj in batch]
        search.index_documents(SEARCH_INDEX, documents, using=using)
        count += len(documents)
    return count


def reindex_all(using: str = "default") -> int:
    """Rebuild the whole object search index (after a restore or a database copy)."""
    search.clear(SEARCH_INDEX, using=using)
    ids = list(CatalogObject.objects.using(using).order_by("pk").values_list("pk", flat=True))
    return reindex(ids, using=using)


def _apply(obj: CatalogObject, values: dict[str, Any], clear: Sequence[str]) -> None:
    for name in clear:
        current = getattr(obj, name, None)
        if name in ("materials", "techniques", "object_type"):
            values[name] = [] if name != "object_type" else None
        elif isinstance(current, dict):
            values[name] = {}
        elif isinstance(current, list):
            values[name] = []
        elif name == "grade":
            values[name] = CatalogObject.Grade.UNGRADED
        elif isinstance(current, str):
            values[name] = ""
        else:
            values[name] = None
    for name, value in values.items():
        if name in ("materials", "techniques"):
            continue
        if name == "object_type":
            obj.object_type = (Term.objects.get(scheme="object_type", code=value)
                               if value else None)
        else:
            setattr(obj, name, value)
    if "object_number" in values:
        obj.number_sort = number_sort_key(obj.object_number)


def _save_terms(obj: CatalogObject, values: dict[str, Any]) -> None:
    if "materials" in values:
        obj.material_links.all().delete()
        terms = {t.code: t for t in Term.objects.filter(scheme="material",
                                                        code__in=values["materials"])}
        ObjectMaterial.objects.bulk_create(
            ObjectMaterial(object=obj, term=terms[code], position=position)
            for position, code in enumerate(values["materials"]))
    if "techniques" in values:
        obj.techniques.set(Term.objects.filter(scheme="technique",
                                               code__in=values["techniques"]))


def _record_revision(obj: CatalogObject, actor: Any, before: dict[str, Any],
                     source: str) -> dict[str, Any]:
    after = snapshot(obj)
    changes = {name: [before.get(name), after.get(name)] for name in after
               if before.get(name) != after.get(name)}
    if changes or not before:
        obj.revision += 1
        CatalogObject.objects.filter(pk=obj.pk).update(revision=obj.revision)
        ObjectRevision.objects.create(object=obj, number=obj.revision, source=source,
                                      changed_by_id=getattr(actor, "pk", None),
                                      changes=changes, snapshot=after)
    return changes


def _require_edit(actor: Any, department_id: int | None) -> None:
    """Editing needs a grant for the object's department; an object of no department (or
    taking one away) needs a museum-wide grant, or a scoped editor could move an object
    out of every scope and then edit it from anywhere."""
    if department_id is None:
        if authz.actor_for(actor).departments_for(ops.OBJECT_EDIT.code) is not None:
            raise PermissionDenied()
        return
    authz.require(actor, ops.OBJECT_EDIT.code, department_id=department_id)


def do_create_object(actor: Any, data: ObjectInput, *, source: str = "edit") -> CatalogObject:
    """Catalogue a new object. Emits ``catalog.object.created.v1``. Raises
    :class:`PermissionDenied`, :class:`ValidationFailed` (field messages) or
    :class:`Conflict` when the object number is taken."""
    _require_edit(actor, data.department_id)
    values = check_object_values(data, obj=None)
    with transaction.atomic():
        if CatalogObject.objects.filter(object_number=values["object_number"]).exists():
            raise Conflict(_("Object number %(number)s is already in the register.")
                           % {"number": values["object_number"]},
                           fields={"object_number": _("This number is taken.")})
        obj = CatalogObject()
        _apply(obj, values, ())
        obj.save()
        _save_terms(obj, values)
        after = _record_revision(obj, actor, {}, source)
        reindex([obj.pk])
        publish(events.ObjectCreated(
            object_id=obj.pk, object_number=obj.object_number, subject_type="catalog.object",
            subject_id=str(obj.pk), after={k: v[1] for k, v in after.items()}))
    return obj


def do_update_object(actor: Any, obj: CatalogObject, data: ObjectInput, *,
                     source: str = "edit") -> CatalogObject:
    """Change an object record; a change that changes nothing writes nothing. Emits
    ``catalog.object.updated.v1`` with the changed fields. Raises :class:`PermissionDenied`,
    :class:`ValidationFailed`, :class:`Conflict` (number taken)."""
    _require_edit(actor, obj.department_id)
    if data.department_id is not None and data.department_id != obj.department_id:
        _require_edit(actor, data.department_id)
    if "department_id" in data.clear:
        _require_edit(actor, None)
    with transaction.atomic():
        # validated against the locked row, so a concurrent edit is not undone
        obj = lock_rows_query(CatalogObject.objects.filter(pk=obj.pk)).get()
        values = check_object_values(data, obj=obj)
        number = values.get("object_number")
        if number and number != obj.object_number and CatalogObject.objects.filter(
                object_number=number).exclude(pk=obj.pk).exists():
            raise Conflict(_("Object number %(number)s is already in the register.")
                           % {"number": number},
                           fields={"object_number": _("This number is taken.")})
        before = snapshot(obj)
        _apply(obj, values, data.clear)
        obj.save()
        _save_terms(obj, values)
        changes = _record_revision(obj, actor, before, source)
        if changes:
            reindex([obj.pk])
            publish(events.ObjectUpdated(
                object_id=obj.pk, object_number=obj.object_number, revision=obj.revision,
                subject_type="catalog.object", subject_id=str(obj.pk),
                before={k: v[0] for k, v in changes.items()},
                after={k: v[1] for k, v in changes.items()}))
    return obj


def do_set_published(actor: Any, obj: CatalogObject, published: bool) -> CatalogObject:
    """Open (or close) the record and its images to the public: IIIF, Linked Art,
    OAI-PMH. Emits ``catalog.object.published.v1``."""
    authz.require(actor, ops.OBJECT_PUBLISH.code, department_id=obj.department_id)
    if obj.is_published == published:
        return obj
    with transaction.atomic():
        before = snapshot(obj)
        obj.is_published = published
        obj.save(update_fields=["is_published", "updated_at"])
        _record_revision(obj, actor, before, "publish")
        publish(events.ObjectPublished(
            object_id=obj.pk, published=published, subject_type="catalog.object",
            subject_id=str(obj.pk), before={"is_published": not published},
            after={"is_published": published}))
    return obj


# --- Museum fields ------------------------------------------------------------------------------

def do_save_field(actor: Any, *, code: str, label: Any, kind: str,
                  choices: list[str] | None = None, required: bool = False,
                  help_text: Any = None, definition: FieldDefinition | None = None,
                  ) -> FieldDefinition:
    """Add or change a museum field. The kind of an existing field cannot change (stored
    values would stop meaning what they meant). Emits ``catalog.field.saved.v1``."""
    authz.require(actor, ops.FIELD_MANAGE.code)
    errors: dict[str, str] = {}
    code = str(code or "").strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,47}", code):
        errors["code"] = _("Use lower-case letters, digits, - and _ (up to 48), starting "
                           "with a letter.")
    cleaned_label = clean_language_map(label, field_name="label", errors=errors, max_length=200)
    if not cleaned_label and "label" not in errors:
        errors["label"] = _("Give the field a label.")
    if kind not in FieldDefinition.Kind.values:
        errors["kind"] = _("“%(kind)s” is not a field kind.") % {"kind": str(kind)[:20]}
    elif definition is not None and kind != definition.kind:
        errors["kind"] = _("The kind of a field in use cannot change; add a new field.")
    cleaned_choices = [str(choice).strip() for choice in choices or [] if str(choice).strip()]
    if kind == FieldDefinition.Kind.CHOICE and not cleaned_choices:
        errors["choices"] = _("A choice field needs at least one choice.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        taken = FieldDefinition.objects.filter(code=code)
        if definition is not None:
            taken = taken.exclude(pk=definition.pk)
        if taken.exists():
            raise Conflict(fields={"code": _("This code is taken.")})
        definition = definition or FieldDefinition()
        definition.code = code
        definition.label = cleaned_label
        definition.kind = kind
        definition.choices = cleaned_choices
        definition.required = required
        definition.help_text = clean_language_map(help_text, field_name="help_text",
                                                  errors=errors)
        definition.save()
        publish(events.FieldSaved(field_code=code, subject_type="catalog.field",
                                  subject_id=code))
    return definition


# --- Locations ----------------------------------------------------------------------------------

@dataclass
class LocationInput:
    code: str | None = None
    name: Any = None
    kind: str | None = None
    parent_id: int | None = None
    is_restricted: bool | None = None
    is_public: bool | None = None
    is_active: bool | None = None
    notes: str | None = None
    sort_order: int | None = None
    move_to_top: bool = False
    """On update, take the location out of its parent (``parent_id`` None means unchanged)."""


def _location_values(data: LocationInput, location: Location | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if data.code is not None or location is None:
        code = normalise_number(data.code or "")
        if not code:
            errors["code"] = _("Every location needs a code for its label.")
        elif len(code) > 64:
            errors["code"] = _("The code is longer than 64 characters.")
        values["code"] = code
    if data.name is not None or location is None:
        values["name"] = clean_language_map(data.name, field_name="name", errors=errors,
                                            max_length=200)
        if not values["name"] and "name" not in errors:
            errors["name"] = _("Give the location a name.")
    if data.kind is not None or location is None:
        if data.kind not in Location.Kind.values:
            errors["kind"] = _("Choose what kind of place this is.")
        values["kind"] = data.kind
    for name in ("is_restricted", "is_public", "is_active", "sort_order"):
        if getattr(data, name) is not None:
            values[name] = getattr(data, name)
    if data.notes is not None:
        values["notes"] = data.notes.strip()
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def _set_path(location: Location) -> None:
    parent_path = location.parent.path if location.parent_id and location.parent else "/"
    location.path = f"{parent_path}{location.pk}/"


def do_save_location(actor: Any, data: LocationInput,
                     location: Location | None = None) -> Location:
    """Create or change a location; moving it under another parent moves everything inside
    with it (their paths follow; the objects' movement logs are untouched, since the objects
    did not leave their case). Emits ``catalog.location.saved.v1``. Raises
    :class:`ValidationFailed` for a loop (a place inside itself) or a taken code."""
    authz.require(actor, ops.LOCATION_MANAGE.code)
    values = _location_values(data, location)
    with transaction.atomic():
        others = Location.objects.exclude(pk=location.pk) if location else Location.objects
        if "code" in values and others.filter(code=values["code"]).exists():
            raise Conflict(fields={"code": _("Another location has this code.")})
        parent = None
        if data.parent_id is not None:
            parent = Location.objects.filter(pk=data.parent_id).first()
            if parent is None:
                raise ValidationFailed(fields={"parent_id": _("There is no such location.")})
            if location is not None and f"/{location.pk}/" in parent.path:
                raise ValidationFailed(fields={"parent_id": _(
                    "A location cannot be put inside itself or inside a place it contains.")})
        before = ({"code": location.code, "parent_id": location.parent_id, "path": location.path}
                  if location else None)
        location = location or Location()
        for name, value in values.items():
            setattr(location, name, value)
        if parent is not None:
            location.parent = parent
        elif data.move_to_top:
            location.parent = None
        old_path = location.path
        location.path = location.path or "/"
        location.save()
        _set_path(location)
        location.save(update_fields=["path"])
        if old_path and old_path != location.path:
            for inner in Location.objects.filter(path__startswith=old_path).exclude(
                    pk=location.pk):
                inner.path = location.path + inner.path[len(old_path):]
                inner.save(update_fields=["path"])
        publish(events.LocationSaved(
            location_id=location.pk, subject_type="catalog.location",
            subject_id=str(location.pk), before=before,
            after={"code": location.code, "parent_id": location.parent_id,
                   "path": location.path}))
    return location


# --- Movements ----------------------------------------------------------------------------------

def check_move(actor: Any, objects: Sequence[CatalogObject], to_location: Location, *,
               reason: str, moved_at: dt.datetime) -> None:
    """Raises :class:`PermissionDenied` or :class:`ValidationFailed` (field ``reason``,
    ``moved_at``, ``to_location_id``, ``object_ids``)."""
    authz.require(actor, ops.MOVEMENT_RECORD.code)
    hidden = hidden_locations(actor)
    if to_location.pk in hidden:
        # Answer as for a location that does not exist: a refusal would confirm that a
        # restricted store has this id.
        raise ValidationFailed(fields={"to_location_id": _("There is no such location.")})
    errors: dict[str, str] = {}
    if hidden:
        inside = CurrentLocation.objects.filter(object__in=objects, location_id__in=hidden)
        for number in inside.values_list("object__object_number", flat=True):
            # Their place is already shown as "restricted"; moving them out is for people
            # who may know where they are.
            errors["object_ids"] = _("%(number)s is in a restricted location; ask someone "
                                     "who may move objects there.") % {"number": number}
    if not to_location.is_active:
        errors["to_location_id"] = _("Location %(code)s is no longer in use.") % {
            "code": to_location.code}
    if not Term.objects.filter(scheme="movement_reason", code=reason).exists():
        errors["reason"] = _("Choose why the objects move.")
    if timezone.is_naive(moved_at):
        errors["moved_at"] = _("Give the time with its time zone (e.g. +08:00 or Z).")
    elif moved_at > timezone.now() + dt.timedelta(minutes=5):
        errors["moved_at"] = _("A movement cannot be recorded before it happens.")
    if not objects:
        errors["object_ids"] = _("Choose at least one object to move.")
    for obj in objects:
        if obj.status == CatalogObject.Status.DEACCESSIONED:
            errors["object_ids"] = _("%(number)s has left the collection.") % {
                "number": obj.object_number}
    if errors:
        raise ValidationFailed(fields=errors)


def do_move_objects(actor: Any, object_ids: Sequence[int], to_location_id: int, *,
                    reason: str, moved_at: dt.datetime | None = None, note: str = "",
                    authorised_by_id: int | None = None,
                    campaign: InventoryCampaign | None = None) -> list[Movement]:
    """Record that the objects were moved to a location. The current location of each
    follows from the log (a database trigger); a movement back-dated before a later one
    does not change where the object is now. Emits ``catalog.object.moved.v1`` per object.
    Raises :class:`NotFound`, :class:`PermissionDenied`, :class:`ValidationFailed`."""
    # Permission first, so that a caller without it learns nothing about ids.
    authz.require(actor, ops.MOVEMENT_RECORD.code)
    moved_at = moved_at or timezone.now()
    to_location = Location.objects.filter(pk=to_location_id).first()
    if to_location is None:
        raise ValidationFailed(fields={"to_location_id": _("There is no such location.")})
    unique_ids = list(dict.fromkeys(object_ids))
    objects = list(CatalogObject.objects.filter(pk__in=unique_ids))
    if len(objects) != len(unique_ids):
        raise NotFound(_("Some of these objects are not in the register."))
    check_move(actor, objects, to_location, reason=reason, moved_at=moved_at)
    if authorised_by_id is not None and directory.person(authorised_by_id) is None:
        raise ValidationFailed(fields={"authorised_by_id": _("There is no such person.")})
    with transaction.atomic():
        current = dict(CurrentLocation.objects.filter(object_id__in=unique_ids)
                       .values_list("object_id", "location_id"))
        movements = [Movement(object=obj, from_location_id=current.get(obj.pk),
                              to_location=to_location, moved_at=moved_at,
                              recorded_by_id=actor.pk, authorised_by_id=authorised_by_id,
                              reason=reason, note=note.strip(), campaign=campaign)
                     for obj in objects]
        for movement in movements:
            movement.save()
            publish(events.ObjectMoved(
                object_id=movement.object_id, movement_id=movement.pk,
                from_location_id=movement.from_location_id, to_location_id=to_location.pk,
                subject_type="catalog.object", subject_id=str(movement.object_id),
                before={"location_id": movement.from_location_id},
                after={"location_id": to_location.pk}))
    return movements


# --- Inventory ----------------------------------------------------------------------------------

def do_start_inventory(actor: Any, *, name: str, scope_id: int) -> InventoryCampaign:
    authz.require(actor, ops.INVENTORY_MANAGE.code)
    scope = Location.objects.filter(pk=scope_id).first()
    errors = {}
    if scope is None:
        errors["scope_id"] = _("There is no such location.")
    if not name.strip():
        errors["name"] = _("Give the campaign a name.")
    if errors:
        raise ValidationFailed(fields=errors)
    assert scope is not None
    if scope.pk in hidden_locations(actor):
        raise ValidationFailed(fields={"scope_id": _("There is no such location.")})
    with transaction.atomic():
        campaign = InventoryCampaign.objects.create(name=name.strip()[:200], scope=scope,
                                                    started_by=actor)
    return campaign


def do_record_finding(actor: Any, campaign: InventoryCampaign, *, object_number: str,
                      location_id: int) -> InventoryFinding:
    """One scan during an inventory: this object is here. Scanning it again elsewhere
    replaces the earlier finding (it was moved during the campaign)."""
    authz.require(actor, ops.INVENTORY_MANAGE.code)
    if campaign.status != InventoryCampaign.Status.OPEN:
        raise Conflict(_("This inventory is closed."))
    number = normalise_number(object_number)
    obj = CatalogObject.objects.filter(object_number=number).first()
    if obj is None:
        raise ValidationFailed(fields={"object_number": _(
            "No object has the number %(number)s.") % {"number": number[:64]}})
    location = Location.objects.filter(pk=location_id).first()
    if location is None or location.pk in hidden_locations(actor):
        raise ValidationFailed(fields={"location_id": _("There is no such location.")})
    with transaction.atomic():
        InventoryFinding.objects.filter(campaign=campaign, object=obj).delete()
        return InventoryFinding.objects.create(campaign=campaign, object=obj,
                                               location=location, found_by=actor)


@dataclass
class InventoryReport:
    in_place: list[tuple[int, int]]
    """(object id, location id) found where the log says."""
    misplaced: list[tuple[int, int, int | None]]
    """(object id, found at, expected at)."""
    missing: list[tuple[int, int]]
    """(object id, expected location id): expected in scope, not scanned."""


def inventory_report(campaign: InventoryCampaign, actor: Any = None) -> InventoryReport:
    """Compare what was scanned with what the movement log says is in the campaign's
    locations (Spectrum Inventory). For an ``actor`` who may not know restricted stores,
    those inside the scope and everything in them are left out."""
    hidden = set() if actor is None else hidden_locations(actor)
    scope_ids = set(Location.objects.filter(path__startswith=campaign.scope.path)
                    .values_list("id", flat=True)) - hidden
    expected = dict(CurrentLocation.objects.filter(location_id__in=scope_ids)
                    .values_list("object_id", "location_id"))
    found = dict(campaign.findings.values_list("object_id", "location_id"))
    others = dict(CurrentLocation.objects.filter(object_id__in=set(found) - set(expected))
                  .values_list("object_id", "location_id"))
    in_place, misplaced = [], []
    for object_id, location_id in sorted(found.items()):
        expected_at = expected.get(object_id, others.get(object_id))
        if expected_at in hidden or location_id in hidden:
            continue
        if expected_at == location_id:
            in_place.append((object_id, location_id))
        else:
            misplaced.append((object_id, location_id, expected_at))
    missing = sorted((object_id, location_id) for object_id, location_id in expected.items()
                     if object_id not in found)
    return InventoryReport(in_place, misplaced, missing)


def do_close_inventory(actor: Any, campaign: InventoryCampaign, *,
                       record_misplaced_moves: bool) -> InventoryReport:
    """Close a campaign. With ``record_misplaced_moves`` every object found somewhere else
    than the log says gets a movement (reason inventory) to where it was found, so the log
    tells the truth again. Emits ``catalog.inventory.closed.v1``."""
    authz.require(actor, ops.INVENTORY_MANAGE.code)
    if campaign.status != InventoryCampaign.Status.OPEN:
        raise Conflict(_("This inventory is already closed."))
    with transaction.atomic():
        report = inventory_report(campaign, actor)
        if record_misplaced_moves:
            by_location: dict[int, list[int]] = {}
            for object_id, found_at, _expected in report.misplaced:
                by_location.setdefault(found_at, []).append(object_id)
            for location_id, object_ids in by_location.items():
                do_move_objects(actor, object_ids, location_id, reason="inventory",
                                note=_("Found here during inventory “%(name)s”.") % {
                                    "name": campaign.name}, campaign=campaign)
        campaign.status = InventoryCampaign.Status.CLOSED
        campaign.closed_at = timezone.now()
        campaign.save(update_fields=["status", "closed_at", "updated_at"])
        publish(events.InventoryClosed(
            campaign_id=campaign.pk, found=len(report.in_place), misplaced=len(report.misplaced),
            missing=len(report.missing), subject_type="catalog.inventory",
            subject_id=str(campaign.pk)))
    return report


# --- Condition and treatment -------------------------------------------------------------------

@dataclass
class ConditionInput:
    condition: str = ""
    checked_at: dt.datetime | None = None
    reason: str = ""
    completeness: str = ""
    hazards: list[str] = field(default_factory=list)
    note: str = ""
    recommendations: str = ""
    next_check_due: dt.date | None = None
    is_baseline: bool = False


def do_record_condition_check(actor: Any, obj: CatalogObject,
                              data: ConditionInput) -> ConditionCheck:
    """Record a condition check with controlled terms. Emits
    ``catalog.condition.recorded.v1``. Raises :class:`ValidationFailed` for unknown terms, a
    check in the future or a next check before this one."""
    authz.require(actor, ops.CONDITION_RECORD.code)
    checked_at = data.checked_at or timezone.now()
    errors: dict[str, str] = {}
    conditions = term_codes("condition")
    if data.condition not in conditions:
        errors["condition"] = _("Choose the condition from the list.")
    if data.completeness and data.completeness not in term_codes("completeness"):
        errors["completeness"] = _("Choose the completeness from the list.")
    hazards = _clean_terms(data.hazards, "hazard", "hazards", errors)
    if timezone.is_naive(checked_at):
        errors["checked_at"] = _("Give the time with its time zone (e.g. +08:00 or Z).")
    elif checked_at > timezone.now() + dt.timedelta(minutes=5):
        errors["checked_at"] = _("A check cannot be recorded before it happens.")
    elif data.next_check_due and data.next_check_due <= timezone.localdate(checked_at):
        errors["next_check_due"] = _("The next check must come after this one.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        check = ConditionCheck.objects.create(
            object=obj, checked_at=checked_at, checked_by=actor, reason=data.reason[:32],
            condition=data.condition, completeness=data.completeness, hazards=hazards,
            note=data.note.strip(), recommendations=data.recommendations.strip(),
            next_check_due=data.next_check_due, is_baseline=data.is_baseline)
        publish(events.ConditionRecorded(
            object_id=obj.pk, check_id=check.pk, condition=check.condition,
            subject_type="catalog.object", subject_id=str(obj.pk),
            after={"condition": check.condition, "hazards": hazards}))
    return check


@dataclass
class TreatmentInput:
    status: str = "proposed"
    started_on: dt.date | None = None
    finished_on: dt.date | None = None
    proposal: str = ""
    treatment: str = ""
    materials_used: str = ""
    outcome: str = ""


def do_save_treatment(actor: Any, obj: CatalogObject, data: TreatmentInput,
                      treatment: Treatment | None = None) -> Treatment:
    """Propose a treatment or record its progress. Emits ``catalog.treatment.saved.v1``."""
    authz.require(actor, ops.TREATMENT_RECORD.code)
    errors: dict[str, str] = {}
    if data.status not in Treatment.Status.values:
        errors["status"] = _("Choose a status from the list.")
    if data.started_on and data.finished_on and data.finished_on < data.started_on:
        errors["finished_on"] = _("The treatment cannot finish before it starts.")
    if data.status == Treatment.Status.COMPLETED and not (data.finished_on and
                                                          data.treatment.strip()):
        errors["treatment"] = _("A completed treatment needs what was done and the date it "
                                "finished.")
    if not (data.proposal.strip() or data.treatment.strip()):
        errors["proposal"] = _("Describe the proposed treatment.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        treatment = treatment or Treatment(object=obj, conservator=actor)
        for name in ("status", "started_on", "finished_on"):
            setattr(treatment, name, getattr(data, name))
        for name in ("proposal", "treatment", "materials_used", "outcome"):
            setattr(treatment, name, getattr(data, name).strip())
        treatment.save()
        publish(events.TreatmentSaved(
            object_id=obj.pk, treatment_id=treatment.pk, status=treatment.status,
            subject_type="catalog.object", subject_id=str(obj.pk),
            after={"treatment_id": treatment.pk, "status": treatment.status}))
    return treatment


# --- Loans --------------------------------------------------------------------------------------

@dataclass
class LoanInput:
    number: str = ""
    direction: str = Loan.Direction.OUT
    partner: Any = None
    venue: Any = None
    purpose: str = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    insurance_currency: str = "CNY"
    environment_requirements: str = ""
    environment_specification: str = ""


def do_save_loan(actor: Any, data: LoanInput, loan: Loan | None = None,
                 agreement: File | None = None) -> Loan:
    """Create or edit a loan while it is a draft (or sent back). Emits
    ``catalog.loan.saved.v1``. Raises :class:`Conflict` once it is awaiting approval or
    later, :class:`ValidationFailed` for bad values."""
    authz.require(actor, ops.LOAN_MANAGE.code)
    if loan is not None and loan.status not in (Loan.Status.DRAFT, Loan.Status.REJECTED):
        raise Conflict(_("Only a draft or rejected loan can be changed."))
    errors: dict[str, str] = {}
    number = normalise_number(data.number)
    if not number:
        errors["number"] = _("Give the loan a number.")
    if data.direction not in Loan.Direction.values:
        errors["direction"] = _("Choose loan in or loan out.")
    partner = clean_language_map(data.partner, field_name="partner", errors=errors,
                                 max_length=300)
    if not partner and "partner" not in errors:
        errors["partner"] = _("Name the borrower or lender.")
    venue = clean_language_map(data.venue, field_name="venue", errors=errors, max_length=300)
    if data.starts_on is None:
        errors["starts_on"] = _("Give the first day of the loan.")
    if data.ends_on is None:
        errors["ends_on"] = _("Give the last day of the loan.")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        errors["ends_on"] = _("The loan cannot end before it starts.")
    if not re.fullmatch(r"[A-Z]{3}", data.insurance_currency or ""):
        errors["insurance_currency"] = _("Give a three-letter currency code such as CNY.")
    if agreement is not None:
        head = agreement.read(5)
        agreement.seek(0)
        if head != b"%PDF-":
            errors["agreement"] = _("The agreement must be a PDF file.")
        elif (agreement.size or 0) > 20 * 1024 * 1024:
            errors["agreement"] = _("The agreement is larger than 20 MB.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        others = Loan.objects.exclude(pk=loan.pk) if loan else Loan.objects
        if others.filter(number=number).exists():
            raise Conflict(fields={"number": _("Another loan has this number.")})
        loan = loan or Loan(requested_by=actor)
        loan.number = number
        loan.direction = data.direction
        loan.partner = partner
        loan.venue = venue
        loan.purpose = data.purpose.strip()
        assert data.starts_on is not None  # checked above
        assert data.ends_on is not None
        loan.starts_on = data.starts_on
        loan.ends_on = data.ends_on
        loan.insurance_currency = data.insurance_currency
        loan.environment_requirements = data.environment_requirements.strip()
        loan.environment_specification = data.environment_specification.strip()[:64]
        if loan.status == Loan.Status.REJECTED:
            loan.status = Loan.Status.DRAFT
        if agreement is not None:
            loan.agreement.save(f"{uuid.uuid4().hex}.pdf", agreement, save=False)
        loan.save()
        publish(events.LoanSaved(loan_id=loan.pk, status=loan.status,
                                 subject_type="catalog.loan", subject_id=str(loan.pk),
                                 after={"number": loan.number, "status": loan.status}))
    return loan


def do_set_loan_objects(actor: Any, loan: Loan,
                        lines: Sequence[tuple[int, Decimal | None]]) -> list[LoanObject]:
    """Replace the objects of a draft loan, each with its insurance value."""
    authz.require(actor, ops.LOAN_MANAGE.code)
    if loan.status not in (Loan.Status.DRAFT, Loan.Status.REJECTED):
        raise Conflict(_("Only a draft or rejected loan can be changed."))
    ids = [object_id for object_id, _value in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(fields={"objects": _("An object is listed twice.")})
    found = set(CatalogObject.objects.filter(pk__in=ids).values_list("id", flat=True))
    if found != set(ids):
        raise ValidationFailed(fields={"objects": _("Some objects are not in the register.")})
    for _object_id, value in lines:
        if value is not None and (not value.is_finite() or value < 0):
            raise ValidationFailed(fields={"insurance_value": _(
                "An insurance value must be zero or more.")})
    with transaction.atomic():
        loan.lines.all().delete()
        created = LoanObject.objects.bulk_create(
            LoanObject(loan=loan, object_id=object_id, insurance_value=value)
            for object_id, value in lines)
        publish(events.LoanSaved(loan_id=loan.pk, status=loan.status,
                                 subject_type="catalog.loan", subject_id=str(loan.pk),
                                 after={"objects": ids}))
    return created


def do_request_loan_approval(actor: Any, loan: Loan) -> Loan:
    """Send a draft loan for approval; the people who may approve loans are notified.
    Raises :class:`ValidationFailed` when it lists no objects."""
    authz.require(actor, ops.LOAN_MANAGE.code)
    if loan.status not in (Loan.Status.DRAFT, Loan.Status.REJECTED):
        raise Conflict(_("This loan is not a draft."))
    if not loan.lines.exists():
        raise ValidationFailed(fields={"objects": _("List the objects before asking for "
                                                    "approval.")})
    with transaction.atomic():
        loan.status = Loan.Status.REQUESTED
        loan.save(update_fields=["status", "updated_at"])
        approvers = [pid for pid in directory.people_with_operation(ops.LOAN_APPROVE.code)
                     if pid != actor.pk]
        notifications.notify(
            approvers, category="catalog.loans",
            title=_("Loan %(number)s awaits your approval"), params={"number": loan.number},
            url=f"/catalog/loans/{loan.pk}/")
        publish(events.LoanSaved(loan_id=loan.pk, status=loan.status,
                                 subject_type="catalog.loan", subject_id=str(loan.pk),
                                 before={"status": Loan.Status.DRAFT},
                                 after={"status": loan.status}))
    return loan


def do_decide_loan(actor: Any, loan: Loan, *, approve: bool, note: str = "") -> Loan:
    """Approve or reject a loan awaiting approval. The person who asked cannot decide
    (four eyes). Emits ``catalog.loan.decided.v1``; the requester is notified."""
    authz.require(actor, ops.LOAN_APPROVE.code)
    if loan.status != Loan.Status.REQUESTED:
        raise Conflict(_("This loan is not awaiting approval."))
    if loan.requested_by_id == actor.pk:
        raise PermissionDenied(_("Someone else must approve a loan you prepared."))
    if not approve and not note.strip():
        raise ValidationFailed(fields={"note": _("Say why the loan is rejected.")})
    with transaction.atomic():
        loan.status = Loan.Status.APPROVED if approve else Loan.Status.REJECTED
        loan.decided_by = actor
        loan.decided_at = timezone.now()
        loan.decision_note = note.strip()
        loan.save(update_fields=["status", "decided_by", "decided_at", "decision_note",
                                 "updated_at"])
        notifications.notify(
            [loan.requested_by_id], category="catalog.loans",
            title=(_("Loan %(number)s was approved") if approve
                   else _("Loan %(number)s was rejected")),
            body=loan.decision_note, params={"number": loan.number},
            url=f"/catalog/loans/{loan.pk}/")
        publish(events.LoanDecided(loan_id=loan.pk, approved=approve,
                                   requested_by_id=loan.requested_by_id,
                                   subject_type="catalog.loan", subject_id=str(loan.pk),
                                   before={"status": Loan.Status.REQUESTED},
                                   after={"status": loan.status}))
    return loan


def do_dispatch_loan(actor: Any, loan: Loan, *, location_id: int) -> Loan:
    """Loan out: the approved objects leave for ``location_id`` (an external venue);
    loan in: the borrowed objects arrive at ``location_id``. Movements are recorded and
    the objects' status follows."""
    authz.require(actor, ops.LOAN_MANAGE.code)
    if loan.status != Loan.Status.APPROVED:
        raise Conflict(_("Only an approved loan can start."))
    object_ids = list(loan.lines.values_list("object_id", flat=True))
    with transaction.atomic():
        do_move_objects(actor, object_ids, location_id, reason="loan",
                        note=_("Loan %(number)s") % {"number": loan.number})
        status = (CatalogObject.Status.ON_LOAN_OUT if loan.direction == Loan.Direction.OUT
                  else CatalogObject.Status.LOAN_IN)
        _set_status(actor, object_ids, status)
        loan.status = Loan.Status.ACTIVE
        loan.save(update_fields=["status", "updated_at"])
        publish(events.LoanSaved(loan_id=loan.pk, status=loan.status,
                                 subject_type="catalog.loan", subject_id=str(loan.pk),
                                 before={"status": Loan.Status.APPROVED},
                                 after={"status": loan.status}))
    return loan


def do_return_loan(actor: Any, loan: Loan, *, location_id: int) -> Loan:
    """Loan out: the objects come home to ``location_id``; loan in: they go back to the
    lender (``location_id`` outside the museum) and leave the register's active list."""
    authz.require(actor, ops.LOAN_MANAGE.code)
    if loan.status != Loan.Status.ACTIVE:
        raise Conflict(_("Only a loan in progress can be returned."))
    object_ids = list(loan.lines.values_list("object_id", flat=True))
    with transaction.atomic():
        do_move_objects(actor, object_ids, location_id, reason="loan",
                        note=_("Return of loan %(number)s") % {"number": loan.number})
        status = (CatalogObject.Status.IN_COLLECTION if loan.direction == Loan.Direction.OUT
                  else CatalogObject.Status.DEACCESSIONED)
        _set_status(actor, object_ids, status)
        loan.lines.update(returned_at=timezone.now())
        loan.status = Loan.Status.RETURNED
        loan.save(update_fields=["status", "updated_at"])
        publish(events.LoanSaved(loan_id=loan.pk, status=loan.status,
                                 subject_type="catalog.loan", subject_id=str(loan.pk),
                                 before={"status": Loan.Status.ACTIVE},
                                 after={"status": loan.status}))
    return loan


def _set_status(actor: Any, object_ids: Sequence[int], status: str) -> None:
    for obj in CatalogObject.objects.filter(pk__in=object_ids):
        if obj.status != status:
            before = snapshot(obj)
            obj.status = status
            obj.save(update_fields=["status", "updated_at"])
            _record_revision(obj, actor, before, "loan")


# --- Exhibitions --------------------------------------------------------------------------------

@dataclass
class VenueInput:
    name: Any
    opens_on: dt.date
    closes_on: dt.date
    location_id: int | None = None


def do_save_exhibition(actor: Any, *, code: str, title: Any, description: Any = None,
                       status: str = Exhibition.Status.PLANNED,
                       venues: Sequence[VenueInput] = (), object_ids: Sequence[int] = (),
                       exhibition: Exhibition | None = None) -> Exhibition:
    """Create or change an exhibition with its venues and objects. Emits
    ``catalog.exhibition.saved.v1``."""
    authz.require(actor, ops.EXHIBITION_MANAGE.code)
    errors: dict[str, str] = {}
    code = str(code or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", code):
        errors["code"] = _("Use lower-case letters, digits and - (up to 64).")
    cleaned_title = clean_language_map(title, field_name="title", errors=errors, max_length=300)
    if not cleaned_title and "title" not in errors:
        errors["title"] = _("Give the exhibition a title.")
    cleaned_description = clean_language_map(description, field_name="description",
                                             errors=errors)
    if status not in Exhibition.Status.values:
        errors["status"] = _("Choose a status from the list.")
    for index, venue in enumerate(venues):
        if venue.closes_on < venue.opens_on:
            errors[f"venues.{index}.closes_on"] = _("A venue cannot close before it opens.")
        if venue.location_id is not None and not Location.objects.filter(
                pk=venue.location_id).exists():
            errors[f"venues.{index}.location_id"] = _("There is no such location.")
    found = set(CatalogObject.objects.filter(pk__in=object_ids).values_list("id", flat=True))
    if found != set(object_ids):
        errors["object_ids"] = _("Some objects are not in the register.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        others = Exhibition.objects.exclude(pk=exhibition.pk) if exhibition else Exhibition.objects
        if others.filter(code=code).exists():
            raise Conflict(fields={"code": _("Another exhibition has this code.")})
        exhibition = exhibition or Exhibition()
        exhibition.code = code
        exhibition.title = cleaned_title
        exhibition.description = cleaned_description
        exhibition.status = status
        exhibition.save()
        exhibition.venues.all().delete()
        for venue in venues:
            ExhibitionVenue.objects.create(
                exhibition=exhibition, name=clean_language_map(venue.name, field_name="venue",
                                                               errors={}),
                location_id=venue.location_id, opens_on=venue.opens_on,
                closes_on=venue.closes_on)
        exhibition.objects_shown.set(list(object_ids))
        publish(events.ExhibitionSaved(exhibition_id=exhibition.pk,
                                       subject_type="catalog.exhibition",
                                       subject_id=str(exhibition.pk),
                                       after={"code": code, "objects": len(object_ids)}))
    return exhibition


# --- Media --------------------------------------------------------------------------------------

def do_add_media(actor: Any, obj: CatalogObject, upload: File, *, caption: Any = None,
                 rights: str = "", is_primary: bool = False,
                 condition_check: ConditionCheck | None = None) -> Media:
    """Attach an image to an object. The derivatives and IIIF tiles are made by the job
    ``catalog.media.derivatives`` after commit. Emits ``catalog.media.added.v1``. Raises
    :class:`ValidationFailed` (field ``file``) for anything that is not a readable image."""
    from taihe.modules.catalog import imaging

    if condition_check is None:
        authz.require(actor, ops.MEDIA_MANAGE.code, department_id=obj.department_id)
    else:
        # the person recording a condition check documents it with photographs
        authz.require(actor, ops.CONDITION_RECORD.code)
        if condition_check.object_id != obj.pk:
            raise ValidationFailed(fields={"condition_check": _(
                "This condition check is of another object.")})
    errors: dict[str, str] = {}
    cleaned_caption = clean_language_map(caption, field_name="caption", errors=errors,
                                         max_length=500)
    if rights and not re.match(r"^https?://(creativecommons\.org|rightsstatements\.org)/",
                               rights):
        errors["rights"] = _("Give a Creative Commons or RightsStatements.org address.")
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        facts = imaging.inspect_image(upload)
    except imaging.ImageRejected as error:
        raise ValidationFailed(fields={"file": str(error)}) from error
    with transaction.atomic():
        if condition_check is None and (
                is_primary or not obj.media.filter(condition_check=None).exists()):
            obj.media.update(is_primary=False)
            is_primary = True
        elif condition_check is not None:
            is_primary = False
        position = (obj.media.aggregate(top=Max("sort_order"))["top"] or 0) + 1
        media = Media(object=obj, identifier=uuid.uuid4().hex, mime_type=facts.mime_type,
                      width=facts.width, height=facts.height, sha256=facts.sha256,
                      caption=cleaned_caption, rights=rights, is_primary=is_primary,
                      sort_order=position, created_by=actor, condition_check=condition_check,
                      original_name=Path(upload.name or "").name[:255])
        upload.seek(0)
        media.original.save(f"{media.identifier}{imaging.SUFFIXES[facts.mime_type]}", upload,
                            save=False)
        media.save()
        publish(events.MediaAdded(object_id=obj.pk, media_id=media.pk,
                                  subject_type="catalog.object", subject_id=str(obj.pk),
                                  after={"media_id": media.pk}))
        from taihe.modules.catalog.jobs import make_media_derivatives

        enqueue(make_media_derivatives, media.pk)
    return media


def do_remove_media(actor: Any, media: Media) -> None:
    """Remove an image and its tiles (the tiles go after commit)."""
    if media.condition_check_id is not None:
        authz.require(actor, ops.CONDITION_RECORD.code)
    else:
        authz.require(actor, ops.MEDIA_MANAGE.code, department_id=media.object.department_id)
    with transaction.atomic():
        media_id, original = media.pk, media.original.name
        was_primary, obj = media.is_primary, media.object
        media.delete()
        if was_primary:
            first = obj.media.filter(condition_check=None).first()
            if first is not None:
                first.is_primary = True
                first.save(update_fields=["is_primary"])
        from taihe.modules.catalog.jobs import remove_media_files

        enqueue(remove_media_files, media_id, original)

