"""Forecasts, early warnings, anomaly detection and predictive maintenance on the monitoring
data (the Django side of ``science.forecast`` and ``science.anomalies``)."""
