from django.db import migrations

from taihe.kernel.db.engine import (
    drop_append_only,
    drop_latest_projection,
    make_append_only,
    make_latest_projection,
)

APPEND_ONLY = ("catalog_movement", "catalog_objectrevision")
PROJECTION = {"source": "catalog_movement", "target": "catalog_currentlocation"}


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    for table in APPEND_ONLY:
        make_append_only(connection, table)
    # The current location is the latest movement's destination, kept by the database.
    make_latest_projection(connection, **PROJECTION, key="object_id", order="moved_at",
                           columns={"object_id": "object_id", "movement_id": "id",
                                    "location_id": "to_location_id", "moved_at": "moved_at"})


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    drop_latest_projection(connection, **PROJECTION)
    for table in APPEND_ONLY:
        drop_append_only(connection, table)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
