from django.urls import path

from taihe.modules.workflows import views, views_design

app_name = "workflows"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.catalogue, name="new"),
    path("new/<slug:code>/", views.submit, name="submit"),
    path("r/<str:number>/", views.request_page, name="request"),
    path("r/<str:number>/act/", views.act, name="act"),
    path("r/<str:number>/resubmit/", views.resubmit, name="resubmit"),
    path("r/<str:number>/record.pdf", views.record_pdf, name="record_pdf"),
    path("attachments/", views.upload, name="upload"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("delegations/", views.delegations, name="delegations"),
    path("design/", views_design.processes, name="processes"),
    path("design/new/", views_design.process_create, name="process_create"),
    path("design/import/", views_design.process_import, name="process_import"),
    path("design/<int:process_id>/", views_design.designer, name="designer"),
    path("design/<int:process_id>/export.json", views_design.process_export, name="process_export"),
]
