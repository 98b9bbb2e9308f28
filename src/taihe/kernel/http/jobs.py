"""Job status over HTTP, for the person who started a job."""


from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from taihe.kernel import authz
from taihe.kernel.errors import NotFound
from taihe.kernel.jobs.models import JobRecord

router = Router()
JOB_VIEW = authz.declare("kernel.job.view", _("See everyone's background jobs"), scoped=False)


class JobOut(Schema):
    id: int
    name: str
    queue: str
    status: str
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str


@router.get("/{job_id}", response=JobOut,
            summary="Status of a job you started (or any, with kernel.job.view)")
def get_job(request: HttpRequest, job_id: int) -> Any:
    actor = authz.actor_for(request.user)
    record = JobRecord.objects.filter(pk=job_id).first()
    if record is None or (record.actor_id != actor.user_id
                          and not authz.can(actor, JOB_VIEW.code)):
        raise NotFound()
    return record
