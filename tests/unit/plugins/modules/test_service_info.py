"""Unit tests of dockyard.django.service_info: its checks, and how it reads the engine's answers
(the docker commands are stood in for here; tests/deploy/test_day2.py asks a real engine)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.modules import service_info
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args

WEB = {"Id": "c1" * 10, "Name": "/shop-a-web-1", "Image": "sha256:img",
       "Config": {"Image": "reg/shop:v2",
                  "Labels": {"dockyard.app": "shop", "dockyard.service": "web", "com.docker.compose.project": "shop-a",
                             "com.docker.compose.config-hash": "h-web-old"}},
       "State": {"Status": "running", "Running": True, "StartedAt": "2026-11-30T10:00:00Z"}, "HostConfig": {}}
BEAT = {"Id": "c2" * 10, "Name": "/shop-beat-1", "Image": "sha256:img",
        "Config": {"Image": "reg/shop:v2",
                   "Labels": {"dockyard.app": "shop", "dockyard.service": "beat", "com.docker.compose.project": "shop",
                              "com.docker.compose.config-hash": "h-beat"}},
        "State": {"Status": "running", "Running": True, "StartedAt": "2026-11-30T10:00:00Z"}, "HostConfig": {}}


@pytest.fixture()
def docker(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The docker commands the module runs, answered like an engine with two containers."""
    calls: list[list[str]] = []

    def run_command(self: AnsibleModule, argv: list[str], **_kwargs: Any) -> tuple[int, str, str]:
        calls.append(argv[1:])
        if argv[1] == "ps":
            return 0, f"{WEB['Id']}\n{BEAT['Id']}\n", ""
        if argv[1:3] == ["container", "inspect"]:
            return 0, json.dumps([BEAT, WEB]), ""
        if argv[1:3] == ["image", "inspect"]:
            return 0, json.dumps([{"Id": "sha256:img", "RepoDigests": ["reg/shop@sha256:d1"]}]), ""
        if argv[1] == "compose":
            # Compose's dry run: the web container's env file changed since it was created.
            project = argv[argv.index("--project-name") + 1]
            return 0, "", (" DRY-RUN MODE -  Container shop-a-web-1  Recreate\n"
                           " DRY-RUN MODE -  Container shop-a-web-1  Recreated\n" if project == "shop-a" else "")
        return 1, "", "unexpected"

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/docker")
    return calls


def run(**args: Any) -> dict[str, Any]:
    with set_module_args({"app": "shop", **args}), pytest.raises(AnsibleExitJson) as exc:
        service_info.main()
    return exc.value.result


def test_lists_web_first_with_digest_and_compares_config(tmp_path: Path, docker: list[list[str]]) -> None:
    (tmp_path / "shop" / "slots").mkdir(parents=True)
    for name in ("compose.yml", "TAG", "slots/a.env"):
        (tmp_path / "shop" / name).write_text("x\n")
    result = run(root=str(tmp_path), compare_config=True, _ansible_check_mode=True)
    assert result["changed"] is False
    assert [(c["service"], c["slot"], c["digest"]) for c in result["containers"]] == [
        ("web", "a", "sha256:d1"), ("beat", None, "sha256:d1")]
    assert [c["config_current"] for c in result["containers"]] == [False, True]
    compose_runs = [argv for argv in docker if argv[0] == "compose"]
    assert sorted(Path(argv[argv.index("--env-file") + 1]).name for argv in compose_runs) == ["TAG", "a.env"]
    # A dry run that pulls nothing, for the services the project's containers run.
    assert all(argv[1] == "--dry-run" and argv[-6:-1] == ["up", "--no-start", "--no-deps", "--pull", "never"]
               for argv in compose_runs)
    assert sorted(argv[-1] for argv in compose_runs) == ["beat", "web"]


def test_without_compare_or_files(tmp_path: Path, docker: list[list[str]]) -> None:
    result = run(root=str(tmp_path))
    assert "config_current" not in result["containers"][0]
    assert not [argv for argv in docker if argv[0] == "compose"]
    result = run(root=str(tmp_path), compare_config=True)
    assert [c["config_current"] for c in result["containers"]] == [None, None]


def test_bad_app_name_is_refused() -> None:
    with set_module_args({"app": "../etc"}), pytest.raises(AnsibleFailJson) as exc:
        service_info.main()
    assert "app" in exc.value.result["msg"]


def test_several_apps_in_one_run(tmp_path: Path, docker: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """apps: every app read in one module run, each under its name (an app with nothing here: [])."""
    answer = AnsibleModule.run_command

    def only_shop(self: AnsibleModule, argv: list[str], **kwargs: Any) -> tuple[int, str, str]:
        if argv[1] == "ps" and "label=dockyard.app=shop" not in argv:
            return 0, "", ""
        return answer(self, argv, **kwargs)

    monkeypatch.setattr(AnsibleModule, "run_command", only_shop)
    with set_module_args({"apps": ["shop", "blog"], "root": str(tmp_path)}), pytest.raises(AnsibleExitJson) as exc:
        service_info.main()
    result = exc.value.result
    assert sorted(result["apps"]) == ["blog", "shop"] and "containers" not in result
    assert result["apps"]["blog"] == []
    assert [c["name"] for c in result["apps"]["shop"]] == ["shop-a-web-1", "shop-beat-1"]


@pytest.mark.parametrize(("args", "word"), [
    ({"apps": ["shop", "../etc"]}, "app"),
    ({"app": "shop", "apps": ["shop"]}, "mutually exclusive"),
    ({}, "one of the following is required"),
])
def test_bad_apps_are_refused(args: dict[str, Any], word: str) -> None:
    with set_module_args(args), pytest.raises(AnsibleFailJson) as exc:
        service_info.main()
    assert word in exc.value.result["msg"]
