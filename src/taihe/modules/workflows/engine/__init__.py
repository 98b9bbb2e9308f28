"""The approval engine: a pure state machine over block-structured process definitions.

It knows nothing of the database, time or HTTP. ``start`` and the actions take a definition
(validated JSON, see :mod:`.definition`), the request's :class:`State` and a
:class:`Resolver` that answers who approves and whether a condition holds; they change the
state in place and return the :class:`Effect` list the service turns into history,
notifications and events.
"""

from taihe.modules.workflows.engine.machine import (
    FINAL_STATUSES,
    Effect,
    EngineError,
    Resolver,
    State,
    Task,
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

__all__ = ["FINAL_STATUSES", "Effect", "EngineError", "Resolver", "State", "Task",
           "add_approver", "approve", "cancel_approved", "escalate", "reject", "resubmit",
           "return_targets", "start", "transfer", "withdraw"]
