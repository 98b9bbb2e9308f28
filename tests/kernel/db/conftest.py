"""Shared ground for the backup and copy tests: a museum with a little of everything, a way to
open a second database, and an independent row-by-row comparison of two databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.db import router

from taihe.kernel.authz.models import VisibilityRule
from taihe.kernel.db import backup
from taihe.kernel.db.copy import database_alias
from taihe.modules.directory import services
from taihe.modules.directory.models import Person
from taihe.modules.notifications.models import Notification

MEDIA_FILES = {
    "people/张三.jpg": bytes(range(256)) * 4,
    "exports/组织架构 2026.xlsx": b"PK\x03\x04 not really a workbook \x00\xff",
    "deep/a/b/c/readme.txt": "太和 museum\n".encode(),
}


@pytest.fixture
def museum_data(admin_person: Person, member: Person, outsider: Person, museum: dict[str, Any],
                run_commit_hooks: Callable[[], Any], settings: Any) -> dict[str, Any]:
    """Rows in every kind of column the platform has: Chinese text, JSON, aware datetimes
    with microseconds, nullable foreign keys (the outsider has no department), many-to-many
    rows, content-type references, and an audit hash chain written by real services."""
    with run_commit_hooks():
        people = [
            services.do_create_person(admin_person, services.PersonInput(
                username=f"zhang{index}", name_zh=f"张三{index}号", name_en=f"Zhang {index}",
                department_id=museum["lab"].pk))
            for index in range(3)
        ]
    with run_commit_hooks():
        services.do_update_person(admin_person, people[0],
                                  services.PersonInput(phone="010-8888 转 12"))
        group = services.do_save_group(admin_person, name="书画修复小组", member_ids=[
            people[0].pk, people[1].pk, member.pk])
        issued = services.do_issue_token(admin_person, name="扫描仪 scanner",
                                         scopes=["read"])
    Notification.objects.create(
        recipient=member, category="directory", title="欢迎 welcome 🎉",
        body='{"quoted": "json-looking text"}\n第二行',
        read_at=dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC))
    person_type = ContentType.objects.get_for_model(Person)
    VisibilityRule.objects.create(content_type=person_type, object_id=people[0].pk,
                                  kind="department", target_id=museum["lab"].pk)
    VisibilityRule.objects.create(content_type=person_type, object_id=people[1].pk,
                                  kind="everyone", target_id=None)
    LogEntry.objects.log_actions(admin_person.pk, [people[2]], ADDITION,
                                 change_message=[{"added": {}}])
    member.user_permissions.add(Permission.objects.get(codename="view_person"))
    session = SessionStore()
    session["person"] = member.pk
    session.create()
    media_root = Path(settings.MEDIA_ROOT)
    for name, content in MEDIA_FILES.items():
        (media_root / name).parent.mkdir(parents=True, exist_ok=True)
        (media_root / name).write_bytes(content)
    return {"people": people, "group": group, "token": issued.token}


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Callable[[str], Any]:
    """``with sqlite_database("name") as alias:`` a fresh, empty SQLite file database."""

    @contextmanager
    def open_database(name: str) -> Iterator[str]:
        path = tmp_path / f"{name}.sqlite3"
        with database_alias(f"sqlite:///{path}", alias=name) as alias:
            yield alias

    return open_database


def rows(alias: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the sessions, as Django reads them (not via the code
    under test), in primary-key order."""
    found = {}
    for model in backup.data_models():
        label = model._meta.label_lower
        if label == "sessions.session":
            continue
        names = [field.attname for field in backup.row_fields(model)]
        found[label] = list(model._base_manager.using(alias).order_by("pk")
                            .values_list(*names))
    return found


@contextmanager
def everything_on(alias: str) -> Iterator[None]:
    """Route every ORM read and write to ``alias``, e.g. to run the audit chain's verify()
    against a restored database."""

    class Everything:
        def db_for_read(self, model: Any, **hints: Any) -> str:
            return alias

        def db_for_write(self, model: Any, **hints: Any) -> str:
            return alias

    with mock.patch.object(router, "routers", [Everything()]):
        yield
