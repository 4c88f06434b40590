"""Unit tests of missing_packages, the filter that reads dpkg-query's lines of a host read."""

from __future__ import annotations

from ansible_collections.dockyard.django.plugins.filter.packages import missing_packages


def test_installed_packages_are_not_missing_and_other_lines_are_ignored() -> None:
    lines = ["package docker.io installed", "compose 2.26.1", "package python3-docker installed",
             "unit enabled active", "login registry:5000 0f1e"]
    assert missing_packages(lines, ["docker.io", "python3-docker"]) == []


def test_any_other_status_and_an_unknown_name_are_missing_in_wanted_order() -> None:
    lines = ["package nginx config-files", "package redis-server installed", "package nftables half-installed"]
    assert missing_packages(lines, ["nftables", "redis-server", "nginx", "gone"]) == ["nftables", "nginx", "gone"]


def test_a_name_only_appearing_inside_another_line_is_missing() -> None:
    # A package name in a login or version line is no evidence it is installed.
    lines = ["login nginx installed-looking", "packages nginx installed", "package nginx"]
    assert missing_packages(lines, ["nginx"]) == ["nginx"]


def test_an_empty_read_misses_everything() -> None:
    assert missing_packages([], ["a", "b"]) == ["a", "b"]
