"""Operations the messaging module declares. Built-in roles receive them in migration 0002."""

from django.utils.translation import gettext_lazy as _

from taihe.kernel.authz import declare

CHAT = declare("messaging.chat.use",
               _("Chat: direct messages, groups one belongs to, files, reactions"),
               scoped=False)
DING = declare("messaging.ding.send",
               _("Send DING urgent messages that recipients must confirm"), scoped=False)
CHANNELS = declare("messaging.channel.manage",
                   _("Create announcement channels, manage department groups and bots, @all "
                     "in any group"), scoped=False)
RECORDS = declare("messaging.records.manage",
                  _("Set retention rules and legal holds, export any conversation for the "
                    "record"), scoped=False)
