import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Sleep for a number of seconds (for timeout tests)."

    def add_arguments(self, parser):
        parser.add_argument("seconds", type=float)

    def handle(self, *args, **options):
        time.sleep(options["seconds"])
        self.stdout.write("slept")
