"""dockyard.django.release against web2's real filesystem."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lab_helpers import host_run, run_module

pytestmark = pytest.mark.lab

HOST = "web2"
MODULE = "dockyard.django.release"
INFO_MODULE = "dockyard.django.release_info"


@pytest.fixture()
def app(lab: None) -> Iterator[str]:
    """A fresh app name on web2, removed afterwards so reruns start clean."""
    name = f"itrelease{uuid.uuid4().hex[:8]}"
    yield name
    host_run(HOST, "rm", "-rf", f"/var/www/{name}")


def release(app: str, check: bool = False, diff: bool = False, **args: Any) -> dict[str, Any]:
    return run_module(HOST, MODULE, {"app": app, "deployer": "itest", **args}, check=check, diff=diff)


def cat(app: str, name: str) -> str:
    return host_run(HOST, "cat", f"/var/www/{app}/{name}").stdout


def listing(app: str) -> str:
    """Names, sizes, modes and content of the app's files: equal listings mean nothing changed."""
    script = f'cd /var/www/{app} 2>/dev/null && for f in $(ls -A); do stat -c "%n %s %a %Y" "$f"; md5sum "$f"; done'
    return host_run(HOST, "sh", "-c", script, check=False).stdout


def exists(app: str, name: str = "") -> bool:
    return host_run(HOST, "test", "-e", f"/var/www/{app}/{name}", check=False).returncode == 0


def test_check_apply_idempotent_change(app: str) -> None:
    checked = release(app, tag="build-1", check=True, diff=True)
    assert not checked["failed"], checked.get("msg")
    assert checked["changed"] is True
    assert checked["current"] == "build-1"
    assert checked["diff"]["after"] == "TAG: build-1\nREVERT: (none)\n"
    assert not exists(app), "check mode must not create the app directory"

    applied = release(app, tag="build-1", migrations=["orders.0001_initial"])
    assert not applied["failed"], applied.get("msg")
    assert applied["changed"] is True
    assert cat(app, "TAG") == "export TAG=build-1\n"
    assert not exists(app, "REVERT")
    assert host_run(HOST, "stat", "-c", "%a", f"/var/www/{app}").stdout.strip() == "755"
    assert host_run(HOST, "stat", "-c", "%a", f"/var/www/{app}/TAG").stdout.strip() == "644"

    before = listing(app)
    again = release(app, tag="build-1")
    assert not again["failed"], again.get("msg")
    assert again["changed"] is False
    assert listing(app) == before

    checked = release(app, tag="build-2", check=True)
    assert checked["changed"] is True
    assert listing(app) == before

    changed = release(app, tag="build-2", diff=True)
    assert changed["changed"] is True
    assert (changed["current"], changed["previous"]) == ("build-2", "build-1")
    assert changed["diff"]["before"] == "TAG: build-1\nREVERT: (none)\n"
    assert changed["diff"]["after"] == "TAG: build-2\nREVERT: build-1\n"
    assert cat(app, "TAG") == "export TAG=build-2\n"
    assert cat(app, "REVERT") == "export TAG=build-1\n"
    history = json.loads(cat(app, "HISTORY.json"))
    assert [(e["tag"], e["previous"], e["result"]) for e in history] == [
        ("build-1", None, "deployed"), ("build-2", "build-1", "deployed")]
    assert history[0]["migrations"] == ["orders.0001_initial"]
    assert history[0]["deployer"] == "itest"


def test_tag_file_can_be_sourced(app: str) -> None:
    assert not release(app, tag="v1.2.3")["failed"]
    out = host_run(HOST, "sh", "-c", f". /var/www/{app}/TAG && echo $TAG")
    assert out.stdout == "v1.2.3\n"
    # The tag must reach child processes too, as docker compose reads it from the environment.
    out = host_run(HOST, "sh", "-c", f". /var/www/{app}/TAG && sh -c 'echo $TAG'")
    assert out.stdout == "v1.2.3\n"


def test_reverted_swaps(app: str) -> None:
    release(app, tag="build-1")
    release(app, tag="build-2")
    result = release(app, state="reverted")
    assert not result["failed"], result.get("msg")
    assert result["changed"] is True
    assert cat(app, "TAG") == "export TAG=build-1\n"
    assert cat(app, "REVERT") == "export TAG=build-2\n"
    assert json.loads(cat(app, "HISTORY.json"))[-1]["result"] == "reverted"
    read = run_module(HOST, INFO_MODULE, {"app": app})
    assert (read["changed"], read["current"], read["previous"]) == (False, "build-1", "build-2")


def test_reverted_without_revert_fails_clearly(app: str) -> None:
    release(app, tag="build-1")
    before = listing(app)
    result = release(app, state="reverted")
    assert result["failed"] is True
    assert f"/var/www/{app}/REVERT does not exist" in result["msg"]
    assert listing(app) == before


def test_malformed_tag_fails_and_is_left_byte_identical(app: str) -> None:
    release(app, tag="build-1")
    garbage = "export TAG=build-1\n#!/bin/sh\necho surprise\n"
    host_run(HOST, "sh", "-c", f"cat > /var/www/{app}/TAG", input=garbage)
    before = listing(app)
    result = release(app, tag="build-2")
    assert result["failed"] is True
    assert f"/var/www/{app}/TAG is malformed" in result["msg"]
    assert "surprise" not in result["msg"]
    assert cat(app, "TAG") == garbage
    assert listing(app) == before
    assert not exists(app, "REVERT")


def test_history_is_capped(app: str) -> None:
    for number in range(1, 6):
        result = release(app, tag=f"build-{number}", history_size=3)
        assert not result["failed"], result.get("msg")
    history = json.loads(cat(app, "HISTORY.json"))
    assert [e["tag"] for e in history] == ["build-3", "build-4", "build-5"]
    assert result["history"] == history
    assert all(e["time"].endswith("Z") for e in history)


def test_bad_input_changes_nothing(app: str) -> None:
    release(app, tag="build-1")
    before = listing(app)
    for args, why in [({"tag": "-x"}, "not a valid Docker tag"),
                      ({"tag": "build-2", "history_size": 0}, "history_size must be at least 1"),
                      ({"tag": "build-2", "root": "var/www"}, "must be an absolute path")]:
        result = release(app, **args)
        assert result["failed"] is True and why in result["msg"], result
    result = run_module(HOST, MODULE, {"app": "../etc", "tag": "build-2"})
    assert result["failed"] is True and "not a valid app name" in result["msg"]
    assert listing(app) == before


def test_release_info_reads_and_never_writes(app: str) -> None:
    empty = run_module(HOST, INFO_MODULE, {"app": app}, check=True)
    assert not empty["failed"], empty.get("msg")
    assert (empty["changed"], empty["current"], empty["history"]) == (False, None, [])
    assert not exists(app), "reading must not create the app directory"
    written = release(app, tag="build-1", migrations=["orders.0001_initial"])
    before = listing(app)
    read = run_module(HOST, INFO_MODULE, {"app": app})
    assert (read["current"], read["previous"], read["history"]) == ("build-1", None, written["history"])
    assert listing(app) == before
    host_run(HOST, "sh", "-c", f"echo 'export TAG=a' >> /var/www/{app}/TAG")
    broken = run_module(HOST, INFO_MODULE, {"app": app})
    assert broken["failed"] and f"/var/www/{app}/TAG is malformed" in broken["msg"]
