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
        "media_url must be a URL path starting and ending with /, e.g. /media/, got '/media'"]
