from django.urls import path

from taihe.modules.notifications import views

app_name = "notifications"
urlpatterns: list = []
