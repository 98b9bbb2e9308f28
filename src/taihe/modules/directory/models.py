"""People, departments (a tree), positions, roles with scoped assignments, and groups."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taihe.kernel.db.models import TimestampedModel


def bilingual(zh: str, en: str) -> str:
    """The name in the reader's language, falling back to the other one."""
    if (get_language() or "en").startswith("zh"):
        return zh or en
    return en or zh


class Department(TimestampedModel):
    """A node of the organisation tree. ``path`` is the materialised path of ids
    (``/1/4/9/``) so a whole subtree is one indexed prefix query."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children", verbose_name=_("parent"))
    path = models.CharField(max_length=255, db_index=True, editable=False, default="/")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    head = models.ForeignKey("Person", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="headed_departments", verbose_name=_("head"))
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["path", "sort_order"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_zh, self.name_en)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]


class Position(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return bilingual(self.title_zh, self.title_en)


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields: Any) -> Person:
        if not username:
            raise ValueError("a username is required")
        fields.setdefault("name_zh", username)
        person = self.model(username=username, **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, username: str, password: str | None = None, **fields: Any) -> Person:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """Everyone who works with the museum, and their login."""

    class Status(models.TextChoices):
        STAFF = "staff", _("Staff")
        CONTRACTOR = "contractor", _("Contractor")
        VOLUNTEER = "volunteer", _("Volunteer")
        EXTERNAL = "external", _("External")

    username = models.CharField(_("username"), max_length=80, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True,
                                       null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    photo = models.ImageField(_("photo"), upload_to="people/", blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.STAFF)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="members", verbose_name=_("department"))
    position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="holders", verbose_name=_("position"))
    language = models.CharField(_("language"), max_length=10, blank=True,
                                choices=[("en", "English"), ("zh-hans", "简体中文")])
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("operator (Django admin)"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name_zh"]

    objects = PersonManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["name_zh"]), models.Index(fields=["name_en"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return bilingual(self.name_zh, self.name_en) or self.username

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    def is_locked(self, now: Any = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class Role(models.Model):
    """A named bundle of operations. Held through assignments, each scoped to a department
    subtree or to the whole museum."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    operations = models.JSONField(_("operations"), default=list)
    is_system = models.BooleanField(_("built in"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_zh, self.name_en)


class RoleAssignment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments",
                               verbose_name=_("person"))
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments",
                             verbose_name=_("role"))
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="role_assignments",
                                   verbose_name=_("department scope"))
    include_subdepartments = models.BooleanField(_("include sub-departments"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["person", "role", "department"],
                                    name="directory_assignment_unique"),
            models.UniqueConstraint(fields=["person", "role"], condition=Q(department=None),
                                    name="directory_assignment_unique_global"),
        ]


class Group(TimestampedModel):
    """A named set of people across departments (a committee, a project team)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(Person, related_name="groups_joined", blank=True,
                                     verbose_name=_("members"))
    owner = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="groups_owned", verbose_name=_("owner"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self) -> str:
        return self.name


class OrgChartExport(models.Model):
    """An org-chart file produced in the background for the person who asked."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(Person, on_delete=models.CASCADE,
                                     related_name="orgchart_exports")
    format = models.CharField(max_length=8)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
