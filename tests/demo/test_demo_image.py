"""The demo image behaves like a production Django app: health, version, static files,
Celery worker and beat, graceful stop, and the fault-test variants."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
import requests

from demo_support import App, Services, docker, logs, state, wait_for, wait_serving

pytestmark = pytest.mark.lab


def test_healthz_ok_whatever_the_host(web: tuple[str, str]) -> None:
    url = web[1]
    response = requests.get(f"{url}/healthz", headers={"Host": "10.9.8.7:8001"}, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}


def test_version_names_tag_and_host(web: tuple[str, str], demo_image: str) -> None:
    name, url = web
    body = requests.get(f"{url}/version", headers={"Host": "probe.invalid"}, timeout=10).json()
    assert body["release"] == demo_image.split(":", 1)[1]
    assert body["host"] == "web-test-1"
    assert body["hostname"] == name


def test_page_uses_hashed_static_file(web: tuple[str, str], demo_image: str) -> None:
    url = web[1]
    page = requests.get(f"{url}/", headers={"Host": "demo.test"}, timeout=10)
    assert page.status_code == 200, page.text
    assert demo_image.split(":", 1)[1] in page.text
    match = re.search(r'href="(/static/notes/demo\.[0-9a-f]{12}\.css)"', page.text)
    assert match, page.text
    css = requests.get(f"{url}{match.group(1)}", headers={"Host": "demo.test", "Accept-Encoding": "gzip"},
                       timeout=10)
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "immutable" in css.headers.get("Cache-Control", "")
    assert "body" in css.text


def test_other_hosts_are_refused_outside_health(web: tuple[str, str]) -> None:
    url = web[1]
    assert requests.get(f"{url}/", headers={"Host": "evil.example"}, timeout=10).status_code == 400


def test_docker_health_status_becomes_healthy(web: tuple[str, str]) -> None:
    name = web[0]
    wait_for("the web container's health status to be healthy",
             lambda: state(name)["Health"]["Status"] == "healthy", timeout=60)


def test_healthz_503_when_redis_is_down(web: tuple[str, str], services: Services) -> None:
    url = web[1]
    services.stop_redis()
    try:
        started = time.monotonic()
        response = requests.get(f"{url}/healthz", headers={"Host": "lb.probe"}, timeout=15)
        assert time.monotonic() - started < 10, "the broker check must time out quickly"
        assert response.status_code == 503
        body = response.json()
        assert body["failed"] == ["broker"]
        assert body["checks"]["database"] == "ok"
    finally:
        services.start_redis()
    wait_for("/healthz to recover once Redis is back",
             lambda: requests.get(f"{url}/healthz", timeout=10).status_code == 200, timeout=30)


def test_worker_and_beat_record_heartbeats(app: App, services: Services) -> None:
    beat_host = "beat-test-1"
    env = {"HEARTBEAT_SECONDS": "1", "DOCKYARD_HOST": beat_host}
    worker = app.start("worker", env={**env, "DOCKYARD_HOST": "worker-test-1"},
                       docker_args=("--health-interval", "2s"))
    beat = app.start("beat", env=env)
    query = f"SELECT count(*) FROM notes_heartbeat WHERE beat_host = '{beat_host}'"
    try:
        wait_for("two heartbeat rows from the beat", lambda: int(services.psql(query)) >= 2, timeout=120)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nworker:\n{logs(worker)}\nbeat:\n{logs(beat)}") from None
    row = services.psql(f"SELECT beat_container, worker_host FROM notes_heartbeat WHERE beat_host = '{beat_host}' LIMIT 1")
    assert row == f"{beat}|worker-test-1"
    # The worker's health check pings the broker.
    wait_for("the worker's health status to be healthy",
             lambda: state(worker)["Health"]["Status"] == "healthy", timeout=60)
    # Both stop promptly on SIGTERM (warm shutdown), well before docker's kill timeout.
    for name in (beat, worker):
        started = time.monotonic()
        docker("stop", "-t", "30", name, timeout=60)
        assert time.monotonic() - started < 20, f"{name} ignored SIGTERM"
        assert state(name)["ExitCode"] == 0, logs(name)


def test_one_shot_verbs(app: App) -> None:
    shell = app.run_once("manage", "shell", "-c", "from notes.models import Note; print(Note.objects.count() >= 0)")
    assert shell.returncode == 0 and shell.stdout.strip().endswith("True"), shell.stdout + shell.stderr
    compress = app.run_once("compress")
    assert compress.returncode == 0 and "Nothing to compress" in compress.stdout, compress.stdout + compress.stderr
    migrate = app.run_once("migrate")
    assert migrate.returncode == 0 and "No migrations to apply" in migrate.stdout, migrate.stdout
    passthrough = app.run_once("id", "-u")
    assert passthrough.stdout.strip() == "10001", "the app must not run as root"


def test_missing_secret_key_is_named(app: App) -> None:
    proc = app.run_once("run", env={"SECRET_KEY": ""}, timeout=60)
    assert proc.returncode == 78
    assert "SECRET_KEY" in proc.stderr and "DATABASE_URL" not in proc.stderr


def test_gunicorn_stops_gracefully_on_sigterm(app: App) -> None:
    name = app.start("run", publish=True, env={"GUNICORN_GRACEFUL_TIMEOUT": "20"})
    wait_serving(name)
    started = time.monotonic()
    docker("stop", "-t", "60", name, timeout=90)
    took = time.monotonic() - started
    assert took < 15, f"docker stop took {took:.1f}s: gunicorn did not exit on SIGTERM"
    assert state(name)["ExitCode"] == 0, logs(name)
    assert "Handling signal: term" in logs(name)


def test_normal_image_has_no_variant_files(app: App) -> None:
    migrations = app.run_once("ls", "/app/notes/migrations")
    assert migrations.stdout.split() == ["0001_initial.py", "0002_note_body.py", "__init__.py"]
    # Variant files say "VARIANT" in their docstrings; none may be in the normal image.
    marked = app.run_once("grep", "-rl", "VARIANT", "/app")
    assert marked.returncode == 1 and marked.stdout == "", marked.stdout


def test_unhealthy_variant_turns_unhealthy(app: App, demo_images: Callable[[str], str]) -> None:
    image = demo_images("unhealthy")
    name = app.start("run", image=image, publish=True,
                     docker_args=("--health-interval", "1s", "--health-retries", "2", "--health-timeout", "5s"))
    wait_for("the unhealthy variant's health status to be unhealthy",
             lambda: state(name).get("Health", {}).get("Status") == "unhealthy", timeout=90)
    url = wait_for("a published port", lambda: docker("port", name, "8000/tcp").stdout.strip().splitlines()[0],
                   timeout=30)
    # Otherwise it works: it serves /version, and /healthz says why it fails.
    assert requests.get(f"http://{url}/version", timeout=10).json()["release"] == image.split(":", 1)[1]
    health = requests.get(f"http://{url}/healthz", timeout=10)
    assert health.status_code == 503 and health.json()["failed"] == ["variant"]


def test_badmigration_variant_fails_migrate(app: App, services: Services,
                                            demo_images: Callable[[str], str]) -> None:
    database = services.create_database()
    env = {"DATABASE_URL": services.database_url(database)}
    assert app.run_once("migrate", env=env).returncode == 0
    bad = app.run_once("migrate", image=demo_images("badmigration"), env=env)
    assert bad.returncode != 0
    assert "fails on purpose" in bad.stdout + bad.stderr
    # PostgreSQL rolled the whole migration back: the previous release's schema is intact.
    assert services.psql("SELECT count(*) FROM django_migrations WHERE app = 'notes'", database) == "2"
    assert services.psql("SELECT count(*) FROM information_schema.columns WHERE column_name = 'doomed'",
                         database) == "0"


def test_newmigration_variant_applies_one_more(app: App, services: Services,
                                               demo_images: Callable[[str], str]) -> None:
    database = services.create_database()
    env = {"DATABASE_URL": services.database_url(database)}
    assert app.run_once("migrate", env=env).returncode == 0
    new = app.run_once("migrate", image=demo_images("newmigration"), env=env)
    assert new.returncode == 0, new.stdout + new.stderr
    assert "Applying notes.0003_note_pinned... OK" in new.stdout
    assert services.psql("SELECT count(*) FROM django_migrations WHERE app = 'notes'", database) == "3"
    # A rollback to the previous release still writes notes (the new column has a DB default).
    old = app.run_once("shell", "-c", "from notes.models import Note; Note.objects.create(title='after rollback')",
                       env=env)
    assert old.returncode == 0, old.stdout + old.stderr
    assert services.psql("SELECT pinned FROM notes_note WHERE title = 'after rollback'", database) == "f"
