"""Settings of a Django app from the environment, without changing the app (the app image
recipe: Dockerfile beside this file; README.md, "Deploying your own app").

The image sets DJANGO_SETTINGS_MODULE=dockyard_settings and DOCKYARD_BASE_SETTINGS to the app's
own settings module (for example mysite.settings.production). This module takes every setting
from that one, then overrides those the deployment decides, from the environment:

  SECRET_KEY               required
  DATABASE_URL             postgres://user:password@host:port/name?sslmode=... (dockyard builds
                           it from the inventory), or sqlite:////path
  ALLOWED_HOSTS            comma-separated host names
  CSRF_TRUSTED_ORIGINS     comma-separated origins, e.g. https://shop.example.com
  SECURE_PROXY_SSL_HEADER  header,value: HTTP_X_FORWARDED_PROTO,https behind dockyard's front
  SECURE_SSL_REDIRECT, SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE, DEBUG
                           true or false
  SECURE_HSTS_SECONDS      seconds
  STATIC_ROOT, STATIC_URL, MEDIA_ROOT, MEDIA_URL
                           paths and URL prefixes (the image sets both roots)
  DJANGO_SETTING_<NAME>    any other setting NAME: its JSON value, or the text as it is
                           (DJANGO_SETTING_WAGTAILADMIN_BASE_URL=https://shop.example.com)

A variable that is not set leaves the app's own value. One addition follows from DATABASE_URL:
on PostgreSQL, django.contrib.postgres joins INSTALLED_APPS when the app lacks it (Django 6.0
refuses to start apps whose models use its fields and indexes without it, as Wagtail's search
index does; with the PostgreSQL driver installed it is harmless).
"""

from __future__ import annotations

import importlib
import json
import os
from urllib.parse import parse_qsl, unquote, urlsplit

_base = importlib.import_module(os.environ["DOCKYARD_BASE_SETTINGS"])
globals().update({name: getattr(_base, name) for name in dir(_base) if name.isupper()})

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str) -> bool:
    value = os.environ[name].strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(f"{name} must be true or false, got {os.environ[name]!r}")
    return value in _TRUE


def _names(name: str) -> list[str]:
    return [item.strip() for item in os.environ[name].split(",") if item.strip()]


def _database(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path) or ":memory:"}
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r} (postgres or sqlite)")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
        # Persistent connections: gunicorn's sync workers reuse them between requests.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


if "SECRET_KEY" in os.environ:
    SECRET_KEY = os.environ["SECRET_KEY"]
if "DATABASE_URL" in os.environ:
    DATABASES = {**globals().get("DATABASES", {}), "default": _database(os.environ["DATABASE_URL"])}
    _apps = list(globals().get("INSTALLED_APPS", []))
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and "django.contrib.postgres" not in _apps:
        INSTALLED_APPS = [*_apps, "django.contrib.postgres"]
for _name in ("ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"):
    if _name in os.environ:
        globals()[_name] = _names(_name)
if "SECURE_PROXY_SSL_HEADER" in os.environ:
    SECURE_PROXY_SSL_HEADER = tuple(_names("SECURE_PROXY_SSL_HEADER")) or None
for _name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "DEBUG"):
    if _name in os.environ:
        globals()[_name] = _flag(_name)
if "SECURE_HSTS_SECONDS" in os.environ:
    SECURE_HSTS_SECONDS = int(os.environ["SECURE_HSTS_SECONDS"])
for _name in ("STATIC_ROOT", "STATIC_URL", "MEDIA_ROOT", "MEDIA_URL"):
    if _name in os.environ:
        globals()[_name] = os.environ[_name]
for _key, _value in os.environ.items():
    if _key.startswith("DJANGO_SETTING_") and _key[len("DJANGO_SETTING_"):].isupper():
        try:
            globals()[_key[len("DJANGO_SETTING_"):]] = json.loads(_value)
        except ValueError:
            globals()[_key[len("DJANGO_SETTING_"):]] = _value
