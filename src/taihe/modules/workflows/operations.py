"""Operations the workflows module declares. Built-in roles receive them in migration 0002."""

from django.utils.translation import gettext_lazy as _

from taihe.kernel.authz import declare

REQUEST_SUBMIT = declare("workflows.request.submit",
                         _("Submit approval requests and act on the tasks assigned to you"),
                         scoped=False)
PROCESS_MANAGE = declare("workflows.process.manage",
                         _("Design approval forms and processes, publish and retire them"),
                         scoped=False)
REQUEST_OVERSEE = declare("workflows.request.oversee",
                          _("See every approval request of a department and reassign its tasks"))
