"""``taihe db copy --to URL``: move an installation's database onto another engine.

Built for the step from the embedded profile (SQLite) to the scaled one (PostgreSQL): the
target is migrated with this code's migrations, every table is copied with its ids inside one
transaction, sequences are reset, and then every table is read back from both sides and
compared (row count and a checksum of the rows' content). Files stay where they are.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import dj_database_url
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction

from taihe.kernel.db import engine
from taihe.kernel.db.backup import (
    CHUNK_ROWS,
    COMPARE_LIMIT,
    REGENERATED_MODELS,
    BackupError,
    RowCodec,
    Write,
    append_only_suspended,
    canonical_json,
    clear_tables,
    data_models,
    insert_rows,
    pending_migrations,
    reset_sequences,
    row_count,
    snapshot,
)

TARGET_ALIAS = "taihe_copy_target"


class CopyError(BackupError):
    """The copy was refused or did not verify; the target is left as it was before."""


def _filled(config: dict[str, Any]) -> dict[str, Any]:
    """A DATABASES entry with Django's defaults filled in, as settings would have it."""
    return dict(connections.configure_settings({DEFAULT_DB_ALIAS: dict(config)})[
        DEFAULT_DB_ALIAS])


@contextmanager
def database_alias(url: str, alias: str = TARGET_ALIAS) -> Iterator[str]:
    """A second DATABASES entry for ``url`` that exists while the block runs."""
    if alias in connections.settings:
        raise CopyError(f"the database alias {alias!r} is already configured")
    try:
        config = _filled(dict(dj_database_url.parse(url)))
    except ValueError as error:
        raise CopyError(f"cannot read the database URL: {error}") from error
    connections.settings[alias] = config
    if settings.DATABASES is not connections.settings:
        settings.DATABASES[alias] = config  # type: ignore[assignment]
    try:
        # Connect now, so a wrong URL or an unreachable server is reported before any work.
        try:
            with connections[alias].wrap_database_errors:
                connections[alias].connect()
        except DatabaseError as error:
            raise CopyError(f"cannot connect to {_describe(config)}: {error}") from error
        yield alias
    finally:
        connections[alias].close()
        with suppress(AttributeError):
            del connections[alias]
        connections.settings.pop(alias, None)
        settings.DATABASES.pop(alias, None)


def _describe(config: dict[str, Any]) -> str:
    """The database a config names, without its password."""
    if "sqlite" in str(config.get("ENGINE")):
        return f"SQLite {config.get('NAME')}"
    return (f"{config.get('NAME')} on {config.get('HOST') or 'localhost'}"
            f":{config.get('PORT') or 'default port'} as {config.get('USER') or '(no user)'}")


def _same_database(first: str, second: str) -> bool:
    keys = ("ENGINE", "NAME", "HOST", "PORT")
    one, other = connections[first].settings_dict, connections[second].settings_dict
    return all(str(one.get(key) or "") == str(other.get(key) or "") for key in keys)


def table_checksum(model: type[models.Model], alias: str) -> tuple[int, str]:
    """Row count and a checksum of the table's content that both engines compute alike.

    Each row is encoded engine-neutrally (see :class:`RowCodec`), serialised as canonical
    JSON and hashed; the table's checksum is the sum of the row hashes modulo 2**256. Summing
    makes it independent of row order, which matters because text primary keys sort by
    collation, and collations differ between SQLite and PostgreSQL."""
    total = 0
    count = 0
    for row in RowCodec(model).rows(alias):
        total = (total + int.from_bytes(hashlib.sha256(canonical_json(row)).digest(), "big")) \
            % (1 << 256)
        count += 1
    return count, f"{total:064x}"


