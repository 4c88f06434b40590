"""Argument validation of dockyard.django.image: bad input fails before any Docker client exists."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.module_utils import _docker
from ansible_collections.dockyard.django.plugins.modules import image
from unit.utils import AnsibleFailJson, set_module_args

REPO = "registry:5000/demo"


@pytest.fixture(autouse=True)
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach Docker is a test failure: validation must come first."""

    def refuse(_module: Any) -> None:
        raise AssertionError("a Docker client was created for invalid input")

    monkeypatch.setattr(image, "connect", refuse)


def fail_with(args: dict[str, Any]) -> dict[str, Any]:
    with set_module_args(args), pytest.raises(AnsibleFailJson) as caught:
        image.main()
    return caught.value.result


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"repository": REPO, "tag": "bad tag"}, "not a valid Docker tag"),
        ({"repository": REPO, "tag": "-x", "state": "verified"}, "not a valid Docker tag"),
        ({"repository": f"{REPO}:b1", "tag": "b1"}, "must not carry a tag"),
        ({"repository": f"{REPO}@sha256:" + "a" * 64, "tag": "b1"}, "must not carry a digest"),
        ({"repository": "registry:5000/Demo", "tag": "b1"}, "not a valid Docker repository"),
        ({"repository": REPO, "state": "retained", "keep": 0}, "keep must be at least 1"),
        ({"repository": REPO, "state": "retained", "keep": -3}, "keep must be at least 1"),
        ({"repository": REPO}, "tag is required with state=present"),
        ({"repository": REPO, "state": "verified"}, "tag is required with state=verified"),
        ({"repository": REPO, "state": "retained", "protect": ["ok", "bad;tag"]}, "protect[1]"),
        ({"repository": REPO, "state": "retained", "app": "../etc"}, "not a valid app name"),
        ({"repository": REPO, "tag": "b1", "retries": -1}, "retries must be at least 0"),
        ({"repository": REPO, "tag": "b1", "retry_delay": -1}, "retry_delay must be at least 0"),
    ],
)
def test_bad_input_fails_clearly_before_docker(args: dict[str, Any], expected: str) -> None:
    result = fail_with(args)
    assert expected in result["msg"]
    assert result.get("changed") is False


def test_unknown_state_is_refused() -> None:
    result = fail_with({"repository": REPO, "tag": "b1", "state": "absent"})
    assert "state" in result["msg"]


def test_missing_sdk_is_reported_with_missing_required_lib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image, "connect", _docker.connect)
    monkeypatch.setattr(_docker, "DOCKER_IMPORT_ERROR", "Traceback: No module named 'docker'")
    result = fail_with({"repository": REPO, "tag": "b1"})
    assert "docker" in result["msg"] and "Failed to import the required Python library" in result["msg"]


def test_valid_input_reaches_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    class Reached(Exception):
        pass

    def reached(_module: Any) -> None:
        raise Reached

    monkeypatch.setattr(image, "connect", reached)
    with set_module_args({"repository": REPO, "state": "retained", "protect": ["b1"], "keep": 1}), \
            pytest.raises(Reached):
        image.main()


def test_documented_options_match_the_argument_spec() -> None:
    import yaml

    doc = yaml.safe_load(image.DOCUMENTATION)
    assert set(doc["options"]) == {"repository", "tag", "state", "retries", "retry_delay", "keep", "protect", "app",
                                   "docker_config"}
    assert "dockyard.django.app.root" in doc["extends_documentation_fragment"]  # root
