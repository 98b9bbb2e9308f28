from django.utils.translation import gettext_lazy as _

from taihe.kernel.authz import declare

ENTRY_VIEW = declare("audit.entry.view", _("Search the audit log"), scoped=False)
ENTRY_EXPORT = declare("audit.entry.export", _("Export the audit log"), scoped=False)
