"""Bad input, the way an operator mistypes it: every playbook refuses it with one clear line naming
the input and what is allowed, exits non-zero, and changes nothing — TAG/REVERT/HISTORY.json on
every host, the running containers, the front's upstream files and the deploy locks are exactly
as before.

Every refusal runs once, in a module fixture, side by side: the lab is read before the first
and after the last, and each test then checks its own run (a refusal's check of the whole lab
would find a change any of them made)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from conftest import Images, Run, assert_no_lock_held, ensure_deployed, lab_state, playbook, with_group_vars

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


# The refusals that come after the pre-flight took the app's lock (the tag is looked up in the
# registry, the history read, under the lock): one at a time, so none finds the lock taken.
TAKES_THE_LOCK = ("tag=no-such-tag", "tag=never-deployed")

# Misspelt keys of an app entry in the operator's group_vars, refused by site.yml and deploy.yml.
MISSPELT = [
    ({"healthcheck_pth": "/up"}, "unknown key 'healthcheck_pth' (did you mean 'healthcheck_path'?)"),
    ({"port": 80}, "port must be a port in 1024-65534"),
    ({"oneshot": [["migrate"]]}, "unknown key 'oneshot': it is called 'manage_once' now"),
]


@dataclass
class Refusals:
    """Every bad input's run (or what went wrong running it), and the lab before and after them."""

    runs: dict[str, Run | BaseException]
    before: dict[str, str]
    after: dict[str, str]

    def run(self, key: str) -> Run:
        run = self.runs[key]
        if isinstance(run, BaseException):
            raise run
        return run


def bad_input_id(name: str, args: list[str]) -> str:
    return f"{name}:{' '.join(args)[:40]}"


def misspelt_id(name: str, change: dict) -> str:
    return f"{name}:{next(iter(change))}"


@pytest.fixture(scope="module")
def refusals(images: Images, tmp_path_factory: pytest.TempPathFactory) -> Refusals:
    ensure_deployed(images)
    commands: dict[str, list[str]] = {}
    for name, args, _message in BAD_INPUTS:
        commands[bad_input_id(name, args)] = [name] + [
            arg.replace("{r1}", images.tag("r1")).replace("{r2}", images.tag("r2")) for arg in args]
    for name in ("site.yml", "deploy.yml"):
        for change, _message in MISSPELT:
            # The operator's group_vars: the demo entry with one key wrong.
            apps = "{{ [dockyard_lab_apps[0] | combine(" + repr(change) + ")] + dockyard_lab_apps[1:] }}"
            overlay = with_group_vars(tmp_path_factory.mktemp("overlay"), {"dockyard_apps": apps})
            commands[misspelt_id(name, change)] = [name, *overlay, "-e", "app=demo", "-e", f"tag={images.tag('r2')}"]

    def run(key: str) -> Run | BaseException:
        try:
            return playbook(*commands[key])
        except AssertionError as exc:  # a secret in its output: that test reports it
            return exc

    locking = [key for key in commands if any(word in key for word in TAKES_THE_LOCK)]
    free = [key for key in commands if key not in locking]
    before = lab_state()
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = dict(zip(free, pool.map(run, free)))
    runs.update({key: run(key) for key in locking})
    after = lab_state()
    assert_no_lock_held()
    return Refusals(runs=runs, before=before, after=after)


@pytest.mark.parametrize(("name", "args", "message"), BAD_INPUTS,
                         ids=[bad_input_id(name, args) for name, args, _message in BAD_INPUTS])
def test_bad_input_is_refused_and_changes_nothing(refusals: Refusals, name: str, args: list[str], message: str) -> None:
    run = refusals.run(bad_input_id(name, args))
    assert run.rc != 0, run.out[-2000:]
    assert message in run.out, run.out[-2000:]
    assert "Traceback" not in run.out and "Unexpected Exception" not in run.out, run.out[-2000:]
    assert refusals.after == refusals.before


@pytest.mark.parametrize(("change", "message"), MISSPELT, ids=[next(iter(change)) for change, _message in MISSPELT])
@pytest.mark.parametrize("name", ["site.yml", "deploy.yml"])
def test_a_misspelt_app_entry_is_refused_by_name(refusals: Refusals, name: str, change: dict, message: str) -> None:
    run = refusals.run(misspelt_id(name, change))
    assert run.rc != 0, run.out[-2000:]
    assert f"dockyard_apps entry 'demo': {message}" in run.out, run.out[-2000:]
    assert refusals.after == refusals.before
