"""Computed-field formulas: arithmetic over a form's numbers, parsed with Python's own
parser and evaluated by walking a short list of allowed node types (nothing else runs).

``amount * 1.13``, ``sum(items.amount)``, ``days(trip)``, ``round(total / 3, 2)``,
``max(a, b)``. Names are form fields; ``table.column`` is a column of a table field.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

FUNCTIONS = ("sum", "min", "max", "round", "abs", "days", "count")


class FormulaError(ValueError):
    pass


def parse(formula: str) -> ast.Expression:
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError as error:
        raise FormulaError(_("The formula is not valid: %(error)s") % {"error": error.msg}) \
            from None
    except (ValueError, RecursionError, MemoryError):  # NUL characters, absurd nesting
        raise FormulaError(_("The formula is not valid.")) from None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant,
                                 ast.Name, ast.Attribute, ast.Call, ast.Load, ast.Add, ast.Sub,
                                 ast.Mult, ast.Div, ast.USub, ast.UAdd)):
            raise FormulaError(_("Formulas may only use numbers, fields, + - * / and the "
                                 "functions %(functions)s.") % {"functions": ", ".join(FUNCTIONS)})
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise FormulaError(_("Formulas may only contain numbers, not text."))
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise FormulaError(_("The number %(value)s is too large.")
                                   % {"value": node.value})
        if isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Name):
            raise FormulaError(_("Write a table column as table.column."))
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                               and node.func.id in FUNCTIONS):
            raise FormulaError(_("Unknown function. Use one of %(functions)s.")
                               % {"functions": ", ".join(FUNCTIONS)})
    return tree


def references(formula: str) -> set[str]:
    """Field names (and ``table.column`` pairs) the formula reads."""
    tree = parse(formula)
    names: set[str] = set()
    not_fields: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            names.add(f"{node.value.id}.{node.attr}")
            not_fields.add(id(node.value))
        elif isinstance(node, ast.Call):
            not_fields.add(id(node.func))
    names.update(node.id for node in ast.walk(tree)
                 if isinstance(node, ast.Name) and id(node) not in not_fields)
    return names


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if value in (None, "") or isinstance(value, bool):
        return Decimal(0)
    if isinstance(value, dict) and "days" in value:
        return _decimal(value["days"])
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise FormulaError(_("%(value)s is not a number.") % {"value": value}) from None


def _count(value: Any) -> int:
    """Rows of a table (items of a list); a single filled-in value counts as one."""
    if isinstance(value, list):
        return len(value)
    return 0 if value in (None, "") else 1


def evaluate(formula: str, values: dict[str, Any]) -> Decimal:
    """The formula's value for ``values`` (a field's value, or a list of row dicts for a
    table). Empty fields count as 0; division by zero is an error."""
    tree = parse(formula)

    def column(node: ast.Attribute) -> list[Decimal]:
        assert isinstance(node.value, ast.Name)
        rows = values.get(node.value.id) or []
        if not isinstance(rows, list):
            raise FormulaError(_("%(name)s is not a table.") % {"name": node.value.id})
        return [_decimal(row.get(node.attr)) for row in rows if isinstance(row, dict)]

    def arguments(node: ast.Call) -> list[Decimal]:
        found: list[Decimal] = []
        for argument in node.args:
            if isinstance(argument, ast.Attribute):
                found.extend(column(argument))
            else:
                found.append(walk(argument))
        return found

    operations: dict[type, Callable[[Decimal, Decimal], Decimal]] = {
        ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
    }

    def walk(node: ast.AST) -> Decimal:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return Decimal(str(node.value))
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise FormulaError(_("The formula uses %(name)s, which is not a field.")
                                   % {"name": node.id})
            return _decimal(values[node.id])
        if isinstance(node, ast.Attribute):
            return sum(column(node), Decimal(0))
        if isinstance(node, ast.UnaryOp):
            inner = walk(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise FormulaError(_("The formula divides by zero."))
            return operations[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            name = node.func.id
            if name == "count":
                return Decimal(sum(_count(values.get(a.id)) if isinstance(a, ast.Name)
                                   else len(column(a)) if isinstance(a, ast.Attribute) else 1
                                   for a in node.args))
            found = arguments(node)
            if name == "sum" or name == "days":
                return sum(found, Decimal(0))
            if name in ("min", "max"):
                if not found:
                    return Decimal(0)
                return min(found) if name == "min" else max(found)
            if name == "abs":
                return abs(found[0]) if found else Decimal(0)
            if name == "round":
                places = int(found[1]) if len(found) > 1 else 0
                return round(found[0], places) if found else Decimal(0)
        raise FormulaError(_("The formula is not valid."))

    try:
        return walk(tree)
    except RecursionError:
        raise FormulaError(_("The formula is not valid.")) from None
    except ArithmeticError:  # decimal's InvalidOperation and Overflow: a result too large
        raise FormulaError(_("The formula's result is too large.")) from None
