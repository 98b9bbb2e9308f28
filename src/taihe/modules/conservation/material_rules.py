"""The material rule base in the database, and the materials of catalogue objects.

The packaged ``materials/rules.json`` is version one; curators' edits are stored as new
:class:`MaterialRuleSet` versions (never changed in place) and the newest is current. The
materials of an object are read from its medium text by ``materials.classify_medium`` and
kept in :class:`ObjectMaterials` with the rule base version that read them, unless a person
has set them.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django.utils import timezone

from taihe.modules.catalog import api as catalog
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
                    version=packaged.version, data=packaged.to_dict(), is_current=True,
                    note="Packaged rule base (materials/rules.json)")
    return current.version, _parsed(current.pk, current.version)


def _medium_text(record: Any) -> tuple[str, str | None]:
    """The medium as written, preferring the language it was catalogued in."""
    medium = record.medium or {}
    for language in ("en", "zh-hans", "zh"):
        text = (medium.get(language) or "").strip() if isinstance(medium, dict) else ""
        if text:
            return text, ("en" if language == "en" else "zh-hans")
    return "", None


def classify_objects(object_ids: list[int], *, force: bool = False) -> int:
    """Read the materials of these objects from their medium text with the current rule
    base and store them; materials a person set are kept, and so are readings by the same
    rule base version unless ``force``. Returns how many objects were (re)read."""
    version, rules = current_rule_base()
    existing = {row.object_id: row for row in
                ObjectMaterials.objects.filter(object_id__in=object_ids)}
    now = timezone.now()
    changed = 0
    for record in catalog.object_records(list(object_ids)):
        row = existing.get(record.id)
        if row is not None and (row.source == ObjectMaterials.Source.PERSON
                                or (row.rules_version == version and not force)):
            continue
        text, language = _medium_text(record)
        matches = classify_medium(text, rule_base=rules, language=language) if text else []
        # Structured catalogue materials (AAT terms) the rule base knows count as certain.
        by_aat = {m.aat: m.key for m in rules.materials if m.aat}
        found = [{"key": m.key, "confidence": round(m.confidence, 2), "matched": m.matched,
                  "method": m.method, "role": m.role} for m in matches]
        keys = {f["key"] for f in found}
        for term in record.materials:
            key = by_aat.get(term.aat_id or "")
            if key and key not in keys:
                found.append({"key": key, "confidence": 1.0,
                              "matched": term.label.get("en") or term.code,
                              "method": "catalogue_term", "role": "material"})
                keys.add(key)
        ObjectMaterials.objects.update_or_create(
            object_id=record.id, defaults={
                "text": text, "materials": found, "rules_version": version,
                "source": ObjectMaterials.Source.CLASSIFIER, "classified_at": now,
                "set_by": None})
        changed += 1
    return changed


def object_materials(object_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The materials of each object, most significant first ({key, confidence, matched,
    method, role}); objects never read are read now."""
    missing = set(object_ids) - set(ObjectMaterials.objects.filter(
        object_id__in=object_ids).values_list("object_id", flat=True))
    if missing:
        classify_objects(sorted(missing))
    return {row.object_id: list(row.materials) for row in
            ObjectMaterials.objects.filter(object_id__in=object_ids)}
