"""Production settings, from the environment only (12-factor).

Required: SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL. Tests use demo.settings_test,
which supplies them (SQLite, in-memory broker).
"""

from __future__ import annotations

import socket
from pathlib import Path

import dj_database_url

from demo.env import env_bool, env_float, env_int, env_list, env_str, required

BASE_DIR = Path(__file__).resolve().parent.parent

_required = required("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL")
SECRET_KEY = _required["SECRET_KEY"]
DEBUG = env_bool("DEBUG", False)
# Empty by default: a production app answers only the names it is told. /healthz and
# /version answer any Host (demo.middleware.HealthMiddleware) for load balancers.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# What /version reports: the image tag baked in at build time and the server that answered.
CONTAINER_HOSTNAME = socket.gethostname()
DOCKYARD_RELEASE = env_str("DOCKYARD_RELEASE", "dev")
DOCKYARD_HOST = env_str("DOCKYARD_HOST") or CONTAINER_HOSTNAME

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "notes",
]

MIDDLEWARE = [
    # First: health checks must not depend on ALLOWED_HOSTS, sessions or anything else.
    "demo.middleware.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        _required["DATABASE_URL"],
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when the server is unreachable: /healthz must answer within seconds.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Hashed, compressed static files collected into the image at build time and served by
# whitenoise from gunicorn. STATIC_ROOT can move to a volume for a separate server.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Celery: Redis broker, no result backend (the tasks write what they need to the database).
CELERY_BROKER_URL = _required["CELERY_BROKER_URL"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
HEARTBEAT_SECONDS = env_float("HEARTBEAT_SECONDS", 5.0)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "notes.tasks.heartbeat",
        "schedule": HEARTBEAT_SECONDS,
        # Evaluated in the beat process: the row names the beat that sent it.
        "args": (DOCKYARD_HOST, CONTAINER_HOSTNAME),
        # A heartbeat nobody ran in time is dropped, not run late in a burst: the rate of
        # rows then tells how many beats are running.
        "options": {"expires": HEARTBEAT_SECONDS},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
}
