"""Properties of the approval engine over random valid definitions and random actions."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taihe.modules.workflows.engine import conditions
from taihe.modules.workflows.engine.definition import validate
from taihe.modules.workflows.engine.machine import (
    APPROVED,
    FINAL_STATUSES,
    OPEN_TASK,
    PENDING,
    RETURNED,
    RUNNING,
    Effect,
    State,
    add_approver,
    approve,
    cancel_approved,
    reject,
    resubmit,
    return_targets,
    start,
    transfer,
    withdraw,
)

APPLICANT = 1
POOL = (1, 2, 3, 4, 5, 6)
ROLES = {"nobody": [], "pair": [2, 3], "everyone": list(POOL)}
KINDS = {"amount": "number"}

Draw = Callable[[st.SearchStrategy[Any]], Any]


class Resolver:
    def __init__(self, amount: int, delegates: dict[int, int], admins: list[int]) -> None:
        self.amount = amount
        self.delegates = delegates
        self.admins = admins

    def approvers(self, node: dict[str, Any]) -> list[int]:
        found: list[int] = []
        for source in node.get("approvers", []):
            if source["kind"] == "people":
                found.extend(source["ids"])
            elif source["kind"] == "role":
                found.extend(ROLES[source["code"]])
            elif source["kind"] == "applicant":
                found.append(APPLICANT)
        return found

    def administrators(self) -> list[int]:
        return self.admins

    def delegate(self, person_id: int) -> int:
        return self.delegates.get(person_id, person_id)

    def holds(self, condition: dict[str, Any]) -> bool:
        return conditions.holds(condition, {"amount": self.amount}, KINDS,
                                applicant_department=None, within=lambda a, b: a == b)


# --- random valid definitions -------------------------------------------------------------


def _sources(draw: Draw) -> list[dict[str, Any]]:
    choice = draw(st.sampled_from(["people", "people", "people", "role", "applicant", "mix"]))
    if choice == "people":
        return [{"kind": "people",
                 "ids": draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=4))}]
    if choice == "role":
        return [{"kind": "role", "code": draw(st.sampled_from(sorted(ROLES)))}]
    if choice == "applicant":
        return [{"kind": "applicant"}]
    return [{"kind": "role", "code": draw(st.sampled_from(sorted(ROLES)))},
            {"kind": "people", "ids": draw(st.lists(st.sampled_from(POOL), min_size=1,
                                                    max_size=3))}]


def _node(draw: Draw, depth: int, ids: Iterator[int]) -> dict[str, Any]:
    kinds = ["approval", "approval", "handler", "cc"]
    if depth < 3:
        kinds += ["condition", "parallel"]
    kind = draw(st.sampled_from(kinds))
    node_id = f"n{next(ids)}"
    node: dict[str, Any] = {"id": node_id, "type": kind, "name": node_id.upper()}
    if kind in ("approval", "handler", "cc"):
        node["approvers"] = _sources(draw)
    if kind == "approval":
        node["mode"] = draw(st.sampled_from(["sequential", "all", "any"]))
    if kind == "handler":
        node["mode"] = draw(st.sampled_from(["all", "any"]))
    if kind in ("approval", "handler"):
        if draw(st.booleans()):
            node["on_empty"] = draw(st.sampled_from(["skip", "admin"]))
        if draw(st.integers(0, 3)) == 0:
            node["timeout"] = {"hours": draw(st.integers(1, 72)),
                               "action": draw(st.sampled_from(["remind", "approve"]))}
    if kind == "condition":
        limits = draw(st.lists(st.integers(0, 100), min_size=1, max_size=3, unique=True))
        node["branches"] = [
            {"id": f"b{index}", "name": f"over {limit}",
             "when": {"all": [{"field": "amount", "op": "gt", "value": limit}]},
             "nodes": _sequence(draw, depth + 1, ids, min_size=0)}
            for index, limit in enumerate(sorted(limits, reverse=True))]
        node["branches"].append({"id": "else", "name": "else", "default": True,
                                 "nodes": _sequence(draw, depth + 1, ids, min_size=0)})
    if kind == "parallel":
        node["branches"] = [{"id": f"p{index}", "name": f"lane {index}",
                             "nodes": _sequence(draw, depth + 1, ids, min_size=1)}
                            for index in range(draw(st.integers(2, 3)))]
    return node


def _sequence(draw: Draw, depth: int, ids: Iterator[int], *,
              min_size: int) -> list[dict[str, Any]]:
    size = draw(st.integers(min_size, 3 if depth < 2 else 2))
    return [_node(draw, depth, ids) for _ in range(size)]


@st.composite
def definitions(draw: Draw) -> dict[str, Any]:
    ids = itertools.count(1)
    nodes = _sequence(draw, 1, ids, min_size=0)
    # a process needs one acting step on every path: put one at a random top-level place
    anchor = {"id": "anchor", "type": draw(st.sampled_from(["approval", "handler"])),
              "name": "Anchor", "mode": "any", "approvers": _sources(draw)}
    nodes.insert(draw(st.integers(0, len(nodes))), anchor)
    return {"settings": {"dedup": draw(st.sampled_from(["none", "consecutive", "once"])),
                         "auto_approve_applicant": draw(st.booleans()),
                         "on_empty": draw(st.sampled_from(["skip", "admin"]))},
            "nodes": nodes}


@st.composite
def resolvers(draw: Draw) -> Resolver:
    delegates = draw(st.dictionaries(st.sampled_from(POOL), st.sampled_from(POOL), max_size=2))
    admins = draw(st.lists(st.sampled_from(POOL), max_size=2, unique=True))
    return Resolver(draw(st.integers(0, 120)), delegates, admins)


# --- invariants ---------------------------------------------------------------------------


def _modes(definition: dict[str, Any]) -> dict[str, str]:
    found = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node["type"] == "approval":
                found[node["id"]] = node.get("mode", "sequential")
            elif node["type"] == "handler":
                found[node["id"]] = node.get("mode", "any")
            for branch in node.get("branches", []):
                walk(branch["nodes"])

    walk(definition["nodes"])
    return found


def check_invariants(definition: dict[str, Any], state: State, effects: list[Effect]) -> None:
    by_activation = defaultdict(list)
    for task in state.tasks:
        by_activation[task.activation].append(task)
    # (c) nobody holds two live tasks at one activation of a node
    for tasks in by_activation.values():
        live = [t.assignee for t in tasks if t.is_live]
        assert len(live) == len(set(live)), tasks
    # (d) how nodes complete
    modes = _modes(definition)
    for effect in effects:
        if effect.kind != "node_done":
            continue
        activation = max(t.activation for t in state.tasks if t.node_id == effect.node_id)
        tasks = [t for t in by_activation[activation] if t.is_live]
        if modes[effect.node_id] == "any":
            assert any(t.status == APPROVED for t in tasks), tasks
            assert not any(t.is_open for t in by_activation[activation]), tasks
        else:
            assert tasks and all(t.status == APPROVED for t in tasks), tasks
    for tasks in by_activation.values():
        if modes[tasks[0].node_id] == "any":
            decided = any(t.status == APPROVED and not any(
                o.after == t.key and o.is_live for o in tasks) for t in tasks if t.is_live)
            if decided:
                assert not any(t.is_open for t in tasks), tasks
    # (e) open tasks only while running; (a) a running request always waits for someone
    if state.status == RUNNING:
        assert any(t.status == PENDING for t in state.tasks), state
    else:
        assert not any(t.status in OPEN_TASK for t in state.tasks), state


def drive_approvals(definition: dict[str, Any], state: State, resolver: Resolver,
                    pick: Callable[[list[Any]], Any]) -> None:
    for _ in range(500):
        if state.status != RUNNING:
            return
        task = pick([t for t in state.tasks if t.status == PENDING])
        effects = approve(definition, state, task.key, task.assignee, resolver)
        check_invariants(definition, state, effects)
    raise AssertionError("approvals did not finish the request")


# --- properties ---------------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(definitions())
def test_every_generated_definition_is_valid(definition: dict[str, Any]) -> None:
    assert validate(definition, KINDS) == []


@FAST
@given(definitions(), resolvers(), st.data())
def test_approving_everything_always_ends_approved(definition: dict[str, Any],
                                                  resolver: Resolver, data: st.DataObject) -> None:
    state, effects = start(definition, APPLICANT, resolver)
    check_invariants(definition, state, effects)
    drive_approvals(definition, state, resolver, lambda tasks: data.draw(st.sampled_from(tasks)))
    assert state.status == APPROVED


def legal_actions(definition: dict[str, Any], state: State,
                  resolver: Resolver) -> list[tuple[str, Callable[[], list[Effect]]]]:
    actions: list[tuple[str, Callable[[], list[Effect]]]] = []
    if state.status in (RUNNING, RETURNED):
        actions.append(("withdraw", lambda: withdraw(state, APPLICANT)))
    if state.status == RETURNED:
        actions.append(("resubmit", lambda: resubmit(definition, state, APPLICANT, resolver)))
    if state.status != RUNNING:
        return actions
    for task in [t for t in state.tasks if t.status == PENDING]:
        key, actor = task.key, task.assignee
        actions.append(("approve", lambda k=key, a=actor: approve(definition, state, k, a,
                                                                  resolver)))
        for target in ["end", "applicant", *return_targets(definition, state, key)]:
            actions.append(("reject", lambda k=key, a=actor, to=target: reject(
                definition, state, k, a, resolver, to=to)))
        taken = {t.assignee for t in state.tasks if t.activation == task.activation and t.is_live}
        for person in [p for p in POOL if p not in taken and p != APPLICANT]:
            actions.append(("transfer", lambda k=key, a=actor, p=person: transfer(
                definition, state, k, a, p, resolver)))
            if task.kind == "approval":
                for position in ("before", "after"):
                    actions.append(("add", lambda k=key, a=actor, p=person, w=position:
                                    add_approver(definition, state, k, a, p, w, resolver)))
    return actions


@FAST
@given(definitions(), resolvers(), st.data())
def test_random_actions_then_approvals_end_in_a_final_status(
        definition: dict[str, Any], resolver: Resolver, data: st.DataObject) -> None:
    state, effects = start(definition, APPLICANT, resolver)
    check_invariants(definition, state, effects)
    for _ in range(data.draw(st.integers(0, 25), label="random steps")):
        actions = legal_actions(definition, state, resolver)
        if not actions:
            break
        _name, act = data.draw(st.sampled_from(actions), label="action")
        effects = act()
        check_invariants(definition, state, effects)
        # a round trip through JSON changes nothing the engine relies on
        state = _reloaded(state)
    if state.status == RETURNED:
        if data.draw(st.booleans(), label="resubmit"):
            check_invariants(definition, state, resubmit(definition, state, APPLICANT, resolver))
        else:
            check_invariants(definition, state, withdraw(state, APPLICANT))
    drive_approvals(definition, state, resolver, lambda tasks: tasks[0])
    if state.status == APPROVED and data.draw(st.booleans(), label="cancel"):
        cancel_approved(state)
    assert state.status in FINAL_STATUSES


def _reloaded(state: State) -> State:
    copy = State.from_json(state.to_json())
    assert copy == state
    return copy
