"""Checking a process definition before it is published.

Problems are sentences naming the node (its name, or its id when unnamed). A definition
with problems cannot be published; the designer shows them beside the nodes.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from taihe.modules.workflows.engine.conditions import APPLICANT_DEPARTMENT, OPERATORS

NODE_TYPES = ("approval", "handler", "cc", "condition", "parallel")
MODES = ("sequential", "all", "any")
SOURCES = ("people", "role", "manager", "manager_chain", "department_head", "form_field",
           "applicant_choice", "applicant")
TIMEOUT_ACTIONS = ("remind", "escalate", "approve", "reject")
DEDUP = ("none", "consecutive", "once")
ON_EMPTY = ("skip", "admin")


def _where(node: dict[str, Any]) -> str:
    return str(node.get("name") or node.get("id") or "?")


def validate(definition: Any, field_kinds: dict[str, str]) -> list[str]:
    """Problems with ``definition`` for a form whose fields have ``field_kinds``."""
    if not isinstance(definition, dict) or not isinstance(definition.get("nodes"), list):
        return [str(_("A process is an object with a list of nodes."))]
    problems: list[str] = []
    settings = definition.get("settings") or {}
    if not isinstance(settings, dict):
        problems.append(str(_("Settings: the settings are an object.")))
        settings = {}
    if settings.get("dedup", "consecutive") not in DEDUP:
        problems.append(str(_("Settings: duplicate approvers must be handled as one of "
                              "%(choices)s.") % {"choices": ", ".join(DEDUP)}))
    if settings.get("on_empty", "skip") not in ON_EMPTY:
        problems.append(str(_("Settings: a step without approvers must be skipped or sent "
                              "to an administrator.")))
    ids: set[str] = set()
    acting = _check_sequence(definition["nodes"], field_kinds, problems, ids)
    if not acting:
        problems.append(str(_("A process needs at least one approval or handler step.")))
    return problems


def _check_sequence(nodes: Any, kinds: dict[str, str], problems: list[str],
                    ids: set[str]) -> int:
    if not isinstance(nodes, list):
        problems.append(str(_("A branch holds a list of nodes.")))
        return 0
    acting = 0
    for node in nodes:
        if not isinstance(node, dict):
            problems.append(str(_("Every node is an object.")))
            continue
        where = _where(node)
        node_id = node.get("id")
        if not isinstance(node_id, str) or not node_id:
            problems.append(str(_("%(node)s: every node needs an id.") % {"node": where}))
        elif node_id in ids:
            problems.append(str(_("%(node)s: the id %(id)s is used twice.")
                                % {"node": where, "id": node_id}))
        else:
            ids.add(node_id)
        kind = node.get("type")
        if kind not in NODE_TYPES:
            problems.append(str(_("%(node)s: unknown node type %(type)s.")
                                % {"node": where, "type": kind}))
            continue
        if kind in ("approval", "handler"):
            acting += 1
            if kind == "approval" and node.get("mode", "sequential") not in MODES:
                problems.append(str(_("%(node)s: the approval mode must be sequential, all "
                                      "(countersign) or any (or-sign).") % {"node": where}))
            if kind == "handler" and node.get("mode", "any") not in ("all", "any"):
                problems.append(str(_("%(node)s: handlers act all or any.") % {"node": where}))
            _check_sources(node, node.get("approvers"), kinds, problems)
            if node.get("on_empty") not in (None, *ON_EMPTY):
                problems.append(str(_("%(node)s: a step without approvers must be skipped or "
                                      "sent to an administrator.") % {"node": where}))
            _check_timeout(node, kinds, problems)
        elif kind == "cc":
            _check_sources(node, node.get("approvers"), kinds, problems)
        elif kind == "condition":
            acting += _check_condition(node, kinds, problems, ids)
        elif kind == "parallel":
            branches = node.get("branches")
            if not isinstance(branches, list) or len(branches) < 2:
                problems.append(str(_("%(node)s: parallel branches need at least two "
                                      "branches.") % {"node": where}))
                continue
            counts = []
            for branch in branches:
                if not isinstance(branch, dict):
                    problems.append(str(_("%(node)s: every branch is an object.")
                                        % {"node": where}))
                    continue
                if not branch.get("nodes"):
                    problems.append(str(_("%(node)s: branch %(branch)s is empty.")
                                        % {"node": where, "branch": _where(branch)}))
                counts.append(_check_sequence(branch.get("nodes", []), kinds, problems, ids))
                _check_branch_id(node, branch, problems, ids)
            acting += min(counts) if counts else 0
    return acting


def _check_branch_id(node: dict[str, Any], branch: Any, problems: list[str],
                     ids: set[str]) -> None:
    branch_id = branch.get("id") if isinstance(branch, dict) else None
    if not isinstance(branch_id, str) or not branch_id or ":" in branch_id:
        problems.append(str(_("%(node)s: every branch needs an id (without colons).")
                            % {"node": _where(node)}))
    elif f"{node.get('id')}:{branch_id}" in ids:
        problems.append(str(_("%(node)s: two branches have the id %(id)s.")
                            % {"node": _where(node), "id": branch_id}))
    else:
        ids.add(f"{node.get('id')}:{branch_id}")


def _check_condition(node: dict[str, Any], kinds: dict[str, str], problems: list[str],
                     ids: set[str]) -> int:
    where = _where(node)
    branches = node.get("branches")
    if not isinstance(branches, list) or not branches:
        problems.append(str(_("%(node)s: a condition needs branches.") % {"node": where}))
        return 0
    defaults = [b for b in branches if isinstance(b, dict) and b.get("default")]
    if len(defaults) != 1:
        problems.append(str(_("%(node)s: a condition needs exactly one default branch, taken "
                              "when no other applies.") % {"node": where}))
    elif branches[-1] is not defaults[0]:
        problems.append(str(_("%(node)s: the default branch comes last.") % {"node": where}))
    if len(branches) - len(defaults) < 1:
        problems.append(str(_("%(node)s: a condition needs at least one branch with a "
                              "condition besides the default.") % {"node": where}))
    seen: list[str] = []
    counts = []
    for branch in branches:
        if not isinstance(branch, dict):
            problems.append(str(_("%(node)s: every branch is an object.") % {"node": where}))
            continue
        _check_branch_id(node, branch, problems, ids)
        counts.append(_check_sequence(branch.get("nodes", []), kinds, problems, ids))
        if branch.get("default"):
            continue
        label = _where(branch)
        when = branch.get("when") or {}
        if not isinstance(when, dict):
            problems.append(str(_("%(node)s: branch %(branch)s has a malformed condition.")
                                % {"node": where, "branch": label}))
            continue
        clauses = when.get("all") or when.get("any") or []
        if not isinstance(clauses, list):
            problems.append(str(_("%(node)s: branch %(branch)s has a malformed condition.")
                                % {"node": where, "branch": label}))
            continue
        if not clauses:
            problems.append(str(_("%(node)s: branch %(branch)s has no condition, so the "
                                  "branches after it can never be reached.")
                                % {"node": where, "branch": label}))
        for clause in clauses:
            _check_clause(node, label, clause, kinds, problems)
        key = json.dumps(when, sort_keys=True, default=str)
        if key in seen:
            problems.append(str(_("%(node)s: branch %(branch)s has the same condition as an "
                                  "earlier branch, so it can never be reached.")
                                % {"node": where, "branch": label}))
        seen.append(key)
        if "all" in when and _contradictory(clauses):
            problems.append(str(_("%(node)s: the condition of branch %(branch)s can never "
                                  "hold.") % {"node": where, "branch": label}))
    # Every path through a condition must pass an acting node for the process to need one.
    return min(counts) if counts else 0


def _check_clause(node: dict[str, Any], branch: str, clause: Any, kinds: dict[str, str],
                  problems: list[str]) -> None:
    where = _where(node)
    if not isinstance(clause, dict):
        problems.append(str(_("%(node)s: branch %(branch)s has a malformed condition.")
                            % {"node": where, "branch": branch}))
        return
    name = clause.get("field")
    kind = "department" if name == APPLICANT_DEPARTMENT else kinds.get(str(name))
    if kind is None:
        problems.append(str(_("%(node)s: branch %(branch)s tests %(field)s, which is not a "
                              "field of the form.") % {"node": where, "branch": branch,
                                                        "field": name}))
        return
    if clause.get("op") not in OPERATORS.get(kind, OPERATORS["other"]):
        problems.append(str(_("%(node)s: branch %(branch)s cannot test %(field)s with "
                              "%(op)s.") % {"node": where, "branch": branch, "field": name,
                                            "op": clause.get("op")}))
        return
    if clause["op"] not in ("empty", "not_empty") and clause.get("value") in (None, ""):
        problems.append(str(_("%(node)s: branch %(branch)s compares %(field)s with nothing.")
                            % {"node": where, "branch": branch, "field": name}))
    elif kind == "number" and clause["op"] not in ("empty", "not_empty"):
        try:
            Decimal(str(clause.get("value")))
        except InvalidOperation:
            problems.append(str(_("%(node)s: branch %(branch)s compares %(field)s with "
                                  "something that is not a number.")
                                % {"node": where, "branch": branch, "field": name}))


def _contradictory(clauses: list[Any]) -> bool:
    """Whether numeric bounds on one field exclude every value (``a > 10 and a < 5``)."""
    low: dict[str, tuple[Decimal, bool]] = {}
    high: dict[str, tuple[Decimal, bool]] = {}
    for clause in clauses:
        if not isinstance(clause, dict) or clause.get("op") not in ("gt", "ge", "lt", "le", "eq"):
            continue
        try:
            value = Decimal(str(clause.get("value")))
        except InvalidOperation:
            continue
        name = str(clause.get("field"))
        if clause["op"] in ("gt", "ge", "eq"):
            strict = clause["op"] == "gt"
            if name not in low or value > low[name][0] or (value == low[name][0] and strict):
                low[name] = (value, strict)
        if clause["op"] in ("lt", "le", "eq"):
            strict = clause["op"] == "lt"
            if name not in high or value < high[name][0] or (value == high[name][0] and strict):
                high[name] = (value, strict)
    for name, (bottom, bottom_strict) in low.items():
        if name in high:
            top, top_strict = high[name]
            if bottom > top or (bottom == top and (bottom_strict or top_strict)):
                return True
    return False


def _check_sources(node: dict[str, Any], sources: Any, kinds: dict[str, str],
                   problems: list[str]) -> None:
    where = _where(node)
    if not isinstance(sources, list) or not sources:
        problems.append(str(_("%(node)s: say who acts at this step.") % {"node": where}))
        return
    for source in sources:
        kind = source.get("kind") if isinstance(source, dict) else None
        if kind not in SOURCES:
            problems.append(str(_("%(node)s: unknown kind of approver %(kind)s.")
                                % {"node": where, "kind": kind}))
        elif kind == "people" and not source.get("ids"):
            problems.append(str(_("%(node)s: name at least one person.") % {"node": where}))
        elif kind == "people" and (not isinstance(source["ids"], list)
                                   or not all(_integer(i) > 0 for i in source["ids"])):
            problems.append(str(_("%(node)s: people are named by their ids.")
                                % {"node": where}))
        elif kind == "role" and not source.get("code"):
            problems.append(str(_("%(node)s: choose a role.") % {"node": where}))
        elif kind in ("manager", "manager_chain") and not 1 <= _integer(source.get("levels")) <= 10:
            problems.append(str(_("%(node)s: the manager level is between 1 and 10.")
                                % {"node": where}))
        elif kind == "department_head" and _integer(source.get("department_id")) <= 0:
            problems.append(str(_("%(node)s: choose the department whose head approves.")
                                % {"node": where}))
        elif kind == "form_field" and kinds.get(str(source.get("field"))) != "person":
            problems.append(str(_("%(node)s: %(field)s is not a person field of the form.")
                                % {"node": where, "field": source.get("field")}))


def _integer(value: Any) -> int:
    """``value`` as a whole number, or 0 when it is not one."""
    if isinstance(value, bool):
        return 0
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return 0
    return int(number) if number.is_finite() and number == int(number) else 0


def _check_timeout(node: dict[str, Any], kinds: dict[str, str], problems: list[str]) -> None:
    timeout = node.get("timeout")
    if not timeout:
        return
    where = _where(node)
    if not isinstance(timeout, dict):
        problems.append(str(_("%(node)s: the time limit is between 1 hour and 90 days.")
                            % {"node": where}))
        return
    try:
        hours = float(timeout.get("hours") or 0)
    except (TypeError, ValueError):
        hours = 0
    if not 1 <= hours <= 24 * 90:
        problems.append(str(_("%(node)s: the time limit is between 1 hour and 90 days.")
                            % {"node": where}))
    action = timeout.get("action")
    if action not in TIMEOUT_ACTIONS:
        problems.append(str(_("%(node)s: when time runs out, remind, escalate, approve or "
                              "reject.") % {"node": where}))
    if action == "escalate":
        _check_sources(node, timeout.get("escalate_to"), kinds, problems)
