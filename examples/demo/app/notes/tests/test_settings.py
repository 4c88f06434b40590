"""Settings come from the environment; a missing required variable is named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase

from demo import env

APP_DIR = Path(__file__).resolve().parents[2]


class EnvTests(SimpleTestCase):
    def test_required_names_every_missing_variable(self) -> None:
        saved = {name: os.environ.pop(name, None) for name in ("DEMO_T_A", "DEMO_T_B")}
        try:
            with self.assertRaisesMessage(ImproperlyConfigured, "DEMO_T_A, DEMO_T_B"):
                env.required("DEMO_T_A", "DEMO_T_B")
        finally:
            for name, value in saved.items():
                if value is not None:
                    os.environ[name] = value

    def test_list_and_bool(self) -> None:
        os.environ["DEMO_T_LIST"] = "a.example, b.example c.example"
        os.environ["DEMO_T_BOOL"] = "off"
        try:
            self.assertEqual(env.env_list("DEMO_T_LIST"), ["a.example", "b.example", "c.example"])
            self.assertFalse(env.env_bool("DEMO_T_BOOL", True))
        finally:
            del os.environ["DEMO_T_LIST"], os.environ["DEMO_T_BOOL"]

    def test_preflight_names_missing_secret_key(self) -> None:
        environ = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
        environ.update(DATABASE_URL="sqlite://:memory:", CELERY_BROKER_URL="memory://")
        proc = subprocess.run([sys.executable, "-m", "demo.preflight"], cwd=APP_DIR, env=environ,
                              capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(proc.returncode, 78, proc.stderr)
        self.assertIn("SECRET_KEY", proc.stderr)
        self.assertNotIn("DATABASE_URL", proc.stderr)
