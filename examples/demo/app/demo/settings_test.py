"""Test settings: SQLite in memory, an in-memory broker, tasks run eagerly.

`DJANGO_SETTINGS_MODULE=demo.settings_test python manage.py test` runs anywhere, including
inside the image build (which has no database and no broker).
"""

from __future__ import annotations

import os

# Defaults for the variables production requires; set before demo.settings reads them.
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

# Django's way for a settings variant: everything of the base settings, then overrides.
from demo.settings import *  # noqa: E402,F403  # pylint: disable=wildcard-import,unused-wildcard-import
from demo.settings import STATIC_ROOT  # noqa: E402

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
ALLOWED_HOSTS = ["testserver", "demo.test"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The image build collects static files before the tests, so they test the real hashed
# names; a checkout that did not run collectstatic falls back to unhashed names.
if not (STATIC_ROOT / "staticfiles.json").exists():
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
