from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "taihe.modules.directory"
    label = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from taihe.kernel import authz
        from taihe.modules.directory import operations  # noqa: F401  declares operations
        from taihe.modules.directory.selectors import build_actor

        authz.register_actor_provider(build_actor)
