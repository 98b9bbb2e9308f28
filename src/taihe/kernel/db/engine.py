"""Engine adapters: the only place that asks which database runs underneath."""

from __future__ import annotations

from typing import Any

from django.db import connection, connections
from django.db.backends.signals import connection_created


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
    return queryset.select_for_update()


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
