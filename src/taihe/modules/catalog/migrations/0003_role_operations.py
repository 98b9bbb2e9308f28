from django.db import migrations

# The catalog's operations for the built-in roles (directory migration 0002 made the roles).
GRANTS = {
    "registrar": ["catalog.object.view", "catalog.object.edit", "catalog.object.import",
                  "catalog.object.publish", "catalog.field.manage", "catalog.location.manage",
                  "catalog.location.view_restricted", "catalog.movement.record",
                  "catalog.inventory.manage", "catalog.condition.record",
                  "catalog.loan.manage", "catalog.exhibition.manage", "catalog.media.manage"],
    # Curators approve loans the registrar prepares (never their own: four eyes).
    "curator": ["catalog.object.view", "catalog.object.edit", "catalog.object.publish",
                "catalog.loan.approve",
                "catalog.exhibition.manage", "catalog.media.manage",
                "catalog.movement.record"],
    "conservator": ["catalog.object.view", "catalog.condition.record",
                    "catalog.treatment.record", "catalog.location.view_restricted"],
    "security": ["catalog.object.view", "catalog.location.view_restricted"],
    "educator": ["catalog.object.view"],
    "staff": ["catalog.object.view"],
    "hr": ["catalog.object.view"],
}


def grant(apps, schema_editor):
    Role = apps.get_model("directory", "Role")
    for code, operations in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        role.operations = [*role.operations, *(op for op in operations
                                               if op not in role.operations)]
        role.save(update_fields=["operations"])


def revoke(apps, schema_editor):
    Role = apps.get_model("directory", "Role")
    for code, operations in GRANTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.operations = [op for op in role.operations if op not in operations]
            role.save(update_fields=["operations"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_movement_log"), ("directory", "0002_system_roles")]
    operations = [migrations.RunPython(grant, revoke)]
