"""Unit tests of dockyard.django.nginx_upstream on a temporary site directory.

The validate and reload commands are small scripts that log their calls, so the tests see what
ran and in which order; the module against a real nginx is tested by the proxy role's Molecule
scenario and by every deploy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dockyard.django.plugins.modules import nginx_upstream
from unit.utils import AnsibleExitJson, AnsibleFailJson, set_module_args

HEADER = "#\n# Ansible managed\n#"
MODULE_KEYS = {"validate", "reload", "fail_timeout", "max_fails", "dir"}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    directory = tmp_path / "shop" / "upstream.d"
    directory.mkdir(parents=True)
    return directory


def script(tmp_path: Path, name: str, status: int = 0) -> list[str]:
    """A command that appends its name to calls.log, prints to stderr when it fails, and exits with status."""
    path = tmp_path / name
    path.write_text(
        "#!/bin/sh\n"
        f"echo {name} >> {tmp_path / 'calls.log'}\n"
        f"[ {status} -eq 0 ] || echo '{name}: emerg unknown directive' >&2\n"
        f"exit {status}\n"
    )
    path.chmod(0o755)
    return [str(path)]


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().split() if log.exists() else []


def args(site: Path, tmp_path: Path, **server: Any) -> dict[str, Any]:
    """One server, web1 at 10.0.0.11:8002 unless ``server`` says otherwise; ``_``-prefixed keys go to the module."""
    module = {key: server.pop(key) for key in list(server) if key.startswith("_") or key in MODULE_KEYS}
    return {
        "dir": str(site),
        "servers": [{"host": "web1", "address": "10.0.0.11", "port": 8002, **server}],
        "header": HEADER,
        "validate": script(tmp_path, "validate"),
        "reload": script(tmp_path, "reload"),
        **module,
    }


def run(module_args: dict[str, Any]) -> dict[str, Any]:
    with set_module_args(module_args), pytest.raises(AnsibleExitJson) as exc:
        nginx_upstream.main()
    return exc.value.result


def fail(module_args: dict[str, Any]) -> dict[str, Any]:
    with set_module_args(module_args), pytest.raises(AnsibleFailJson) as exc:
        nginx_upstream.main()
    return exc.value.result


def test_writes_validates_reloads_then_is_idempotent(site: Path, tmp_path: Path) -> None:
    first = run(args(site, tmp_path))
    assert first["changed"] and first["reloaded"]
    assert first["servers"] == {"web1": "server 10.0.0.11:8002 max_fails=1 fail_timeout=10s;"}
    assert (site / "web1.conf").read_text() == f"{HEADER}\nserver 10.0.0.11:8002 max_fails=1 fail_timeout=10s;\n"
    assert oct((site / "web1.conf").stat().st_mode & 0o777) == "0o644"
    assert calls(tmp_path) == ["validate", "reload"]

    again = run(args(site, tmp_path))
    assert not again["changed"] and not again["reloaded"]
    assert calls(tmp_path) == ["validate", "reload"]  # nothing ran the second time


def test_check_mode_reports_and_touches_nothing(site: Path, tmp_path: Path) -> None:
    result = run(args(site, tmp_path, _ansible_check_mode=True, _ansible_diff=True))
    assert result["changed"] and not result["reloaded"]
    assert result["diff"][0]["before"] == "" and "8002" in result["diff"][0]["after"]
    assert not (site / "web1.conf").exists() and calls(tmp_path) == []


def test_diff_shows_the_port_change(site: Path, tmp_path: Path) -> None:
    run(args(site, tmp_path))
    result = run(args(site, tmp_path, port=8001, _ansible_diff=True))
    assert "8002" in result["diff"][0]["before"] and "8001" in result["diff"][0]["after"]


def test_down_keeps_the_address_and_port_of_the_file(site: Path, tmp_path: Path) -> None:
    run(args(site, tmp_path))
    result = run(args(site, tmp_path, state="down", address=None, port=None))
    assert result["changed"]
    assert result["servers"]["web1"] == "server 10.0.0.11:8002 max_fails=1 fail_timeout=10s down;"


def test_down_without_a_file_or_an_address_fails(site: Path, tmp_path: Path) -> None:
    result = fail(args(site, tmp_path, state="down", address=None, port=None))
    assert "to mark web1 down, give address and port" in result["msg"]
    assert not (site / "web1.conf").exists()


def test_ipv6_goes_in_brackets_and_reads_back(site: Path, tmp_path: Path) -> None:
    run(args(site, tmp_path, address="fd00::11"))
    assert "server [fd00::11]:8002 " in (site / "web1.conf").read_text()
    down = run(args(site, tmp_path, state="down", address=None, port=None))
    assert down["servers"]["web1"].startswith("server [fd00::11]:8002 ")


def test_absent_removes_the_file_and_reloads(site: Path, tmp_path: Path) -> None:
    run(args(site, tmp_path))
    result = run(args(site, tmp_path, state="absent"))
    assert result["changed"] and result["reloaded"] and result["servers"] == {"web1": ""}
    assert not (site / "web1.conf").exists()
    assert not run(args(site, tmp_path, state="absent"))["changed"]


def test_a_refused_file_is_put_back_and_nginx_not_reloaded(site: Path, tmp_path: Path) -> None:
    run(args(site, tmp_path))
    before = (site / "web1.conf").read_text()
    result = fail(args(site, tmp_path, port=8001, validate=script(tmp_path, "validate-no", status=1)))
    assert "previous ones are back in place" in result["msg"] and "unknown directive" in result["msg"]
    assert (site / "web1.conf").read_text() == before
    assert calls(tmp_path) == ["validate", "reload", "validate-no"]


def test_a_refused_new_file_is_removed(site: Path, tmp_path: Path) -> None:
    fail(args(site, tmp_path, validate=script(tmp_path, "validate-no", status=1)))
    assert list(site.iterdir()) == []


def test_a_failed_reload_is_reported(site: Path, tmp_path: Path) -> None:
    result = fail(args(site, tmp_path, reload=script(tmp_path, "reload-no", status=1)))
    assert "were written and accepted, but the reload" in result["msg"]
    # nginx accepted the file: it stays, so the next call does not see a change that is not there.
    assert "server 10.0.0.11:8002 " in (site / "web1.conf").read_text()
    assert calls(tmp_path) == ["validate", "reload-no"]


def test_a_site_that_is_not_configured_fails_and_creates_nothing(tmp_path: Path) -> None:
    result = fail(args(tmp_path / "blog" / "upstream.d", tmp_path))
    assert "the site is not configured here" in result["msg"]
    assert not (tmp_path / "blog").exists()


@pytest.mark.parametrize(("extra", "word"), [
    ({"address": None}, "needs address and port"),
    ({"port": None}, "needs address and port"),
    ({"port": 70000}, "port must be 1-65535"),
    ({"address": "10.0.0.1; evil"}, "address must be"),
    ({"fail_timeout": "ten"}, "fail_timeout"),
    ({"max_fails": -1}, "max_fails"),
    ({"state": "up"}, "state"),
    ({"host": "../etc/passwd"}, "host must be a host name"),
])
def test_bad_input_changes_nothing(site: Path, tmp_path: Path, extra: dict[str, Any], word: str) -> None:
    assert word in fail(args(site, tmp_path, **extra))["msg"]
    assert list(site.iterdir()) == [] and calls(tmp_path) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("#\nserver 10.0.0.1:8001 max_fails=1 fail_timeout=10s;\n", ("10.0.0.1", 8001)),
    ("server [fd00::1]:8002 max_fails=1 fail_timeout=10s down;\n", ("fd00::1", 8002)),
    ("server web1:80 max_fails=1;", ("web1", 80)),
    ("# no server here\n", None),
])
def test_parse_server(text: str, expected: tuple[str, int] | None) -> None:
    assert nginx_upstream.parse_server(text) == expected


def test_a_batch_is_written_validated_and_reloaded_once(site: Path, tmp_path: Path) -> None:
    batch = args(site, tmp_path)
    batch["servers"].append({"host": "web2", "address": "10.0.0.12", "port": 8002})
    result = run(batch)
    assert result["changed"] and sorted(result["servers"]) == ["web1", "web2"]
    assert calls(tmp_path) == ["validate", "reload"]
    (site / "web3.conf").write_text("server 10.0.0.13:8001 max_fails=1 fail_timeout=10s;\n")
    batch["servers"][1]["port"] = 8001
    assert run(batch)["changed"]
    assert (site / "web3.conf").read_text().startswith("server 10.0.0.13:8001")  # not named: left alone


def test_a_refused_batch_puts_every_file_back(site: Path, tmp_path: Path) -> None:
    run(args(site, tmp_path))
    before = (site / "web1.conf").read_text()
    batch = args(site, tmp_path, port=8001, validate=script(tmp_path, "validate-no", status=1))
    batch["servers"].append({"host": "web2", "address": "10.0.0.12", "port": 8001})
    fail(batch)
    assert (site / "web1.conf").read_text() == before and not (site / "web2.conf").exists()


def test_a_bad_entry_in_a_batch_changes_nothing(site: Path, tmp_path: Path) -> None:
    batch = args(site, tmp_path)
    batch["servers"].append({"host": "web2", "address": "10.0.0.12", "port": 0})
    assert "web2's port must be 1-65535" in fail(batch)["msg"]
    assert list(site.iterdir()) == [] and calls(tmp_path) == []


def test_a_host_named_twice_is_refused(site: Path, tmp_path: Path) -> None:
    batch = args(site, tmp_path)
    batch["servers"].append(dict(batch["servers"][0]))
    assert "each host may be named once" in fail(batch)["msg"]
