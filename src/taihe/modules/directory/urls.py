from django.urls import path

from taihe.modules.directory import views

app_name = "directory"
urlpatterns: list = []
