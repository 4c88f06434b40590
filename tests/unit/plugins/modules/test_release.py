"""Unit tests of dockyard.django.release against a temporary root."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.module_utils import _release
from ansible_collections.dockyard.django.plugins.modules import release
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args

APP = "shop"


def run(root: Path, **args: Any) -> dict[str, Any]:
    """Run the module and return its result; fail the test if the module failed."""
    with set_module_args({"app": APP, "root": str(root), "deployer": "tester", **args}), \
            pytest.raises(AnsibleExitJson) as exc:
        release.main()
    return exc.value.result


def fail(root: Path, **args: Any) -> dict[str, Any]:
    """Run the module expecting it to fail and return the failure."""
    with set_module_args({"app": APP, "root": str(root), **args}), pytest.raises(AnsibleFailJson) as exc:
        release.main()
    return exc.value.result


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and directory under root with its content and mode, to prove nothing changed."""
    seen: dict[str, tuple[bytes, int]] = {}
    for path in sorted(root.rglob("*")):
        content = path.read_bytes() if path.is_file() else b"<dir>"
        seen[str(path.relative_to(root))] = (content, path.stat().st_mode)
    return seen


def app_dir(root: Path) -> Path:
    return root / APP


def read(root: Path, name: str) -> str:
    return (app_dir(root) / name).read_text()


def history(root: Path) -> list[dict[str, Any]]:
    return json.loads(read(root, "HISTORY.json"))


# Deploying


def test_first_deploy_writes_tag_and_no_revert(tmp_path: Path) -> None:
    result = run(tmp_path, tag="build-1", migrations=["orders.0001_initial"])
    assert result["changed"] is True
    assert (result["current"], result["previous"]) == ("build-1", None)
    assert read(tmp_path, "TAG") == "export TAG=build-1\n"
    assert not (app_dir(tmp_path) / "REVERT").exists()
    [entry] = history(tmp_path)
    assert entry["tag"] == "build-1" and entry["previous"] is None
    assert entry["result"] == "deployed" and entry["deployer"] == "tester"
    assert entry["migrations"] == ["orders.0001_initial"]
    assert entry["time"].endswith("Z")
    assert result["history"] == [entry] and result["entry"] == entry
    assert result["path"] == str(app_dir(tmp_path))


def test_directory_and_files_get_their_modes(tmp_path: Path) -> None:
    old_umask = os.umask(0o077)
    try:
        run(tmp_path, tag="build-1")
    finally:
        os.umask(old_umask)
    assert app_dir(tmp_path).stat().st_mode & 0o7777 == 0o755
    for name in ("TAG", "HISTORY.json"):
        assert (app_dir(tmp_path) / name).stat().st_mode & 0o7777 == 0o644


def test_root_is_created_when_missing(tmp_path: Path) -> None:
    root = tmp_path / "var" / "www"
    run(root, tag="build-1")
    assert read(root, "TAG") == "export TAG=build-1\n"


