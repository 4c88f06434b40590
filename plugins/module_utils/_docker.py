# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the collection's modules reach Docker: one way per kind of operation.

- Engine operations (images, containers, registry checks through the daemon) go through the
  Engine API with the Docker SDK's low-level client, ``docker.APIClient``, made here by
  :func:`connect`. Low-level because its calls map one to one onto the Engine API reference,
  return the plain dicts a module returns anyway, and take their own timeouts; the SDK's
  high-level client only wraps the same calls in objects.
- Compose (web_slot starting a slot with ``docker compose up --wait``) goes through the docker
  CLI's Compose plugin, because Compose has no Engine API: it is a client-side program.
- Nothing else runs the docker CLI.

This is the one place that imports the SDK. Private to this collection (the leading
underscore): no compatibility promise.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

DOCKER_IMPORT_ERROR: str | None
try:
    from docker import APIClient
    from docker import auth as docker_auth
    from docker.errors import APIError, DockerException, ImageNotFound, NotFound
    from docker.utils import kwargs_from_env
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import ReadTimeout, RequestException
except ImportError:
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    # Stand-ins so that `except` clauses still evaluate; connect() fails the module first.
    class DockerException(Exception):  # type: ignore[no-redef]
        pass

    class APIError(DockerException):  # type: ignore[no-redef]
        pass

    class NotFound(APIError):  # type: ignore[no-redef]
        pass

    class ImageNotFound(NotFound):  # type: ignore[no-redef]
        pass

    class RequestException(OSError):  # type: ignore[no-redef]
        pass

    class RequestsConnectionError(RequestException):  # type: ignore[no-redef]
        pass

    class ReadTimeout(RequestException):  # type: ignore[no-redef]
        pass

    APIClient = None
    docker_auth = None
else:
    DOCKER_IMPORT_ERROR = None

__all__ = [
    "APIError", "DOCKER_IMPORT_ERROR", "DockerException", "EngineError", "ImageNotFound",
    "NotFound", "ReadTimeout", "RequestException", "RequestsConnectionError", "connect", "docker_auth",
    "engine_client", "engine_error", "engine_failure", "pull",
]


class EngineError(Exception):
    """A failure the daemon reported: its HTTP status (when known) and its own words."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def engine_client() -> Any:
    """The low-level Engine API client, configured like the docker CLI (DOCKER_HOST, DOCKER_TLS_VERIFY...)."""
    return APIClient(version="auto", **kwargs_from_env())


def connect(module: AnsibleModule) -> Any:
    """The Engine API client, or a failed module saying what is missing: the SDK, or an engine."""
    if DOCKER_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("docker"), exception=DOCKER_IMPORT_ERROR)
    try:
        return engine_client()
    except DockerException as exc:
        module.fail_json(msg=f"cannot reach the Docker engine: {exc}")


def engine_error(exc: Exception) -> EngineError:
    """An SDK error as an EngineError carrying the daemon's own explanation."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    explanation = getattr(exc, "explanation", None)
    return EngineError(status, str(explanation or exc))


def engine_failure(exc: BaseException) -> str:
    """A one-line message for what talking to the engine raised, in the daemon's words when it answered.

    That is a DockerException (an APIError when the daemon answered with an error) or, when
    nothing answered, a RequestException of the HTTP layer.
    """
    if isinstance(exc, APIError):
        return f"Docker engine error: {engine_error(exc).message}"
    return f"Docker engine error: {type(exc).__name__}: {exc}"


def pull(client: Any, repository: str, tag: str, auth_config: Mapping[str, Any] | None = None) -> None:
    """Pull ``repository:tag``; EngineError when the daemon says it failed.

    A pull that fails half way still answers HTTP 200: the error is an event of the stream.
    """
    try:
        stream = client.pull(repository, tag=tag, stream=True, decode=True, auth_config=auth_config)
        for event in stream:
            if isinstance(event, dict) and event.get("error"):
                detail = event.get("errorDetail") or {}
                raise EngineError(detail.get("code"), str(event["error"]))
    except APIError as exc:
        raise engine_error(exc) from exc
