
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from taihe.kernel import shell
from taihe.kernel.http.api import user_id
from taihe.modules.notifications import api as notifications

router = Router()


class AppOut(Schema):
    code: str
    label: str
    description: str
    url: str
    icon: str


class TodoOut(Schema):
    title: str
    url: str
    source: str
    due_at: datetime | None


class WorkbenchOut(Schema):
    apps: list[AppOut]
    todos: list[TodoOut]
    unread_notifications: int


@router.get("", response=WorkbenchOut, summary="What the workbench shows me")
def workbench(request: HttpRequest) -> Any:
    return {
        "apps": [{"code": t.code, "label": str(t.label), "description": str(t.description),
                  "url": reverse(t.url_name), "icon": t.icon}
                 for t in shell.apps_for(request.user)],
        "todos": shell.todos_for(request.user),
        "unread_notifications": notifications.unread_count(user_id(request)),
    }
