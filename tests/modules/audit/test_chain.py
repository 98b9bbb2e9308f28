"""The audit log records every service write, hash-chained and append-only."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from taihe.modules.audit import chain
from taihe.modules.audit.models import AppendOnlyError, AuditEntry
from taihe.modules.directory import services

pytestmark = pytest.mark.django_db


def _create_person(actor, museum, username="newcomer"):
    return services.do_create_person(
        actor, services.PersonInput(username=username, name_zh="新人", name_en="New Comer",
                                    department_id=museum["lab"].pk))


def test_a_service_write_is_recorded_with_actor_request_and_after_values(
        admin_person, museum, run_commit_hooks):
    # Given an administrator; when they add a person through the service
    with run_commit_hooks():
        person = _create_person(admin_person, museum)
    # Then exactly one audit entry describes it
    entry = AuditEntry.objects.get(event_name="directory.person.created.v1")
    assert entry.subject_type == "directory.person"
    assert entry.subject_id == str(person.pk)
    assert entry.after["username"] == "newcomer"
    assert entry.after["department_id"] == museum["lab"].pk
    assert entry.before is None
    assert entry.sequence == 1
    assert entry.previous_hash == chain.GENESIS


def test_updates_record_only_changed_fields_before_and_after(admin_person, museum,
                                                              run_commit_hooks):
    with run_commit_hooks():
        person = _create_person(admin_person, museum)
    with run_commit_hooks():
        services.do_update_person(admin_person, person, services.PersonInput(phone="010-1234"))
    entry = AuditEntry.objects.get(event_name="directory.person.updated.v1")
    assert entry.before == {"phone": ""}
    assert entry.after == {"phone": "010-1234"}


def test_verify_passes_on_an_intact_chain_and_finds_tampering(admin_person, museum,
                                                              run_commit_hooks):
    with run_commit_hooks():
        for index in range(3):
            _create_person(admin_person, museum, username=f"p{index}")
    assert chain.verify() == (3, [])
    # When someone rewrites history behind the application's back (triggers dropped first)
    from taihe.kernel.db.engine import drop_append_only, make_append_only

    drop_append_only(connection, "audit_auditentry")
    AuditEntry.objects.filter(sequence=2).update(subject_id="999")
    make_append_only(connection, "audit_auditentry")
    checked, breaks = chain.verify()
    assert checked == 3
    assert [(b.sequence, b.reason) for b in breaks] == [(2, "content does not match its hash")]


def test_entries_cannot_be_changed_or_deleted(admin_person, museum, run_commit_hooks):
    with run_commit_hooks():
        _create_person(admin_person, museum)
    entry = AuditEntry.objects.get()
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    # The database refuses too, even for a bulk update that bypasses the model.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(subject_id="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_a_redelivered_event_is_recorded_once(admin_person, museum, run_commit_hooks):
    from taihe.kernel.events.delivery import deliver
    from taihe.kernel.events.models import EventDelivery, OutboxEvent

    with run_commit_hooks():
        _create_person(admin_person, museum)
    row = OutboxEvent.objects.get(name="directory.person.created.v1")
    # Simulate a lost delivery marker: the handler itself must still be idempotent.
    EventDelivery.objects.filter(event=row).delete()
    assert deliver(row) == []
    assert AuditEntry.objects.filter(event_id=row.event_id).count() == 1


def test_the_verify_command_reports_intact_and_tampered_logs(admin_person, museum,
                                                             run_commit_hooks):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from taihe.kernel.db.engine import drop_append_only, make_append_only

    with run_commit_hooks():
        _create_person(admin_person, museum)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().strip() == "audit log intact: 1 entries, every link verified"
    drop_append_only(connection, "audit_auditentry")
    AuditEntry.objects.update(after={"username": "someone-else"})
    make_append_only(connection, "audit_auditentry")
    err = StringIO()
    with pytest.raises(CommandError, match="TAMPERED: 1 problem"):
        call_command("audit", "verify", stdout=StringIO(), stderr=err)
    assert err.getvalue().strip() == "entry 1: content does not match its hash"


def test_entries_written_with_a_local_time_zone_still_verify(db):
    import uuid
    from datetime import datetime
    from zoneinfo import ZoneInfo

    with transaction.atomic():
        chain.append(event_id=uuid.uuid4(), event_name="tests.thing.done.v1", actor_id=None,
                     request_id="", subject_type="", subject_id="", before=None, after=None,
                     payload={},
                     occurred_at=datetime(2026, 5, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert chain.verify() == (1, [])
