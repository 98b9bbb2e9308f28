"""Branch conditions: structured JSON, never code.

``{"all": [clause, ...]}`` or ``{"any": [clause, ...]}``, each clause
``{"field": name, "op": op, "value": v}``. ``field`` is a form field's name or
``$applicant.department`` (the applicant's department, with ``within``: the department or
any below it). An empty condition holds always.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

APPLICANT_DEPARTMENT = "$applicant.department"

#: The operators each kind of value allows (the field registry says which kind a field is).
OPERATORS: dict[str, tuple[str, ...]] = {
    "number": ("eq", "ne", "gt", "ge", "lt", "le", "empty", "not_empty"),
    "text": ("eq", "ne", "in", "not_in", "contains", "empty", "not_empty"),
    "choice": ("eq", "ne", "in", "not_in", "empty", "not_empty"),
    "choices": ("contains", "empty", "not_empty"),
    "date": ("eq", "gt", "ge", "lt", "le", "empty", "not_empty"),
    "person": ("eq", "ne", "in", "empty", "not_empty"),
    "department": ("eq", "within", "empty", "not_empty"),
    "other": ("empty", "not_empty"),
}

OPERATOR_LABELS = {
    "eq": _("is"), "ne": _("is not"), "gt": _("is more than"), "ge": _("is at least"),
    "lt": _("is less than"), "le": _("is at most"), "in": _("is one of"),
    "not_in": _("is none of"), "contains": _("contains"), "empty": _("is empty"),
    "not_empty": _("is filled in"), "within": _("is in or under"),
}


def _number(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(op: str, actual: Any, expected: Any, kind: str) -> bool:
    if op == "empty":
        return actual in (None, "", [], {})
    if op == "not_empty":
        return actual not in (None, "", [], {})
    if kind == "number":
        left, right = _number(actual), _number(expected)
        if left is None or right is None:
            return op == "ne" and left != right
        return {"eq": left == right, "ne": left != right, "gt": left > right,
                "ge": left >= right, "lt": left < right, "le": left <= right}[op]
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "in":
        return actual in (expected or [])
    if op == "not_in":
        return actual not in (expected or [])
    if op == "contains":
        if isinstance(actual, list):
            return expected in actual
        return isinstance(actual, str) and str(expected).casefold() in actual.casefold()
    if actual in (None, ""):
        return False
    text, other = str(actual), str(expected)
    return {"gt": text > other, "ge": text >= other, "lt": text < other,
            "le": text <= other}.get(op, False)


def holds(condition: dict[str, Any], values: dict[str, Any], kinds: dict[str, str], *,
          applicant_department: int | None,
          within: Callable[[int | None, int], bool]) -> bool:
    """Whether ``condition`` holds for form ``values`` (field kinds in ``kinds``).
    ``within(a, b)`` says whether department ``a`` is ``b`` or lies below it."""
    join = all if condition.get("all") else any
    clauses = condition.get("all") or condition.get("any") or []
    if not clauses:
        return True
    results = []
    for clause in clauses:
        name, op, expected = clause["field"], clause["op"], clause.get("value")
        if name == APPLICANT_DEPARTMENT:
            actual: Any = applicant_department
            kind = "department"
        else:
            actual = values.get(name)
            kind = kinds.get(name, "other")
        if op == "within":
            ancestor = _number(expected)
            results.append(actual is not None and ancestor is not None
                           and ancestor.is_finite() and ancestor == int(ancestor)
                           and within(actual, int(ancestor)))
        else:
            results.append(_compare(op, actual, expected, kind))
    return join(results)
