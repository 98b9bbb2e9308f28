"""Portable backups: ``taihe dump`` writes one archive, ``taihe restore`` reads it back.

The archive is a gzip'd tar file::

    manifest.json                    format, versions, migrations, row counts, SHA-256 per file
    data/<app_label>.<model>.jsonl   one JSON object per row, in primary-key order
    media/<path>                     every file under MEDIA_ROOT, byte for byte

Rows are engine-neutral: datetimes, dates and times in ISO 8601 (full microseconds, with
offset), decimals as strings, JSON fields as JSON, binary as base64, UUIDs as strings. Keys
are the columns' attribute names (``department_id``), so a row never depends on another
table's natural key.

What is and is not in the archive (a decision; see also ``docs/decisions``):

* Every concrete model of every installed app, auto-created many-to-many tables included,
  with its primary keys unchanged.
* Content types and permissions are kept *with their ids*. A fresh database regenerates them
  after ``migrate``, usually with the same ids, but nothing guarantees it; the visibility
  rules, the admin log, one-time-password devices and the permission many-to-many tables
  refer to them by id. Restoring them verbatim (replacing the regenerated rows) keeps every
  reference right with no mapping step and makes the restored database an exact copy.
* Sessions are left out: they are short-lived sign-ins, and restoring them would sign people
  in to whatever account holds the same id. A restore clears the session table.

Restore checks the whole archive (every SHA-256, the format version, the migrations) before
it writes anything, and writes every row in one transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import IO, Any

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_iso_string

from taihe.kernel.db import engine, timeseries

FORMAT_NAME = "taihe-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
CHUNK_ROWS = 2000

# Models whose rows a fresh ``migrate`` regenerates: they never count as "data already
# there" and a restore replaces them wholesale.
REGENERATED_MODELS = frozenset({"contenttypes.contenttype", "auth.permission"})
# Models left out of the archive, with the reason printed in the manifest.
SKIPPED_MODELS = {
    "sessions.session": "sign-ins are not restored; people sign in again",
}
# Past this many rows in one table, a restore stops comparing the database's rows with the
# archive's one by one and simply counts the table as holding data.
COMPARE_LIMIT = 50_000

Write = Callable[[str], Any]


class BackupError(RuntimeError):
    """The archive or the database is not in a state we may dump from or restore into."""


# --- Rows: engine-neutral encoding ------------------------------------------------------------

Encoder = Callable[[Any], Any]


def _isoformat(value: Any) -> str:
    return str(value.isoformat())


def _decimal(value: Decimal) -> str:
    return str(value)


def _binary(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _duration(value: dt.timedelta) -> str:
    return duration_iso_string(value)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return _binary(value)
    return str(value)  # e.g. a custom field's value object; its to_python() reads it back


_ENCODERS: dict[str, Encoder] = {
    "DateTimeField": _isoformat,
    "DateField": _isoformat,
    "TimeField": _isoformat,
    "DecimalField": _decimal,
    "BinaryField": _binary,
    "DurationField": _duration,
    "UUIDField": str,
    "JSONField": lambda value: value,
}


def _encoder(model_field: models.Field[Any, Any]) -> Encoder:
    target = model_field.target_field if model_field.is_relation else model_field  # type: ignore[attr-defined]
    return _ENCODERS.get(target.get_internal_type(), _plain)


def row_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The columns of ``model``'s own table, in declaration order."""
    return [
        model_field for model_field in model._meta.local_concrete_fields
        if not getattr(model_field, "generated", False)
    ]


