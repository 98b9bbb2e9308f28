from django.db import migrations

# Environmental monitoring operations for the built-in roles (directory migration 0002).
ALL = ["conservation.monitoring.view", "conservation.sensor.manage",
       "conservation.reading.import", "conservation.specification.manage",
       "conservation.alert_rule.manage", "conservation.alert.respond",
       "conservation.report.view"]
GRANTS = {
    "conservator": ALL,
    "registrar": ["conservation.monitoring.view", "conservation.report.view"],
    "curator": ["conservation.monitoring.view", "conservation.report.view"],
    # Security staff are on site at night: they see alerts and can acknowledge them.
    "security": ["conservation.monitoring.view", "conservation.alert.respond"],
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
    dependencies = [("conservation", "0001_initial"), ("directory", "0002_system_roles")]
    operations = [migrations.RunPython(grant, revoke)]
