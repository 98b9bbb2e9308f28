"""Bulk import of object records from CSV, XLSX and JSON Lines, keyed by object number.

Rows are read as a stream, cleaned through the import field registry
(``importing.fields``) and the same validation as a single edit
(``services.check_object_values``), then written in batches: one transaction per batch, bulk
inserts and updates, a revision per changed object and the search index in the same
transaction. A batch that fails to write rolls back whole; re-running the same file then
finds the earlier batches unchanged, so an interrupted import is finished by running it
again. A dry run does every step, including the writes, inside transactions that are rolled
back, so what it reports is what a real run would store.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz, search
from taihe.kernel.db.engine import insert_many, lock_rows_query, update_many
from taihe.kernel.errors import DomainError, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.jobs import enqueue
from taihe.modules.catalog import events
from taihe.modules.catalog import operations as ops
from taihe.modules.catalog.importing import fields as import_fields
from taihe.modules.catalog.importing import readers
from taihe.modules.catalog.models import (
    SEARCH_INDEX,
    CatalogObject,
    FieldDefinition,
    ImportMapping,
    ImportRun,
    ObjectMaterial,
    ObjectRevision,
    Term,
    number_sort_key,
)
from taihe.modules.catalog.services import (
    ObjectInput,
    check_object_values,
    search_text,
    snapshot,
)

logger = logging.getLogger(__name__)

BATCH_ROWS = 500
ERRORS_KEPT = 1000
PREVIEW_ROWS = 20
Progress = Callable[[int], None]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    """``{"row": 7, "field": "acquisition_date", "message": "…"}``, first 1,000."""
    preview: list[dict[str, Any]] = field(default_factory=list)
    """First rows as they would be stored: ``{"row", "object_number", "action", "changes"}``."""

    def totals(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected}

    def reject(self, row: int, field_name: str, message: str) -> None:
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append({"row": row, "field": field_name, "message": str(message)})


@dataclass
class FilePreview:
    columns: list[str]
    rows: list[dict[str, str]]
    suggested_mapping: dict[str, str]


class _DryRunRollback(Exception):
    """Raised inside a dry run's transaction to undo it."""


def _to_input(values: Mapping[str, Any]) -> ObjectInput:
    """The import registry's cleaned values as the service's input."""
    data = ObjectInput(object_number=values.get("object_number"))
    for name in ("object_name", "title", "culture", "period", "medium", "dimensions_text",
                 "description", "acquisition_source", "credit_line"):
        if name in values:
            setattr(data, name, values[name])
    for name in ("object_type", "production_date", "year_earliest", "year_latest",
                 "acquisition_method", "acquisition_date", "notes", "makers", "materials",
                 "techniques", "custom"):
        if name in values:
            setattr(data, name, values[name])
    if "grade" in values:
        data.grade = values["grade"]
    if "status" in values:
        data.status = values["status"]
    if "dimensions" in values:
        data.dimensions = [{"kind": kind, "value": str(number), "unit": unit}
                           for kind, number, unit in values["dimensions"]]
    if "inscription" in values:
        data.inscriptions = [{"text": values["inscription"], "kind": "inscription"}]
    if "other_numbers" in values:
        data.other_numbers = [{"number": number, "kind": kind}
                              for number, kind in values["other_numbers"]]
    return data


def preview_file(source: str | Path | IO[bytes], *, filename: str) -> FilePreview:
    """The columns and first rows of a file, with a guessed mapping. Raises
    :class:`ValidationFailed` (``file``) for an unreadable file."""
    rows: list[dict[str, str]] = []
    columns = readers.read_columns(source, filename=filename)
    if hasattr(source, "seek"):
        source.seek(0)
    for row in readers.read_rows(source, filename=filename):
        rows.append(row.values)
        if len(rows) >= 5:
            break
    return FilePreview(columns, rows, import_fields.suggest_mapping(columns))


def check_mapping(mapping: Mapping[str, str], columns: list[str]) -> None:
    """Raises :class:`ValidationFailed` listing every problem of the mapping."""
    problems = import_fields.check_mapping(mapping, columns)
    if problems:
        raise ValidationFailed(
            _("The column mapping cannot be used: %(problems)s") % {
                "problems": " ".join(problem.message for problem in problems)},
            fields={"mapping": " ".join(problem.message for problem in problems)})


