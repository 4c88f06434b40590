"""Fixtures for the deploy tests: a provisioned lab, demo images, and helpers to deploy,
read the release files and watch what the nginx front serves."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import lab_helpers
from loadgen import LoadGenerator, front_address

APPS = {"demo": {"web": ["web1", "web2"], "worker": ["worker1"], "server_name": "demo.lab"},
        "solo": {"web": ["web2"], "worker": ["worker1"], "server_name": "solo.lab"}}


def lb_address() -> str:
    return front_address(lab_helpers.container("lb1"))


@dataclass
class Run:
    """One ansible-playbook run: its exit code, output and the recap's changed counts."""

    rc: int
    out: str

    @property
    def changed(self) -> dict[str, int]:
        recap = self.out[self.out.rindex("PLAY RECAP"):] if "PLAY RECAP" in self.out else ""
        return {host: int(n) for host, n in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", recap, re.M)}


def playbook(name: str, *args: str) -> Run:
    proc = lab_helpers.run_playbook(f"playbooks/{name}", *args)
    return Run(proc.returncode, proc.stdout + proc.stderr)


def deploy(app: str, tag: str, *args: str) -> Run:
    return playbook("deploy.yml", "-e", f"app={app}", "-e", f"tag={tag}", *args)


def release_files(host: str, app: str) -> tuple[str | None, str | None]:
    result = lab_helpers.run_module(host, "dockyard.django.release_info", {"app": app})
    assert not result["failed"], result.get("msg")
    return result["current"], result["previous"]


def lock_of(app: str) -> dict | None:
    result = lab_helpers.run_module("lb1", "dockyard.django.deploy_lock_info", {"app": app})
    assert not result["failed"], result.get("msg")
    return result["lock"]


def serving(app: str, requests_count: int = 8) -> set[str | None]:
    """The releases the nginx front serves for an app right now."""
    with LoadGenerator(f"http://{lb_address()}/version", APPS[app]["server_name"], workers=1,
                       max_requests=requests_count, max_seconds=30) as load:
        while len(load.outcomes) < requests_count and time.monotonic() < load._deadline:
            time.sleep(0.05)
    assert not load.failed, load.describe_failures()
    return load.releases()


def load_for(app: str) -> LoadGenerator:
    """Steady load through the front: 4 clients, bounded to 15 minutes."""
    return LoadGenerator(f"http://{lb_address()}/version", APPS[app]["server_name"], workers=4, max_seconds=900)


@pytest.fixture(scope="session")
def provisioned(lab: None) -> None:
    """The lab provisioned by playbooks/site.yml (idempotent: quick when it already is), with
    no deploy lock left by an earlier test run that was interrupted (a session owns the lab)."""
    run = playbook("site.yml")
    assert run.rc == 0, run.out[-4000:]
    for app in APPS:
        stale = lab_helpers.run_module("lb1", "dockyard.django.deploy_lock",
                                       {"app": app, "state": "released", "force": True})
        assert not stale["failed"], stale.get("msg")


@dataclass
class Images:
    """Demo image tags pushed for this test session (unique, so runs never see old state)."""

    prefix: str

    def tag(self, name: str) -> str:
        return f"{name}-{self.prefix}"


@pytest.fixture(scope="session")
def images(provisioned: None) -> Images:
    images = Images(prefix=time.strftime("%m%d%H%M") + uuid.uuid4().hex[:4])
    builds = [("r1", "normal"), ("r2", "normal"), ("r3", "normal"), ("unhealthy", "unhealthy"),
              ("badmig", "badmigration"), ("newmig", "newmigration")]
    for name, variant in builds:
        proc = subprocess.run(["bash", str(lab_helpers.REPO / "examples/demo/bin/build-image.sh"),
                               images.tag(name), variant], text=True, capture_output=True, timeout=1200,
                              check=False)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return images


def runs_everywhere(app: str, tag: str) -> bool:
    hosts = APPS[app]["web"] + APPS[app]["worker"]
    return all(release_files(host, app)[0] == tag for host in hosts) and serving(app) == {tag}


@pytest.fixture
def deployed(images: Images) -> Iterator[str]:
    """demo and solo both run r1 (deployed when they do not), and no lock is held."""
    for app in APPS:
        if not runs_everywhere(app, images.tag("r1")):
            run = deploy(app, images.tag("r1"))
            assert run.rc == 0, run.out[-4000:]
    yield images.tag("r1")
    for app in APPS:
        assert lock_of(app) is None, f"the deploy lock of {app} outlived the test"
