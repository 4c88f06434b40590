"""Every module's DOCUMENTATION, EXAMPLES and RETURN render with ansible-doc."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module: str) -> None:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-doc"), "--json", f"dockyard.django.{module}"],
                          cwd=REPO, env=env, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)[f"dockyard.django.{module}"]
    assert doc["doc"]["attributes"]["check_mode"]["support"] in {"full", "partial"}
    assert "diff_mode" in doc["doc"]["attributes"]
    assert doc["examples"].strip() and doc["return"]
