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

