"""Conservation: sensors, readings, metrics, alerts, risk and recommendations."""
