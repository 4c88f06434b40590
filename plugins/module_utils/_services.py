# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The containers of an app's services on one host, as ``docker inspect`` describes them:
pure functions that turn the engine's JSON into what service_info returns, and the reader that
asks the docker CLI (service_info and app_state_info).

Every container of an app's compose file carries the labels ``dockyard.app`` and
``dockyard.service`` (the django_app role's template); Compose adds its project, service and
the hash of the service's configuration (``com.docker.compose.config-hash``), which
``docker compose config --hash`` computes for the files as they are now: a container whose
label differs runs an older configuration (its env file or its compose service changed).

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from typing import Any

from ansible_collections.dockyard.django.plugins.module_utils._web_slot import SLOTS, SLOTS_DIR, SlotState

APP_LABEL = "dockyard.app"
SERVICE_LABEL = "dockyard.service"
PROJECT_LABEL = "com.docker.compose.project"
HASH_LABEL = "com.docker.compose.config-hash"
# The order services are listed in.
SERVICE_ORDER = ("web", "worker", "beat")
# Docker writes times with nanoseconds: 2026-11-30T10:15:00.123456789Z.
_DOCKER_TIME_RE = re.compile(r"^(?P<base>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(?P<zone>Z|[+-]\d\d:\d\d)$")
_NEVER = "0001-01-01T00:00:00Z"


def parse_docker_time(text: str | None) -> datetime | None:
    """A time of ``docker inspect`` (RFC 3339 with nanoseconds), to the second; None for Docker's
    zero time (a container never started or never stopped) or anything unreadable."""
    if not text or text.startswith("0001-01-01"):
        return None
    match = _DOCKER_TIME_RE.match(text)
    if match is None:
        return None
    zone = "+00:00" if match.group("zone") == "Z" else match.group("zone")
    return datetime.fromisoformat(match.group("base") + zone).astimezone(timezone.utc)


def slot_of(project: str | None, app: str) -> str | None:
    """The web slot a Compose project stands for (``<app>-a`` is slot a), else None."""
    if project and project.startswith(f"{app}-") and project[len(app) + 1:] in ("a", "b"):
        return project[len(app) + 1:]
    return None


def tag_of(image: str) -> str | None:
    """The tag of an image reference such as registry:5000/demo:build-2 (None without one)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def repository_of(image: str) -> str:
    """The repository of an image reference, without tag or digest."""
    name = image.split("@", 1)[0]
    head, _slash, last = name.rpartition("/")
    last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


def repo_digest(repo_digests: list[str] | None, image: str) -> str | None:
    """The registry digest (sha256:...) of an image for the repository it was pulled from, else
    the first one the engine knows; None for an image that never came from a registry."""
    digests = [str(item) for item in repo_digests or [] if "@" in str(item)]
    repository = repository_of(image)
    for item in digests:
        if item.split("@", 1)[0] == repository:
            return item.split("@", 1)[1]
    return digests[0].split("@", 1)[1] if digests else None


def limits_of(host_config: dict[str, Any] | None) -> dict[str, Any]:
    """The memory (bytes) and CPU limits (cores) of a container; None where there is none."""
    config = host_config or {}
    memory = int(config.get("Memory") or 0)
    nano = int(config.get("NanoCpus") or 0)
    quota, period = int(config.get("CpuQuota") or 0), int(config.get("CpuPeriod") or 0)
    cpus = nano / 1e9 if nano else (quota / period if quota > 0 and period > 0 else 0)
    return {"memory": memory or None, "cpus": round(cpus, 3) if cpus else None}


_RECREATE_RE = re.compile(r"\bContainer\s+(\S+)\s+Recreate\b")


def parse_recreated(text: str) -> set[str]:
    """The container names ``docker compose --dry-run up`` says it would recreate (``Container
    <name>  Recreate`` lines; the ``Recreated`` lines that follow name the same ones)."""
    return set(_RECREATE_RE.findall(text))


def describe_container(info: dict[str, Any], app: str, digests: dict[str, list[str]], now: datetime) -> dict[str, Any]:
    """One container of ``docker inspect`` as service_info returns it.

    ``digests`` maps image ids to their RepoDigests (``docker image inspect``).
    """
    config = info.get("Config") or {}
    labels = config.get("Labels") or {}
    state = info.get("State") or {}
    image = str(config.get("Image") or "")
    project = labels.get(PROJECT_LABEL)
    started = parse_docker_time(state.get("StartedAt"))
    running = bool(state.get("Running"))
    return {
        "service": labels.get(SERVICE_LABEL),
        "project": project,
        "slot": slot_of(project, app),
        "name": str(info.get("Name") or "").lstrip("/"),
        "id": str(info.get("Id") or "")[:12],
        "image": image,
        "tag": tag_of(image),
        "image_id": info.get("Image"),
        "digest": repo_digest(digests.get(str(info.get("Image"))), image),
        "state": state.get("Status"),
        "running": running,
        "health": (state.get("Health") or {}).get("Status"),
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ") if started else None,
        "finished_at": _format(parse_docker_time(state.get("FinishedAt"))),
        "uptime": int((now - started).total_seconds()) if running and started else None,
        "restarts": int(info.get("RestartCount") or 0),
        "limits": limits_of(info.get("HostConfig")),
        "config_hash": labels.get(HASH_LABEL),
    }


def _format(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def sort_key(container: dict[str, Any]) -> tuple[int, str, str]:
    """web, worker, beat, then anything else; slots in order; by name."""
    service = container.get("service") or ""
    rank = SERVICE_ORDER.index(service) if service in SERVICE_ORDER else len(SERVICE_ORDER)
    return rank, container.get("slot") or "", container.get("name") or ""


def slots_of(containers: list[dict[str, Any]]) -> dict[str, SlotState]:
    """What runs in each web slot, from the containers as ``describe_container`` gives them
    (what web_slot_info reads from the engine): a running container wins over a stopped one."""
    found: dict[str, SlotState] = {}
    for slot in SLOTS:
        webs = [c for c in containers if c.get("service") == "web" and c.get("slot") == slot]
        webs.sort(key=lambda c: not c.get("running"))
        found[slot] = SlotState(exists=True, running=bool(webs[0]["running"]), health=webs[0].get("health"),
                                tag=webs[0].get("tag")) if webs else SlotState()
    return found


def default_route_source(route: str) -> str | None:
    """The source address of ``ip -4 route get <address>``'s answer (``... src 10.0.0.21 ...``),
    which Ansible's facts report as ``default_ipv4.address``; None without a route."""
    words = route.split()
    for index, word in enumerate(words[:-1]):
        if word == "src":
            return words[index + 1]
    return None


class ServiceError(Exception):
    """A docker command failed; the message says which and why."""


class Services:
    """Reads the app's containers on this host, and which of them Compose would recreate."""

    def __init__(self, module: Any, app: str, root: str) -> None:
        self.module = module
        self.app = app
        self.directory = os.path.join(root, app)
        self.docker_bin = module.get_bin_path("docker", required=True)

    def docker(self, *argv: str) -> str:
        rc, out, err = self.module.run_command([self.docker_bin, *argv])
        if rc != 0:
            raise ServiceError(f"docker {argv[0]} failed (rc={rc}): {err.strip()[-500:]}")
        return out

    def read(self, now: datetime) -> list[dict[str, Any]]:
        ids = self.docker("ps", "--all", "--quiet", "--no-trunc", "--filter", f"label={APP_LABEL}={self.app}").split()
        if not ids:
            return []
        infos = json.loads(self.docker("container", "inspect", *ids))
        images = sorted({str(info.get("Image")) for info in infos if info.get("Image")})
        digests = {str(image["Id"]): image.get("RepoDigests") or []
                   for image in json.loads(self.docker("image", "inspect", *images))} if images else {}
        return sorted((describe_container(info, self.app, digests, now) for info in infos), key=sort_key)

    def image_exists(self, reference: str) -> bool:
        """Whether the engine has the image ``reference`` (repository:tag)."""
        rc, _out, err = self.module.run_command([self.docker_bin, "image", "inspect", "--format", "{{.Id}}", reference])
        if rc == 0:
            return True
        if "no such image" in err.lower():
            return False
        raise ServiceError(f"docker image inspect failed (rc={rc}): {err.strip()[-500:]}")

    def env_file_of(self, project: str) -> str:
        """The env file a project's compose runs interpolate with: a slot's, or TAG."""
        if project == self.app:
            return os.path.join(self.directory, "TAG")
        return os.path.join(self.directory, SLOTS_DIR, f"{project[len(self.app) + 1:]}.env")

    def recreated(self, project: str, services: list[str]) -> set[str] | None:
        """Names of the project's containers of ``services`` that ``docker compose up`` would
        recreate for the files as they are now (None when their files are missing or Compose
        cannot tell: a service gone from the compose file, an image gone from the host)."""
        compose_file = os.path.join(self.directory, "compose.yml")
        env_file = self.env_file_of(project)
        if not (os.path.isfile(compose_file) and os.path.isfile(env_file)):
            return None
        rc, out, err = self.module.run_command([
            self.docker_bin, "compose", "--dry-run", "--project-name", project, "--project-directory", self.directory,
            "--file", compose_file, "--env-file", env_file, "up", "--no-start", "--no-deps", "--pull", "never",
            *services])
        return parse_recreated(out + err) if rc == 0 else None

    def compare(self, containers: list[dict[str, Any]]) -> None:
        projects: dict[str, list[str]] = {}
        for container in containers:
            if container["project"] is not None and container["service"]:
                services = projects.setdefault(container["project"], [])
                if container["service"] not in services:
                    services.append(container["service"])
        recreated = {project: self.recreated(project, services) for project, services in projects.items()}
        for container in containers:
            stale = recreated.get(container["project"]) if container["project"] is not None else None
            container["config_current"] = None if stale is None else container["name"] not in stale