class RowCodec:
    """Turns database values of one model into JSON-ready dicts and back."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = row_fields(model)
        self.attnames = [model_field.attname for model_field in self.fields]
        self._encoders = [_encoder(model_field) for model_field in self.fields]
        pk = model._meta.pk
        assert pk is not None
        # A composite primary key (Django 5.2) is a tuple of columns.
        self.key_attnames = [part.attname for part in getattr(pk, "fields", [pk])]

    def key(self, row: dict[str, Any]) -> Any:
        """The row's primary key: a value, or a tuple for a composite key."""
        if len(self.key_attnames) == 1:
            return row.get(self.key_attnames[0])
        return tuple(row.get(name) for name in self.key_attnames)

    def encode(self, values: Iterable[Any]) -> dict[str, Any]:
        return {
            name: (None if value is None else encode(value))
            for name, encode, value in zip(self.attnames, self._encoders, values, strict=True)
        }

    def decode(self, row: dict[str, Any]) -> SimpleNamespace:
        decoded = {}
        for model_field in self.fields:
            value = row[model_field.attname]
            if value is not None and model_field.get_internal_type() != "JSONField":
                value = model_field.to_python(value)
            decoded[model_field.attname] = value
        return SimpleNamespace(**decoded)

    def rows(self, alias: str, chunk: int = CHUNK_ROWS) -> Iterator[dict[str, Any]]:
        """Every row of the table, encoded, in primary-key order, fetched in chunks."""
        queryset = (self.model._base_manager.using(alias).order_by("pk")
                    .values_list(*self.attnames))
        for values in queryset.iterator(chunk_size=chunk):
            yield self.encode(values)


def canonical_json(row: dict[str, Any]) -> bytes:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def insert_rows(model: type[models.Model], objects: list[SimpleNamespace], alias: str) -> None:
    """INSERT with the ids and timestamps exactly as given: ``raw=True`` skips ``pre_save``,
    which would otherwise overwrite ``auto_now`` fields with the current time."""
    if not objects:
        return
    fields = row_fields(model)
    time_column = timeseries.time_column_of(model._meta.db_table)
    if time_column is not None:
        times = [getattr(row, time_column) for row in objects]
        timeseries.ensure_partitions(model._meta.db_table, min(times), max(times), using=alias)
    batch = max(1, connections[alias].ops.bulk_batch_size(fields, objects))
    manager = model._base_manager.using(alias)
    for start in range(0, len(objects), batch):
        manager._insert(objects[start:start + batch], fields=fields,  # type: ignore[attr-defined]
                        using=alias, raw=True)


# --- Models and their order ---------------------------------------------------------------------


def data_models(registry: Any = global_apps) -> list[type[models.Model]]:
    """Every model with its own table, in an order where referenced tables come first
    (cycles, such as department.head and person.department, are broken arbitrarily: foreign
    keys are deferred to commit on both engines, so order is a courtesy, not a need)."""
    candidates = [
        model for model in registry.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]
    by_label = {model._meta.label_lower: model for model in candidates}
    depends: dict[str, set[str]] = {}
    for label, model in by_label.items():
        targets = set()
        for model_field in row_fields(model):
            related = model_field.related_model if model_field.is_relation else None
            concrete = related._meta.concrete_model if isinstance(related, type) else None
            if concrete is not None:
                target = concrete._meta.label_lower
                if target != label and target in by_label:
                    targets.add(target)
        depends[label] = targets
    ordered: list[type[models.Model]] = []
    done: set[str] = set()
    remaining = sorted(by_label)
    while remaining:
        ready = [label for label in remaining if depends[label] <= done] or remaining[:1]
        for label in ready:
            ordered.append(by_label[label])
            done.add(label)
        remaining = [label for label in remaining if label not in done]
    return ordered


def table_names(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


def row_count(model: type[models.Model], alias: str) -> int:
    return int(model._base_manager.using(alias).count())


# --- Engine work: append-only triggers, clearing, sequences, constraints --------------------------


def append_only_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Tables guarded by :func:`taihe.kernel.db.engine.make_append_only`, found in the
    database itself so the kernel needs no list of them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                           "AND name = tbl_name || '_no_delete'")
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = "
                           "t.tgrelid WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid) "
                           "AND t.tgname = c.relname || '_append_only'")
        else:
            return []
        return sorted(row[0] for row in cursor.fetchall())


@contextmanager
def append_only_suspended(connection: BaseDatabaseWrapper) -> Iterator[list[str]]:
    """Drop the append-only triggers and re-create them on the way out. Call inside the
    transaction that does the writing: both engines roll the DDL back with it."""
    tables = append_only_tables(connection)
    for table in tables:
        engine.drop_append_only(connection, table)
    yield tables
    for table in tables:
        engine.make_append_only(connection, table)


