from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from taihe.config.api import api

admin.site.site_header = _("Taihe operators")
admin.site.site_title = _("Taihe operators")

handler403 = "taihe.kernel.http.pages.handler403"
handler404 = "taihe.kernel.http.pages.handler404"
handler500 = "taihe.kernel.http.pages.handler500"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("taihe.modules.directory.urls")),
    path("notifications/", include("taihe.modules.notifications.urls")),
    path("audit/", include("taihe.modules.audit.urls")),
    path("catalog/", include("taihe.modules.catalog.urls")),
    path("", include("taihe.modules.catalog.public_urls")),
    path("conservation/", include("taihe.modules.conservation.urls")),
    path("approvals/", include("taihe.modules.workflows.urls")),
    path("attendance/", include("taihe.modules.attendance.urls")),
    path("chat/", include("taihe.modules.messaging.urls")),
    path("", include("taihe.modules.workbench.urls")),
]

# MEDIA_ROOT is never served as a folder, not even in debug: photos, object images, IIIF
# tiles, loan agreements and import files each go through a view that checks who asks.
