"""Docker plumbing for the demo image tests: throwaway network, services and app containers.

Everything runs on the machine's Docker engine, on a network this module creates
(dockyard-test-demo-*), and is removed by the fixtures' finalizers.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

import lab_helpers

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = lab_helpers.REPO / "examples" / "demo" / "bin" / "build-image.sh"
SERVICES_IMAGE = "dockyard-test/demo-services:latest"
DB_USER = DB_PASSWORD = "demo"

T = TypeVar("T")


def docker(*argv: str, check: bool = True, timeout: float = 120,
           input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *argv], text=True, capture_output=True, check=check,
                          timeout=timeout, input=input)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """Poll probe until it returns something truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except (requests.RequestException, subprocess.SubprocessError, OSError) as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last})")


def build_demo(tag: str, variant: str = "normal") -> subprocess.CompletedProcess[str]:
    """bin/build-image.sh TAG VARIANT: build demo:TAG and push it to the lab registry."""
    proc = subprocess.run([str(BUILD_SCRIPT), tag, variant], cwd=lab_helpers.REPO, text=True,
                          capture_output=True, timeout=1200, check=False)
    assert proc.returncode == 0, f"build-image.sh {tag} {variant} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def remove_image(ref: str) -> None:
    # --no-prune: keep the parent layers, the build cache of the next run.
    docker("image", "rm", "--no-prune", ref, check=False)


def build_services_image(base_image: str) -> str:
    docker("build", "-q", "--build-arg", f"BASE={base_image}", "-t", SERVICES_IMAGE, str(HERE / "services"),
           timeout=900)
    return SERVICES_IMAGE


class Services:
    """PostgreSQL and Redis in one container on the test network, reachable as `services`."""

    def __init__(self, network: str, image: str) -> None:
        self.name = unique("dockyard-test-demo-services")
        docker("run", "-d", "--name", self.name, "--network", network, "--network-alias", "services", image)
        wait_for("PostgreSQL to accept connections",
                 lambda: self.exec("pg_isready", "-h", "127.0.0.1", check=False).returncode == 0, timeout=60)
        wait_for("Redis to answer PING", self.redis_ping, timeout=60)

    def exec(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return docker("exec", self.name, *argv, check=check)

    def psql(self, sql: str, database: str = "demo") -> str:
        """One query as the postgres superuser; unaligned, tuples only."""
        return self.exec("runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-d", database,
                         "-tAc", sql).stdout.strip()

    def create_database(self) -> str:
        name = unique("demo").replace("-", "_")
        self.exec("runuser", "-u", "postgres", "--", "createdb", "-O", DB_USER, name)
        return name

    def database_url(self, database: str = "demo") -> str:
        return f"postgres://{DB_USER}:{DB_PASSWORD}@services:5432/{database}"

    def redis_ping(self) -> bool:
        return self.exec("redis-cli", "ping", check=False).stdout.strip() == "PONG"

    def stop_redis(self) -> None:
        self.exec("redis-cli", "shutdown", "nosave", check=False)
        wait_for("Redis to stop", lambda: not self.redis_ping(), timeout=30)

    def start_redis(self) -> None:
        self.exec("sh", "/usr/local/bin/start-services", "redis")
        wait_for("Redis to answer PING", self.redis_ping, timeout=30)

    def remove(self) -> None:
        docker("rm", "-f", "-v", self.name, check=False)


class App:
    """Runs the demo image on the test network with the app's environment."""

    def __init__(self, network: str, services: Services, image: str, database: str = "demo") -> None:
        self.network = network
        self.services = services
        self.image = image
        self.env = {
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "DATABASE_URL": services.database_url(database),
            "CELERY_BROKER_URL": "redis://services:6379/0",
            "ALLOWED_HOSTS": "demo.test",
            "GUNICORN_WORKERS": "2",
        }
        self.containers: list[str] = []

    def env_args(self, extra: dict[str, str] | None = None) -> list[str]:
        args: list[str] = []
        for key, value in {**self.env, **(extra or {})}.items():
            args += ["-e", f"{key}={value}"]
        return args

    def run_once(self, *argv: str, image: str | None = None, env: dict[str, str] | None = None,
                 timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """`docker run --rm` a verb (migrate, manage ..., shell -c ...); never raises on its exit code."""
        return docker("run", "--rm", "--network", self.network, *self.env_args(env), image or self.image, *argv,
                      check=False, timeout=timeout)

    def start(self, *argv: str, image: str | None = None, env: dict[str, str] | None = None,
              publish: bool = False, docker_args: tuple[str, ...] = ()) -> str:
        name = unique("dockyard-test-demo-app")
        self.containers.append(name)
        extra = ["-p", "127.0.0.1::8000"] if publish else []
        docker("run", "-d", "--name", name, "--hostname", name, "--network", self.network, *extra,
               *docker_args, *self.env_args(env), image or self.image, *argv)
        return name

    def remove(self) -> None:
        for name in self.containers:
            docker("rm", "-f", "-v", name, check=False)


def base_url(container: str) -> str:
    out = docker("port", container, "8000/tcp").stdout.strip().splitlines()[0]
    return f"http://{out}"


def wait_serving(container: str, timeout: float = 90) -> str:
    """The container's URL once /healthz answers 200."""
    url = wait_for(f"{container} to publish port 8000", lambda: base_url(container), timeout=30)

    def healthy() -> bool:
        if state(container)["Status"] != "running":
            raise AssertionError(f"{container} exited:\n{logs(container)}")
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200

    wait_for(f"{container} to answer /healthz with 200", healthy, timeout=timeout)
    return url


def state(container: str) -> dict[str, object]:
    return json.loads(docker("inspect", "--format", "{{json .State}}", container).stdout)


def logs(container: str) -> str:
    proc = docker("logs", "--tail", "200", container, check=False)
    return proc.stdout + proc.stderr
