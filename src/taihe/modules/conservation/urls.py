from django.urls import path

from taihe.modules.conservation import urls_materials, views, views_care
from taihe.modules.conservation.prediction import urls as prediction_urls
from taihe.modules.conservation.risk import urls as risk_urls

app_name = "conservation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sensors/", views.sensor_list, name="sensors"),
    path("sensors/new/", views.sensor_create, name="sensor_create"),
    path("sensors/<int:sensor_id>/", views.sensor_detail, name="sensor"),
    path("sensors/<int:sensor_id>/edit/", views.sensor_edit, name="sensor_edit"),
    path("sensors/<int:sensor_id>/move/", views.sensor_move, name="sensor_move"),
    path("sensors/<int:sensor_id>/calibrations/", views.sensor_calibrate,
         name="sensor_calibrate"),
    path("sensors/<int:sensor_id>/token/", views.sensor_token, name="sensor_token"),
    path("sensors/<int:sensor_id>/series/", views.sensor_series, name="sensor_series"),
    path("import/", views.import_file, name="import"),
    path("import/<int:batch_id>/", views.import_result, name="import_result"),
    path("specifications/", views_care.specification_list, name="specifications"),
    path("specifications/new/", views_care.specification_edit, name="specification_create"),
    path("specifications/<int:specification_id>/edit/", views_care.specification_edit,
         name="specification_edit"),
    path("places/<int:location_id>/environment/", views_care.place_environment,
         name="place_environment"),
    path("rules/", views_care.rule_list, name="rules"),
    path("rules/new/", views_care.rule_edit, name="rule_create"),
    path("rules/<int:rule_id>/edit/", views_care.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/delete/", views_care.rule_delete, name="rule_delete"),
    path("alerts/", views_care.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views_care.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/acknowledge/", views_care.alert_acknowledge,
         name="alert_acknowledge"),
    path("alerts/<int:alert_id>/comment/", views_care.alert_comment, name="alert_comment"),
    path("alerts/<int:alert_id>/resolve/", views_care.alert_resolve, name="alert_resolve"),
    path("reports/", views_care.report_form, name="reports"),
    path("reports/download/", views_care.report_download, name="report_download"),
    *urls_materials.urlpatterns,
    *prediction_urls.urlpatterns,
    *risk_urls.urlpatterns,
]
