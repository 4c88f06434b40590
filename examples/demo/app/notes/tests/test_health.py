"""/healthz and /version: any Host, real checks, clear failures."""

from __future__ import annotations

from unittest import mock

from django.test import SimpleTestCase, TestCase, override_settings


class HealthzTests(TestCase):
    def test_ok_whatever_the_host(self) -> None:
        response = self.client.get("/healthz", HTTP_HOST="10.1.2.3:8001")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["checks"], {"database": "ok", "broker": "ok"})
        self.assertEqual(response["Cache-Control"], "no-store")

    @override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    def test_503_names_the_broker_when_redis_is_down(self) -> None:
        with self.assertLogs("django.request", "ERROR"):  # Django logs every 5xx
            response = self.client.get("/healthz", HTTP_HOST="anything.example")
        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertEqual(body["status"], "fail")
        self.assertEqual(body["failed"], ["broker"])
        self.assertEqual(body["checks"]["database"], "ok")
        self.assertIn("Connection", body["checks"]["broker"])

    def test_503_names_the_database_when_it_fails(self) -> None:
        with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=RuntimeError("db down")), \
                self.assertLogs("django.request", "ERROR"):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["failed"], ["database"])
        self.assertIn("db down", response.json()["checks"]["database"])


class VersionTests(SimpleTestCase):
    @override_settings(DOCKYARD_RELEASE="v42", DOCKYARD_HOST="web9")
    def test_release_and_host_whatever_the_host_header(self) -> None:
        response = self.client.get("/version", HTTP_HOST="not-allowed.example")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["release"], "v42")
        self.assertEqual(body["host"], "web9")
        self.assertTrue(body["hostname"])

    def test_other_paths_still_enforce_allowed_hosts(self) -> None:
        with self.assertLogs("django.security.DisallowedHost", "ERROR"):
            response = self.client.get("/", HTTP_HOST="not-allowed.example")
        self.assertEqual(response.status_code, 400)
