"""Memory and CPU limits per app and per service (the app key `limits`), as Docker holds the
containers to them. The lab's demo entry sets them (lab/group_vars/all/dockyard.yml), so every
deploy test deploys under them; solo sets none."""

from __future__ import annotations

import json

import pytest

import lab_helpers
from conftest import APPS, playbook

pytestmark = pytest.mark.lab

MIB = 1024 ** 2
# What Docker holds each kind of demo's containers to: (bytes of memory, NanoCpus), from the
# lab's `limits: {memory: 512m, cpus: 1.5, worker: {memory: 384m}, manage: {memory: 384m, cpus: 1}}`.
EXPECTED = {"web": (512 * MIB, 1_500_000_000), "worker": (384 * MIB, 1_500_000_000),
            "beat": (512 * MIB, 1_500_000_000)}

# Prints the memory limit the container's cgroup sets (v2, or v1 as on the lab's nested engines).
CGROUP_MEMORY = ("import pathlib\n"
                 "for name in ('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'):\n"
                 "    path = pathlib.Path(name)\n"
                 "    if path.exists():\n"
                 "        print('cgroup-memory', path.read_text().strip())\n"
                 "        break\n")


def host_configs(host: str, app: str) -> dict[str, list[tuple[int, int]]]:
    """service -> (Memory, NanoCpus) of each of the app's running containers on a host."""
    ids = lab_helpers.host_run(host, "docker", "ps", "-q", "--filter", f"label=dockyard.app={app}").stdout.split()
    found: dict[str, list[tuple[int, int]]] = {}
    for info in json.loads(lab_helpers.host_run(host, "docker", "inspect", *ids).stdout) if ids else []:
        service = info["Config"]["Labels"].get("dockyard.service")
        found.setdefault(service, []).append((info["HostConfig"]["Memory"], info["HostConfig"]["NanoCpus"]))
    return found


def test_limits_hold_every_container_of_the_app(deployed: str) -> None:
    # web from the deploy's slots, worker and beat from the compose file site.yml wrote.
    for host in APPS["demo"]["web"]:
        assert host_configs(host, "demo")["web"] == [EXPECTED["web"]], host
    on_worker = host_configs("worker1", "demo")
    assert on_worker["worker"] == [EXPECTED["worker"]] and on_worker["beat"] == [EXPECTED["beat"]], on_worker
    # solo has no limits.
    assert set(host_configs("web2", "solo")["web"]) == {(0, 0)}
    # A manage command's one-shot container: its own cgroup says 384m.
    shown = playbook("manage.yml", "-e", "app=demo", "-e", json.dumps({"cmd": ["shell", "-c", CGROUP_MEMORY]}))
    assert shown.rc == 0, shown.out[-3000:]
    assert f"cgroup-memory {384 * MIB}" in shown.out, shown.out[-3000:]
    # status.yml reports them.
    status = playbook("status.yml", "-e", "app=demo")
    assert status.rc == 0, status.out[-3000:]
    assert "512m/1.5cpu" in status.out and "384m/1.5cpu" in status.out, status.out[-3000:]
