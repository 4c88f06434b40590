"""Unit tests of the day-2 playbooks' input checks (plugins/filter/day2.py)."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.dockyard.django.plugins.filter.day2 import address_list, day2_input_problems

APPS = [{"name": "demo"}, {"name": "solo"}]


def test_good_inputs_have_no_problems(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<p>back soon</p>")
    good = {"app": "demo", "format": "json", "service": "worker", "since": "10m", "lines": "200", "deploys": 5,
            "state": "on", "page": str(page), "allow": "10.0.0.5, 192.168.1.0/24", "retry_after": 600,
            "dump": "demo-20261130T101500Z-pre-build-4.dump", "confirm": "demo", "cli_words": ""}
    assert day2_input_problems(good, APPS) == []
    assert day2_input_problems(dict(good, since="2026-11-30T10:15:00Z", allow=[], page="", dump=""), APPS) == []


def test_each_bad_input_is_named_once(tmp_path: Path) -> None:
    bad = {"app": "demo", "format": "xml", "service": "db", "since": "1d", "lines": 0, "state": "maybe",
           "page": str(tmp_path / "nothing.html"), "allow": "10.0.0.300", "retry_after": "soon",
           "dump": "../../etc/passwd", "confirm": "", "deploys": "-1"}
    problems = day2_input_problems(bad, APPS)
    assert [p.split(":")[0].split("=")[0] for p in problems] == [
        "format", "service", "since", "state", "page", "allow", "dump", "confirm", "lines", "deploys", "retry_after"]
    assert "confirm: restoring replaces the app's database; give -e confirm=demo (the app's name) to go ahead" in problems
    assert all("\n" not in problem for problem in problems)


def test_the_app_and_stray_words_are_checked_as_the_deploy_does() -> None:
    assert day2_input_problems({"app": "shop"}, APPS) == ["app=shop is not in dockyard_apps (known apps: demo, solo)"]
    assert day2_input_problems({"app": ""}, APPS) == ["app: give -e app=<name>, an app of dockyard_apps"]
    assert day2_input_problems({"app": "demo", "cli_words": "x"}, APPS)[0].startswith("-e words that are not key=value")


def test_address_list() -> None:
    assert address_list("10.0.0.5,192.168.1.7/24 ::1") == ["10.0.0.5", "192.168.1.0/24", "::1"]
    assert address_list(["10.0.0.5", "nope"]) is None
    assert address_list("") == [] and address_list(None) == []
