"""One end-to-end deploy from the toolchain running pytest: site.yml, then deploy.yml of the demo app.

`make test-core221` runs it with the newest ansible-core (.venv-core221); the oldest one
deploys in tests/deploy, so the main test run leaves this directory out (the Makefile).
The lab must be up (`make lab`).
"""

from __future__ import annotations

import re
import subprocess
import uuid
import warnings

import pytest
import urllib3

import lab_helpers
from loadgen import front_address, named_session

pytestmark = pytest.mark.lab

warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)

# What a run of either playbook must never print on a supported ansible-core.
NOISE = re.compile(r"^\[(?:DEPRECATION )?WARNING\]|^\[ERROR\]", re.M)


def ansible_core() -> str:
    proc = lab_helpers.run_playbook("--version")
    return proc.stdout.splitlines()[0]


@pytest.fixture(scope="module")
def demo_tag(lab: None) -> str:
    """A demo image under a tag no other test deploys (built from cache, pushed to the lab registry)."""
    tag = f"e2e-{uuid.uuid4().hex[:10]}"
    proc = subprocess.run(["bash", str(lab_helpers.REPO / "examples/demo/bin/build-image.sh"), tag],
                          text=True, capture_output=True, timeout=1800, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return tag


def version_through_the_front() -> str:
    """/version as demo's clients ask for it: HTTPS under the name demo.lab (SNI and Host; the
    lab serves demo with an ACME certificate and redirects HTTP). The certificate is tests/tls's
    concern."""
    with named_session("demo.lab", verify=False) as session:
        response = session.get(f"https://{front_address(lab_helpers.container('lb1'))}/version", timeout=10,
                               allow_redirects=False)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return response.text


def test_site_then_deploy(demo_tag: str) -> None:
    core = ansible_core()
    site = lab_helpers.run_playbook("playbooks/site.yml")
    assert site.returncode == 0, f"{core}: site.yml failed\n{(site.stdout + site.stderr)[-6000:]}"
    assert not NOISE.findall(site.stdout + site.stderr), f"{core}: site.yml warned\n{site.stdout + site.stderr}"

    deploy = lab_helpers.run_playbook("playbooks/deploy.yml", "-e", "app=demo", "-e", f"tag={demo_tag}")
    output = deploy.stdout + deploy.stderr
    assert deploy.returncode == 0, f"{core}: deploy.yml failed\n{output[-6000:]}"
    assert not NOISE.findall(output), f"{core}: deploy.yml warned\n{output}"

    for host in ("web1", "web2"):
        release = lab_helpers.run_module(host, "dockyard.django.release_info", {"app": "demo"})
        assert release["current"] == demo_tag, (host, release)
    assert demo_tag in version_through_the_front()
