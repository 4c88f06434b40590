"""The manage module against a real engine: worker1 runs a tiny real Django project (djangoapp/).

The project's image comes in two tags: v1 with migration notes.0001 only, v2 also with
notes.0002, so `migrate` has work to do after an upgrade. SQLite lives in a host directory
mounted at /data, so migrations persist across the module's throwaway containers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import lab_helpers
from lab_helpers import host_run, run_module

pytestmark = pytest.mark.lab

HOST = "worker1"
MODULE = "dockyard.django.manage"
REPOSITORY = "itdjango/app"
PROJECT = Path(__file__).resolve().parent / "djangoapp"
APP_UID = "10001"  # the image's non-root user (djangoapp/Dockerfile)


@dataclass
class Images:
    repository: str  # as worker1 sees it, without a tag
    v1: str
    v2: str


@dataclass
class App:
    name: str
    secret: str
    data: str
    static: str

    def args(self, **overrides: Any) -> dict[str, Any]:
        return {"app": self.name, "image": f"{lab_helpers.REGISTRY}/{REPOSITORY}",
                "volumes": [f"{self.data}:/data", f"{self.static}:/static"], **overrides}


@pytest.fixture(scope="module")
def images(machine_docker: lab_helpers.MachineDocker, base_image: str, docker_engine_worker: str) -> Iterator[Images]:
    """v1 and v2 of the project, under tags unique to this run so no stale copy is ever used."""
    run_id = uuid.uuid4().hex[:8]
    dockerfile = (PROJECT / "Dockerfile").read_text()
    refs = {}
    for version, with_0002 in (("v1", "0"), ("v2", "1")):
        refs[version] = machine_docker.build_and_push(dockerfile, REPOSITORY, f"{version}-{run_id}", context=PROJECT,
                                                      build_args={"BASE": base_image, "WITH_0002": with_0002})
    yield Images(repository=f"{lab_helpers.REGISTRY}/{REPOSITORY}",
                 v1=refs["v1"].rsplit(":", 1)[1], v2=refs["v2"].rsplit(":", 1)[1])
    for ref in refs.values():
        host_run(HOST, "docker", "image", "rm", ref, check=False)
        machine_docker.run("image", "rm", ref.replace(lab_helpers.REGISTRY, lab_helpers.registry_on_machine(), 1),
                           check=False)


@pytest.fixture(scope="module")
def app(images: Images) -> Iterator[App]:
    """An app as a server holds it: a release record, a root-only env file, data dirs."""
    name = f"itdj{uuid.uuid4().hex[:6]}"
    the_app = App(name=name, secret=f"it-secret-{uuid.uuid4().hex}", data=f"/srv/{name}/data",
                  static=f"/srv/{name}/static")
    host_run(HOST, "mkdir", "-p", f"/var/www/{name}", the_app.data, the_app.static)
    host_run(HOST, "chown", APP_UID, the_app.data, the_app.static)
    set_release(name, images.v1)
    env = f"# {name}\nexport SECRET_KEY='{the_app.secret}'\nDEBUG=0\nDATABASE_PATH=/data/db.sqlite3\n"
    host_run(HOST, "install", "-m", "0600", "/dev/stdin", f"/etc/default/{name}", input=env)
    yield the_app
    leftovers = containers_of(name)
    for container in leftovers:
        host_run(HOST, "docker", "rm", "-f", container, check=False)
    host_run(HOST, "rm", "-rf", f"/var/www/{name}", f"/srv/{name}", f"/etc/default/{name}")
    assert not leftovers, f"containers left behind: {leftovers}"


def set_release(name: str, tag: str) -> None:
    host_run(HOST, "sh", "-c", f"echo 'export TAG={tag}' > /var/www/{name}/TAG")


def containers_of(name: str) -> list[str]:
    out = host_run(HOST, "docker", "ps", "-aq", "--filter", f"label=dockyard.django.task={name}").stdout
    return out.split()


def task(the_app: App, *, check: bool = False, **args: Any) -> dict[str, Any]:
    result = run_module(HOST, MODULE, the_app.args(**args), check=check)
    assert containers_of(the_app.name) == [], "the task's container must always be removed"
    assert the_app.secret not in json.dumps(result), "an env file value leaked into the result"
    return result


def db_size(the_app: App) -> int:
    out = host_run(HOST, "sh", "-c", f"stat -c %s {the_app.data}/db.sqlite3 2>/dev/null || echo 0").stdout
    return int(out.strip())


def test_migrate_lifecycle(app: App, images: Images) -> None:
    set_release(app.name, images.v1)
    migrate = ["migrate", "--noinput"]
    first = ["contenttypes.0001_initial", "contenttypes.0002_remove_content_type_name", "notes.0001_initial"]

    plan = task(app, check=True, argv=migrate)
    assert not plan["failed"], plan.get("msg")
    assert plan["changed"] and plan["pending"] == first
    assert plan["tag"] == images.v1
    assert plan["cmd"] == ["python", "manage.py", "migrate", "--noinput", "--plan"]
    assert db_size(app) == 0, "check mode must not create any table"
    assert task(app, check=True, argv=migrate)["pending"] == first

    applied = task(app, argv=migrate)
    assert not applied["failed"], applied.get("msg")
    assert applied["changed"] and applied["applied"] == first
    assert applied["rc"] == 0 and isinstance(applied["duration"], float)
    assert db_size(app) > 0

    again = task(app, argv=migrate)
    assert not again["failed"] and not again["changed"]
    assert again["applied"] == [] and "No migrations to apply." in again["stdout"]

    # An upgrade: the new release brings exactly one migration.
    set_release(app.name, images.v2)
    plan = task(app, check=True, argv=migrate)
    assert plan["changed"] and plan["pending"] == ["notes.0002_seed_note"] and plan["tag"] == images.v2
    upgraded = task(app, argv=migrate)
    assert upgraded["changed"] and upgraded["applied"] == ["notes.0002_seed_note"]
    assert not task(app, argv=migrate)["changed"]
    assert task(app, check=True, argv=migrate)["pending"] == []


def test_collectstatic_copies_once(app: App, images: Images) -> None:
    collect = ["collectstatic", "--noinput"]
    dry = task(app, check=True, argv=collect, tag=images.v1)
    assert not dry["failed"], dry.get("msg")
    assert dry["changed"] and dry["tag"] == images.v1
    assert host_run(HOST, "ls", "-A", app.static).stdout == "", "check mode must copy nothing"

    copied = task(app, argv=collect, tag=images.v1)
    assert not copied["failed"], copied.get("msg")
    assert copied["changed"] and "1 static file copied" in copied["stdout"]
    assert host_run(HOST, "test", "-f", f"{app.static}/notes/notes.css", check=False).returncode == 0

    again = task(app, argv=collect, tag=images.v1)
    assert not again["changed"] and "0 static files copied" in again["stdout"]
    assert not task(app, check=True, argv=collect, tag=images.v1)["changed"]


def test_non_zero_exit_fails_with_rc(app: App) -> None:
    result = task(app, argv=["fail", "--code", "3"])
    assert result["failed"] and result["rc"] == 3
    assert "(exit 3)" in result["msg"] and "failing on purpose" in result["msg"]
    assert "********" in result["msg"] and "********" in result["stderr"]


def test_secret_printed_on_purpose_never_shows(app: App) -> None:
    result = task(app, argv=["printsecret"])
    assert not result["failed"], result.get("msg")
    assert result["stdout"].strip() == "SECRET_KEY is ********"


def test_extra_env_is_masked_too(app: App) -> None:
    extra = f"extra-{uuid.uuid4().hex}"
    result = task(app, argv=["printsecret"], env={"SECRET_KEY": extra})
    assert result["stdout"].strip() == "SECRET_KEY is ********"
    assert extra not in json.dumps(result)


def test_timeout_kills_and_removes(app: App) -> None:
    result = task(app, argv=["sleep", "120"], timeout=3)
    assert result["failed"]
    assert "timeout of 3 seconds" in result["msg"]
    assert result["duration"] < 60


def test_user_network_and_read_only_commands(app: App) -> None:
    probe = ["shell", "-c", "import os, socket; print('uid', os.getuid(), 'ifaces', len(socket.if_nameindex()))"]
    as_image_user = task(app, argv=probe, changes=False)
    assert not as_image_user["failed"], as_image_user.get("msg")
    assert not as_image_user["changed"]
    # network: none by default, so only the loopback interface.
    assert f"uid {APP_UID} ifaces 1" in as_image_user["stdout"]
    assert "uid 0 " in task(app, argv=probe, changes=False, user="0")["stdout"]
    # Read-only commands run in check mode too; others are skipped.
    assert task(app, check=True, argv=["check"], changes=False)["rc"] == 0
    skipped = task(app, check=True, argv=["sleep", "1"])
    assert skipped["skipped"] and not skipped["changed"] and "rc" not in skipped


def test_bad_inputs_change_nothing(app: App, images: Images) -> None:
    since = host_run(HOST, "date", "+%s").stdout.strip()
    host_run(HOST, "mkdir", "-p", f"/srv/{app.name}/badroot/{app.name}")
    host_run(HOST, "sh", "-c", f"echo 'TAG is v1' > /srv/{app.name}/badroot/{app.name}/TAG")
    bad = [
        ({"tag": "bad tag"}, "not a valid Docker tag"),
        ({"app": "../x"}, "not a valid app name"),
        ({"app": "a b"}, "not a valid app name"),
        ({"app": "x;y"}, "not a valid app name"),
        ({"image": f"{images.repository}:{images.v1}"}, "must not carry a tag"),
        ({"argv": []}, "argv must be a non-empty list"),
        ({"timeout": 0}, "timeout must be a positive"),
        ({"root": f"/srv/{app.name}/nowhere"}, f"/srv/{app.name}/nowhere/{app.name}/TAG does not exist"),
        ({"root": f"/srv/{app.name}/badroot"}, f"/srv/{app.name}/badroot/{app.name}/TAG is malformed"),
        ({"env_file": f"/srv/{app.name}/no-env"}, f"env file /srv/{app.name}/no-env does not exist"),
    ]
    for overrides, message in bad:
        result = task(app, **{"argv": ["migrate", "--noinput"], **overrides})
        assert result["failed"], overrides
        assert message in result["msg"], (overrides, result["msg"])
    until = host_run(HOST, "date", "+%s").stdout.strip()
    created = host_run(HOST, "docker", "events", "--since", since, "--until", until, "--filter", "type=container",
                       "--filter", "event=create", "--format", "{{.Actor.Attributes.name}}").stdout.split()
    assert [name for name in created if name.startswith("dockyard-task-")] == []
