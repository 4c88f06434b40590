"""Unit tests of dockyard.django.release_info against a temporary root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.modules import release, release_info
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args

APP = "shop"


def info(root: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": APP, "root": str(root), **args}), pytest.raises(AnsibleExitJson) as exc:
        release_info.main()
    return exc.value.result


def fail(root: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": APP, "root": str(root), **args}), pytest.raises(AnsibleFailJson) as exc:
        release_info.main()
    return exc.value.result


def deploy(root: Path, tag: str) -> dict[str, Any]:
    with set_module_args({"app": APP, "root": str(root), "tag": tag, "deployer": "tester"}), \
            pytest.raises(AnsibleExitJson) as exc:
        release.main()
    return exc.value.result


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(root.rglob("*"))}


def test_nothing_deployed_reads_as_empty_and_creates_nothing(tmp_path: Path) -> None:
    result = info(tmp_path)
    assert (result["changed"], result["current"], result["previous"], result["history"]) == (False, None, None, [])
    assert result["entry"] is None and result["path"] == str(tmp_path / APP)
    assert list(tmp_path.iterdir()) == []


def test_reads_what_release_wrote_without_writing(tmp_path: Path) -> None:
    deploy(tmp_path, "build-1")
    written = deploy(tmp_path, "build-2")
    before = snapshot(tmp_path)
    result = info(tmp_path)
    assert (result["changed"], result["current"], result["previous"]) == (False, "build-2", "build-1")
    assert result["history"] == written["history"]
    assert snapshot(tmp_path) == before


def test_returns_the_keys_of_a_release_result(tmp_path: Path) -> None:
    written = deploy(tmp_path, "build-1")
    assert set(info(tmp_path)) == set(written)


def test_check_mode_reads_the_same(tmp_path: Path) -> None:
    deploy(tmp_path, "build-1")
    assert info(tmp_path, _ansible_check_mode=True)["current"] == "build-1"


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("TAG", b"garbage\n", "TAG is malformed"),
        ("TAG", b"\xff\xfe\n", "not UTF-8"),
        ("REVERT", b"export TAG=\n", "REVERT is malformed"),
        ("HISTORY.json", b"{oops", "HISTORY.json is malformed: not valid JSON"),
    ],
)
def test_malformed_file_fails_naming_it_and_is_left_untouched(tmp_path: Path, name: str, content: bytes,
                                                              why: str) -> None:
    deploy(tmp_path, "build-1")
    deploy(tmp_path, "build-2")
    (tmp_path / APP / name).write_bytes(content)
    before = snapshot(tmp_path)
    result = fail(tmp_path)
    assert why in result["msg"] and str(tmp_path / APP / name) in result["msg"]
    assert snapshot(tmp_path) == before


def test_malformed_message_does_not_echo_content(tmp_path: Path) -> None:
    (tmp_path / APP).mkdir()
    (tmp_path / APP / "TAG").write_text("DATABASE_PASSWORD=hunter2\n")
    assert "hunter2" not in fail(tmp_path)["msg"]


@pytest.mark.parametrize(("args", "word"), [
    ({"app": "../etc"}, "app"),
    ({"root": "var/www"}, "root"),
    ({"state": "query"}, "state"),
])
def test_bad_input(tmp_path: Path, args: dict[str, Any], word: str) -> None:
    with set_module_args({"app": APP, "root": str(tmp_path), **args}), pytest.raises(AnsibleFailJson) as exc:
        release_info.main()
    assert word in exc.value.result["msg"]
