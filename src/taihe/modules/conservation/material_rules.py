"""The material rule base in the database, and the materials of catalogue objects.

The packaged ``materials/rules.json`` is version one; curators' edits are stored as new
:class:`MaterialRuleSet` versions (never changed in place) and the newest is current. The
materials of an object are read from its medium text by ``materials.classify_medium`` and
kept in :class:`ObjectMaterials` with the rule base version that read them, unless a person
has set them.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue, job
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import events
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.materials import RuleBase, classify_medium, load_rule_base
from taihe.modules.conservation.models import MaterialRuleSet, ObjectMaterials


@functools.lru_cache(maxsize=4)
def _parsed(rule_set_id: int, version: str) -> RuleBase:
    found = MaterialRuleSet.objects.get(pk=rule_set_id)
    return RuleBase.from_dict(found.data)


def current_rule_base() -> tuple[str, RuleBase]:
    """(version, rule base) now in force: the current stored version, else the packaged
    ``rules.json`` (which is stored as the first version the first time it is asked for)."""
    current = MaterialRuleSet.objects.filter(is_current=True).only("pk", "version").first()
    if current is None:
        packaged = load_rule_base()
        with transaction.atomic():
            current = MaterialRuleSet.objects.filter(is_current=True).first()
            if current is None:
                current = MaterialRuleSet.objects.create(
                    version=packaged.version,
                    data=packaged.to_dict(),
                    is_current=True,
                    note="Packaged rule base (materials/rules.json)",
                )
    return current.version, _parsed(current.pk, current.version)


def _medium_text(record: Any) -> tuple[str, str | None]:
    """The medium as written, preferring English, then Chinese (the catalogue keys its
    language maps ``en``, ``zh-Hans``, ``zh-Hant``; compared without case)."""
    medium = record.medium if isinstance(record.medium, dict) else {}
    by_language = {str(key).lower(): str(value or "").strip() for key, value in medium.items()}
    for language, reader in (
        ("en", "en"),
        ("zh-hans", "zh-hans"),
        ("zh", "zh-hans"),
        ("zh-hant", "zh-hant"),
    ):
        text = by_language.get(language, "")
        if text:
            return text, reader
    return "", None


def classify_objects(object_ids: list[int], *, force: bool = False) -> int:
    """Read the materials of these objects from their medium text with the current rule
    base and store them; materials a person set are kept, and so are readings by the same
    rule base version of the same text unless ``force``. Returns how many objects were
    (re)read."""
    version, rules = current_rule_base()
    existing = {
        row.object_id: row for row in ObjectMaterials.objects.filter(object_id__in=object_ids)
    }
    # Structured catalogue materials (AAT terms) the rule base knows count as certain.
    by_aat = {m.aat: m.key for m in rules.materials if m.aat}
    now = timezone.now()
    changed = 0
    for record in catalog.object_records(list(object_ids)):
        row = existing.get(record.id)
        text, language = _medium_text(record)
        if row is not None and (
            row.source == ObjectMaterials.Source.PERSON
            or (row.rules_version == version and row.text == text and not force)
        ):
            continue
        matches = classify_medium(text, rule_base=rules, language=language) if text else []
        found = [
            {
                "key": m.key,
                "confidence": round(m.confidence, 2),
                "matched": m.matched,
                "method": m.method,
                "role": m.role,
            }
            for m in matches
        ]
        keys = {f["key"] for f in found}
        for term in record.materials:
            key = by_aat.get(term.aat_id or "")
            if key and key not in keys:
                found.append(
                    {
                        "key": key,
                        "confidence": 1.0,
                        "matched": term.label.get("en") or term.code,
                        "method": "catalogue_term",
                        "role": "material",
                    }
                )
                keys.add(key)
        ObjectMaterials.objects.update_or_create(
            object_id=record.id,
            defaults={
                "text": text,
                "materials": found,
                "rules_version": version,
                "source": ObjectMaterials.Source.CLASSIFIER,
                "classified_at": now,
                "set_by": None,
            },
        )
        changed += 1
    return changed


def object_materials(object_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The materials of each object, most significant first ({key, confidence, matched,
    method, role}); objects never read are read now."""
    missing = set(object_ids) - set(
        ObjectMaterials.objects.filter(object_id__in=object_ids).values_list("object_id", flat=True)
    )
    if missing:
        classify_objects(sorted(missing))
    return {
        row.object_id: list(row.materials)
        for row in ObjectMaterials.objects.filter(object_id__in=object_ids)
    }


# --- Editing the rule base ------------------------------------------------------------------

