"""Fixtures shared by every test that needs the lab."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

import lab_helpers


@pytest.fixture(scope="session")
def lab() -> None:
    """Fail early and clearly when the lab is not up (run `make lab`)."""
    if not lab_helpers.INVENTORY.exists():
        pytest.fail("the lab is not up: lab/inventory.yml is missing (run `make lab`)")
    for host in ("lb1", "db1", "web1", "web2", "worker1", "registry"):
        state = subprocess.run(["docker", "inspect", "--format", "{{.State.Running}}", lab_helpers.container(host)],
                               text=True, capture_output=True)
        if state.stdout.strip() != "true":
            pytest.fail(f"lab host {host} is not running (run `make lab`)")


@pytest.fixture(scope="session")
def machine_docker(lab: None) -> Iterator[lab_helpers.MachineDocker]:
    """The machine's Docker client, logged into the lab registry with a private config."""
    client = lab_helpers.MachineDocker()
    yield client
    client.close()


@pytest.fixture(scope="session")
def docker_engine_host(lab: None) -> str:
    """A lab host (web1) with a Docker engine installed and running, and root logged into
    the lab registry: what docker_host gives a real server. Returns the host name."""
    host = "web1"
    result = lab_helpers.run_module(host, "ansible.builtin.apt", {
        "name": ["docker.io", "docker-compose", "python3-docker"],
        "state": "present", "update_cache": True, "cache_valid_time": 3600,
    })
    assert not result["failed"], result.get("msg")
    result = lab_helpers.run_module(host, "ansible.builtin.systemd_service",
                                    {"name": "docker", "state": "started", "enabled": True})
    assert not result["failed"], result.get("msg")
    lab_helpers.host_run(host, "docker", "login", "-u", lab_helpers.REGISTRY_USER, "--password-stdin",
                         lab_helpers.REGISTRY, input=lab_helpers.registry_password())
    return host


@pytest.fixture(scope="session")
def base_image() -> str:
    """The lab host image, usable as a base for small test images."""
    return lab_helpers.host_image()
