from django.urls import URLPattern, path

from taihe.modules.conservation.prediction import views

urlpatterns: list[URLPattern] = [
    path("forecasts/", views.forecast_list, name="prediction_forecasts"),
    path("forecasts/sensors/<int:sensor_id>/", views.forecast_detail, name="prediction_forecast"),
    path("anomalies/", views.anomaly_list, name="prediction_anomalies"),
    path("anomalies/<int:anomaly_id>/", views.anomaly_detail, name="prediction_anomaly"),
    path(
        "anomalies/<int:anomaly_id>/decide/", views.anomaly_decide, name="prediction_anomaly_decide"
    ),
]
