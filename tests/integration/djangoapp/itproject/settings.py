"""Settings from the environment, 12-factor style, as the app's env file provides them."""
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.environ.get("DEBUG", "0") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "notes",
]

ROOT_URLCONF = "itproject.urls"

# SQLite in a mounted volume, so migrations persist across throwaway containers.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DATABASE_PATH", "/data/db.sqlite3"),
    }
}

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT", "/static")

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
