"""Engine adapters: the only place that asks which database runs underneath."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import connection, connections
from django.db.backends.signals import connection_created


class UnsupportedEngine(RuntimeError):
    """Taihe runs on SQLite and PostgreSQL; another engine reached an adapter."""

    def __init__(self, vendor: str, feature: str) -> None:
        super().__init__(f"{feature} has no adapter for the {vendor!r} database engine; "
                         "Taihe supports SQLite and PostgreSQL")


def vendor(alias: str = "default") -> str:
    return connections[alias].vendor


def is_sqlite(alias: str = "default") -> bool:
    return vendor(alias) == "sqlite"


def _tune_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        # Sized for one museum server: a 64 MiB page cache and memory-mapped reads.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA temp_store=MEMORY")


_DERIVED_MODELS: dict[str, str] = {}


def register_derived_model(label: str, reason: str) -> None:
    """Name a table that database triggers rebuild from other tables (``app.model``, lower
    case). Backups and copies leave its rows out: loading its source rebuilds them, and a
    copied row would collide with the rebuilt one."""
    _DERIVED_MODELS[label.lower()] = reason


def derived_models() -> dict[str, str]:
    return dict(_DERIVED_MODELS)


_REBUILDERS: dict[str, Callable[[str], Any]] = {}


def register_rebuilder(name: str, rebuild: Callable[[str], Any]) -> None:
    """Name a function that rebuilds data kept outside the models (a full-text index) from
    the models' rows; restore and ``db copy`` call it with the database alias when done."""
    _REBUILDERS[name] = rebuild


def run_rebuilders(alias: str, write: Callable[[str], Any] = lambda line: None) -> None:
    for name, rebuild in sorted(_REBUILDERS.items()):
        write(f"Rebuilding {name} ...")
        rebuild(alias)


def connect_signals() -> None:
    connection_created.connect(_tune_sqlite, dispatch_uid="taihe.kernel.db.tune_sqlite")


def describe() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite ({settings_dict['NAME']})"
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or "5432"
    return f"{connection.vendor} ({settings_dict.get('NAME')} on {host}:{port})"


def lock_rows_query(queryset: Any) -> Any:
    """``SELECT ... FOR UPDATE`` where the engine has it; SQLite's IMMEDIATE transactions
    already serialise writers, so the plain queryset is enough there."""
    if is_sqlite(queryset.db):
        return queryset
    # of=("self",): lock the queryset's own rows only, so it may also select_related a
    # nullable foreign key (PostgreSQL refuses FOR UPDATE on the nullable side of a join).
    return queryset.select_for_update(of=("self",))


