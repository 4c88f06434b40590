"""The page, the static files it references, the heartbeat task, the compress command."""

from __future__ import annotations

import io
import re

from django.conf import settings
from django.core.management import call_command
from django.test import TestCase, override_settings

from notes.models import Heartbeat, Note
from notes.tasks import heartbeat


class IndexTests(TestCase):
    @override_settings(DOCKYARD_RELEASE="r123")
    def test_shows_release_and_static_css(self) -> None:
        response = self.client.get("/", HTTP_HOST="demo.test")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "r123")
        self.assertRegex(response.content.decode(), r'href="/static/notes/demo(\.[0-9a-f]{12})?\.css"')

    def test_hashed_name_when_collected(self) -> None:
        if not (settings.STATIC_ROOT / "staticfiles.json").exists():
            self.skipTest("collectstatic has not run (the image build runs it first)")
        html = self.client.get("/", HTTP_HOST="demo.test").content.decode()
        self.assertTrue(re.search(r'/static/notes/demo\.[0-9a-f]{12}\.css', html), html)

    def test_post_adds_a_note(self) -> None:
        response = self.client.post("/", {"title": "hello", "body": "world"}, HTTP_HOST="demo.test")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Note.objects.get().title, "hello")

    def test_csrf_is_enforced(self) -> None:
        from django.test import Client

        response = Client(enforce_csrf_checks=True).post("/", {"title": "x"}, HTTP_HOST="demo.test")
        self.assertEqual(response.status_code, 403)


class HeartbeatTests(TestCase):
    def test_task_records_beat_and_worker(self) -> None:
        heartbeat.delay("beat-host", "beat-container")
        row = Heartbeat.objects.get()
        self.assertEqual((row.beat_host, row.beat_container), ("beat-host", "beat-container"))
        self.assertEqual(row.worker_host, settings.DOCKYARD_HOST)

    def test_beat_schedule(self) -> None:
        entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]
        self.assertEqual(entry["task"], "notes.tasks.heartbeat")
        self.assertEqual(entry["schedule"], settings.HEARTBEAT_SECONDS)


class CommandTests(TestCase):
    def test_compress_is_harmless(self) -> None:
        out = io.StringIO()
        call_command("compress", "--force", stdout=out)
        self.assertIn("compress", out.getvalue())

    def test_no_missing_migrations(self) -> None:
        call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())
