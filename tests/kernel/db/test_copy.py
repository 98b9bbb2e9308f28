"""``taihe db copy --to URL``: the embedded database moves to PostgreSQL with nothing lost."""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connections, transaction

from taihe.kernel.db import backup
from taihe.kernel.db.copy import database_alias
from taihe.modules.audit import chain
from taihe.modules.audit.models import AuditEntry
from taihe.modules.directory.models import Department, Person
from taihe.modules.notifications.models import Notification
from tests.conftest import service_missing
from tests.kernel.db.conftest import everything_on, rows

pytestmark = pytest.mark.django_db


def _server() -> dict[str, Any]:
    """The PostgreSQL server to make throwaway databases on: the suite's own when it runs on
    PostgreSQL, else the local one."""
    url = os.environ.get("TAIHE_DATABASE_URL", "")
    parsed = urlparse(url if url.startswith("postgres") else "postgresql://postgres@127.0.0.1:5432/")
    return {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 5432,
            "user": parsed.username or "postgres", "password": parsed.password or ""}


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (``taihe_copy_test_<random>``), dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    server = _server()
    try:
        admin = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3, **server)
    except psycopg.OperationalError as error:
        service_missing("PostgreSQL", str(error).strip())
    name = f"taihe_copy_test_{secrets.token_hex(6)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    credentials = server["user"] + (f":{server['password']}" if server["password"] else "")
    try:
        yield f"postgresql://{credentials}@{server['host']}:{server['port']}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _copy(url: str, *extra: str) -> str:
    out = io.StringIO()
    call_command("db", "copy", "--to", url, *extra, stdout=out)
    return out.getvalue()


def _assert_exact_copy(alias: str, museum_data: dict[str, Any]) -> None:
    # Every row of every table (sessions included: the same people sign in to the copy)
    assert rows(alias) == rows("default")
    from django.contrib.sessions.models import Session

    assert list(Session.objects.using(alias).values_list("session_key", "session_data")) == \
        list(Session.objects.values_list("session_key", "session_data"))
    # spelled out for the values most at risk in a move between engines
    copied = Person.objects.using(alias).get(username="zhang0")
    assert (copied.name_zh, copied.phone) == ("张三0号", "010-8888 转 12")
    assert Person.objects.using(alias).get(username="outsider").department_id is None
    note = Notification.objects.using(alias).get()
    assert note.title == "欢迎 welcome 🎉"
    assert note.read_at.isoformat() == "2026-03-01T08:30:15.123456+00:00"
    first = AuditEntry.objects.using(alias).get(sequence=1)
    assert first.after == AuditEntry.objects.get(sequence=1).after
    # the audit chain verifies on the copy, whose table is append-only again
    with everything_on(alias):
        assert chain.verify() == (AuditEntry.objects.count(), [])
    assert backup.append_only_tables(connections[alias]) == [
        "attendance_ledgerentry", "attendance_punch", "audit_auditentry", "catalog_movement",
        "catalog_objectrevision", "workflows_action"]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=alias):
        AuditEntry.objects.using(alias).filter(sequence=1).delete()
    # and sequences were moved past the copied ids
    created = Department.objects.using(alias).create(code="after-copy", name_zh="新部门",
                                                     path="/x/")
    assert created.pk > Department.objects.exclude(pk=created.pk).order_by("-pk")[0].pk


@pytest.mark.services
def test_copy_to_postgresql_loses_nothing(museum_data, postgres_url):
    # Given the museum on the current database; when it is copied to an empty PostgreSQL
    output = _copy(postgres_url)
    # Then the command says what to do next, and that files stay put
    assert f"TAIHE_DATABASE_URL={postgres_url}" in output
    assert "Files were not moved" in output
    assert "every table's row count and checksum match" in output
    with database_alias(postgres_url, alias="copied") as alias:
        assert connections[alias].vendor == "postgresql"
        _assert_exact_copy(alias, museum_data)


@pytest.mark.services
def test_copy_refuses_a_target_with_data_unless_forced(museum_data, postgres_url):
    _copy(postgres_url)
    with database_alias(postgres_url, alias="copied") as alias:
        Department.objects.using(alias).create(code="theirs", name_zh="他们的部门", path="/t/")
    # When copying again onto a target with a row of its own; then it is refused
    with pytest.raises(CommandError, match=r"already holds data: directory\.department \(1\)"):
        _copy(postgres_url)
    # With --force its data is replaced
    _copy(postgres_url, "--force")
    with database_alias(postgres_url, alias="copied") as alias:
        assert not Department.objects.using(alias).filter(code="theirs").exists()
        assert rows(alias) == rows("default")


def test_copy_to_another_sqlite_file_is_exact_too(museum_data, tmp_path):
    # The same machinery without a server: runs everywhere.
    url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    _copy(url)
    with database_alias(url, alias="copied") as alias:
        _assert_exact_copy(alias, museum_data)


def test_an_unreachable_target_is_reported_before_any_work(museum_data):
    with pytest.raises(CommandError, match="cannot connect to nowhere on 127.0.0.1:9"):
        _copy("postgresql://nobody@127.0.0.1:9/nowhere")