def make_append_only(connection: Any, table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` inside the database itself, so even a raw SQL
    session cannot quietly rewrite history (the hash chain would still reveal it)."""
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for action in ("UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} "
                    f"ON {quoted} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                )
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql;"
            )
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {quoted}")
            cursor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {quoted} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only();"
            )


def drop_append_only(connection: Any, table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for action in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON "
                           f"{connection.ops.quote_name(table)}")


def make_latest_projection(connection: Any, *, source: str, target: str, key: str,
                           order: str, columns: dict[str, str]) -> None:
    """Keep ``target`` holding, for every ``key``, the newest ``source`` row by
    (``order``, id): a trigger upserts on every INSERT into ``source``, and a late row with an
    older ``order`` leaves the newer one in place. ``columns`` maps target columns to source
    columns (the key and ``order`` columns included; the source id goes to the column mapped
    from ``"id"``). Used for "current state derived from an append-only log".
    """
    qn = connection.ops.quote_name
    target_columns = list(columns)
    id_target = next(name for name, origin in columns.items() if origin == "id")
    order_target = next(name for name, origin in columns.items() if origin == order)
    key_target = next(name for name, origin in columns.items() if origin == key)
    values = ", ".join(f"NEW.{qn(columns[name])}" for name in target_columns)
    updates = ", ".join(f"{qn(name)} = excluded.{qn(name)}" for name in target_columns
                        if name != key_target)
    newer = (f"excluded.{qn(order_target)} > {qn(target)}.{qn(order_target)} OR "
             f"(excluded.{qn(order_target)} = {qn(target)}.{qn(order_target)} AND "
             f"excluded.{qn(id_target)} > {qn(target)}.{qn(id_target)})")
    upsert = (f"INSERT INTO {qn(target)} ({', '.join(qn(c) for c in target_columns)}) "
              f"VALUES ({values}) ON CONFLICT ({qn(key_target)}) DO UPDATE SET {updates} "
              f"WHERE {newer};")
    name = f"{target}_from_{source}"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {qn(source)} "
                           f"BEGIN {upsert} END;")
        elif connection.vendor == "postgresql":
            cursor.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
                           f"BEGIN {upsert} RETURN NULL; END; $$ LANGUAGE plpgsql;")
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {qn(source)}")
            cursor.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {qn(source)} "
                           f"FOR EACH ROW EXECUTE FUNCTION {name}();")
        else:
            raise UnsupportedEngine(connection.vendor, "the latest-row projection")


def drop_latest_projection(connection: Any, *, source: str, target: str) -> None:
    name = f"{target}_from_{source}"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {connection.ops.quote_name(source)}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def id_sample_sql(low: int, high: int, stride: int) -> tuple[str, list[int]]:
    """SQL listing ``low, low + stride, …`` up to ``high`` (a recursive CTE, the same on both
    engines), to sample a table's ids evenly without scanning it: ``id IN (<this>)``."""
    return ("WITH RECURSIVE sample(x) AS (SELECT CAST(%s AS BIGINT) UNION ALL "
            "SELECT x + %s FROM sample "
            "WHERE x + %s <= %s) SELECT x FROM sample", [int(low), int(stride), int(stride),
                                                          int(high)])


def _converters(connection: Any, fields: list[Any]) -> list[Any]:
    from django.db import models

    def converter(field: Any) -> Any:
        if isinstance(field, models.JSONField):
            return lambda value: json.dumps(value, ensure_ascii=False)
        if isinstance(field, models.DateTimeField):
            return connection.ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return connection.ops.adapt_datefield_value
        return None

    return [converter(field) for field in fields]


def _fields(model: Any, columns: list[str]) -> list[Any]:
    """The fields of ``columns``, each a field name or attname (``person_id`` of the
    foreign key ``person``, or a plain integer field that happens to end in ``_id``)."""
    return [model._meta.get_field(name) for name in columns]


def _adapt(converters: list[Any], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(value if convert is None or value is None else convert(value)
                  for convert, value in zip(converters, row, strict=True)) for row in rows]


def insert_many(model: Any, columns: list[str], rows: list[tuple[Any, ...]], *,
                using: str = "default") -> None:
    """INSERT many rows with one ``executemany``: the values (in the model's Python types,
    by field attname) are adapted with one converter per column. Several times cheaper
    than ``bulk_create`` for large batches of small rows, and the same on both engines;
    no ids come back, no signals fire."""
    if not rows:
        return
    connection = connections[using]
    fields = _fields(model, columns)
    qn = connection.ops.quote_name
    names = ", ".join(qn(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES ({marks})",
                           _adapt(_converters(connection, fields), rows))


def update_many(model: Any, columns: list[str], rows: list[tuple[Any, ...]], *,
                using: str = "default") -> None:
    """UPDATE many rows by primary key with one ``executemany``: each row is the new values
    of ``columns`` followed by the primary key. ``bulk_update`` builds one CASE expression
    per field over the whole batch, which grows quadratically slow for large batches."""
    if not rows:
        return
    connection = connections[using]
    fields = _fields(model, columns)
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in fields)
    converters = [*_converters(connection, fields), None]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {qn(model._meta.db_table)} SET {assignments} "
                           f"WHERE {qn(model._meta.pk.column)} = %s", _adapt(converters, rows))


def quick_count(queryset: Any) -> tuple[int, bool]:
    """(rows, exact) of a queryset, cheaply: SQLite counts (it keeps the count of a plain
    table at hand and counts an index quickly); PostgreSQL, which must visit every row to
    count, answers with the planner's estimate when that says more than 100,000 rows."""
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = plan if isinstance(plan, list) else json.loads(plan)
        planned = int(plan[0]["Plan"]["Plan Rows"])
        if planned > 100_000:
            return planned, False
    return queryset.count(), True
