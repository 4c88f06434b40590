"""playbooks/site.yml, deploy.yml and rollback.yml on the lab, under real HTTP load through nginx.

Every "must hold" of a deploy: zero failed requests (two web hosts and one), automatic
rollback, migration failure, missing tag, no-op, lock, check mode, a host dying mid-deploy,
rollbacks (to REVERT, without pulling; with the migrations warning), and every page view
whole (the page and each static file it links) while releases whose static files differ
replace each other: browsers load pages beside the steady load of the deploy with two web
hosts and with one, of the rollback, and of the automatic rollback after a host switched
(the `restyled` and `halfhealthy` releases have another stylesheet than r1).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time

import pytest

from ansible_collections.dockyard.django.plugins.filter.apps import DATABASE_CA_FILE

import lab_helpers
from conftest import (APPS, Images, deploy, dumps_of, load_for, lock_of, pages_for, playbook, release_files, serving,
                      with_group_vars)

pytestmark = pytest.mark.lab


def assert_release(app: str, current: str, previous: str | None) -> None:
    for host in APPS[app]["web"] + APPS[app]["worker"]:
        assert release_files(host, app) == (current, previous), host


def assert_no_failed_requests(load, allowed: set[str]) -> None:
    summary = load.summary()
    assert summary["sent"] > 50, summary
    assert not load.failed, f"{summary}: {load.describe_failures()}"
    assert load.releases() <= allowed, load.releases()


def assert_pages_whole(pages, seen: set[str]) -> None:
    """Every page view whole, and at least one page view from each release in `seen`."""
    summary = pages.summary()
    assert summary["views"] > 20, summary
    assert not pages.broken, f"{summary}: {pages.describe_broken()}"
    assert seen <= pages.releases(), summary


def assert_front_served_static(app: str, since: int) -> None:
    """The demo stylesheet requests nginx logged since line `since` were answered by nginx itself."""
    lines = lab_helpers.host_run("lb1", "sh", "-c", f"tail -n +{since} /var/log/nginx/access.log "
                                 f"| grep 'host={APPS[app]['server_name']} ' | grep 'GET /static/notes/demo'").stdout
    assert lines.strip(), "no static file request reached the front"
    assert all("upstream=- " in line for line in lines.splitlines()), lines[:600]


def access_log_length() -> int:
    return int(lab_helpers.host_run("lb1", "sh", "-c", "wc -l < /var/log/nginx/access.log").stdout) + 1


def test_site_rerun_changes_nothing(provisioned: None) -> None:
    """playbooks/site.yml is idempotent: the fixture provisioned, a second run changes nothing."""
    run = playbook("site.yml")
    assert run.rc == 0, run.out[-4000:]
    assert run.changed and all(n == 0 for n in run.changed.values()), run.changed
    # The roles read what is installed and running, and confirm nothing with apt or systemd
    # (seconds per host each: a regression shows only in time otherwise). -vvv names every
    # module a task runs.
    confirmed = re.findall(r"Using module file \S*/modules/(apt|systemd_service|systemd|service)\.py", run.out)
    assert not confirmed, f"a run with nothing to change still ran {sorted(set(confirmed))}"


def test_rolling_deploy_fails_no_request(deployed: str, images: Images) -> None:
    new = images.tag("restyled")
    since = access_log_length()
    with load_for("demo") as load, pages_for("demo") as pages:
        run = deploy("demo", new)
    assert run.rc == 0, run.out[-4000:]
    assert_pages_whole(pages, {deployed, new})
    assert_front_served_static("demo", since)
    # A normal deploy warns about nothing, even at -vvv.
    assert not re.findall(r"^.*\[WARNING\].*$", run.out, re.M), re.findall(r"^.*\[WARNING\].*$", run.out, re.M)
    # The pre-migration dump (deploy_backup defaults to true).
    assert any(name.endswith(f"-pre-{new}.dump") for name in dumps_of("demo")), dumps_of("demo")
    assert_no_failed_requests(load, {deployed, new})
    assert new in load.releases()
    assert serving("demo") == {new}
    assert_release("demo", new, deployed)
    # The old release is kept, stopped, on every web host: a rollback is a start, not a pull.
    for host in APPS["demo"]["web"]:
        names = lab_helpers.host_run(host, "docker", "ps", "-a", "--filter", "label=dockyard.app=demo",
                                     "--format", "{{.Image}} {{.State}}").stdout
        assert f"registry:5000/demo:{deployed} exited" in names, names
        audit = lab_helpers.host_run(host, "tail", "-n", "1", "/var/log/dockyard/demo.log").stdout
        entry = json.loads(audit)
        assert (entry["from"], entry["to"], entry["result"]) == (deployed, new, "ok")
    assert "switch web1" in run.out and "switch web2" in run.out  # per-phase durations


def test_deploying_the_current_tag_changes_nothing(images: Images) -> None:
    current = release_files("web1", "demo")[0]
    run = deploy("demo", current)
    assert run.rc == 0, run.out[-4000:]
    assert run.changed and all(n == 0 for n in run.changed.values()), run.changed
    assert "nothing to do" in run.out


def test_a_worker_stopped_by_hand_is_started_by_a_deploy_of_the_current_tag(images: Images) -> None:
    """Not "nothing to do": the one read per host sees the stopped worker, and the run starts it."""
    current = release_files("web1", "demo")[0]
    host = APPS["demo"]["worker"][0]
    lab_helpers.host_run(host, "docker", "stop", "demo-worker-1")
    run = deploy("demo", current)
    assert run.rc == 0, run.out[-4000:]
    assert "result: nothing to do" not in run.out and "result: ok" in run.out, run.out[-3000:]
    state = lab_helpers.host_run(host, "docker", "inspect", "--format", "{{.State.Running}} {{.Config.Image}}",
                                 "demo-worker-1").stdout.split()
    assert state[0] == "true" and state[1].endswith(f":{current}"), state


def test_rollback_to_revert_without_pulling(images: Images) -> None:
    current, previous = release_files("web1", "demo")
    assert previous is not None
    with load_for("demo") as load, pages_for("demo") as pages:
        run = playbook("rollback.yml", "-e", "app=demo")
    assert run.rc == 0, run.out[-4000:]
    assert_no_failed_requests(load, {current, previous})
    assert_pages_whole(pages, {current, previous})
    assert serving("demo") == {previous}
    assert_release("demo", previous, current)
    # The image was retained: the pull phase's read found it, and nothing was pulled.
    pull = run.out.split("TASK [dockyard.django.deploy : Pull")[1].split("TASK [")[0]
    for host in APPS["demo"]["web"]:
        assert f"skipping: [{host}]" in pull, pull


def test_single_web_host_app_fails_no_request(deployed: str, images: Images, tmp_path) -> None:
    new = images.tag("restyled")
    dumps = dumps_of("solo")
    with load_for("solo") as load, pages_for("solo") as pages:
        # deploy_backup: false in group_vars skips the pre-migration dump.
        run = deploy("solo", new, *with_group_vars(tmp_path, {"deploy_backup": False}))
    assert run.rc == 0, run.out[-4000:]
    assert dumps_of("solo") == dumps, "deploy_backup: false in group_vars still took a dump"
    backup_play = run.out.split("PLAY [Deploy | backup]")[1].split("PLAY [")[0]
    assert "skipping: no hosts matched" in backup_play, backup_play
    assert_no_failed_requests(load, {deployed, new})
    assert_pages_whole(pages, {deployed, new})
    assert serving("solo") == {new}
    # demo shares web2 and worker1 and was not touched.
    assert serving("demo") == {deployed}


def test_unhealthy_release_is_rolled_back(deployed: str, images: Images) -> None:
    before = release_files("web1", "demo")
    with load_for("demo") as load:
        run = deploy("demo", images.tag("unhealthy"))
    assert run.rc != 0
    assert "web1 at phase 'switch'" in run.out and "did not become healthy" in run.out, run.out[-3000:]
    assert_no_failed_requests(load, {deployed})
    assert_release("demo", *before)
    assert lock_of("demo") is None


def test_failure_after_a_host_switched_rolls_it_back(deployed: str, images: Images) -> None:
    """halfhealthy serves on web1, then fails its health check on web2: every host goes back."""
    new = images.tag("halfhealthy")
    before = release_files("web1", "demo")
    with load_for("demo") as load, pages_for("demo") as pages:
        run = deploy("demo", new)
    assert run.rc != 0
    assert "web2 at phase 'switch'" in run.out and "did not become healthy" in run.out, run.out[-3000:]
    assert new in load.releases(), "web1 never switched: the test did not test a rollback"
    assert_no_failed_requests(load, {deployed, new})
    assert_pages_whole(pages, {deployed, new})
    assert serving("demo") == {deployed}
    assert_release("demo", *before)


def test_migration_failure_switches_nothing(deployed: str, images: Images) -> None:
    before = release_files("web1", "demo")
    with load_for("demo") as load:
        run = deploy("demo", images.tag("badmig"))
    assert run.rc != 0
    assert "at phase 'manage'" in run.out, run.out[-3000:]
    assert_no_failed_requests(load, {deployed})
    assert_release("demo", *before)
    assert lock_of("demo") is None


def test_missing_tag_fails_in_preflight(deployed: str) -> None:
    before = release_files("web1", "demo")
    run = deploy("demo", "no-such-tag")
    assert run.rc != 0
    assert "Pre-flight failed, nothing was changed" in run.out and "not found" in run.out, run.out[-3000:]
    assert_release("demo", *before)
    assert lock_of("demo") is None


@pytest.mark.parametrize("args, word", [
    (["-e", "app=demo", "-e", "tag=-bad"], "not a valid Docker tag"),
    (["-e", "app=../etc", "-e", "tag=r1"], "not a valid app name"),
    (["-e", "app=nosuch", "-e", "tag=r1"], "not in dockyard_apps"),
])
def test_bad_input_fails_in_preflight(deployed: str, args: list[str], word: str) -> None:
    run = playbook("deploy.yml", *args)
    assert run.rc != 0 and word in run.out, run.out[-2000:]


def test_lock_blocks_a_second_deploy_of_the_same_app_only(deployed: str, images: Images) -> None:
    taken = lab_helpers.run_module("lb1", "dockyard.django.deploy_lock",
                                   {"app": "demo", "run_id": "other-run", "holder": "alice@elsewhere"})
    assert not taken["failed"], taken.get("msg")
    try:
        blocked = deploy("demo", images.tag("r2"))
        assert blocked.rc != 0
        assert "held by alice@elsewhere (run other-run) since" in blocked.out, blocked.out[-3000:]
        assert_release("demo", deployed, release_files("web1", "demo")[1])
        # Another app deploys while demo is locked.
        other = deploy("solo", deployed)
        assert other.rc == 0, other.out[-3000:]
    finally:
        unlocked = playbook("unlock.yml", "-e", "app=demo")
    assert unlocked.rc == 0 and "Released the lock of alice@elsewhere" in unlocked.out
    assert lock_of("demo") is None


def test_lock_wait_takes_the_lock_when_released(deployed: str) -> None:
    lab_helpers.run_module("lb1", "dockyard.django.deploy_lock", {"app": "demo", "run_id": "short-run"})
    release = threading.Timer(5, lambda: lab_helpers.run_module(
        "lb1", "dockyard.django.deploy_lock", {"app": "demo", "run_id": "short-run", "state": "released"}))
    release.start()
    try:
        run = deploy("demo", deployed, "-e", "lock_wait=120")
    finally:
        release.join()
    assert run.rc == 0, run.out[-3000:]


def demo_containers(host: str) -> list[str]:
    """Every container of the demo app on a host, its services' (label dockyard.app) and its
    manage tasks' (dockyard.django.task), not the integration tests', which run beside these."""
    return sorted(line for label in ("dockyard.app", "dockyard.django.task")
                  for line in lab_helpers.host_run(host, "docker", "ps", "-a", "--filter", f"label={label}=demo",
                                                   "--format", "{{.ID}} {{.Names}} {{.State}}").stdout.splitlines())


def test_check_mode_changes_nothing(deployed: str, images: Images) -> None:
    before = release_files("web1", "demo")
    containers = demo_containers("web1")
    assert containers, "no demo container on web1 to compare"
    run = deploy("demo", images.tag("r2"), "--check", "--diff")
    assert run.rc == 0, run.out[-4000:]
    assert f"+TAG: {images.tag('r2')}" in run.out  # the diff of TAG/REVERT
    assert_release("demo", *before)
    assert demo_containers("web1") == containers
    assert serving("demo") == {deployed}
    assert lock_of("demo") is None


def test_host_dying_mid_deploy_rolls_back_and_a_rerun_converges(deployed: str, images: Images) -> None:
    new = images.tag("r3")
    result: dict = {}
    with load_for("demo") as load:
        worker = threading.Thread(target=lambda: result.update(run=deploy("demo", new)))
        worker.start()
        # Wait until web1 serves the new release, then kill web2 before its turn.
        deadline = time.monotonic() + 600
        while new not in load.releases() and time.monotonic() < deadline and worker.is_alive():
            time.sleep(0.2)
        subprocess.run(["docker", "stop", "-t", "0", lab_helpers.container("web2")], check=True, capture_output=True)
        worker.join(timeout=900)
    run = result["run"]
    try:
        assert run.rc != 0
        assert "web2 at phase" in run.out, run.out[-3000:]
        assert serving("demo") == {deployed}
        assert release_files("web1", "demo")[0] == deployed
        assert lock_of("demo") is None
    finally:
        subprocess.run(["docker", "start", lab_helpers.container("web2")], check=True, capture_output=True)
        lab_helpers.host_run("web2", "systemctl", "is-system-running", "--wait", check=False)
    # web2 is back (its engine restarts the app's containers); a rerun converges.
    rerun = deploy("demo", new)
    assert rerun.rc == 0, rerun.out[-4000:]
    assert serving("demo") == {new}
    assert_release("demo", new, deployed)
    # Requests only failed while web2 was down and nginx had not yet taken it out.
    assert load.releases() <= {deployed, new}


def test_rollback_past_a_migration_warns_and_keeps_it(deployed: str, images: Images) -> None:
    newmig = images.tag("newmig")
    # The lab's database outlives a test session, and a rollback keeps what the newmig
    # release applied: unapply it first, so this deploy applies it again. The run mounts the
    # database's CA as the deploy does (the lab's apps verify the server: sslmode verify-full).
    unapplied = lab_helpers.run_module("web1", "dockyard.django.manage", {
        "app": "demo", "image": "registry:5000/demo", "tag": newmig, "pull": "missing",
        "manage": ["manage"], "argv": ["migrate", "notes", "0002"], "network": "bridge", "timeout": 300,
        "volumes": [f"{DATABASE_CA_FILE}:{DATABASE_CA_FILE}:ro"]})
    assert not unapplied["failed"], unapplied.get("msg")
    run = deploy("demo", newmig)
    assert run.rc == 0, run.out[-4000:]
    history = lab_helpers.run_module("web1", "dockyard.django.release_info", {"app": "demo"})["history"]
    applied = history[-1]["migrations"]
    assert applied, history[-1]
    back = playbook("rollback.yml", "-e", "app=demo", "-e", f"tag={deployed}")
    assert back.rc == 0, back.out[-4000:]
    assert "WARNING" in back.out and all(name in back.out for name in applied), back.out[-3000:]
    assert serving("demo") == {deployed}
