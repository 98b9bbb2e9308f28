"""API shapes of approvals. Outputs are built in ``http.py`` from the selectors, so a request
the caller may not read never reaches them. Every person comes with a display name
(``{"id": 7, "name": "李明 Li Ming"}``). Times are ISO 8601 with their zone (UTC, ``Z``);
inputs without a zone are read in the museum's zone.

Forms and process definitions are JSON documents whose shapes are described in the module's
README (field types: ``GET /designer/field-types``); they pass through as objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

MAX_COMMENT = 2000
MAX_IDS = 100


class PersonRefOut(Schema):
    id: int
    name: str


# --- starting a request -------------------------------------------------------------------


class ProcessOut(Schema):
    """An approval the caller may start."""

    code: str
    name: str
    """In the caller's language."""
    name_zh: str
    name_en: str
    category: str
    icon: str
    description: str
    version: int
    """The published version new requests use."""


class ChoiceNodeOut(Schema):
    """A step whose approvers the applicant picks when submitting (``chosen[id]``)."""

    id: str
    name: str
    type: str
    """``approval`` or ``handler``."""
    mode: str


class ProcessFormOut(ProcessOut):
    form: list[dict[str, Any]]
    """The fields to fill, as the designer defined them."""
    choice_nodes: list[ChoiceNodeOut]


class RequestIn(Schema):
    process: str = Field(max_length=64)
    """The approval's code."""
    data: dict[str, Any] = Field(default_factory=dict)
    """The form's values by field name (a table: a list of row objects)."""
    chosen: dict[str, list[int]] = Field(default_factory=dict)
    """Approvers the applicant picks, by step id (see ``choice_nodes``)."""


# --- reading requests ---------------------------------------------------------------------


class ProcessRefOut(Schema):
    code: str
    name: str
    version: int


class RequestRowOut(Schema):
    number: str
    title: str
    summary: str
    process: ProcessRefOut
    status: str
    """``running``, ``returned``, ``approved``, ``rejected``, ``withdrawn`` or ``cancelled``."""
    status_label: str
    applicant: PersonRefOut
    submitted_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    waiting_for: list[PersonRefOut]
    """Whose decision it waits for now."""
    current_steps: list[str]
    unread: bool
    """Copied to the caller, who has not opened it yet."""


class RequestPageOut(Schema):
    items: list[RequestRowOut]
    count: int


class DisplayRowOut(Schema):
    """One form value as shown: a label and its text, or a table with rows and totals."""

    label: str
    name: str
    table: bool
    value: str | None = None
    columns: list[str] = Field(default_factory=list)
    rows: list[list[str]] = Field(default_factory=list)
    totals: list[str] = Field(default_factory=list)


class TaskOut(Schema):
    key: int
    node_id: str
    node_name: str
    kind: str
    """``approval`` or ``handler``."""
    assignee: PersonRefOut
    delegated_from: PersonRefOut | None
    status: str
    """``waiting``, ``pending``, ``approved``, ``rejected``, ``transferred``, ``cancelled``."""
    status_label: str
    auto: str
    """Why it was approved without anyone acting (empty when someone did)."""
    added: str
    """How it was added (``before``, ``after``, ``transfer``, ``escalation``) or empty."""
    round: int
    superseded: bool
    """From an earlier round, before the request was returned and resubmitted."""
    pending_since: datetime | None
    acted_at: datetime | None
    due_at: datetime | None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    is_image: bool
    url: str


class ActionOut(Schema):
    """One entry of the history."""

    id: int
    kind: str
    kind_label: str
    actor: PersonRefOut | None
    """``null``: the system (automatic approvals, time limits)."""
    on_behalf_of: PersonRefOut | None
    task_key: int | None
    node_id: str
    node_name: str
    comment: str
    people: list[PersonRefOut]
    detail: str
    attachments: list[AttachmentOut]
    at: datetime


class StepRefOut(Schema):
    id: str
    name: str


