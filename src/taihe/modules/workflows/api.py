"""How other modules use approvals.

A module registers a subject (the kind of record it asks approval for), starts requests
with prefilled form data, and reacts to the outcome through events
(``workflows.request.approved.v1``, ``.rejected.v1``, ``.withdrawn.v1``, ``.cancelled.v1``,
``.returned.v1``), each published once per outcome, carrying ``subject_code`` and
``subject_ref``. Subscribe durably: a handler runs at least once, and the kernel records
each delivery in the handler's transaction, so a database-only handler acts exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taihe.modules.workflows import services
from taihe.modules.workflows import subjects as subject_registry
from taihe.modules.workflows.models import Request
from taihe.modules.workflows.resolving import register_working_days, weekdays_between
from taihe.modules.workflows.subjects import Subject, SubjectCheck


@dataclass(frozen=True)
class RequestInfo:
    id: int
    number: str
    process_code: str
    status: str
    applicant_id: int
    subject_code: str
    subject_ref: str
    form_data: dict[str, Any]
    url: str


def register_subject(code: str, label: Any, *, process_code: str,
                     check: SubjectCheck | None = None) -> Subject:
    """Declare that requests about ``code`` records go through approval ``process_code``;
    ``check`` vets every submission of the subject (see ``workflows.subjects``)."""
    return subject_registry.register(Subject(code, label, process_code, check))


def subjects() -> list[Subject]:
    return subject_registry.all_subjects()


def _info(request: Request) -> RequestInfo:
    return RequestInfo(request.pk, request.number, request.process.code, request.status,
                       request.applicant_id, request.subject_code, request.subject_ref,
                       dict(request.form_data), services._url(request))


def start_request(actor: Any, subject_code: str, subject_ref: str, form_data: dict[str, Any],
                  *, chosen_approvers: dict[str, Any] | None = None) -> RequestInfo:
    """Start the subject's approval for ``actor`` with ``form_data`` (validated like a
    submission from the page: raises ``ValidationFailed`` with field messages)."""
    subject = subject_registry.find(subject_code)
    if subject is None:
        raise LookupError(f"unknown approval subject {subject_code!r}")
    request = services.do_submit_request(actor, subject.process_code, form_data,
                                         chosen=chosen_approvers, subject_code=subject_code,
                                         subject_ref=str(subject_ref))
    return _info(request)


def request(request_id: int) -> RequestInfo | None:
    found = Request.objects.select_related("process").filter(pk=request_id).first()
    return _info(found) if found else None


def readable_request(actor: Any, number: str) -> RequestInfo | None:
    """The request with this number when ``actor`` may read it (applicant, approvers, those
    copied, overseers of its department), else ``None``: for cards in other modules."""
    from taihe.modules.workflows.selectors import request_for

    found = request_for(actor, number)
    return _info(found) if found else None


def requests_about(subject_code: str, subject_ref: str) -> list[RequestInfo]:
    """Every request started for one record, newest first."""
    return [_info(r) for r in Request.objects.select_related("process")
            .filter(subject_code=subject_code, subject_ref=str(subject_ref))
            .order_by("-submitted_at", "-id")]


__all__ = ["RequestInfo", "Subject", "SubjectCheck", "readable_request", "register_subject",
           "register_working_days", "request", "requests_about", "start_request", "subjects",
           "weekdays_between"]
