"""Static files of releases, the parts on their own: demo images' static files published from
web1 to the lab front (static_bundle, static_store, the proxy role's static_publish and
static_retain) and fetched through nginx, under a site of the test's own (itstatic.lab)."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator

import pytest
import requests
import urllib3

import lab_helpers
from lab_helpers import host_run, run_module, run_playbook
from loadgen import front_address

# In the deploy group (tests/conftest.py): the proxy role run for this site rewrites the front's
# shared files, which the deploy tests read (site.yml's idempotence among them).
pytestmark = [pytest.mark.lab, pytest.mark.deploys]

APP = "itstatic"
SITE = "itstatic.lab"
REPOSITORY = "registry:5000/demo"
PLAYBOOKS = "tests/integration/playbooks"
# The demo's stylesheet under the hashed names of the normal, restyled and halfhealthy images.
CSS = "/static/notes/demo.{}.css"


def css_names(tag: str) -> list[str]:
    """The hashed names of notes/demo.css in a release's image (read from its static files)."""
    out = host_run("web1", "docker", "run", "--rm", "--entrypoint", "sh", f"{REPOSITORY}:{tag}", "-c",
                   "ls /app/staticfiles/notes").stdout.split()
    return [name for name in out if name.startswith("demo.") and name.endswith(".css") and name != "demo.css"]


@pytest.fixture(scope="module")
def releases(lab: None) -> Iterator[dict[str, str]]:
    """Three demo releases whose stylesheets differ, on web1: {tag: its hashed CSS name}."""
    run = uuid.uuid4().hex[:6]
    tags = {f"st1-{run}": "normal", f"st2-{run}": "restyled", f"st3-{run}": "halfhealthy"}
    for tag, variant in tags.items():
        proc = subprocess.run(["bash", str(lab_helpers.REPO / "examples/demo/bin/build-image.sh"), tag, variant],
                              text=True, capture_output=True, timeout=1200, check=False)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        pulled = run_module("web1", "dockyard.django.image", {"repository": REPOSITORY, "tag": tag})
        assert not pulled["failed"], pulled.get("msg")
    names = {}
    for tag in tags:
        (name,) = css_names(tag)
        names[tag] = name
    assert len(set(names.values())) == 3, names
    yield names
    host_run("web1", "docker", "image", "rm", *(f"{REPOSITORY}:{tag}" for tag in tags), check=False)


@pytest.fixture(scope="module")
def site(lab: None) -> Iterator[str]:
    """The itstatic site on lb1, its other requests going to web1's demo web container."""
    # A store of its own, empty: what an earlier run left would hide what a publish sends.
    emptied = run_module("lb1", "dockyard.django.static_store", {"app": APP, "state": "absent"})
    assert not emptied["failed"], emptied.get("msg")
    slots = run_module("web1", "dockyard.django.web_slot", {"app": "demo", "state": "query"})
    port = 8002 if slots.get("active") == "b" else 8001
    address = front_address(lab_helpers.container("web1"))
    proc = run_playbook(f"{PLAYBOOKS}/static_site.yml", "-e", f"it_web_address={address}", "-e", f"it_web_port={port}")
    assert proc.returncode == 0, proc.stdout[-3000:]
    yield f"http://{front_address(lab_helpers.container('lb1'))}"
    run_playbook(f"{PLAYBOOKS}/static_site.yml", "-e", "it_state=absent")


def publish(releases: list[str], serving: list[str], keep: list[str] | None = None,
            inline_max: int | None = None) -> str:
    extra = {"it_releases": releases, "it_serving": serving, **({"it_keep": keep} if keep is not None else {}),
             **({"it_inline_max": inline_max} if inline_max is not None else {})}
    proc = run_playbook(f"{PLAYBOOKS}/static_publish.yml", "-e", json.dumps(extra))
    assert proc.returncode == 0, proc.stdout[-3000:]
    return proc.stdout


def test_a_failed_pack_names_its_cause_though_the_pack_is_no_log(releases: dict[str, str]) -> None:
    """The pack task hides its result (it may carry the bundle): its failure still says why."""
    first = next(iter(releases))
    proc = run_playbook(f"{PLAYBOOKS}/static_publish.yml", "-e", json.dumps(
        {"it_releases": [first], "it_serving": [first], "it_path": "/app/no-such-dir"}))
    assert proc.returncode != 0
    assert "/app/no-such-dir does not exist in registry:5000/demo:" in proc.stdout, proc.stdout[-3000:]
    assert "Check the static files were packed" in proc.stdout, proc.stdout[-3000:]


def info() -> dict:
    result = run_module("lb1", "dockyard.django.static_store_info", {"app": APP})
    assert not result["failed"], result.get("msg")
    return result


