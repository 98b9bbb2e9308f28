from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "taihe.modules.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from taihe.kernel.realtime import register_topic
        from taihe.kernel.shell import AppTile, register_app
        from taihe.modules.notifications import categories, jobs, subscribers  # noqa: F401

        register_topic("notifications.user.{user_id}",
                       lambda user, user_id: str(user.pk) == user_id)
        register_app(AppTile(
            code="notifications", label=_("Notifications"), icon="bell", order=20,
            description=_("Messages from Taihe and your colleagues' work"),
            url_name="notifications:index"))
