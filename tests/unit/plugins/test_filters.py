"""Unit tests of the filter and test plugins."""

from __future__ import annotations

from ansible_collections.dockyard.django.plugins.filter.deploy import phase_durations
from ansible_collections.dockyard.django.plugins.test.names import app_name, docker_tag


def test_phase_durations_add_up_repeated_phases() -> None:
    marks = [{"phase": "pre-flight", "at": 100.0}, {"phase": "switch", "at": 101.5},
             {"phase": "switch", "at": 103.0}, {"phase": "finish", "at": "106.0"}]
    assert phase_durations(marks, 107.25) == {"pre-flight": 1.5, "switch": 4.5, "finish": 1.25}


def test_name_tests() -> None:
    assert docker_tag("build-42") and not docker_tag("-x") and not docker_tag(None)
    assert app_name("demo") and not app_name("../etc") and not app_name("a b")


def test_unreversed_migrations() -> None:
    from ansible_collections.dockyard.django.plugins.filter.deploy import unreversed_migrations
    history = [
        {"tag": "v1", "result": "deployed", "migrations": ["notes.0001"]},
        {"tag": "v2", "result": "deployed", "migrations": ["notes.0002"]},
        {"tag": "v3", "result": "deployed", "migrations": ["notes.0003", "notes.0004"]},
        {"tag": "v2", "result": "rolled-back", "migrations": []},
        {"tag": "v3", "result": "deployed", "migrations": []},
    ]
    # After the last deploy of v2, v3 came back without migrating again.
    assert unreversed_migrations(history, "v2") == []
    assert unreversed_migrations(history, "v1") == ["notes.0002", "notes.0003", "notes.0004"]
    assert unreversed_migrations(history, "v0") == ["notes.0001", "notes.0002", "notes.0003", "notes.0004"]
