from django.urls import URLPattern, path

from taihe.modules.notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("read-all", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("<int:notification_id>/read", views.mark_read, name="mark_read"),
    path("<int:notification_id>/open", views.open_notification, name="open"),
]
