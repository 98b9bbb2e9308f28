"""Registrations of prediction: jobs, schedules, the approval subject, the tile, the demo."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Called once from ``ConservationConfig.ready``."""
    from taihe.kernel.shell import AppTile, register_app
    from taihe.modules.conservation import operations as ops
    from taihe.modules.conservation.prediction import (  # demo, jobs: register on import
        demo,  # noqa: F401
        jobs,  # noqa: F401
        services,
    )

    services.register_subject()
    register_app(
        AppTile(
            code="conservation.prediction",
            label=_("Forecasts and anomalies"),
            icon="chart",
            order=45,
            description=_(
                "72-hour climate forecasts with early warnings, and equipment and "
                "sensor faults found in the readings"
            ),
            url_name="conservation:prediction_forecasts",
            operation=ops.RISK_VIEW.code,
        )
    )
