"""`make bench`: dockyard's deploys measured beside the classic shell pipeline, on the lab.

For each host count (1, 2, 4 web hosts: the apps bench1, bench2, bench4 of
bench/inventory.yml), with steady HTTP load through the nginx front and browser-like page views
(the page and every static file it links; a release's stylesheet differs from the base's):

  dockyard  deploy (a new tag), no-op (the same tag again) with serial=50%, rollback (to REVERT)
  baseline  deploy (another new tag), rollback (swap TAG/REVERT), no-op (the current tag again)

Both tools run once per Ansible connection mode of the lab (--connections, default docker then
ssh: `docker exec` and ssh with pipelining and ControlPersist, as users connect; lab/up.yml
switches the lab between them, and the lab is left in the mode it started in). Each mode also
times a site.yml run with nothing to change. Then every target of issue 17 is printed beside
its figure, per mode.

Each measured run records its steps per host (the dockyard.django.timeline callback, the
baseline's timing log) and every request's outcome. Results: bench/results/<date>.json (every
figure and the machine), <date>.md (the table, also printed), <date>-<N>hosts.png (timelines).
Benchmarks measure; they never fail on a number. A failed step is recorded with its rc.
At the end, bench/down.yml removes the bench apps' containers and the hosts web3 and web4.

    python -m bench.run [--hosts 1,2,4] [--connections docker,ssh]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The bench and the tests share the load generator (tests/loadgen.py).
for path in (REPO, REPO / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench import report  # noqa: E402
from loadgen import LoadGenerator, PageViewGenerator, front_address  # noqa: E402

RESULTS = REPO / "bench" / "results"
LOGS = RESULTS / "logs"
INVENTORY = ["-i", "lab/inventory.yml", "-i", "bench/inventory.yml"]
APPS = {1: ("bench1", ["web1"]), 2: ("bench2", ["web1", "web2"]), 4: ("bench4", ["web1", "web2", "web3", "web4"])}
WORKERS = ["worker1"]
PREFIX = os.environ.get("LAB_PREFIX", "dockyard-lab")
IMAGE = "registry:5000/demo"  # as the lab hosts know it
SERIAL = "50%"  # dockyard's batches: half the web hosts at a time


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ansible_env(timeline: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{env.get('PATH', '')}"
    env.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    env.setdefault("ANSIBLE_HOME", str(REPO / ".cache" / "ansible"))
    env["ANSIBLE_NOCOLOR"] = "1"
    if timeline is not None:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "dockyard.django.timeline"
        env["DOCKYARD_TIMELINE"] = str(timeline)
    return env


def run(argv: list[str], name: str, env: dict[str, str] | None = None) -> int:
    """Run a command from the checkout, its output into bench/results/logs/<name>.log."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"{name}.log", "w", encoding="utf-8") as out:
        return subprocess.run(argv, cwd=REPO, env=env or ansible_env(), stdout=out, stderr=subprocess.STDOUT,
                              check=False).returncode


def must(rc: int, what: str, name: str) -> None:
    if rc != 0:
        sys.exit(f"bench: {what} failed (rc={rc}); see {LOGS / (name + '.log')}")


def machine() -> dict[str, Any]:
    def out(*argv: str) -> str:
        proc = subprocess.run(argv, text=True, capture_output=True, check=False, cwd=REPO, env=ansible_env())
        return proc.stdout.strip().splitlines()[0] if proc.returncode == 0 and proc.stdout.strip() else ""

    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_kb = int(handle.readline().split()[1])
    return {
        "hostname": platform.node(),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "ansible_core": out("ansible", "--version"),
        "docker": out("docker", "version", "--format", "{{.Server.Version}}"),
        "commit": out("git", "rev-parse", "--short", "HEAD"),
    }


