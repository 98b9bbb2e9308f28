from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConservationConfig(AppConfig):
    name = "taihe.modules.conservation"
    label = "conservation"
    verbose_name = _("Environmental monitoring")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from taihe.kernel.db import engine
        from taihe.modules.conservation import operations  # noqa: F401  declares operations
        from taihe.modules.conservation.seed import on_post_migrate

        engine.register_derived_model(
            "conservation.hourlyrollup", "summaries of conservation_reading; rebuilt on restore")
        engine.register_derived_model(
            "conservation.dailyrollup", "summaries of conservation_reading; rebuilt on restore")
        engine.register_rebuilder("conservation rollups", _rebuild_rollups)
        post_migrate.connect(on_post_migrate, sender=self,
                             dispatch_uid="conservation.seed")
        from taihe.kernel.realtime import register_topic
        from taihe.modules.conservation import demo, jobs  # noqa: F401  registers loaders, jobs
        from taihe.modules.conservation.live_topics import may_listen, may_listen_restricted

        register_topic("conservation.live", may_listen)
        register_topic("conservation.live.restricted", may_listen_restricted)


def _rebuild_rollups(alias: str) -> None:
    from taihe.modules.conservation import store

    store.rebuild_rollups(using=alias)
