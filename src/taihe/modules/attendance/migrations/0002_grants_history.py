from django.db import migrations

from taihe.kernel.db.engine import drop_append_only, make_append_only

# Attendance operations for the built-in roles (directory migration 0002). Everyone punches
# and sees their own records; HR sets the rules, sees every team, closes months and exports
# payroll (administrators hold every operation). Department heads see their own
# departments without a grant (selectors.team_departments).
GRANTS = {
    "staff": ["attendance.punch.record"],
    "hr": ["attendance.punch.record", "attendance.team.view", "attendance.rules.manage",
           "attendance.month.close"],
}
APPEND_ONLY = ("attendance_punch", "attendance_ledgerentry")


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
    for table in APPEND_ONLY:
        make_append_only(schema_editor.connection, table)


def unprotect_history(apps, schema_editor):
    for table in APPEND_ONLY:
        drop_append_only(schema_editor.connection, table)


class Migration(migrations.Migration):
    dependencies = [("attendance", "0001_initial"), ("directory", "0002_system_roles")]
    operations = [migrations.RunPython(grant, revoke),
                  migrations.RunPython(protect_history, unprotect_history)]
