"""Keep the database's controlled terms in step with ``vocabulary.py`` (run after every
``migrate``): new terms are added and labels refreshed; terms a museum added itself, and
terms in use, are never removed."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from taihe.modules.catalog import vocabulary
from taihe.modules.catalog.models import Term


def ensure_terms(using: str = "default") -> int:
    """Upsert every shipped term; returns how many rows were created or changed."""
    changed = 0
    relabelled: list[int] = []
    with transaction.atomic(using=using):
        existing = {(term.scheme, term.code): term for term in Term.objects.using(using)}
        for scheme, shipped in vocabulary.SCHEMES.items():
            for position, entry in enumerate(shipped):
                values: dict[str, Any] = {"label": dict(entry.labels),
                                          "aat_id": entry.aat_id or "",
                                          "sort_order": position}
                term = existing.get((scheme, entry.code))
                if term is None:
                    term = Term.objects.using(using).create(scheme=scheme, code=entry.code,
                                                            **values)
                    existing[(scheme, entry.code)] = term
                    changed += 1
                elif any(getattr(term, name) != value for name, value in values.items()):
                    if term.label != values["label"]:
                        relabelled.append(term.pk)
                    for name, value in values.items():
                        setattr(term, name, value)
                    term.save(using=using, update_fields=list(values))
                    changed += 1
        for scheme, shipped in vocabulary.SCHEMES.items():
            for entry in shipped:
                term = existing[(scheme, entry.code)]
                parent = existing.get((scheme, entry.parent)) if entry.parent else None
                if term.parent_id != (parent.pk if parent else None):
                    term.parent = parent
                    term.save(using=using, update_fields=["parent"])
                    changed += 1
        if relabelled:
            _reindex_objects_using(relabelled, using)
    return changed


def _reindex_objects_using(term_ids: list[int], using: str) -> None:
    """Objects index their terms' labels; a renamed term means re-indexing them."""
    from taihe.modules.catalog.models import CatalogObject, ObjectMaterial
    from taihe.modules.catalog.services import reindex

    ids = set(ObjectMaterial.objects.using(using).filter(term_id__in=term_ids)
              .values_list("object_id", flat=True))
    ids |= set(CatalogObject.objects.using(using).filter(object_type_id__in=term_ids)
               .values_list("id", flat=True))
    ids |= set(CatalogObject.techniques.through.objects.using(using)
               .filter(term_id__in=term_ids).values_list("catalogobject_id", flat=True))
    reindex(sorted(ids), using=using)


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if Term._meta.db_table in _tables(using):
        ensure_terms(using)


def _tables(using: str) -> list[str]:
    from django.db import connections

    return connections[using].introspection.table_names()
