"""dockyard.django.file_set against lb1's real filesystem, through the lab's connection."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lab_helpers import host_run, run_module

pytestmark = pytest.mark.lab

HOST = "lb1"
MODULE = "dockyard.django.file_set"


@pytest.fixture()
def base(lab: None) -> Iterator[str]:
    """A fresh directory on lb1, removed afterwards so reruns start clean."""
    path = f"/tmp/itfileset{uuid.uuid4().hex[:8]}"
    yield path
    host_run(HOST, "rm", "-rf", path)


def file_set(check: bool = False, diff: bool = False, **args: Any) -> dict[str, Any]:
    return run_module(HOST, MODULE, {"owner": "root", "group": "www-data", **args}, check=check, diff=diff)


def listing(base: str) -> str:
    """Every path under base with its mode, owner, group and checksum: equal listings, nothing changed."""
    script = f'cd {base} 2>/dev/null && find . -printf "%p %m %u %g\\n" | sort && find . -type f -exec md5sum {{}} + | sort'
    return host_run(HOST, "sh", "-c", script, check=False).stdout


def test_check_apply_idempotent_change(base: str) -> None:
    args = {"directories": {base: "", f"{base}/site": "", f"{base}/site/tls": "0750"},
            "files": {f"{base}/site/a.conf": "server a;\n", f"{base}/b.conf": "b\n"},
            "backup": True}

    checked = file_set(check=True, diff=True, **args)
    assert not checked["failed"], checked.get("msg")
    assert checked["changed"] and [entry["changed"] for entry in checked["files"]] == [True, True]
    assert any(diff["after"] == "server a;\n" for diff in checked["diff"])
    assert host_run(HOST, "test", "-e", base, check=False).returncode != 0, "check mode created files"

    applied = file_set(**args)
    assert not applied["failed"], applied.get("msg")
    assert applied["changed"]
    assert host_run(HOST, "cat", f"{base}/site/a.conf").stdout == "server a;\n"
    assert "./site/tls 750 root www-data" in listing(base)
    assert "./site/a.conf 644 root www-data" in listing(base)

    before = listing(base)
    again = file_set(**args)
    assert not again["failed"] and not again["changed"], again
    assert listing(base) == before

    changed = file_set(**{**args, "files": {**args["files"], f"{base}/site/a.conf": "server b;\n"}})
    assert changed["changed"] and changed["files"][0]["changed"] and not changed["files"][1]["changed"]
    assert host_run(HOST, "cat", f"{base}/site/a.conf").stdout == "server b;\n"
    assert host_run(HOST, "cat", changed["files"][0]["backup_file"]).stdout == "server a;\n"


def test_a_missing_directory_fails_and_changes_nothing(base: str) -> None:
    result = file_set(files={f"{base}/nowhere/a.conf": "x\n"})
    assert result["failed"] and "does not exist and is not in directories" in result["msg"]
    assert result["changed"] is False
    assert host_run(HOST, "test", "-e", base, check=False).returncode != 0


def test_validate_checks_the_new_content_on_the_host(base: str) -> None:
    """nginx on lb1 checks a configuration (a copy in the module's temporary directory) before
    it is written: a refused one fails with nginx's message and changes nothing."""
    conf = f"{base}/nginx.conf"
    validate = "nginx -t -q -c %s"
    good = "events {}\nhttp {}\n"
    written = file_set(directories={base: ""}, files={conf: good}, validate=validate)
    assert not written["failed"] and written["changed"], written.get("msg")

    before = listing(base)
    refused = file_set(directories={base: "0700"}, files={conf: "events {}\nhttp { no_such_directive on; }\n"},
                       validate=validate)
    assert refused["failed"] and f"validate refused the new content of {conf}" in refused["msg"], refused
    assert "no_such_directive" in refused["stderr"]
    assert refused["changed"] is False and listing(base) == before
