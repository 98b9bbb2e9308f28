"""The state machine.

A process is a sequence of nodes; condition nodes choose one branch (a sequence) and
parallel nodes run every branch and join when all are done, so a definition is a tree and
a running request is a cursor into it: for each sequence the index it has reached and the
state of the node there. Approval and handler nodes keep their progress in tasks, one per
approver and activation.

Approval modes (workplace.md §2): ``sequential`` (依次) chains the approvers, ``all``
(会签) needs every one, ``any`` (或签) needs one. Adding an approver (加签) and transferring
(转交) rewrite the chain through ``Task.after``, the task that must be approved before this
one becomes pending, so the three modes and both actions share one rule: a node is done when
every live task is approved (``sequential``, ``all``) or when an approved task ends a chain
(``any``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

RUNNING = "running"
APPROVED = "approved"
REJECTED = "rejected"
RETURNED = "returned"
WITHDRAWN = "withdrawn"
CANCELLED = "cancelled"
FINAL_STATUSES = frozenset({APPROVED, REJECTED, WITHDRAWN, CANCELLED})

WAITING = "waiting"
PENDING = "pending"
TRANSFERRED = "transferred"
OPEN_TASK = frozenset({WAITING, PENDING})

ACTING_NODES = frozenset({"approval", "handler"})


class EngineError(Exception):
    """An action that the request's state does not allow. ``code`` is stable for clients."""

    def __init__(self, code: str, message: Any) -> None:
        self.code = code
        self.message = message
        super().__init__(str(message))


class Resolver(Protocol):
    """What the engine asks of the world outside it."""

    def approvers(self, node: dict[str, Any]) -> list[int]:
        """The people a node's ``approvers`` (or a CC node's ``recipients``) name, in order."""

    def administrators(self) -> list[int]:
        """Who receives a node that found no approver, when the policy is ``admin``."""

    def delegate(self, person_id: int) -> int:
        """Who acts for ``person_id`` now (themself unless they delegated while away)."""

    def holds(self, condition: dict[str, Any]) -> bool:
        """Whether a branch condition holds for this request's form and applicant."""


@dataclass
class Task:
    key: int
    node_id: str
    kind: str
    activation: int
    round: int
    assignee: int
    status: str = WAITING
    after: int | None = None
    auto: str = ""
    added: str = ""
    origin: int | None = None
    delegated_from: int | None = None
    superseded: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK

    @property
    def is_live(self) -> bool:
        return self.status not in (CANCELLED, TRANSFERRED)


@dataclass
class Effect:
    """Something the service must record or tell people about.

    kinds: ``task_pending``, ``task_auto_approved``, ``task_cancelled``, ``node_skipped``,
    ``routed_to_admin``, ``branch_chosen``, ``cc``, ``node_done``, ``returned_to_node``,
    ``finished`` (``detail`` is the request's new status).
    """

    kind: str
    node_id: str = ""
    task_key: int | None = None
    people: tuple[int, ...] = ()
    detail: str = ""


@dataclass
class State:
    applicant: int
    status: str = RUNNING
    round: int = 1
    cursor: dict[str, Any] = field(default_factory=lambda: {"at": 0, "node": None})
    tasks: list[Task] = field(default_factory=list)
    next_key: int = 1
    next_activation: int = 1
    last_approvers: list[int] = field(default_factory=list)

    def task(self, key: int) -> Task:
        for task in self.tasks:
            if task.key == key:
                return task
        raise EngineError("no_task", _("This request has no such task."))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        values = copy.deepcopy(dict(data))
        values["tasks"] = [Task(**task) for task in values.get("tasks", [])]
        return cls(**values)


# --- the definition as a tree --------------------------------------------------------------

Path = tuple[tuple[str, int], ...]


