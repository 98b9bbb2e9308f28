from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "taihe.modules.attendance"
    label = "attendance"
    verbose_name = _("Attendance")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from taihe.modules.attendance import jobs, operations, subscribers  # noqa: F401
        from taihe.modules.attendance.seed import on_post_migrate
        from taihe.modules.attendance.services import register_subjects
        from taihe.modules.workflows import api as workflows

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="attendance.seed")
        register_subjects()
        workflows.register_working_days(_working_days)


def _working_days(start, end, person_id):  # type: ignore[no-untyped-def]
    """Working days of a person's own calendar for approval forms (weekdays when the
    person is in no attendance group)."""
    from taihe.modules.attendance.selectors import working_days_for

    return working_days_for(person_id, start, end)
