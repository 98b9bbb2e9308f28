from django.contrib import admin

from taihe.kernel.admin import ReadOnlyAdmin
from taihe.modules.audit.models import AuditEntry

admin.site.register(AuditEntry, ReadOnlyAdmin, list_display=(
    "sequence", "event_name", "actor_id", "subject_type", "subject_id", "occurred_at"),
    list_filter=("event_name",), search_fields=("event_name", "subject_id", "request_id"))
