"""Unit tests of dockyard.django.deploy_lock_info against a temporary lock directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.modules import deploy_lock, deploy_lock_info
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args


def info(lock_dir: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "dir": str(lock_dir), **args}), pytest.raises(AnsibleExitJson) as exc:
        deploy_lock_info.main()
    return exc.value.result


def fail(lock_dir: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "dir": str(lock_dir), **args}), pytest.raises(AnsibleFailJson) as exc:
        deploy_lock_info.main()
    return exc.value.result


def take(lock_dir: Path, run_id: str, holder: str) -> dict[str, Any]:
    with set_module_args({"app": "shop", "dir": str(lock_dir), "run_id": run_id, "holder": holder}), \
            pytest.raises(AnsibleExitJson) as exc:
        deploy_lock.main()
    return exc.value.result


def test_nobody_holds_it(tmp_path: Path) -> None:
    assert info(tmp_path / "locks") == {"changed": False, "lock": None}
    assert not (tmp_path / "locks").exists()


def test_reports_the_lock_deploy_lock_took_and_leaves_it(tmp_path: Path) -> None:
    taken = take(tmp_path, "run-1", "alice@laptop")
    result = info(tmp_path, _ansible_check_mode=True)
    assert result == {"changed": False, "lock": taken["lock"]}
    assert (tmp_path / "shop.lock").exists()
    assert info(tmp_path, app="blog")["lock"] is None  # one lock per app


def test_a_foreign_file_fails_without_quoting_it(tmp_path: Path) -> None:
    (tmp_path / "shop.lock").write_text("secret-ish garbage")
    result = fail(tmp_path)
    assert "not a lock file" in result["msg"] and "garbage" not in result["msg"]
    assert (tmp_path / "shop.lock").read_text() == "secret-ish garbage"


@pytest.mark.parametrize(("args", "word"), [
    ({"app": "../etc"}, "app"),
    ({"dir": "relative/dir"}, "dir"),
    ({"state": "query"}, "state"),
])
def test_bad_input(tmp_path: Path, args: dict[str, Any], word: str) -> None:
    assert word in fail(tmp_path, **args)["msg"]
