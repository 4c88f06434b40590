"""Memory and CPU limits per app and per service (the app key `limits`), as Docker holds the
containers to them: the services' in `docker inspect` on every host after site.yml and a
deploy, a manage command's from inside its own one-shot container."""

from __future__ import annotations

import json

import pytest

import lab_helpers
from conftest import APPS, Images, deploy, playbook, serving, with_group_vars

pytestmark = pytest.mark.lab

MIB = 1024 ** 2
LIMITS = {"memory": "384m", "cpus": 0.75, "worker": {"memory": "256m"}, "manage": {"memory": "200m", "cpus": 0.5}}
# What Docker holds each kind of demo's containers to: (bytes of memory, NanoCpus).
EXPECTED = {"web": (384 * MIB, 750_000_000), "worker": (256 * MIB, 750_000_000), "beat": (384 * MIB, 750_000_000)}

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


def test_limits_hold_every_container_of_the_app(deployed: str, images: Images, tmp_path) -> None:
    apps = "{{ [dockyard_lab_apps[0] | combine({'limits': " + json.dumps(LIMITS) + "})] + dockyard_lab_apps[1:] }}"
    overlay = with_group_vars(tmp_path, {"dockyard_apps": apps})
    new = images.tag("r2")
    try:
        site = playbook("site.yml", *overlay)
        assert site.rc == 0, site.out[-4000:]
        run = deploy("demo", new, *overlay)
        assert run.rc == 0, run.out[-4000:]
        assert serving("demo") == {new}
        for host in APPS["demo"]["web"]:
            assert host_configs(host, "demo")["web"] == [EXPECTED["web"]], host
        on_worker = host_configs("worker1", "demo")
        assert on_worker["worker"] == [EXPECTED["worker"]] and on_worker["beat"] == [EXPECTED["beat"]], on_worker
        # solo has no limits.
        assert set(host_configs("web2", "solo")["web"]) == {(0, 0)}
        # A manage command's one-shot container: its own cgroup says 200m.
        shown = playbook("manage.yml", *overlay, "-e", "app=demo",
                         "-e", json.dumps({"cmd": ["shell", "-c", CGROUP_MEMORY]}))
        assert shown.rc == 0, shown.out[-3000:]
        assert f"cgroup-memory {200 * MIB}" in shown.out, shown.out[-3000:]
        # status.yml reports them.
        status = playbook("status.yml", *overlay, "-e", "app=demo")
        assert status.rc == 0, status.out[-3000:]
        assert "384m/0.75cpu" in status.out and "256m/0.75cpu" in status.out, status.out[-3000:]
    finally:
        # The lab as the other tests know it: no limits in the compose files, r1 everywhere.
        assert playbook("site.yml").rc == 0
        assert deploy("demo", deployed).rc == 0
