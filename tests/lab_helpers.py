"""Helpers for tests that run against the lab (`make lab`): real hosts, real Docker.

Everything here talks to the lab's own containers only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
LAB = REPO / "lab"
STATE = LAB / ".state"
INVENTORY = LAB / "inventory.yml"
# The toolchain running the tests (.venv, or .venv-core221 for the newest ansible-core): its
# ansible, ansible-playbook and ansible-galaxy are the ones under test.
VENV_BIN = Path(sys.executable).parent

# As lab/vars/lab.yml names them.
PREFIX = os.environ.get("LAB_PREFIX", "dockyard-lab")
REGISTRY = "registry:5000"  # as the lab hosts reach it
REGISTRY_USER = "dockyard"


@contextlib.contextmanager
def exclusive(name: str, timeout: float = 3600) -> Iterator[None]:
    """Hold the lab-wide lock `name` (a file lock in the lab's state): pytest-xdist runs test
    files side by side, and files that provision and deploy on the lab must take turns."""
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / f"{name}.lock", "w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the lab lock {name} was held for more than {timeout:.0f} s") from None
                time.sleep(2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def registry_password() -> str:
    return (STATE / "registry-password").read_text().strip()


def registry_on_machine() -> str:
    """The registry as the machine reaches it (published on loopback)."""
    return f"127.0.0.1:{os.environ.get('LAB_REGISTRY_PORT', '5000')}"


# The TLS private keys the roles make on the lab hosts: the front's ACME account key and every
# site's key (roles/proxy), the database server's key (roles/postgres).
_HOST_KEYS = {
    "lb1": "/etc/nginx/dockyard/acme/account.key /etc/nginx/dockyard/*/tls/privkey.pem",
    "db1": "/etc/postgresql/*/main/dockyard-tls/server.key",
}


def pem_key_lines(text: str) -> list[str]:
    """The full (64-character) base64 lines of every private key in a PEM text: what a printed
    key shows however its output quotes it (JSON writes its line breaks as \\n). Not the last,
    shorter line: in an EC key it is the tail of the public key, which a certificate's public
    key (x509_certificate_info's output) shows with the same base64 alignment."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("-----BEGIN") and "PRIVATE KEY" in line:
            inside = True
        elif line.startswith("-----END"):
            inside = False
        elif inside and len(line) == 64:
            lines.append(line)
    return lines


def lab_tls_keys() -> list[str]:
    """The base64 lines of every TLS private key of the lab: the lab CA's and those of the
    certificates it signs (lab/.state, the Wagtail test's among them), and the keys the roles
    made on the front and the database server (read there now: a renewal may have replaced
    one)."""
    texts = [path.read_text() for path in sorted(STATE.rglob("*.key"))]
    for host, paths in _HOST_KEYS.items():
        found = subprocess.run(["docker", "exec", container(host), "sh", "-c", f"cat {paths} 2>/dev/null; true"],
                               text=True, capture_output=True, check=False, timeout=60)
        texts.append(found.stdout)
    return [line for text in texts for line in pem_key_lines(text)]


def lab_secrets() -> list[str]:
    """Every secret value of the lab: the generated passwords and keys (lab/.state), each
    env value of the lab's apps (an app's env is secret as a whole), and every TLS private key
    (lab_tls_keys), shortest ones left out (a value of a few characters, such as "5", is found
    in any text)."""
    values = [path.read_text().strip() for path in sorted((STATE / "secrets").glob("*"))]
    values.append(registry_password())
    apps = yaml.safe_load((LAB / "group_vars" / "all" / "dockyard.yml").read_text())["dockyard_lab_apps"]
    for app in apps:
        values += [str(value) for value in (app.get("env") or {}).values() if "{{" not in str(value)]
    values += lab_tls_keys()
    return sorted({value for value in values if len(value) >= 8})


def secrets_in(text: str) -> list[str]:
    """The lab secrets found in text, each shown by its first characters only."""
    return [f"{secret[:3]}... ({len(secret)} characters)" for secret in lab_secrets() if secret in text]


def container(host: str) -> str:
    return f"{PREFIX}-{host}"


def inventory() -> dict[str, Any]:
    return yaml.safe_load(INVENTORY.read_text())


def host_run(host: str, *argv: str, input: str | None = None, check: bool = True,
             env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run argv on a lab host (docker exec), as root."""
    env_args: list[str] = []
    for key, value in (env or {}).items():
        env_args += ["-e", f"{key}={value}"]
    cmd = ["docker", "exec", "-i" if input is not None else "-t=false", *env_args, container(host), *argv]
    return subprocess.run(cmd, input=input, text=True, capture_output=True, check=check, timeout=timeout)


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    env["ANSIBLE_LOAD_CALLBACK_PLUGINS"] = "1"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def run_module(host: str, module: str, args: dict[str, Any] | None = None, *, check: bool = False,
               diff: bool = False, timeout: float = 600, become_user: str | None = None) -> dict[str, Any]:
    """Run one Ansible module on one lab host (as root, or as become_user) and return its result dict.

    The result has the module's return values plus 'failed' / 'changed' / 'msg'.
    """
    cmd = [str(VENV_BIN / "ansible"), host, "-m", module]
    if args:
        cmd += ["-a", json.dumps(args)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if become_user:
        cmd += ["--become", "--become-user", become_user]
    proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(), text=True, capture_output=True, timeout=timeout,
                          check=False)
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:  # pragma: no cover - shown when ansible itself broke
        raise AssertionError(f"ansible printed no JSON (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}") from exc
    result = out["plays"][0]["tasks"][0]["hosts"][host]
    result.setdefault("changed", False)
    result.setdefault("failed", False)
    return result


def run_playbook(playbook: str | Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """Run ansible-playbook from the checkout with the default (human) output."""
    env = ansible_env()
    env.pop("ANSIBLE_STDOUT_CALLBACK")
    cmd = [str(VENV_BIN / "ansible-playbook"), str(playbook), *args]
    return subprocess.run(cmd, cwd=REPO, env=env, text=True, capture_output=True, timeout=timeout, check=False)


def ensure_docker_engine(host: str) -> str:
    """Install and start a Docker engine (plus Compose v2 and the Python SDK) on a lab host,
    and log root into the lab registry: what docker_host gives a real server."""
    result = run_module(host, "ansible.builtin.apt", {
        "name": ["docker.io", "docker-compose", "python3-docker"],
        "state": "present", "update_cache": True, "cache_valid_time": 3600,
        # The deploy tests' site.yml may hold the host's dpkg lock for minutes on a busy
        # machine (docker_host installs the same packages): wait for it, not 60 s.
        "lock_timeout": 900,
    })
    assert not result["failed"], result.get("msg")
    result = run_module(host, "ansible.builtin.systemd_service", {"name": "docker", "state": "started", "enabled": True})
    assert not result["failed"], result.get("msg")
    host_run(host, "docker", "login", "-u", REGISTRY_USER, "--password-stdin", REGISTRY, input=registry_password())
    return host


def host_image() -> str:
    """The lab's host image reference (what the lab containers run)."""
    out = subprocess.run(["docker", "inspect", "--format", "{{.Config.Image}}", container("web1")],
                         text=True, capture_output=True, check=True)
    return out.stdout.strip()


class MachineDocker:
    """The machine's Docker client with a private config dir, logged into the lab registry.

    A private DOCKER_CONFIG keeps the machine's own ~/.docker untouched.
    """

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="dockyard-docker-config-")
        self.env = dict(os.environ, DOCKER_CONFIG=self._dir.name)
        self.login()

    def login(self) -> None:
        subprocess.run(["docker", "login", "-u", REGISTRY_USER, "--password-stdin", registry_on_machine()],
                       input=registry_password(), text=True, capture_output=True, check=True, env=self.env)

    def run(self, *argv: str, check: bool = True, input: str | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", *argv], text=True, capture_output=True, check=check,
                              env=self.env, input=input, timeout=timeout)

    def build_and_push(self, dockerfile: str, repository: str, tag: str | None = None,
                       context: Path | None = None, build_args: dict[str, str] | None = None) -> str:
        """Build an image from a Dockerfile text, push it, and return its name as lab hosts see it."""
        tag = tag or f"t-{uuid.uuid4().hex[:10]}"
        local = f"{registry_on_machine()}/{repository}:{tag}"
        with tempfile.TemporaryDirectory(prefix="dockyard-build-") as tmp:
            ctx = context or Path(tmp)
            dockerfile_path = Path(tmp) / "Dockerfile"
            dockerfile_path.write_text(dockerfile)
            argv = ["build", "-q", "-f", str(dockerfile_path), "-t", local]
            for key, value in (build_args or {}).items():
                argv += ["--build-arg", f"{key}={value}"]
            self.run(*argv, str(ctx))
        self.run("push", local)
        return f"{REGISTRY}/{repository}:{tag}"

    def close(self) -> None:
        self._dir.cleanup()