def test_same_tag_again_changes_nothing(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    run(tmp_path, tag="build-2")
    before = snapshot(tmp_path)
    result = run(tmp_path, tag="build-2")
    assert result["changed"] is False
    assert result["entry"] is None
    assert (result["current"], result["previous"]) == ("build-2", "build-1")
    assert snapshot(tmp_path) == before


def test_new_tag_moves_old_tag_to_revert(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    result = run(tmp_path, tag="build-2")
    assert result["changed"] is True
    assert read(tmp_path, "TAG") == "export TAG=build-2\n"
    assert read(tmp_path, "REVERT") == "export TAG=build-1\n"
    assert [(e["tag"], e["previous"]) for e in history(tmp_path)] == [("build-1", None), ("build-2", "build-1")]


def test_rollback_to_a_tag_from_history_is_a_deploy(tmp_path: Path) -> None:
    for number in range(1, 4):
        run(tmp_path, tag=f"build-{number}")
    result = run(tmp_path, tag="build-1", result="rolled-back")
    assert (result["current"], result["previous"]) == ("build-1", "build-3")
    assert result["history"][-1]["result"] == "rolled-back"


def test_history_is_capped_newest_last(tmp_path: Path) -> None:
    for number in range(1, 8):
        result = run(tmp_path, tag=f"build-{number}", history_size=3)
    assert [e["tag"] for e in history(tmp_path)] == ["build-5", "build-6", "build-7"]
    assert result["history"] == history(tmp_path)


def test_default_history_size_is_ten(tmp_path: Path) -> None:
    for number in range(1, 13):
        run(tmp_path, tag=f"build-{number}")
    assert [e["tag"] for e in history(tmp_path)] == [f"build-{n}" for n in range(3, 13)]


def test_deployer_defaults_to_the_remote_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "alice")
    with set_module_args({"app": APP, "root": str(tmp_path), "tag": "build-1"}), \
            pytest.raises(AnsibleExitJson) as exc:
        release.main()
    assert exc.value.result["entry"]["deployer"] == "alice"


def test_bare_tag_file_is_read(tmp_path: Path) -> None:
    app_dir(tmp_path).mkdir()
    (app_dir(tmp_path) / "TAG").write_text("TAG=build-1\n")
    result = run(tmp_path, tag="build-2")
    assert result["previous"] == "build-1"
    assert read(tmp_path, "REVERT") == "export TAG=build-1\n"


def test_mode_of_existing_file_is_fixed(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    os.chmod(app_dir(tmp_path) / "TAG", 0o600)
    result = run(tmp_path, tag="build-1")
    assert result["changed"] is True and result["entry"] is None
    assert (app_dir(tmp_path) / "TAG").stat().st_mode & 0o7777 == 0o644


def test_mode_option_is_applied(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1", mode="0640")
    assert (app_dir(tmp_path) / "TAG").stat().st_mode & 0o7777 == 0o640


# Reverting


def test_reverted_swaps_tag_and_revert(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    run(tmp_path, tag="build-2")
    result = run(tmp_path, state="reverted")
    assert result["changed"] is True
    assert (result["current"], result["previous"]) == ("build-1", "build-2")
    assert read(tmp_path, "TAG") == "export TAG=build-1\n"
    assert read(tmp_path, "REVERT") == "export TAG=build-2\n"
    entry = history(tmp_path)[-1]
    assert (entry["tag"], entry["previous"], entry["result"]) == ("build-1", "build-2", "reverted")
    again = run(tmp_path, state="reverted")
    assert (again["current"], again["previous"]) == ("build-2", "build-1")


def test_reverted_without_revert_fails_and_changes_nothing(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    before = snapshot(tmp_path)
    result = fail(tmp_path, state="reverted")
    assert str(app_dir(tmp_path) / "REVERT") in result["msg"]
    assert "does not exist" in result["msg"]
    assert snapshot(tmp_path) == before


def test_reverted_on_empty_root_fails_and_creates_nothing(tmp_path: Path) -> None:
    result = fail(tmp_path, state="reverted")
    assert "REVERT does not exist" in result["msg"]
    assert list(tmp_path.iterdir()) == []


# Reading is dockyard.django.release_info's (test_release_info.py)


def test_query_is_no_longer_a_state(tmp_path: Path) -> None:
    result = fail(tmp_path, state="query")
    assert "state must be one of: deployed, reverted, restored" in result["msg"]
    assert list(tmp_path.iterdir()) == []


# Check and diff modes


def test_check_mode_reports_and_writes_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, tag="build-1", _ansible_check_mode=True)
    assert result["changed"] is True
    assert result["current"] == "build-1"
    assert list(tmp_path.iterdir()) == []
    run(tmp_path, tag="build-1")
    before = snapshot(tmp_path)
    result = run(tmp_path, tag="build-2", _ansible_check_mode=True)
    assert (result["changed"], result["current"], result["previous"]) == (True, "build-2", "build-1")
    assert snapshot(tmp_path) == before
    run(tmp_path, tag="build-2")
    before = snapshot(tmp_path)
    result = run(tmp_path, state="reverted", _ansible_check_mode=True)
    assert (result["changed"], result["current"], result["previous"]) == (True, "build-1", "build-2")
    assert snapshot(tmp_path) == before


def test_check_mode_does_not_fix_modes(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    os.chmod(app_dir(tmp_path) / "TAG", 0o600)
    before = snapshot(tmp_path)
    assert run(tmp_path, tag="build-1", _ansible_check_mode=True)["changed"] is True
    assert snapshot(tmp_path) == before


def test_diff_shows_tag_and_revert(tmp_path: Path) -> None:
    first = run(tmp_path, tag="build-1", _ansible_diff=True)
    assert first["diff"]["before"] == "TAG: (none)\nREVERT: (none)\n"
    assert first["diff"]["after"] == "TAG: build-1\nREVERT: (none)\n"
    second = run(tmp_path, tag="build-2", _ansible_diff=True, _ansible_check_mode=True)
    assert second["diff"]["before"] == "TAG: build-1\nREVERT: (none)\n"
    assert second["diff"]["after"] == "TAG: build-2\nREVERT: build-1\n"
    assert str(app_dir(tmp_path)) in second["diff"]["before_header"]
    assert str(app_dir(tmp_path)) in second["diff"]["after_header"]


# Atomic writes


def test_failed_rename_keeps_old_tag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(tmp_path, tag="build-1")
    before = snapshot(tmp_path)

    def broken_rename(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_release.os, "rename", broken_rename)
    result = fail(tmp_path, tag="build-2")
    assert "No space left on device" in result["msg"]
    assert str(app_dir(tmp_path) / "REVERT") in result["msg"]
    assert snapshot(tmp_path) == before


def test_revert_is_written_before_tag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(tmp_path, tag="build-1")
    order: list[str] = []
    real_rename = os.rename

    def recording_rename(src: str, dst: str) -> None:
        order.append(os.path.basename(dst))
        real_rename(src, dst)

    monkeypatch.setattr(_release.os, "rename", recording_rename)
    run(tmp_path, tag="build-2")
    assert order == ["REVERT", "TAG", "HISTORY.json"]


# Malformed files


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("TAG", b"garbage\n", "TAG is malformed"),
        ("TAG", b"export TAG=a\nrm -rf /\n", "TAG is malformed: expected exactly one line"),
        ("TAG", b"export TAG=-bad\n", "not a valid Docker tag"),
        ("TAG", b"\xff\xfe\n", "not UTF-8"),
        ("REVERT", b"export TAG=\n", "REVERT is malformed"),
        ("HISTORY.json", b"{oops", "HISTORY.json is malformed: not valid JSON"),
        ("HISTORY.json", b'{"tag": "a"}', "expected a JSON list"),
    ],
)
@pytest.mark.parametrize("state", ["deployed", "reverted"])
def test_malformed_file_fails_and_is_left_untouched(tmp_path: Path, name: str, content: bytes, why: str,
                                                    state: str) -> None:
    run(tmp_path, tag="build-1")
    run(tmp_path, tag="build-2")
    (app_dir(tmp_path) / name).write_bytes(content)
    before = snapshot(tmp_path)
    args: dict[str, Any] = {"state": state}
    if state == "deployed":
        args["tag"] = "build-3"
    result = fail(tmp_path, **args)
    assert why in result["msg"]
    assert str(app_dir(tmp_path) / name) in result["msg"]
    assert snapshot(tmp_path) == before


def test_malformed_message_does_not_echo_content(tmp_path: Path) -> None:
    app_dir(tmp_path).mkdir()
    (app_dir(tmp_path) / "TAG").write_text("DATABASE_PASSWORD=hunter2\n")
    result = fail(tmp_path, tag="build-1")
    assert "hunter2" not in result["msg"]


# Bad input


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ({"tag": "-x"}, "not a valid Docker tag"),
        ({"tag": "has space"}, "not a valid Docker tag"),
        ({"tag": "a" * 129}, "not a valid Docker tag"),
        ({"tag": "x;rm -rf /"}, "not a valid Docker tag"),
        ({"tag": "build-1", "app": "../etc"}, "not a valid app name"),
        ({"tag": "build-1", "app": "a b"}, "not a valid app name"),
        ({"tag": "build-1", "app": "x;rm"}, "not a valid app name"),
        ({"tag": "build-1", "app": "a/b"}, "not a valid app name"),
        ({"tag": "build-1", "history_size": 0}, "history_size must be at least 1"),
        ({"tag": "build-1", "history_size": -3}, "history_size must be at least 1"),
        ({}, "tag is required when state is deployed"),
        ({"state": "reverted", "tag": "build-1"}, "tag is only used with state=deployed"),
        ({"tag": "build-1", "root": "relative/www"}, "must be an absolute path"),
        ({"tag": "build-1", "result": "rolled back"}, "result 'rolled back' is not valid"),
        ({"tag": "build-1", "deployer": "a\nb"}, "deployer must be"),
        ({"tag": "build-1", "mode": "u+rwx"}, "not an octal file mode"),
        ({"tag": "build-1", "owner": "no-such-user-xyz"}, "owner 'no-such-user-xyz' does not exist"),
        ({"tag": "build-1", "group": "no-such-group-xyz"}, "group 'no-such-group-xyz' does not exist"),
        ({"tag": "build-1", "state": "present"}, "value of state must be one of"),
    ],
)
def test_bad_input_fails_clearly_and_changes_nothing(tmp_path: Path, args: dict[str, Any], why: str) -> None:
    run(tmp_path, tag="build-0")
    before = snapshot(tmp_path)
    root = args.pop("root", str(tmp_path))
    with set_module_args({"app": APP, "root": root, **args}), pytest.raises(AnsibleFailJson) as exc:
        release.main()
    assert why in exc.value.result["msg"]
    assert snapshot(tmp_path) == before


def test_relative_root_creates_nothing_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = fail(Path("www"), tag="build-1")
    assert "root 'www' must be an absolute path" in result["msg"]
    assert list(tmp_path.iterdir()) == []


def test_owner_and_group_are_applied(tmp_path: Path) -> None:
    uid, gid = os.getuid(), os.getgid()
    result = run(tmp_path, tag="build-1", owner=str(uid), group=str(gid))
    assert result["changed"] is True
    for path in (app_dir(tmp_path), app_dir(tmp_path) / "TAG"):
        assert (path.stat().st_uid, path.stat().st_gid) == (uid, gid)
    assert run(tmp_path, tag="build-1", owner=str(uid), group=str(gid))["changed"] is False


# Restoring after a failed deploy


def test_restored_puts_both_files_back_exactly(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    run(tmp_path, tag="build-2")
    before = run(tmp_path, tag="build-2")  # unchanged: reports the files as they are
    run(tmp_path, tag="build-3")  # the deploy that fails
    result = run(tmp_path, state="restored", tag=before["current"], previous=before["previous"])
    assert result["changed"] is True
    assert read(tmp_path, "TAG") == "export TAG=build-2\n"
    assert read(tmp_path, "REVERT") == "export TAG=build-1\n"
    assert history(tmp_path)[-1]["result"] == "rolled-back"
    assert history(tmp_path)[-1]["previous"] == "build-3"
    again = run(tmp_path, state="restored", tag="build-2", previous="build-1")
    assert again["changed"] is False


def test_restored_after_a_failed_first_deploy_removes_tag(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    result = run(tmp_path, state="restored")
    assert result["changed"] is True and result["current"] is None and result["previous"] is None
    assert not (app_dir(tmp_path) / "TAG").exists()
    assert history(tmp_path)[-1]["result"] == "failed"


def test_restored_check_mode_writes_nothing(tmp_path: Path) -> None:
    run(tmp_path, tag="build-1")
    run(tmp_path, tag="build-2")
    seen = snapshot(tmp_path)
    result = run(tmp_path, state="restored", tag="build-1", _ansible_check_mode=True)
    assert result["changed"] is True
    assert snapshot(tmp_path) == seen


@pytest.mark.parametrize("args", [
    {"state": "restored", "previous": "-bad"},
    {"state": "deployed", "tag": "build-1", "previous": "build-0"},
])
def test_previous_is_checked(tmp_path: Path, args: dict[str, Any]) -> None:
    seen = snapshot(tmp_path)
    assert "previous" in fail(tmp_path, **args)["msg"]
    assert snapshot(tmp_path) == seen
