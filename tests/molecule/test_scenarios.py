"""Run every Molecule scenario (extensions/molecule/*/molecule.yml) against lab hosts:
create, converge, idempotence (zero changed), verify, destroy."""

from __future__ import annotations

import os
import subprocess

import pytest

import lab_helpers

SCENARIOS = sorted(p.parent.name for p in (lab_helpers.REPO / "extensions" / "molecule").glob("*/molecule.yml"))


@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(lab: None, scenario: str) -> None:
    env = dict(os.environ)
    # Molecule calls ansible-config and friends by name.
    env["PATH"] = f"{lab_helpers.VENV_BIN}:{env.get('PATH', '')}"
    env["ANSIBLE_NOCOLOR"] = "1"
    env["NO_COLOR"] = "1"
    proc = subprocess.run([str(lab_helpers.VENV_BIN / "molecule"), "test", "-s", scenario],
                          cwd=lab_helpers.REPO, env=env, text=True, capture_output=True, timeout=1800,
                          check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
