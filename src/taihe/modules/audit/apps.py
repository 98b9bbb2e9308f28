from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "taihe.modules.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from taihe.modules.audit import operations, subscribers  # noqa: F401
