"""Shared fixtures of the workflows tests: a museum with a management chain, a helper that
publishes an approval through the designer's services, and a ready-made expense approval.

The chain (``museum`` from ``tests/conftest.py``): Museum (head: ``director``) > Conservation
(head: ``conservation_head``) > Paper lab (head: ``lab_head``); Security has no head.

- ``people``: ``applicant`` (staff in the paper lab), ``lab_head``, ``conservation_head``,
  ``director`` (head of the root department), ``hr`` (HR, designs approvals), ``admin``
  (administrator), ``colleague`` (staff in the paper lab), ``guard`` (staff in security),
  ``clerk`` (staff at the museum level), ``overseer`` (staff who oversees the requests of
  Conservation and everything below it) and ``outsider`` (no role).
- ``publish(code, form, definition, **details)``: creates the approval with
  ``services.do_create_process`` and publishes it with ``do_publish_process`` as ``hr``;
  returns the ``Process`` with its ``current_version``.
- ``expense``: the approval ``expense`` (``EXPENSE_FORM`` + ``EXPENSE_FLOW``): a purpose, an
  amount and a table of items; the lab head approves, then the conservation head; amounts
  over 50 000 go on to the director; HR gets a copy at the end.
- ``submit(person, data=None, code="expense", **kw)``: ``do_submit_request`` with
  ``EXPENSE_DATA`` as default data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from taihe.modules.directory.models import Role
from taihe.modules.workflows import services
from taihe.modules.workflows.models import Process, Request
from tests.factories import PersonFactory, grant


def label(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


EXPENSE_FORM: list[dict[str, Any]] = [
    {"name": "purpose", "type": "text", "label": label("用途", "Purpose"), "required": True},
    {"name": "amount", "type": "money", "label": label("金额", "Amount"), "required": True,
     "min": 0},
    {"name": "items", "type": "table", "label": label("明细", "Items"), "min_rows": 1,
     "columns": [
         {"name": "thing", "type": "text", "label": label("物品", "Thing"), "required": True},
         {"name": "cost", "type": "money", "label": label("价格", "Cost"), "required": True,
          "min": 0},
     ], "totals": ["cost"]},
]

EXPENSE_FLOW: dict[str, Any] = {
    "settings": {"dedup": "none", "auto_approve_applicant": True, "on_empty": "skip"},
    "nodes": [
        {"id": "lab", "type": "approval", "name": "Lab head", "mode": "sequential",
         "approvers": [{"kind": "manager", "levels": 1}]},
        {"id": "department", "type": "approval", "name": "Department head",
         "mode": "sequential", "approvers": [{"kind": "manager", "levels": 2}]},
        {"id": "big", "type": "condition", "name": "Large amounts", "branches": [
            {"id": "over", "name": "Over 50 000",
             "when": {"all": [{"field": "amount", "op": "gt", "value": 50000}]},
             "nodes": [{"id": "director", "type": "approval", "name": "Director",
                        "mode": "sequential",
                        "approvers": [{"kind": "manager", "levels": 3}]}]},
            {"id": "other", "name": "Other", "default": True, "nodes": []}]},
        {"id": "tell_hr", "type": "cc", "name": "Copy HR",
         "approvers": [{"kind": "role", "code": "hr"}]},
    ],
}

EXPENSE_DATA: dict[str, Any] = {
    "purpose": "Japanese tissue for the scroll repair",
    "amount": "1200",
    "items": [{"thing": "Kozo tissue", "cost": "800"}, {"thing": "Wheat starch", "cost": "400"}],
}


@pytest.fixture
def people(museum: dict[str, Any], admin_person: Any, hr_person: Any, outsider: Any
           ) -> dict[str, Any]:
    """The management chain and a few staff (see the module docstring), by name."""
    found = {
        "applicant": PersonFactory(username="applicant", name_zh="申请人", name_en="Ann Applicant",
                                   department=museum["lab"], roles=["staff"]),
        "lab_head": PersonFactory(username="labhead", name_zh="实验室主任",
                                  name_en="Lee Labhead", department=museum["lab"],
                                  roles=["conservator", "staff"]),
        "conservation_head": PersonFactory(username="conshead", name_zh="文保部主任",
                                           name_en="Chen Conservation",
                                           department=museum["conservation"],
                                           roles=["conservator", "staff"]),
        "director": PersonFactory(username="director", name_zh="馆长", name_en="Dana Director",
                                  department=museum["root"], roles=["staff"]),
        "colleague": PersonFactory(username="colleague", name_zh="同事", name_en="Cole Colleague",
                                   department=museum["lab"], roles=["staff"]),
        "guard": PersonFactory(username="guard", name_zh="保安", name_en="Gus Guard",
                               department=museum["security"], roles=["security", "staff"]),
        "clerk": PersonFactory(username="clerk", name_zh="文员", name_en="Cleo Clerk",
                               department=museum["root"], roles=["staff"]),
        "overseer": PersonFactory(username="overseer", name_zh="督办", name_en="Otto Overseer",
                                  department=museum["conservation"], roles=["staff"]),
        "hr": hr_person,
        "admin": admin_person,
        "outsider": outsider,
    }
    for department, head in (("lab", "lab_head"), ("conservation", "conservation_head"),
                             ("root", "director")):
        museum[department].head = found[head]
        museum[department].save(update_fields=["head"])
    Role.objects.create(code="approvals-overseer", name_zh="审批督办", name_en="Approvals overseer",
                        operations=["workflows.request.oversee"])
    grant(found["overseer"], "approvals-overseer", museum["conservation"])
    return found


@pytest.fixture
def publish(people: dict[str, Any]) -> Callable[..., Process]:
    """``publish(code, form, definition, **details)``: create and publish an approval as HR.
    ``details`` are the process fields of ``do_create_process`` (``name_zh``,
    ``starter_departments``, ``is_active``, ...)."""

    def make(code: str, form: list[dict[str, Any]], definition: dict[str, Any],
             **details: Any) -> Process:
        data = {"code": code, "name_zh": details.pop("name_zh", code),
                "name_en": details.pop("name_en", code), "form": form,
                "definition": definition, **details}
        process = services.do_create_process(people["hr"], data)
        services.do_publish_process(people["hr"], process.pk, note="first")
        process.refresh_from_db()
        return process

    return make


@pytest.fixture
def expense(publish: Callable[..., Process]) -> Process:
    """The expense approval (see the module docstring)."""
    return publish("expense", EXPENSE_FORM, EXPENSE_FLOW, name_zh="费用报销",
                   name_en="Expense claim", category="finance")


@pytest.fixture
def submit(expense: Process) -> Callable[..., Request]:
    """``submit(person, data=None, code="expense", chosen=None)``: a new request."""

    def make(person: Any, data: dict[str, Any] | None = None, code: str = "expense",
             **kwargs: Any) -> Request:
        return services.do_submit_request(person, code, EXPENSE_DATA if data is None else data,
                                          **kwargs)

    return make
