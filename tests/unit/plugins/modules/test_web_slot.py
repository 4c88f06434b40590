"""Argument checks of dockyard.django.web_slot: bad input fails before docker is asked."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.modules import web_slot
from unit.utils import AnsibleFailJson, set_module_args


@pytest.fixture(autouse=True)
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("docker must not be touched on bad input")
    monkeypatch.setattr(web_slot, "connect", refuse)
    monkeypatch.setattr(web_slot.WebSlots, "__init__", refuse)


@pytest.mark.parametrize("args, word", [
    ({"app": "a b", "tag": "v1", "port": 8001}, "app"),
    ({"app": "shop", "tag": "-v1", "port": 8001}, "tag"),
    ({"app": "shop", "port": 8001}, "tag"),
    ({"app": "shop", "tag": "v1", "port": 80}, "port"),
    ({"app": "shop", "tag": "v1", "port": 65535}, "port"),
    ({"app": "shop", "state": "active"}, "slot"),
    ({"app": "shop", "tag": "v1", "port": 8001, "wait_timeout": 0}, "wait_timeout"),
    ({"app": "shop", "tag": "v1", "port": 8001, "compose_file": "../x.yml"}, "compose_file"),
    ({"app": "shop", "tag": "v1", "port": 8001, "root": "var/www"}, "root"),
    ({"app": "shop", "state": "query"}, "state"),  # web_slot_info reads
])
def test_bad_input(args: dict[str, Any], word: str) -> None:
    with set_module_args(args), pytest.raises(AnsibleFailJson) as exc:
        web_slot.main()
    assert word in exc.value.result["msg"]
