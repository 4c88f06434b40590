"""VARIANT badmigration: a migration that always fails, for the deploy's fault tests.

It first changes the schema, then raises: on PostgreSQL the whole migration is one
transaction, so nothing of it remains and the previous release keeps working.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def fail(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    raise RuntimeError("badmigration image: migration notes.0003_fail_on_purpose fails on purpose")


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_note_body")]

    operations = [
        migrations.AddField("note", "doomed", models.BooleanField(default=False, db_default=False)),
        migrations.RunPython(fail, migrations.RunPython.noop),
    ]