class AllowedOut(Schema):
    """What the caller may do now. ``task_key``: their pending task (the one approve, reject,
    transfer and add-approver act on); ``return_to``: earlier steps a rejection may send
    the request back to (besides ``applicant`` and ``end``); ``reassign``: pending task keys
    an overseer may move to someone else."""

    task_key: int | None
    task_kind: str | None
    approve: bool
    reject: bool
    return_to: list[StepRefOut]
    transfer: bool
    add_approver: bool
    withdraw: bool
    urge: bool
    resubmit: bool
    cancel: bool
    comment: bool
    reassign: list[int]


class RequestDetailOut(Schema):
    number: str
    title: str
    summary: str
    process: ProcessRefOut
    status: str
    status_label: str
    applicant: PersonRefOut
    department_id: int | None
    submitted_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    subject_code: str
    subject_ref: str
    cancels: str | None
    """The number of the request this one asks to cancel."""
    form: list[DisplayRowOut]
    values: dict[str, Any]
    """The stored values (to fill the form again when resubmitting)."""
    chosen: dict[str, list[int]]
    form_fields: list[dict[str, Any]]
    """The form of the version this request runs on."""
    choice_nodes: list[ChoiceNodeOut]
    tasks: list[TaskOut]
    copied_to: list[PersonRefOut]
    history: list[ActionOut]
    attachments: list[AttachmentOut]
    allowed: AllowedOut


class CountsOut(Schema):
    todo: int
    cc_unread: int


# --- acting on a request ------------------------------------------------------------------


class ApproveIn(Schema):
    task_key: int | None = None
    """Which of the caller's pending tasks (default: the first)."""
    comment: str = Field(default="", max_length=MAX_COMMENT)
    attachments: list[int] = Field(default_factory=list, max_length=MAX_IDS)


class RejectIn(Schema):
    to: str = Field(default="end", max_length=64)
    """``end`` (reject), ``applicant`` (return for changes) or an earlier step's id."""
    comment: str = Field(max_length=MAX_COMMENT)
    """Required: why, for the applicant."""
    task_key: int | None = None
    attachments: list[int] = Field(default_factory=list, max_length=MAX_IDS)


class TransferIn(Schema):
    to: int
    comment: str = Field(default="", max_length=MAX_COMMENT)
    task_key: int | None = None


class AddApproverIn(Schema):
    person: int
    position: Literal["before", "after"]
    """``before``: they approve first, then the caller; ``after``: the caller approves now
    and they approve next."""
    comment: str = Field(default="", max_length=MAX_COMMENT)
    task_key: int | None = None


class WithdrawIn(Schema):
    comment: str = Field(default="", max_length=MAX_COMMENT)


class ResubmitIn(Schema):
    data: dict[str, Any] = Field(default_factory=dict)
    chosen: dict[str, list[int]] = Field(default_factory=dict)
    comment: str = Field(default="", max_length=MAX_COMMENT)


class CommentIn(Schema):
    comment: str = Field(default="", max_length=MAX_COMMENT)
    attachments: list[int] = Field(default_factory=list, max_length=MAX_IDS)


class CancelIn(Schema):
    reason: str = Field(max_length=MAX_COMMENT)


class ReassignIn(Schema):
    to: int
    comment: str = Field(max_length=MAX_COMMENT)
    """Required: why the task moves."""


# --- attachments and delegations ----------------------------------------------------------


class UploadOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    is_image: bool
    url: str


class ProcessBriefOut(Schema):
    id: int
    code: str
    name: str


class DelegationOut(Schema):
    id: int
    person: PersonRefOut
    """Who is away."""
    delegate: PersonRefOut
    """Who acts for them."""
    starts_at: datetime
    ends_at: datetime
    processes: list[ProcessBriefOut]
    """Only these approvals (empty: all)."""
    reason: str
    ended_at: datetime | None
    in_effect: bool


