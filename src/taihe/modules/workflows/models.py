"""Approvals: processes with their form and flow, versions, requests, tasks and history.

A request's engine state (``Request.state``, see ``engine.State``) is the truth about where
it stands; ``Task`` rows are its projection for inboxes and are rewritten in the same
transaction. ``Action`` is the insert-only history (a trigger refuses updates and deletes).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taihe.kernel.db.models import TimestampedModel


class Process(TimestampedModel):
    """An approval type people can start: its form and flow are edited as a draft and
    published as numbered versions."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=40, blank=True)
    icon = models.CharField(_("icon"), max_length=32, default="approval")
    subject_code = models.CharField(_("subject"), max_length=64, blank=True,
                                    help_text=_("The kind of record another module starts "
                                                "this approval for (leave, loan, ...)."))
    #: departments whose members may start it (and those below them); empty: all staff
    starter_departments = models.JSONField(_("who may start it"), default=list, blank=True)
    is_active = models.BooleanField(_("open for new requests"), default=True)
    cancellation_process = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("approval to cancel an approved request"))
    draft_form = models.JSONField(_("draft form"), default=list, blank=True)
    draft_definition = models.JSONField(_("draft process"), default=dict, blank=True)
    current_version = models.ForeignKey("ProcessVersion", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    is_builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("approval process")
        verbose_name_plural = _("approval processes")
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("zh") or not self.name_en:
            return self.name_zh
        return self.name_en


class ProcessVersion(models.Model):
    """A published form and flow. Never changed: a running request keeps its version."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    form = models.JSONField(_("form"))
    definition = models.JSONField(_("process"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("process version")
        ordering = ["process", "-number"]
        constraints = [models.UniqueConstraint(fields=["process", "number"],
                                               name="workflows_version_unique")]

    def __str__(self) -> str:
        return f"{self.process.code} v{self.number}"


class Request(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("In approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=32, unique=True)
    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="requests")
    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("applicant"))
    department_id = models.IntegerField(_("applicant's department"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    form_data = models.JSONField(_("form"), default=dict)
    chosen_approvers = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.RUNNING)
    state = models.JSONField(default=dict)
    subject_code = models.CharField(max_length=64, blank=True)
    subject_ref = models.CharField(max_length=64, blank=True)
    cancels = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="cancellations",
                                verbose_name=_("cancels request"))
    submitted_at = models.DateTimeField(_("submitted"))
    updated_at = models.DateTimeField(_("last change"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    last_urged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval request")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["applicant", "-submitted_at"], name="workflows_req_applicant"),
            models.Index(fields=["status", "-submitted_at"], name="workflows_req_status"),
            models.Index(fields=["subject_code", "subject_ref"], name="workflows_req_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Task(models.Model):
    """One approver's (or handler's) part at one step of a request: the inbox row."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for an earlier approver")
        PENDING = "pending", _("To do")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        TRANSFERRED = "transferred", _("Transferred")
        CANCELLED = "cancelled", _("No longer needed")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="tasks")
    key = models.PositiveIntegerField()
    node_id = models.CharField(max_length=64)
    node_name = models.CharField(_("step"), max_length=120, blank=True)
    kind = models.CharField(max_length=16)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("assignee"))
    delegated_from = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    auto = models.CharField(max_length=16, blank=True)
    added = models.CharField(max_length=16, blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    superseded = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    pending_since = models.DateTimeField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval task")
        ordering = ["request", "key"]
        constraints = [models.UniqueConstraint(fields=["request", "key"],
                                               name="workflows_task_unique")]
        indexes = [
            models.Index(fields=["assignee", "status", "-pending_since"],
                         name="workflows_task_inbox"),
            models.Index(fields=["assignee", "-acted_at"], name="workflows_task_done"),
            models.Index(fields=["status", "due_at"], name="workflows_task_due"),
        ]


class CarbonCopy(models.Model):
    """Someone told of a request (抄送): they may read it, and it is in their CC box."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="copies")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    node_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "person"],
                                               name="workflows_cc_unique")]
        indexes = [models.Index(fields=["person", "-created_at"], name="workflows_cc_inbox")]


class Action(models.Model):
    """The history of a request: insert-only, one row per thing that happened."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        COMPLETED = "completed", _("Marked done")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned to the applicant")
        RETURNED_TO_STEP = "returned_to_step", _("Returned to an earlier step")
        TRANSFERRED = "transferred", _("Transferred")
        ADDED_BEFORE = "added_before", _("Added an approver before themself")
        ADDED_AFTER = "added_after", _("Approved and added an approver after themself")
        COMMENTED = "commented", _("Commented")
        URGED = "urged", _("Urged the approvers")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        RESUBMITTED = "resubmitted", _("Resubmitted")
        CANCELLATION_REQUESTED = "cancellation_requested", _("Asked to cancel")
        CANCELLED = "cancelled", _("Cancelled")
        AUTO_APPROVED = "auto_approved", _("Approved automatically")
        SKIPPED = "skipped", _("Skipped: no approver found")
        ROUTED_TO_ADMIN = "routed_to_admin", _("Sent to an administrator: no approver found")
        COPIED = "copied", _("Copied to")
        REMINDED = "reminded", _("Reminded: time limit passed")
        ESCALATED = "escalated", _("Escalated: time limit passed")
        TIMED_OUT = "timed_out", _("Decided automatically: time limit passed")
        REASSIGNED = "reassigned", _("Reassigned by an overseer")
        FINISHED = "finished", _("Finished")

    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    task_key = models.PositiveIntegerField(null=True, blank=True)
    node_id = models.CharField(max_length=64, blank=True)
    node_name = models.CharField(max_length=120, blank=True)
    comment = models.TextField(blank=True)
    people = models.JSONField(default=list, blank=True)
    detail = models.CharField(max_length=64, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("approval history entry")
        ordering = ["request", "at", "id"]


class Attachment(models.Model):
    """A file uploaded for a form field or a comment; readable by whoever may read the
    request it was used in (and its uploader before that)."""

    file = models.FileField(upload_to="workflows/attachments/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    is_image = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    request = models.ForeignKey(Request, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="attachments")

    def __str__(self) -> str:
        return self.name


class Delegation(TimestampedModel):
    """While someone is away, their new approval tasks go to a stand-in."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+", verbose_name=_("person away"))
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("stand-in"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    processes = models.ManyToManyField(Process, blank=True, related_name="+",
                                       verbose_name=_("only for these approvals"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delegation")
        ordering = ["-starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="workflows_delegation_period")]


class RequestCounter(models.Model):
    """The last request number issued each year (AP-2026-000123)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
