"""Notifications that follow from other modules' events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from taihe.kernel.events import subscribe
from taihe.modules.notifications.services import do_notify


@subscribe("directory.person.locked.v1", name="notifications.account_locked")
def account_locked(event: object) -> None:
    person_id = getattr(event, "person_id")
    do_notify([person_id], category="security",
              title=_("Your account was locked after repeated failed sign-ins"),
              body=_("If this was not you, tell IT. The lock lifts by itself shortly."))


@subscribe("directory.person.password_changed.v1", name="notifications.password_changed")
def password_changed(event: object) -> None:
    do_notify([getattr(event, "person_id")], category="security",
              title=_("Your password was changed"),
              body=_("If you did not change it, tell IT at once."))


@subscribe("directory.orgchart.exported.v1", name="notifications.orgchart_exported")
def orgchart_exported(event: object) -> None:
    do_notify([getattr(event, "requested_by_id")], category="exports",
              title=_("Your org chart export is ready"),
              body=_("Download it from the directory."),
              url=f"/directory/exports/{getattr(event, 'export_id')}/download")