def _batches(rows: Iterator[readers.SourceRow], size: int) -> Iterator[list[readers.SourceRow]]:
    batch: list[readers.SourceRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Context:
    """What every batch looks up once: the vocabulary, the museum fields, term labels."""

    def __init__(self) -> None:
        terms = list(Term.objects.filter(is_active=True))
        self.vocabulary: dict[str, dict[str, Term]] = {}
        for term in terms:
            self.vocabulary.setdefault(term.scheme, {})[term.code] = term
        self.terms_by_id = {term.pk: term for term in terms}
        self.labels = {(term.scheme, term.code): term.label for term in terms}
        self.definitions = list(FieldDefinition.objects.filter(is_active=True))
        self.seen: dict[str, int] = {}


def import_file(actor: Any, source: str | Path | IO[bytes], *, filename: str,
                mapping: Mapping[str, str], dry_run: bool = False,
                progress: Progress | None = None, run_id: int | None = None) -> ImportSummary:
    """Import (or with ``dry_run`` only check) a file. Rows that fail are reported with their
    row number, field and reason and not stored; the others are created or updated by object
    number. Emits ``catalog.import.finished.v1`` (not for a dry run). Raises
    :class:`PermissionDenied`, or :class:`ValidationFailed` for an unreadable file or a mapping
    that cannot be used (before anything is stored)."""
    authz.require(actor, ops.OBJECT_IMPORT.code)
    columns = readers.read_columns(source, filename=filename)
    if hasattr(source, "seek"):
        source.seek(0)
    check_mapping(mapping, columns)
    summary = ImportSummary()
    context = _Context()
    for batch in _batches(readers.read_rows(source, filename=filename), BATCH_ROWS):
        try:
            with transaction.atomic():
                _import_batch(actor, batch, mapping, context, summary)
                if dry_run:
                    raise _DryRunRollback
        except _DryRunRollback:
            pass
        summary.rows += len(batch)
        if progress is not None:
            progress(summary.rows)
    if not dry_run:
        publish(events.ImportFinished(
            import_id=run_id or 0, dry_run=False, created=summary.created,
            updated=summary.updated, unchanged=summary.unchanged, rejected=summary.rejected,
            subject_type="catalog.import", subject_id=str(run_id or filename[:100]),
            after=dict(summary.totals())))
    return summary


def _import_batch(actor: Any, batch: list[readers.SourceRow], mapping: Mapping[str, str],
                  context: _Context, summary: ImportSummary) -> None:
    cleaned: list[tuple[int, dict[str, Any], list[str]]] = []
    for row in batch:
        if row.error:
            summary.rejected += 1
            summary.reject(row.number, "", row.error)
            continue
        mapped = import_fields.map_row(row.values, mapping)
        if mapped.errors:
            summary.rejected += 1
            for error in mapped.errors:
                summary.reject(row.number, error.field, error.message)
            continue
        number = mapped.values.get("object_number", "")
        if number in context.seen:
            summary.rejected += 1
            summary.reject(row.number, "object_number", _(
                "Object number %(number)s is already in row %(row)s of this file.") % {
                    "number": number, "row": context.seen[number]})
            continue
        context.seen[number] = row.number
        cleaned.append((row.number, mapped.values, list(mapped.values)))
    numbers = [values["object_number"] for _row, values, _names in cleaned]
    # Locked for the batch's transaction, so an edit made meanwhile is neither overwritten
    # nor given the same revision number.
    existing = {obj.object_number: obj for obj in lock_rows_query(CatalogObject.objects.filter(
        object_number__in=numbers)).select_related("object_type").prefetch_related(
        "material_links__term", "techniques")}
    creates: list[tuple[int, CatalogObject, dict[str, Any]]] = []
    updates: list[tuple[int, CatalogObject, dict[str, Any], dict[str, Any]]] = []
    for row_number, raw, _names in cleaned:
        obj = existing.get(raw["object_number"])
        try:
            values = check_object_values(_to_input(raw), obj=obj, vocabulary=context.vocabulary,
                                         definitions=context.definitions)
        except DomainError as error:
            summary.rejected += 1
            for field_name, message in (error.fields or {"": str(error.detail)}).items():
                summary.reject(row_number, field_name, message)
            continue
        if obj is None:
            creates.append((row_number, _new_object(values, context), values))
        else:
            before = snapshot(obj)
            changed = {name: value for name, value in _comparable(values).items()
                       if before.get(name) != value}
            if changed:
                updates.append((row_number, obj, values, before))
            else:
                summary.unchanged += 1
                _preview(summary, row_number, raw["object_number"], "unchanged", {})
    _write_creates(actor, creates, context, summary)
    _write_updates(actor, updates, context, summary)


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    """Cleaned values in the shape ``snapshot`` stores, so they compare."""
    shaped = dict(values)
    if isinstance(shaped.get("acquisition_date"), dt.date):
        shaped["acquisition_date"] = shaped["acquisition_date"].isoformat()
    if "techniques" in shaped:
        shaped["techniques"] = sorted(shaped["techniques"])
    return shaped


def _new_object(values: dict[str, Any], context: _Context) -> CatalogObject:
    obj = CatalogObject()
    for name, value in values.items():
        if name in ("materials", "techniques"):
            continue
        if name == "object_type":
            obj.object_type = context.vocabulary["object_type"][value] if value else None
        else:
            setattr(obj, name, value)
    obj.number_sort = number_sort_key(obj.object_number)
    obj.revision = 1
    return obj


def _preview(summary: ImportSummary, row: int, number: str, action: str,
             changes: dict[str, Any]) -> None:
    if len(summary.preview) < PREVIEW_ROWS:
        summary.preview.append({"row": row, "object_number": number, "action": action,
                                "changes": sorted(changes)})


def _write_terms(obj: CatalogObject, values: dict[str, Any], context: _Context,
                 links: list[tuple[int, int, int]], techniques: list[tuple[int, int]]) -> None:
    materials = context.vocabulary.get("material", {})
    for position, code in enumerate(values.get("materials") or []):
        links.append((obj.pk, materials[code].pk, position))
    for code in values.get("techniques") or []:
        techniques.append((obj.pk, context.vocabulary["technique"][code].pk))


def _write_creates(actor: Any, creates: list[tuple[int, CatalogObject, dict[str, Any]]],
                   context: _Context, summary: ImportSummary) -> None:
    if not creates:
        return
    CatalogObject.objects.bulk_create([obj for _row, obj, _values in creates])
    links: list[tuple[int, int, int]] = []
    techniques: list[tuple[int, int]] = []
    for _row, obj, values in creates:
        _write_terms(obj, values, context, links, techniques)
    _insert_links(links, techniques)
    revisions, documents = [], []
    now = timezone.now()
    for row_number, obj, values in creates:
        snap = _snapshot_of_new(obj, values)
        revisions.append((obj.pk, 1, now, actor.pk, "import",
                          {name: [None, value] for name, value in snap.items()
                           if value not in (None, "", [], {})}, snap))
        documents.append((obj.pk, search_text(obj, snap, context.labels)))
        summary.created += 1
        _preview(summary, row_number, obj.object_number, "create", values)
    insert_many(ObjectRevision, REVISION_COLUMNS, revisions)
    search.index_documents(SEARCH_INDEX, documents)


def _snapshot_of_new(obj: CatalogObject, values: dict[str, Any]) -> dict[str, Any]:
    """What ``services.snapshot`` would read back, without reading it back."""
    snap: dict[str, Any] = {}
    for name in ("object_number", "production_date", "year_earliest", "year_latest",
                 "acquisition_method", "acquisition_date", "grade", "status", "notes",
                 "department_id", "object_name", "title", "culture", "period", "medium",
                 "dimensions_text", "description", "acquisition_source", "credit_line",
                 "other_numbers", "makers", "dimensions", "inscriptions", "custom"):
        value = getattr(obj, name)
        snap[name] = value.isoformat() if isinstance(value, dt.date) else value
    snap["object_type"] = values.get("object_type")
    snap["materials"] = list(values.get("materials") or [])
    snap["techniques"] = sorted(values.get("techniques") or [])
    snap["is_published"] = obj.is_published
    return snap


def _write_updates(actor: Any,
                   updates: list[tuple[int, CatalogObject, dict[str, Any], dict[str, Any]]],
                   context: _Context, summary: ImportSummary) -> None:
    if not updates:
        return
    changed_fields: set[str] = set()
    links: list[tuple[int, int, int]] = []
    techniques: list[tuple[int, int]] = []
    through = CatalogObject.techniques.through
    replaced_materials, replaced_techniques = [], []
    for _row, obj, values, _before in updates:
        for name, value in values.items():
            if name == "materials":
                replaced_materials.append(obj.pk)
            elif name == "techniques":
                replaced_techniques.append(obj.pk)
            elif name == "object_type":
                obj.object_type = context.vocabulary["object_type"][value] if value else None
                changed_fields.add("object_type")
            else:
                setattr(obj, name, value)
                changed_fields.add(name)
        obj.number_sort = number_sort_key(obj.object_number)
        obj.revision += 1
        obj.updated_at = timezone.now()
        _write_terms(obj, {key: values[key] for key in ("materials", "techniques")
                           if key in values}, context, links, techniques)
    ObjectMaterial.objects.filter(object_id__in=replaced_materials).delete()
    through.objects.filter(catalogobject_id__in=replaced_techniques).delete()
    columns = sorted((changed_fields - {"object_type"}) | {"number_sort", "revision",
                                                           "updated_at"})
    if "object_type" in changed_fields:
        columns.append("object_type_id")
    update_many(CatalogObject, columns,
                [(*(getattr(obj, name) for name in columns), obj.pk)
                 for _row, obj, _values, _before in updates])
    _insert_links(links, techniques)
    revisions, documents = [], []
    now = timezone.now()
    for row_number, obj, values, before in updates:
        after = dict(before)
        after.update(_comparable(values))
        changes = {name: [before.get(name), after.get(name)] for name in after
                   if before.get(name) != after.get(name)}
        revisions.append((obj.pk, obj.revision, now, actor.pk, "import", changes, after))
        documents.append((obj.pk, search_text(obj, after, context.labels)))
        summary.updated += 1
        _preview(summary, row_number, obj.object_number, "update", changes)
    insert_many(ObjectRevision, REVISION_COLUMNS, revisions)
    search.index_documents(SEARCH_INDEX, documents)


REVISION_COLUMNS = ["object_id", "number", "changed_at", "changed_by_id", "source", "changes",
                    "snapshot"]


def _insert_links(links: list[tuple[int, int, int]], techniques: list[tuple[int, int]]) -> None:
    """Materials (object, term, position) and techniques (object, term) of a batch: plain
    rows, written with one statement each (``bulk_create`` costs more than the writes)."""
    insert_many(ObjectMaterial, ["object_id", "term_id", "position"], links)
    insert_many(CatalogObject.techniques.through, ["catalogobject_id", "term_id"], techniques)


# --- Runs from the browser ----------------------------------------------------------------------

def do_save_mapping(actor: Any, name: str, mapping: Mapping[str, str]) -> ImportMapping:
    """Save (or replace) a named mapping. Raises :class:`ValidationFailed` for unknown
    fields or a mapping without object_number."""
    authz.require(actor, ops.OBJECT_IMPORT.code)
    name = " ".join(str(name or "").split())[:120]
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the mapping a name.")
    problems = import_fields.check_mapping(mapping, list(mapping))
    if problems:
        errors["mapping"] = " ".join(problem.message for problem in problems)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        saved, _created = ImportMapping.objects.update_or_create(
            name=name, defaults={"mapping": dict(mapping), "created_by": actor})
    return saved


def start_import(actor: Any, upload: UploadedFile, *, mapping: Mapping[str, str],
                 dry_run: bool) -> ImportRun:
    """Store the file and run the import in the background (job ``catalog.import.run``).
    The mapping is checked first, so a bad one is refused before anything is queued."""
    authz.require(actor, ops.OBJECT_IMPORT.code)
    filename = Path(upload.name or "upload").name[:255]
    columns = readers.read_columns(upload, filename=filename)
    check_mapping(mapping, columns)
    upload.seek(0)
    with transaction.atomic():
        run = ImportRun(file_name=filename, mapping=dict(mapping), dry_run=dry_run,
                        started_by=actor)
        run.file.save(f"{uuid.uuid4().hex}{Path(filename).suffix.lower()[:8]}", upload,
                      save=False)
        run.save()
        from taihe.modules.catalog.jobs import run_import_job

        enqueue(run_import_job, run.pk)
    run.refresh_from_db()
    return run


def execute_run(run_id: int) -> None:
    """Run a stored import and keep its report on the run (the job's body)."""
    run = ImportRun.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None or run.status not in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        return
    ImportRun.objects.filter(pk=run_id).update(status=ImportRun.Status.RUNNING)
    try:
        with run.file.open("rb") as handle:
            summary = import_file(run.started_by, handle, filename=run.file_name,
                                  mapping=run.mapping, dry_run=run.dry_run, run_id=run.pk)
    except DomainError as error:
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportRun.Status.FAILED, failure=str(error.detail),
            finished_at=timezone.now())
        return
    except Exception:
        logger.exception("catalog import %s failed", run_id)
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportRun.Status.FAILED, finished_at=timezone.now(),
            failure=_("The import stopped on an unexpected error; rows stored before it are "
                      "kept. Running it again finishes it."))
        raise
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportRun.Status.DONE, finished_at=timezone.now(), errors=summary.errors,
        preview=summary.preview, **summary.totals())