EDITABLE_FIELDS = ("names", "synonyms", "aat", "group", "sensitivity", "bands", "strategies")
"""The parts of a material a curator may change (its key names it everywhere, so it stays)."""
RECLASSIFY_BATCH = 500
"""Objects read per job: ~500 medium strings classify in about a second, short enough that
a restarted worker loses little."""
_VALIDATION_MESSAGE = re.compile(r"^rule base: (?P<where>[^:]+): (?P<rest>.+)$", re.DOTALL)


@dataclass(frozen=True)
class FieldChange:
    """One changed value of a material: ``path`` like ``bands.rh_min`` or
    ``sensitivity.light.level``; values as stored (None where absent)."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class MaterialChange:
    """How one material differs between a version and the one it was based on."""

    key: str
    status: str
    """``added``, ``removed`` or ``changed``."""
    names: dict[str, str]
    fields: list[FieldChange] = field(default_factory=list)


def _require(actor: Any, operation: str) -> None:
    if not authz.can(actor, operation):
        raise PermissionDenied()


def _person_id(actor: Any) -> int | None:
    resolved = authz.actor_for(actor)
    return None if resolved.is_anonymous else resolved.user_id


def _validation_failed(error: ValueError) -> ValidationFailed:
    """The rule base's ValueError as field messages: ``rule base: material 'silk':
    bands.rh_min: 60 is greater than rh_max 50`` → ``{"bands.rh_min": …}``."""
    text = str(error)
    found = _VALIDATION_MESSAGE.match(text)
    if found is None:
        return ValidationFailed(
            _("The rule base is not valid: %(problem)s") % {"problem": text}, fields={"rules": text}
        )
    parts = found["rest"].split(": ")
    field_path = ".".join(part.strip() for part in parts[:-1]) or found["where"]
    problem = parts[-1]
    if not found["where"].startswith("material"):
        field_path = f"{found['where']}.{field_path}" if parts[:-1] else found["where"]
    return ValidationFailed(
        _("%(field)s is not valid (%(where)s): %(problem)s")
        % {"field": field_path, "where": found["where"], "problem": problem},
        fields={field_path: problem},
    )


def _validated(data: dict[str, Any]) -> RuleBase:
    try:
        return RuleBase.from_dict(data)
    except ValueError as error:
        raise _validation_failed(error) from error


def _next_version(previous: str) -> str:
    """``2026.1`` → ``2026.1+1``, ``2026.1+1`` → ``2026.1+2``: the packaged release the
    edits started from stays visible in every later version name."""
    base = previous.split("+", 1)[0]
    numbers = [0]
    for version in MaterialRuleSet.objects.filter(version__startswith=f"{base}+").values_list(
        "version", flat=True
    ):
        suffix = version[len(base) + 1 :]
        if suffix.isdigit():
            numbers.append(int(suffix))
    return f"{base}+{max(numbers) + 1}"


def _materials_by_key(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(item.get("key")): dict(item)
        for item in data.get("materials", [])
        if isinstance(item, Mapping)
    }


def _changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    old, new = _materials_by_key(before), _materials_by_key(after)
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))


def _current_row() -> MaterialRuleSet:
    current_rule_base()  # stores the packaged version the first time
    return MaterialRuleSet.objects.select_for_update().get(is_current=True)


def _store_version(
    actor: Any, data: dict[str, Any], *, note: str, based_on: MaterialRuleSet
) -> MaterialRuleSet:
    """Validate ``data`` and save it as the new current version (inside the caller's
    transaction, with ``based_on`` locked); publish the event and queue the re-reading."""
    version = _next_version(based_on.version)
    data = {**data, "version": version, "updated": timezone.localdate().isoformat()}
    _validated(data)
    changed = _changed_keys(based_on.data, data)
    if not changed and data.get("sources") == based_on.data.get("sources"):
        raise ValidationFailed(
            _("Nothing changed: the rule base is already like this."),
            fields={"note": _("Nothing changed.")},
        )
    MaterialRuleSet.objects.filter(pk=based_on.pk).update(is_current=False)
    saved = MaterialRuleSet.objects.create(
        version=version,
        data=data,
        note=note.strip(),
        based_on=based_on,
        created_by_id=_person_id(actor),
        is_current=True,
    )
    old, new = _materials_by_key(based_on.data), _materials_by_key(data)
    publish(
        events.MaterialRulesSaved(
            rule_set_id=saved.pk,
            version=version,
            changed_materials=changed,
            subject_type="conservation.material_rules",
            subject_id=str(saved.pk),
            before={"version": based_on.version, "materials": {k: old.get(k) for k in changed}},
            after={
                "version": version,
                "note": saved.note,
                "materials": {k: new.get(k) for k in changed},
            },
        )
    )
    enqueue(reclassify_outdated_job, 0, unique=True)
    return saved


def _merge_material(material: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The material with ``changes`` applied: names, synonyms (per language), sensitivity
    (per agent, per item) and bands merge; aat, group and strategies replace."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("%(field)s cannot be changed.") % {"field": unknown[0]},
            fields={unknown[0]: _("Unknown or fixed field.")},
        )
    merged = copy.deepcopy(material)
    for name, value in changes.items():
        if name in ("names", "synonyms", "bands") and isinstance(value, Mapping):
            merged[name] = {**(merged.get(name) or {}), **copy.deepcopy(dict(value))}
        elif name == "sensitivity" and isinstance(value, Mapping):
            sensitivity = dict(merged.get("sensitivity") or {})
            for agent, item in value.items():
                current = sensitivity.get(agent)
                sensitivity[agent] = (
                    {**current, **dict(item)}
                    if isinstance(current, Mapping) and isinstance(item, Mapping)
                    else copy.deepcopy(item)
                )
            merged["sensitivity"] = sensitivity
        elif name == "aat":
            merged["aat"] = (str(value).strip() or None) if value is not None else None
        else:
            merged[name] = copy.deepcopy(value)
    return merged


def do_save_material(
    actor: Any,
    key: str,
    changes: Mapping[str, Any],
    note: str,
    *,
    based_on_version: str | None = None,
) -> MaterialRuleSet:
    """Change one material of the rule base (see :data:`EDITABLE_FIELDS`) and save the whole
    rule base as a new current version based on the current one. ``based_on_version``: the
    version the person edited; if another version became current since, nothing is saved.

    Returns the new :class:`MaterialRuleSet`. Emits ``conservation.material_rules.saved.v1``
    and queues the re-reading of objects read by older versions. Raises
    :class:`PermissionDenied` without ``conservation.material_rules.manage``,
    :class:`NotFound` for an unknown material, :class:`ValidationFailed` naming the field
    (``bands.rh_min``, ``sensitivity.light.level``, ``note``…) and :class:`Conflict` when
    the rule base changed meanwhile."""
    _require(actor, ops.MATERIAL_RULES_MANAGE.code)
    if not note.strip():
        raise ValidationFailed(
            _("Say what changed and why."), fields={"note": _("Say what changed and why.")}
        )
    with transaction.atomic():
        current = _current_row()
        if based_on_version is not None and based_on_version != current.version:
            raise Conflict(
                _(
                    "Someone saved version %(version)s while you were editing; "
                    "open the material again."
                )
                % {"version": current.version}
            )
        data = copy.deepcopy(current.data)
        materials = data.get("materials", [])
        position = next(
            (index for index, item in enumerate(materials) if item.get("key") == key), None
        )
        if position is None:
            raise NotFound(_("There is no material %(key)s.") % {"key": key})
        materials[position] = _merge_material(materials[position], changes)
        return _store_version(actor, data, note=note, based_on=current)


def do_add_material(actor: Any, material: Mapping[str, Any], note: str) -> MaterialRuleSet:
    """Add a material (the whole entry, in the shape of ``rules.json``) and save the rule base
    as a new current version. Returns the new :class:`MaterialRuleSet`; emits
    ``conservation.material_rules.saved.v1``. Raises :class:`PermissionDenied`,
    :class:`ValidationFailed` naming the field (``key`` when it is taken or malformed) ."""
    _require(actor, ops.MATERIAL_RULES_MANAGE.code)
    key = str(material.get("key") or "").strip()
    if not _MATERIAL_KEY.match(key):
        raise ValidationFailed(
            _("Give the material a key of lower-case letters, digits and underscores."),
            fields={
                "key": _("Lower-case letters, digits and underscores, starting with a letter.")
            },
        )
    if not note.strip():
        raise ValidationFailed(
            _("Say what changed and why."), fields={"note": _("Say what changed and why.")}
        )
    with transaction.atomic():
        current = _current_row()
        data = copy.deepcopy(current.data)
        if key in _materials_by_key(data):
            raise ValidationFailed(
                _("There is already a material %(key)s.") % {"key": key},
                fields={"key": _("This key is taken.")},
            )
        data["materials"] = [
            *data.get("materials", []),
            {**copy.deepcopy(dict(material)), "key": key},
        ]
        return _store_version(actor, data, note=note, based_on=current)


_MATERIAL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def do_restore_version(actor: Any, rule_set_id: int, note: str = "") -> MaterialRuleSet:
    """Make an earlier version's rules current again, as a new version based on the current
    one (history is never rewritten). Returns the new :class:`MaterialRuleSet`; emits
    ``conservation.material_rules.saved.v1``. Raises :class:`PermissionDenied`,
    :class:`NotFound`, :class:`ValidationFailed` when it is the current version or its
    rules are the current ones."""
    _require(actor, ops.MATERIAL_RULES_MANAGE.code)
    with transaction.atomic():
        current = _current_row()
        old = MaterialRuleSet.objects.filter(pk=rule_set_id).first()
        if old is None:
            raise NotFound(_("There is no such rule base version."))
        if old.pk == current.pk:
            raise ValidationFailed(
                _("Version %(version)s is already current.") % {"version": old.version},
                fields={"rule_set_id": _("Already current.")},
            )
        text = note.strip() or _("Restored version %(version)s.") % {"version": old.version}
        return _store_version(actor, copy.deepcopy(old.data), note=text, based_on=current)


# --- Object materials -----------------------------------------------------------------------


def do_set_object_materials(
    actor: Any, object_id: int, keys: Sequence[str] | None
) -> ObjectMaterials:
    """Set the materials of a catalogue object by hand (most significant first); they are
    kept when the register is read again. ``keys=None`` hands the object back to the
    classifier, which reads it again now.

    Returns the :class:`ObjectMaterials`. Emits ``conservation.object_materials.set.v1``.
    Raises :class:`PermissionDenied`, :class:`NotFound` for an object the actor may not see,
    :class:`ValidationFailed` (``materials``) for no material or an unknown key."""
    _require(actor, ops.MATERIAL_RULES_MANAGE.code)
    if object_id not in catalog.visible_object_ids(actor, [object_id]):
        raise NotFound(_("There is no such object, or you may not see it."))
    version, rules = current_rule_base()
    with transaction.atomic():
        row = ObjectMaterials.objects.select_for_update().filter(object_id=object_id).first()
        before = {
            "materials": [m.get("key") for m in row.materials] if row else [],
            "source": row.source if row else "",
        }
        if keys is None:
            if row is not None:
                row.source = ObjectMaterials.Source.CLASSIFIER
                row.rules_version = ""
                row.save(update_fields=["source", "rules_version"])
            classify_objects([object_id], force=True)
            row = ObjectMaterials.objects.get(object_id=object_id)
        else:
            wanted = list(dict.fromkeys(str(key) for key in keys))
            known = set(rules.material_keys)
            unknown = [key for key in wanted if key not in known]
            if not wanted or unknown:
                message = (
                    _("Unknown material: %(key)s.") % {"key": unknown[0]}
                    if unknown
                    else _("Choose at least one material.")
                )
                raise ValidationFailed(message, fields={"materials": message})
            read = {m.get("key"): m for m in (row.materials if row else [])}
            materials = [
                {
                    "key": key,
                    "confidence": 1.0,
                    "matched": str(read.get(key, {}).get("matched") or ""),
                    "method": "person",
                    "role": str(read.get(key, {}).get("role") or "material"),
                }
                for key in wanted
            ]
            text = row.text if row is not None else _object_text(object_id)
            row, _created = ObjectMaterials.objects.update_or_create(
                object_id=object_id,
                defaults={
                    "text": text,
                    "materials": materials,
                    "rules_version": version,
                    "source": ObjectMaterials.Source.PERSON,
                    "classified_at": timezone.now(),
                    "set_by_id": _person_id(actor),
                },
            )
        after_keys = [str(m.get("key")) for m in row.materials]
        publish(
            events.ObjectMaterialsSet(
                object_id=object_id,
                materials=after_keys,
                subject_type="conservation.object_materials",
                subject_id=str(object_id),
                before=before,
                after={"materials": after_keys, "source": row.source},
            )
        )
    return row


def _object_text(object_id: int) -> str:
    records = catalog.object_records([object_id])
    return _medium_text(records[0])[0] if records else ""


def do_reclassify_all(actor: Any) -> None:
    """Queue the re-reading of the whole register with the current rule base (materials a
    person set are kept). Raises :class:`PermissionDenied`."""
    _require(actor, ops.MATERIAL_RULES_MANAGE.code)
    enqueue(reclassify_all_job, 0, force=True, unique=True)


# --- Selectors ------------------------------------------------------------------------------


def may_view(actor: Any) -> bool:
    """Whether the actor may see the rule base (risk viewers and those who edit it)."""
    return authz.can(actor, ops.RISK_VIEW.code) or authz.can(actor, ops.MATERIAL_RULES_MANAGE.code)


def may_manage(actor: Any) -> bool:
    return authz.can(actor, ops.MATERIAL_RULES_MANAGE.code)


def versions() -> list[MaterialRuleSet]:
    """Every stored version, newest first (the packaged one stored if none is yet)."""
    current_rule_base()
    return list(
        MaterialRuleSet.objects.select_related("based_on")
        .defer("data", "based_on__data")
        .order_by("-created_at", "-id")
    )


def _flatten(material: Mapping[str, Any] | None) -> dict[str, Any]:
    """A material as ``{path: value}``: ``names.en``, ``synonyms.zh-hans`` (list),
    ``sensitivity.light.level``, ``bands.rh_min``, ``strategies.<key>.text.en``…"""
    flat: dict[str, Any] = {}
    if not material:
        return flat
    for name in ("aat", "group"):
        flat[name] = material.get(name)
    for name in ("names", "synonyms"):
        for language, value in (material.get(name) or {}).items():
            flat[f"{name}.{language}"] = value
    for agent, item in (material.get("sensitivity") or {}).items():
        for part, value in (item or {}).items():
            flat[f"sensitivity.{agent}.{part}"] = value
    for part, value in (material.get("bands") or {}).items():
        flat[f"bands.{part}"] = value
    for strategy in material.get("strategies") or []:
        key = strategy.get("key")
        for part, value in strategy.items():
            if part == "text":
                for language, text in (value or {}).items():
                    flat[f"strategies.{key}.text.{language}"] = text
            elif part != "key":
                flat[f"strategies.{key}.{part}"] = value
    return flat


def version_changes(rule_set: MaterialRuleSet) -> list[MaterialChange]:
    """Which fields of which materials this version changed against the one it was based on
    (every material ``added`` for the first version)."""
    before = _materials_by_key(rule_set.based_on.data) if rule_set.based_on else {}
    after = _materials_by_key(rule_set.data)
    found: list[MaterialChange] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        names = dict((new or old or {}).get("names") or {})
        if old is None or new is None:
            found.append(MaterialChange(key, "added" if old is None else "removed", names))
            continue
        flat_old, flat_new = _flatten(old), _flatten(new)
        fields = [
            FieldChange(path, flat_old.get(path), flat_new.get(path))
            for path in sorted(set(flat_old) | set(flat_new))
            if flat_old.get(path) != flat_new.get(path)
        ]
        found.append(MaterialChange(key, "changed", names, fields))
    return found


def object_materials_row(object_id: int) -> ObjectMaterials | None:
    """The stored materials of an object (read now if never read); None for no object."""
    object_materials([object_id])
    return ObjectMaterials.objects.filter(object_id=object_id).first()


# --- Jobs -----------------------------------------------------------------------------------


def _object_ids_after(after_id: int, limit: int) -> list[int]:
    """The next ``limit`` object ids of the register above ``after_id``, in id order."""
    return catalog.object_ids(after_id=after_id, limit=limit)


@job(name="conservation.materials.classify", queue="ml", max_retries=3, backoff_seconds=10.0)
def classify_job(object_ids: list[int], force: bool = False) -> None:
    """Read these objects' materials (idempotent: unchanged text and rules are skipped)."""
    classify_objects([int(pk) for pk in object_ids], force=force)