class DelegationIn(Schema):
    delegate: int
    starts_at: datetime
    ends_at: datetime
    process_ids: list[int] = Field(default_factory=list, max_length=MAX_IDS)
    reason: str = Field(default="", max_length=200)
    person: int | None = None
    """Someone else who is away (approval managers only); default: the caller."""


# --- designer -----------------------------------------------------------------------------


class VersionOut(Schema):
    number: int
    note: str
    published_at: datetime
    published_by: PersonRefOut | None


class DesignProcessOut(Schema):
    id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    description: str
    category: str
    icon: str
    subject_code: str
    starter_departments: list[int]
    """Departments whose members (and those below) may start it; empty: all staff."""
    is_active: bool
    is_builtin: bool
    cancellation_process: str | None
    current_version: VersionOut | None
    has_unpublished_changes: bool
    updated_at: datetime


class DesignProcessDetailOut(DesignProcessOut):
    draft_form: Any
    """The fields being designed (a list of field objects)."""
    draft_definition: Any
    """The flow being designed (``{"settings": {...}, "nodes": [...]}``)."""
    versions: list[VersionOut]


class ProcessCreateIn(Schema):
    code: str = Field(max_length=64)
    """Letters, digits, ``-`` and ``_``."""
    name_zh: str = Field(max_length=80)
    name_en: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=5000)
    category: str = Field(default="", max_length=40)
    icon: str = Field(default="approval", max_length=32)
    subject_code: str = Field(default="", max_length=64)
    starter_departments: list[int] = Field(default_factory=list, max_length=MAX_IDS)
    is_active: bool = True
    form: list[dict[str, Any]] = Field(default_factory=list)
    definition: dict[str, Any] | None = None


class ProcessPatchIn(Schema):
    """Only what is sent changes; the draft is kept until it is published."""

    name_zh: str | None = Field(default=None, max_length=80)
    name_en: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=5000)
    category: str | None = Field(default=None, max_length=40)
    icon: str | None = Field(default=None, max_length=32)
    subject_code: str | None = Field(default=None, max_length=64)
    starter_departments: list[int] | None = Field(default=None, max_length=MAX_IDS)
    is_active: bool | None = None
    form: list[dict[str, Any]] | None = None
    definition: dict[str, Any] | None = None


class CheckIn(Schema):
    """A form and flow to check; what is left out is taken from the stored draft."""

    form: list[dict[str, Any]] | None = None
    definition: dict[str, Any] | None = None


class ProblemsOut(Schema):
    problems: list[str]
    """Empty: it can be published."""


class ProcessDocumentOut(Schema):
    """An approval as exported (``format`` ``taihe.workflows.process/1``): its details, draft
    form and flow. People named in the flow stay ids and roles codes, so a document moves
    between museums whose directories share them."""

    format: str
    code: str
    name_zh: str
    name_en: str
    description: str
    category: str
    icon: str
    subject_code: str
    starter_departments: list[int]
    is_active: bool
    form: Any
    definition: Any


class ProcessDocumentIn(Schema):
    """A document from ``GET /designer/processes/{id}/export``."""

    format: str = Field(max_length=64)
    code: str = Field(max_length=64)
    name_zh: str = Field(max_length=80)
    name_en: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=5000)
    category: str = Field(default="", max_length=40)
    icon: str = Field(default="approval", max_length=32)
    subject_code: str = Field(default="", max_length=64)
    starter_departments: list[int] = Field(default_factory=list, max_length=MAX_IDS)
    is_active: bool = True
    form: list[dict[str, Any]] = Field(default_factory=list)
    definition: dict[str, Any] = Field(default_factory=dict)


class PublishIn(Schema):
    note: str = Field(default="", max_length=200)
    """What changed, for the version history."""


class FieldTypeOut(Schema):
    code: str
    label: str
    kind: str
    """What branch conditions may ask of it: ``text``, ``number``, ``date``, ``choice``,
    ``choices``, ``person``, ``department`` or ``other``."""
    options: list[str]