class Bench:
    def __init__(self, stamp: str) -> None:
        self.stamp = stamp
        # The lab's connection mode while trials run (switch_connection).
        self.connection = "docker"
        self.front = f"http://{front_address(f'{PREFIX}-lb1')}"
        self.url = f"{self.front}/version"
        self.records: list[dict[str, Any]] = []

    def tag(self, name: str) -> str:
        """A release of this connection mode (each mode deploys releases of its own)."""
        return f"bench-{self.stamp}-{self.connection}-{name}"

    # The two tools

    def dockyard(self, action: str, app: str, hosts: int, tag: str | None) -> None:
        name = f"{self.connection}-{hosts}-dockyard-{action}"
        timeline = LOGS / f"{name}.timeline.json"
        playbook = "playbooks/rollback.yml" if action == "rollback" else "playbooks/deploy.yml"
        # A deploy switches half the web hosts at a time, as issue 17's scaling target says (1 host:
        # one batch of 1); a rollback, all at once (its default).
        serial = [] if action == "rollback" else ["-e", f"serial={SERIAL}"]
        argv = ["ansible-playbook", *INVENTORY, playbook, "-e", f"app={app}", *serial] + (
            ["-e", f"tag={tag}"] if tag else [])
        self._measure(name, "dockyard", action, app, hosts, argv, ansible_env(timeline),
                      lambda: report.steps_from_timeline(json.loads(timeline.read_text())))

    def baseline(self, action: str, app: str, hosts: int, tag: str | None) -> None:
        name = f"{self.connection}-{hosts}-baseline-{action}"
        timing = LOGS / f"{name}.timing.tsv"
        timing.write_text("")
        env = dict(os.environ, WEB_HOSTS=" ".join(APPS[hosts][1]), WORKER_HOSTS=" ".join(WORKERS), IMAGE=IMAGE,
                   TIMING_LOG=str(timing), LAB_PREFIX=PREFIX)
        verb = "rollback" if action == "rollback" else "deploy"
        argv = ["bash", "bench/baseline/pipeline.sh", verb, app] + ([tag] if tag else [])
        self._measure(name, "baseline", action, app, hosts, argv, env,
                      lambda: report.steps_from_baseline_log(timing.read_text()))

    def _measure(self, name: str, tool: str, action: str, app: str, hosts: int, argv: list[str],
                 env: dict[str, str], steps: Any) -> None:
        log(f"{tool} {action} of {app} ({hosts} web host(s), {self.connection})")
        self._settle(app)
        # Beside the steady requests, browsers: the page and every static file it links, each
        # on a new connection (a page view is broken when one of them is not 200).
        with LoadGenerator(self.url, f"{app}.lab", workers=4, max_seconds=900) as load, \
                PageViewGenerator(f"{self.front}/", f"{app}.lab", workers=2, pause=0.05, max_seconds=900) as pages:
            time.sleep(1.0)
            started = time.time()
            rc = run(argv, name, env)
            ended = time.time()
            # A run can end before its hosts serve again (the baseline does not wait for
            # gunicorn): the requests that fail meanwhile are its own, so count until the
            # front answers steadily again.
            self._wait_steady(load)
            settled = time.time()
        trial = report.Trial(tool=tool, action=action, web_hosts=hosts, app=app, started=started, ended=ended,
                             rc=rc, settled=settled, steps=steps(),
                             requests=[report.Request(at=o.at, seconds=o.seconds, ok=o.ok, retried=o.retried)
                                       for o in load.outcomes],
                             pages=[report.PageView(at=v.at, ok=v.ok, release=v.release) for v in pages.outcomes])
        record = report.trial_record(trial)
        record["connection"] = self.connection
        self.records.append(record)
        req = record["requests"]
        log(f"  {record['wall_s']:.1f} s (rc={rc}), serving steadily at {record['steady_s']:.1f} s, "
            f"overhead {record['overhead_s']:.1f} s, "
            f"{req['failed']}/{req['sent']} requests failed, "
            f"{record['pages']['broken']}/{record['pages']['views']} page views broken, "
            f"p50 {req['p50_ms']} ms, p99 {req['p99_ms']} ms")

    @staticmethod
    def _wait_steady(load: LoadGenerator, ok_in_a_row: int = 50, limit: float = 120.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            recent = load.outcomes[-ok_in_a_row:]
            if len(recent) == ok_in_a_row and all(o.ok for o in recent):
                return
            time.sleep(0.2)

    def _settle(self, app: str) -> None:
        """Before a trial: the app answers steadily (what the previous one left is not counted)."""
        with LoadGenerator(self.url, f"{app}.lab", workers=2, max_seconds=130) as load:
            self._wait_steady(load)

    # One host count

    def host_count(self, hosts: int) -> None:
        app, _web = APPS[hosts]
        base, ours, theirs = self.tag("base"), self.tag(f"d{hosts}"), self.tag(f"c{hosts}")
        log(f"{app}: bringing it to {base} (not measured)")
        name = f"{self.connection}-{hosts}-setup-deploy"
        must(run(["ansible-playbook", *INVENTORY, "playbooks/deploy.yml", "-e", f"app={app}", "-e", f"tag={base}"],
                 name), f"deploying {base} to {app}", name)
        self.dockyard("deploy", app, hosts, ours)
        self.dockyard("no-op", app, hosts, ours)
        self.dockyard("rollback", app, hosts, None)
        # The classic pipeline has no front that serves static files: forget what dockyard
        # published, so every static file goes to the app hosts again, as without dockyard.
        name = f"{self.connection}-{hosts}-setup-static-off"
        must(run(["ansible", *INVENTORY, "load_balancers", "-m", "dockyard.django.static_store",
                  "-a", json.dumps({"app": app, "state": "absent"})], name), f"removing {app}'s static store", name)
        self.baseline("deploy", app, hosts, theirs)
        self.baseline("rollback", app, hosts, None)
        self.baseline("no-op", app, hosts, base)


def switch_connection(connection: str) -> None:
    """Bring the lab (and the bench hosts) to a connection mode: lab/up.yml writes the
    inventory for it, and for ssh runs sshd with the lab's key on every host."""
    env = dict(ansible_env(), LAB_CONNECTION=connection)
    name = f"setup-connection-{connection}"
    must(run(["ansible-playbook", "-i", "lab/controller.yml", "lab/up.yml"], name, env), "lab/up.yml", name)
    name = f"setup-up-{connection}"
    must(run(["ansible-playbook", "-i", "lab/controller.yml", *INVENTORY, "bench/up.yml"], name, env),
         "bench/up.yml", name)


def site_noop(connection: str) -> float:
    """Seconds of a site.yml run with nothing to change (the lab provisioned just before)."""
    name = f"{connection}-site-noop"
    started = time.time()
    must(run(["ansible-playbook", *INVENTORY, "playbooks/site.yml"], name), "site.yml", name)
    return time.time() - started


def setup(counts: list[int], connections: list[str], stamp: str) -> None:
    switch_connection(connections[0])
    log("provisioning the lab with the bench apps (playbooks/site.yml)")
    must(run(["ansible-playbook", *INVENTORY, "playbooks/site.yml"], "setup-site"), "site.yml", "setup-site")
    # Every measured deploy and rollback changes the static files, as most releases do: base is
    # the normal demo image, each deployed release the restyled one (another stylesheet name).
    names = [(f"{c}-base", "normal") for c in connections] + [
        (f"{c}-{tool}{n}", "restyled") for c in connections for n in counts for tool in ("d", "c")]
    for name, variant in names:
        tag = f"bench-{stamp}-{name}"
        log(f"building and pushing demo:{tag} ({variant})")
        must(run(["bash", "examples/demo/bin/build-image.sh", tag, variant], f"setup-image-{name}"),
             f"building {tag}", f"setup-image-{name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", default=os.environ.get("BENCH_HOSTS", "1,2,4"),
                        help="web host counts to measure, from 1, 2, 4 (default: all)")
    parser.add_argument("--connections", default=os.environ.get("BENCH_CONNECTIONS", "docker,ssh"),
                        help="the lab's Ansible connection modes to measure in, in order (default: docker,ssh)")
    args = parser.parse_args(argv)
    try:
        counts = sorted({int(n) for n in args.hosts.split(",")})
    except ValueError:
        parser.error(f"--hosts takes numbers separated by commas, got {args.hosts!r}")
    if not set(counts) <= set(APPS):
        parser.error(f"--hosts: only {sorted(APPS)} web hosts are set up, got {args.hosts!r}")
    connections = list(dict.fromkeys(c.strip() for c in args.connections.split(",") if c.strip()))
    if not connections or not set(connections) <= {"docker", "ssh"}:
        parser.error(f"--connections: docker and/or ssh, got {args.connections!r}")
    # The lab goes back to the mode it was in (make lab's LAB_CONNECTION, docker by default).
    lab_mode = os.environ.get("LAB_CONNECTION", "docker")

    stamp = time.strftime("%m%d%H%M") + uuid.uuid4().hex[:4]
    date = time.strftime("%Y-%m-%dT%H%M%S")
    started = time.time()
    bench = Bench(stamp)
    site_noop_s: dict[str, float] = {}
    try:
        setup(counts, connections, stamp)
        for index, connection in enumerate(connections):
            if index > 0:
                switch_connection(connection)
            bench.connection = connection
            log(f"site.yml with nothing to change ({connection})")
            site_noop_s[connection] = site_noop(connection)
            for hosts in counts:
                bench.host_count(hosts)
    finally:
        log("removing the bench apps' containers and the bench hosts (bench/down.yml)")
        run(["ansible-playbook", "-i", "lab/controller.yml", *INVENTORY, "bench/down.yml"], "teardown")
        if bench.connection != lab_mode:
            log(f"bringing the lab back to LAB_CONNECTION={lab_mode}")
            run(["ansible-playbook", "-i", "lab/controller.yml", "lab/up.yml"], "teardown-connection",
                dict(ansible_env(), LAB_CONNECTION=lab_mode))

    RESULTS.mkdir(parents=True, exist_ok=True)
    per_mode = {}
    sections = []
    for connection in connections:
        records = [r for r in bench.records if r["connection"] == connection]
        rows = report.targets(records, site_noop_s.get(connection))
        per_mode[connection] = {"ratios": report.ratios(records), "site_noop_s": site_noop_s.get(connection),
                                "targets": rows}
        sections.append(f"## Connection: {connection}\n\n{report.markdown(records)}\n"
                        f"Targets (issue 17):\n\n{report.targets_markdown(rows)}")
    document = {"date": date, "machine": machine(), "seconds": round(time.time() - started, 1),
                "connections": per_mode, "trials": bench.records}
    (RESULTS / f"{date}.json").write_text(json.dumps(document, indent=1) + "\n")
    text = "\n".join(sections)
    (RESULTS / f"{date}.md").write_text(f"# make bench, {date}\n\n{text}")
    for connection in connections:
        records = [r for r in bench.records if r["connection"] == connection]
        for hosts in counts:
            report.plot(records, hosts, str(RESULTS / f"{date}-{connection}-{hosts}hosts.png"))
    print()
    print(text)
    print(f"\nbench: results in {RESULTS.relative_to(REPO)}/{date}.json, .md and -<mode>-<N>hosts.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
