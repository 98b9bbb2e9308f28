from django.db import migrations

from taihe.kernel.db.engine import drop_append_only, make_append_only


def forwards(apps, schema_editor):
    make_append_only(schema_editor.connection, "audit_auditentry")


def backwards(apps, schema_editor):
    drop_append_only(schema_editor.connection, "audit_auditentry")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
