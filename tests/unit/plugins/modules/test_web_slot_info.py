"""Unit tests of dockyard.django.web_slot_info: its checks and the SLOT file (the engine is the lab's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._web_slot import SlotReader, SlotState
from ansible_collections.dockyard.django.plugins.modules import web_slot_info
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args


@pytest.fixture()
def engine(monkeypatch: pytest.MonkeyPatch) -> dict[str, SlotState]:
    """What the engine would say about each slot; tests/integration asks a real one."""
    slots = {"a": SlotState(), "b": SlotState()}
    monkeypatch.setattr(SlotReader, "__init__", _init_without_docker)
    monkeypatch.setattr(SlotReader, "read_slot", lambda self, slot: slots[slot])
    return slots


def _init_without_docker(self: SlotReader, module: Any, directory: str, app: str, service: str) -> None:
    self.module, self.directory, self.app, self.service = module, directory, app, service
    self.slot_path = f"{directory}/SLOT"


def run(root: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "root": str(root), **args}), pytest.raises(AnsibleExitJson) as exc:
        web_slot_info.main()
    return exc.value.result


def fail(root: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "root": str(root), **args}), pytest.raises(AnsibleFailJson) as exc:
        web_slot_info.main()
    return exc.value.result


def test_before_a_first_deploy(tmp_path: Path, engine: dict[str, SlotState]) -> None:
    result = run(tmp_path)
    assert result["changed"] is False and result["active"] is None
    assert result["slots"]["a"] == {"exists": False, "running": False, "health": None, "tag": None}


def test_active_slot_and_what_runs(tmp_path: Path, engine: dict[str, SlotState]) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "SLOT").write_text("b\n")
    engine["b"] = SlotState(exists=True, running=True, health="healthy", tag="v2")
    result = run(tmp_path, _ansible_check_mode=True)
    assert result["active"] == "b" and result["slots"]["b"]["tag"] == "v2"
    assert set(result) == {"changed", "active", "slots"}


def test_malformed_slot_file(tmp_path: Path, engine: dict[str, SlotState]) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "SLOT").write_text("c\n")
    assert "SLOT is malformed" in fail(tmp_path)["msg"]


@pytest.mark.parametrize(("args", "word"), [
    ({"app": "a b"}, "app"),
    ({"root": "var/www"}, "root"),
    ({"state": "query"}, "state"),
])
def test_bad_input_asks_no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: dict[str, Any],
                                  word: str) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("docker must not be touched on bad input")
    monkeypatch.setattr(SlotReader, "__init__", refuse)
    with set_module_args({"app": "shop", "root": str(tmp_path), **args}), pytest.raises(AnsibleFailJson) as exc:
        web_slot_info.main()
    assert word in exc.value.result["msg"]
