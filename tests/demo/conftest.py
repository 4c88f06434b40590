"""Fixtures of the demo image tests: the image (built and pushed by build-image.sh), a
throwaway network with PostgreSQL and Redis, and a migrated, running web container."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

import lab_helpers
from demo_support import App, Services, build_demo, build_services_image, docker, remove_image, unique, wait_serving


@pytest.fixture(scope="module")
def demo_images(machine_docker: lab_helpers.MachineDocker) -> Iterator[Callable[[str], str]]:
    """variant -> local image ref, built and pushed once per module by bin/build-image.sh."""
    run = uuid.uuid4().hex[:8]
    built: dict[str, str] = {}

    def image(variant: str = "normal") -> str:
        if variant not in built:
            tag = f"t{run}-{variant}"
            build_demo(tag, variant)
            built[variant] = f"demo:{tag}"
        return built[variant]

    yield image
    for ref in built.values():
        remove_image(ref)
        remove_image(f"{lab_helpers.registry_on_machine()}/{ref}")


@pytest.fixture(scope="module")
def demo_image(demo_images: Callable[[str], str]) -> str:
    return demo_images("normal")


@pytest.fixture(scope="module")
def network(lab: None) -> Iterator[str]:
    name = unique("dockyard-test-demo")
    docker("network", "create", "--label", "dockyard.test=demo", name)
    yield name
    docker("network", "rm", name, check=False)


@pytest.fixture(scope="module")
def services(network: str, base_image: str) -> Iterator[Services]:
    svc = Services(network, build_services_image(base_image))
    yield svc
    svc.remove()


@pytest.fixture(scope="module")
def app(network: str, services: Services, demo_image: str) -> Iterator[App]:
    """The app's environment on the test network, its database migrated."""
    runner = App(network, services, demo_image)
    migrated = runner.run_once("migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    yield runner
    runner.remove()


@pytest.fixture(scope="module")
def web(app: App) -> tuple[str, str]:
    """A running web container (verb `run`) and its URL on loopback."""
    name = app.start("run", publish=True, env={"DOCKYARD_HOST": "web-test-1"},
                     docker_args=("--health-interval", "2s", "--health-start-period", "60s"))
    return name, wait_serving(name)
