"""Fixtures for the deploy tests: a provisioned lab, demo images, and helpers to deploy,
read the release files and watch what the nginx front serves."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import urllib3
import yaml

import lab_helpers
from loadgen import LoadGenerator, PageViewGenerator, front_address

# demo is served over HTTPS (acme: true in lab/group_vars: HTTP redirects), solo over HTTP.
APPS = {"demo": {"web": ["web1", "web2"], "worker": ["worker1"], "server_name": "demo.lab", "scheme": "https"},
        "solo": {"web": ["web2"], "worker": ["worker1"], "server_name": "solo.lab", "scheme": "http"}}


def lb_address() -> str:
    return front_address(lab_helpers.container("lb1"))


def front_url(app: str, path: str = "/version") -> str:
    return f"{APPS[app]['scheme']}://{lb_address()}{path}"


# The deploy tests watch which release serves, not the certificate (tests/tls checks that
# against the ACME CA's root, which the lab's pebble makes anew at each start).
VERIFY = False
warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)


@dataclass
class Run:
    """One ansible-playbook run: its exit code, output and the recap's changed counts."""

    rc: int
    out: str

    @property
    def changed(self) -> dict[str, int]:
        recap = self.out[self.out.rindex("PLAY RECAP"):] if "PLAY RECAP" in self.out else ""
        return {host: int(n) for host, n in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", recap, re.M)}


def playbook(name: str, *args: str) -> Run:
    """Run a playbook at -vvv, as a CI log shows it: whatever it prints, no lab secret appears."""
    proc = lab_helpers.run_playbook(f"playbooks/{name}", "-vvv", *args)
    run = Run(proc.returncode, proc.stdout + proc.stderr)
    leaked = lab_helpers.secrets_in(run.out)
    assert not leaked, f"playbooks/{name} {' '.join(args)} printed secrets at -vvv: {leaked}"
    return run


def deploy(app: str, tag: str, *args: str) -> Run:
    return playbook("deploy.yml", "-e", f"app={app}", "-e", f"tag={tag}", *args)


def with_group_vars(tmp_path, values: dict) -> list[str]:
    """Inventory arguments: the lab's inventory, then a second source whose group_vars/all sets
    ``values`` (what an operator puts in group_vars, not on the command line)."""
    overlay = tmp_path / "overlay"
    (overlay / "group_vars").mkdir(parents=True)
    (overlay / "group_vars" / "all.yml").write_text(yaml.safe_dump(values))
    (overlay / "hosts.yml").write_text("all: {}\n")
    return ["-i", str(lab_helpers.INVENTORY), "-i", str(overlay / "hosts.yml")]


_APP_HOST_STATE = """
for app in demo solo; do for f in TAG REVERT HISTORY.json SLOT slots/a.env slots/b.env; do
  echo "== $app/$f"; cat "/var/www/$app/$f" 2>/dev/null; done; done
echo "== containers"; docker ps -a --format '{{.ID}} {{.Names}} {{.Image}} {{.State}}' | grep -E ' (demo|solo)-' | sort; true
"""
_FRONT_STATE = """
for f in /etc/nginx/dockyard/*/upstream.d/*.conf /var/lib/dockyard/locks/*; do
  [ -e "$f" ] && { echo "== $f"; cat "$f"; }; done; true
"""


def lab_state() -> dict[str, str]:
    """What a run must not change when it refuses its input: the apps' release files and slots,
    their containers on the app hosts, the front's upstream files and the deploy locks (not other
    containers: the integration tests run theirs on web1 and worker1 beside the deploy tests)."""
    hosts = {"web1": _APP_HOST_STATE, "web2": _APP_HOST_STATE, "worker1": _APP_HOST_STATE, "lb1": _FRONT_STATE}
    with ThreadPoolExecutor(len(hosts)) as pool:
        found = pool.map(lambda item: (item[0], lab_helpers.host_run(item[0], "sh", "-c", item[1]).stdout),
                         hosts.items())
    return dict(found)


def dumps_of(app: str) -> list[str]:
    """The database dumps of an app on db1, oldest first."""
    out = lab_helpers.host_run("db1", "find", f"/var/backups/postgresql/{app}", "-name", "*.dump", check=False).stdout
    return sorted(out.split())


def release_files(host: str, app: str) -> tuple[str | None, str | None]:
    result = lab_helpers.run_module(host, "dockyard.django.release_info", {"app": app})
    assert not result["failed"], result.get("msg")
    return result["current"], result["previous"]


def lock_of(app: str) -> dict | None:
    result = lab_helpers.run_module("lb1", "dockyard.django.deploy_lock_info", {"app": app})
    assert not result["failed"], result.get("msg")
    return result["lock"]


def serving(app: str, requests_count: int = 8) -> set[str | None]:
    """The releases the nginx front serves for an app right now."""
    with LoadGenerator(front_url(app), APPS[app]["server_name"], workers=1,
                       max_requests=requests_count, max_seconds=30, verify=VERIFY) as load:
        load.wait_for(requests_count)
    assert not load.failed, load.describe_failures()
    return load.releases()


# The tests' clients pause 50 ms between requests (about 60 requests a second in all, a request
# every ~16 ms through each switch): the lab, the deploy and its clients share this machine's
# CPUs, and clients that never pause slow the deploy they watch. `make bench` loads harder.
CLIENT_PAUSE = 0.05


def load_for(app: str) -> LoadGenerator:
    """Steady load through the front: 4 clients, bounded to 15 minutes."""
    return LoadGenerator(front_url(app), APPS[app]["server_name"], workers=4, pause=CLIENT_PAUSE, max_seconds=900,
                         verify=VERIFY)


def pages_for(app: str, **kwargs: object) -> PageViewGenerator:
    """Browsers through the front: 4 clients each loading the page and every static file it
    links, each on a new connection; bounded to 30 minutes (as long as a playbook may run,
    lab_helpers.run_playbook: on a crowded machine a deploy outlasts 15)."""
    return PageViewGenerator(front_url(app, "/"), APPS[app]["server_name"], workers=4, pause=CLIENT_PAUSE,
                             max_seconds=1800, verify=VERIFY, **kwargs)


class Background:
    """A command started now in a process of its own, its output in a file: for a slow build
    that a later test needs, so that it runs while the tests before that one do."""

    def __init__(self, argv: list[str], timeout: float) -> None:
        self.argv = argv
        self.deadline = time.monotonic() + timeout
        self.log = tempfile.TemporaryFile(mode="w+")  # pylint: disable=consider-using-with  # closed in result()
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, text=True)  # pylint: disable=consider-using-with

    def result(self) -> subprocess.CompletedProcess:
        """Wait for it (until its deadline), then its exit code and output."""
        try:
            self.process.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.seek(0)
        return subprocess.CompletedProcess(self.argv, self.process.returncode, self.log.read(), "")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session", autouse=True)
