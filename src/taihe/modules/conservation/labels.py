"""Names of the measured quantities, translated: one list for pages, forms, alerts and
reports (the codes are the registry's, ``ingest.QUANTITIES``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

QUANTITY_LABELS: dict[str, Any] = {
    "temperature": gettext_lazy("Temperature"),
    "relative_humidity": gettext_lazy("Relative humidity"),
    "dew_point": gettext_lazy("Dew point"),
    "illuminance": gettext_lazy("Illuminance"),
    "uv": gettext_lazy("UV"),
    "uv_irradiance": gettext_lazy("UV irradiance"),
    "light_dose": gettext_lazy("Light dose"),
    "uv_dose": gettext_lazy("UV dose"),
    "co2": gettext_lazy("CO₂"),
    "voc": gettext_lazy("VOC"),
    "battery": gettext_lazy("Battery voltage"),
    "battery_level": gettext_lazy("Battery level"),
    "conductivity": gettext_lazy("Conductivity"),
    "pressure": gettext_lazy("Air pressure"),
    "dew_point_margin": gettext_lazy("Dew point margin"),
    "mould_index": gettext_lazy("Mould index"),
}


def quantity_label(code: str) -> str:
    """The translated name of a quantity (or metric) code; the code itself if unknown."""
    return str(QUANTITY_LABELS.get(code, code))
