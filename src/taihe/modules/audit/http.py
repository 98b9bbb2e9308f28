
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from taihe.kernel.http.api import Pagination, as_utc
from taihe.modules.audit import selectors

router = Router()


class EntryOut(Schema):
    sequence: int
    event_id: UUID
    event_name: str
    actor_id: int | None
    request_id: str
    occurred_at: datetime
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    payload: dict[str, Any]
    hash: str


@router.get("/entries", response=list[EntryOut], summary="Search the audit log")
@paginate(Pagination)
def list_entries(request: HttpRequest, actor_id: int | None = None, event: str = "",
                 subject_type: str = "", subject_id: str = "", request_id: str = "",
                 since: datetime | None = None, until: datetime | None = None) -> Any:
    return selectors.entries_for(request.user, actor_id=actor_id, event_name=event[:120],
                                 subject_type=subject_type[:80], subject_id=subject_id[:64],
                                 request_id=request_id[:64], since=as_utc(since, "since"),
                                 until=as_utc(until, "until"))
