"""Unit tests of the app entry schema: every key declared once, bad entries named, secrets never quoted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.dockyard.django.plugins.plugin_utils._app_schema import SCHEMA, apps_problems, entry_problems

GOOD = {"name": "shop", "image": "registry:5000/shop", "port": 8001,
        "database": {"name": "shop", "user": "shop", "password": "hunter2-secret"},
        "env": {"SECRET_KEY": "s3cr3t-value"}, "manage_once": [["migrate", "--noinput"]]}
DOCS = Path(__file__).resolve().parents[4] / "docs" / "APPS.md"


def test_a_good_entry_has_no_problems() -> None:
    assert entry_problems(GOOD) == []
    assert apps_problems([GOOD, {"name": "blog", "image": "blog", "port": "8011"}]) == []


def test_three_misspelt_keys_are_each_named_with_a_suggestion() -> None:
    problems = entry_problems(dict(GOOD, healthcheck_pth="/up", sever_names=["x"], manage_onse=[["check"]]))
    assert problems == ["unknown key 'healthcheck_pth' (did you mean 'healthcheck_path'?)",
                        "unknown key 'sever_names' (did you mean 'server_names'?)",
                        "unknown key 'manage_onse' (did you mean 'manage_once'?)"]


def test_renamed_keys_say_their_new_name() -> None:
    assert entry_problems(dict(GOOD, oneshot=[["migrate"]])) == ["unknown key 'oneshot': it is called 'manage_once' now"]


@pytest.mark.parametrize(("change", "expected"), [
    ({"port": 80}, "port must be a port in 1024-65534"),
    ({"port": "abc"}, "port must be a port in 1024-65534"),
    ({"name": "../etc"}, "name must match"),
    ({"image": "shop:latest"}, "image must be an image repository without a tag"),
    ({"manage_once": ["migrate"]}, "manage_once must be a list of argv lists"),
    ({"image_healthcheck": "yes"}, "image_healthcheck must be true or false"),
    ({"redis_db": 16}, "redis_db must be 0-15"),
    ({"volumes": ["/srv/media"]}, "volumes must be a list of Compose volume strings"),
    ({"database": {"name": "shop", "user": "shop"}}, "database takes exactly name, user and password: missing password"),
    ({"static_url": "/static"}, "static_url must be a URL path starting and ending with /"),
    ({"static_url": "/"}, "static_url must be a URL path starting and ending with /"),
    ({"static_root": "staticfiles"}, "static_root must be an absolute directory inside the image"),
    ({"static_root": "/app/../etc"}, "static_root must be an absolute directory inside the image"),
    ({"static_front": "no"}, "static_front must be true or false"),
])
def test_types_and_ranges_are_checked(change: dict, expected: str) -> None:
    problems = entry_problems(dict(GOOD, **change))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_missing_required_keys_are_named() -> None:
    assert entry_problems({"name": "shop"}) == ["missing required key 'image'", "missing required key 'port'"]


def test_secret_values_never_reach_a_message() -> None:
    bad = dict(GOOD, env={"SECRET_KEY": "s3cr3t\nvalue", "bad key": "s3cr3t"},
               database={"name": "shop", "user": "shop", "password": ["hunter2-secret"]})
    text = " ".join(apps_problems([bad]))
    assert "env values must" not in text or "SECRET_KEY" in text
    assert "s3cr3t" not in text and "hunter2" not in text


def test_duplicate_names_also_with_dashes() -> None:
    problems = apps_problems([dict(GOOD, name="my-shop"), dict(GOOD, name="my_shop", port=9001)])
    assert problems == ["dockyard_apps: app names must be unique, also with '-' written '_' as in group names: "
                        "my-shop, my_shop"]


def test_entries_are_named_by_name_or_position() -> None:
    assert apps_problems([GOOD, {"image": "x", "port": 8001}]) == ["dockyard_apps[1]: missing required key 'name'"]
    assert apps_problems("shop") == ["dockyard_apps must be a list of app entries, got a str"]


def test_docs_list_exactly_the_schema_keys() -> None:
    documented = re.findall(r"^\| `([a-z_]+)` \|", DOCS.read_text(), re.M)
    assert documented == list(SCHEMA)


def test_media_keys_are_checked() -> None:
    from ansible_collections.dockyard.django.plugins.plugin_utils._app_schema import entry_problems as problems
    assert problems(dict(GOOD, media_dir="/srv/media/shop", media_root="/app/media", media_url="/media/")) == []
    assert problems(dict(GOOD, media_dir="srv/media", media_root="/app/../etc", media_url="/media")) == [
        "media_dir must be an absolute path of letters, digits and . _ - (no . or .. component), got 'srv/media'",
        "media_root must be an absolute path of letters, digits and . _ - (no . or .. component), got '/app/../etc'",
        "media_url must be a URL path starting and ending with /, like /static/ or /media/, got '/media'"]


def test_maintenance_keys_are_checked() -> None:
    good = dict(GOOD, maintenance_allow=["10.0.0.5", "192.168.1.0/24"], maintenance_page="files/maintenance.html")
    assert entry_problems(good) == []
    assert entry_problems(dict(GOOD, maintenance_allow=["10.0.0.300"]))[0].startswith(
        "maintenance_allow must be a list of IP addresses or CIDR networks")
    assert entry_problems(dict(GOOD, maintenance_allow="10.0.0.5"))[0].startswith("maintenance_allow must be a list")


def test_limits_are_checked_and_merged_per_service() -> None:
    from ansible_collections.dockyard.django.plugins.plugin_utils._app_schema import limits_for
    limits = {"memory": "512m", "cpus": 1.5, "worker": {"memory": "1g", "cpus": 2}, "manage": {"cpus": "0.5"}}
    assert entry_problems(dict(GOOD, limits=limits)) == []
    entry = dict(GOOD, limits=limits)
    assert limits_for(entry, "web") == {"memory": "512m", "cpus": 1.5}
    assert limits_for(entry, "worker") == {"memory": "1g", "cpus": 2}
    assert limits_for(entry, "manage") == {"memory": "512m", "cpus": "0.5"}
    assert limits_for(GOOD, "beat") == {}
    # What a role's argument spec fills in for an absent option is no limit.
    assert limits_for(dict(GOOD, limits={"memory": "1g", "cpus": None, "web": None}), "web") == {"memory": "1g"}


@pytest.mark.parametrize(("limits", "expected"), [
    ("1g", "limits must be a mapping such as {memory: 512m, cpus: 1.5, worker: {memory: 1g}}"),
    ({"mem": "1g"}, "limits takes memory, cpus, web, worker, beat, manage; unknown: mem"),
    ({"memory": "lots"}, "limits memory must be a size such as 512m or 2g (a number with unit b, k, m or g), got 'lots'"),
    ({"memory": "4m"}, "limits memory must be at least 6m (Docker's minimum), got '4m'"),
    ({"cpus": 0}, "limits cpus must be a number of CPUs from 0.01 to 1024, such as 0.5 or 2, got 0"),
    ({"cpus": "two"}, "limits cpus must be a number of CPUs from 0.01 to 1024, such as 0.5 or 2, got 'two'"),
    ({"web": "1g"}, "limits web must be a mapping such as {memory: 1g, cpus: 2}"),
    ({"worker": {"memory": "1g", "swap": "2g"}}, "limits worker takes memory, cpus; unknown: swap"),
    ({"beat": {"cpus": True}}, "limits beat.cpus must be a number of CPUs from 0.01 to 1024, such as 0.5 or 2, got True"),
])
def test_bad_limits_are_named(limits: object, expected: str) -> None:
    assert entry_problems(dict(GOOD, limits=limits)) == [expected]
