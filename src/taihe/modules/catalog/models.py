"""The collection register's tables, organised around the Spectrum 5.1 procedures
(Collections Trust, collectionstrust.org.uk/spectrum): cataloguing, location and movement
control, inventory, condition checking, conservation, loans in and out, exhibitions.

Human-readable texts are language maps (``{"zh-Hans": "…", "en": "…"}``), as IIIF and Linked
Art use them. History that must never drift is append-only in the database itself: object
revisions and movements. The current location is derived from the movement log by a trigger
(see ``CurrentLocation``), never written by application code.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from taihe.kernel.db.models import TimestampedModel

SEARCH_INDEX = "catalog_objects"
"""The kernel full-text index of object records (``search_catalog_objects``)."""


def normalise_number(text: str) -> str:
    """Object and location numbers: NFKC (full-width digits become ASCII), no outer space,
    single inner spaces."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).split())


def number_sort_key(number: str) -> str:
    """Sort "故00012" before "故00100" and "2020.1.10" after "2020.1.9": digit runs padded."""
    return re.sub(r"\d+", lambda match: match.group().zfill(12), number.casefold())[:160]


def text_in(value: Any, language: str | None = None) -> str:
    """The best text of a language map for ``language`` (then zh-Hans, en, anything)."""
    if not isinstance(value, dict) or not value:
        return str(value or "")
    preferred = [language] if language else []
    if language and language.startswith("zh"):
        preferred += ["zh-Hans", "zh-Hant", "zh"]
    for key in [*preferred, "zh-Hans", "en", "zh-Hant", "none"]:
        if key and value.get(key):
            return str(value[key])
    return str(next(iter(value.values()), ""))


class Term(models.Model):
    """A controlled term of one scheme (material, object type, technique, condition, hazard,
    movement reason, acquisition method), linked to the Getty AAT where an id is known."""

    scheme = models.CharField(_("scheme"), max_length=32)
    code = models.CharField(_("code"), max_length=64)
    label = models.JSONField(_("label"), default=dict)
    aat_id = models.CharField(_("AAT id"), max_length=20, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="narrower", verbose_name=_("broader term"))
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["scheme", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"],
                                               name="catalog_term_unique_code")]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.code}"

    def label_in(self, language: str | None = None) -> str:
        return text_in(self.label, language) or self.code


class Location(TimestampedModel):
    """A place in the museum's location tree: site, building, floor, room or store, case or
    cabinet, shelf, box. Shared with conservation's environmental monitoring."""

    class Kind(models.TextChoices):
        SITE = "site", _("Site")
        BUILDING = "building", _("Building")
        FLOOR = "floor", _("Floor")
        GALLERY = "gallery", _("Gallery")
        ROOM = "room", _("Room")
        STORE = "store", _("Store")
        CASE = "case", _("Display case")
        CABINET = "cabinet", _("Cabinet")
        SHELF = "shelf", _("Shelf")
        DRAWER = "drawer", _("Drawer")
        BOX = "box", _("Box")
        LAB = "lab", _("Conservation lab")
        EXTERNAL = "external", _("Outside the museum")

    code = models.CharField(_("code"), max_length=64, unique=True,
                            help_text=_("Printed on the location's barcode label."))
    name = models.JSONField(_("name"), default=dict)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children", verbose_name=_("inside"))
    path = models.CharField(_("path"), max_length=512, db_index=True, editable=False,
                            help_text=_("Materialised path of ids, /1/4/9/."))
    is_restricted = models.BooleanField(
        _("restricted"), default=False,
        help_text=_("Only people allowed to know store locations see it or anything inside."))
    is_public = models.BooleanField(
        _("open to visitors"), default=False,
        help_text=_("Objects here are on public display; published records may say where."))
    is_active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.code} {text_in(self.name)}"

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]

    def name_in(self, language: str | None = None) -> str:
        return text_in(self.name, language) or self.code


