"""The registry of approval subjects: kinds of records other modules ask approval for.

A subject may bring a ``check`` that sees a cleaned submission before it is stored and
answers field messages (``{"period": "Only 2.5 days of annual leave are left."}``): the
owning module's own rules (a balance, a monthly limit) then stop a request at the form,
whichever page it was started from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SubjectCheck = Callable[[Any, dict[str, Any], "int | None"], dict[str, str]]
"""``check(actor, values, request_id)``: field name → message for each problem found;
``request_id`` is set when a returned request is resubmitted."""


@dataclass(frozen=True)
class Subject:
    code: str
    label: Any
    process_code: str
    check: SubjectCheck | None = None


_SUBJECTS: dict[str, Subject] = {}


def register(subject: Subject) -> Subject:
    _SUBJECTS[subject.code] = subject
    return subject


def find(code: str) -> Subject | None:
    return _SUBJECTS.get(code)


def all_subjects() -> list[Subject]:
    return sorted(_SUBJECTS.values(), key=lambda s: s.code)


def problems(code: str, actor: Any, values: dict[str, Any],
             request_id: int | None) -> dict[str, str]:
    """The subject's own objections to a submission (none when it has no check)."""
    subject = _SUBJECTS.get(code)
    if subject is None or subject.check is None:
        return {}
    return {name: str(message) for name, message in subject.check(actor, values,
                                                                   request_id).items()}
