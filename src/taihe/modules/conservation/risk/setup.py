"""Registrations of risk: jobs, schedules, subscribers, the object panel, tiles."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def register() -> None:
    """Called once from ``ConservationConfig.ready``."""
    from taihe.kernel.shell import (
        AppTile,
        register_app,
        register_object_panel,
        register_todo_source,
    )
    from taihe.modules.conservation import operations as ops
    from taihe.modules.conservation.risk import (
        demo,  # noqa: F401  registers the demo loader
        jobs,  # noqa: F401  registers jobs, schedules
        views,
    )

    register_app(
        AppTile(
            code="conservation.risk",
            label=gettext_lazy("Climate risk"),
            icon="shield",
            order=44,
            description=gettext_lazy(
                "Objects and places most at risk, what to do about each, and the ABC risk register"
            ),
            url_name="conservation:risk_overview",
            operation=ops.RISK_VIEW.code,
        )
    )
    from taihe.modules.conservation.risk.services import register_subjects

    register_subjects()  # care tasks start object movement and repair approvals
    register_object_panel("conservation.climate_risk", views.object_panel, order=50)
    register_todo_source("conservation.risk_reviews", reviews_due)
    register_todo_source("conservation.care_tasks", open_care_tasks)


def reviews_due(user: Any) -> list[Any]:
    """To-dos: register entries the person owns whose review date has come."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from taihe.kernel.shell import Todo
    from taihe.modules.conservation.risk import selectors

    zone = timezone.get_current_timezone()
    return [
        Todo(
            title=_("Review risk: %(title)s") % {"title": risk.title},
            url=reverse("conservation:risk_detail", args=[risk.pk]),
            source="conservation",
            due_at=dt.datetime.combine(risk.review_on, dt.time(9), tzinfo=zone)
            if risk.review_on
            else None,
        )
        for risk in selectors.reviews_due(user)[:20]
    ]


def open_care_tasks(user: Any) -> list[Any]:
    """To-dos: open care tasks assigned to the person, soonest due first."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from taihe.kernel.shell import Todo
    from taihe.modules.conservation.models import CareTask
    from taihe.modules.conservation.risk import selectors

    if not getattr(user, "is_authenticated", False):
        return []
    zone = timezone.get_current_timezone()
    tasks = [task for task in selectors.care_tasks_for(user, status=CareTask.Status.OPEN)
             if task.assignee_id == user.pk][:20]
    return [
        Todo(
            title=_("Care task: %(title)s") % {"title": task.title},
            url=reverse("conservation:risk_tasks"),
            source="conservation",
            due_at=dt.datetime.combine(task.due_on, dt.time(9), tzinfo=zone)
            if task.due_on else None,
        )
        for task in tasks
    ]
