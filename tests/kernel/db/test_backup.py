"""``taihe dump`` and ``taihe restore``: a portable archive that restores to an exact copy."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connections, transaction

from taihe.kernel.db import backup
from taihe.modules.audit import chain
from taihe.modules.audit.models import AuditEntry
from taihe.modules.directory.models import Department
from tests.kernel.db.conftest import MEDIA_FILES, everything_on, rows

pytestmark = pytest.mark.django_db


def _dump(tmp_path: Path) -> Path:
    archive = tmp_path / "backup.tar.gz"
    call_command("dump", "--output", str(archive), stdout=io.StringIO())
    return archive


def _restore(archive: Path, alias: str, *extra: str) -> str:
    out = io.StringIO()
    call_command("restore", str(archive), "--database", alias, *extra, stdout=out)
    return out.getvalue()


def _rewrite(archive: Path, target: Path, change: Any) -> Path:
    """Copy ``archive`` to ``target``, passing each member's bytes through ``change``."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def _edit_manifest(archive: Path, target: Path, edit: Any) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return _rewrite(archive, target, change)


def test_the_manifest_describes_the_archive(museum_data, tmp_path):
    # Given a museum with data and files; when it is dumped
    archive = _dump(tmp_path)
    # Then the manifest names the format, the versions, the migrations and every file
    with tarfile.open(archive) as opened:
        names = opened.getnames()
        manifest = json.load(opened.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert names[0] == "manifest.json"
    assert manifest["format"] == "taihe-backup"
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["taihe_version"] == backup.taihe_version()
    assert manifest["created_at"].endswith("Z")
    assert manifest["database"]["vendor"] == connections["default"].vendor
    assert "0002_append_only" in manifest["migrations"]["audit"]
    assert manifest["row_counts"]["directory.person"] == 6
    assert manifest["row_counts"]["audit.auditentry"] == AuditEntry.objects.count() > 4
    assert "sessions.session" not in manifest["models"]
    assert sorted(name for name in manifest["files"] if name.startswith("media/")) == sorted(
        f"media/{name}" for name in MEDIA_FILES)
    assert set(manifest["files"]) == set(names) - {"manifest.json"}


def test_dump_then_restore_into_a_fresh_database_gives_back_every_row_and_file(
        museum_data, tmp_path, sqlite_database, settings):
    # Given a dump of a museum
    archive = _dump(tmp_path)
    expected = rows("default")
    settings.MEDIA_ROOT = str(tmp_path / "restored-media")
    # When it is restored into a new database that was never migrated
    with sqlite_database("restored") as alias:
        output = _restore(archive, alias)
        # Then every row of every table is equal, ids, timestamps and JSON included
        assert rows(alias) == expected
        assert "directory.person" in output and "Restored" in output
        # the media files are back byte for byte
        for name, content in MEDIA_FILES.items():
            assert (tmp_path / "restored-media" / name).read_bytes() == content
        # sessions stayed behind: nobody is signed in to the copy
        from django.contrib.sessions.models import Session

        assert Session.objects.using(alias).count() == 0
        # the audit chain verifies there, and the table is append-only again
        with everything_on(alias):
            assert chain.verify() == (len(expected["audit.auditentry"]), [])
        assert backup.append_only_tables(connections[alias]) == [
            "attendance_ledgerentry", "attendance_punch", "audit_auditentry", "catalog_movement",
            "catalog_objectrevision", "workflows_action"]
        with pytest.raises(IntegrityError), transaction.atomic(using=alias):
            AuditEntry.objects.using(alias).filter(sequence=1).update(subject_id="x")
        # and new rows get new ids
        created = Department.objects.using(alias).create(code="new", name_zh="新部门",
                                                         path="/x/")
        assert created.pk > max(row[0] for row in expected["directory.department"])


def test_a_tampered_archive_is_refused_before_anything_is_written(
        museum_data, tmp_path, sqlite_database, settings):
    # Given an archive where one person's name was changed after the dump
    archive = _rewrite(_dump(tmp_path), tmp_path / "tampered.tar.gz",
                       lambda name, data: data.replace("张三1号".encode(), "李四1号".encode())
                       if name == "data/directory.person.jsonl" else data)
    settings.MEDIA_ROOT = str(tmp_path / "restored-media")
    with sqlite_database("restored") as alias:
        # When it is restored; then it is refused and names the file
        with pytest.raises(CommandError, match=r"directory\.person\.jsonl: checksum mismatch"):
            _restore(archive, alias)
        # and nothing was written: not even the schema, not one file
        assert backup.table_names(alias) == set()
        assert not (tmp_path / "restored-media").exists()


def test_restoring_over_data_needs_force_and_then_replaces_it(
        museum_data, tmp_path, sqlite_database):
    archive = _dump(tmp_path)
    expected = rows("default")
    with sqlite_database("restored") as alias:
        _restore(archive, alias)
        # Given a restored database that then got a department of its own
        Department.objects.using(alias).create(code="extra", name_zh="新增部", path="/9/")
        # When the archive is restored again without --force; then it is refused
        with pytest.raises(CommandError, match=r"already holds data: directory\.department "
                                               r"\(1\).*--force"):
            _restore(archive, alias)
        assert Department.objects.using(alias).filter(code="extra").exists()
        # With --force the database's data is replaced by the archive's
        _restore(archive, alias, "--force")
        assert rows(alias) == expected
        with everything_on(alias):
            assert chain.verify()[1] == []


def test_restoring_the_same_archive_twice_needs_no_force(museum_data, tmp_path,
                                                         sqlite_database):
    # A fresh database holds the seeded system roles; rows identical to the archive's are not
    # "data in the way", so restoring over them (or over an identical restore) is allowed.
    archive = _dump(tmp_path)
    with sqlite_database("restored") as alias:
        call_command("migrate", database=alias, verbosity=0)
        _restore(archive, alias)
        _restore(archive, alias)
        assert rows(alias) == rows("default")


def test_an_archive_of_a_future_format_is_refused(museum_data, tmp_path, sqlite_database):
    def future(manifest: dict[str, Any]) -> None:
        manifest["format_version"] = backup.FORMAT_VERSION + 1
        manifest["taihe_version"] = "9.0.0"

    archive = _edit_manifest(_dump(tmp_path), tmp_path / "future.tar.gz", future)
    with sqlite_database("restored") as alias:
        with pytest.raises(CommandError, match=rf"format version {backup.FORMAT_VERSION + 1}, "
                                               r"written by Taihe 9\.0\.0.*Upgrade Taihe"):
            _restore(archive, alias)
        assert backup.table_names(alias) == set()


def test_an_archive_with_migrations_this_code_lacks_is_refused(museum_data, tmp_path,
                                                               sqlite_database):
    archive = _edit_manifest(_dump(tmp_path), tmp_path / "newer.tar.gz",
                             lambda manifest: manifest["migrations"]["directory"].append(
                                 "0999_from_the_future"))
    with sqlite_database("restored") as alias:
        with pytest.raises(CommandError, match=r"directory\.0999_from_the_future"):
            _restore(archive, alias)
        assert backup.table_names(alias) == set()


def test_an_older_archive_is_restored_at_its_state_then_migrated_forward(
        museum_data, tmp_path, sqlite_database):
    # Given an archive made before audit's 0002 migration (which adds the triggers)
    archive = _edit_manifest(_dump(tmp_path), tmp_path / "older.tar.gz",
                             lambda manifest: manifest["migrations"]["audit"].remove(
                                 "0002_append_only"))
    with sqlite_database("restored") as alias:
        # When it is restored; then the rows are loaded and the missing migration applied
        output = _restore(archive, alias)
        assert "applying them now" in output
        assert rows(alias) == rows("default")
        assert backup.append_only_tables(connections[alias]) == [
            "attendance_ledgerentry", "attendance_punch", "audit_auditentry", "catalog_movement",
            "catalog_objectrevision", "workflows_action"]


def test_a_file_that_is_not_a_backup_is_refused(tmp_path, sqlite_database):
    not_a_backup = tmp_path / "photo.tar.gz"
    not_a_backup.write_bytes(b"\x89PNG not a tar")
    with sqlite_database("restored") as alias, pytest.raises(CommandError, match="cannot read"):
        _restore(not_a_backup, alias)


def test_dump_refuses_while_migrations_are_pending(tmp_path, sqlite_database):
    with sqlite_database("unmigrated") as alias, pytest.raises(
            CommandError, match=r"not applied.*taihe migrate"):
        call_command("dump", "--database", alias, "--output", str(tmp_path / "x.tar.gz"))


def test_rows_round_trip_through_the_engine_neutral_encoding(museum_data):
    # Every value type comes back as the same Python value after JSON.
    for model in backup.data_models():
        codec = backup.RowCodec(model)
        for encoded in codec.rows("default"):
            again = json.loads(json.dumps(encoded))
            decoded = vars(codec.decode(again))
            key = {name: decoded[name] for name in codec.key_attnames}
            original = model._base_manager.filter(**key).values(*codec.attnames).get()
            assert decoded == original, model