def clear_tables(connection: BaseDatabaseWrapper, tables: Iterable[str]) -> None:
    """Delete every row of ``tables`` (one TRUNCATE on PostgreSQL). Append-only triggers
    must be suspended by the caller."""
    present = sorted(set(tables) & table_names(connection.alias))
    if present:
        connection.ops.execute_sql_flush(
            connection.ops.sql_flush(no_style(), present, reset_sequences=False,
                                     allow_cascade=False))


def reset_sequences(connection: BaseDatabaseWrapper, model_list: list[type[models.Model]]) -> None:
    """After inserting explicit ids, point PostgreSQL's sequences past the highest one.
    (SQLite's AUTOINCREMENT follows explicit ids by itself; the list is empty there.)"""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


# --- Migrations -----------------------------------------------------------------------------


def applied_migrations(alias: str) -> dict[str, list[str]]:
    """Applied migrations per app, for the apps this code has migrations for."""
    loader = MigrationLoader(connections[alias], ignore_no_migrations=True)
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        if app_label in loader.migrated_apps:
            applied.setdefault(app_label, []).append(name)
    return applied


def pending_migrations(alias: str) -> list[str]:
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def _nodes(migrations: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(app_label, name) for app_label, names in migrations.items() for name in names}


def _targets(loader: MigrationLoader, nodes: set[tuple[str, str]]) -> list[tuple[str, str | None]]:
    """The per-app migration targets whose plan is exactly ``nodes``."""
    targets: list[tuple[str, str | None]] = []
    for app_label in sorted(loader.migrated_apps):
        app_nodes = {node for node in nodes if node[0] == app_label}
        if not app_nodes:
            targets.append((app_label, None))
            continue
        for node in sorted(app_nodes):
            if app_nodes <= set(loader.graph.forwards_plan(node)):
                targets.append(node)
                break
        else:
            raise BackupError(f"the archive's migrations for {app_label} have no single "
                              f"latest one: {sorted(name for _, name in app_nodes)}")
    return targets


