"""dockyard.django.file_set, run whole on a temporary directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.modules import file_set
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args


def run(args: dict[str, Any]) -> dict[str, Any]:
    with set_module_args(args), pytest.raises((AnsibleExitJson, AnsibleFailJson)) as caught:
        file_set.main()
    return caught.value.result


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize(("args", "word"), [
    ({"files": {"relative.conf": "x"}}, "is not an absolute path"),
    ({"files": {"{tmp}/a.conf": "x"}, "mode": "644x"}, "is not an octal mode"),
    ({"directories": {"{tmp}/d": "rwx"}}, "is not an octal mode"),
    ({"files": {"{tmp}/missing/a.conf": "x"}}, "does not exist and is not in directories"),
    ({"files": {"{tmp}/a.conf": "x"}, "owner": "no-such-user-here"}, "no such user or group"),
])
def test_bad_input_fails_clearly_and_changes_nothing(tmp_path: Path, args: dict[str, Any], word: str) -> None:
    args = {key: ({k.replace("{tmp}", str(tmp_path)): v for k, v in value.items()} if isinstance(value, dict) else value)
            for key, value in args.items()}
    before = sorted(tmp_path.iterdir())
    result = run({"directories": {str(tmp_path / "new"): ""}, **args})
    assert result["failed"] and word in result["msg"], result
    assert result["changed"] is False
    assert sorted(tmp_path.iterdir()) == before


def test_check_apply_idempotent_changed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    args = {"directories": {str(site): "", str(site / "tls"): "0750"},
            "files": {str(site / "a.conf"): "a\n", str(tmp_path / "b.conf"): "b\n"},
            "mode": "0640", "backup": True}

    checked = run({**args, "_ansible_check_mode": True, "_ansible_diff": True})
    assert checked["changed"] and not site.exists() and not (tmp_path / "b.conf").exists()
    assert [entry["changed"] for entry in checked["files"]] == [True, True]
    assert {diff["after_header"] for diff in checked["diff"]} >= {str(site / "a.conf"), str(site)}

    applied = run(args)
    assert applied["changed"] and all(entry["created"] for entry in applied["files"])
    assert (site / "a.conf").read_text() == "a\n" and mode_of(site / "a.conf") == 0o640
    assert mode_of(site) == 0o755 and mode_of(site / "tls") == 0o750
    assert not [name for name in os.listdir(site) if name.startswith(".file_set.")]

    again = run({**args, "_ansible_diff": True})
    assert not again["changed"] and again["diff"] == []

    changed = run({**args, "files": {**args["files"], str(site / "a.conf"): "a2\n"}})
    first, second = changed["files"]
    assert changed["changed"] and first["changed"] and not first["created"] and not second["changed"]
    assert (site / "a.conf").read_text() == "a2\n"
    assert Path(first["backup_file"]).read_text() == "a\n"
    assert "backup_file" not in second


def test_mode_alone_is_a_change(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    target.write_text("a\n")
    target.chmod(0o600)
    result = run({"files": {str(target): "a\n"}, "backup": True})
    assert result["changed"] and "backup_file" not in result["files"][0]
    assert mode_of(target) == 0o644


def test_force_false_keeps_an_existing_content(tmp_path: Path) -> None:
    target = tmp_path / "upstream.conf"
    created = run({"files": {str(target): "server a;\n"}, "force": False})
    assert created["changed"] and target.read_text() == "server a;\n"
    kept = run({"files": {str(target): "server b;\n"}, "force": False})
    assert not kept["changed"] and target.read_text() == "server a;\n"


# A validate command that accepts a file whose first line is "ok" (grep -q exits 1 otherwise).
ACCEPTS_OK = "grep -qx ok %s"


def test_validate_refusal_fails_before_anything_changes(tmp_path: Path) -> None:
    kept = tmp_path / "kept.conf"
    kept.write_text("ok\n")
    before = sorted(tmp_path.iterdir())
    result = run({"directories": {str(tmp_path / "new"): ""},
                  "files": {str(tmp_path / "a.conf"): "ok\n", str(kept): "broken\n"}, "validate": ACCEPTS_OK})
    assert result["failed"] and f"validate refused the new content of {kept}" in result["msg"], result
    assert result["changed"] is False and result["exit_status"] == 1
    assert sorted(tmp_path.iterdir()) == before and kept.read_text() == "ok\n"


def test_validate_checks_only_what_would_be_written(tmp_path: Path) -> None:
    target = tmp_path / "a.conf"
    target.write_text("left as it is\n")
    # The file already holds its content: validate, which would refuse it, never runs.
    unchanged = run({"files": {str(target): "left as it is\n"}, "validate": ACCEPTS_OK})
    assert not unchanged["changed"]
    written = run({"files": {str(target): "ok\n"}, "validate": ACCEPTS_OK})
    assert written["changed"] and target.read_text() == "ok\n"
    # Check mode runs no command (what it checks may not be installed yet).
    checked = run({"files": {str(target): "broken\n"}, "validate": ACCEPTS_OK, "_ansible_check_mode": True})
    assert checked["changed"] and target.read_text() == "ok\n"


def test_validate_needs_the_placeholder(tmp_path: Path) -> None:
    result = run({"files": {str(tmp_path / "a.conf"): "ok\n"}, "validate": "true"})
    assert result["failed"] and "validate must contain %s" in result["msg"], result
    assert not (tmp_path / "a.conf").exists()


def test_documented_options_match_the_argument_spec() -> None:
    import yaml

    documented = set(yaml.safe_load(file_set.DOCUMENTATION)["options"])
    assert documented == {"files", "directories", "mode", "directory_mode", "owner", "group", "force", "backup",
                          "validate"}
