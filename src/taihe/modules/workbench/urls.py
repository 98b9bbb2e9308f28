from django.urls import path

from taihe.modules.workbench import views

app_name = "workbench"
urlpatterns: list = []
