"""The Galaxy artifact: the collection and nothing else, installable, and usable from where it is installed.

It is built from the checkout, installed into an empty collections path, and run from there
with no ansible.cfg, so nothing of the checkout can stand in for what the tarball lacks.
"""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import lab_helpers

# What a user's controller needs, and all the artifact may hold at its top level.
ALLOWED = {
    "MANIFEST.json", "FILES.json",  # written by ansible-galaxy
    "README.md", "COPYING", "CHANGELOG.rst", "changelogs",
    "docs", "meta", "playbooks", "plugins", "roles",
}
# A production inventory's groups (README), one host each: enough for a syntax check.
INVENTORY = {"all": {"children": {
    "docker_hosts": {"hosts": {"web1": {}}},
    "postgres_servers": {"hosts": {"db1": {}}},
    "redis_servers": {"hosts": {"db1": {}}},
    "load_balancers": {"hosts": {"lb1": {}}},
    "shop": {"children": {"shop_web": {"hosts": {"web1": {}}}, "shop_worker": {"hosts": {"web1": {}}},
                          "shop_beat": {"hosts": {"web1": {}}}}},
}}}
NAMESPACE, NAME = "dockyard", "django"
# The groups the deploy's pre-flight builds at run time (add_host): a syntax check, which runs
# nothing, cannot match them. A real run prints no such warning (tests/e2e, tests/deploy).
RUN_TIME_GROUPS = re.compile(r"Could not match supplied host pattern, ignoring: __deploy_[a-z_]+$")


@dataclass
class Installed:
    tarball: Path
    version: str
    path: Path  # the collections path it was installed into
    env: dict[str, str]
    cwd: Path


def _run(binary: str, *argv: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(lab_helpers.VENV_BIN / binary), *argv], cwd=cwd, env=env, text=True,
                          capture_output=True, check=False, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("collection")
    home = tmp / "home"
    home.mkdir()
    (home / "ansible.cfg").write_text("[defaults]\n")
    # A private ANSIBLE_HOME and an empty ansible.cfg: only the tarball and the `ansible` package count.
    env = dict(os.environ, ANSIBLE_HOME=str(home), ANSIBLE_CONFIG=str(home / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    version = yaml.safe_load((lab_helpers.REPO / "galaxy.yml").read_text())["version"]

    built = _run("ansible-galaxy", "collection", "build", "--output-path", str(tmp), env=env, cwd=lab_helpers.REPO)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = tmp / f"{NAMESPACE}-{NAME}-{version}.tar.gz"

    # Galaxy cannot be reached: the dependencies come from the `ansible` package already installed.
    dest = tmp / "collections"
    done = _run("ansible-galaxy", "collection", "install", "--no-deps", "-p", str(dest), str(tarball), env=env, cwd=tmp)
    assert done.returncode == 0, done.stdout + done.stderr
    yield Installed(tarball=tarball, version=version, path=dest,
                    env=dict(env, ANSIBLE_COLLECTIONS_PATH=str(dest)), cwd=tmp)


def test_the_artifact_holds_the_collection_and_nothing_else(installed: Installed) -> None:
    with tarfile.open(installed.tarball) as tar:
        names = tar.getnames()
    assert {name.split("/")[0] for name in names} == ALLOWED
    leaked = [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert not leaked, leaked[:10]
    assert "changelogs/fragments" not in names and "meta/execution-environment.yml" in names


def test_it_installs_with_its_version(installed: Installed) -> None:
    root = installed.path / "ansible_collections" / NAMESPACE / NAME
    assert (root / "MANIFEST.json").is_file() and (root / "COPYING").is_file()
    listed = _run("ansible-galaxy", "collection", "list", f"{NAMESPACE}.{NAME}", "-p", str(installed.path),
                  env=installed.env, cwd=installed.cwd)
    assert re.search(rf"{NAMESPACE}\.{NAME}\s+{re.escape(installed.version)}", listed.stdout), listed.stdout


@pytest.mark.parametrize("playbook", sorted(p.stem for p in (lab_helpers.REPO / "playbooks").glob("*.yml")))
def test_its_playbooks_run_from_the_installed_copy(installed: Installed, playbook: str) -> None:
    inventory = installed.cwd / "inventory.yml"
    inventory.write_text(yaml.safe_dump(INVENTORY))
    proc = _run("ansible-playbook", f"{NAMESPACE}.{NAME}.{playbook}", "-i", str(inventory), "--syntax-check",
                "-e", "app=shop", "-e", "tag=build-1", env=installed.env, cwd=installed.cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "[WARNING]" in line and not RUN_TIME_GROUPS.search(line)]
    assert not warnings, proc.stderr


def test_its_modules_document_themselves_from_the_installed_copy(installed: Installed) -> None:
    modules = sorted(p.stem for p in (lab_helpers.REPO / "plugins" / "modules").glob("*.py"))
    proc = _run("ansible-doc", "-t", "module", *[f"{NAMESPACE}.{NAME}.{m}" for m in modules],
                env=installed.env, cwd=installed.cwd)
    assert proc.returncode == 0 and "ERROR" not in proc.stderr, proc.stdout + proc.stderr
    shown = re.findall(r"^> MODULE \S+ \((\S+)\)", proc.stdout, re.M)
    assert len(shown) == len(modules)
    assert all(path.startswith(str(installed.path)) for path in shown), shown
