from django.db import migrations

from taihe.kernel.search import create_index, drop_index

INDEX = "catalog_objects"  # models.SEARCH_INDEX, frozen here as migrations must be


def forwards(apps, schema_editor):
    create_index(schema_editor.connection, INDEX)


def backwards(apps, schema_editor):
    drop_index(schema_editor.connection, INDEX)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_role_operations")]
    operations = [migrations.RunPython(forwards, backwards)]
