"""Unit tests of the timeline callback: what it records and what it never writes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ansible_collections.dockyard.django.plugins.callback import timeline


class Named(SimpleNamespace):
    def get_name(self) -> str:
        return self.name


def result(host: str, task: Any, payload: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(_host=Named(name=host), _task=task, _result=payload)


def test_a_run_is_written_with_hosts_plays_and_statuses(tmp_path: Path) -> None:
    path = tmp_path / "out" / "timeline.json"
    callback = timeline.CallbackModule()
    callback._path = str(path)
    callback.v2_playbook_on_start(SimpleNamespace(_file_name="/x/deploy.yml"))
    callback.v2_playbook_on_play_start(Named(name="Deploy | pull "))
    pull = Named(name="Pull the image", _uuid="u1", action="dockyard.django.image",
                 resolved_action="dockyard.django.image")
    lock = Named(name="Take the lock", _uuid="u2", action="deploy_lock", resolved_action=None)
    for host in ("web1", "web2"):
        callback.v2_runner_on_start(Named(name=host), pull)
    callback.v2_runner_on_ok(result("web1", pull, {"changed": True, "password": "s3cret"}))
    callback.v2_runner_on_failed(result("web2", pull, {"msg": "s3cret"}))
    callback.v2_runner_on_start(Named(name="localhost"), lock)
    callback.v2_runner_on_ok(result("localhost", lock, {"_ansible_delegated_vars": {"ansible_delegated_host": "lb1"}}))
    callback.v2_playbook_on_stats(None)

    text = path.read_text()
    assert "s3cret" not in text
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    document = json.loads(text)
    assert document["playbook"] == "deploy.yml"
    tasks = document["tasks"]
    assert [(t["host"], t["where"], t["play"], t["status"]) for t in tasks] == [
        ("web1", "web1", "Deploy | pull", "changed"),
        ("web2", "web2", "Deploy | pull", "failed"),
        ("localhost", "lb1", "Deploy | pull", "ok"),
    ]
    assert tasks[2]["action"] == "deploy_lock"
    assert all(t["start"] <= t["end"] for t in tasks)


def test_nothing_is_written_without_a_path(tmp_path: Path) -> None:
    callback = timeline.CallbackModule()
    callback._path = None
    callback.v2_playbook_on_stats(None)
    assert list(tmp_path.iterdir()) == []
