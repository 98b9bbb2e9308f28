from django.db import migrations

from taihe.kernel.search import create_index, drop_index

# Messaging operations for the built-in roles (directory migration 0002): every staff member
# chats and sends DING; administrators hold every operation (channels and records too).
# Edits, recalls and DING deliveries are not made insert-only with triggers as punches are:
# retention rules must be able to delete old messages with everything attached. The audit
# log (hash-chained) keeps the record of edits, recalls and confirmations.
GRANTS = {"staff": ["messaging.chat.use", "messaging.ding.send"]}
INDEX = "messages"


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


def index(apps, schema_editor):
    create_index(schema_editor.connection, INDEX)


def unindex(apps, schema_editor):
    drop_index(schema_editor.connection, INDEX)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial"), ("directory", "0002_system_roles")]
    operations = [migrations.RunPython(grant, revoke),
                  migrations.RunPython(index, unindex)]
