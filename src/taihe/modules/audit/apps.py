from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "taihe.modules.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from taihe.kernel.shell import AppTile, register_app
        from taihe.modules.audit import operations, subscribers  # noqa: F401

        register_app(AppTile(
            code="audit", label=_("Audit log"), icon="list", order=300,
            description=_("Every change, who made it and when; tamper-evident"),
            url_name="audit:index", operation=operations.ENTRY_VIEW.code))
