# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the deploy role: its pre-flight's input checks and its summary."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Callable

from ansible_collections.dockyard.django.plugins.module_utils._validation import APP_RE, TAG_RE
from ansible_collections.dockyard.django.plugins.plugin_utils._inputs import shown as _shown, whole as _whole

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_PERCENT_RE = re.compile(r"^([0-9]{1,3})%$")
# The inputs a person gives on the command line, by the name they type there (-e serial=...),
# with the role variable it sets; other inputs are named by their role variable.
_CLI_NAMES = {"app": "deploy_app", "tag": "deploy_tag", "serial": "deploy_serial", "backup": "deploy_backup",
              "maintenance": "deploy_maintenance", "restart": "deploy_restart", "lock_wait": "deploy_lock_wait", "operator": "deploy_operator",
              "takeover": "deploy_takeover"}
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_OPERATOR_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")


def as_bool(value: Any) -> bool | None:
    """true/false as Ansible reads them (yes/no, on/off, 1/0), else None."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def _is_argv_list(value: Any) -> bool:
    """A list of non-empty lists of strings (argv lists)."""
    return isinstance(value, list) and all(
        isinstance(argv, list) and argv and all(isinstance(word, str) for word in argv) for argv in value)


def input_problems(inputs: Mapping[str, Any], apps: list[Any] | None = None) -> list[str]:
    """What is wrong with a playbook's inputs: one message per input, naming it as the operator
    typed it and saying what is allowed (empty: nothing). Only the inputs given are checked.

    ``inputs`` maps the deploy role's variable names without their ``deploy_`` prefix (app, tag,
    serial, ...) to the values; with ``apps`` (the app list), the app must be one of them.
    """
    problems: list[str] = []
    if str(inputs.get("cli_words") or "").strip():
        words = str(inputs["cli_words"]).split()
        problems.append(f"-e words that are not key=value: {', '.join(map(repr, words))} (Ansible cut a value with "
                        "spaces short; give such a value in JSON, e.g. -e '{\"cmd\": \"a b\"}')")

    def name(key: str) -> str:
        return key if key in _CLI_NAMES else f"deploy_{key}"

    app = inputs.get("app")
    if not isinstance(app, str) or not app:
        problems.append("app: give -e app=<name>, an app of dockyard_apps")
    elif not APP_RE.match(app):
        problems.append(f"app={_shown(app)} is not a valid app name: it must match [a-z][a-z0-9_-]{{0,31}}")
    elif apps is not None:
        known = [entry.get("name") for entry in apps if isinstance(entry, Mapping)]
        if app not in known:
            problems.append(f"app={app} is not in dockyard_apps (known apps: {', '.join(map(str, known)) or 'none'})")
    mode = inputs.get("mode", "deploy")
    if mode not in ("deploy", "rollback"):
        problems.append(f"deploy_mode={_shown(mode)}: must be deploy or rollback")
    tag = inputs.get("tag")
    if "tag" not in inputs:
        pass
    elif tag in (None, "") and mode != "rollback":
        problems.append("tag: give -e tag=<the image tag to deploy>")
    elif tag not in (None, "") and (not isinstance(tag, str) or not TAG_RE.match(tag)):
        problems.append(f"tag={_shown(tag)} is not a valid Docker tag: it must match "
                        "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
    if "serial" in inputs:
        serial = inputs["serial"]
        number = _whole(serial)
        percent = _PERCENT_RE.match(str(serial).strip())
        if not ((number is not None and number > 0) or (percent and 1 <= int(percent.group(1)) <= 100)):
            problems.append(f"serial={_shown(serial)}: must be a number of web hosts (1 or more) or a "
                            "percentage of them (1%-100%)")
    if "backup" in inputs and as_bool(inputs["backup"]) is None:
        problems.append(f"backup={_shown(inputs['backup'])}: must be true or false")
    for key in ("maintenance", "restart"):
        if key in inputs and as_bool(inputs[key]) is None:
            problems.append(f"{key}={_shown(inputs[key])}: must be true or false")
    for key, least in (("lock_wait", 0), ("health_timeout", 1), ("worker_timeout", 1), ("manage_timeout", 1),
                       ("pull_retries", 0), ("retain", 2)):
        if key in inputs:
            number = _whole(inputs[key])
            if number is None or number < least:
                what = "seconds" if key.endswith(("wait", "timeout")) else "a count"
                problems.append(f"{name(key)}={_shown(inputs[key])}: must be a whole number ({what}), "
                                f"{least} or more")
    if "operator" in inputs and not (isinstance(inputs["operator"], str) and _OPERATOR_RE.match(inputs["operator"])):
        problems.append("operator: must be one line of at most 128 characters naming who deploys")
    if inputs.get("takeover") and not (isinstance(inputs["takeover"], str) and _RUN_ID_RE.match(inputs["takeover"])):
        problems.append(f"takeover={_shown(inputs['takeover'])}: must be the run id the held lock names")
    if "reverse_migrations" in inputs and not _is_argv_list(inputs["reverse_migrations"]):
        problems.append("deploy_reverse_migrations: must be a list of migrate targets, e.g. [[notes, 0002_note_done]]")
    if "manage_prefix" in inputs and not (_is_argv_list([inputs["manage_prefix"]])):
        problems.append("deploy_manage_prefix: must be a non-empty list of words, e.g. [python, manage.py]")
    for key in ("manage_once", "manage_per_host"):
        if key in inputs and not _is_argv_list(inputs[key]):
            problems.append(f"deploy_{key}: must be a list of manage.py argv lists, e.g. [[migrate, --noinput]]")
    for key in ("root", "env_dir", "audit_dir", "lock_dir"):
        if key in inputs and not (isinstance(inputs[key], str) and inputs[key].startswith("/")
                                  and "\n" not in inputs[key] and ".." not in inputs[key].split("/")):
            problems.append(f"deploy_{key}={_shown(inputs[key])}: must be an absolute path")
    return problems


def deploy_host_groups(hosts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The groups the later plays of a run use, per host: ``[{host, groups}]`` for add_host.

    ``hosts`` is the run state's ``hosts``: all, web, workers (worker and beat hosts), first_web,
    and database (the host of the pre-migration backup, or none); fronts (the load balancers
    of a run in a maintenance window, else none).
    """
    membership: dict[str, list[str]] = {}

    def add(host: str, group: str) -> None:
        membership.setdefault(host, [])
        if group not in membership[host]:
            membership[host].append(group)

    for host in hosts.get("all") or []:
        add(host, "__deploy_all")
    for host in hosts.get("web") or []:
        add(host, "__deploy_web")
    for host in hosts.get("workers") or []:
        add(host, "__deploy_workers")
    if hosts.get("first_web"):
        add(hosts["first_web"], "__deploy_first_web")
    if hosts.get("database"):
        add(hosts["database"], "__deploy_database")
    for host in hosts.get("fronts") or []:
        add(host, "__deploy_fronts")
    return [{"host": host, "groups": groups} for host, groups in membership.items()]


