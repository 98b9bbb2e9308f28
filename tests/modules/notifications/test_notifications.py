"""Notifications: in the recipient's language, per-person preferences, email, live count."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils.translation import gettext_lazy as _

from taihe.kernel.errors import NotFound, ValidationFailed
from taihe.modules.notifications import api, selectors, services
from taihe.modules.notifications.models import Notification
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_notify_creates_one_per_active_recipient_and_skips_leavers(museum, run_commit_hooks):
    a = PersonFactory(department=museum["lab"])
    b = PersonFactory(department=museum["lab"], is_active=False)
    with run_commit_hooks():
        ids = api.notify([a.pk, b.pk, a.pk], category="system", title=_("System"))
    assert len(ids) == 1
    assert Notification.objects.get().recipient == a
    assert api.unread_count(a.pk) == 1


def test_messages_are_rendered_with_parameters(museum, run_commit_hooks):
    person = PersonFactory(department=museum["lab"], language="en")
    with run_commit_hooks():
        api.notify([person.pk], category="system", title="Export %(name)s ready",
                   params={"name": "org chart"})
    assert Notification.objects.get().title == "Export org chart ready"


def test_email_is_sent_once_for_people_who_want_it(museum, run_commit_hooks):
    person = PersonFactory(department=museum["lab"], email="li@museum.example")
    with run_commit_hooks():
        api.notify([person.pk], category="security", title="Locked", body="Tell IT.")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["li@museum.example"]
    assert mail.outbox[0].subject == "[Taihe] Locked"
    from taihe.modules.notifications.jobs import send_notification_email

    send_notification_email(Notification.objects.get().pk)
    assert len(mail.outbox) == 1


def test_preferences_turn_channels_off(museum, run_commit_hooks):
    person = PersonFactory(department=museum["lab"])
    with run_commit_hooks():
        services.do_set_preference(person, category="security", in_app=False, email=False)
        assert api.notify([person.pk], category="security", title="x") == []
    rows = {row["category"]: row for row in selectors.preferences_for(person)}
    assert rows["security"]["in_app"] is False
    assert rows["system"] == {"category": "system", "label": "System", "in_app": True,
                              "email": False}
    with pytest.raises(ValidationFailed):
        services.do_set_preference(person, category="nonsense", in_app=True, email=True)


def test_marking_read_only_touches_my_own(museum, run_commit_hooks):
    me = PersonFactory(department=museum["lab"])
    other = PersonFactory(department=museum["lab"])
    with run_commit_hooks():
        mine = api.notify([me.pk], category="system", title="a")
        theirs = api.notify([other.pk], category="system", title="b")
        with pytest.raises(NotFound):
            services.do_mark_read(me, theirs)
        assert services.do_mark_read(me, mine) == 1
    assert api.unread_count(me.pk) == 0
    assert api.unread_count(other.pk) == 1


def test_a_locked_account_notifies_its_owner(museum, run_commit_hooks, settings):
    from django.contrib.auth import authenticate

    person = PersonFactory(department=museum["lab"], language="zh-hans")
    with run_commit_hooks():
        for _ in range(settings.TAIHE_LOCKOUT_THRESHOLD):
            assert authenticate(None, username=person.username, password="wrong") is None
    notification = Notification.objects.get(recipient=person)
    assert notification.category == "security"


def test_the_api_lists_only_my_notifications(client_for, museum, run_commit_hooks):
    me = PersonFactory(department=museum["lab"])
    other = PersonFactory(department=museum["lab"])
    with run_commit_hooks():
        api.notify([me.pk], category="system", title="mine")
        api.notify([other.pk], category="system", title="theirs")
    body = client_for(me).get("/api/v1/notifications").json()
    assert [n["title"] for n in body["items"]] == ["mine"]
    assert client_for(me).get("/api/v1/notifications/unread").json() == {"unread": 1}
