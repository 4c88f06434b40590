"""Copied into notes/migrations/ only when the image is built with WITH_0002=1.

A data migration: it leaves the model state alone, so v1 and v2 share models.py.
"""
from django.db import migrations


def seed(apps, schema_editor):
    apps.get_model("notes", "Note").objects.create(text="seeded by 0002")


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
