"""Unit tests of dockyard.django.deploy_lock against a temporary lock directory."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.modules import deploy_lock
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args


def run(lock_dir: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "dir": str(lock_dir), **args}), pytest.raises(AnsibleExitJson) as exc:
        deploy_lock.main()
    return exc.value.result


def fail(lock_dir: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "dir": str(lock_dir), **args}), pytest.raises(AnsibleFailJson) as exc:
        deploy_lock.main()
    return exc.value.result


def test_acquire_then_release(tmp_path: Path) -> None:
    taken = run(tmp_path, run_id="run-1", holder="alice@laptop")
    assert taken["changed"] is True
    on_disk = json.loads((tmp_path / "shop.lock").read_text())
    assert on_disk["holder"] == "alice@laptop" and on_disk["run_id"] == "run-1"
    assert run(tmp_path, run_id="run-1")["changed"] is False  # already ours
    released = run(tmp_path, run_id="run-1", state="released")
    assert released["changed"] is True and released["released"]["run_id"] == "run-1"
    assert not (tmp_path / "shop.lock").exists()
    assert run(tmp_path, run_id="run-1", state="released")["changed"] is False


def test_second_run_fails_at_once_naming_holder_and_time(tmp_path: Path) -> None:
    run(tmp_path, run_id="run-1", holder="alice@laptop")
    failure = fail(tmp_path, run_id="run-2", holder="bob@ci")
    assert "held by alice@laptop (run run-1) since 20" in failure["msg"]
    assert failure["lock"]["run_id"] == "run-1"


def test_other_apps_do_not_block(tmp_path: Path) -> None:
    run(tmp_path, run_id="run-1")
    with set_module_args({"app": "blog", "dir": str(tmp_path), "run_id": "run-2"}), \
            pytest.raises(AnsibleExitJson) as exc:
        deploy_lock.main()
    assert exc.value.result["changed"] is True


def test_wait_takes_the_lock_once_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy_lock, "POLL_SECONDS", 0.05)
    run(tmp_path, run_id="run-1")
    timer = threading.Timer(0.3, (tmp_path / "shop.lock").unlink)
    timer.start()
    try:
        taken = run(tmp_path, run_id="run-2", wait=10)
    finally:
        timer.cancel()
    assert taken["lock"]["run_id"] == "run-2"


def test_wait_gives_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy_lock, "POLL_SECONDS", 0.05)
    run(tmp_path, run_id="run-1")
    assert "held by" in fail(tmp_path, run_id="run-2", wait=1)["msg"]


def test_release_of_another_runs_lock_needs_force(tmp_path: Path) -> None:
    run(tmp_path, run_id="run-1", holder="alice@laptop")
    assert "not releasing" in fail(tmp_path, run_id="run-2", state="released")["msg"]
    assert (tmp_path / "shop.lock").exists()
    forced = run(tmp_path, state="released", force=True)
    assert forced["released"]["holder"] == "alice@laptop"
    assert not (tmp_path / "shop.lock").exists()


def test_check_mode_touches_nothing(tmp_path: Path) -> None:
    assert run(tmp_path, run_id="run-1", _ansible_check_mode=True)["changed"] is True
    assert not (tmp_path / "shop.lock").exists()
    run(tmp_path, run_id="run-1")
    assert run(tmp_path, run_id="run-1", state="released", _ansible_check_mode=True)["changed"] is True
    assert (tmp_path / "shop.lock").exists()


def test_malformed_lock_is_reported_and_kept(tmp_path: Path) -> None:
    (tmp_path / "shop.lock").write_text("garbage")
    assert "not a lock file" in fail(tmp_path, run_id="run-1")["msg"]
    assert (tmp_path / "shop.lock").read_text() == "garbage"


@pytest.mark.parametrize("args, word", [
    ({"app": "../etc", "run_id": "r"}, "app"),
    ({"run_id": "has space"}, "run_id"),
    ({}, "run_id"),
    ({"run_id": "r", "wait": -1}, "wait"),
    ({"run_id": "r", "holder": "two\nlines"}, "holder"),
    ({"run_id": "r", "dir": "relative/dir"}, "dir"),
])
def test_bad_input_changes_nothing(tmp_path: Path, args: dict[str, Any], word: str) -> None:
    lock_dir = tmp_path / "locks"
    merged = {"app": "shop", "dir": str(lock_dir), **args}
    with set_module_args(merged), pytest.raises(AnsibleFailJson) as exc:
        deploy_lock.main()
    assert word in exc.value.result["msg"]
    assert not lock_dir.exists()


def test_query_is_no_longer_a_state(tmp_path: Path) -> None:
    assert "state must be one of: acquired, released" in fail(tmp_path, state="query")["msg"]
