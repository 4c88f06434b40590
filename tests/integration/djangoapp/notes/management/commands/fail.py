import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Exit non-zero, after writing the secret key to stderr (for failure and redaction tests)."

    def add_arguments(self, parser):
        parser.add_argument("--code", type=int, default=3)

    def handle(self, *args, **options):
        self.stdout.write("about to fail")
        self.stderr.write(f"failing on purpose; SECRET_KEY={settings.SECRET_KEY}")
        sys.exit(options["code"])
