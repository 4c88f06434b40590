"""`ansible-galaxy collection build` makes a tarball that installs and resolves."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import lab_helpers


def _galaxy(*argv: str, cwd: Path, home: Path) -> str:
    # A private ANSIBLE_HOME and no ansible.cfg: only the tarball and the `ansible` package count.
    env = dict(os.environ, ANSIBLE_HOME=str(home), ANSIBLE_CONFIG=str(home / "ansible.cfg"))
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    proc = subprocess.run([str(lab_helpers.VENV_BIN / "ansible-galaxy"), "collection", *argv],
                          cwd=cwd, env=env, text=True, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_build_and_install(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "ansible.cfg").write_text("[defaults]\n")
    _galaxy("build", "--output-path", str(tmp_path), cwd=lab_helpers.REPO, home=home)
    tarball = tmp_path / "dockyard-django-0.1.0.tar.gz"
    names = tarfile.open(tarball).getnames()
    assert "MANIFEST.json" in names and "meta/runtime.yml" in names
    # Nothing of this machine's: no venv, no link, no lab state, no caches.
    leaked = [n for n in names if n.split("/")[0] in {".venv", ".collections", ".ansible", ".cache", ".git"}
              or n.startswith("lab/.state") or "__pycache__" in n]
    assert not leaked, leaked[:10]

    # Galaxy cannot be reached: dependencies come from the `ansible` package already installed.
    dest = tmp_path / "installed"
    _galaxy("install", "--no-deps", "-p", str(dest), str(tarball), cwd=tmp_path, home=home)
    assert (dest / "ansible_collections" / "dockyard" / "django" / "MANIFEST.json").is_file()
    listed = _galaxy("list", "dockyard.django", "-p", str(dest), cwd=tmp_path, home=home)
    assert "0.1.0" in listed
