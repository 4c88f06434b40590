"""A deploy whose controller dies converges: kill -9 of ansible-playbook at four points of a
deploy, under load; the next deploy says which run was interrupted, the phase it reached and
the one command that continues it; after that command every host serves what its TAG says,
no web slot is left half-started, exactly one beat runs, the front points at healthy
containers, and no request failed meanwhile."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

import lab_helpers
from conftest import APPS, Images, deploy, load_for, lock_of, playbook, release_files, serving

pytestmark = pytest.mark.lab

# Where to kill the controller: a line of the deploy's output, its occurrence, and a pause after it.
KILL_POINTS = {
    "after record": ("PLAY [Deploy | backup]", 1, 0.0),
    "after the manage commands": ("PLAY [Deploy | switch]", 1, 0.0),
    "between two web batches": ("PLAY [Deploy | switch]", 2, 0.0),
    "while workers start in the background": ("TASK [dockyard.django.deploy : Run on the release in TAG", 1, 1.0),
    "during the workers phase": ("TASK [dockyard.django.deploy : Wait until workers and beat run the release", 1, 0.0),
}
CONTINUE_RE = re.compile(r"continue it with: (ansible-playbook playbooks/deploy\.yml -e app=demo -e tag=\S+ "
                         r"-e takeover=[A-Za-z0-9_.:-]+)")


def kill_deploy_at(app: str, tag: str, marker: str, occurrence: int, pause: float) -> str:
    """Run a deploy and kill -9 its whole process group (the controller dies) at the marker."""
    env = lab_helpers.ansible_env()
    env.pop("ANSIBLE_STDOUT_CALLBACK")
    proc = subprocess.Popen([str(lab_helpers.VENV_BIN / "ansible-playbook"), "playbooks/deploy.yml",
                             "-e", f"app={app}", "-e", f"tag={tag}"], cwd=lab_helpers.REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    seen, out = 0, []
    deadline = time.monotonic() + 900
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append(line)
        if line.startswith(marker):
            seen += 1
            if seen == occurrence:
                time.sleep(pause)
                os.killpg(proc.pid, signal.SIGKILL)
                break
        assert time.monotonic() < deadline, "the deploy never reached the kill point"
    proc.wait(timeout=60)
    text = "".join(out)
    assert seen == occurrence, f"the deploy ended before {marker!r}:\n{text[-3000:]}"
    assert not lab_helpers.secrets_in(text)
    return text


def containers(host: str, app: str) -> list[tuple[str, str, str]]:
    """(service, image tag, state) of each container of the app on a host (manage containers excluded)."""
    out = lab_helpers.host_run(host, "docker", "ps", "-a", "--filter", f"label=dockyard.app={app}", "--format",
                               '{{.Label "dockyard.service"}} {{.Image}} {{.State}}').stdout
    return [(service, image.rsplit(":", 1)[-1], state) for service, image, state in
            (line.split() for line in out.splitlines()) if service]


def assert_converged(app: str, tag: str) -> None:
    """Every host serves what its TAG says; one running, healthy web slot per web host, which the
    front points at; exactly one beat; no lock."""
    for host in APPS[app]["web"] + APPS[app]["worker"]:
        assert release_files(host, app)[0] == tag, host
    for host in APPS[app]["web"]:
        slots = lab_helpers.run_module(host, "dockyard.django.web_slot_info", {"app": app})
        running = {name: slot for name, slot in slots["slots"].items() if slot["running"]}
        assert list(running) == [slots["active"]], (host, slots)
        assert running[slots["active"]]["tag"] == tag and running[slots["active"]]["health"] == "healthy", slots
        port = 8001 + (1 if slots["active"] == "b" else 0)
        upstream = lab_helpers.host_run("lb1", "cat", f"/etc/nginx/dockyard/{app}/upstream.d/{host}.conf").stdout
        assert f":{port} " in upstream and " down" not in upstream, (host, upstream)
    workers = [entry for host in APPS[app]["worker"] for entry in containers(host, app)]
    beats = [entry for entry in workers if entry[0] == "beat" and entry[2] == "running"]
    assert [entry[1] for entry in beats] == [tag], workers
    assert all(entry[1] == tag for entry in workers if entry[2] == "running"), workers
    assert serving(app) == {tag}
    assert lock_of(app) is None


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_deploy_whose_controller_died_is_continued_by_the_named_command(images: Images, point: str) -> None:
    current = release_files("web1", "demo")[0]
    new = images.tag("r2") if current != images.tag("r2") else images.tag("r3")
    marker, occurrence, pause = KILL_POINTS[point]
    with load_for("demo") as load:
        kill_deploy_at("demo", new, marker, occurrence, pause)
        # The next deploy of the app says what happened and how to continue.
        blocked = deploy("demo", new)
        assert blocked.rc != 0
        found = CONTINUE_RE.search(blocked.out)
        assert found, blocked.out[-3000:]
        assert "which reached phase" in blocked.out, blocked.out[-3000:]
        command = found.group(1).split()
        assert command[:2] == ["ansible-playbook", "playbooks/deploy.yml"] and f"tag={new}" in command
        continued = playbook("deploy.yml", *command[2:])
        assert continued.rc == 0, continued.out[-4000:]
    summary = load.summary()
    assert summary["sent"] > 50 and not load.failed, f"{summary}: {load.describe_failures()}"
    assert_converged("demo", new)
    assert release_files("web1", "demo")[1] == current
