"""The lab is real: systemd hosts, a registry that demands credentials, nested engines."""

from __future__ import annotations

import re
import subprocess
import uuid

import pytest
import requests

import lab_helpers

pytestmark = pytest.mark.lab

HOSTS = ["lb1", "db1", "web1", "web2", "worker1", "registry"]


@pytest.mark.parametrize("host", HOSTS)
def test_host_runs_systemd(lab: None, host: str) -> None:
    pid1 = lab_helpers.host_run(host, "cat", "/proc/1/comm").stdout.strip()
    assert pid1 == "systemd"
    state = lab_helpers.host_run(host, "systemctl", "is-system-running", check=False).stdout.strip()
    assert state in {"running", "degraded"}


@pytest.mark.parametrize("host", HOSTS)
def test_inventory_reaches_host(lab: None, host: str) -> None:
    result = lab_helpers.run_module(host, "ansible.builtin.ping")
    assert result["ping"] == "pong"


def test_inventory_groups_mirror_production(lab: None) -> None:
    children = lab_helpers.inventory()["all"]["children"]
    for group in ("docker_hosts", "postgres_servers", "redis_servers", "load_balancers"):
        assert children[group]["hosts"], group
    demo = children["demo"]["children"]
    assert set(demo["demo_web"]["hosts"]) == {"web1", "web2"}
    assert set(demo["demo_worker"]["hosts"]) == {"worker1"}
    assert set(demo["demo_beat"]["hosts"]) == {"worker1"}


def test_lab_hosts_resolve_each_other(lab: None) -> None:
    out = lab_helpers.host_run("lb1", "getent", "hosts", "web1", "web2", "db1", "registry").stdout
    assert len(out.splitlines()) == 4


def test_lab_hosts_have_fixed_addresses_outside_the_dynamic_range(lab: None) -> None:
    """pg_hba and the Redis firewall allow app hosts by address: a lab host that restarts must
    come back with its own, never one Docker handed to a Molecule host meanwhile."""
    addresses = {}
    for host in HOSTS:
        out = subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                              lab_helpers.container(host)], check=True, capture_output=True, text=True)
        addresses[host] = out.stdout.strip()
    assert len(set(addresses.values())) == len(HOSTS), addresses
    # Docker allocates only from the upper half of the /24 (lab/vars/lab.yml).
    assert all(int(a.rsplit(".", 1)[1]) < 128 for a in addresses.values()), addresses


def test_registry_refuses_anonymous_and_wrong_credentials(lab: None) -> None:
    ca = str(lab_helpers.STATE / "pki" / "ca.crt")
    base = f"https://{lab_helpers.registry_on_machine()}/v2/"
    assert requests.get(base, verify=ca, timeout=10).status_code == 401
    assert requests.get(base, verify=ca, timeout=10, auth=(lab_helpers.REGISTRY_USER, "wrong")).status_code == 401
    ok = requests.get(base, verify=ca, timeout=10, auth=(lab_helpers.REGISTRY_USER, lab_helpers.registry_password()))
    assert ok.status_code == 200


def test_registry_serves_a_certificate_from_the_lab_ca(lab: None) -> None:
    # verify= the lab CA: a certificate from anyone else would fail the handshake.
    requests.get(f"https://{lab_helpers.registry_on_machine()}/v2/",
                 verify=str(lab_helpers.STATE / "pki" / "ca.crt"), timeout=10)


@pytest.fixture(scope="module")
def probe_image(machine_docker: lab_helpers.MachineDocker, base_image: str) -> tuple[str, str]:
    """A small image pushed to the lab registry with credentials; returns (image, marker)."""
    marker = uuid.uuid4().hex
    image = machine_docker.build_and_push(
        f"FROM {base_image}\nRUN echo {marker} > /probe\nCMD [\"cat\", \"/probe\"]\n",
        "dockyard-lab/probe",
    )
    return image, marker


def test_nested_engine_runs_image_pulled_with_credentials(docker_engine_host: str, probe_image: tuple[str, str]) -> None:
    image, marker = probe_image
    out = lab_helpers.host_run(docker_engine_host, "docker", "run", "--rm", "--pull", "always", image)
    assert out.stdout.strip() == marker


def test_nested_engine_pull_without_credentials_is_refused(docker_engine_host: str, probe_image: tuple[str, str]) -> None:
    image = probe_image[0]
    # An empty Docker config: no credentials for the registry.
    tmp = lab_helpers.host_run(docker_engine_host, "mktemp", "-d").stdout.strip()
    try:
        denied = lab_helpers.host_run(docker_engine_host, "docker", "--config", tmp, "pull", image, check=False)
    finally:
        lab_helpers.host_run(docker_engine_host, "rm", "-rf", tmp)
    assert denied.returncode != 0
    assert re.search(r"no basic auth credentials|unauthorized|authentication required", denied.stderr), denied.stderr


def test_nested_engine_has_compose_v2(docker_engine_host: str) -> None:
    out = lab_helpers.host_run(docker_engine_host, "docker", "compose", "version", "--short").stdout.strip()
    assert out.startswith("2."), out


def test_make_lab_is_idempotent(lab: None) -> None:
    """A second `make lab` (lab/up.yml) reports zero changed tasks on every host."""
    proc = lab_helpers.run_playbook("lab/up.yml", "-i", "lab/controller.yml")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    recap = proc.stdout[proc.stdout.rindex("PLAY RECAP"):]
    changed = re.findall(r"changed=(\d+)", recap)
    assert changed and all(n == "0" for n in changed), recap
