"""Unit tests of the one way the modules reach the Engine API: client, errors, pulls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from docker.errors import APIError

from ansible_collections.dockyard.django.plugins.module_utils import _docker


class PullingClient:
    """A low-level client whose pull answers with the given stream of events."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.calls: list[dict[str, Any]] = []

    def pull(self, repository: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append({"repository": repository, **kwargs})
        return iter(self.events)


def test_a_clean_pull_streams_to_the_end() -> None:
    client = PullingClient([{"status": "Pulling from demo"}, {"status": "Digest: sha256:ab"}])
    _docker.pull(client, "registry:5000/demo", "b1", {"username": "u"})
    assert client.calls == [{"repository": "registry:5000/demo", "tag": "b1", "stream": True, "decode": True,
                             "auth_config": {"username": "u"}}]


def test_an_error_inside_a_200_stream_is_an_engine_error() -> None:
    client = PullingClient([{"status": "Pulling"}, {"error": "manifest unknown", "errorDetail": {"code": 404}}])
    with pytest.raises(_docker.EngineError) as exc:
        _docker.pull(client, "registry:5000/demo", "b1")
    assert (exc.value.status, exc.value.message) == (404, "manifest unknown")


def test_an_api_error_keeps_the_daemons_words() -> None:
    class Response:
        status_code = 401
        reason = "Unauthorized"

    error = APIError("500 Server Error", response=Response(), explanation="unauthorized: authentication required")
    converted = _docker.engine_error(error)
    assert (converted.status, converted.message) == (401, "unauthorized: authentication required")


def test_connect_without_the_sdk_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failed(Exception):
        pass

    class Module:
        def fail_json(self, msg: str, **kwargs: Any) -> None:
            raise Failed(msg)

    monkeypatch.setattr(_docker, "DOCKER_IMPORT_ERROR", "Traceback: No module named 'docker'")
    with pytest.raises(Failed, match="Failed to import the required Python library .docker."):
        _docker.connect(Module())  # type: ignore[arg-type]
