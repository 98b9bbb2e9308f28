from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "taihe.modules.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from taihe.modules.messaging import (  # noqa: F401
            card_kinds,
            demo,
            jobs,
            operations,
            subscribers,
        )
        from taihe.modules.messaging.live import register_topics
        from taihe.modules.notifications import api as notifications

        register_topics()
        notifications.register_category("messaging.mentions", _("Chat mentions"),
                                         email_by_default=False)
        notifications.register_category("messaging.ding", _("DING urgent messages"),
                                        email_by_default=False)
        _register_tiles()


def _register_tiles() -> None:
    from taihe.kernel.shell import AppTile, register_app, register_todo_source
    from taihe.modules.messaging import operations as ops

    register_app(AppTile(
        code="messaging", label=_("Chat"), icon="chat", order=5,
        description=_("Direct messages, groups, department groups and DING"),
        url_name="messaging:index", operation=ops.CHAT.code))
    register_todo_source("messaging.ding", _unconfirmed_dings)


def _unconfirmed_dings(user: Any) -> list[Any]:
    """To-dos: each DING the person has not confirmed yet."""
    from django.urls import reverse

    from taihe.kernel.shell import Todo
    from taihe.modules.messaging.models import DingRecipient

    if getattr(user, "is_anonymous", True):
        return []
    waiting = (DingRecipient.objects.filter(person_id=user.pk, confirmed_at__isnull=True,
                                            ding__closed_at__isnull=True,
                                            ding__message__conversation__members__person_id=user.pk,
                                            ding__message__conversation__members__left_at__isnull=True)
               .select_related("ding__message").order_by("ding__created_at")[:20])
    found = []
    for recipient in waiting:
        message = recipient.ding.message
        text = " ".join(message.body.split())[:80]
        found.append(Todo(title=str(_("DING to confirm: %(text)s") % {"text": text}),
                          url=reverse("messaging:conversation", args=[message.conversation_id])
                          + f"#m{message.pk}",
                          source="messaging"))
    return found
