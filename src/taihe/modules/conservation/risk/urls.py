from django.urls import URLPattern, path

from taihe.modules.conservation.risk import views

urlpatterns: list[URLPattern] = [
    path("risk/", views.overview, name="risk_overview"),
    path(
        "risk/objects/<int:object_id>/strategies/<str:strategy_key>/task/",
        views.strategy_task,
        name="risk_strategy_task",
    ),
    path("risk/register/", views.register_list, name="risk_register"),
    path("risk/register/new/", views.risk_edit, name="risk_create"),
    path("risk/register/<int:risk_id>/", views.risk_detail, name="risk_detail"),
    path("risk/register/<int:risk_id>/edit/", views.risk_edit, name="risk_edit"),
    path("risk/register/<int:risk_id>/treatments/", views.treatment_add, name="risk_treatment_add"),
    path("risk/register/<int:risk_id>/suggest/", views.risk_suggest, name="risk_suggest"),
    path("risk/tasks/", views.task_list, name="risk_tasks"),
    path("risk/tasks/<int:task_id>/status/", views.task_status, name="risk_task_status"),
    path("risk/report/", views.report_download, name="risk_report"),
]
