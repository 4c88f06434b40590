"""dockyard.django.static_store and static_store_info, run whole on a temporary store root."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.dockyard.django.plugins.modules import static_store, static_store_info
from unit.plugins.module_utils.test__static_store import R1, R2, make_bundle
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args


def run(args: dict[str, Any], module: Any = static_store) -> dict[str, Any]:
    with set_module_args(args), pytest.raises((AnsibleExitJson, AnsibleFailJson)) as caught:
        module.main()
    return caught.value.result


@pytest.fixture
def root(tmp_path: Path) -> str:
    return str(tmp_path / "static")


def publish(root: str, tmp_path: Path, release: str, files: dict[str, bytes], **extra: Any) -> dict[str, Any]:
    bundle = make_bundle(tmp_path / f"{release}.tar", files)
    return run({"app": "demo", "root": root, "release": release, "bundle": str(bundle), **extra})


@pytest.mark.parametrize(("args", "word"), [
    ({"app": "../x"}, "not a valid app name"),
    ({"app": "demo", "root": "relative"}, "root must be an absolute path"),
    ({"app": "demo"}, "release is required with state=present"),
    ({"app": "demo", "release": "r1"}, "exactly one of bundle (a file on the front) and content"),
    ({"app": "demo", "release": "r1", "bundle": "/b.tar", "content": "AAAA"}, "exactly one of bundle"),
    ({"app": "demo", "release": "r1", "content": "not base64!"}, "content is not base64"),
    ({"app": "demo", "state": "serving", "releases": [], "content": "AAAA"}, "content is not accepted with state=serving"),
    ({"app": "demo", "state": "serving"}, "releases is required with state=serving"),
    ({"app": "demo", "state": "serving", "releases": ["r1", "r1"]}, "names a release twice"),
    ({"app": "demo", "state": "serving", "releases": ["bad tag"]}, "releases[0]"),
    ({"app": "demo", "state": "retained"}, "keep is required with state=retained"),
    ({"app": "demo", "state": "retained", "keep": [], "releases": []}, "releases is not accepted with state=retained"),
    ({"app": "demo", "state": "absent", "release": "r1"}, "release is not accepted with state=absent"),
])
def test_bad_input_fails_clearly_and_changes_nothing(root: str, args: dict[str, Any], word: str) -> None:
    result = run({"root": root, **args})
    assert result["failed"] and word in result["msg"], result
    assert result["changed"] is False
    assert not os.path.exists(root)


def test_publish_is_idempotent_and_removes_the_bundle(root: str, tmp_path: Path) -> None:
    checked = publish(root, tmp_path, "r1", R1, _ansible_check_mode=True, _ansible_diff=True)
    assert checked["changed"] and checked["added_objects"] == 3 and not os.path.exists(root)
    assert (tmp_path / "r1.tar").exists(), "check mode removed the bundle"
    assert "r1" in checked["diff"]["after"] and "r1" not in checked["diff"]["before"]

    first = publish(root, tmp_path, "r1", R1)
    assert first["changed"] and first["releases"] == ["r1"] and first["files"] == 4
    assert not (tmp_path / "r1.tar").exists()
    again = publish(root, tmp_path, "r1", R1)
    assert not again["changed"] and again["added_objects"] == 0


def test_publish_from_content_leaves_no_file_and_keeps_it_out_of_the_output(root: str, tmp_path: Path) -> None:
    """A small bundle comes in the arguments (static_bundle's content): the same store as from a file."""
    content = base64.b64encode(make_bundle(tmp_path / "r1.tar", R1).read_bytes()).decode()
    args = {"app": "demo", "root": root, "release": "r1", "content": content}
    before = set(os.listdir(tempfile.gettempdir()))
    checked = run({**args, "_ansible_check_mode": True})
    assert checked["changed"] and checked["added_objects"] == 3 and not os.path.exists(root)
    first = run({**args, "releases": ["r1"]})
    assert first["changed"] and first["releases"] == ["r1"] and first["files"] == 4
    assert (Path(root, "demo", "live") / "robots.txt").read_bytes() == b"v1"
    assert not run(args)["changed"]
    # No temporary bundle is left behind, and the content is masked in the invocation.
    assert set(os.listdir(tempfile.gettempdir())) <= before
    assert content not in json.dumps(first)
    # A bundle that is not one fails naming the problem, and changes nothing.
    broken = run({**args, "release": "r2", "content": base64.b64encode(b"not a tar").decode()})
    assert broken["failed"] and "not a tar file" in broken["msg"]
    assert run({"app": "demo", "root": root, "state": "serving", "releases": ["r1"]})["releases"] == ["r1"]


def test_serving_needs_published_releases_and_swaps_once(root: str, tmp_path: Path) -> None:
    publish(root, tmp_path, "r1", R1)
    missing = run({"app": "demo", "root": root, "state": "serving", "releases": ["r2", "r1"]})
    assert missing["failed"] and "release r2 is not published" in missing["msg"]
    assert not os.path.lexists(os.path.join(root, "demo", "live"))

    publish(root, tmp_path, "r2", R2)
    args = {"app": "demo", "root": root, "state": "serving", "releases": ["r2", "r1"]}
    checked = run({**args, "_ansible_check_mode": True})
    assert checked["changed"] and not os.path.lexists(os.path.join(root, "demo", "live"))
    served = run(args)
    assert served["changed"] and served["serving"] == ["r2", "r1"] and served["generation"] == "g1"
    assert served["files"] == 5  # r2's four, and r1's hashed CSS
    assert not run(args)["changed"]
    live = Path(root, "demo", "live")
    assert (live / "robots.txt").read_bytes() == b"v2"

    # A served release published again with other files: the served tree follows.
    republished = publish(root, tmp_path, "r2", {**R2, "robots.txt": b"v2 again"})
    assert republished["changed"]
    assert (live / "robots.txt").read_bytes() == b"v2 again"


def test_publish_can_serve_in_the_same_call(root: str, tmp_path: Path) -> None:
    publish(root, tmp_path, "r1", R1, releases=["r1"])
    live = Path(root, "demo", "live")
    assert (live / "robots.txt").read_bytes() == b"v1"

    # A release not published, and not the one in the bundle: refused before anything changes.
    unknown = publish(root, tmp_path, "r2", R2, releases=["r2", "r9"])
    assert unknown["failed"] and "release r9 is not published" in unknown["msg"]
    assert (tmp_path / "r2.tar").exists() and (live / "robots.txt").read_bytes() == b"v1"

    checked = publish(root, tmp_path, "r2", R2, releases=["r2", "r1"], _ansible_check_mode=True)
    assert checked["changed"] and checked["serving"] == ["r2", "r1"]
    assert (live / "robots.txt").read_bytes() == b"v1"

    both = publish(root, tmp_path, "r2", R2, releases=["r2", "r1"])
    assert both["changed"] and both["releases"] == ["r1", "r2"] and both["serving"] == ["r2", "r1"]
    assert (live / "robots.txt").read_bytes() == b"v2"
    assert not publish(root, tmp_path, "r2", R2, releases=["r2", "r1"])["changed"]

    # Published already, served in another order: only the serving changes.
    reordered = publish(root, tmp_path, "r2", R2, releases=["r1", "r2"])
    assert reordered["changed"] and reordered["added_objects"] == 0
    assert (live / "robots.txt").read_bytes() == b"v1"


def test_serving_can_skip_releases_never_published(root: str, tmp_path: Path) -> None:
    publish(root, tmp_path, "r1", R1)
    result = run({"app": "demo", "root": root, "state": "serving", "releases": ["r9", "r1"], "unpublished": "skip"})
    assert result["changed"] and result["serving"] == ["r1"] and result["not_published"] == ["r9"]


def test_retained_never_removes_a_served_release(root: str, tmp_path: Path) -> None:
    for release, files in (("r1", R1), ("r2", R2), ("r3", {**R2, "robots.txt": b"v3"})):
        publish(root, tmp_path, release, files)
    run({"app": "demo", "root": root, "state": "serving", "releases": ["r3", "r2"]})
    args = {"app": "demo", "root": root, "state": "retained", "keep": ["r3"]}
    checked = run({**args, "_ansible_check_mode": True, "_ansible_diff": True})
    assert checked["changed"] and checked["removed"] == ["r1"]
    assert "r1" in checked["diff"]["before"] and "r1" not in checked["diff"]["after"]
    pruned = run(args)
    assert pruned["removed"] == ["r1"] and pruned["releases"] == ["r2", "r3"]
    assert pruned["removed_objects"] == 2  # body{} and v1
    assert not run(args)["changed"]
    info = run({"app": "demo", "root": root}, static_store_info)
    assert [r["release"] for r in info["releases"]] == ["r2", "r3"] and info["serving"] == ["r3", "r2"]
    assert "digests" not in info


def test_serving_with_keep_serves_then_forgets_in_one_call(root: str, tmp_path: Path) -> None:
    """A deploy's finish: serve TAG and REVERT, and forget what no web host keeps, in one call."""
    for release, files in (("r1", R1), ("r2", R2), ("r3", {**R2, "robots.txt": b"v3"})):
        publish(root, tmp_path, release, files)
    run({"app": "demo", "root": root, "state": "serving", "releases": ["r2", "r1"]})
    args = {"app": "demo", "root": root, "state": "serving", "releases": ["r3", "r2"], "keep": ["r3", "r2"]}
    checked = run({**args, "_ansible_check_mode": True, "_ansible_diff": True})
    # r1 was served before this call, not after it: it goes (in check mode, would go).
    assert checked["changed"] and checked["removed"] == ["r1"] and checked["serving"] == ["r3", "r2"]
    assert "r1" in checked["diff"]["before"] and "r1" not in checked["diff"]["after"]
    assert (Path(root, "demo", "live") / "robots.txt").read_bytes() == b"v2"
    done = run(args)
    assert done["changed"] and done["removed"] == ["r1"] and done["releases"] == ["r2", "r3"]
    assert done["removed_objects"] == 2  # body{} and v1
    assert (Path(root, "demo", "live") / "robots.txt").read_bytes() == b"v3"
    assert not run(args)["changed"]
    # A served release is never removed, kept or not.
    served = run({**args, "keep": []})
    assert not served["changed"] and served["removed"] == [] and served["releases"] == ["r2", "r3"]


def test_absent_removes_the_store(root: str, tmp_path: Path) -> None:
    publish(root, tmp_path, "r1", R1)
    assert run({"app": "demo", "root": root, "state": "absent"})["changed"]
    assert not os.path.exists(os.path.join(root, "demo"))
    assert not run({"app": "demo", "root": root, "state": "absent"})["changed"]


def test_a_bundle_missing_contents_fails_before_changing_anything(root: str, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "r1.tar", R1, exclude={__import__("hashlib").sha256(b"admin").hexdigest()})
    result = run({"app": "demo", "root": root, "release": "r1", "bundle": str(bundle)})
    assert result["failed"] and "lacks 1 content(s)" in result["msg"] and "admin/base.css" in result["msg"]
    assert not os.path.exists(os.path.join(root, "demo", "releases", "r1.json"))


@pytest.mark.parametrize("module", [static_store, static_store_info])
def test_documented_options_match_the_argument_spec(module: Any) -> None:
    documented = set(yaml.safe_load(module.DOCUMENTATION)["options"])
    source = Path(module.__file__).read_text()
    for option in documented:
        assert f'"{option}": {{"type"' in source, option
