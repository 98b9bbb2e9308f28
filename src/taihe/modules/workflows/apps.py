from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "taihe.modules.workflows"
    label = "workflows"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from taihe.kernel.db import engine
        from taihe.kernel.realtime import register_topic
        from taihe.modules.workflows import demo, jobs, operations  # noqa: F401  registers
        from taihe.modules.workflows.live import may_listen
        from taihe.modules.workflows.seed import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="workflows.seed")
        engine.register_rebuilder("approval search index", _rebuild_search)
        register_topic("workflows.inbox.{person_id}", may_listen)
        _register_tiles()


def _register_tiles() -> None:
    from taihe.kernel.shell import AppTile, register_app, register_todo_source
    from taihe.modules.workflows import operations as ops

    register_app(AppTile(
        code="workflows", label=_("Approvals"), icon="approval", order=20,
        description=_("Start a request, approve what waits for you, follow what you sent"),
        url_name="workflows:inbox", operation=ops.REQUEST_SUBMIT.code))
    register_app(AppTile(
        code="workflows.design", label=_("Approval designer"), icon="flow", order=21,
        description=_("Design approval forms and processes without code"),
        url_name="workflows:processes", operation=ops.PROCESS_MANAGE.code))
    register_todo_source("workflows.tasks", _pending_tasks)


def _rebuild_search(alias: str) -> None:
    from taihe.modules.workflows.services import reindex_all

    reindex_all(alias)


def _pending_tasks(user: Any) -> list[Any]:
    """To-dos: approval tasks waiting for this person, oldest first."""
    from django.urls import reverse

    from taihe.kernel.shell import Todo
    from taihe.modules.workflows.selectors import pending_tasks_for

    return [Todo(title=str((_("Approve: %(title)s") if task.kind == "approval"
                            else _("To handle: %(title)s")) % {"title": task.request.title}),
                 url=reverse("workflows:request", args=[task.request.number]),
                 source="workflows", due_at=task.due_at or task.pending_since)
            for task in pending_tasks_for(user)[:20]]
