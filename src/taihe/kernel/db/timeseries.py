"""Tables for high-volume time series: one adapter, two engines.

A series table holds small fixed-width rows keyed by (series columns…, time) where ``time`` is
whole seconds since the Unix epoch (UTC). Integers instead of timestamps: half the bytes of a
SQLite ISO string, no time-zone conversion in the hot path, and the same arithmetic for
bucketing on both engines (``time / 3600`` is integer division on both).

- SQLite: a ``WITHOUT ROWID`` table, so rows are stored clustered in key order and a
  (sensor, quantity, time) range scan reads consecutive pages.
- PostgreSQL: a table ``PARTITION BY RANGE (time)`` with one partition per calendar month
  (UTC), created on demand before rows for that month are written. Retention then drops whole
  partitions instead of deleting rows (no bloat, no vacuum storm). There is deliberately no
  DEFAULT partition: a row for a month nobody prepared fails loudly instead of landing where a
  later partition could not be created over it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, connections, transaction

from taihe.kernel.db.engine import UnsupportedEngine

# Portable column kinds -> (SQLite type, PostgreSQL type).
_TYPES = {
    "smallint": ("INTEGER", "smallint"),
    "integer": ("INTEGER", "integer"),
    "bigint": ("INTEGER", "bigint"),
    "float": ("REAL", "double precision"),
}

Column = tuple[str, str]

_SERIES_TABLES: dict[str, str] = {}


def register_series_table(table: str, time_column: str) -> None:
    """Tell the kernel a table is a series table, so that backup restores and database copies
    make its partitions before writing rows into it."""
    _SERIES_TABLES[table] = time_column


def time_column_of(table: str) -> str | None:
    return _SERIES_TABLES.get(table)


def _type(connection: Any, kind: str) -> str:
    sqlite, postgres = _TYPES[kind]
    if connection.vendor == "sqlite":
        return sqlite
    if connection.vendor == "postgresql":
        return postgres
    raise UnsupportedEngine(connection.vendor, "time-series tables")


def create_series_table(connection: Any, table: str, *, columns: Sequence[Column],
                        primary_key: Sequence[str], time_column: str) -> None:
    """Create ``table``; every column is NOT NULL. See the module docstring."""
    qn = connection.ops.quote_name
    body = ", ".join(f"{qn(name)} {_type(connection, kind)} NOT NULL" for name, kind in columns)
    key = ", ".join(qn(name) for name in primary_key)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"CREATE TABLE {qn(table)} ({body}, PRIMARY KEY ({key})) WITHOUT ROWID")
        else:
            cursor.execute(f"CREATE TABLE {qn(table)} ({body}, PRIMARY KEY ({key})) "
                           f"PARTITION BY RANGE ({qn(time_column)})")


def drop_series_table(connection: Any, table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")


def _month_start(epoch: int) -> dt.datetime:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(moment: dt.datetime) -> dt.datetime:
    return (moment.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(table: str, month: dt.datetime) -> str:
    return f"{table}_p{month:%Y%m}"


def ensure_partitions(table: str, first: int, last: int, *, using: str = "default") -> None:
    """Make sure rows with ``first <= time <= last`` have a partition (PostgreSQL: monthly;
    SQLite: nothing to do).

    Existence is checked in the database each time (one catalogue lookup per month, usually
    one): DDL is transactional on PostgreSQL, so a partition made in a transaction that rolled
    back is gone, and a process-local cache of names could not know that."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    month = _month_start(first)
    wanted: list[dt.datetime] = []
    while int(month.timestamp()) <= last:
        wanted.append(month)
        month = _next_month(month)
    qn = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT name FROM unnest(%s::text[]) AS name "
                       "WHERE to_regclass(name) IS NULL",
                       [[partition_name(table, m) for m in wanted]])
        missing = {row[0] for row in cursor.fetchall()}
        for month in wanted:
            name = partition_name(table, month)
            if name not in missing:
                continue
            low, high = int(month.timestamp()), int(_next_month(month).timestamp())
            try:
                # A savepoint, so that losing a race to another process (which created the
                # same partition a moment earlier) does not abort the caller's transaction.
                cursor.execute("SAVEPOINT taihe_partition")
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {qn(name)} PARTITION OF {qn(table)} "
                               f"FOR VALUES FROM ({low}) TO ({high})")
                cursor.execute("RELEASE SAVEPOINT taihe_partition")
            except DatabaseError:
                cursor.execute("ROLLBACK TO SAVEPOINT taihe_partition")
                cursor.execute("SELECT to_regclass(%s)", [name])
                if cursor.fetchone()[0] is None:
                    raise


