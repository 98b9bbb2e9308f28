"""Django admin for operators (``is_staff``). Domain data is read-only here: writes go through
the services, which check permissions and record the audit trail. Operators may requeue
failed jobs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taihe.kernel.events.models import DeliveryFailure, OutboxEvent
from taihe.kernel.http.models import ApiToken
from taihe.kernel.jobs.models import JobRecord, SchedulerLease, ScheduleState


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JobRecord)
class JobRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "queue", "status", "attempts", "run_after", "finished_at")
    list_filter = ("status", "queue", "name")
    search_fields = ("name", "last_error", "request_id")
    actions = ["requeue"]

    @admin.action(description=_("Run the selected failed jobs again"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[JobRecord]) -> None:
        count = queryset.filter(status=JobRecord.Status.FAILED).update(
            status=JobRecord.Status.QUEUED, run_after=timezone.now(), attempts=0,
            finished_at=None)
        messages.success(request, _("%(count)d jobs queued again.") % {"count": count})

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and obj is None


admin.site.register(OutboxEvent, ReadOnlyAdmin, list_display=("id", "name", "occurred_at",
                                                              "dispatched"),
                    list_filter=("dispatched", "name"), search_fields=("name", "event_id"))
admin.site.register(DeliveryFailure, ReadOnlyAdmin, list_display=(
    "event", "subscriber", "attempts", "updated_at"), search_fields=("subscriber", "last_error"))
admin.site.register(ApiToken, ReadOnlyAdmin, list_display=(
    "name", "owner", "kind", "prefix", "expires_at", "revoked_at", "last_used_at"),
    list_filter=("kind",), search_fields=("name", "prefix", "owner__username"))
admin.site.register(ScheduleState, ReadOnlyAdmin, list_display=("name", "last_fired_at"))
admin.site.register(SchedulerLease, ReadOnlyAdmin, list_display=("name", "holder", "expires_at"))
