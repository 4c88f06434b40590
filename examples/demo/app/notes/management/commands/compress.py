"""`manage.py compress`: the deploy's "compress" step, without django-compressor.

django-compressor's `compress` pre-builds offline bundles. This app has none: whitenoise's
CompressedManifestStaticFilesStorage already wrote hashed, gzip-compressed files at
collectstatic time. So this command only reports on them (how many static files the
manifest lists and how many have a .gz copy), writes nothing, needs no database or broker
and always succeeds - a harmless stand-in, so a deploy written for a django-compressor
app runs unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Report on the compressed static files (stand-in for django-compressor's compress; writes nothing)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        # Accepted for compatibility with django-compressor's command line; nothing to force.
        parser.add_argument("--force", "-f", action="store_true", help="Accepted and ignored.")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(settings.STATIC_ROOT)
        manifest = root / "staticfiles.json"
        if not manifest.is_file():
            self.stdout.write(f"No static manifest at {manifest}: run collectstatic first. Nothing to compress.")
            return
        paths = json.loads(manifest.read_text()).get("paths", {})
        hashed = sorted(set(paths.values()))
        gzipped = sum(1 for name in hashed if (root / f"{name}.gz").is_file())
        self.stdout.write(
            f"Nothing to compress: {len(hashed)} hashed static files in {root}, {gzipped} with a .gz copy "
            "(whitenoise compressed them at collectstatic)."
        )
