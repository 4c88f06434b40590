"""The collection importable from a plain checkout, and fixtures shared by every test that needs the lab."""

from __future__ import annotations

import importlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import lab_helpers


# A wrapper, so the marks are set before pytest-xdist's own hook turns them into groups.
@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None]:
    """How `make test` spreads the tests over pytest-xdist's workers (--dist loadgroup): every
    test that deploys on the provisioned lab on one worker, in order (they share the lab hosts,
    and the lab_turn fixture would only keep a second worker waiting); every other lab test
    file whole on one worker (its module fixtures are set up once); unit tests one by one."""
    for item in items:
        path = item.path.relative_to(lab_helpers.REPO / "tests")
        if path.parts[0] == "unit":
            continue
        deploys = (path.parts[0] in ("deploy", "tls") or "provisioned" in item.fixturenames
                   or item.get_closest_marker("deploys") is not None)
        group = "deploy" if deploys else str(path)
        item.add_marker(pytest.mark.xdist_group(group))
    return (yield)


def _link_the_collection() -> None:
    """Make ``ansible_collections.dockyard.django`` importable, as `make collection` does.

    pytest.ini puts .collections on the Python path; the checkout is the collection, linked there
    as ansible_collections/dockyard/django (gitignored), so `pytest tests/unit` works without make.
    """
    link = Path(__file__).resolve().parent.parent / ".collections" / "ansible_collections" / "dockyard" / "django"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():  # a dangling link from a moved checkout
            link.unlink()
        os.symlink("../../..", link)
        importlib.invalidate_caches()  # the path entry was missing when Python first looked


_link_the_collection()


@pytest.fixture(scope="session")
def lab() -> None:
    """Fail early and clearly when the lab is not up (run `make lab`)."""
    if not lab_helpers.INVENTORY.exists():
        pytest.fail("the lab is not up: lab/inventory.yml is missing (run `make lab`)")
    for host in ("lb1", "db1", "web1", "web2", "worker1", "registry"):
        state = subprocess.run(["docker", "inspect", "--format", "{{.State.Running}}", lab_helpers.container(host)],
                               text=True, capture_output=True, check=False)
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
    """web1 with a Docker engine running and root logged into the lab registry."""
    return lab_helpers.ensure_docker_engine("web1")


@pytest.fixture(scope="session")
def docker_engine_worker(lab: None) -> str:
    """worker1 with a Docker engine running and root logged into the lab registry."""
    return lab_helpers.ensure_docker_engine("worker1")


@pytest.fixture(scope="session")
def base_image() -> str:
    """The lab host image, usable as a base for small test images."""
    return lab_helpers.host_image()
