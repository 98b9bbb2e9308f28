from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "taihe.modules.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from taihe.kernel.realtime import register_topic
        from taihe.modules.notifications import categories, jobs, subscribers  # noqa: F401

        register_topic("notifications.user.{user_id}",
                       lambda user, user_id: str(user.pk) == user_id)
