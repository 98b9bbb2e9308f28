from django.db import migrations

# The built-in roles. Later modules add their operations to these in their own migrations.
SYSTEM_ROLES = [
    ("administrator", "系统管理员", "Administrator", ["*"]),
    ("hr", "人力资源", "HR", ["directory.person.view", "directory.person.manage",
                              "directory.orgchart.import", "directory.orgchart.export",
                              "directory.role.assign"]),
    ("conservator", "文物保护人员", "Conservator", ["directory.person.view"]),
    ("curator", "策展人", "Curator", ["directory.person.view"]),
    ("registrar", "藏品登录员", "Registrar", ["directory.person.view"]),
    ("educator", "宣教人员", "Educator", ["directory.person.view"]),
    ("security", "安保人员", "Security", ["directory.person.view"]),
    ("staff", "职工", "Staff", ["directory.person.view"]),
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("directory", "Role")
    for code, name_zh, name_en, operations in SYSTEM_ROLES:
        Role.objects.update_or_create(
            code=code,
            defaults={"name_zh": name_zh, "name_en": name_en, "operations": operations,
                      "is_system": True},
        )


def remove_roles(apps, schema_editor):
    apps.get_model("directory", "Role").objects.filter(is_system=True).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
