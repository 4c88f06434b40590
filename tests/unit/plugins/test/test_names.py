"""Unit tests of the Jinja tests for names given on the command line."""

from __future__ import annotations

from ansible_collections.dockyard.django.plugins.test.names import app_name, docker_tag


def test_name_tests() -> None:
    assert docker_tag("build-42") and not docker_tag("-x") and not docker_tag(None)
    assert app_name("demo") and not app_name("../etc") and not app_name("a b")