def early_builds(request: pytest.FixtureRequest, lab: None) -> Iterator[dict[str, Background]]:
    """Builds that later deploy tests need, started when the first deploy test starts: the
    Wagtail app's image (test_wagtail.py; minutes of wheels and docker build) builds while the
    tests before it run. Only for the tests this session runs."""
    builds: dict[str, Background] = {}
    if any(item.path.name == "test_wagtail.py" for item in request.session.items):
        tag = f"w1-{uuid.uuid4().hex[:8]}"
        builds["wagtail"] = Background(["bash", str(lab_helpers.REPO / "tests/apps/wagtail/build-image.sh"), tag],
                                       timeout=1800)
    yield builds
    for build in builds.values():
        build.stop()


@pytest.fixture(scope="session")
def provisioned(lab: None, image_builds: Future) -> None:
    """The lab provisioned by playbooks/site.yml (idempotent: quick when it already is), with
    no deploy lock left by an earlier test run that was interrupted (a session owns the lab).
    Not while another deploy test file runs (see lab_turn). The demo images build meanwhile
    (image_builds): they need the registry, not the provisioned hosts."""
    with lab_helpers.exclusive("deploy-tests"):
        run = playbook("site.yml")
        assert run.rc == 0, run.out[-4000:]
        for app in APPS:
            stale = lab_helpers.run_module("lb1", "dockyard.django.deploy_lock",
                                           {"app": app, "state": "released", "force": True})
            assert not stale["failed"], stale.get("msg")


