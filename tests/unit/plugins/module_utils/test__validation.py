"""Unit tests of the shared input validation."""

from __future__ import annotations

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
    check_repository,
    check_tag,
)


@pytest.mark.parametrize("tag", ["build-42", "v1.2.3", "latest", "_x", "a" * 128, "2026.11.23_1"])
def test_good_tags_pass(tag: str) -> None:
    assert check_tag(tag) == tag


@pytest.mark.parametrize(
    "tag",
    ["", "-leading-dash", ".leading-dot", "a" * 129, "has space", "semi;colon", "slash/tag", "tag:x", None, 42, "ünï"],
)
def test_bad_tags_are_named(tag: object) -> None:
    with pytest.raises(ValidationError, match="tag"):
        check_tag(tag)


@pytest.mark.parametrize("app", ["demo", "shop-api", "app_2"])
def test_good_apps_pass(app: str) -> None:
    assert check_app(app) == app


@pytest.mark.parametrize(
    "app", ["", "..", "../etc", "a/b", "has space", "x;rm -rf", "$(id)", "UPPER", "1starts-digit", "a" * 33, None]
)
def test_bad_apps_are_named(app: object) -> None:
    with pytest.raises(ValidationError, match="app"):
        check_app(app)


@pytest.mark.parametrize(
    "repository", ["demo", "registry:5000/demo", "registry.example.com/team/app", "localhost:5000/a/b-c"]
)
def test_good_repositories_pass(repository: str) -> None:
    assert check_repository(repository) == repository


@pytest.mark.parametrize(
    "repository", ["", "Demo", "registry:5000/demo:tag", "demo@sha256:abc", "a//b", "demo/", "sp ace"]
)
def test_bad_repositories_are_named(repository: str) -> None:
    with pytest.raises(ValidationError, match="repository"):
        check_repository(repository)


def test_absolute_paths_pass() -> None:
    assert check_absolute("/var/www") == "/var/www"


@pytest.mark.parametrize("path", ["", "var/www", "./x", None])
def test_relative_paths_are_named(path: object) -> None:
    with pytest.raises(ValidationError, match="^dir .* must be an absolute path"):
        check_absolute(path, "dir")