def partitions(table: str, *, using: str = "default") -> list[str]:
    """Names of the table's partitions, oldest first (empty on SQLite)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s "
                       "ORDER BY c.relname", [table])
        return [row[0] for row in cursor.fetchall()]


def delete_before(table: str, time_column: str, cutoff: int, *, using: str = "default") -> int:
    """Remove rows with ``time < cutoff``. On PostgreSQL whole months before the cutoff are
    dropped as partitions; the rest is deleted row by row. Returns rows deleted (dropped
    partitions are counted too)."""
    connection = connections[using]
    qn = connection.ops.quote_name
    removed = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in partitions(table, using=using):
                month = dt.datetime.strptime(name.rsplit("_p", 1)[1], "%Y%m").replace(tzinfo=dt.UTC)
                if int(_next_month(month).timestamp()) <= cutoff:
                    cursor.execute(f"SELECT count(*) FROM {qn(name)}")
                    removed += int(cursor.fetchone()[0])
                    cursor.execute(f"DROP TABLE {qn(name)}")
        cursor.execute(f"DELETE FROM {qn(table)} WHERE {qn(time_column)} < %s", [cutoff])
        removed += max(cursor.rowcount, 0)
    return removed


def insert_ignoring_duplicates(table: str, columns: Sequence[Column],
                               rows: Sequence[Sequence[Any]], *, using: str = "default") -> int:
    """Insert rows, skipping any whose primary key is already stored. Returns rows stored.

    SQLite: one ``executemany`` of ``INSERT OR IGNORE``. PostgreSQL: one statement per batch
    that unnests column arrays (one round trip, one plan) with ``ON CONFLICT DO NOTHING``.
    """
    if not rows:
        return 0
    connection = connections[using]
    qn = connection.ops.quote_name
    names = ", ".join(qn(name) for name, _kind in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            before = connection.connection.total_changes
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT OR IGNORE INTO {qn(table)} ({names}) VALUES ({marks})",
                               rows)
            return int(connection.connection.total_changes - before)
        if connection.vendor != "postgresql":
            raise UnsupportedEngine(connection.vendor, "time-series tables")
        arrays = [list(values) for values in zip(*rows, strict=True)]
        unnest = ", ".join(f"%s::{_type(connection, kind)}[]" for _name, kind in columns)
        cursor.execute(f"INSERT INTO {qn(table)} ({names}) SELECT * FROM unnest({unnest}) "
                       "ON CONFLICT DO NOTHING", arrays)
        return int(cursor.rowcount)


def insert_plain(table: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]], *,
                 using: str = "default") -> None:
    """The rawest bulk insert the engine offers for these rows (no duplicate handling):
    the baseline the ingest benchmark compares itself with."""
    if not rows:
        return
    connection = connections[using]
    qn = connection.ops.quote_name
    names = ", ".join(qn(name) for name, _kind in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [list(values) for values in zip(*rows, strict=True)]
            unnest = ", ".join(f"%s::{_type(connection, kind)}[]" for _name, kind in columns)
            cursor.execute(f"INSERT INTO {qn(table)} ({names}) SELECT * FROM unnest({unnest})",
                           arrays)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})", rows)

