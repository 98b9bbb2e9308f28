from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConservationConfig(AppConfig):
    name = "taihe.modules.conservation"
    label = "conservation"
    verbose_name = _("Environmental monitoring")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from taihe.kernel.db import timeseries
        from taihe.modules.conservation import operations  # noqa: F401  declares operations
        from taihe.modules.conservation.seed import on_post_migrate

        # Rollups are backed up like any data: with retention on they are the only record of
        # old readings, so they cannot be rebuilt from what is left.
        timeseries.register_series_table("conservation_reading", "time")
        post_migrate.connect(on_post_migrate, sender=self,
                             dispatch_uid="conservation.seed")
        from taihe.kernel.realtime import register_topic
        from taihe.modules.conservation import demo, jobs  # noqa: F401  registers loaders, jobs
        from taihe.modules.conservation.live_topics import may_listen, may_listen_restricted

        register_topic("conservation.live", may_listen)
        register_topic("conservation.live.restricted", may_listen_restricted)
        _register_tiles()
        from taihe.modules.conservation.materials import setup as materials_setup
        from taihe.modules.conservation.prediction import setup as prediction_setup
        from taihe.modules.conservation.risk import setup as risk_setup

        materials_setup.register()
        prediction_setup.register()
        risk_setup.register()


def _register_tiles() -> None:
    from taihe.kernel.shell import AppTile, register_app, register_todo_source
    from taihe.modules.conservation import operations as ops

    register_app(AppTile(
        code="conservation", label=_("Environment"), icon="thermometer", order=40,
        description=_("Temperature, humidity and light in every gallery, case and store"),
        url_name="conservation:dashboard", operation=ops.MONITORING_VIEW.code))
    register_app(AppTile(
        code="conservation.alerts", label=_("Environmental alerts"), icon="alert", order=41,
        description=_("Excursions, silent sensors and who is dealing with them"),
        url_name="conservation:alerts", operation=ops.MONITORING_VIEW.code))
    register_app(AppTile(
        code="conservation.import", label=_("Import logger files"), icon="upload", order=42,
        description=_("HOBO, Tinytag, Hanwell, Meaco and other data-logger exports"),
        url_name="conservation:import", operation=ops.READING_IMPORT.code))
    register_app(AppTile(
        code="conservation.reports", label=_("Environmental reports"), icon="report", order=43,
        description=_("Monthly and annual climate reports for loans and audits, PDF or Excel"),
        url_name="conservation:reports", operation=ops.REPORT_VIEW.code))
    register_todo_source("conservation.alerts", _open_alerts)


def _open_alerts(user: Any) -> list[Any]:
    """To-dos: alerts nobody has acknowledged, for those who respond to them."""
    from django.urls import reverse

    from taihe.kernel import authz
    from taihe.kernel.shell import Todo
    from taihe.modules.conservation import operations as ops
    from taihe.modules.conservation.models import Alert
    from taihe.modules.conservation.selectors import alerts_for

    if not authz.can(user, ops.ALERT_RESPOND.code):
        return []
    return [Todo(title=str(_("Acknowledge alert: %(summary)s") % {"summary": alert.summary}),
                 url=reverse("conservation:alert", args=[alert.pk]), source="conservation",
                 due_at=alert.opened_at)
            for alert in alerts_for(user).filter(status=Alert.Status.OPEN)
            .order_by("opened_at")[:20]]

