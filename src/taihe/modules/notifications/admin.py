from django.contrib import admin

from taihe.kernel.admin import ReadOnlyAdmin
from taihe.modules.notifications.models import Notification

admin.site.register(Notification, ReadOnlyAdmin, list_display=(
    "recipient", "category", "title", "created_at", "read_at", "emailed_at"),
    list_filter=("category",), search_fields=("title", "recipient__username"))
