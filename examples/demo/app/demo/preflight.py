"""`python -m demo.preflight`: check the settings load before starting a long-running process.

The entrypoint runs it first so a missing variable is one clear line and exit code 78
(EX_CONFIG) instead of gunicorn's worker-boot loop or a Celery traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

from django.core.exceptions import ImproperlyConfigured


def main() -> int:
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "demo.settings")
    try:
        importlib.import_module(module)
    except ImproperlyConfigured as exc:
        print(f"demo: configuration error: {exc}", file=sys.stderr)
        return 78
    return 0


if __name__ == "__main__":
    sys.exit(main())
