"""Reference rows every installation has: quantities from the code registry and the
published specification presets."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import DEFAULT_DB_ALIAS

PRESETS_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def seed_quantities(using: str = DEFAULT_DB_ALIAS) -> None:
    from taihe.modules.conservation.ingest import QUANTITIES
    from taihe.modules.conservation.models import Quantity

    for entry in QUANTITIES.values():
        Quantity.objects.using(using).update_or_create(
            code=entry.code, defaults={
                "unit": entry.unit,
                "minimum": entry.minimum if math.isfinite(entry.minimum) else None,
                "maximum": entry.maximum if math.isfinite(entry.maximum) else None})


def seed_presets(using: str = DEFAULT_DB_ALIAS) -> None:
    from taihe.modules.conservation.models import Specification
    from taihe.modules.conservation.specifications import PRESETS

    for preset in PRESETS.values():
        Specification.objects.using(using).update_or_create(
            code=preset.code, defaults={
                "name": dict(preset.name), "t_min": preset.t_min, "t_max": preset.t_max,
                "rh_min": preset.rh_min, "rh_max": preset.rh_max,
                "max_t_change_24h": preset.max_t_change_24h,
                "max_rh_change_24h": preset.max_rh_change_24h, "lux_max": preset.lux_max,
                "annual_lux_hours_max": preset.annual_lux_hours_max, "uv_max": preset.uv_max,
                "ashrae_class": preset.ashrae_class or "", "source": preset.source,
                "is_preset": True})
    # Presets carry a fixed date, not the moment of this migrate: two installations hold the
    # same preset rows, so a backup or a database copy does not mistake them for data.
    Specification.objects.using(using).filter(is_preset=True).update(
        created_at=PRESETS_DATE, updated_at=PRESETS_DATE)


def on_post_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    seed_quantities(using)
    seed_presets(using)
