# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The containers of an app's services on one host, as ``docker inspect`` describes them:
pure functions that turn the engine's JSON into what service_info returns.

Every container of an app's compose file carries the labels ``dockyard.app`` and
``dockyard.service`` (the django_app role's template); Compose adds its project, service and
the hash of the service's configuration (``com.docker.compose.config-hash``), which
``docker compose config --hash`` computes for the files as they are now: a container whose
label differs runs an older configuration (its env file or its compose service changed).

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

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
