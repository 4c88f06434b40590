"""Unit tests of module_utils/_services.py: docker inspect's JSON as service_info returns it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._services import (
    default_route_source,
    describe_container,
    limits_of,
    parse_docker_time,
    parse_recreated,
    repo_digest,
    slot_of,
    slots_of,
    sort_key,
    tag_of,
)
from ansible_collections.dockyard.django.plugins.module_utils._web_slot import SlotState

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)


def inspect(**changes: object) -> dict:
    info = {
        "Id": "0123456789abcdef0123",
        "Name": "/demo-b-web-1",
        "Image": "sha256:feed",
        "RestartCount": 1,
        "Config": {"Image": "registry:5000/demo:r2", "Labels": {
            "dockyard.app": "demo", "dockyard.service": "web", "com.docker.compose.project": "demo-b",
            "com.docker.compose.config-hash": "abc"}},
        "State": {"Status": "running", "Running": True, "StartedAt": "2026-11-30T10:59:30.123456789Z",
                  "FinishedAt": "0001-01-01T00:00:00Z", "Health": {"Status": "healthy"}},
        "HostConfig": {"Memory": 536870912, "NanoCpus": 1500000000},
    }
    info.update(changes)
    return info


def test_a_running_web_slot() -> None:
    found = describe_container(inspect(), "demo", {"sha256:feed": ["registry:5000/demo@sha256:beef"]}, NOW)
    assert found == {
        "service": "web", "project": "demo-b", "slot": "b", "name": "demo-b-web-1", "id": "0123456789ab",
        "image": "registry:5000/demo:r2", "tag": "r2", "image_id": "sha256:feed", "digest": "sha256:beef",
        "state": "running", "running": True, "health": "healthy", "started_at": "2026-11-30T10:59:30Z",
        "finished_at": None, "uptime": 3630, "restarts": 1, "limits": {"memory": 536870912, "cpus": 1.5},
        "config_hash": "abc"}


def test_a_stopped_worker_without_limits_or_digest() -> None:
    info = inspect(State={"Status": "exited", "Running": False, "StartedAt": "2026-11-30T10:00:00Z",
                          "FinishedAt": "2026-11-30T11:00:00+00:00"}, HostConfig={})
    info["Config"]["Labels"].update({"dockyard.service": "worker", "com.docker.compose.project": "demo"})
    found = describe_container(info, "demo", {}, NOW)
    assert (found["service"], found["slot"], found["uptime"], found["health"]) == ("worker", None, None, None)
    assert found["finished_at"] == "2026-11-30T11:00:00Z" and found["digest"] is None
    assert found["limits"] == {"memory": None, "cpus": None}


def test_small_parsers() -> None:
    assert parse_docker_time("0001-01-01T00:00:00Z") is None and parse_docker_time("junk") is None
    assert parse_docker_time("2026-11-30T10:00:00.5+01:00") == datetime(2026, 11, 30, 9, tzinfo=timezone.utc)
    assert slot_of("demo-a", "demo") == "a" and slot_of("demo", "demo") is None and slot_of("demo-x", "demo") is None
    assert tag_of("registry:5000/demo:r1") == "r1" and tag_of("registry:5000/demo") is None
    assert repo_digest(["other/x@sha256:1", "registry:5000/demo@sha256:2"], "registry:5000/demo:r1") == "sha256:2"
    assert repo_digest(["other/x@sha256:1"], "registry:5000/demo:r1") == "sha256:1"
    assert limits_of({"CpuQuota": 50000, "CpuPeriod": 100000}) == {"memory": None, "cpus": 0.5}
    dry_run = (" DRY-RUN MODE -  Container shop-a-web-1  Recreate\n"
               " DRY-RUN MODE -  Container shop-a-web-1  Recreated\n"
               " DRY-RUN MODE -  Container shop-beat-1  Running\n")
    assert parse_recreated(dry_run) == {"shop-a-web-1"}
    assert parse_recreated("") == set()
    names = [{"service": "beat"}, {"service": "web", "slot": "b"}, {"service": "worker"}, {"service": "web", "slot": "a"}]
    assert [(c["service"], c.get("slot")) for c in sorted(names, key=sort_key)] == [
        ("web", "a"), ("web", "b"), ("worker", None), ("beat", None)]


def test_slots_of_prefers_a_running_container() -> None:
    containers = [
        {"service": "web", "slot": "a", "running": False, "health": None, "tag": "v1"},
        {"service": "web", "slot": "a", "running": True, "health": "starting", "tag": "v2"},
        {"service": "worker", "slot": None, "running": True, "health": None, "tag": "v2"},
    ]
    slots = slots_of(containers)
    assert slots["a"] == SlotState(exists=True, running=True, health="starting", tag="v2")
    assert slots["b"] == SlotState()


@pytest.mark.parametrize(("route", "address"), [
    ("8.8.8.8 via 172.29.47.1 dev eth0 src 172.29.47.21 uid 0 \n    cache \n", "172.29.47.21"),
    ("8.8.8.8 dev wg0 src 10.8.0.2 uid 0\n", "10.8.0.2"),
    ("", None),
    ("8.8.8.8 dev eth0 src", None),
])
def test_default_route_source(route: str, address: str | None) -> None:
    assert default_route_source(route) == address
