from django.db import migrations

# Climate risk operations for the built-in roles (issue 5). Curators keep the material rule
# base with conservators: the sensitivity of materials is curatorial knowledge too.
GRANTS = {
    "conservator": ["conservation.risk.view", "conservation.risk.manage",
                    "conservation.material_rules.manage"],
    "curator": ["conservation.risk.view", "conservation.material_rules.manage"],
    "registrar": ["conservation.risk.view"],
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
    dependencies = [("conservation", "0004_prediction_and_risk")]
    operations = [migrations.RunPython(grant, revoke)]