def get(front: str, path: str, **headers: str) -> tuple[requests.Response, str]:
    """GET through the front; returns the response and the access log line nginx wrote for it."""
    request_id = uuid.uuid4().hex
    response = requests.get(front + path, headers={"Host": SITE, "X-Request-ID": request_id, **headers}, timeout=10)
    line = host_run("lb1", "grep", f"request_id={request_id}", "/var/log/nginx/access.log", check=False).stdout
    return response, line


def test_front_serves_the_union_of_two_releases(site: str, releases: dict[str, str]) -> None:
    first, second, _third = releases
    # The first release's bundle (every content, ~1 MB) as a file through the controller, the
    # second's (a few changed files) in the tasks' results and arguments: the same store.
    as_file = publish([first], [first], inline_max=0)
    assert re.search(r"Bring the bundle to the controller\]\s+\*+\s+changed: ", as_file), as_file[-3000:]
    before = info()
    inline = publish([second], [second, first])
    assert re.search(r"from the packed bundle, \S+\]\s+\*+\s+changed: ", inline), inline[-3000:]
    assert re.search(r"Bring the bundle to the controller\]\s+\*+\s+skipping: ", inline), inline[-3000:]
    after = info()
    assert after["serving"] == [second, first] and after["generation"]
    # No extra full copy: the second release brought only its changed files (the stylesheet,
    # its .gz and .br, the manifest), not the ~390 contents both share.
    assert 0 < after["objects"] - before["objects"] <= 8, (before["objects"], after["objects"])
    files = {r["release"]: r["files"] for r in after["releases"]}
    assert files[first] > 700 and files[second] > 700

    for tag in (first, second):
        response, line = get(site, CSS.format(releases[tag].split(".")[1]), **{"Accept-Encoding": "identity"})
        assert response.status_code == 200, (tag, response.status_code)
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "upstream=- " in line, line  # nginx answered, no app was asked
    # The precompressed copies the image carries.
    path = CSS.format(releases[second].split(".")[1])
    bodies = {}
    for accepted, encoding in (("br, gzip", "br"), ("gzip", "gzip"), ("identity", None)):
        response, _line = get(site, path, **{"Accept-Encoding": accepted})
        assert response.headers.get("Content-Encoding") == encoding, accepted
        assert "Accept-Encoding" in response.headers.get("Vary", "")
        bodies[encoding] = response.content
    assert b"VARIANT restyled" in bodies[None] and bodies["gzip"] == bodies[None]
    # urllib3 decodes gzip always, brotli only where it can import a brotli module (not in
    # every toolchain): then the same file, otherwise a smaller encoding of it.
    if "br" in urllib3.util.request.ACCEPT_ENCODING:
        assert bodies["br"] == bodies[None]
    else:
        assert 0 < len(bodies["br"]) < len(bodies[None]) and b"VARIANT" not in bodies["br"]
    # Revalidation works (ETag from the stored content).
    etag = get(site, path)[0].headers["ETag"]
    assert get(site, path, **{"If-None-Match": etag})[0].status_code == 304
    # A name that is not hashed: the release named first wins, and browsers revalidate it.
    response, line = get(site, "/static/notes/demo.css", **{"Accept-Encoding": "identity"})
    assert response.status_code == 200 and "VARIANT restyled" in response.text
    assert response.headers["Cache-Control"] == "public, no-cache" and "upstream=- " in line
    # A file no served release has goes to the app: the access log names the upstream nginx
    # asked. (What answered there is not this test's: the site points at demo's port on web1,
    # where the deploy tests beside this one run demo, which refuses this site's Host with 400,
    # or run nothing for a moment while they switch slots, and then nginx answers 502.)
    response, line = get(site, "/static/notes/not-in-any-release.css")
    assert "upstream=- " not in line and re.search(r"upstream_status=\d{3}", line), line
    assert response.status_code != 200, line


def test_pruning_keeps_the_releases_kept_and_served(site: str, releases: dict[str, str]) -> None:
    first, second, third = releases
    publish([first, second, third], [third, second], keep=[third, second])
    state = info()
    assert [r["release"] for r in state["releases"]] == sorted([second, third])
    assert state["serving"] == [third, second]
    for tag in (second, third):
        response, line = get(site, CSS.format(releases[tag].split(".")[1]))
        assert response.status_code == 200 and "upstream=- " in line, (tag, line)
    # The pruned release's stylesheet is not the front's any more (the app is asked).
    _response, line = get(site, CSS.format(releases[first].split(".")[1]))
    assert "upstream=- " not in line, line
    # Pruning freed the contents only the pruned release had.
    assert state["objects"] < 800
