"""The newest supported ansible-core (2.21, on Python 3.13) checked inside `make test`: its unit
tests, ansible-test sanity, and one end-to-end deploy on the lab (tests/e2e), each run with the
second toolchain the Makefile installs into .venv-core221 (`make venv-core221`).

The toolchain and its unit and sanity runs take the worker that does not deploy; the deploy
joins the deploy group (tests/conftest.py), after the deploy and TLS tests, so that it never
provisions or deploys while they measure the lab.
"""

from __future__ import annotations

import os
import subprocess

import pytest

import lab_helpers

pytestmark = pytest.mark.lab

VENV = lab_helpers.REPO / ".venv-core221"


def run(*argv: str, timeout: float = 2400) -> subprocess.CompletedProcess[str]:
    """A command from the checkout, without this pytest-xdist worker's PYTEST_* variables (a
    nested pytest would take them for its own)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    return subprocess.run(list(argv), cwd=lab_helpers.REPO, env=env, text=True, capture_output=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="session")
def core221() -> str:
    """The second toolchain's bin directory, installed once (both workers may ask for it)."""
    with lab_helpers.exclusive("venv-core221"):
        proc = run("make", "--no-print-directory", "venv-core221")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    version = run(str(VENV / "bin" / "ansible"), "--version").stdout.splitlines()[0]
    assert "core 2.21." in version, version
    return str(VENV / "bin")


def test_unit_tests_pass_on_the_newest_ansible_core(core221: str) -> None:
    proc = run(f"{core221}/pytest", "tests/unit/plugins", "-q", "-p", "no:cacheprovider")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]


def test_sanity_passes_on_the_newest_ansible_core(core221: str) -> None:
    proc = run("make", "--no-print-directory", "sanity", f"SANITY_VENV={VENV}", "SANITY_PYTHON=3.13")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]


@pytest.mark.deploys
def test_site_and_a_deploy_pass_on_the_newest_ansible_core(core221: str) -> None:
    proc = run(f"{core221}/pytest", "tests/e2e", "-q", "-p", "no:cacheprovider")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-8000:]
