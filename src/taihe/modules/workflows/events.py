"""Events the workflows module publishes (after commit, through the outbox).

Each outcome event is published once: in the transaction that moves the request into that
status, under the request's row lock.
"""

from __future__ import annotations

from taihe.kernel.events import Event


class _RequestEvent(Event):
    approval_id: int
    number: str
    process_code: str
    subject_code: str = ""
    subject_ref: str = ""
    applicant_id: int


class RequestSubmitted(_RequestEvent):
    name = "workflows.request.submitted.v1"


class RequestApproved(_RequestEvent):
    name = "workflows.request.approved.v1"


class RequestRejected(_RequestEvent):
    name = "workflows.request.rejected.v1"


class RequestReturned(_RequestEvent):
    name = "workflows.request.returned.v1"


class RequestWithdrawn(_RequestEvent):
    name = "workflows.request.withdrawn.v1"


class RequestCancelled(_RequestEvent):
    name = "workflows.request.cancelled.v1"


class ProcessSaved(Event):
    """A process was created or its details (names, who may start it, open/closed) changed;
    draft edits of the form and flow are not events until published."""

    name = "workflows.process.saved.v1"
    process_id: int
    code: str


class ProcessPublished(Event):
    name = "workflows.process.published.v1"
    process_id: int
    code: str
    version: int


OUTCOME_EVENTS: dict[str, type[_RequestEvent]] = {
    "approved": RequestApproved, "rejected": RequestRejected, "returned": RequestReturned,
    "withdrawn": RequestWithdrawn, "cancelled": RequestCancelled,
}
