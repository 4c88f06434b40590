"""dockyard.django.image against web1's real engine and the lab registry."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import lab_helpers
from lab_helpers import REGISTRY, host_run, run_module

pytestmark = pytest.mark.lab

HOST = "web1"
MODULE = "dockyard.django.image"
REPOSITORY = "itimage/app"
REPO = f"{REGISTRY}/{REPOSITORY}"
STOPPED = "itimage-stopped"
# Not /tmp: a systemd host may give services a private one.
WORK = "/root/itimage"


def local_tags() -> set[str]:
    out = host_run(HOST, "docker", "image", "ls", "--format", "{{.Tag}}", REPO).stdout
    return {line for line in out.split() if line and line != "<none>"}


def image_id(tag: str) -> str | None:
    proc = host_run(HOST, "docker", "image", "inspect", "--format", "{{.Id}}", f"{REPO}:{tag}", check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def clean_web1() -> None:
    host_run(HOST, "docker", "rm", "-f", STOPPED, check=False)
    tags = local_tags()
    if tags:
        host_run(HOST, "docker", "image", "rm", *(f"{REPO}:{tag}" for tag in tags), check=False)
    host_run(HOST, "rm", "-rf", WORK, check=False)


def image(args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result = run_module(HOST, MODULE, args, **kwargs)
    # Whatever happened, the registry password must never be echoed back.
    assert lab_helpers.registry_password() not in json.dumps(result)
    return result


@pytest.fixture(scope="module")
def tags(docker_engine_host: str, machine_docker: lab_helpers.MachineDocker, base_image: str) -> Iterator[list[str]]:
    """Six small images pushed oldest first, so creation time orders them t[0] < ... < t[5]."""
    clean_web1()
    run = uuid.uuid4().hex[:8]
    pushed = []
    for index in range(6):
        ref = machine_docker.build_and_push(f"FROM {base_image}\nRUN echo {run}-{index} > /f\n", REPOSITORY,
                                            tag=f"r{run}-{index}")
        pushed.append(ref.rsplit(":", 1)[1])
    host_run(HOST, "mkdir", "-p", WORK)
    yield pushed
    clean_web1()
    on_machine = [f"{lab_helpers.registry_on_machine()}/{REPOSITORY}:{tag}" for tag in pushed]
    machine_docker.run("image", "rm", *on_machine, check=False)


def test_present_pulls_once_then_is_idempotent(tags: list[str]) -> None:
    first, second = tags[0], tags[1]
    args = {"repository": REPO, "tag": first, "retry_delay": 0.5}

    checked = image(args, check=True, diff=True)
    assert not checked["failed"], checked["msg"]
    assert checked["changed"] and checked["pulled"] and checked["attempts"] == 0
    assert checked["diff"]["after"] == f"{first}\n" and checked["diff"]["before"] == ""
    assert image_id(first) is None, "check mode pulled"

    applied = image(args, diff=True)
    assert not applied["failed"], applied["msg"]
    assert applied["changed"] and applied["pulled"] and applied["attempts"] == 1
    assert applied["image_id"] == image_id(first)
    assert applied["repo_digest"].startswith(f"{REPO}@sha256:")

    again = image(args)
    assert not again["failed"] and not again["changed"]
    assert again["pulled"] is False and again["attempts"] == 0
    assert again["image_id"] == applied["image_id"]

    other = image({"repository": REPO, "tag": second})
    assert other["changed"] and other["image_id"] == image_id(second) != applied["image_id"]


def test_verified_answers_without_pulling(tags: list[str]) -> None:
    never_pulled = tags[5]
    result = image({"repository": REPO, "tag": never_pulled, "state": "verified"})
    assert not result["failed"], result["msg"]
    assert not result["changed"] and result["digest"].startswith("sha256:")
    assert image_id(never_pulled) is None, "verified pulled the image"

    pulled = image({"repository": REPO, "tag": tags[0]})
    checked = image({"repository": REPO, "tag": tags[0], "state": "verified"})
    assert not checked["failed"], checked["msg"]
    digest = checked["digest"]
    assert pulled["repo_digest"] == f"{REPO}@{digest}"


def test_verified_missing_tag_names_it(tags: list[str]) -> None:
    result = image({"repository": REPO, "tag": "no-such-tag", "state": "verified"})
    assert result["failed"] and not result["changed"]
    assert f"tag no-such-tag not found in repository {REPO}" in result["msg"]
    assert result["attempts"] == 1, "a missing tag is not worth a retry"


@pytest.mark.parametrize("config", ["none", "wrong"])
def test_refused_credentials_fail_clearly_and_change_nothing(tags: list[str], config: str) -> None:
    # A private config dir rather than `docker logout`: other tests share web1's root login.
    directory = f"{WORK}/config-{config}"
    host_run(HOST, "mkdir", "-p", directory)
    if config == "wrong":
        token = base64.b64encode(b"dockyard:not-the-password").decode()
        host_run(HOST, "tee", f"{directory}/config.json", input=json.dumps({"auths": {REGISTRY: {"auth": token}}}))
    target = tags[4]
    before = local_tags()
    for state in ("present", "verified"):
        result = image({"repository": REPO, "tag": target, "state": state, "docker_config": directory,
                        "retry_delay": 0.5})
        assert result["failed"] and not result["changed"], result
        assert f"registry {REGISTRY} refused the credentials" in result["msg"]
        assert result["attempts"] == 1
        assert "not-the-password" not in json.dumps(result)
    assert local_tags() == before and image_id(target) is None


def test_retained_keeps_newest_protected_and_used(tags: list[str]) -> None:
    for tag in tags:
        assert not image({"repository": REPO, "tag": tag})["failed"]
    assert local_tags() == set(tags)
    # t0 protected by option, t2 by the app's TAG file, t3 by another app's REVERT (apps on
    # one host may share a repository), t1 used by a stopped container; keep=1 keeps t5,
    # which leaves t4 alone to remove.
    host_run(HOST, "docker", "create", "--name", STOPPED, f"{REPO}:{tags[1]}", "true")
    app_dir = f"{WORK}/www/itimage"
    host_run(HOST, "mkdir", "-p", app_dir)
    host_run(HOST, "tee", f"{app_dir}/TAG", input=f"export TAG={tags[2]}\n")
    host_run(HOST, "mkdir", "-p", f"{WORK}/www/other")
    host_run(HOST, "tee", f"{WORK}/www/other/REVERT", input=f"export TAG={tags[3]}\n")
    args = {"repository": REPO, "state": "retained", "keep": 1, "protect": [tags[0]],
            "app": "itimage", "root": f"{WORK}/www"}

    host_run(HOST, "tee", f"{app_dir}/REVERT", input="export TAG=\nrm -rf /\n")
    malformed = image(args)
    assert malformed["failed"] and "REVERT is malformed" in malformed["msg"] and "rm -rf" not in malformed["msg"]
    assert local_tags() == set(tags)
    host_run(HOST, "tee", f"{app_dir}/REVERT", input=f"export TAG={tags[0]}\n")

    checked = image(args, check=True, diff=True)
    assert not checked["failed"], checked["msg"]
    assert checked["changed"] and checked["removed"] == [tags[4]]
    assert set(checked["kept"]) == set(tags) - {tags[4]}
    assert checked["diff"]["before"] == "".join(f"{t}\n" for t in sorted(tags))
    assert tags[4] not in checked["diff"]["after"]
    assert local_tags() == set(tags), "check mode removed something"

    applied = image(args, diff=True)
    assert not applied["failed"], applied["msg"]
    assert applied["changed"] and applied["removed"] == [tags[4]]
    assert applied["kept"] == [tags[5], tags[3], tags[2], tags[1], tags[0]]
    assert sorted(applied["protected"]) == sorted([tags[0], tags[2], tags[3]])
    assert local_tags() == set(tags) - {tags[4]}

    again = image(args)
    assert not again["failed"] and not again["changed"] and again["removed"] == []