@job(name="conservation.materials.reclassify_all", queue="ml", max_retries=3, backoff_seconds=30.0)
def reclassify_all_job(after_id: int = 0, force: bool = True) -> None:
    """Read the register from ``after_id`` on, one batch per job, each queueing the next."""
    ids = _object_ids_after(int(after_id), RECLASSIFY_BATCH)
    if not ids:
        return
    classify_objects(ids, force=force)
    if len(ids) == RECLASSIFY_BATCH:
        enqueue(reclassify_all_job, ids[-1], force=force, unique=True)


@job(
    name="conservation.materials.reclassify_outdated",
    queue="ml",
    max_retries=3,
    backoff_seconds=30.0,
)
def reclassify_outdated_job(after_id: int = 0) -> None:
    """Read again the objects the classifier read with an older rule base (never those a
    person set), one batch per job."""
    version, _rules = current_rule_base()
    ids = list(
        ObjectMaterials.objects.filter(
            source=ObjectMaterials.Source.CLASSIFIER, object_id__gt=int(after_id)
        )
        .exclude(rules_version=version)
        .order_by("object_id")
        .values_list("object_id", flat=True)[:RECLASSIFY_BATCH]
    )
    if not ids:
        return
    classify_objects(ids)
    if len(ids) == RECLASSIFY_BATCH:
        enqueue(reclassify_outdated_job, ids[-1], unique=True)