@pytest.fixture(scope="module", autouse=True)
def lab_turn() -> Iterator[None]:
    """The deploy test files take turns on the lab: pytest-xdist runs files side by side, and
    two files provisioning and deploying at once would change what the other measures."""
    with lab_helpers.exclusive("deploy-tests"):
        yield


@dataclass
class Images:
    """Demo image tags pushed for this test session (unique, so runs never see old state)."""

    prefix: str

    def tag(self, name: str) -> str:
        return f"{name}-{self.prefix}"


def build_images() -> Images:
    """Build and push the demo images of this test run: pytest-xdist's workers share one set
    (the first worker to get here builds it, the others read its prefix)."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)
    record = lab_helpers.STATE / f"images-{run_id}"
    with lab_helpers.exclusive("images"):
        if record.exists():
            return Images(prefix=record.read_text().strip())
        images = Images(prefix=time.strftime("%m%d%H%M") + uuid.uuid4().hex[:4])
        builds = [("r1", "normal"), ("r2", "normal"), ("r3", "normal"), ("unhealthy", "unhealthy"),
                  ("badmig", "badmigration"), ("newmig", "newmigration"), ("restyled", "restyled"),
                  ("halfhealthy", "halfhealthy")]

        def build(name: str, variant: str) -> subprocess.CompletedProcess:
            return subprocess.run(["bash", str(lab_helpers.REPO / "examples/demo/bin/build-image.sh"),
                                   images.tag(name), variant], text=True, capture_output=True, timeout=1200,
                                  check=False)

        # The variants share every layer but their last ones: the first build fills the cache
        # (and the wheelhouse), the others run side by side on it.
        first = build(*builds[0])
        assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
        with ThreadPoolExecutor(4) as pool:
            for proc in pool.map(lambda item: build(*item), builds[1:]):
                assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        for old in lab_helpers.STATE.glob("images-*"):
            old.unlink()
        record.write_text(images.prefix)
        return images


@pytest.fixture(scope="session")
def image_builds(request: pytest.FixtureRequest, lab: None) -> Iterator[Future | None]:
    """The demo images, building in the background from the first deploy test on while
    site.yml (provisioned) runs: minutes each on a fresh machine. None when no test of this
    session needs them."""
    if not any("images" in item.fixturenames for item in request.session.items):
        yield None
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(build_images)
        yield future
        future.cancel()


@pytest.fixture(scope="session")
def images(provisioned: None, image_builds: Future | None) -> Images:
    """Demo image tags pushed for this test session, once site.yml provisioned the lab."""
    return image_builds.result() if image_builds is not None else build_images()


def runs_everywhere(app: str, tag: str) -> bool:
    """Every host of the app has `tag` in TAG, and the front serves only it."""
    hosts = APPS[app]["web"] + APPS[app]["worker"]
    # One Ansible run per host: side by side, as each waits mostly on its own start-up.
    with ThreadPoolExecutor(max_workers=len(hosts) + 1) as pool:
        served = pool.submit(serving, app)
        current = list(pool.map(lambda host: release_files(host, app)[0], hosts))
        return all(release == tag for release in current) and served.result() == {tag}


def ensure_deployed(images: Images) -> str:
    """demo and solo both run r1: deployed where they do not. Both apps are read side by side."""
    tag = images.tag("r1")
    with ThreadPoolExecutor(max_workers=len(APPS)) as pool:
        there = dict(zip(APPS, pool.map(lambda app: runs_everywhere(app, tag), APPS)))
    for app in APPS:
        if not there[app]:
            run = deploy(app, tag)
            assert run.rc == 0, run.out[-4000:]
    return tag


def assert_no_lock_held() -> None:
    with ThreadPoolExecutor(max_workers=len(APPS)) as pool:
        locks = dict(zip(APPS, pool.map(lock_of, APPS)))
    for app, lock in locks.items():
        assert lock is None, f"the deploy lock of {app} outlived the test"


@pytest.fixture
def deployed(images: Images) -> Iterator[str]:
    """demo and solo both run r1 (deployed when they do not), and no lock is held. Every deploy
    test starts with this check."""
    tag = ensure_deployed(images)
    yield tag
    assert_no_lock_held()
