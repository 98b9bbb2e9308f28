
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from taihe.kernel.http.api import Pagination, user_id
from taihe.modules.notifications import selectors, services

router = Router()


class NotificationOut(Schema):
    id: int
    category: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class UnreadOut(Schema):
    unread: int


class MarkReadIn(Schema):
    ids: list[int] | None = None


class MarkedOut(Schema):
    marked: int


class PreferenceOut(Schema):
    category: str
    label: str
    in_app: bool
    email: bool


class PreferenceIn(Schema):
    category: str
    in_app: bool
    email: bool


@router.get("", response=list[NotificationOut], summary="My notifications, newest first")
@paginate(Pagination)
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    return selectors.notifications_for(request.user, unread_only=unread)


@router.get("/unread", response=UnreadOut)
def unread(request: HttpRequest) -> Any:
    return {"unread": selectors.unread_count(user_id(request))}


@router.post("/read", response=MarkedOut, summary="Mark some (ids) or all notifications read")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> Any:
    return {"marked": services.do_mark_read(request.user, payload.ids)}


@router.get("/preferences", response=list[PreferenceOut])
def preferences(request: HttpRequest) -> Any:
    return selectors.preferences_for(request.user)


@router.put("/preferences", response=list[PreferenceOut])
def set_preference(request: HttpRequest, payload: PreferenceIn) -> Any:
    services.do_set_preference(request.user, category=payload.category, in_app=payload.in_app,
                               email=payload.email)
    return selectors.preferences_for(request.user)
