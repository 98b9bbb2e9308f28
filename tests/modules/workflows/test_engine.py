"""The pure approval state machine, driven with plain dict definitions and a fake resolver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from taihe.modules.workflows.engine import conditions
from taihe.modules.workflows.engine.machine import (
    APPROVED,
    CANCELLED,
    PENDING,
    REJECTED,
    RETURNED,
    RUNNING,
    TRANSFERRED,
    WAITING,
    WITHDRAWN,
    Effect,
    EngineError,
    State,
    add_approver,
    approve,
    cancel_approved,
    escalate,
    reject,
    resubmit,
    return_targets,
    start,
    transfer,
    withdraw,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


APPLICANT = 100


class FakeResolver:
    """People sources name ids directly; conditions read ``values`` (numbers by default)."""

    def __init__(self, *, values: dict[str, Any] | None = None,
                 kinds: dict[str, str] | None = None, admins: tuple[int, ...] = (),
                 delegates: dict[int, int] | None = None, department: int | None = None,
                 tree: dict[int, int] | None = None) -> None:
        self.values = values or {}
        self.kinds = kinds or dict.fromkeys(self.values, "number")
        self.admins = list(admins)
        self.delegates = delegates or {}
        self.department = department
        self.tree = tree or {}  # department -> parent

    def approvers(self, node: dict[str, Any]) -> list[int]:
        found: list[int] = []
        for source in node.get("approvers", []):
            if source["kind"] == "people":
                found.extend(source["ids"])
            elif source["kind"] == "applicant":
                found.append(APPLICANT)
        return found

    def administrators(self) -> list[int]:
        return self.admins

    def delegate(self, person_id: int) -> int:
        return self.delegates.get(person_id, person_id)

    def holds(self, condition: dict[str, Any]) -> bool:
        return conditions.holds(condition, self.values, self.kinds,
                                applicant_department=self.department, within=self.within)

    def within(self, department: int | None, ancestor: int) -> bool:
        while department is not None:
            if department == ancestor:
                return True
            department = self.tree.get(department)
        return False


def people(*ids: int) -> list[dict[str, Any]]:
    return [{"kind": "people", "ids": list(ids)}] if ids else []


def approval(node_id: str, *ids: int, mode: str = "sequential", **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "approval", "name": node_id.upper(), "mode": mode,
            "approvers": people(*ids), **extra}


def handler(node_id: str, *ids: int, mode: str = "any") -> dict[str, Any]:
    return {"id": node_id, "type": "handler", "name": node_id.upper(), "mode": mode,
            "approvers": people(*ids)}


def cc(node_id: str, *ids: int) -> dict[str, Any]:
    return {"id": node_id, "type": "cc", "name": node_id.upper(), "approvers": people(*ids)}


def branch(branch_id: str, *nodes: dict[str, Any], when: dict[str, Any] | None = None,
           default: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"id": branch_id, "name": branch_id, "nodes": list(nodes)}
    if default:
        found["default"] = True
    else:
        found["when"] = when or {}
    return found


def condition(node_id: str, *branches: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "type": "condition", "name": node_id, "branches": list(branches)}


def parallel(node_id: str, *branches: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "type": "parallel", "name": node_id, "branches": list(branches)}


def process(*nodes: dict[str, Any], dedup: str = "none", auto_approve_applicant: bool = False,
            on_empty: str = "skip") -> dict[str, Any]:
    return {"settings": {"dedup": dedup, "auto_approve_applicant": auto_approve_applicant,
                         "on_empty": on_empty}, "nodes": list(nodes)}


def above(amount: int) -> dict[str, Any]:
    return {"all": [{"field": "amount", "op": "gt", "value": amount}]}


def pending(state: State) -> list[tuple[str, int]]:
    return [(t.node_id, t.assignee) for t in state.tasks if t.status == PENDING]


def key_of(state: State, person: int) -> int:
    keys = [t.key for t in state.tasks if t.status == PENDING and t.assignee == person]
    assert len(keys) == 1, f"{person} has pending tasks {keys}"
    return keys[0]


def approve_as(definition: dict[str, Any], state: State, person: int,
               resolver: FakeResolver) -> list[Effect]:
    return approve(definition, state, key_of(state, person), person, resolver)


def kinds(effects: list[Effect]) -> list[str]:
    return [e.kind for e in effects]


# --- moving through a process ------------------------------------------------------------------


def test_sequential_chain_goes_approver_by_approver_then_node_by_node() -> None:
    # given a two-step process whose first step chains 1 then 2
    definition = process(approval("a", 1, 2), approval("b", 3))
    resolver = FakeResolver()
    # when it starts
    state, effects = start(definition, APPLICANT, resolver)
    # then only the first approver is asked
    assert pending(state) == [("a", 1)]
    assert [(t.assignee, t.status) for t in state.tasks] == [(1, PENDING), (2, WAITING)]
    assert kinds(effects) == ["task_pending"]
    # when 1 and then 2 approve
    approve_as(definition, state, 1, resolver)
    assert pending(state) == [("a", 2)]
    effects = approve_as(definition, state, 2, resolver)
    # then the second step opens
    assert kinds(effects) == ["node_done", "task_pending"]
    assert pending(state) == [("b", 3)]
    # and its approval finishes the request
    effects = approve_as(definition, state, 3, resolver)
    assert state.status == APPROVED
    assert effects[-1] == Effect("finished", detail=APPROVED)


@pytest.mark.parametrize(("mode", "approvals", "done_after"), [
    ("all", [1, 2, 3], 3),
    ("any", [2], 1),
    ("sequential", [1, 2, 3], 3),
])
def test_modes_need_every_or_one_approver(mode: str, approvals: list[int],
                                          done_after: int) -> None:
    # given a step with approvers 1, 2 and 3 in the given mode, then a final step by 9
    definition = process(approval("a", 1, 2, 3, mode=mode), approval("z", 9))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    # when the approvals come in
    for count, person in enumerate(approvals, start=1):
        assert ("z", 9) not in pending(state)
        approve_as(definition, state, person, resolver)
        # then the step is done exactly after the last needed one
        assert (("z", 9) in pending(state)) == (count == done_after)


def test_countersign_asks_everyone_at_once_and_waits_for_all() -> None:
    definition = process(approval("a", 1, 2, 3, mode="all"))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    assert pending(state) == [("a", 1), ("a", 2), ("a", 3)]
    approve_as(definition, state, 3, resolver)
    approve_as(definition, state, 1, resolver)
    assert state.status == RUNNING
    approve_as(definition, state, 2, resolver)
    assert state.status == APPROVED


def test_or_sign_cancels_the_others_when_one_approves() -> None:
    definition = process(approval("a", 1, 2, 3, mode="any"), approval("b", 4))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    effects = approve_as(definition, state, 2, resolver)
    assert [(t.assignee, t.status) for t in state.tasks if t.node_id == "a"] == [
        (1, CANCELLED), (2, APPROVED), (3, CANCELLED)]
    assert [e for e in effects if e.kind == "task_cancelled"] == [
        Effect("task_cancelled", node_id="a", task_key=1, people=(1,), detail="decided"),
        Effect("task_cancelled", node_id="a", task_key=3, people=(3,), detail="decided")]
    assert state.last_approvers == [2]


@pytest.mark.parametrize(("amount", "chosen", "first"), [
    (20000, "big", ("a1", 1)),
    (6000, "medium", ("a2", 2)),
    (100, "small", ("a3", 3)),
    (None, "small", ("a3", 3)),
])
def test_condition_takes_the_first_branch_that_holds_else_the_default(
        amount: int | None, chosen: str, first: tuple[str, int]) -> None:
    # given branches "> 10000", "> 5000" (also true for 20000) and a default
    definition = process(condition(
        "c",
        branch("big", approval("a1", 1), when=above(10000)),
        branch("medium", approval("a2", 2), when=above(5000)),
        branch("small", approval("a3", 3), default=True)))
    resolver = FakeResolver(values={"amount": amount})
    # when the request starts
    state, effects = start(definition, APPLICANT, resolver)
    # then the first branch that holds is taken, else the default
    assert effects[0] == Effect("branch_chosen", node_id="c", detail=chosen)
    assert pending(state) == [first]


def test_condition_on_applicant_department_within() -> None:
    # given a branch for applicants in department 2 or below (3 is under 2)
    definition = process(condition(
        "c",
        branch("lab", approval("a", 1), when={"all": [
            {"field": "$applicant.department", "op": "within", "value": 2}]}),
        branch("other", approval("b", 5), default=True)))
    inside = FakeResolver(department=3, tree={3: 2, 2: 1})
    outside = FakeResolver(department=4, tree={4: 1})
    assert pending(start(definition, APPLICANT, inside)[0]) == [("a", 1)]
    assert pending(start(definition, APPLICANT, outside)[0]) == [("b", 5)]


def test_parallel_branches_join_only_when_all_are_done() -> None:
    definition = process(
        parallel("p", branch("x", approval("x1", 1), approval("x2", 2)),
                 branch("y", approval("y1", 3))),
        approval("z", 4))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    assert pending(state) == [("x1", 1), ("y1", 3)]
    approve_as(definition, state, 3, resolver)
    assert pending(state) == [("x1", 1)]
    approve_as(definition, state, 1, resolver)
    assert pending(state) == [("x2", 2)]
    approve_as(definition, state, 2, resolver)
    assert pending(state) == [("z", 4)]


def test_cc_nodes_notify_and_the_process_goes_on() -> None:
    definition = process(cc("c1", 7, 8, 7), approval("a", 1), cc("c2", 9), cc("c3"))
    resolver = FakeResolver()
    state, effects = start(definition, APPLICANT, resolver)
    assert effects[0] == Effect("cc", node_id="c1", people=(7, 8))
    assert pending(state) == [("a", 1)]
    effects = approve_as(definition, state, 1, resolver)
    assert [e for e in effects if e.kind == "cc"] == [Effect("cc", node_id="c2", people=(9,))]
    assert state.status == APPROVED


@pytest.mark.parametrize(("mode", "marks", "done"), [
    ("any", [2], True),
    ("all", [2], False),
    ("all", [2, 1], True),
])
def test_handler_nodes_are_marked_done_by_one_or_all(mode: str, marks: list[int],
                                                      done: bool) -> None:
    definition = process(handler("h", 1, 2, mode=mode))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    assert pending(state) == [("h", 1), ("h", 2)]
    assert {t.kind for t in state.tasks} == {"handler"}
    for person in marks:
        approve_as(definition, state, person, resolver)
    assert (state.status == APPROVED) is done


def test_handler_without_mode_acts_on_any_one() -> None:
    node = handler("h", 1, 2)
    del node["mode"]
    definition = process(node)
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    assert state.status == APPROVED


def test_empty_step_is_skipped_by_default() -> None:
    definition = process(approval("a"), approval("b", 2))
    state, effects = start(definition, APPLICANT, FakeResolver(admins=(50,)))
    assert effects[0] == Effect("node_skipped", node_id="a")
    assert pending(state) == [("b", 2)]


def test_empty_step_goes_to_administrators_when_asked() -> None:
    definition = process(approval("a", on_empty="admin"), approval("b", 2))
    state, effects = start(definition, APPLICANT, FakeResolver(admins=(50, 51)))
    assert effects[0] == Effect("routed_to_admin", node_id="a", people=(50, 51))
    # the administrators are alternatives, whatever the step's own mode: any one decides
    assert pending(state) == [("a", 50), ("a", 51)]
    assert [t.added for t in state.tasks] == ["admin", "admin"]
    approve(definition, state, 2, 51, FakeResolver(admins=(50, 51)))
    assert pending(state) == [("b", 2)]
    assert state.tasks[0].status == "cancelled"


def test_empty_step_with_no_administrators_is_skipped_even_under_admin_policy() -> None:
    definition = process(approval("a"), approval("b", 2), on_empty="admin")
    state, effects = start(definition, APPLICANT, FakeResolver())
    assert effects[0] == Effect("node_skipped", node_id="a")
    assert pending(state) == [("b", 2)]


def test_applicant_in_the_chain_is_approved_automatically() -> None:
    definition = process(approval("a", APPLICANT, 2), auto_approve_applicant=True)
    state, effects = start(definition, APPLICANT, FakeResolver())
    assert effects[0] == Effect("task_auto_approved", node_id="a", task_key=1,
                                people=(APPLICANT,), detail="applicant")
    assert pending(state) == [("a", 2)]


def test_applicant_is_asked_when_auto_approval_is_off() -> None:
    definition = process(approval("a", APPLICANT, 2))
    state, _ = start(definition, APPLICANT, FakeResolver())
    assert pending(state) == [("a", APPLICANT)]


def test_process_of_only_applicant_steps_is_approved_at_once() -> None:
    definition = process(approval("a", APPLICANT), auto_approve_applicant=True)
    state, effects = start(definition, APPLICANT, FakeResolver())
    assert state.status == APPROVED
    assert kinds(effects) == ["task_auto_approved", "node_done", "finished"]


@pytest.mark.parametrize(("dedup", "expected"), [
    # steps: a (1), b (1), c (2), d (1); after 1 approves a, who still has to act?
    ("none", ["b", "c", "d"]),
    ("consecutive", ["c", "d"]),
    ("once", ["c"]),
])
def test_duplicate_approvers(dedup: str, expected: list[str]) -> None:
    definition = process(approval("a", 1), approval("b", 1), approval("c", 2),
                         approval("d", 1), dedup=dedup)
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    asked = []
    while state.status == RUNNING:
        node, person = pending(state)[0]
        asked.append(node)
        approve_as(definition, state, person, resolver)
    assert asked == ["a", *expected]
    assert {t.auto for t in state.tasks if t.node_id not in asked} <= {"duplicate"}


def test_default_settings_dedup_consecutive_and_auto_approve_applicant() -> None:
    definition = {"nodes": [approval("a", APPLICANT, 1), approval("b", 1, 2)]}
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    assert pending(state) == [("a", 1)]
    approve_as(definition, state, 1, resolver)
    assert pending(state) == [("b", 2)]
    assert [t.auto for t in state.tasks] == ["applicant", "", "duplicate", ""]


def test_delegation_gives_the_task_to_the_delegate() -> None:
    definition = process(approval("a", 1, 2, mode="all"))
    resolver = FakeResolver(delegates={1: 5, 2: 5})
    state, _ = start(definition, APPLICANT, resolver)
    # 1 and 2 both delegated to 5: one task, for 5 on behalf of 1
    assert [(t.assignee, t.delegated_from) for t in state.tasks] == [(5, 1)]
    approve_as(definition, state, 5, resolver)
    assert state.status == APPROVED


def test_delegate_already_named_keeps_their_own_task() -> None:
    definition = process(approval("a", 5, 1, mode="all"))
    state, _ = start(definition, APPLICANT, FakeResolver(delegates={1: 5}))
    assert [(t.assignee, t.delegated_from) for t in state.tasks] == [(5, None)]


# --- transfer and adding approvers --------------------------------------------------------


def test_transfer_hands_the_task_over_in_place() -> None:
    definition = process(approval("a", 1, 2))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    effects = transfer(definition, state, 1, 1, 7, resolver)
    assert effects == [Effect("task_pending", node_id="a", task_key=3, people=(7,))]
    assert [(t.key, t.assignee, t.status, t.after, t.added, t.origin) for t in state.tasks] == [
        (1, 1, TRANSFERRED, None, "", None),
        (2, 2, WAITING, 3, "", None),
        (3, 7, PENDING, None, "transfer", 1)]
    approve_as(definition, state, 7, resolver)
    assert pending(state) == [("a", 2)]


def test_a_task_cannot_be_transferred_to_the_applicant() -> None:
    definition = process(approval("a", 1), auto_approve_applicant=True)
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    with pytest.raises(EngineError) as refused:
        transfer(definition, state, 1, 1, APPLICANT, resolver)
    assert refused.value.code == "applicant"
    assert pending(state) == [("a", 1)]


@pytest.mark.parametrize(("mode", "position", "order"), [
    # who acts, in turn, after 1 adds 9 (2 is the other approver)
    ("sequential", "before", [[9], [1], [2]]),
    ("sequential", "after", [[9], [2]]),
    ("all", "before", [[9, 2], [1]]),
    ("all", "after", [[2, 9]]),
])
def test_add_approver_in_sequential_and_countersign(mode: str, position: str,
                                                    order: list[list[int]]) -> None:
    definition = process(approval("a", 1, 2, mode=mode), approval("z", 30))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    add_approver(definition, state, 1, 1, 9, position, resolver)
    new = state.tasks[-1]
    assert (new.assignee, new.added, new.origin) == (9, position, 1)
    for group in order:
        assert sorted(p for n, p in pending(state) if n == "a") == sorted(group)
        for person in group:
            approve_as(definition, state, person, resolver)
    assert pending(state) == [("z", 30)]


def test_add_after_in_or_sign_keeps_the_node_open_until_the_added_one_approves() -> None:
    definition = process(approval("a", 1, 2, mode="any"), approval("z", 30))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    add_approver(definition, state, 1, 1, 9, "after", resolver)
    assert pending(state) == [("a", 2), ("a", 9)]
    approve_as(definition, state, 9, resolver)
    assert pending(state) == [("z", 30)]
    assert state.tasks[1].status == CANCELLED


def test_add_before_in_or_sign_puts_the_actor_back_to_waiting() -> None:
    definition = process(approval("a", 1, 2, mode="any"), approval("z", 30))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    add_approver(definition, state, 1, 1, 9, "before", resolver)
    assert pending(state) == [("a", 2), ("a", 9)]
    approve_as(definition, state, 9, resolver)
    # 9's approval hands back to 1; it does not decide the node
    assert pending(state) == [("a", 1), ("a", 2)]
    approve_as(definition, state, 1, resolver)
    assert pending(state) == [("z", 30)]


@pytest.mark.parametrize("position", ["before", "after"])
def test_the_applicant_cannot_be_added_as_an_approver(position: str) -> None:
    definition = process(approval("a", 1), auto_approve_applicant=True)
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    with pytest.raises(EngineError) as refused:
        add_approver(definition, state, 1, 1, APPLICANT, position, resolver)
    assert refused.value.code == "applicant"
    assert pending(state) == [("a", 1)]


# --- rejecting and returning ----------------------------------------------------------------


def test_reject_to_end_finishes_the_request() -> None:
    definition = process(approval("a", 1, 2, mode="all"))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    effects = reject(definition, state, 1, 1, resolver)
    assert state.status == REJECTED
    assert [t.status for t in state.tasks] == [REJECTED, CANCELLED]
    assert effects == [
        Effect("task_cancelled", node_id="a", task_key=2, people=(2,), detail=REJECTED),
        Effect("finished", detail=REJECTED)]


def test_reject_to_applicant_returns_and_resubmit_starts_a_new_round() -> None:
    definition = process(approval("a", 1), approval("b", 2))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    reject(definition, state, 2, 2, resolver, to="applicant")
    assert state.status == RETURNED
    assert pending(state) == []
    effects = resubmit(definition, state, APPLICANT, resolver)
    assert (state.status, state.round) == (RUNNING, 2)
    assert effects == [Effect("task_pending", node_id="a", task_key=3, people=(1,))]
    assert [t.superseded for t in state.tasks] == [True, True, False]
    assert state.tasks[2].round == 2


def test_reject_to_an_earlier_node_runs_it_again() -> None:
    definition = process(approval("a", 1), approval("b", 2), approval("c", 3))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    approve_as(definition, state, 2, resolver)
    key = key_of(state, 3)
    assert return_targets(definition, state, key) == ["a", "b"]
    effects = reject(definition, state, key, 3, resolver, to="a")
    assert state.status == RUNNING
    assert pending(state) == [("a", 1)]
    assert Effect("returned_to_node", node_id="a", task_key=key) in effects
    assert [(t.node_id, t.status, t.superseded) for t in state.tasks] == [
        ("a", APPROVED, True), ("b", APPROVED, True), ("c", REJECTED, True),
        ("a", PENDING, False)]
    # then b and c are asked again
    approve_as(definition, state, 1, resolver)
    assert pending(state) == [("b", 2)]


def test_return_targets_skip_skipped_nodes_and_handlers_count() -> None:
    definition = process(approval("a", 1), approval("empty"), handler("h", 2), cc("cc", 9),
                         approval("c", 3))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    approve_as(definition, state, 2, resolver)
    assert return_targets(definition, state, key_of(state, 3)) == ["a", "h"]


def test_return_inside_a_condition_branch() -> None:
    definition = process(
        approval("a", 1),
        condition("c", branch("big", approval("b1", 2), approval("b2", 3), when=above(10)),
                  branch("else", approval("e1", 4), default=True)),
        approval("z", 5))
    resolver = FakeResolver(values={"amount": 50})
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    approve_as(definition, state, 2, resolver)
    key = key_of(state, 3)
    assert return_targets(definition, state, key) == ["a", "b1"]
    reject(definition, state, key, 3, resolver, to="b1")
    assert pending(state) == [("b1", 2)]
    approve_as(definition, state, 2, resolver)
    approve_as(definition, state, 3, resolver)
    # from after the condition, its nodes can be targets too
    key = key_of(state, 5)
    assert return_targets(definition, state, key) == ["a", "b1", "b2"]
    reject(definition, state, key, 5, resolver, to="b2")
    assert pending(state) == [("b2", 3)]
    approve_as(definition, state, 3, resolver)
    assert pending(state) == [("z", 5)]


def test_return_before_a_condition_chooses_the_branch_again() -> None:
    definition = process(
        approval("a", 1),
        condition("c", branch("big", approval("b1", 2), when=above(10)),
                  branch("else", approval("e1", 4), default=True)))
    resolver = FakeResolver(values={"amount": 50})
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    resolver.values["amount"] = 5
    reject(definition, state, key_of(state, 2), 2, resolver, to="a")
    approve_as(definition, state, 1, resolver)
    assert pending(state) == [("e1", 4)]


def test_return_across_and_into_a_parallel_block() -> None:
    definition = process(
        approval("a", 1),
        parallel("p", branch("x", approval("x1", 2), approval("x2", 3)),
                 branch("y", approval("y1", 4))),
        approval("z", 5))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    # inside a branch, targets are earlier nodes of the same branch and before the block
    approve_as(definition, state, 2, resolver)
    assert return_targets(definition, state, key_of(state, 3)) == ["a", "x1"]
    assert return_targets(definition, state, key_of(state, 4)) == ["a"]
    # returning inside branch x leaves branch y running
    reject(definition, state, key_of(state, 3), 3, resolver, to="x1")
    assert pending(state) == [("y1", 4), ("x1", 2)]
    for person in (4, 2, 3):
        approve_as(definition, state, person, resolver)
    key = key_of(state, 5)
    assert return_targets(definition, state, key) == ["a", "x1", "x2", "y1"]
    # from after the block, returning into branch y runs only that branch again
    reject(definition, state, key, 5, resolver, to="y1")
    assert pending(state) == [("y1", 4)]
    approve_as(definition, state, 4, resolver)
    assert pending(state) == [("z", 5)]
    approve_as(definition, state, 5, resolver)
    assert state.status == APPROVED


def test_return_to_before_a_parallel_block_cancels_both_branches() -> None:
    definition = process(
        approval("a", 1),
        parallel("p", branch("x", approval("x1", 2)), branch("y", approval("y1", 4))))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    reject(definition, state, key_of(state, 2), 2, resolver, to="a")
    assert pending(state) == [("a", 1)]
    assert [t.status for t in state.tasks if t.node_id == "y1"] == [CANCELLED]


def test_return_into_a_branch_of_a_node_whose_id_has_a_colon() -> None:
    definition = process(
        parallel("p:1", branch("x", approval("x1", 2)), branch("y", approval("y1", 4))),
        approval("z", 5))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 2, resolver)
    approve_as(definition, state, 4, resolver)
    reject(definition, state, key_of(state, 5), 5, resolver, to="x1")
    assert pending(state) == [("x1", 2)]


def test_withdraw_cancels_open_tasks() -> None:
    definition = process(approval("a", 1, 2, mode="all"))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    effects = withdraw(state, APPLICANT)
    assert state.status == WITHDRAWN
    assert kinds(effects) == ["task_cancelled", "task_cancelled", "finished"]
    assert pending(state) == []


def test_withdraw_a_returned_request() -> None:
    definition = process(approval("a", 1))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    reject(definition, state, 1, 1, resolver, to="applicant")
    assert withdraw(state, APPLICANT) == [Effect("finished", detail=WITHDRAWN)]


def test_cancel_approved() -> None:
    definition = process(approval("a", 1))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    assert cancel_approved(state) == [Effect("finished", detail="cancelled")]
    assert state.status == "cancelled"


def test_escalate_moves_the_pending_task() -> None:
    definition = process(approval("a", 1, 2))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    effects = escalate(definition, state, 1, 8, resolver)
    assert effects == [Effect("task_pending", node_id="a", task_key=3, people=(8,))]
    assert (state.tasks[0].status, state.tasks[2].added, state.tasks[1].after) == (
        TRANSFERRED, "escalation", 3)


def test_escalate_to_a_previous_approver_is_not_auto_approved() -> None:
    definition = process(approval("a", 8), approval("b", 1), dedup="consecutive")
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 8, resolver)
    escalate(definition, state, key_of(state, 1), 8, resolver)
    assert pending(state) == [("b", 8)]


@pytest.mark.parametrize("case", ["done", "someone_there", "finished"])
def test_escalate_does_nothing_when_it_cannot(case: str) -> None:
    definition = process(approval("a", 1, 2, mode="all"))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    target = 8
    if case == "done":
        approve_as(definition, state, 1, resolver)
    elif case == "someone_there":
        target = 2
    else:
        withdraw(state, APPLICANT)
    before = state.to_json()
    assert escalate(definition, state, 1, target, resolver) == []
    assert state.to_json() == before


# --- refusals ---------------------------------------------------------------------------------


def _two_step() -> tuple[dict[str, Any], State, FakeResolver]:
    definition = process(approval("a", 1, 2, mode="all"), approval("b", 3))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    return definition, state, resolver


@pytest.mark.parametrize(("action", "code", "message"), [
    (lambda d, s, r: approve(d, s, 1, 2, r), "not_assignee",
     "This task is assigned to someone else."),
    (lambda d, s, r: approve(d, s, 5, 3, r), "no_task", "This request has no such task."),
    (lambda d, s, r: (approve(d, s, 1, 1, r), approve(d, s, 1, 1, r)), "not_pending",
     "This task has already been dealt with."),
    (lambda d, s, r: (withdraw(s, APPLICANT), approve(d, s, 1, 1, r)), "not_running",
     "This request is no longer waiting for approval."),
    (lambda d, s, r: transfer(d, s, 1, 1, 1, r), "self_transfer",
     "You cannot transfer a task to yourself."),
    (lambda d, s, r: transfer(d, s, 1, 1, 2, r), "already_on_node",
     "That person already has a task at this step."),
    (lambda d, s, r: add_approver(d, s, 1, 1, 2, "after", r), "already_on_node",
     "That person already has a task at this step."),
    (lambda d, s, r: add_approver(d, s, 1, 1, 1, "after", r), "self_add",
     "You are already an approver at this step."),
    (lambda d, s, r: add_approver(d, s, 1, 1, 9, "later", r), "bad_position",
     "Add the approver before or after you."),
    (lambda d, s, r: reject(d, s, 1, 1, r, to="b"), "bad_return_target",
     "The request cannot be returned to that step."),
    (lambda d, s, r: reject(d, s, 1, 1, r, to="a"), "bad_return_target",
     "The request cannot be returned to that step."),
    (lambda d, s, r: withdraw(s, 1), "not_applicant",
     "Only the applicant can withdraw a request."),
    (lambda d, s, r: (withdraw(s, APPLICANT), withdraw(s, APPLICANT)), "not_withdrawable",
     "Only a pending or returned request can be withdrawn."),
    (lambda d, s, r: resubmit(d, s, APPLICANT, r), "not_returned",
     "Only a returned request can be resubmitted."),
    (lambda d, s, r: resubmit(d, s, 1, r), "not_applicant",
     "Only the applicant can resubmit a request."),
    (lambda d, s, r: cancel_approved(s), "not_approved",
     "Only an approved request can be cancelled."),
])
def test_refused_actions_say_why_and_change_nothing(action: Any, code: str,
                                                    message: str) -> None:
    definition, state, resolver = _two_step()
    with pytest.raises(EngineError) as raised:
        action(definition, state, resolver)
    assert (raised.value.code, str(raised.value.message)) == (code, message)


@pytest.mark.parametrize(("action", "code"), [
    (lambda d, s, r: transfer(d, s, 1, 1, 2, r), "already_on_node"),
    (lambda d, s, r: add_approver(d, s, 1, 1, 2, "before", r), "already_on_node"),
    (lambda d, s, r: reject(d, s, 1, 1, r, to="nowhere"), "bad_return_target"),
    (lambda d, s, r: approve(d, s, 1, 2, r), "not_assignee"),
])
def test_refusal_leaves_the_state_untouched(action: Any, code: str) -> None:
    definition, state, resolver = _two_step()
    before = state.to_json()
    with pytest.raises(EngineError) as raised:
        action(definition, state, resolver)
    assert raised.value.code == code
    assert state.to_json() == before


def test_handler_tasks_cannot_get_added_approvers() -> None:
    definition = process(handler("h", 1))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    with pytest.raises(EngineError) as raised:
        add_approver(definition, state, 1, 1, 2, "after", resolver)
    assert (raised.value.code, str(raised.value.message)) == (
        "not_approval", "Approvers can only be added at approval steps.")


def test_unknown_node_type_is_a_definition_error() -> None:
    with pytest.raises(EngineError) as raised:
        start({"nodes": [{"id": "x", "type": "timer"}]}, APPLICANT, FakeResolver())
    assert (raised.value.code, str(raised.value.message)) == (
        "bad_definition", "Unknown node type timer.")


# --- persistence ------------------------------------------------------------------------------


def test_state_round_trips_through_json() -> None:
    definition = process(
        approval("a", 1),
        parallel("p", branch("x", approval("x1", 2)), branch("y", approval("y1", 3))))
    resolver = FakeResolver()
    state, _ = start(definition, APPLICANT, resolver)
    approve_as(definition, state, 1, resolver)
    data = state.to_json()
    copy = State.from_json(data)
    assert copy == state
    # the copy goes on exactly like the original and does not share the stored JSON
    approve_as(definition, copy, 2, resolver)
    assert data == state.to_json()
    assert pending(copy) == [("y1", 3)]
    approve_as(definition, state, 2, resolver)
    assert copy.to_json() == state.to_json()