class CatalogObject(models.Model):
    """One object (or set) in the register, keyed by its object number."""

    class Grade(models.TextChoices):
        # 文物藏品定级标准: grades 1–3 of precious relics and general relics.
        GRADE_1 = "grade-1", _("Grade 1 (一级)")
        GRADE_2 = "grade-2", _("Grade 2 (二级)")
        GRADE_3 = "grade-3", _("Grade 3 (三级)")
        GENERAL = "general", _("General (一般)")
        UNGRADED = "ungraded", _("Not yet graded")

    class Status(models.TextChoices):
        IN_COLLECTION = "in-collection", _("In the collection")
        ON_LOAN_OUT = "on-loan-out", _("Lent out")
        LOAN_IN = "loan-in", _("Borrowed (loan in)")
        MISSING = "missing", _("Missing")
        DEACCESSIONED = "deaccessioned", _("Deaccessioned")
        ENTRY = "entry", _("Object entry, not accessioned")

    object_number = models.CharField(_("object number"), max_length=64, unique=True)
    number_sort = models.CharField(max_length=160, db_index=True, editable=False)
    other_numbers = models.JSONField(_("other numbers"), default=list, blank=True)
    object_name = models.JSONField(_("object name"), default=dict, blank=True)
    object_type = models.ForeignKey(Term, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="typed_objects",
                                    verbose_name=_("object type"))
    title = models.JSONField(_("title"), default=dict, blank=True)
    makers = models.JSONField(_("makers"), default=list, blank=True)
    culture = models.JSONField(_("culture"), default=dict, blank=True)
    period = models.JSONField(_("period"), default=dict, blank=True)
    production_date = models.CharField(_("production date"), max_length=200, blank=True)
    year_earliest = models.IntegerField(_("earliest year"), null=True, blank=True)
    year_latest = models.IntegerField(_("latest year"), null=True, blank=True)
    materials: models.ManyToManyField[Term, ObjectMaterial] = models.ManyToManyField(
        Term, through="ObjectMaterial", blank=True,
                                       related_name="+", verbose_name=_("materials"))
    medium = models.JSONField(_("medium"), default=dict, blank=True)
    techniques = models.ManyToManyField(Term, blank=True, related_name="+",
                                        verbose_name=_("techniques"))
    dimensions = models.JSONField(_("dimensions"), default=list, blank=True)
    dimensions_text = models.JSONField(_("dimensions as written"), default=dict, blank=True)
    inscriptions = models.JSONField(_("inscriptions and marks"), default=list, blank=True)
    description = models.JSONField(_("description"), default=dict, blank=True)
    acquisition_method = models.CharField(_("acquisition method"), max_length=32, blank=True)
    acquisition_date = models.DateField(_("acquisition date"), null=True, blank=True)
    acquisition_source = models.JSONField(_("acquired from"), default=dict, blank=True)
    credit_line = models.JSONField(_("credit line"), default=dict, blank=True)
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices,
                             default=Grade.UNGRADED)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.IN_COLLECTION)
    notes = models.TextField(_("notes"), blank=True)
    custom = models.JSONField(_("museum fields"), default=dict, blank=True)
    department = models.ForeignKey("directory.Department", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("custodial department"))
    is_published = models.BooleanField(
        _("published"), default=False,
        help_text=_("Open to the public through IIIF, Linked Art and OAI-PMH."))
    revision = models.PositiveIntegerField(_("revision"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("object")
        verbose_name_plural = _("objects")
        ordering = ["number_sort"]
        indexes = [
            models.Index(fields=["object_type", "number_sort"], name="catalog_obj_type"),
            models.Index(fields=["grade", "number_sort"], name="catalog_obj_grade"),
            models.Index(fields=["status", "number_sort"], name="catalog_obj_status"),
            models.Index(fields=["year_earliest", "year_latest"], name="catalog_obj_years"),
            models.Index(fields=["is_published", "updated_at"], name="catalog_obj_published"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(year_earliest__isnull=True) | Q(year_latest__isnull=True)
                | Q(year_earliest__lte=models.F("year_latest")),
                name="catalog_object_years_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.object_number} {text_in(self.title) or text_in(self.object_name)}"

    def title_in(self, language: str | None = None) -> str:
        return text_in(self.title, language) or text_in(self.object_name, language)


class ObjectMaterial(models.Model):
    """Structured materials of an object, in the order given (most significant first)."""

    object = models.ForeignKey(CatalogObject, on_delete=models.CASCADE,
                               related_name="material_links")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="material_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["object", "position"]
        constraints = [models.UniqueConstraint(fields=["object", "term"],
                                               name="catalog_material_once")]
        indexes = [models.Index(fields=["term", "object"], name="catalog_material_term")]


class FieldDefinition(models.Model):
    """A museum's own field on object records, kept in ``CatalogObject.custom`` under its
    code: added through this registry, never by a schema change."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice from a list")
        YES_NO = "yes-no", _("Yes or no")

    code = models.SlugField(_("code"), max_length=48, unique=True)
    label = models.JSONField(_("label"), default=dict)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    help_text = models.JSONField(_("help"), default=dict, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("museum field")
        verbose_name_plural = _("museum fields")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.code


class ObjectRevision(models.Model):
    """Every change to an object record, with the whole record after it. Append-only."""

    object = models.ForeignKey(CatalogObject, on_delete=models.PROTECT,
                               related_name="revisions")
    number = models.PositiveIntegerField()
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, default="edit")
    """edit, import, api, move (status changes made by another procedure)."""
    changes = models.JSONField(default=dict)
    """{field: [before, after]}."""
    snapshot = models.JSONField(default=dict)

    class Meta:
        ordering = ["object", "number"]
        constraints = [models.UniqueConstraint(fields=["object", "number"],
                                               name="catalog_revision_number_once")]


class InventoryCampaign(TimestampedModel):
    """Spectrum Inventory: walk a part of the location tree, scan what is there and compare
    it with what the movement log says should be there."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200)
    scope = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("locations checked"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class InventoryFinding(models.Model):
    """One object seen (scanned) at one location during a campaign."""

    campaign = models.ForeignKey(InventoryCampaign, on_delete=models.CASCADE,
                                 related_name="findings")
    object = models.ForeignKey(CatalogObject, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(auto_now_add=True)
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["campaign", "found_at"]
        constraints = [models.UniqueConstraint(fields=["campaign", "object"],
                                               name="catalog_finding_once")]


class Movement(models.Model):
    """Spectrum Location and movement control: one physical move. Append-only; a wrong
    move is corrected by another move, so the log always tells what happened."""

    object = models.ForeignKey(CatalogObject, on_delete=models.PROTECT, related_name="movements")
    from_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(_("moved at"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    authorised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=32)
    note = models.TextField(_("note"), blank=True)
    campaign = models.ForeignKey(InventoryCampaign, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["object", "moved_at", "id"]
        indexes = [models.Index(fields=["object", "moved_at", "id"], name="catalog_move_object"),
                   models.Index(fields=["to_location", "moved_at"], name="catalog_move_to")]


class CurrentLocation(models.Model):
    """Where each object is now: the ``to_location`` of its latest movement (by ``moved_at``,
    then id). Written only by the database trigger on ``catalog_movement`` (migration 0002),
    so it cannot drift from the log; ``taihe catalog verify`` recomputes it from the log.
    Backups and database copies leave it out: inserting the movements rebuilds it."""

    object = models.OneToOneField(CatalogObject, primary_key=True, on_delete=models.CASCADE,
                                  related_name="current")
    movement = models.ForeignKey(Movement, on_delete=models.DO_NOTHING, related_name="+",
                                 db_constraint=False)
    location = models.ForeignKey(Location, on_delete=models.DO_NOTHING, related_name="+",
                                 db_constraint=False)
    moved_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["location"], name="catalog_current_location")]


class ConditionCheck(models.Model):
    """Spectrum Condition checking: a dated assessment by a named person, never one field
    on the object."""

    object = models.ForeignKey(CatalogObject, on_delete=models.PROTECT,
                               related_name="condition_checks")
    checked_at = models.DateTimeField(_("checked at"))
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    """routine, loan-out, loan-return, exhibition, damage, acquisition."""
    condition = models.CharField(_("condition"), max_length=32)
    completeness = models.CharField(_("completeness"), max_length=32, blank=True)
    hazards = models.JSONField(_("hazards"), default=list, blank=True)
    note = models.TextField(_("observations"), blank=True)
    recommendations = models.TextField(_("recommendations"), blank=True)
    next_check_due = models.DateField(_("next check due"), null=True, blank=True)
    is_baseline = models.BooleanField(_("baseline"), default=False)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["object", "-checked_at", "-id"]
        indexes = [models.Index(fields=["next_check_due"], name="catalog_check_due")]


class Treatment(models.Model):
    """Spectrum Conservation: a treatment proposal and what was done."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        IN_PROGRESS = "in-progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    object = models.ForeignKey(CatalogObject, on_delete=models.PROTECT,
                               related_name="treatments")
    conservator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PROPOSED)
    started_on = models.DateField(_("started"), null=True, blank=True)
    finished_on = models.DateField(_("finished"), null=True, blank=True)
    proposal = models.TextField(_("proposal"), blank=True)
    treatment = models.TextField(_("treatment carried out"), blank=True)
    materials_used = models.TextField(_("materials used"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["object", "-created_at"]


class Loan(TimestampedModel):
    """Spectrum Loans in and Loans out, with the agreement and an approval step."""

    class Direction(models.TextChoices):
        OUT = "out", _("Loan out")
        IN = "in", _("Loan in")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ACTIVE = "active", _("Objects out / in")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("loan number"), max_length=32, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    partner = models.JSONField(_("borrower or lender"), default=dict)
    venue = models.JSONField(_("venue"), default=dict, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    insurance_currency = models.CharField(_("currency"), max_length=3, default="CNY")
    environment_requirements = models.TextField(_("environmental requirements"), blank=True)
    environment_specification = models.CharField(
        _("environmental specification"), max_length=64, blank=True,
        help_text=_("Code of a conservation environmental specification, e.g. ashrae-a."))
    agreement = models.FileField(_("agreement"), upload_to="catalog/loans/", blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")),
                                              name="catalog_loan_dates_in_order")]

    def __str__(self) -> str:
        return self.number


class LoanObject(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="lines")
    object = models.ForeignKey(CatalogObject, on_delete=models.PROTECT, related_name="loan_lines")
    insurance_value = models.DecimalField(_("insurance value"), max_digits=14, decimal_places=2,
                                          null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "id"]
        constraints = [models.UniqueConstraint(fields=["loan", "object"],
                                               name="catalog_loan_object_once")]


class Exhibition(TimestampedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.JSONField(_("title"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.PLANNED)
    objects_shown = models.ManyToManyField(CatalogObject, blank=True, related_name="exhibitions",
                                           verbose_name=_("objects"))

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.code


class ExhibitionVenue(models.Model):
    exhibition = models.ForeignKey(Exhibition, on_delete=models.CASCADE, related_name="venues")
    name = models.JSONField(_("venue"), default=dict)
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("gallery"))
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"))

    class Meta:
        ordering = ["exhibition", "opens_on"]


class Media(models.Model):
    """An image of an object, with its IIIF level-0 tiles and derivatives under
    ``MEDIA_ROOT/iiif/<identifier>/``."""

    object = models.ForeignKey(CatalogObject, on_delete=models.CASCADE, related_name="media")
    condition_check = models.ForeignKey(
        "ConditionCheck", null=True, blank=True, on_delete=models.PROTECT, related_name="photos",
        help_text=_("Set for photographs taken during a condition check."))
    identifier = models.CharField(max_length=64, unique=True)
    original = models.FileField(upload_to="catalog/originals/")
    original_name = models.CharField(max_length=255, blank=True)
    mime_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    caption = models.JSONField(_("caption"), default=dict, blank=True)
    rights = models.URLField(_("rights"), blank=True)
    is_primary = models.BooleanField(_("main image"), default=False)
    sort_order = models.PositiveIntegerField(default=0)
    tiles_ready = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["object", "-is_primary", "sort_order", "id"]


class ImportMapping(TimestampedModel):
    """A saved mapping ``{"source column": "field name"}`` for spreadsheets of one shape."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    mapping = models.JSONField(_("mapping"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportRun(TimestampedModel):
    """One import of a file, from the browser or the command line, with its report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(upload_to="catalog/imports/")
    file_name = models.CharField(max_length=255)
    mapping = models.JSONField(default=dict)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    """[{"row": 7, "field": "acquisition_date", "message": "…"}] (first 1,000)."""
    preview = models.JSONField(default=list)
    failure = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
