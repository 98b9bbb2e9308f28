"""The kernel's tables, gathered for Django's app registry."""

from taihe.kernel.authz.models import VisibilityRule
from taihe.kernel.events.models import DeliveryFailure, EventDelivery, OutboxEvent
from taihe.kernel.http.models import ApiToken
from taihe.kernel.jobs.models import JobRecord, SchedulerLease, ScheduleState

__all__ = [
    "ApiToken",
    "DeliveryFailure",
    "EventDelivery",
    "JobRecord",
    "OutboxEvent",
    "ScheduleState",
    "SchedulerLease",
    "VisibilityRule",
]
