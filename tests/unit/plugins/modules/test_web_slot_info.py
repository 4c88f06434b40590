"""Unit tests of dockyard.django.web_slot_info with a fake Engine (tests/integration asks a real one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.modules import web_slot_info
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args


class FakeEngine:
    """The two calls of the low-level Engine API client the reader makes."""

    def __init__(self) -> None:
        self.by_project: dict[str, dict[str, Any]] = {}
        self.filters: list[dict[str, Any]] = []

    def add(self, project: str, image: str, running: bool, health: str | None) -> None:
        state: dict[str, Any] = {"Running": running}
        if health:
            state["Health"] = {"Status": health}
        self.by_project[project] = {"Id": f"id-{project}", "State": state, "Config": {"Image": image}}

    def containers(self, all: bool, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        assert all, "a stopped slot counts too"
        self.filters.append(filters)
        project = filters["label"][0].split("=", 1)[1]
        assert filters["label"][1] == "com.docker.compose.service=web"
        found = self.by_project.get(project)
        return [{"Id": found["Id"]}] if found else []

    def inspect_container(self, container: str) -> dict[str, Any]:
        return next(c for c in self.by_project.values() if c["Id"] == container)


@pytest.fixture()
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(web_slot_info, "connect", lambda _module: fake)
    return fake


def run(root: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "root": str(root), **args}), pytest.raises(AnsibleExitJson) as exc:
        web_slot_info.main()
    return exc.value.result


def fail(root: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "root": str(root), **args}), pytest.raises(AnsibleFailJson) as exc:
        web_slot_info.main()
    return exc.value.result


def test_before_a_first_deploy(tmp_path: Path, engine: FakeEngine) -> None:
    result = run(tmp_path)
    assert result["changed"] is False and result["active"] is None
    assert result["slots"] == {name: {"exists": False, "running": False, "health": None, "tag": None}
                               for name in ("a", "b")}
    assert [f["label"][0] for f in engine.filters] == ["com.docker.compose.project=shop-a",
                                                       "com.docker.compose.project=shop-b"]


def test_active_slot_and_what_runs(tmp_path: Path, engine: FakeEngine) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "SLOT").write_text("b\n")
    engine.add("shop-a", "registry:5000/shop:v1", running=False, health=None)
    engine.add("shop-b", "registry:5000/shop:v2", running=True, health="healthy")
    result = run(tmp_path, _ansible_check_mode=True)
    assert result["active"] == "b"
    assert result["slots"]["a"] == {"exists": True, "running": False, "health": None, "tag": "v1"}
    assert result["slots"]["b"] == {"exists": True, "running": True, "health": "healthy", "tag": "v2"}
    assert set(result) == {"changed", "active", "slots"}


def test_malformed_slot_file(tmp_path: Path, engine: FakeEngine) -> None:
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
    monkeypatch.setattr(web_slot_info, "connect", refuse)
    with set_module_args({"app": "shop", "root": str(tmp_path), **args}), pytest.raises(AnsibleFailJson) as exc:
        web_slot_info.main()
    assert word in exc.value.result["msg"]


def test_several_apps_in_one_run(tmp_path: Path, engine: FakeEngine) -> None:
    """apps: each app's active slot and slots under its name, from one engine connection."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "SLOT").write_text("b\n")
    engine.add("shop-b", "registry:5000/shop:v2", running=True, health="healthy")
    with set_module_args({"apps": ["shop", "blog"], "root": str(tmp_path)}), pytest.raises(AnsibleExitJson) as exc:
        web_slot_info.main()
    result = exc.value.result
    assert set(result) == {"changed", "apps"} and sorted(result["apps"]) == ["blog", "shop"]
    assert result["apps"]["shop"]["active"] == "b" and result["apps"]["shop"]["slots"]["b"]["tag"] == "v2"
    assert result["apps"]["blog"]["active"] is None and not result["apps"]["blog"]["slots"]["a"]["exists"]


@pytest.mark.parametrize(("args", "word"), [
    ({"apps": ["shop", "a b"]}, "app"),
    ({"app": "shop", "apps": ["shop"]}, "mutually exclusive"),
    ({}, "one of the following is required"),
])
def test_bad_apps_ask_no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: dict[str, Any],
                                word: str) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("docker must not be touched on bad input")
    monkeypatch.setattr(web_slot_info, "connect", refuse)
    with set_module_args({"root": str(tmp_path), **args}), pytest.raises(AnsibleFailJson) as exc:
        web_slot_info.main()
    assert word in exc.value.result["msg"]
