"""Operations the directory declares (granted to roles by code)."""

from django.utils.translation import gettext_lazy as _

from taihe.kernel.authz import declare

PERSON_VIEW = declare("directory.person.view", _("See people in the directory"))
PERSON_MANAGE = declare("directory.person.manage", _("Add, edit and deactivate people"))
DEPARTMENT_MANAGE = declare("directory.department.manage",
                            _("Create, move, merge and close departments"))
ROLE_ASSIGN = declare("directory.role.assign", _("Give and take away roles"))
ROLE_MANAGE = declare("directory.role.manage", _("Define roles and their operations"),
                      scoped=False)
GROUP_MANAGE = declare("directory.group.manage", _("Create and edit groups"), scoped=False)
ORGCHART_IMPORT = declare("directory.orgchart.import", _("Import the organisation chart"),
                          scoped=False)
ORGCHART_EXPORT = declare("directory.orgchart.export", _("Export the organisation chart"))
TOKEN_MANAGE = declare("directory.token.manage", _("See and revoke other people's API tokens"),
                       scoped=False)
