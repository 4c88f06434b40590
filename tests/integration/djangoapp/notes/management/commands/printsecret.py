from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the secret key on purpose (for redaction tests)."

    def handle(self, *args, **options):
        self.stdout.write(f"SECRET_KEY is {settings.SECRET_KEY}")
