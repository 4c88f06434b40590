"""Unit tests of the deploy summary filters."""

from __future__ import annotations

from ansible_collections.dockyard.django.plugins.filter.deploy import phase_durations


def test_phase_durations_add_up_repeated_phases() -> None:
    marks = [{"phase": "pre-flight", "at": 100.0}, {"phase": "switch", "at": 101.5},
             {"phase": "switch", "at": 103.0}, {"phase": "finish", "at": "106.0"}]
    assert phase_durations(marks, 107.25) == {"pre-flight": 1.5, "switch": 4.5, "finish": 1.25}


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


def test_input_problems_name_each_input_as_typed() -> None:
    from ansible_collections.dockyard.django.plugins.filter.deploy import input_problems
    good = {"app": "demo", "tag": "build-1", "mode": "deploy", "serial": "50%", "backup": "false", "lock_wait": "0",
            "health_timeout": 120, "retain": 5, "reverse_migrations": []}
    assert input_problems(good) == []
    assert input_problems(dict(good, tag="", mode="rollback", serial=2)) == []
    assert input_problems(dict(good, maintenance="yes", restart=False)) == []
    assert input_problems(dict(good, restart="always")) == ["restart='always': must be true or false"]
    problems = input_problems(dict(good, app="../etc", tag="a;b", serial="abc", backup="maybe", maintenance="soon",
                                   lock_wait="-1", health_timeout="0", retain=1,
                                   reverse_migrations=["notes"]))
    assert [p.split(":")[0].split("=")[0] for p in problems] == [
        "app", "tag", "serial", "backup", "maintenance", "lock_wait", "deploy_health_timeout", "deploy_retain",
        "deploy_reverse_migrations"]
    assert "maintenance='soon': must be true or false" in problems
    assert "serial='abc': must be a number of web hosts (1 or more) or a percentage of them (1%-100%)" in problems
    assert input_problems(dict(good, serial="101%"))[0].startswith("serial='101%'")
    assert input_problems(dict(good, tag=None)) == ["tag: give -e tag=<the image tag to deploy>"]
    assert input_problems({"app": "demo"}) == []
    assert input_problems({"app": "demo", "cli_words": "b c"})[0].startswith("-e words that are not key=value: 'b', 'c'")
    assert input_problems({"app": "nosuch"}, [{"name": "demo"}]) == [
        "app=nosuch is not in dockyard_apps (known apps: demo)"]


def test_deploy_host_groups_give_each_host_its_plays() -> None:
    from ansible_collections.dockyard.django.plugins.filter.deploy import deploy_host_groups
    hosts = {"all": ["web1", "web2", "worker1"], "web": ["web1", "web2"], "workers": ["worker1"],
             "first_web": "web1", "database": "db1"}
    assert deploy_host_groups(hosts) == [
        {"host": "web1", "groups": ["__deploy_all", "__deploy_web", "__deploy_first_web"]},
        {"host": "web2", "groups": ["__deploy_all", "__deploy_web"]},
        {"host": "worker1", "groups": ["__deploy_all", "__deploy_workers"]},
        {"host": "db1", "groups": ["__deploy_database"]},
    ]
    # A run in a maintenance window also runs on the fronts.
    assert deploy_host_groups(dict(hosts, fronts=["lb1"]))[-1] == {"host": "lb1", "groups": ["__deploy_fronts"]}


def test_input_problems_check_the_settings_a_command_line_may_override() -> None:
    from ansible_collections.dockyard.django.plugins.filter.deploy import input_problems
    good = {"app": "demo", "manage_prefix": ["manage"], "manage_once": [["migrate"]], "manage_per_host": [],
            "root": "/var/www", "lock_dir": "/var/lib/dockyard/locks"}
    assert input_problems(good) == []
    problems = input_problems(dict(good, manage_prefix="manage", manage_once=["migrate"], root="var/www",
                                   lock_dir="/a/../b"))
    assert [p.split(":")[0].split("=")[0] for p in problems] == [
        "deploy_manage_prefix", "deploy_manage_once", "deploy_root", "deploy_lock_dir"]
