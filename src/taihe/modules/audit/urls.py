from django.urls import URLPattern, path

from taihe.modules.audit import views

app_name = "audit"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("export.csv", views.export, name="export"),
    path("verify", views.verify, name="verify"),
]