def migrate_to(alias: str, nodes: set[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connections[alias])
    targets = _targets(executor.loader, nodes)
    plan = executor.migration_plan(targets)
    if plan and len({backwards for _, backwards in plan}) > 1:
        raise BackupError("this database would need migrations both applied and unapplied to "
                          "match the archive; restore into a new, empty database instead")
    executor.migrate(targets, plan=plan)


# --- Dump -----------------------------------------------------------------------------------


@dataclass
class DumpSummary:
    path: Path
    rows: dict[str, int]
    media_files: int
    size: int
    seconds: float


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


class _HashingReader:
    """Reads a file into the tar while hashing it, to catch a file changed mid-dump."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.handle.read(size)
        self.digest.update(block)
        return block


def media_files(media_root: Path) -> list[Path]:
    if not media_root.is_dir():
        return []
    return sorted(path for path in media_root.rglob("*") if path.is_file()
                  and not path.is_symlink())


def taihe_version() -> str:
    try:
        return importlib.metadata.version("taihe")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def default_archive_path() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / f"taihe-backup-{stamp}.tar.gz"


@contextmanager
def snapshot(alias: str) -> Iterator[None]:
    """One read transaction for the whole dump, so rows of different tables agree.
    SQLite: the connection's IMMEDIATE transactions hold the write lock, so writers wait.
    PostgreSQL: a REPEATABLE READ snapshot; writers go on."""
    connection = connections[alias]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=alias):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def dump(output: Path | None = None, *, alias: str = DEFAULT_DB_ALIAS,
         media_root: Path | None = None, write: Write = lambda line: None) -> DumpSummary:
    """Write the whole installation (every table's rows and every media file) into one
    archive. Raises :class:`BackupError` when migrations are pending."""
    started = time.monotonic()
    pending = pending_migrations(alias)
    if pending:
        raise BackupError(f"{len(pending)} migrations are not applied ({', '.join(pending[:5])}"
                          f"{', ...' if len(pending) > 5 else ''}); run `taihe migrate` first")
    path = Path(output) if output else default_archive_path()
    media = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    path.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    model_entries: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="taihe-dump-", dir=path.parent) as scratch:
        scratch_dir = Path(scratch)
        (scratch_dir / "data").mkdir()
        with snapshot(alias):
            migrations = applied_migrations(alias)
            for model in data_models():
                label = model._meta.label_lower
                if label in SKIPPED_MODELS or label in engine.derived_models():
                    continue
                name = f"data/{label}.jsonl"
                digest = hashlib.sha256()
                count = 0
                with (scratch_dir / name).open("wb") as handle:
                    for row in RowCodec(model).rows(alias):
                        line = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
                        data = line.encode() + b"\n"
                        handle.write(data)
                        digest.update(data)
                        count += 1
                files[name] = {"sha256": digest.hexdigest(),
                               "size": (scratch_dir / name).stat().st_size}
                model_entries[label] = {"file": name, "rows": count,
                                        "table": model._meta.db_table}
        media_paths = media_files(media)
        for media_path in media_paths:
            sha256, size = _sha256_file(media_path)
            files[f"media/{media_path.relative_to(media).as_posix()}"] = {
                "sha256": sha256, "size": size}
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "taihe_version": taihe_version(),
            "created_at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "database": {"vendor": connections[alias].vendor},
            "migrations": migrations,
            "models": model_entries,
            "row_counts": {label: entry["rows"] for label, entry in model_entries.items()},
            "skipped": {**SKIPPED_MODELS, **engine.derived_models()},
            "files": files,
        }
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(body)
            info.mtime = int(time.time())
            archive.addfile(info, _BytesReader(body))
            for name in (entry["file"] for entry in model_entries.values()):
                archive.add(scratch_dir / name, arcname=name, recursive=False)
            for media_path in media_paths:
                name = f"media/{media_path.relative_to(media).as_posix()}"
                info = archive.gettarinfo(media_path, arcname=name)
                with media_path.open("rb") as handle:
                    reader = _HashingReader(handle)
                    archive.addfile(info, reader)
                if reader.digest.hexdigest() != files[name]["sha256"]:
                    raise BackupError(f"{media_path} changed while it was being archived; "
                                      "run the dump again")
        os.replace(partial, path)
    summary = DumpSummary(path=path, rows=manifest["row_counts"],  # type: ignore[arg-type]
                          media_files=len(media_paths), size=path.stat().st_size,
                          seconds=time.monotonic() - started)
    write(f"Wrote {path} ({summary.size / 1024:.0f} KiB in {summary.seconds:.1f} s): "
          f"{sum(summary.rows.values())} rows in {len(summary.rows)} tables, "
          f"{summary.media_files} media files.")
    return summary


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        block = self.data[self.offset:end]
        self.offset += len(block)
        return block


# --- Restore --------------------------------------------------------------------------------


@dataclass
class RestoreSummary:
    rows: dict[str, int]
    media_files: int
    migrated_forward: bool
    seconds: float
    manifest: dict[str, Any] = field(default_factory=dict)


def _safe_member_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"the archive holds an unsafe path: {name!r}")
    normalised = path.as_posix()
    if normalised != MANIFEST_NAME and path.parts[0] not in {"data", "media"}:
        raise BackupError(f"the archive holds an unexpected entry: {name!r}")
    return normalised


def check_manifest(manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BackupError("this is not a Taihe backup (its manifest names another format)")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise BackupError("the archive's manifest has no format version")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"this archive uses backup format version {version}, written by Taihe "
            f"{manifest.get('taihe_version', '?')}; this Taihe ({taihe_version()}) reads up to "
            f"version {FORMAT_VERSION}. Upgrade Taihe, then restore.")


def unpack(archive_path: Path, into: Path) -> dict[str, Any]:
    """Extract the archive into ``into`` and check every file against the manifest.
    Returns the manifest. Nothing outside ``into`` is written."""
    hashes: dict[str, tuple[str, int]] = {}
    try:
        with tarfile.open(archive_path, "r:*") as archive:
            for member in archive:
                if member.isdir():
                    continue
                name = _safe_member_name(member.name)
                if not member.isfile():
                    raise BackupError(f"the archive holds a link or device: {member.name!r}")
                if name in hashes:
                    raise BackupError(f"the archive holds {name!r} twice")
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                assert source is not None
                digest = hashlib.sha256()
                size = 0
                with source, target.open("wb") as handle:
                    while block := source.read(1 << 20):
                        digest.update(block)
                        size += len(block)
                        handle.write(block)
                hashes[name] = (digest.hexdigest(), size)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"cannot read {archive_path}: {error}") from error
    if MANIFEST_NAME not in hashes:
        raise BackupError(f"{archive_path} has no {MANIFEST_NAME}: not a Taihe backup")
    try:
        manifest = json.loads((into / MANIFEST_NAME).read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupError(f"the archive's manifest is not valid JSON: {error}") from error
    check_manifest(manifest)
    expected = manifest.get("files") or {}
    problems = []
    for name, entry in sorted(expected.items()):
        found = hashes.get(name)
        if found is None:
            problems.append(f"{name}: missing")
        elif found != (entry.get("sha256"), entry.get("size")):
            problems.append(f"{name}: checksum mismatch")
    problems += [f"{name}: not listed in the manifest"
                 for name in sorted(set(hashes) - set(expected) - {MANIFEST_NAME})]
    for label, entry in (manifest.get("models") or {}).items():
        if entry.get("file") not in expected:
            problems.append(f"{label}: its data file is not listed")
    if problems:
        raise BackupError("the archive is damaged or was altered; nothing was restored:\n  "
                          + "\n  ".join(problems[:20]))
    return manifest


def _rows_not_in_archive(model: type[models.Model], alias: str, data_file: Path | None) -> int:
    """How many of the database's rows the restore would lose: rows absent from the archive
    or different there. Rows a migration seeded identically (the system roles) are fine."""
    count = row_count(model, alias)
    if count == 0:
        return 0
    if data_file is None or count > COMPARE_LIMIT:
        return count
    codec = RowCodec(model)
    present = {codec.key(row): canonical_json(row) for row in codec.rows(alias)}
    with data_file.open("rb") as handle:
        for line in handle:
            row = json.loads(line)
            key = codec.key(row)
            if key in present and present[key] == canonical_json(row):
                del present[key]
            if not present:
                break
    return len(present)


def existing_data(alias: str, registry: Any, archive_dir: Path,
                  manifest: dict[str, Any]) -> dict[str, int]:
    """Tables whose rows the restore would lose, with how many."""
    present_tables = table_names(alias)
    found = {}
    entries = manifest.get("models") or {}
    for model in data_models(registry):
        label = model._meta.label_lower
        if (label in REGENERATED_MODELS or label in SKIPPED_MODELS
                or label in engine.derived_models()):
            continue
        if model._meta.db_table not in present_tables:
            continue
        entry = entries.get(label)
        lost = _rows_not_in_archive(model, alias,
                                    archive_dir / entry["file"] if entry else None)
        if lost:
            found[label] = lost
    return found


def restore(archive_path: Path, *, alias: str = DEFAULT_DB_ALIAS, force: bool = False,
            media_root: Path | None = None, write: Write = lambda line: None) -> RestoreSummary:
    """Restore an archive written by :func:`dump` into an empty database (or, with
    ``force``, into one whose data is then replaced). Raises :class:`BackupError` before
    writing anything when the archive is damaged, of an unknown future format, made by code
    with migrations this code lacks, or when the database holds data and ``force`` is off."""
    started = time.monotonic()
    connection = connections[alias]
    media = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="taihe-restore-") as scratch:
        archive_dir = Path(scratch)
        manifest = unpack(Path(archive_path), archive_dir)
        write(f"Archive verified: Taihe {manifest.get('taihe_version')}, made "
              f"{manifest.get('created_at')} on {manifest.get('database', {}).get('vendor')}, "
              f"{len(manifest.get('files', {}))} files, every SHA-256 matches.")

        loader = MigrationLoader(connection, ignore_no_migrations=True)
        archive_nodes = _nodes(manifest.get("migrations") or {})
        unknown = sorted(archive_nodes - set(loader.disk_migrations))
        if unknown:
            raise BackupError(
                "the archive was made by a Taihe with migrations this code does not have ("
                + ", ".join(f"{app}.{name}" for app, name in unknown[:8])
                + f"); install Taihe {manifest.get('taihe_version')} or newer, then restore")
        database_nodes = _nodes(applied_migrations(alias))
        same_state = database_nodes == archive_nodes
        registry = (loader.project_state(sorted(database_nodes)).apps if database_nodes
                    else global_apps)
        data = existing_data(alias, registry, archive_dir, manifest) if database_nodes else {}
        if data and not force:
            listed = ", ".join(f"{label} ({count})" for label, count in sorted(data.items()))
            raise BackupError(f"the database already holds data: {listed}. Restore into an "
                              "empty database, or pass --force to replace it")
        if not same_state:
            if data:  # --force: the data goes first, so the schema can move
                with transaction.atomic(using=alias), append_only_suspended(connection):
                    clear_tables(connection, [m._meta.db_table for m in data_models(registry)])
            write("Migrating the database to the archive's migration state ...")
            migrate_to(alias, archive_nodes)

        state_models = data_models(MigrationLoader(connection, ignore_no_migrations=True)
                                   .project_state(sorted(archive_nodes)).apps)
        entries = manifest.get("models") or {}
        by_label = {model._meta.label_lower: model for model in state_models}
        missing = sorted(set(entries) - set(by_label))
        if missing:
            raise BackupError(f"the archive holds tables this code does not know: {missing}")
        restored: dict[str, int] = {}
        with transaction.atomic(using=alias), append_only_suspended(connection):
            clear_tables(connection, [model._meta.db_table for model in state_models])
            for model in state_models:
                label = model._meta.label_lower
                entry = entries.get(label)
                if entry is None:
                    continue
                restored[label] = _load_model(model, archive_dir / entry["file"], alias)
                if restored[label] != entry.get("rows"):
                    raise BackupError(f"{label}: the manifest promises {entry.get('rows')} "
                                      f"rows, the data file holds {restored[label]}")
            connection.check_constraints()
            reset_sequences(connection, [m for m in state_models if m._meta.label_lower
                                         in restored])
        ContentType.objects.clear_cache()

        media_count = _restore_media(archive_dir, manifest, media)

    code_leaves = set(loader.graph.leaf_nodes())
    migrated_forward = not code_leaves <= archive_nodes
    if migrated_forward:
        write("The archive predates this code's migrations; applying them now ...")
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    engine.run_rebuilders(alias, write)
    summary = RestoreSummary(rows=restored, media_files=media_count,
                             migrated_forward=migrated_forward,
                             seconds=time.monotonic() - started, manifest=manifest)
    for label, count in sorted(restored.items()):
        if count:
            write(f"  {label:<40} {count:>8} rows")
    write(f"Restored {sum(restored.values())} rows in {len(restored)} tables and "
          f"{media_count} media files into {media} in {summary.seconds:.1f} s.")
    return summary


def _load_model(model: type[models.Model], data_file: Path, alias: str) -> int:
    codec = RowCodec(model)
    count = 0
    batch: list[SimpleNamespace] = []
    with data_file.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                batch.append(codec.decode(json.loads(line)))
            except (ValueError, KeyError) as error:
                raise BackupError(f"{model._meta.label_lower}: unreadable row "
                                  f"{count + 1}: {error}") from error
            count += 1
            if len(batch) >= CHUNK_ROWS:
                insert_rows(model, batch, alias)
                batch = []
    insert_rows(model, batch, alias)
    return count


def _restore_media(archive_dir: Path, manifest: dict[str, Any], media_root: Path) -> int:
    count = 0
    for name in sorted(manifest.get("files") or {}):
        if not name.startswith("media/"):
            continue
        target = media_root / PurePosixPath(name).relative_to("media")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".restoring")
        shutil.copyfile(archive_dir / name, partial)
        os.replace(partial, target)
        count += 1
    return count
