"""No secret in output, at any verbosity: every playbook the deploy tests run (site.yml, deploys,
failing deploys, rollbacks, manage commands, bad input) runs at -vvv through conftest.playbook(),
which fails the test when the output holds any of the lab's secret values. This file proves the
check can fail, and covers what the other files do not run."""

from __future__ import annotations

import json

import pytest

import lab_helpers
from conftest import Images, playbook

pytestmark = pytest.mark.lab


def test_the_secret_check_finds_a_leak() -> None:
    secrets = lab_helpers.lab_secrets()
    # The lab's generated passwords and keys, the registry's, and the apps' env values.
    assert len(secrets) >= 6, len(secrets)
    assert lab_helpers.secrets_in(f"... DATABASE_URL=postgres://demo:{secrets[0]}@db1 ...")
    assert not lab_helpers.secrets_in("nothing to see")


def test_a_manage_command_prints_no_secret(deployed: str) -> None:
    # printsecret is a command of the test project: it prints settings.SECRET_KEY.
    run = playbook("manage.yml", "-e", "app=demo", "-e", "cmd=diffsettings")
    assert run.rc == 0, run.out[-3000:]
    assert "SECRET_KEY" in run.out, run.out[-3000:]


def test_the_audit_log_and_the_history_hold_no_secret(deployed: str, images: Images) -> None:
    for host in ("web1", "web2", "worker1"):
        files = lab_helpers.host_run(host, "sh", "-c", "cat /var/log/dockyard/*.log /var/www/*/HISTORY.json").stdout
        assert not lab_helpers.secrets_in(files), host
        # The runs of this session name their operator (USER is unset in CI: the login name counts).
        lines = lab_helpers.host_run(host, "sh", "-c", "cat /var/log/dockyard/*.log").stdout.splitlines()
        entries = [entry for entry in map(json.loads, lines) if images.prefix in entry["to"]]
        assert entries, host
        assert all(entry["operator"] and not entry["operator"].startswith("unknown") for entry in entries), entries
