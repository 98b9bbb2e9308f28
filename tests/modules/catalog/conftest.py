"""Catalog fixtures: the seed vocabularies, a small location tree with one restricted store,
people in the catalog roles and two objects placed in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from taihe.modules.catalog import services, vocabulary
from taihe.modules.catalog.models import Term
from taihe.modules.directory.models import Role, RoleAssignment
from tests.factories import PersonFactory


@pytest.fixture
def terms(db: Any) -> None:
    """Every seed term of ``catalog.vocabulary`` as database rows (parents linked)."""
    for scheme, seeds in vocabulary.SCHEMES.items():
        # A data migration may already have seeded them; add only what is missing.
        present = set(Term.objects.filter(scheme=scheme).values_list("code", flat=True))
        Term.objects.bulk_create(Term(scheme=scheme, code=seed.code, label=dict(seed.labels),
                                      aat_id=seed.aat_id or "", sort_order=position)
                                 for position, seed in enumerate(seeds)
                                 if seed.code not in present)
        rows = {term.code: term for term in Term.objects.filter(scheme=scheme)}
        for seed in seeds:
            if seed.parent and rows[seed.code].parent_id is None:
                rows[seed.code].parent = rows[seed.parent]
                rows[seed.code].save(update_fields=["parent"])


@pytest.fixture
def people(museum: dict[str, Any], member: Any, outsider: Any, admin_person: Any
           ) -> dict[str, Any]:
    approver_role = Role.objects.create(code="loan-approver", name_zh="借展审批",
                                        name_en="Loan approver",
                                        operations=["catalog.object.view",
                                                    "catalog.loan.approve"])
    approver: Any = PersonFactory(username="approver", department=museum["root"], roles=["staff"])
    RoleAssignment.objects.create(person=approver, role=approver_role)
    return {
        "registrar": PersonFactory(username="registrar", department=museum["root"],
                                   roles=["registrar", "staff"]),
        "conservator": PersonFactory(username="conservator", department=museum["lab"],
                                     roles=["conservator", "staff"]),
        "curator": PersonFactory(username="curator", department=museum["root"],
                                 roles=["curator", "staff"]),
        "approver": approver, "member": member, "outsider": outsider, "admin": admin_person,
    }


@pytest.fixture
def catalog(terms: None, people: dict[str, Any]) -> dict[str, Any]:
    """Site › Gallery 1 (public), Site › Secret store (restricted) › Shelf S1; object
    故00001 in the gallery, object 故00002 on the restricted shelf."""
    registrar = people["registrar"]
    site = services.do_save_location(registrar, services.LocationInput(
        code="SITE", name={"zh-Hans": "本馆", "en": "Main site"}, kind="site"))
    gallery = services.do_save_location(registrar, services.LocationInput(
        code="G1", name={"zh-Hans": "一号展厅", "en": "Gallery 1"}, kind="gallery",
        parent_id=site.pk, is_public=True))
    store = services.do_save_location(registrar, services.LocationInput(
        code="VAULT-X9", name={"zh-Hans": "秘库", "en": "Hidden vault"}, kind="store",
        parent_id=site.pk, is_restricted=True))
    shelf = services.do_save_location(registrar, services.LocationInput(
        code="VAULT-X9-S1", name={"en": "Vault shelf"}, kind="shelf", parent_id=store.pk))
    bowl = services.do_create_object(registrar, services.ObjectInput(
        object_number="故00001", title={"zh-Hans": "青花缠枝莲纹碗", "en": "Blue and white bowl"},
        object_type="bowl",
        materials=["porcelain"], year_earliest=1426, year_latest=1435, grade="grade-1"))
    scroll = services.do_create_object(registrar, services.ObjectInput(
        object_number="故00002", title={"zh-Hans": "秘藏山水卷", "en": "Hidden landscape scroll"},
        materials=["silk"], year_earliest=1100, year_latest=1120, grade="grade-2"))
    earlier = timezone.now() - dt.timedelta(days=2)
    services.do_move_objects(registrar, [bowl.pk], gallery.pk, reason="exhibition",
                             moved_at=earlier)
    services.do_move_objects(registrar, [scroll.pk], shelf.pk, reason="storage",
                             moved_at=earlier)
    return {"site": site, "gallery": gallery, "store": store, "shelf": shelf, "bowl": bowl,
            "scroll": scroll, "people": people}