def _walk(nodes: list[dict[str, Any]], container: str,
          prefix: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    for index, node in enumerate(nodes):
        path = (*prefix, (container, index))
        yield node, path
        for branch in node.get("branches", ()):
            yield from _walk(branch.get("nodes", []), f"{node['id']}:{branch['id']}", path)


def paths(definition: dict[str, Any]) -> dict[str, tuple[dict[str, Any], Path]]:
    """Every node by id, with its path: (sequence, index) pairs from the root down."""
    return {node["id"]: (node, path) for node, path in _walk(definition["nodes"], "", ())}


def _mode(node: dict[str, Any]) -> str:
    """An acting node's mode: approvals default to ``sequential``, handlers (never
    sequential) to ``any``."""
    if node["type"] == "handler":
        return "all" if node.get("mode") == "all" else "any"
    return str(node.get("mode") or "sequential")


def _settings(definition: dict[str, Any]) -> dict[str, Any]:
    return {"dedup": "consecutive", "auto_approve_applicant": True, "on_empty": "skip",
            **definition.get("settings", {})}


class _Run:
    """One call's working context."""

    def __init__(self, definition: dict[str, Any], state: State, resolver: Resolver) -> None:
        self.definition = definition
        self.settings = _settings(definition)
        self.state = state
        self.resolver = resolver
        self.effects: list[Effect] = []

    def emit(self, kind: str, **values: Any) -> None:
        self.effects.append(Effect(kind, **values))

    def activation_tasks(self, activation: int) -> list[Task]:
        return [t for t in self.state.tasks if t.activation == activation]

    # -- moving the cursor --

    def advance(self) -> None:
        if self.state.status != RUNNING:
            return
        if self.run_sequence(self.definition["nodes"], self.state.cursor):
            self.finish(APPROVED)

    def finish(self, status: str) -> None:
        self.state.status = status
        for task in self.state.tasks:
            if task.is_open:
                task.status = CANCELLED
                self.emit("task_cancelled", node_id=task.node_id, task_key=task.key,
                          people=(task.assignee,), detail=status)
        self.emit("finished", detail=status)

    def run_sequence(self, nodes: list[dict[str, Any]], sequence: dict[str, Any]) -> bool:
        while sequence["at"] < len(nodes):
            node = nodes[sequence["at"]]
            if sequence.get("node") is None:
                sequence["node"] = self.enter(node)
            if not self.step(node, sequence["node"]):
                return False
            sequence["at"] += 1
            sequence["node"] = None
        return True

    def enter(self, node: dict[str, Any]) -> dict[str, Any]:
        kind = node["type"]
        if kind in ACTING_NODES:
            return self.enter_acting(node)
        if kind == "cc":
            people = tuple(dict.fromkeys(self.resolver.approvers(node)))
            if people:
                self.emit("cc", node_id=node["id"], people=people)
            return {"done": True}
        if kind == "condition":
            chosen = next((b for b in node["branches"]
                           if not b.get("default") and self.resolver.holds(b.get("when") or {})),
                          None)
            if chosen is None:
                chosen = next(b for b in node["branches"] if b.get("default"))
            self.emit("branch_chosen", node_id=node["id"], detail=chosen["id"])
            return {"branch": chosen["id"], "seq": {"at": 0, "node": None}}
        if kind == "parallel":
            return {"branches": {b["id"]: {"at": 0, "node": None} for b in node["branches"]}}
        raise EngineError("bad_definition", _("Unknown node type %(type)s.") % {"type": kind})

    def enter_acting(self, node: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        activation = state.next_activation
        state.next_activation += 1
        named = list(dict.fromkeys(self.resolver.approvers(node)))
        added = ""
        if not named:
            policy = node.get("on_empty") or self.settings["on_empty"]
            if policy == "admin":
                named = list(dict.fromkeys(self.resolver.administrators()))
                added = "admin"
            if not named:
                self.emit("node_skipped", node_id=node["id"])
                return {"activation": activation, "skipped": True}
            self.emit("routed_to_admin", node_id=node["id"], people=tuple(named))
        people: dict[int, int | None] = {}
        for person in named:
            acting = self.resolver.delegate(person)
            if acting not in people:
                people[acting] = person if acting != person else None
        # Administrators standing in for a missing approver are alternatives: any one decides.
        sequential = _mode(node) == "sequential" and added != "admin"
        previous: int | None = None
        for acting, original in people.items():
            task = Task(key=state.next_key, node_id=node["id"], kind=node["type"],
                        activation=activation, round=state.round, assignee=acting,
                        after=previous if sequential else None, added=added,
                        delegated_from=original)
            state.next_key += 1
            state.tasks.append(task)
            if sequential:
                previous = task.key
        return {"activation": activation}

    def step(self, node: dict[str, Any], node_state: dict[str, Any]) -> bool:
        kind = node["type"]
        if kind in ACTING_NODES:
            return self.step_acting(node, node_state)
        if kind == "cc":
            return True
        if kind == "condition":
            branch = next(b for b in node["branches"] if b["id"] == node_state["branch"])
            return self.run_sequence(branch.get("nodes", []), node_state["seq"])
        if kind == "parallel":
            done = [self.run_sequence(b.get("nodes", []), node_state["branches"][b["id"]])
                    for b in node["branches"]]
            return all(done)
        return True

    def step_acting(self, node: dict[str, Any], node_state: dict[str, Any]) -> bool:
        if node_state.get("skipped"):
            return True
        tasks = self.activation_tasks(node_state["activation"])
        by_key = {t.key: t for t in tasks}
        changed = True
        while changed:
            changed = False
            for task in tasks:
                if task.status == WAITING and (task.after is None
                                               or by_key[task.after].status == APPROVED):
                    self.make_pending(task)
                    changed = True
        live = [t for t in tasks if t.is_live]
        if _mode(node) == "any" or any(t.added == "admin" for t in tasks):
            finished = any(t.status == APPROVED and not any(
                o.after == t.key and o.is_live for o in live) for t in live)
        else:
            finished = bool(live) and all(t.status == APPROVED for t in live)
        if not finished:
            return False
        for task in live:
            if task.is_open:
                task.status = CANCELLED
                self.emit("task_cancelled", node_id=task.node_id, task_key=task.key,
                          people=(task.assignee,), detail="decided")
        if node["type"] == "approval":
            self.state.last_approvers = [t.assignee for t in live if t.status == APPROVED]
        self.emit("node_done", node_id=node["id"])
        return True

    def make_pending(self, task: Task) -> None:
        task.status = PENDING
        reason = self.auto_reason(task)
        if reason:
            task.status = APPROVED
            task.auto = reason
            self.emit("task_auto_approved", node_id=task.node_id, task_key=task.key,
                      people=(task.assignee,), detail=reason)
        else:
            self.emit("task_pending", node_id=task.node_id, task_key=task.key,
                      people=(task.assignee,))

    def auto_reason(self, task: Task) -> str:
        if task.kind != "approval" or task.added in ("before", "after", "transfer",
                                                     "escalation"):
            return ""
        if self.settings["auto_approve_applicant"] and task.assignee == self.state.applicant:
            return "applicant"
        dedup = self.settings["dedup"]
        if dedup == "once" and any(
                t.assignee == task.assignee and t.status == APPROVED and t.kind == "approval"
                and t.round == self.state.round and not t.superseded
                and t.activation != task.activation for t in self.state.tasks):
            return "duplicate"
        if dedup == "consecutive" and task.assignee in self.state.last_approvers:
            return "duplicate"
        return ""


# --- starting and acting ---------------------------------------------------------------------


def start(definition: dict[str, Any], applicant: int, resolver: Resolver) -> tuple[State,
                                                                                    list[Effect]]:
    """A new request's state, advanced as far as it goes without anyone acting."""
    state = State(applicant=applicant)
    run = _Run(definition, state, resolver)
    run.advance()
    return state, run.effects


def _pending_task(state: State, key: int, actor: int) -> Task:
    if state.status != RUNNING:
        raise EngineError("not_running", _("This request is no longer waiting for approval."))
    task = state.task(key)
    if task.assignee != actor:
        raise EngineError("not_assignee", _("This task is assigned to someone else."))
    if task.status != PENDING:
        raise EngineError("not_pending", _("This task has already been dealt with."))
    return task


def _check_newcomer(state: State, task: Task, person: int) -> None:
    if person == state.applicant:
        raise EngineError("applicant", _("The applicant cannot approve their own request."))
    if any(t.assignee == person and t.is_live for t in state.tasks
           if t.activation == task.activation):
        raise EngineError("already_on_node",
                          _("That person already has a task at this step."))


def approve(definition: dict[str, Any], state: State, key: int, actor: int,
            resolver: Resolver) -> list[Effect]:
    """Approve (or, on a handler node, mark done) the actor's pending task."""
    task = _pending_task(state, key, actor)
    task.status = APPROVED
    run = _Run(definition, state, resolver)
    run.advance()
    return run.effects


def reject(definition: dict[str, Any], state: State, key: int, actor: int, resolver: Resolver,
           *, to: str = "end") -> list[Effect]:
    """Reject: end the request (``end``), return it to the applicant (``applicant``) or
    send it back to an earlier node (its id, one of :func:`return_targets`)."""
    task = _pending_task(state, key, actor)
    run = _Run(definition, state, resolver)
    if to == "end":
        task.status = REJECTED
        run.finish(REJECTED)
        return run.effects
    if to == "applicant":
        task.status = REJECTED
        run.finish(RETURNED)
        return run.effects
    if to not in return_targets(definition, state, key):
        raise EngineError("bad_return_target",
                          _("The request cannot be returned to that step."))
    task.status = REJECTED
    _return_to(run, to)
    run.emit("returned_to_node", node_id=to, task_key=key)
    run.advance()
    return run.effects


def return_targets(definition: dict[str, Any], state: State, key: int) -> list[str]:
    """Earlier approval and handler nodes this task's node may send the request back to:
    completed in this round and before it in a sequence they share."""
    index = paths(definition)
    task = state.task(key)
    current = index[task.node_id][1]
    done = {t.node_id for t in state.tasks
            if t.status == APPROVED and t.round == state.round and not t.superseded}
    targets = []
    for node_id, (node, path) in index.items():
        if node_id == task.node_id or node_id not in done or node["type"] not in ACTING_NODES:
            continue
        level = next((i for i, (a, b) in enumerate(zip(path, current, strict=False)) if a != b),
                     None)
        if level is None:
            continue
        if path[level][0] == current[level][0] and path[level][1] < current[level][1]:
            targets.append(node_id)
    return targets


def _after_or_at(path: Path, target: Path) -> bool:
    for a, b in zip(path, target, strict=False):
        if a != b:
            return a[0] == b[0] and a[1] > b[1]
    return len(path) >= len(target)


def _return_to(run: _Run, target_id: str) -> None:
    definition, state = run.definition, run.state
    index = paths(definition)
    target_path = index[target_id][1]
    for task in state.tasks:
        if task.round != state.round or not _after_or_at(index[task.node_id][1], target_path):
            continue
        if task.is_open:
            task.status = CANCELLED
            run.emit("task_cancelled", node_id=task.node_id, task_key=task.key,
                     people=(task.assignee,), detail="returned")
        elif task.status in (APPROVED, REJECTED):
            task.superseded = True
    state.last_approvers = []
    # Rebuild the cursor down to the target: blocks still running on the way keep their
    # state; the sequence holding the target restarts at it.
    sequence = state.cursor
    nodes = definition["nodes"]
    for depth, (_container, position) in enumerate(target_path):
        if depth == len(target_path) - 1:
            sequence["at"] = position
            sequence["node"] = None
            break
        node = nodes[position]
        # containers are "node id:branch id"; branch ids have no colons, node ids may
        branch_id = target_path[depth + 1][0].rsplit(":", 1)[1]
        if sequence["at"] != position or sequence.get("node") is None:
            sequence["at"] = position
            sequence["node"] = _fresh_state(node, branch_id)
        node_state = sequence["node"]
        if node["type"] == "condition":
            if node_state["branch"] != branch_id:
                node_state.update(_fresh_state(node, branch_id))
            sequence = node_state["seq"]
        else:
            sequence = node_state["branches"][branch_id]
        nodes = next(b for b in node["branches"] if b["id"] == branch_id).get("nodes", [])


def _fresh_state(node: dict[str, Any], branch_id: str) -> dict[str, Any]:
    """A condition or parallel node's state re-entered to reach a node inside it: the
    branch holding it restarts, other parallel branches count as done (they were)."""
    if node["type"] == "condition":
        return {"branch": branch_id, "seq": {"at": 0, "node": None}}
    return {"branches": {b["id"]: ({"at": 0, "node": None} if b["id"] == branch_id
                                   else {"at": len(b.get("nodes", [])), "node": None})
                         for b in node["branches"]}}


def transfer(definition: dict[str, Any], state: State, key: int, actor: int, to: int,
             resolver: Resolver) -> list[Effect]:
    """Hand the actor's pending task to ``to`` (转交)."""
    task = _pending_task(state, key, actor)
    if to == actor:
        raise EngineError("self_transfer", _("You cannot transfer a task to yourself."))
    _check_newcomer(state, task, to)
    return _replace(definition, state, task, to, resolver, added="transfer")


def _replace(definition: dict[str, Any], state: State, task: Task, to: int, resolver: Resolver,
             *, added: str) -> list[Effect]:
    task.status = TRANSFERRED
    new = Task(key=state.next_key, node_id=task.node_id, kind=task.kind,
               activation=task.activation, round=task.round, assignee=to, after=task.after,
               added=added, origin=task.key)
    state.next_key += 1
    for other in state.tasks:
        if other.after == task.key:
            other.after = new.key
    state.tasks.append(new)
    run = _Run(definition, state, resolver)
    run.advance()
    return run.effects


def escalate(definition: dict[str, Any], state: State, key: int, to: int,
             resolver: Resolver) -> list[Effect]:
    """Move a pending task that ran out of time to ``to`` (the node's escalation target)."""
    task = state.task(key)
    if state.status != RUNNING or task.status != PENDING or to == state.applicant:
        return []
    if any(t.assignee == to and t.is_live for t in state.tasks
           if t.activation == task.activation):
        return []
    return _replace(definition, state, task, to, resolver, added="escalation")


def add_approver(definition: dict[str, Any], state: State, key: int, actor: int, person: int,
                 position: str, resolver: Resolver) -> list[Effect]:
    """Add ``person`` before the actor (they approve first, then the actor) or after the
    actor (the actor approves now and ``person`` must approve next) (加签)."""
    task = _pending_task(state, key, actor)
    if task.kind != "approval":
        raise EngineError("not_approval", _("Approvers can only be added at approval steps."))
    if person == actor:
        raise EngineError("self_add", _("You are already an approver at this step."))
    if position not in ("before", "after"):
        raise EngineError("bad_position", _("Add the approver before or after you."))
    _check_newcomer(state, task, person)
    new = Task(key=state.next_key, node_id=task.node_id, kind=task.kind,
               activation=task.activation, round=task.round, assignee=person, added=position,
               origin=task.key)
    state.next_key += 1
    if position == "before":
        new.after = task.after
        task.after = new.key
        task.status = WAITING
    else:
        for other in state.tasks:
            if other.after == task.key:
                other.after = new.key
        new.after = task.key
        task.status = APPROVED
    state.tasks.append(new)
    run = _Run(definition, state, resolver)
    run.advance()
    return run.effects


def withdraw(state: State, actor: int) -> list[Effect]:
    """The applicant takes back a request that is still pending or was returned (撤销)."""
    if actor != state.applicant:
        raise EngineError("not_applicant", _("Only the applicant can withdraw a request."))
    if state.status not in (RUNNING, RETURNED):
        raise EngineError("not_withdrawable",
                          _("Only a pending or returned request can be withdrawn."))
    run = _Run({"nodes": []}, state, _NO_RESOLVER)
    run.finish(WITHDRAWN)
    return run.effects


def resubmit(definition: dict[str, Any], state: State, actor: int,
             resolver: Resolver) -> list[Effect]:
    """Start a returned request again from its first node, as a new round."""
    if actor != state.applicant:
        raise EngineError("not_applicant", _("Only the applicant can resubmit a request."))
    if state.status != RETURNED:
        raise EngineError("not_returned", _("Only a returned request can be resubmitted."))
    for task in state.tasks:
        task.superseded = True
    state.round += 1
    state.status = RUNNING
    state.cursor = {"at": 0, "node": None}
    state.last_approvers = []
    run = _Run(definition, state, resolver)
    run.advance()
    return run.effects


def cancel_approved(state: State) -> list[Effect]:
    """Cancel an approved request (after its cancellation was itself approved)."""
    if state.status != APPROVED:
        raise EngineError("not_approved", _("Only an approved request can be cancelled."))
    state.status = CANCELLED
    return [Effect("finished", detail=CANCELLED)]


class _NoResolver:
    def approvers(self, node: dict[str, Any]) -> list[int]:
        return []

    def administrators(self) -> list[int]:
        return []

    def delegate(self, person_id: int) -> int:
        return person_id

    def holds(self, condition: dict[str, Any]) -> bool:
        return False


_NO_RESOLVER = _NoResolver()
