"""Checking process definitions before they are published: every problem, word for word."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from taihe.modules.workflows.engine.definition import validate


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


KINDS = {"amount": "number", "reason": "text", "kind": "choice", "reviewer": "person",
         "day": "date", "tags": "choices", "dept": "department", "files": "other"}


def good() -> dict[str, Any]:
    """A definition that uses every node type and most approver sources."""
    return {
        "settings": {"dedup": "once", "auto_approve_applicant": True, "on_empty": "admin"},
        "nodes": [
            {"id": "lead", "type": "approval", "name": "Lead", "mode": "sequential",
             "approvers": [{"kind": "manager", "levels": 1},
                           {"kind": "manager_chain", "levels": 2}],
             "timeout": {"hours": 24, "action": "escalate",
                         "escalate_to": [{"kind": "role", "code": "hr"}]}},
            {"id": "money", "type": "condition", "name": "Money", "branches": [
                {"id": "big", "name": "Big", "when": {"all": [
                    {"field": "amount", "op": "gt", "value": 10000},
                    {"field": "$applicant.department", "op": "within", "value": 3}]},
                 "nodes": [{"id": "director", "type": "approval", "name": "Director",
                            "mode": "all", "approvers": [
                                {"kind": "department_head", "department_id": 1},
                                {"kind": "form_field", "field": "reviewer"}]}]},
                {"id": "other", "name": "Other", "default": True, "nodes": []},
            ]},
            {"id": "both", "type": "parallel", "name": "Both", "branches": [
                {"id": "l", "name": "Left", "nodes": [
                    {"id": "pick", "type": "approval", "name": "Pick", "mode": "any",
                     "approvers": [{"kind": "applicant_choice"}]}]},
                {"id": "r", "name": "Right", "nodes": [
                    {"id": "desk", "type": "handler", "name": "Desk", "mode": "all",
                     "approvers": [{"kind": "people", "ids": [4]}]}]},
            ]},
            {"id": "tell", "type": "cc", "name": "Tell",
             "approvers": [{"kind": "applicant"}]},
        ],
    }


def test_a_good_definition_has_no_problems() -> None:
    assert validate(good(), KINDS) == []


def _condition(*branches: dict[str, Any]) -> dict[str, Any]:
    return {"settings": {}, "nodes": [
        {"id": "a", "type": "approval", "name": "A",
         "approvers": [{"kind": "people", "ids": [1]}]},
        {"id": "c", "type": "condition", "name": "Route", "branches": list(branches)}]}


def _when(*clauses: dict[str, Any], join: str = "all") -> dict[str, Any]:
    return {join: list(clauses)}


def _branch(branch_id: str, when: dict[str, Any] | None = None,
            default: bool = False) -> dict[str, Any]:
    branch: dict[str, Any] = {"id": branch_id, "name": branch_id.upper(), "nodes": []}
    if default:
        branch["default"] = True
    else:
        branch["when"] = when if when is not None else {}
    return branch


BIG = {"field": "amount", "op": "gt", "value": 100}
DEFAULT = _branch("d", default=True)


@pytest.mark.parametrize(("definition", "problems"), [
    (_condition(_branch("x", _when(BIG))),
     ["Route: a condition needs exactly one default branch, taken when no other applies."]),
    (_condition(_branch("x", _when(BIG)), DEFAULT, _branch("d2", default=True)),
     ["Route: a condition needs exactly one default branch, taken when no other applies."]),
    (_condition(DEFAULT, _branch("x", _when(BIG))),
     ["Route: the default branch comes last."]),
    (_condition(DEFAULT),
     ["Route: a condition needs at least one branch with a condition besides the default."]),
    (_condition(_branch("x", _when(BIG)), _branch("y", _when(BIG)), DEFAULT),
     ["Route: branch Y has the same condition as an earlier branch, so it can never be "
      "reached."]),
    (_condition(_branch("x"), _branch("y", _when(BIG)), DEFAULT),
     ["Route: branch X has no condition, so the branches after it can never be reached."]),
    (_condition(_branch("x", _when({"field": "amount", "op": "gt", "value": 10},
                                   {"field": "amount", "op": "lt", "value": 5})), DEFAULT),
     ["Route: the condition of branch X can never hold."]),
    (_condition(_branch("x", _when({"field": "amount", "op": "gt", "value": 5},
                                   {"field": "amount", "op": "le", "value": 5})), DEFAULT),
     ["Route: the condition of branch X can never hold."]),
    (_condition(_branch("x", _when({"field": "amount", "op": "eq", "value": 5},
                                   {"field": "amount", "op": "eq", "value": 6})), DEFAULT),
     ["Route: the condition of branch X can never hold."]),
    (_condition(_branch("x", _when({"field": "cost", "op": "gt", "value": 5})), DEFAULT),
     ["Route: branch X tests cost, which is not a field of the form."]),
    (_condition(_branch("x", _when({"field": "reason", "op": "gt", "value": "a"})), DEFAULT),
     ["Route: branch X cannot test reason with gt."]),
    (_condition(_branch("x", _when({"field": "files", "op": "eq", "value": 1})), DEFAULT),
     ["Route: branch X cannot test files with eq."]),
    (_condition(_branch("x", _when({"field": "$applicant.department", "op": "gt",
                                    "value": 1})), DEFAULT),
     ["Route: branch X cannot test $applicant.department with gt."]),
    (_condition(_branch("x", _when({"field": "amount", "op": "gt", "value": ""})), DEFAULT),
     ["Route: branch X compares amount with nothing."]),
    (_condition(_branch("x", _when({"field": "amount", "op": "gt", "value": "lots"})),
                DEFAULT),
     ["Route: branch X compares amount with something that is not a number."]),
    (_condition(_branch("x", _when("amount > 5")), DEFAULT),
     ["Route: branch X has a malformed condition."]),
    (_condition(_branch("x", ["amount"]), DEFAULT),
     ["Route: branch X has a malformed condition."]),
    (_condition(_branch("x", {"all": 5}), DEFAULT),
     ["Route: branch X has a malformed condition."]),
    (_condition(_branch("x", _when(7)), DEFAULT),
     ["Route: branch X has a malformed condition."]),
])
def test_condition_problems(definition: dict[str, Any], problems: list[str]) -> None:
    assert validate(definition, KINDS) == problems


def test_condition_without_branches() -> None:
    definition = _condition()
    definition["nodes"][1]["branches"] = []
    assert validate(definition, KINDS) == ["Route: a condition needs branches."]


@pytest.mark.parametrize("clauses", [
    [{"field": "amount", "op": "ge", "value": 5}, {"field": "amount", "op": "le", "value": 5}],
    [{"field": "amount", "op": "gt", "value": 5}, {"field": "amount", "op": "lt", "value": 6}],
    [{"field": "amount", "op": "eq", "value": 5}, {"field": "amount", "op": "eq", "value": "5.0"}],
])
def test_bounds_that_leave_room_are_fine(clauses: list[dict[str, Any]]) -> None:
    assert validate(_condition(_branch("x", _when(*clauses)), DEFAULT), KINDS) == []


def test_contradiction_only_counts_for_all_conditions() -> None:
    either = _when({"field": "amount", "op": "gt", "value": 10},
                   {"field": "amount", "op": "lt", "value": 5}, join="any")
    assert validate(_condition(_branch("x", either), DEFAULT), KINDS) == []


@pytest.mark.parametrize(("field", "op", "value"), [
    ("amount", "le", 3), ("reason", "contains", "x"), ("kind", "in", ["a"]),
    ("tags", "contains", "x"), ("day", "ge", "2026-01-01"), ("reviewer", "eq", 4),
    ("dept", "within", 2), ("files", "not_empty", None), ("$applicant.department", "eq", 1),
])
def test_operators_fit_their_field_kinds(field: str, op: str, value: Any) -> None:
    definition = _condition(_branch("x", _when({"field": field, "op": op, "value": value})),
                            DEFAULT)
    assert validate(definition, KINDS) == []


def _mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    definition = copy.deepcopy(good())
    change(definition)
    return definition


def _node(definition: dict[str, Any], index: int) -> dict[str, Any]:
    node: dict[str, Any] = definition["nodes"][index]
    return node


@pytest.mark.parametrize(("change", "problems"), [
    (lambda d: _node(d, 0).update(approvers=[{"kind": "form_field", "field": "reason"}]),
     ["Lead: reason is not a person field of the form."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "form_field", "field": "nobody"}]),
     ["Lead: nobody is not a person field of the form."]),
    (lambda d: _node(d, 2)["branches"].pop(),
     ["Both: parallel branches need at least two branches."]),
    (lambda d: _node(d, 2)["branches"][1].update(nodes=[]),
     ["Both: branch Right is empty."]),
    (lambda d: _node(d, 3).update(id="lead"),
     ["Tell: the id lead is used twice."]),
    (lambda d: _node(d, 2)["branches"][1]["nodes"][0].update(id="director"),
     ["Desk: the id director is used twice."]),
    (lambda d: _node(d, 2)["branches"][1].update(id="l"),
     ["Both: two branches have the id l."]),
    (lambda d: _node(d, 2)["branches"][1].update(id="r:1"),
     ["Both: every branch needs an id (without colons)."]),
    (lambda d: _node(d, 3).pop("id"),
     ["Tell: every node needs an id."]),
    (lambda d: _node(d, 3).update(type="timer"),
     ["Tell: unknown node type timer."]),
    (lambda d: _node(d, 0).update(mode="some"),
     ["Lead: the approval mode must be sequential, all (countersign) or any (or-sign)."]),
    (lambda d: _node(d, 2)["branches"][1]["nodes"][0].update(mode="sequential"),
     ["Desk: handlers act all or any."]),
    (lambda d: _node(d, 0).update(approvers=[]),
     ["Lead: say who acts at this step."]),
    (lambda d: _node(d, 3).update(approvers=None),
     ["Tell: say who acts at this step."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "astrologer"}]),
     ["Lead: unknown kind of approver astrologer."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "people", "ids": []}]),
     ["Lead: name at least one person."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "people", "ids": "12"}]),
     ["Lead: people are named by their ids."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "people", "ids": [1, "x"]}]),
     ["Lead: people are named by their ids."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "people", "ids": [1, "2"]}]),
     []),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "department_head",
                                              "department_id": "lab"}]),
     ["Lead: choose the department whose head approves."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "role", "code": ""}]),
     ["Lead: choose a role."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "manager", "levels": 11}]),
     ["Lead: the manager level is between 1 and 10."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "manager_chain", "levels": "two"}]),
     ["Lead: the manager level is between 1 and 10."]),
    (lambda d: _node(d, 0).update(approvers=[{"kind": "department_head"}]),
     ["Lead: choose the department whose head approves."]),
    (lambda d: _node(d, 0).update(on_empty="wait"),
     ["Lead: a step without approvers must be skipped or sent to an administrator."]),
    (lambda d: _node(d, 0).update(timeout={"hours": 0, "action": "remind"}),
     ["Lead: the time limit is between 1 hour and 90 days."]),
    (lambda d: _node(d, 0).update(timeout={"hours": 0.5, "action": "remind"}),
     ["Lead: the time limit is between 1 hour and 90 days."]),
    (lambda d: _node(d, 0).update(timeout={"hours": 24 * 91, "action": "remind"}),
     ["Lead: the time limit is between 1 hour and 90 days."]),
    (lambda d: _node(d, 0).update(timeout={"hours": "soon", "action": "remind"}),
     ["Lead: the time limit is between 1 hour and 90 days."]),
    (lambda d: _node(d, 0).update(timeout=24),
     ["Lead: the time limit is between 1 hour and 90 days."]),
    (lambda d: _node(d, 0).update(timeout={"hours": 24, "action": "forget"}),
     ["Lead: when time runs out, remind, escalate, approve or reject."]),
    (lambda d: _node(d, 0).update(timeout={"hours": 24, "action": "escalate"}),
     ["Lead: say who acts at this step."]),
    (lambda d: d.update(settings={"dedup": "twice", "on_empty": "ask"}),
     ["Settings: duplicate approvers must be handled as one of none, consecutive, once.",
      "Settings: a step without approvers must be skipped or sent to an administrator."]),
    (lambda d: d.update(settings=["dedup"]),
     ["Settings: the settings are an object."]),
    (lambda d: _node(d, 2)["branches"].append("lane"),
     ["Both: every branch is an object."]),
    (lambda d: d["nodes"].append("node"),
     ["Every node is an object."]),
])
def test_node_problems(change: Callable[[dict[str, Any]], None], problems: list[str]) -> None:
    assert validate(_mutated(change), KINDS) == problems


def test_unnamed_nodes_are_named_by_id() -> None:
    definition = _mutated(lambda d: _node(d, 0).update(name="", approvers=[]))
    assert validate(definition, KINDS) == ["lead: say who acts at this step."]


@pytest.mark.parametrize("definition", [
    {"nodes": []},
    {"nodes": [{"id": "t", "type": "cc", "name": "T", "approvers": [{"kind": "applicant"}]}]},
    # one path through the condition has no acting step
    _mutated(lambda d: d.update(nodes=[d["nodes"][1]])),
])
def test_a_process_needs_an_acting_step_on_every_path(definition: dict[str, Any]) -> None:
    assert validate(definition, KINDS) == [
        "A process needs at least one approval or handler step."]


@pytest.mark.parametrize("definition", [None, [], {"nodes": {}}, {"settings": {}}])
def test_a_definition_is_an_object_with_nodes(definition: Any) -> None:
    assert validate(definition, KINDS) == ["A process is an object with a list of nodes."]


# --- never a crash, whatever the JSON ---------------------------------------------------------

WORDS = ["nodes", "settings", "id", "type", "name", "mode", "approvers", "branches", "when",
         "all", "any", "field", "op", "value", "default", "kind", "ids", "code", "levels",
         "department_id", "timeout", "hours", "action", "escalate_to", "on_empty", "dedup",
         "approval", "handler", "cc", "condition", "parallel", "people", "role", "manager",
         "form_field", "amount", "gt", "within", "$applicant.department", "escalate"]
SCALARS = (st.none() | st.booleans() | st.integers(-3, 12) | st.sampled_from(WORDS)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=3))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(WORDS), inner, max_size=6),
                    max_leaves=40)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_paths(inner, (*prefix, index)))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    inner = _replace(value[path[0]], path[1:], new)
    copied = copy.copy(value)
    copied[path[0]] = inner
    return copied


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_any_json_gets_problems_never_an_error(definition: Any) -> None:
    problems = validate({"nodes": definition} if isinstance(definition, list) else definition,
                        KINDS)
    assert all(isinstance(p, str) for p in problems)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_good_definition_with_any_part_broken_gets_problems_never_an_error(
        data: st.DataObject) -> None:
    definition = good()
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(definition)))
        definition = _replace(definition, path, data.draw(JSON))
    problems = validate(definition, KINDS)
    assert all(isinstance(p, str) for p in problems)
