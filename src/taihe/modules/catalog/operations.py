"""Operations the catalog declares. The system roles receive them in migration 0003."""

from django.utils.translation import gettext_lazy as _

from taihe.kernel.authz import declare

OBJECT_VIEW = declare("catalog.object.view", _("See the collection register"), scoped=False)
OBJECT_EDIT = declare("catalog.object.edit",
                      _("Catalogue objects of the departments one is responsible for"))
OBJECT_IMPORT = declare("catalog.object.import", _("Import and export object records in bulk"),
                        scoped=False)
OBJECT_PUBLISH = declare("catalog.object.publish",
                         _("Publish object records and images to the public"))
FIELD_MANAGE = declare("catalog.field.manage", _("Define the museum's own object fields"),
                       scoped=False)
LOCATION_MANAGE = declare("catalog.location.manage", _("Create and change locations"),
                          scoped=False)
LOCATION_VIEW_RESTRICTED = declare(
    "catalog.location.view_restricted",
    _("Know restricted store locations and what is in them"), scoped=False)
MOVEMENT_RECORD = declare("catalog.movement.record", _("Move objects and record movements"),
                          scoped=False)
INVENTORY_MANAGE = declare("catalog.inventory.manage", _("Run inventory campaigns"),
                           scoped=False)
CONDITION_RECORD = declare("catalog.condition.record", _("Record condition checks"),
                           scoped=False)
TREATMENT_RECORD = declare("catalog.treatment.record", _("Record conservation treatments"),
                           scoped=False)
LOAN_MANAGE = declare("catalog.loan.manage",
                      _("Prepare loans in and out, and see insurance values"), scoped=False)
LOAN_APPROVE = declare("catalog.loan.approve", _("Approve or reject loans"), scoped=False)
EXHIBITION_MANAGE = declare("catalog.exhibition.manage", _("Plan exhibitions and their objects"),
                            scoped=False)
MEDIA_MANAGE = declare("catalog.media.manage", _("Add and remove object images"))
