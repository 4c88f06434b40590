"""VARIANT newmigration: one more valid migration (the "next release" of the demo).

The column has a database default, so the previous release, which does not know it,
can still insert notes after a rollback (expand first, contract in a later release).
"""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_note_body")]

    operations = [
        migrations.AddField("note", "pinned", models.BooleanField(default=False, db_default=False)),
    ]
