"""dockyard.django.web_slot and web_slot_info against web1's real Docker engine and Compose.

A tiny web image (the lab host image serving HTTP with Python, with a HEALTHCHECK) in two
tags, and a compose file of the shape django_app writes: the slots start, become healthy,
switch and stop for real.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import lab_helpers
from lab_helpers import host_run, run_module

pytestmark = pytest.mark.lab

HOST = "web1"
REPOSITORY = "itweb/app"
DOCKERFILE = """FROM {base}
RUN echo {tag} > /srv/version
WORKDIR /srv
HEALTHCHECK --interval=1s --timeout=2s --retries=30 \\
  CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/version', timeout=1)"
CMD ["python3", "-m", "http.server", "8000"]
"""
COMPOSE = """services:
  web:
    image: {repository}:${{TAG}}
    ports: ["${{WEB_PORT}}:8000"]
    stop_grace_period: 3s
"""


@dataclass
class Slots:
    app: str
    port: int
    v1: str
    v2: str

    def stage(self, tag: str, **args: Any) -> dict[str, Any]:
        return self.slot(tag=tag, port=self.port, wait_timeout=60, **args)

    def slot(self, check: bool = False, diff: bool = False, **args: Any) -> dict[str, Any]:
        result = run_module(HOST, "dockyard.django.web_slot", {"app": self.app, **args}, check=check, diff=diff)
        assert not result["failed"], result.get("msg")
        return result

    def info(self, check: bool = False) -> dict[str, Any]:
        result = run_module(HOST, "dockyard.django.web_slot_info", {"app": self.app}, check=check)
        assert not result["failed"], result.get("msg")
        assert result["changed"] is False
        return result


@pytest.fixture(scope="module")
def slots(docker_engine_host: str, machine_docker: lab_helpers.MachineDocker, base_image: str) -> Iterator[Slots]:
    run = uuid.uuid4().hex[:8]
    refs = [machine_docker.build_and_push(DOCKERFILE.format(base=base_image, tag=f"{version}-{run}"), REPOSITORY,
                                          f"{version}-{run}") for version in ("v1", "v2")]
    app = f"itslot{run}"
    host_run(HOST, "mkdir", "-p", f"/var/www/{app}")
    host_run(HOST, "sh", "-c", f"cat > /var/www/{app}/compose.yml",
             input=COMPOSE.format(repository=f"{lab_helpers.REGISTRY}/{REPOSITORY}"))
    yield Slots(app=app, port=random.randrange(20000, 30000, 2), v1=f"v1-{run}", v2=f"v2-{run}")
    for slot in ("a", "b"):
        host_run(HOST, "docker", "compose", "--project-name", f"{app}-{slot}", "--project-directory",
                 f"/var/www/{app}", "down", "--remove-orphans", check=False)
    host_run(HOST, "rm", "-rf", f"/var/www/{app}")
    for ref in refs:
        host_run(HOST, "docker", "image", "rm", ref, check=False)
        machine_docker.run("image", "rm", ref.replace(lab_helpers.REGISTRY, lab_helpers.registry_on_machine(), 1),
                           check=False)


def version_on(port: int) -> str:
    return host_run(HOST, "python3", "-c", f"import urllib.request; print(urllib.request.urlopen("
                    f"'http://127.0.0.1:{port}/version', timeout=5).read().decode().strip())").stdout.strip()


def test_a_release_is_staged_switched_and_stopped(slots: Slots) -> None:
    empty = slots.info(check=True)
    assert empty["active"] is None and not empty["slots"]["a"]["exists"] and not empty["slots"]["b"]["exists"]

    planned = slots.stage(slots.v1, check=True)
    assert (planned["changed"], planned["slot"]) == (True, "a")
    assert not slots.info()["slots"]["a"]["exists"], "check mode must start nothing"

    staged = slots.stage(slots.v1)
    assert (staged["changed"], staged["slot"], staged["port"], staged["switch"]) == (True, "a", slots.port, True)
    assert version_on(slots.port) == slots.v1
    assert slots.slot(state="active", slot="a")["changed"] is True
    read = slots.info()
    assert read["active"] == "a"
    assert read["slots"]["a"] == {"exists": True, "running": True, "health": "healthy", "tag": slots.v1}
    assert slots.stage(slots.v1)["changed"] is False  # the active slot serves it already

    second = slots.stage(slots.v2)
    assert (second["slot"], second["port"]) == ("b", slots.port + 1)
    assert version_on(slots.port + 1) == slots.v2
    assert slots.slot(state="active", slot="b")["changed"] is True  # and slot a stops, through the Engine API
    read = slots.info()
    assert read["active"] == "b"
    stopped = read["slots"]["a"]  # its health is whatever the engine last saw
    assert (stopped["exists"], stopped["running"], stopped["tag"]) == (True, False, slots.v1)
    assert read["slots"]["b"]["running"] and read["slots"]["b"]["tag"] == slots.v2

    assert slots.slot(state="stopped", slot="b")["changed"] is True
    assert slots.slot(state="stopped", slot="b")["changed"] is False
    assert not slots.info()["slots"]["b"]["running"]
