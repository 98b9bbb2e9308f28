"""Environmental monitoring's public surface for other modules: plain data, ids in.

Alerts are read through ``selectors.alerts_for``, so a caller showing them to a person shows
only what that person may see: nothing without ``conservation.monitoring.view``, and nothing
raised in a restricted store the person may not know (its place would reveal the store).
"""

from __future__ import annotations

from typing import Any

from django.utils import translation

from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import alerts as alert_rules
from taihe.modules.conservation import selectors
from taihe.modules.conservation.models import Alert, AlertRule


def may_see_alerts(actor: Any) -> bool:
    """Whether ``actor`` may see environmental alerts at all
    (``conservation.monitoring.view``)."""
    return selectors.can_view(actor)


def severity_label(code: str) -> str:
    """The translated name of an alert severity ("warning", "critical") in the active
    language; the code itself if unknown."""
    try:
        return str(AlertRule.Severity(code).label)
    except ValueError:
        return code


def alert_url(alert_id: int) -> str:
    """The page of one alert (a path, as links in messages and notifications use)."""
    return f"/conservation/alerts/{int(alert_id)}/"


def _place(location_id: int | None, language: str) -> str:
    if location_id is None:
        return ""
    info = catalog.location(location_id)
    if info is None:
        return ""
    name = catalog.location_name(location_id, language)
    return f"{info.code} {name}".strip() if name != info.code else info.code


def alert_card(actor: Any, alert_id: int) -> dict[str, Any] | None:
    """What a card about one alert shows ``actor``, in the active language: ``id``,
    ``title`` (the alert's summary), ``place`` (location code and name), ``severity`` and
    ``severity_label``, ``status`` and ``status_label``, ``opened_at`` (ISO 8601, UTC) and
    ``url``. ``None`` when the alert does not exist or ``actor`` may not see it (no
    monitoring access, or raised in a store they may not know). Raises nothing."""
    try:
        pk = int(alert_id)
    except (TypeError, ValueError):
        return None
    alert = (selectors.alerts_for(actor).select_related("rule", "sensor")
             .filter(pk=pk).first())
    if alert is None:
        return None
    language = translation.get_language() or "en"
    # The stored summary is worded in the museum's language when the alert opened; a
    # reader gets it in their own.
    try:
        title = alert_rules.summary_of(alert.rule, alert.sensor, alert.value)
    except (KeyError, ValueError):  # a rule edited since into a shape the text cannot take
        title = alert.summary
    return {
        "id": alert.pk,
        "title": title,
        "place": _place(alert.location_id, language),
        "severity": alert.severity,
        "severity_label": severity_label(alert.severity),
        "status": alert.status,
        "status_label": str(Alert.Status(alert.status).label),
        "opened_at": alert.opened_at.isoformat(),
        "url": alert_url(alert.pk),
    }


__all__ = ["alert_card", "alert_url", "may_see_alerts", "severity_label"]
