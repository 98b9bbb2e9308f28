"""Password login with account lockout after repeated failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from taihe.kernel.events import publish
from taihe.modules.directory import events
from taihe.modules.directory.models import Person


class LockoutModelBackend(ModelBackend):
    """After ``TAIHE_LOCKOUT_THRESHOLD`` wrong passwords in a row the account is locked for
    ``TAIHE_LOCKOUT_MINUTES``; even the right password is refused until then."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if not username or password is None:
            return None
        person = Person.objects.filter(username__iexact=username.strip()).first()
        if person is None:
            Person().set_password(password)  # same work as a real check: no timing oracle
            return None
        if person.is_locked():
            if request is not None:
                request.taihe_locked = True  # type: ignore[attr-defined]
            return None
        if person.check_password(password) and self.user_can_authenticate(person):
            if person.failed_logins or person.locked_until:
                Person.objects.filter(pk=person.pk).update(failed_logins=0, locked_until=None)
                person.failed_logins, person.locked_until = 0, None
            return person
        self._record_failure(person, request)
        return None

    def _record_failure(self, person: Person, request: HttpRequest | None) -> None:
        with transaction.atomic():
            Person.objects.filter(pk=person.pk).update(failed_logins=F("failed_logins") + 1)
            person.refresh_from_db(fields=["failed_logins"])
            if person.failed_logins >= settings.TAIHE_LOCKOUT_THRESHOLD:
                until = timezone.now() + timedelta(minutes=settings.TAIHE_LOCKOUT_MINUTES)
                Person.objects.filter(pk=person.pk).update(locked_until=until, failed_logins=0)
                publish(events.AccountLocked(
                    person_id=person.pk, actor_id=person.pk, subject_type="directory.person",
                    subject_id=str(person.pk), after={"locked_until": until.isoformat()}))
                if request is not None:
                    request.taihe_locked = True  # type: ignore[attr-defined]
