from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    name = "taihe.kernel"
    label = "kernel"
    verbose_name = _("Kernel")

    def ready(self) -> None:
        from taihe.kernel.db import engine
        from taihe.kernel.events import delivery  # noqa: F401  registers the delivery job
        from taihe.kernel.jobs import builtin  # noqa: F401  registers kernel schedules

        engine.connect_signals()
