"""Day-2 operations on the lab (issue 14), each against the real state: status.yml against the
hosts' files and containers; logs.yml against a line the test made the app log; maintenance.yml
(503 to one client, 200 to an allowed one); restore.yml (rows written before the dump back, rows
written after it gone, a copy of a dump off the database server). Every playbook runs at -vvv
through conftest.playbook(), which fails on any lab secret in the output. Lean on purpose: one
deployed state, one or two playbook runs per feature (bad inputs: test_bad_inputs.py)."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml

import lab_helpers
from conftest import (APPS, VERIFY, Images, deploy, dumps_of, front_url, lb_address, load_for, lock_of, playbook,
                      release_files, serving, with_group_vars)
from loadgen import named_session

pytestmark = pytest.mark.lab


def debug_msg(out: str, task: str) -> str:
    """The text a debug task printed as its msg (the callback's YAML block), undented."""
    start = out.rindex(f"TASK [{task}]")
    lines = out[start:].splitlines()
    for index, line in enumerate(lines):
        found = re.match(r"^(\s*)msg: (\|-?|'|\")?(.*)$", line)
        if found and index > 0:
            if found.group(2) and found.group(2).startswith("|"):
                indent = len(found.group(1))
                block = []
                for text in lines[index + 1:]:
                    if text.strip() and len(text) - len(text.lstrip()) <= indent:
                        break
                    block.append(text)
                return textwrap.dedent("\n".join(block)).strip("\n")
            return found.group(3).strip("'\"")
    raise AssertionError(f"no msg after TASK [{task}]:\n{out[start:start + 3000]}")


def containers_of(host: str, app: str) -> list[dict]:
    """docker inspect of every container of an app's services on a host."""
    ids = lab_helpers.host_run(host, "docker", "ps", "-aq", "--filter", f"label=dockyard.app={app}").stdout.split()
    return json.loads(lab_helpers.host_run(host, "docker", "inspect", *ids).stdout) if ids else []


def get_front(path: str = "/version", host: str = "demo.lab") -> requests.Response:
    """A request through the front as a client of the app's site makes it (HTTPS for demo)."""
    app = next(name for name, spec in APPS.items() if spec["server_name"] == host)
    with named_session(host, VERIFY) as session:
        return session.get(front_url(app, path), timeout=10, allow_redirects=False)


def get_front_from(lab_host: str, path: str = "/version") -> tuple[int, str]:
    """A request to the front from another lab host (another client address than this machine's),
    as curl sends it there to https://demo.lab (SNI and Host demo.lab; the certificate is
    tests/tls's concern)."""
    out = lab_helpers.host_run(lab_host, "curl", "-sk", "--max-time", "10", "--resolve",
                               f"demo.lab:443:{lb_address()}", "-w", "\n%{http_code}",
                               f"https://demo.lab{path}").stdout
    body, _newline, status = out.rpartition("\n")
    return int(status), body


def address_of(host: str) -> str:
    return subprocess.run(["docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                           lab_helpers.container(host)], text=True, capture_output=True, check=True).stdout.strip()


def demo_sql(query: str) -> str:
    """A query on the demo database, as postgres on db1."""
    return lab_helpers.host_run("db1", "runuser", "-u", "postgres", "--", "psql", "-At", "-d", "demo",
                                "-c", query).stdout.strip()


# -- status ---------------------------------------------------------------------------------------

def test_status_tells_what_runs_where(deployed: str) -> None:
    run = playbook("status.yml", "-e", "app=demo", "-e", "format=json")
    assert run.rc == 0, run.out[-3000:]
    status = json.loads(debug_msg(run.out, "Show the status"))
    assert status["app"] == "demo" and status["lock"] is None and status["beats_running"] == 1
    hosts = {entry["host"]: entry for entry in status["hosts"]}
    assert set(hosts) == {"web1", "web2", "worker1"} and status["unreachable"] == []
    for host, entry in hosts.items():
        assert (entry["tag"], entry["revert"]) == release_files(host, "demo"), host
        # Every container the host has, with the digest and start time docker inspect gives.
        real = {info["Name"].lstrip("/"): info for info in containers_of(host, "demo")}
        assert {c["name"] for c in entry["containers"]} == set(real), host
        for container in entry["containers"]:
            info = real[container["name"]]
            assert container["running"] == info["State"]["Running"]
            assert container["started_at"] == info["State"]["StartedAt"][:19] + "Z"
            digests = json.loads(lab_helpers.host_run(host, "docker", "image", "inspect", info["Image"]).stdout)[0]
            assert f"registry:5000/demo@{container['digest']}" in digests["RepoDigests"]
        assert entry["missing"] == [] and entry["unplaced"] == []
    for host in APPS["demo"]["web"]:
        active = lab_helpers.run_module(host, "dockyard.django.web_slot_info", {"app": "demo"})["active"]
        assert hosts[host]["active_slot"] == active and hosts[host]["front"]["slot"] == active
        assert [c["slot"] for c in hosts[host]["containers"] if c["running"]] == [active]
    last = json.loads(lab_helpers.host_run("web1", "tail", "-n", "1", "/var/log/dockyard/demo.log").stdout)
    assert status["deploys"][0]["run_id"] == last["run_id"]

    # The table, in check mode, with the lock held by someone.
    taken = lab_helpers.run_module("lb1", "dockyard.django.deploy_lock",
                                   {"app": "demo", "run_id": "status-run", "holder": "carol@desk"})
    assert not taken["failed"], taken.get("msg")
    try:
        table = playbook("status.yml", "-e", "app=demo", "--check")
    finally:
        lab_helpers.run_module("lb1", "dockyard.django.deploy_lock", {"app": "demo", "state": "released", "force": True})
    assert table.rc == 0, table.out[-3000:]
    text = debug_msg(table.out, "Show the status")
    assert text.startswith("demo: LOCKED by carol@desk (run status-run)"), text
    for host in ("web1", "web2", "worker1"):
        assert re.search(rf"^{host}\s+{re.escape(deployed)}\s", text, re.M), text
    assert "beat: 1 running" in text and "Last deploys (audit log):" in text


# -- logs -----------------------------------------------------------------------------------------

def test_logs_show_a_line_the_app_logged_prefixed_with_its_host(deployed: str) -> None:
    marker = f"day2-{uuid.uuid4().hex[:12]}"
    for _request in range(4):  # both web hosts see one (round robin)
        assert get_front(f"/version?{marker}").status_code == 200
    run = playbook("logs.yml", "-e", "app=demo", "-e", "since=10m", "-e", "lines=300")
    assert run.rc == 0, run.out[-3000:]
    text = debug_msg(run.out, "Show the logs, oldest first")
    hits = [line for line in text.splitlines() if marker in line]
    assert hits and all(re.match(r"^web[12] web-[ab] \| \d{4}-\d\d-\d\dT", line) for line in hits), hits
    # The worker's heartbeats (every 5 s), prefixed with worker1.
    assert re.search(r"^worker1 worker \| .*notes\.tasks\.heartbeat", text, re.M), text[-2000:]
    only_beat = playbook("logs.yml", "-e", "app=demo", "-e", "service=beat", "-e", "lines=5")
    assert only_beat.rc == 0, only_beat.out[-3000:]
    lines = debug_msg(only_beat.out, "Show the logs, oldest first").splitlines()
    assert lines and all(line.startswith("worker1 beat | ") for line in lines), lines


# -- maintenance ----------------------------------------------------------------------------------

def test_maintenance_page_for_everyone_but_the_allowed_clients(deployed: str, tmp_path: Path) -> None:
    page = tmp_path / "maintenance.html"
    page.write_text(f"<h1>Back at noon {uuid.uuid4().hex[:8]}</h1>")
    run = playbook("maintenance.yml", "-e", "app=demo", "-e", "state=on", "-e", f"allow={address_of('db1')}",
                   "-e", f"page={page}", "-e", "retry_after=120")
    assert run.rc == 0, run.out[-3000:]
    try:
        answer = get_front()
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "120", answer.headers
        assert answer.text == page.read_text() and answer.headers["Cache-Control"] == "no-store"
        assert get_front("/static/notes/demo.css").status_code == 503
        status, body = get_front_from("db1")
        assert status == 200 and json.loads(body)["release"] == deployed
        # solo is not in maintenance.
        assert get_front(host="solo.lab").status_code == 200
    finally:
        off = playbook("maintenance.yml", "-e", "app=demo", "-e", "state=off")
    assert off.rc == 0, off.out[-3000:]
    assert serving("demo") == {deployed}
    again = playbook("maintenance.yml", "-e", "app=demo", "-e", "state=off")
    assert again.rc == 0 and "(it already was)" in again.out and again.changed.get("lb1") == 0, again.changed


def poll_front(stop: threading.Event, seen: list[tuple[int, str | None]]) -> None:
    """What the front answers this machine, every 0.2 s until stopped (at most 15 minutes)."""
    deadline = time.monotonic() + 900
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            answer = get_front()
            seen.append((answer.status_code, answer.json().get("release") if answer.status_code == 200 else
                         answer.headers.get("Retry-After")))
        except requests.RequestException as exc:
            seen.append((0, type(exc).__name__))
        time.sleep(0.2)


def test_a_deploy_in_a_maintenance_window(deployed: str, images: Images) -> None:
    """deploy.yml -e maintenance=true: clients get the app's release, then the maintenance page
    (opened right before the migrations), then the new release once the run succeeded; never a
    page of the new release before the window closes, nor an error."""
    new = images.tag("r2")
    stop, seen = threading.Event(), []
    poller = threading.Thread(target=poll_front, args=(stop, seen), daemon=True)
    poller.start()
    try:
        run = deploy("demo", new, "-e", "maintenance=true")
    finally:
        stop.set()
        poller.join()
        if get_front().status_code == 503:  # the later tests need demo served
            playbook("maintenance.yml", "-e", "app=demo", "-e", "state=off")
    assert run.rc == 0, run.out[-4000:]
    plays = [run.out.index(f"PLAY [Deploy | {phase}]") for phase in
             ("backup", "maintenance", "manage", "switch", "workers", "finish", "reopen", "report")]
    assert plays == sorted(plays)
    # What a client saw, in order: the running release, the maintenance page, the new release.
    stages = [{(200, deployed): 0, (503, "300"): 1, (200, new): 2}.get(answer) for answer in seen]
    runs = [(answer, len(list(group))) for answer, group in itertools.groupby(seen)]
    assert None not in stages and stages == sorted(stages), runs
    assert 1 in stages, runs
    assert serving("demo") == {new}


# -- restore --------------------------------------------------------------------------------------

def note(title: str) -> None:
    demo_sql(f"INSERT INTO notes_note (title, body, created_at) VALUES ('{title}', '', now())")


def test_restore_brings_back_the_dump_and_drops_later_rows(deployed: str, tmp_path: Path) -> None:
    before, after = f"before-{uuid.uuid4().hex[:8]}", f"after-{uuid.uuid4().hex[:8]}"
    note(before)
    # A pre-deploy dump, as the deploy takes it (the postgres role's script, label pre-<tag>).
    label = f"pre-{deployed}"
    dumped = lab_helpers.host_run("db1", "runuser", "-u", "postgres", "--", "/usr/local/sbin/dockyard-postgres-backup",
                                  "--label", label, "demo").stdout.split()[-1]
    note(after)
    # The copy of the dump the restore takes first goes to a backup host: lb1.
    overlay = with_group_vars(tmp_path, {"postgres_backup_copy_to": "lb1"})
    seen: list[tuple[int, str | None]] = []
    workers: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        """The state of demo's worker on worker1 ('' when stopped), every 0.2 s (at most 15 minutes)."""
        deadline = time.monotonic() + 900
        while not stop.is_set() and time.monotonic() < deadline:
            workers.append(lab_helpers.host_run("worker1", "docker", "ps", "--filter", "label=dockyard.app=demo",
                                                "--filter", "label=dockyard.service=worker", "--format",
                                                "{{.State}}").stdout.strip())
            time.sleep(0.2)
    threads = [threading.Thread(target=poll_front, args=(stop, seen), daemon=True), threading.Thread(target=watch)]
    for thread in threads:
        thread.start()
    try:
        run = playbook("restore.yml", *overlay, "-e", "app=demo", "-e", "confirm=demo")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    if run.rc != 0:
        # A restore that fails before its own cleanup (a lost host, a killed run) can leave demo
        # in maintenance; the tests after this one need it served, so end it before reporting.
        playbook("maintenance.yml", "-e", "app=demo", "-e", "state=off")
    assert run.rc == 0, run.out[-4000:]
    assert f"from {Path(dumped).name}" in run.out, run.out[-2000:]
    assert demo_sql(f"SELECT count(*) FROM notes_note WHERE title = '{before}'") == "1"
    assert demo_sql(f"SELECT count(*) FROM notes_note WHERE title = '{after}'") == "0"
    # The app was in maintenance and its workers stopped meanwhile; now both are back.
    assert 503 in {status for status, _body in seen} and "" in workers, (seen[-5:], workers)
    assert seen[-1][0] == 200 and serving("demo") == {deployed}
    assert lab_helpers.host_run("worker1", "docker", "ps", "--filter", "label=dockyard.app=demo", "--filter",
                                "status=running", "--format", '{{.Label "dockyard.service"}}').stdout.split() in (
        ["worker", "beat"], ["beat", "worker"])
    assert lock_of("demo") is None
    # What the restore replaced was dumped first, and a copy is off the database server.
    replaced = [name for name in dumps_of("demo") if name.endswith("-before-restore.dump")][-1]
    assert lab_helpers.host_run("lb1", "test", "-s", replaced, check=False).returncode == 0
    audit = json.loads(lab_helpers.host_run("web1", "tail", "-n", "1", "/var/log/dockyard/demo.log").stdout)
    assert (audit["mode"], audit["to"], audit["result"]) == ("restore", Path(dumped).name, "ok")
    # The app reads the restored database (web's connections to the replaced one were ended).
    assert get_front("/").status_code == 200


# -- config rollouts -------------------------------------------------------------------------------

def env_marks(app: str) -> dict[tuple[str, str], str | None]:
    """(host, service) -> ROLLOUT_MARK in the environment of each running container of the app."""
    marks = {}
    for host in sorted(set(APPS[app]["web"] + APPS[app]["worker"])):
        for info in containers_of(host, app):
            if info["State"]["Running"]:
                env = dict(item.split("=", 1) for item in info["Config"]["Env"])
                marks[(host, info["Config"]["Labels"]["dockyard.service"])] = env.get("ROLLOUT_MARK")
    return marks


def test_an_env_change_rolls_out_with_the_tag_the_app_runs(deployed: str, tmp_path: Path) -> None:
    """site.yml with a new env value, then deploy.yml with the current tag: every web, worker and
    beat container runs the new environment, with zero failed requests, and the release files
    are untouched; the same with the value taken out again."""
    mark = uuid.uuid4().hex[:12]
    apps = ("{{ [dockyard_lab_apps[0] | combine({'env': dockyard_lab_apps[0].env | combine({'ROLLOUT_MARK': '"
            + mark + "'})})] + dockyard_lab_apps[1:] }}")
    overlay = with_group_vars(tmp_path, {"dockyard_apps": apps})
    hosts = APPS["demo"]["web"] + APPS["demo"]["worker"]
    releases = {host: release_files(host, "demo") for host in hosts}
    site = playbook("site.yml", *overlay)
    try:
        assert site.rc == 0, site.out[-4000:]
        with load_for("demo") as load:
            run = deploy("demo", deployed, *overlay)
        assert run.rc == 0, run.out[-4000:]
        summary = load.summary()
        assert summary["sent"] > 50 and not load.failed, f"{summary}: {load.describe_failures()}"
        assert load.releases() == {deployed}
        marks = env_marks("demo")
        assert set(marks) == {("web1", "web"), ("web2", "web"), ("worker1", "worker"), ("worker1", "beat")}, marks
        assert set(marks.values()) == {mark}, marks
        # Not a new release: nothing recorded or backed up, and no migration ran.
        assert {host: release_files(host, "demo") for host in hosts} == releases
        phases = run.out[run.out.rindex("Summarize the run"):].split("TASK [", 1)[0]
        assert "switch web1" in phases and not re.search(r"^\s+(record|backup|manage): ", phases, re.M), phases
    finally:
        # The lab's env again, rolled out the same way (the tests after this one read the app).
        back = playbook("site.yml")
        assert back.rc == 0, back.out[-4000:]
        again = deploy("demo", deployed)
    assert again.rc == 0, again.out[-4000:]
    assert set(env_marks("demo").values()) == {None}
    # Every container runs the files as they are now: the same deploy changes nothing.
    assert "nothing to do" in deploy("demo", deployed).out


# -- placement changes -----------------------------------------------------------------------------

BEAT_HOSTS = ("worker1", "web2")


def beats_running() -> dict[str, int]:
    """How many beat containers of demo run on worker1 and on web2, both read at once."""
    def count(host: str) -> int:
        return len(lab_helpers.host_run(host, "docker", "ps", "-q", "--filter", "label=dockyard.app=demo",
                                        "--filter", "label=dockyard.service=beat", "--filter",
                                        "status=running").stdout.split())
    with ThreadPoolExecutor(len(BEAT_HOSTS)) as pool:
        return dict(zip(BEAT_HOSTS, pool.map(count, BEAT_HOSTS)))


def demo_web_on(host: str) -> list[str]:
    """The names of demo's web containers on a host, running or not."""
    return lab_helpers.host_run(host, "docker", "ps", "-a", "--filter", "label=dockyard.app=demo", "--filter",
                                "label=dockyard.service=web", "--format", "{{.Names}}").stdout.split()


def test_beat_moves_and_a_web_host_leaves_through_the_inventory(deployed: str, tmp_path: Path) -> None:
    """The inventory moves demo's beat from worker1 to web2 and takes web2 out of demo's web
    group: site.yml stops the old beat before it starts the new one (never two beats at any
    poll), the front stops routing to web2 before web2's demo web stops (zero failed requests
    under load), and the deploy after it finds nothing to do. Then the lab's placement again,
    the same way: beat back on worker1, web2 a web host once the deploy started web there."""
    inventory = yaml.safe_load(lab_helpers.INVENTORY.read_text())
    groups = inventory["all"]["children"]["demo"]["children"]
    groups["demo_beat"]["hosts"] = {"web2": None}
    groups["demo_web"]["hosts"] = {"web1": None}
    moved = tmp_path / "moved.yml"
    moved.write_text(yaml.safe_dump(inventory))
    # Beside the copy, as beside the lab's inventory: the lab's group_vars.
    (tmp_path / "group_vars").symlink_to(lab_helpers.INVENTORY.parent / "group_vars")
    polls: list[dict[str, int]] = []
    times: list[float] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def watch() -> None:
        """The beats of demo on both hosts, every 0.2 s (at most 30 minutes); a poll that fails
        ends the watch and is reported, never taken for "no beat"."""
        deadline = time.monotonic() + 1800
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                polls.append(beats_running())
                times.append(time.monotonic())
                time.sleep(0.2)
        except (subprocess.SubprocessError, OSError) as error:
            errors.append(error)
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        try:
            with load_for("demo") as load:
                site = playbook("site.yml", "-i", str(moved))
                assert site.rc == 0, site.out[-4000:]
                run = deploy("demo", deployed, "-i", str(moved))
            assert run.rc == 0, run.out[-4000:]
            moved_polls = len(polls)
            summary = load.summary()
            assert summary["sent"] > 50 and not load.failed, f"{summary}: {load.describe_failures()}"
            assert "nothing to do" in run.out, run.out[-3000:]
            assert beats_running() == {"worker1": 0, "web2": 1}
            # web2 no longer serves demo: no demo web there, no upstream, no slot files; it
            # still runs beat from its env and compose files.
            assert demo_web_on("web2") == [] and serving("demo") == {deployed}
            assert lab_helpers.host_run("lb1", "test", "-e", "/etc/nginx/dockyard/demo/upstream.d/web2.conf",
                                        check=False).returncode == 1
            # (REVERT only if demo ran a release before this one: not on a lab that ran only this test.)
            left = set(lab_helpers.host_run("web2", "ls", "/var/www/demo").stdout.split())
            assert {"HISTORY.json", "TAG", "compose.yml"} <= left <= {"HISTORY.json", "REVERT", "TAG", "compose.yml"}, left
        finally:
            # The lab's placement again (the tests after this one need it), the same way.
            back = playbook("site.yml")
            assert back.rc == 0, back.out[-4000:]
            again = deploy("demo", deployed)
    finally:
        ended = time.monotonic()
        stop.set()
        watcher.join(timeout=30)
    assert again.rc == 0, again.out[-4000:]
    # The polls covered both moves to their end: a watch that died early would see no second beat.
    assert not errors and times and times[-1] >= ended - 5, (errors, times[-1:], ended)
    assert beats_running() == {"worker1": 1, "web2": 0}
    assert len(demo_web_on("web2")) == 1 and serving("demo") == {deployed}
    # Never two beats, at any poll of the move or of the move back.
    assert polls and max(sum(poll.values()) for poll in polls) == 1, [p for p in polls if sum(p.values()) > 1]
    # How long no beat ran (the handover's gap), for `pytest -rP`: a figure, not a limit.
    gaps, since = [], None
    for poll, at in zip(polls, times):
        if sum(poll.values()) == 0 and since is None:
            since = at
        elif sum(poll.values()) > 0 and since is not None:
            gaps.append(at - since)
            since = None
    print(f"{len(polls)} polls ({moved_polls} during the move); stretches with no beat: "
          f"{', '.join(f'{gap:.1f} s' for gap in gaps) or 'none'}")
