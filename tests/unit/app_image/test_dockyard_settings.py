"""The app image recipe's settings module (docs/app-image/dockyard_settings.py): the app's own
settings, overridden from the environment."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest

from lab_helpers import REPO

RECIPE = REPO / "docs" / "app-image" / "dockyard_settings.py"


def settings_with(monkeypatch: pytest.MonkeyPatch, base: dict, env: dict[str, str]) -> types.ModuleType:
    module = types.ModuleType("app_base_settings")
    module.__dict__.update(base)
    monkeypatch.setitem(sys.modules, "app_base_settings", module)
    monkeypatch.setenv("DOCKYARD_BASE_SETTINGS", "app_base_settings")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("dockyard_settings_under_test", RECIPE)
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    return settings


def test_postgres_gets_its_contrib_app_once(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, {"INSTALLED_APPS": ["django.contrib.admin"]},
                             {"DATABASE_URL": "postgres://app:pw@db1:5432/app?sslmode=require"})
    assert settings.INSTALLED_APPS == ["django.contrib.admin", "django.contrib.postgres"]
    assert settings.DATABASES["default"]["OPTIONS"] == {"sslmode": "require"}
    again = settings_with(monkeypatch, {"INSTALLED_APPS": ["django.contrib.postgres"]},
                          {"DATABASE_URL": "postgres://app:pw@db1/app"})
    assert again.INSTALLED_APPS == ["django.contrib.postgres"]


def test_sqlite_leaves_the_apps_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, {"INSTALLED_APPS": ["django.contrib.admin"]},
                             {"DATABASE_URL": "sqlite:////data/db.sqlite3"})
    assert settings.INSTALLED_APPS == ["django.contrib.admin"]
