from django.db import migrations

from taihe.kernel.db.engine import drop_append_only, make_append_only
from taihe.kernel.search import create_index, drop_index

# Approval operations for the built-in roles (directory migration 0002). Every staff member
# submits and approves; HR designs approvals (with administrators, who hold every operation).
GRANTS = {
    "staff": ["workflows.request.submit"],
    "hr": ["workflows.request.submit", "workflows.process.manage"],
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


def protect_history(apps, schema_editor):
    make_append_only(schema_editor.connection, "workflows_action")
    create_index(schema_editor.connection, "workflow_requests")


def unprotect_history(apps, schema_editor):
    drop_append_only(schema_editor.connection, "workflows_action")
    drop_index(schema_editor.connection, "workflow_requests")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial"), ("directory", "0002_system_roles")]
    operations = [migrations.RunPython(grant, revoke),
                  migrations.RunPython(protect_history, unprotect_history)]
