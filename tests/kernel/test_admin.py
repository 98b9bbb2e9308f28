"""The Django admin is for operators only, and shows domain data read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from taihe.kernel.jobs.models import JobRecord
from taihe.modules.directory.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_people_who_are_not_operators_cannot_open_the_admin(client_for, admin_person, member):
    # The museum administrator role is not Django-admin access: that needs is_staff.
    assert client_for(member).get("/admin/").status_code == 302
    assert client_for(admin_person).get("/admin/").status_code == 302
    assert Client().get("/admin/").status_code == 302


def test_operators_see_people_but_cannot_change_them(museum):
    operator = PersonFactory(department=museum["root"], is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(operator)
    assert client.get("/admin/directory/person/").status_code == 200
    response = client.post(f"/admin/directory/person/{operator.pk}/change/",
                           {"username": "renamed"})
    assert response.status_code == 403
    assert Person.objects.get(pk=operator.pk).username == operator.username
    assert client.get("/admin/directory/person/add/").status_code == 403


def test_operators_can_requeue_failed_jobs(museum):
    from django.utils import timezone

    operator = PersonFactory(department=museum["root"], is_staff=True, is_superuser=True)
    failed = JobRecord.objects.create(name="notifications.email.send", args=[1], status="failed",
                                      attempts=6, run_after=timezone.now())
    client = Client()
    client.force_login(operator)
    response = client.post("/admin/kernel/jobrecord/", {
        "action": "requeue", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("queued", 0)