def _target_data(models_list: list[type[models.Model]], source: str, target: str) -> dict[str, int]:
    """Tables on the target holding rows the copy would lose: rows that are not already
    identical on the source (a migration's seed rows, such as the system roles, are)."""
    found = {}
    for model in models_list:
        label = model._meta.label_lower
        if label in REGENERATED_MODELS:
            continue
        count = row_count(model, target)
        if not count:
            continue
        if count > COMPARE_LIMIT:
            found[label] = count
            continue
        codec = RowCodec(model)
        present = {codec.key(row): canonical_json(row) for row in codec.rows(target)}
        for row in codec.rows(source):
            key = codec.key(row)
            if present.get(key) == canonical_json(row):
                del present[key]
            if not present:
                break
        if present:
            found[label] = len(present)
    return found


def _copy_model(model: type[models.Model], source: str, target: str) -> int:
    codec = RowCodec(model)
    queryset = (model._base_manager.using(source).order_by("pk")
                .values_list(*codec.attnames))
    batch: list[SimpleNamespace] = []
    count = 0
    for values in queryset.iterator(chunk_size=CHUNK_ROWS):
        batch.append(SimpleNamespace(**dict(zip(codec.attnames, values, strict=True))))
        count += 1
        if len(batch) >= CHUNK_ROWS:
            insert_rows(model, batch, target)
            batch = []
    insert_rows(model, batch, target)
    return count


@dataclass
class CopySummary:
    rows: dict[str, int]
    checksums: dict[str, str]
    seconds: float


def copy_database(source: str, target: str, *, force: bool = False,
                  write: Write = lambda line: None) -> CopySummary:
    """Copy every table of ``source`` into ``target`` and prove the copy equal.

    Raises :class:`CopyError` (nothing copied) when the source has unapplied migrations,
    when both aliases name the same database, when the target holds data and ``force`` is
    off, or (everything rolled back) when the copy does not verify."""
    started = time.monotonic()
    if _same_database(source, target):
        raise CopyError("the target is the database Taihe runs on now")
    pending = pending_migrations(source)
    if pending:
        raise CopyError(f"{len(pending)} migrations are not applied to the current database; "
                        "run `taihe migrate` first")
    target_connection = connections[target]
    write(f"Migrating the target ({target_connection.vendor}) ...")
    call_command("migrate", database=target, interactive=False, verbosity=0)
    with snapshot(source):
        summary = _copy(source, target, force=force, started=started)
    engine.run_rebuilders(target, write)
    return summary


def _copy(source: str, target: str, *, force: bool, started: float) -> CopySummary:
    target_connection = connections[target]
    models_list = data_models()
    data = _target_data(models_list, source, target)
    if data and not force:
        listed = ", ".join(f"{label} ({count})" for label, count in sorted(data.items()))
        raise CopyError(f"the target database already holds data: {listed}. Choose an empty "
                        "database, or pass --force to replace its data")

    rows: dict[str, int] = {}
    with transaction.atomic(using=target), append_only_suspended(target_connection):
        # Content types and permissions that migrate just generated go too: the source's
        # rows come across with their ids, which every reference to them uses.
        clear_tables(target_connection, [model._meta.db_table for model in models_list])
        derived = engine.derived_models()
        for model in models_list:
            if model._meta.label_lower in derived:
                continue  # rebuilt by the target's triggers; still verified below
            rows[model._meta.label_lower] = _copy_model(model, source, target)
        target_connection.check_constraints()
        reset_sequences(target_connection, models_list)
        # Verified inside the transaction, so a mismatch leaves the target as it was.
        checksums: dict[str, str] = {}
        mismatches = []
        for model in models_list:
            label = model._meta.label_lower
            expected = table_checksum(model, source)
            found = table_checksum(model, target)
            checksums[label] = found[1]
            if expected != found:
                mismatches.append(f"{label}: source {expected[0]} rows {expected[1][:12]}, "
                                  f"target {found[0]} rows {found[1][:12]}")
        if mismatches:
            raise CopyError("the copy does not match the source; nothing was kept:\n  "
                            + "\n  ".join(mismatches))
    ContentType.objects.clear_cache()
    return CopySummary(rows=rows, checksums=checksums, seconds=time.monotonic() - started)
