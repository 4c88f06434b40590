"""Unit tests of dockyard.django.app_state_info: what it asks the docker CLI and how it reads the
answers (the commands are stood in for here; the deploy tests ask real hosts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.modules import app_state_info
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args


def container(name: str, project: str, service: str, tag: str, running: bool, health: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"Status": "running" if running else "exited", "Running": running,
                             "StartedAt": "2026-11-30T10:00:00Z"}
    if health:
        state["Health"] = {"Status": health}
    return {"Id": name * 4, "Name": f"/{name}", "Image": "sha256:img",
            "Config": {"Image": f"reg/shop:{tag}",
                       "Labels": {"dockyard.app": "shop", "dockyard.service": service,
                                  "com.docker.compose.project": project}},
            "State": state, "HostConfig": {}}


CONTAINERS = [
    container("shop-a-web-1", "shop-a", "web", "v1", running=False),
    container("shop-b-web-1", "shop-b", "web", "v2", running=True, health="healthy"),
    container("shop-worker-1", "shop", "worker", "v2", running=True),
]


@pytest.fixture()
def docker(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The commands the module runs, answered like a host with shop's three containers and the image v2."""
    calls: list[list[str]] = []

    def run_command(self: AnsibleModule, argv: list[str], **_kwargs: Any) -> tuple[int, str, str]:
        calls.append(argv)
        if argv[0].endswith("/ip"):
            return 0, "8.8.8.8 via 10.0.0.1 dev eth0 src 10.0.0.21 uid 0 \n    cache \n", ""
        if argv[1] == "ps":
            return 0, "".join(f"{c['Id']}\n" for c in CONTAINERS), ""
        if argv[1:3] == ["container", "inspect"]:
            return 0, json.dumps(CONTAINERS), ""
        if argv[1:3] == ["image", "inspect"] and argv[3] == "--format":
            return (0, "sha256:img\n", "") if argv[-1] == "reg/shop:v2" else (1, "", f"Error: No such image: {argv[-1]}\n")
        if argv[1:3] == ["image", "inspect"]:
            return 0, json.dumps([{"Id": "sha256:img", "RepoDigests": []}]), ""
        if argv[1] == "compose":
            return 0, "", ""
        return 1, "", "unexpected"

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False: f"/usr/bin/{name}")
    return calls


def run(tmp_path: Path, **args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", "root": str(tmp_path), **args}), pytest.raises(AnsibleExitJson) as exc:
        app_state_info.main()
    return exc.value.result


def write(tmp_path: Path, **files: str) -> None:
    (tmp_path / "shop").mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / "shop" / name).write_text(text)


def test_reads_releases_slots_containers_image_and_address(tmp_path: Path, docker: list[list[str]]) -> None:
    write(tmp_path, TAG="export TAG=v2\n", REVERT="export TAG=v1\n", SLOT="b\n", **{"compose.yml": "x\n"})
    result = run(tmp_path, image="reg/shop", tag="v2", compare_config=True, address=True, _ansible_check_mode=True)
    assert result["changed"] is False
    assert (result["current"], result["previous"], result["history"]) == ("v2", "v1", [])
    assert result["active"] == "b"
    assert result["slots"] == {"a": {"exists": True, "running": False, "health": None, "tag": "v1"},
                               "b": {"exists": True, "running": True, "health": "healthy", "tag": "v2"}}
    assert [c["service"] for c in result["containers"]] == ["web", "web", "worker"]
    assert result["image_present"] is True
    assert result["address"] == "10.0.0.21"
    # The host runs the release: its containers were compared (the worker's project has TAG).
    assert [c["config_current"] for c in result["containers"]] == [None, None, True]


def test_another_release_is_not_compared_and_a_missing_image_is_said(tmp_path: Path, docker: list[list[str]]) -> None:
    write(tmp_path, TAG="export TAG=v2\n")
    result = run(tmp_path, image="reg/shop", tag="v3", compare_config=True)
    assert result["image_present"] is False
    assert "config_current" not in result["containers"][0]
    assert not [argv for argv in docker if argv[1] == "compose"]
    assert result["address"] is None and not [argv for argv in docker if argv[0].endswith("/ip")]


def test_a_host_before_its_first_deploy(tmp_path: Path, docker: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_state_info.Services, "read", lambda self, now: [])
    result = run(tmp_path)
    assert (result["current"], result["active"], result["containers"], result["image_present"]) == (None, None, [], None)
    assert result["slots"]["a"] == {"exists": False, "running": False, "health": None, "tag": None}


def test_a_malformed_slot_file_is_named_not_quoted(tmp_path: Path, docker: list[list[str]]) -> None:
    write(tmp_path, SLOT="secret-ish\n")
    with set_module_args({"app": "shop", "root": str(tmp_path)}), pytest.raises(AnsibleFailJson) as exc:
        app_state_info.main()
    assert "SLOT" in exc.value.result["msg"] and "secret-ish" not in exc.value.result["msg"]


@pytest.mark.parametrize("args", [{"app": "../etc"}, {"app": "shop", "tag": "v 2"}, {"app": "shop", "root": "rel"}])
def test_bad_inputs_are_refused(args: dict[str, Any]) -> None:
    with set_module_args(args), pytest.raises(AnsibleFailJson):
        app_state_info.main()
