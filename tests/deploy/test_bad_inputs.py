"""Bad input, the way an operator mistypes it: every playbook refuses it with one clear line naming
the input and what is allowed, exits non-zero, and changes nothing — TAG/REVERT/HISTORY.json on
every host, the running containers, the front's upstream files and the deploy locks are exactly
as before."""

from __future__ import annotations

import pytest

from conftest import Images, lab_state, playbook, with_group_vars

pytestmark = pytest.mark.lab

# (playbook, arguments, what the message must say). {r1}/{r2} are this session's demo tags.
BAD_INPUTS = [
    # deploy.yml: which app, which tag
    ("deploy.yml", ["-e", "tag={r2}"], "app: give -e app=<name>"),
    ("deploy.yml", ["-e", "app=nosuch", "-e", "tag={r2}"], "app=nosuch is not in dockyard_apps (known apps: demo, solo)"),
    ("deploy.yml", ["-e", "app=../../etc", "-e", "tag={r2}"], "app='../../etc' is not a valid app name"),
    ("deploy.yml", ["-e", "app=Demo", "-e", "tag={r2}"], "app='Demo' is not a valid app name"),
    ("deploy.yml", ["-e", "app=demo"], "tag: give -e tag=<the image tag to deploy>"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag=a;rm -rf /"], "is not a valid Docker tag"),
    # The shell passes "tag=a b" whole; Ansible's key=value parsing would keep tag=a.
    ("deploy.yml", ["-e", "app=demo", "-e", "tag=a b"], "-e words that are not key=value: 'b'"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag=" + "x" * 200], "is not a valid Docker tag"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag=-leading-dash"], "is not a valid Docker tag"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag=no-such-tag"], "not found"),
    # deploy.yml: how
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "serial=abc"],
     "serial='abc': must be a number of web hosts (1 or more) or a percentage of them (1%-100%)"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "serial=0"], "serial='0': must be"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "serial=150%"], "serial='150%': must be"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "lock_wait=soon"],
     "lock_wait='soon': must be a whole number (seconds), 0 or more"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "lock_wait=-5"], "lock_wait='-5': must be"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "backup=maybe"], "backup='maybe': must be true or false"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "deploy_health_timeout=0"],
     "deploy_health_timeout='0': must be a whole number (seconds), 1 or more"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "deploy_retain=1"], "deploy_retain='1': must be"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "deploy_manage_timeout=abc"],
     "deploy_manage_timeout='abc': must be a whole number (seconds), 1 or more"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", '{"deploy_manage_once": "migrate"}'],
     "deploy_manage_once: must be a list of manage.py argv lists"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "takeover=x;y"], "takeover='x;y': must be the run id"),
    ("deploy.yml", ["-e", "app=demo", "-e", "tag={r2}", "-e", "operator="], "operator: must be one line"),
    # rollback.yml
    ("rollback.yml", ["-e", "app=demo", "-e", "tag=never-deployed"], "is not in the release history of demo"),
    ("rollback.yml", ["-e", "app=nosuch"], "app=nosuch is not in dockyard_apps"),
    ("rollback.yml", ["-e", "app=demo", "-e", "serial=many"], "serial='many': must be"),
    ("rollback.yml", ["-e", "app=demo", "-e", '{"deploy_reverse_migrations": "notes"}'],
     "deploy_reverse_migrations: must be a list of migrate targets"),
    # unlock.yml
    ("unlock.yml", ["-e", "app=nosuch"], "app=nosuch is not in dockyard_apps"),
    ("unlock.yml", [], "app: give -e app=<name>"),
    ("unlock.yml", ["-e", "app=../etc"], "app='../etc' is not a valid app name"),
    # the day-2 playbooks
    ("status.yml", ["-e", "app=nosuch"], "app=nosuch is not in dockyard_apps"),
    ("status.yml", ["-e", "app=demo", "-e", "format=xml"], "format='xml': must be table or json"),
    ("logs.yml", ["-e", "app=demo", "-e", "service=db"], "service='db': must be web, worker or beat"),
    ("logs.yml", ["-e", "app=demo", "-e", "since=1d"], "since='1d': must be a duration such as 30s, 10m or 2h"),
    ("maintenance.yml", ["-e", "app=demo", "-e", "state=maybe"], "state='maybe': must be on or off"),
    ("maintenance.yml", ["-e", "app=demo", "-e", "state=on", "-e", "allow=10.0.0.300"],
     "allow='10.0.0.300': must be client addresses or networks"),
    ("restore.yml", ["-e", "app=demo"], "give -e confirm=demo"),
    ("restore.yml", ["-e", "app=demo", "-e", "confirm=demo", "-e", "dump=../../etc/shadow"],
     "dump='../../etc/shadow': must be the file name of a dump"),
]


@pytest.mark.parametrize(("name", "args", "message"), BAD_INPUTS,
                         ids=[f"{name}:{' '.join(args)[:40]}" for name, args, _message in BAD_INPUTS])
def test_bad_input_is_refused_and_changes_nothing(deployed: str, images: Images, name: str, args: list[str],
                                                  message: str) -> None:
    args = [arg.replace("{r1}", images.tag("r1")).replace("{r2}", images.tag("r2")) for arg in args]
    before = lab_state()
    run = playbook(name, *args)
    assert run.rc != 0, run.out[-2000:]
    assert message in run.out, run.out[-2000:]
    assert "Traceback" not in run.out and "Unexpected Exception" not in run.out, run.out[-2000:]
    assert lab_state() == before


@pytest.mark.parametrize(("change", "message"), [
    ({"healthcheck_pth": "/up"}, "unknown key 'healthcheck_pth' (did you mean 'healthcheck_path'?)"),
    ({"port": 80}, "port must be a port in 1024-65534"),
    ({"oneshot": [["migrate"]]}, "unknown key 'oneshot': it is called 'manage_once' now"),
    ({"limits": {"worker": {"memory": "2x"}}},
     "limits worker.memory must be a size such as 512m or 2g (a number with unit b, k, m or g), got '2x'"),
])
@pytest.mark.parametrize("name", ["site.yml", "deploy.yml"])
def test_a_misspelt_app_entry_is_refused_by_name(deployed: str, images: Images, tmp_path, name: str,
                                                 change: dict, message: str) -> None:
    # The operator's group_vars: the demo entry with one key wrong.
    apps = ("{{ [dockyard_lab_apps[0] | combine(" + repr(change) + ")] + dockyard_lab_apps[1:] }}")
    before = lab_state()
    run = playbook(name, *with_group_vars(tmp_path, {"dockyard_apps": apps}),
                   "-e", "app=demo", "-e", f"tag={images.tag('r2')}")
    assert run.rc != 0, run.out[-2000:]
    assert f"dockyard_apps entry 'demo': {message}" in run.out, run.out[-2000:]
    assert lab_state() == before
