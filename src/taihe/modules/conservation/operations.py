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
RISK_VIEW = declare("conservation.risk.view",
                    _("See climate risk: forecasts, anomalies, object risks and strategies, the "
                      "risk register"), scoped=False)
RISK_MANAGE = declare("conservation.risk.manage",
                      _("Keep the risk register, act on anomalies and turn strategies into tasks"),
                      scoped=False)
MATERIAL_RULES_MANAGE = declare("conservation.material_rules.manage",
                                _("Edit the material sensitivity rule base and correct the "
                                  "materials read from object records"), scoped=False)
