"""dockyard.django.deploy_lock and deploy_lock_info against lb1's real filesystem."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from lab_helpers import host_run, run_module

pytestmark = pytest.mark.lab

HOST = "lb1"


@pytest.fixture()
def lock_dir(lab: None) -> Iterator[str]:
    """A lock directory of this test only: the deploy tests' locks are never touched."""
    path = f"/tmp/itlock-{uuid.uuid4().hex[:8]}"
    yield path
    host_run(HOST, "rm", "-rf", path)


def test_take_read_release(lock_dir: str) -> None:
    args = {"app": "shop", "dir": lock_dir}
    assert run_module(HOST, "dockyard.django.deploy_lock_info", args)["lock"] is None
    taken = run_module(HOST, "dockyard.django.deploy_lock", {**args, "run_id": "it-1", "holder": "itest@lab"})
    assert not taken["failed"], taken.get("msg")
    read = run_module(HOST, "dockyard.django.deploy_lock_info", args, check=True)
    assert (read["changed"], read["lock"]) == (False, taken["lock"])
    other = run_module(HOST, "dockyard.django.deploy_lock", {**args, "run_id": "it-2"})
    assert other["failed"] and "held by itest@lab (run it-1)" in other["msg"]
    released = run_module(HOST, "dockyard.django.deploy_lock", {**args, "run_id": "it-1", "state": "released"})
    assert released["changed"] is True
    assert run_module(HOST, "dockyard.django.deploy_lock_info", args)["lock"] is None
    assert host_run(HOST, "ls", "-A", lock_dir).stdout == ""
