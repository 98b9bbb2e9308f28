from django.urls import path

from taihe.modules.audit import views

app_name = "audit"
urlpatterns: list = []
