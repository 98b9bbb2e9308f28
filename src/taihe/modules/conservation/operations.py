"""Operations the conservation module declares. Built-in roles receive them in migration 0002."""

from django.utils.translation import gettext_lazy as _

from taihe.kernel.authz import declare

MONITORING_VIEW = declare("conservation.monitoring.view",
                          _("See environmental monitoring: sensors, readings, alerts"),
                          scoped=False)
SENSOR_MANAGE = declare("conservation.sensor.manage",
                        _("Add, move and calibrate sensors and issue their device tokens"),
                        scoped=False)
READING_IMPORT = declare("conservation.reading.import",
                         _("Import data-logger files and correct readings"), scoped=False)
SPECIFICATION_MANAGE = declare("conservation.specification.manage",
                               _("Define environmental specifications and assign them to places"),
                               scoped=False)
ALERT_RULE_MANAGE = declare("conservation.alert_rule.manage",
                            _("Define alert rules and who is told"), scoped=False)
ALERT_RESPOND = declare("conservation.alert.respond",
                        _("Acknowledge, comment on and resolve environmental alerts"),
                        scoped=False)
REPORT_VIEW = declare("conservation.report.view",
                      _("Produce environmental reports for places"), scoped=False)
