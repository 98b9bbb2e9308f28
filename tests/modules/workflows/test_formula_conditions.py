"""Computed-field formulas and branch conditions."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from taihe.modules.workflows import formula
from taihe.modules.workflows.engine import conditions


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


FUNCTIONS = "sum, min, max, round, abs, days, count"

# --- formulas: what may be written ----------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("amount *", "The formula is not valid: invalid syntax"),
    ("", "The formula is not valid: invalid syntax"),
    ("a\x00", "The formula is not valid: source code string cannot contain null bytes"),
    pytest.param("-" * 100000 + "1", "The formula is not valid.", id="absurd-nesting"),
    ("'text'", "Formulas may only contain numbers, not text."),
    ("amount + '1'", "Formulas may only contain numbers, not text."),
    ("True + 1", "Formulas may only contain numbers, not text."),
    ("None", "Formulas may only contain numbers, not text."),
    ("1e999", "The number inf is too large."),
    ("__import__('os')", f"Unknown function. Use one of {FUNCTIONS}."),
    ("open('x')", f"Unknown function. Use one of {FUNCTIONS}."),
    ("amount.real()", f"Unknown function. Use one of {FUNCTIONS}."),
    ("items.amount.real", "Write a table column as table.column."),
    ("(1).real", "Write a table column as table.column."),
    ("amount ** 2", f"Formulas may only use numbers, fields, + - * / and the functions "
                    f"{FUNCTIONS}."),
    ("amount if amount else 0",
     f"Formulas may only use numbers, fields, + - * / and the functions {FUNCTIONS}."),
    ("[1, 2]", f"Formulas may only use numbers, fields, + - * / and the functions {FUNCTIONS}."),
    ("amount > 1", f"Formulas may only use numbers, fields, + - * / and the functions "
                   f"{FUNCTIONS}."),
    ("round(amount, ndigits=2)",
     f"Formulas may only use numbers, fields, + - * / and the functions {FUNCTIONS}."),
    ("(lambda: 1)()", f"Unknown function. Use one of {FUNCTIONS}."),
    ("lambda: 1",
     f"Formulas may only use numbers, fields, + - * / and the functions {FUNCTIONS}."),
    ("import os", "The formula is not valid: invalid syntax"),
])
def test_parse_refuses_everything_but_arithmetic(text: str, message: str) -> None:
    with pytest.raises(formula.FormulaError) as raised:
        formula.parse(text)
    assert str(raised.value) == message


@pytest.mark.parametrize(("text", "names"), [
    ("amount * 1.13", {"amount"}),
    ("sum(items.amount) + fee", {"items.amount", "fee"}),
    ("days(trip) * rate", {"trip", "rate"}),
    ("round(max(a, b) / count(items), 2)", {"a", "b", "items"}),
    ("42", set()),
])
def test_references(text: str, names: set[str]) -> None:
    assert formula.references(text) == names


def test_references_of_a_bad_formula_raise() -> None:
    with pytest.raises(formula.FormulaError):
        formula.references("os.system('x')")


# --- formulas: what they come to --------------------------------------------------------------

ITEMS = [{"amount": "12.50", "qty": 2}, {"amount": 7, "qty": None}, {"amount": "", "qty": 1}]
TRIP = {"start": "2026-03-02", "end": "2026-03-06", "days": "5", "calendar": "Mon-Fri"}


@pytest.mark.parametrize(("text", "values", "result"), [
    ("amount * 1.13", {"amount": 100}, Decimal("113.00")),
    ("sum(items.amount)", {"items": ITEMS}, Decimal("19.50")),
    ("items.amount", {"items": ITEMS}, Decimal("19.50")),
    ("sum(items.amount) * 1.13", {"items": ITEMS}, Decimal("22.0350")),
    ("sum(items.qty, 10)", {"items": ITEMS}, Decimal("13")),
    ("count(items)", {"items": ITEMS}, Decimal("3")),
    ("count(items.amount)", {"items": ITEMS}, Decimal("3")),
    ("count(note)", {"note": "x"}, Decimal("1")),
    ("count(n)", {"n": 5}, Decimal("1")),
    ("count(note)", {"note": None}, Decimal("0")),
    ("sum(items.amount)", {"items": None}, Decimal("0")),
    ("days(trip)", {"trip": TRIP}, Decimal("5")),
    ("days(trip) * 300", {"trip": TRIP}, Decimal("1500")),
    ("trip * 2", {"trip": TRIP}, Decimal("10")),
    ("round(10 / 3, 2)", {}, Decimal("3.33")),
    ("round(2.5)", {}, Decimal("2")),
    ("round(a)", {"a": "7.6"}, Decimal("8")),
    ("max(a, b) - min(a, b)", {"a": 3, "b": "10"}, Decimal("7")),
    ("max(items.amount)", {"items": ITEMS}, Decimal("12.50")),
    ("min()", {}, Decimal("0")),
    ("abs(a - b)", {"a": 3, "b": 10}, Decimal("7")),
    ("-a + +b", {"a": 3, "b": 10}, Decimal("7")),
    ("a + b", {"a": None, "b": ""}, Decimal("0")),
    ("a + 1", {"a": True}, Decimal("1")),
])
def test_evaluate(text: str, values: dict[str, Any], result: Decimal) -> None:
    found = formula.evaluate(text, values)
    assert (found, str(found)) == (result, str(result))


@pytest.mark.parametrize(("text", "values", "message"), [
    ("a / b", {"a": 1, "b": 0}, "The formula divides by zero."),
    ("a / (b - b)", {"a": 1, "b": 4}, "The formula divides by zero."),
    ("a / b", {"a": 1, "b": None}, "The formula divides by zero."),
    ("a + c", {"a": 1}, "The formula uses c, which is not a field."),
    ("a * 2", {"a": "many"}, "many is not a number."),
    ("sum(a.x)", {"a": 5}, "a is not a table."),
    ("round(a, 100)", {"a": 1}, "The formula's result is too large."),
])
def test_evaluate_errors(text: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(formula.FormulaError) as raised:
        formula.evaluate(text, values)
    assert str(raised.value) == message


# --- conditions -------------------------------------------------------------------------------

KINDS = {"amount": "number", "reason": "text", "kind": "choice", "tags": "choices",
         "day": "date", "who": "person", "dept": "department", "files": "other"}
VALUES = {"amount": "1500.00", "reason": "Paper Repair", "kind": "travel", "tags": ["a", "b"],
          "day": "2026-05-01", "who": 7, "dept": 3, "files": [1], "empty_text": ""}
TREE = {3: 2, 2: 1}  # department 3 lies under 2, which lies under 1


def within(department: int | None, ancestor: int) -> bool:
    while department is not None:
        if department == ancestor:
            return True
        department = TREE.get(department)
    return False


def holds(clauses: list[dict[str, Any]], *, join: str = "all",
          values: dict[str, Any] | None = None, department: int | None = 3) -> bool:
    return conditions.holds({join: clauses}, VALUES if values is None else values,
                            {**KINDS, "empty_text": "text"},
                            applicant_department=department, within=within)


@pytest.mark.parametrize(("field", "op", "value", "expected"), [
    ("amount", "eq", 1500, True), ("amount", "eq", "1500.0", True), ("amount", "eq", 1, False),
    ("amount", "ne", 1, True), ("amount", "ne", "1500", False),
    ("amount", "gt", 1000, True), ("amount", "gt", 1500, False),
    ("amount", "ge", 1500, True), ("amount", "ge", 1501, False),
    ("amount", "lt", 2000, True), ("amount", "lt", 1500, False),
    ("amount", "le", 1500, True), ("amount", "le", 1499, False),
    ("amount", "empty", None, False), ("amount", "not_empty", None, True),
    ("amount", "gt", "lots", False),
    ("reason", "eq", "Paper Repair", True), ("reason", "eq", "paper repair", False),
    ("reason", "ne", "x", True),
    ("reason", "in", ["Paper Repair", "x"], True), ("reason", "in", ["x"], False),
    ("reason", "not_in", ["x"], True), ("reason", "not_in", ["Paper Repair"], False),
    ("reason", "contains", "paper", True), ("reason", "contains", "cloth", False),
    ("empty_text", "empty", None, True), ("empty_text", "not_empty", None, False),
    ("kind", "eq", "travel", True), ("kind", "ne", "travel", False),
    ("kind", "in", ["travel", "stay"], True), ("kind", "not_in", ["travel"], False),
    ("tags", "contains", "a", True), ("tags", "contains", "c", False),
    ("tags", "empty", None, False), ("tags", "not_empty", None, True),
    ("day", "eq", "2026-05-01", True), ("day", "gt", "2026-04-30", True),
    ("day", "ge", "2026-05-02", False), ("day", "lt", "2026-05-02", True),
    ("day", "le", "2026-04-30", False),
    ("who", "eq", 7, True), ("who", "ne", 7, False), ("who", "in", [1, 7], True),
    ("who", "in", [1], False),
    ("dept", "eq", 3, True), ("dept", "within", 2, True), ("dept", "within", 1, True),
    ("dept", "within", 4, False),
    ("files", "not_empty", None, True), ("files", "empty", None, False),
    ("missing", "empty", None, True), ("missing", "eq", None, True),
])
def test_every_operator(field: str, op: str, value: Any, expected: bool) -> None:
    assert holds([{"field": field, "op": op, "value": value}]) is expected


@pytest.mark.parametrize(("op", "value", "expected"), [
    ("eq", 5, False), ("ne", 5, True), ("gt", 5, False), ("lt", 5, False),
])
def test_an_empty_number_matches_only_not_equal(op: str, value: Any, expected: bool) -> None:
    assert holds([{"field": "amount", "op": op, "value": value}],
                 values={"amount": ""}) is expected


def test_an_empty_date_is_never_before_or_after() -> None:
    assert holds([{"field": "day", "op": "lt", "value": "2026-01-01"}], values={}) is False


@pytest.mark.parametrize(("department", "ancestor", "expected"), [
    (3, 2, True), (3, 3, True), (2, 3, False), (None, 2, False), (3, "2", True),
    (3, "lab", False), (3, None, False), (3, 2.5, False), (3, "Infinity", False),
])
def test_applicant_department_within(department: int | None, ancestor: Any,
                                     expected: bool) -> None:
    clause = {"field": "$applicant.department", "op": "within", "value": ancestor}
    assert holds([clause], department=department) is expected


def test_applicant_department_eq() -> None:
    clause = {"field": "$applicant.department", "op": "eq", "value": 3}
    assert holds([clause]) is True
    assert holds([clause], department=2) is False


def test_all_needs_every_clause_and_any_needs_one() -> None:
    yes = {"field": "amount", "op": "gt", "value": 1}
    no = {"field": "amount", "op": "lt", "value": 1}
    assert holds([yes, no]) is False
    assert holds([yes, yes]) is True
    assert holds([yes, no], join="any") is True
    assert holds([no, no], join="any") is False


def test_an_empty_all_list_does_not_turn_any_clauses_into_all() -> None:
    yes = {"field": "amount", "op": "gt", "value": 1}
    no = {"field": "amount", "op": "lt", "value": 1}
    assert conditions.holds({"all": [], "any": [yes, no]}, VALUES, KINDS,
                            applicant_department=None, within=within) is True


@pytest.mark.parametrize("condition", [{}, {"all": []}, {"any": []}])
def test_an_empty_condition_always_holds(condition: dict[str, Any]) -> None:
    assert conditions.holds(condition, {}, {}, applicant_department=None,
                            within=within) is True


def test_operators_per_kind_are_labelled() -> None:
    used = {op for ops in conditions.OPERATORS.values() for op in ops}
    assert used == set(conditions.OPERATOR_LABELS)
    assert str(conditions.OPERATOR_LABELS["within"]) == "is in or under"
