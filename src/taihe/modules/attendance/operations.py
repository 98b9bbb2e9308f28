"""Operations the attendance module declares. Built-in roles receive them in migration 0002."""

from django.utils.translation import gettext_lazy as _

from taihe.kernel.authz import declare

PUNCH = declare("attendance.punch.record",
                _("Clock in and out, see one's own attendance and balances"), scoped=False)
TEAM_VIEW = declare("attendance.team.view",
                    _("See the attendance of the people of a department"))
MANAGE = declare("attendance.rules.manage",
                 _("Set up calendars, shifts, groups, rosters, sites and balances; import "
                   "punches"), scoped=False)
PAYROLL = declare("attendance.month.close",
                  _("Close attendance months and export them for payroll"), scoped=False)
