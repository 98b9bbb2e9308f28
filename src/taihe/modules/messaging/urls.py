from django.urls import path

from taihe.modules.messaging import files, views

app_name = "messaging"

urlpatterns = [
    path("", views.index, name="index"),
    path("c/<int:conversation_id>/", views.conversation, name="conversation"),
    path("files/<int:attachment_id>/", files.download, name="file"),
    path("files/<int:attachment_id>/preview", files.preview, name="preview"),
    path("c/<int:conversation_id>/export.<str:fmt>", views.export, name="export"),
    path("settings/", views.settings_page, name="settings"),
]