def phase_durations(marks: list[dict[str, Any]], end: float) -> dict[str, float]:
    """Seconds spent in each phase, from the start marks of the phases and the end time.

    A phase that ran more than once (one switch per batch) adds up.
    """
    bounds = [float(mark["at"]) for mark in marks] + [float(end)]
    durations: dict[str, float] = {}
    for index, mark in enumerate(marks):
        seconds = bounds[index + 1] - bounds[index]
        durations[mark["phase"]] = round(durations.get(mark["phase"], 0.0) + seconds, 2)
    return durations


def unreversed_migrations(history: list[dict[str, Any]], target: str) -> list[str]:
    """Migrations applied by the releases a rollback to ``target`` leaves behind.

    Every release deployed after the last deploy of ``target`` is rolled back; the migrations
    they applied (recorded in the history by the release module) stay in the database unless
    reversed. Without any deploy of ``target`` in the history, every recorded release counts.
    """
    tags = [entry.get("tag") for entry in history]
    last = len(tags) - 1 - tags[::-1].index(target) if target in tags else -1
    seen: list[str] = []
    for entry in history[last + 1:]:
        if entry.get("result") == "deployed":
            seen.extend(name for name in entry.get("migrations") or [] if name not in seen)
    return seen


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "deploy_host_groups": deploy_host_groups,
            "input_problems": input_problems,
            "phase_durations": phase_durations,
            "unreversed_migrations": unreversed_migrations,
        }
