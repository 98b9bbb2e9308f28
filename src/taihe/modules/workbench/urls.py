from django.urls import URLPattern, path

from taihe.modules.workbench import views

app_name = "workbench"
urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
]
