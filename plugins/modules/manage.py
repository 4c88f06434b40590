#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: manage
short_description: Run a manage.py command once, in a throwaway container of an app's image
version_added: 0.1.0
description:
  - Runs one Django management command (C(migrate), C(collectstatic --noinput), C(compress),
    C(check --deploy), or any other) in a throwaway container created from the app image
    O(image):O(tag), with the app's environment, and removes the container afterwards in every
    case (success, non-zero exit, timeout, or the module being interrupted by SIGTERM, SIGINT
    or SIGHUP).
  - The container's command is O(manage) followed by O(argv), for example
    C(python manage.py migrate --noinput). It replaces the image's C(CMD); an image
    C(ENTRYPOINT) still runs first and receives it as arguments.
  - The variables of the app's env file O(env_file) are read by the module and passed to the
    container through the Docker Engine API; their values never appear in the result or in a
    failure message (see O(env_file)).
  - Talks to the local Docker Engine through its API (the Docker SDK for Python), not the docker CLI.
  - C(changed) is honest for the commands whose output tells it - C(migrate) is not changed
    when Django says C(No migrations to apply.), C(collectstatic) is not changed when it
    reports C(0 static files copied) - and for Django's read-only commands, never changed - C(check),
    C(diffsettings), C(dumpdata), C(findstatic), C(help), C(inspectdb), C(showmigrations),
    C(sqlflush), C(sqlmigrate), C(sqlsequencereset), C(version), and C(migrate) with C(--plan) or
    C(--check). It follows O(changes) for any other command.
  - Every container carries the label C(dockyard.django.task=<app>) and a name starting with
    C(dockyard-task-<app>-), so that a leftover (after a SIGKILL) can be found and removed.
options:
  image:
    description:
      - The app image repository, without a tag or digest, for example C(registry:5000/shop/web).
    type: str
    required: true
  tag:
    description:
      - The image tag to run.
      - When omitted, the tag of the current release, read from C(<root>/<app>/TAG), a single
        line C(export TAG=<tag>) as written by the C(dockyard.django.release) module.
    type: str
  env_file:
    description:
      - The app's 12-factor env file, C(KEY=value) lines; blank lines and C(#) comments are
        skipped, an C(export ) prefix is allowed, values may be single- or double-quoted.
      - Parsed by the module (which must be able to read it, it is usually root-only) and passed
        to the container as its environment.
      - Every value of at least 4 characters (other than C(true), C(false), C(none), C(null),
        C(yes), C(off)) is replaced with C(********) wherever it appears in the output, the
        command and the failure message.
      - Defaults to C(/etc/default/<app>). It must exist.
    type: path
  env:
    description:
      - Extra environment variables for the container, overriding those of O(env_file).
      - Their values are masked like the env file's.
    type: dict
    default: {}
  argv:
    description:
      - The manage.py argv - the command name and its arguments, for example C([migrate, --noinput]),
        C([collectstatic, --noinput]) or C([check, --deploy]).
    type: list
    elements: str
    required: true
  manage:
    description:
      - What comes before O(argv) in the container's command, that is what runs manage.py in the
        image's working directory.
      - Set it to V([]) when the image's C(ENTRYPOINT) already is manage.py (or a wrapper that takes
        its argv).
    type: list
    elements: str
    default: [python, manage.py]
  network:
    description:
      - The network the container joins - V(none) (no network at all), a network name such as a
        Compose project's C(<project>_default) so the command reaches the database, V(bridge) or V(host).
    type: str
    default: none
  volumes:
    description:
      - Bind mounts or named volumes, each C(src:dst[:mode]) as with C(docker run -v), for
        example C(/srv/shop/static:/static) for C(collectstatic).
    type: list
    elements: str
    default: []
  limits:
    description:
      - Memory and CPU limits of the command's container, as the app's services have them (filter
        C(dockyard.django.app_limits) with V(manage)), so that a data migration cannot starve the
        other apps of the host. No limit when omitted.
    type: dict
    default: {}
    version_added: 0.3.0
    suboptions:
      memory:
        description: A size such as V(512m) or V(2g) (unit b, k, m or g), at least V(6m).
        type: str
      cpus:
        description: A number of CPUs, such as V(0.5) or V(2).
        type: float
  user:
    description:
      - The user (C(name), C(uid) or C(uid:gid)) to run the command as; the image's C(USER) when omitted.
    type: str
  timeout:
    description:
      - Seconds the command may run. When exceeded, the container is killed and removed and the
        module fails naming the timeout. Pulling the image does not count.
    type: int
    default: 600
  changes:
    description:
      - Whether a command other than C(migrate), C(collectstatic) and Django's read-only commands
        (see the description) reports C(changed) after a successful run. Set it to V(false) for
        an app's own read-only commands; they then also run in check mode.
    type: bool
    default: true
  pull:
    description:
      - When to pull O(image):O(tag) from its registry, with the credentials of the user running
        the module (C(docker login)).
      - V(missing) pulls only when the engine does not have it, V(always) every time, V(never) fails
        when it is missing.
    type: str
    choices: [missing, always, never]
    default: missing
attributes:
  check_mode:
    support: partial
    description: Runs only what cannot change anything, and asks Django what the rest would do.
    details:
      - C(migrate) runs C(migrate --plan) instead, applies nothing and returns the migrations it
        would apply as RV(pending); C(changed) is true when there are some.
      - C(collectstatic) runs with C(--dry-run), which copies nothing, and reports whether it
        would copy anything.
      - Django's read-only commands, and commands declared read-only with O(changes=false), run as usual.
      - Any other command is skipped (C(skipped=true), C(changed=false)).
      - The image is pulled when missing, since Django itself must be asked what it would do.
  diff_mode:
    support: none
    description: A command's effect is not a before and after of files; RV(stdout) and RV(applied) show it.
requirements:
  - Docker SDK for Python (C(docker), Debian package C(python3-docker)) on the managed host.
  - A running Docker Engine on the managed host.
extends_documentation_fragment:
  - dockyard.django.app
  - dockyard.django.app.root
  - dockyard.django.attributes
author: "dockyard.django maintainers (@dockyard)"
notes:
  - The container is removed even when the module is interrupted, except by SIGKILL; find
    leftovers with C(docker ps -a --filter label=dockyard.django.task=<app>).
"""

EXAMPLES = r"""
- name: Apply the current release's migrations, on the app's Compose network
  dockyard.django.manage:
    app: shop
    image: registry.example.com/shop/web
    argv: [migrate, --noinput]
    network: shop_default

- name: Collect static files of a given tag into the directory nginx serves
  dockyard.django.manage:
    app: shop
    image: registry.example.com/shop/web
    tag: build-42
    argv: [collectstatic, --noinput]
    volumes:
      - /srv/shop/static:/static

- name: A data migration held to half a CPU and 1 GiB, as the app's other containers
  dockyard.django.manage:
    app: shop
    image: registry.example.com/shop/web
    argv: [migrate, --noinput]
    network: shop_default
    limits:
      memory: 1g
      cpus: 0.5

- name: Check the deployment settings; read-only, so it runs in check mode too
  dockyard.django.manage:
    app: shop
    image: registry.example.com/shop/web
    argv: [check, --deploy, --fail-level, WARNING]
    changes: false

- name: An image whose ENTRYPOINT is manage.py
  dockyard.django.manage:
    app: shop
    image: registry.example.com/shop/web
    manage: []
    argv: [compress, --force]
    timeout: 120
"""

RETURN = r"""
rc:
  description: The command's exit status.
  returned: when the command ran
  type: int
  sample: 0
stdout:
  description: The command's standard output, env values masked.
  returned: when the command ran
  type: str
  sample: "Operations to perform:\n  Apply all migrations: notes\nRunning migrations:\n  Applying notes.0002_seed_note... OK\n"
stderr:
  description: The command's standard error, env values masked.
  returned: when the command ran
  type: str
  sample: ""
duration:
  description: Seconds the container ran, from its creation to its exit.
  returned: when the command ran
  type: float
  sample: 2.481
tag:
  description: The image tag that ran (from O(tag) or the app's TAG file).
  returned: always, once the inputs are valid
  type: str
  sample: build-42
cmd:
  description: The container's command, O(manage) then O(argv) (in check mode, the read-only variant that ran). No environment.
  returned: always, once the inputs are valid
  type: list
  elements: str
  sample: [python, manage.py, migrate, --noinput]
applied:
  description: The migrations C(migrate) applied, in order.
  returned: when O(argv) is a C(migrate) and not in check mode
  type: list
  elements: str
  sample: [notes.0002_seed_note]
unapplied:
  description: The migrations C(migrate) unapplied (when migrating back to a target), in order.
  returned: when O(argv) is a C(migrate) and not in check mode
  type: list
  elements: str
  sample: []
pending:
  description: The migrations C(migrate) would apply, from C(migrate --plan).
  returned: when O(argv) is a C(migrate) in check mode
  type: list
  elements: str
  sample: [notes.0002_seed_note]
skipped:
  description: True when the command was not run because of check mode.
  returned: in check mode, for commands that may change things (not C(migrate), C(collectstatic) or a read-only one) with O(changes=true)
  type: bool
  sample: true
"""

import signal
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._docker import (
    DockerException,
    EngineError,
    ImageNotFound,
    NotFound,
    ReadTimeout,
    RequestException,
    RequestsConnectionError,
    connect,
    engine_failure,
    pull,
)
from ansible_collections.dockyard.django.plugins.module_utils._manage import (
    build_cmd,
    check_argv,
    check_volume,
    collectstatic_changed,
    command_kind,
    migrate_changed,
    parse_env_file,
    parse_migrate_progress,
    parse_plan,
    plan_argv,
    redact,
    redact_all,
    secret_values,
)
from ansible_collections.dockyard.django.plugins.module_utils._output import last_error_line
from ansible_collections.dockyard.django.plugins.module_utils._release import parse_tag_file
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_app,
    check_repository,
    check_tag,
    cpu_nanos,
    memory_bytes,
)

LABEL = "dockyard.django.task"
INTERRUPTING_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class TaskError(Exception):
    """The task could not run or failed; ``result`` holds what is known (rc, output...)."""

    def __init__(self, msg: str, **result: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.result = result


class Interrupted(BaseException):
    """A signal asked the module to stop. A BaseException so no library `except Exception` eats it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: object) -> NoReturn:
    raise Interrupted(signum)


@dataclass
class Outcome:
    rc: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False


@dataclass
class DjangoTask:
    """One manage.py command for one app: resolved inputs, the run, the cleanup."""

    app: str
    image: str
    tag: str
    argv: list[str]
    manage: list[str]
    env: dict[str, str]
    network: str
    volumes: list[str]
    user: str | None
    timeout: int
    changes: bool
    pull: str
    secrets: list[str] = field(default_factory=list)
    # Docker's units: bytes of memory, NanoCpus; None where there is no limit.
    memory: int | None = None
    nano_cpus: int | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> DjangoTask:
        """Validate everything and read the TAG and env files; nothing touches Docker yet."""
        app = check_app(params["app"])
        image = check_repository(params["image"], "image")
        argv = check_argv(params["argv"])
        if params["timeout"] <= 0:
            raise ValidationError(f"timeout must be a positive number of seconds, got {params['timeout']}")
        volumes = [check_volume(spec) for spec in params["volumes"]]
        if not params["network"]:
            raise ValidationError("network must be 'none' or a network name, got an empty string")
        tag = check_tag(params["tag"]) if params["tag"] is not None else read_release_tag(params["root"], app)
        env = read_env_file(params["env_file"] or f"/etc/default/{app}")
        env.update({str(key): "" if value is None else str(value) for key, value in params["env"].items()})
        limits = params["limits"] or {}
        memory = memory_bytes(limits["memory"], "limits.memory") if limits.get("memory") is not None else None
        nano_cpus = cpu_nanos(limits["cpus"], "limits.cpus") if limits.get("cpus") is not None else None
        return cls(app=app, image=image, tag=tag, argv=argv, manage=list(params["manage"]), env=env,
                   network=params["network"], volumes=volumes, user=params["user"] or None,
                   timeout=params["timeout"], changes=params["changes"], pull=params["pull"],
                   secrets=secret_values(env), memory=memory, nano_cpus=nano_cpus)

    @property
    def kind(self) -> str:
        return command_kind(self.argv)

    @property
    def ref(self) -> str:
        return f"{self.image}:{self.tag}"

    def check_mode_argv(self) -> list[str] | None:
        """The argv that is safe to run in check mode, or None to skip the command."""
        if self.kind == "migrate":
            return plan_argv(self.argv)
        if self.kind == "collectstatic":
            return self.argv if "--dry-run" in self.argv or "-n" in self.argv else [*self.argv, "--dry-run"]
        if self.kind == "read-only":
            return self.argv
        return None if self.changes else self.argv

    def base_result(self, argv: list[str]) -> dict[str, Any]:
        return {"tag": self.tag, "cmd": build_cmd(self.manage, argv)}

    # -- running ------------------------------------------------------------------------------

    def execute(self, client: Any, check_mode: bool) -> dict[str, Any]:
        """Run the command (or its check-mode variant) and return the module result."""
        argv = self.check_mode_argv() if check_mode else self.argv
        result = self.base_result(argv if argv is not None else self.argv)
        if argv is None:
            return {**result, "changed": False, "skipped": True,
                    "msg": f"{self.argv[0]} changes things: skipped in check mode (set changes=false if it does not)"}
        self.ensure_image(client)
        outcome = self.run_container(client, result["cmd"])
        result.update(rc=outcome.rc, stdout=outcome.stdout, stderr=outcome.stderr, duration=outcome.duration)
        if outcome.timed_out:
            raise TaskError(f"{' '.join(result['cmd'])} did not finish within the timeout of {self.timeout} "
                            "seconds: its container was killed and removed", **result)
        if outcome.rc != 0:
            # The message quotes the cause (a traceback's exception line); the output stays in the result.
            cause = last_error_line(outcome.stderr) or last_error_line(outcome.stdout) or "no output"
            raise TaskError(f"manage.py {' '.join(argv)} failed (exit {outcome.rc}): {cause}", **result)
        result.update(self.interpret(outcome.stdout, check_mode))
        return result

    def interpret(self, stdout: str, check_mode: bool) -> dict[str, Any]:
        """What Django's output says about `changed` (and which migrations)."""
        if self.kind == "migrate" and check_mode:
            try:
                pending = parse_plan(stdout)
            except ValueError as exc:
                raise TaskError(f"could not read the migration plan: {exc}", tag=self.tag) from exc
            return {"changed": bool(pending), "pending": pending}
        if self.kind == "migrate":
            applied, unapplied = parse_migrate_progress(stdout)
            return {"changed": migrate_changed(stdout), "applied": applied, "unapplied": unapplied}
        if self.kind == "collectstatic":
            return {"changed": collectstatic_changed(stdout)}
        if self.kind == "read-only":
            return {"changed": False}
        return {"changed": self.changes}

    def ensure_image(self, client: Any) -> None:
        if self.pull == "always" or (self.pull == "missing" and not self._has_image(client)):
            try:
                pull(client, self.image, self.tag)
            except (EngineError, DockerException) as exc:
                raise TaskError(f"could not pull {self.ref}: {exc}", tag=self.tag) from exc
        elif self.pull == "never" and not self._has_image(client):
            raise TaskError(f"image {self.ref} is not on this host and pull=never", tag=self.tag)

    def _has_image(self, client: Any) -> bool:
        try:
            client.inspect_image(self.ref)
        except (ImageNotFound, NotFound):
            return False
        return True

    def run_container(self, client: Any, cmd: list[str]) -> Outcome:
        """Create, start and wait for the container; remove it whatever happens."""
        name = f"dockyard-task-{self.app}-{uuid.uuid4().hex[:10]}"
        previous = {signum: signal.signal(signum, _raise_interrupted) for signum in INTERRUPTING_SIGNALS}
        started = time.monotonic()
        try:
            limits = {key: value for key, value in (("mem_limit", self.memory), ("nano_cpus", self.nano_cpus))
                      if value is not None}
            host_config = client.create_host_config(network_mode=self.network, binds=self.volumes, **limits)
            container = client.create_container(
                self.ref, command=cmd, name=name, labels={LABEL: self.app}, environment=self.env,
                user=self.user, host_config=host_config, detach=True,
            )["Id"]
            client.start(container)
            rc, timed_out = self._wait(client, container)
            duration = round(time.monotonic() - started, 3)
            stdout = _decode(client.logs(container, stdout=True, stderr=False))
            stderr = _decode(client.logs(container, stdout=False, stderr=True))
            return Outcome(rc=rc, stdout=stdout, stderr=stderr, duration=duration, timed_out=timed_out)
        except DockerException as exc:
            raise TaskError(f"could not run {self.ref}: {exc}", tag=self.tag) from exc
        finally:
            # A second signal must not cut the cleanup short.
            for signum in INTERRUPTING_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            try:
                remove_container(client, name)
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)

    def _wait(self, client: Any, container: str) -> tuple[int, bool]:
        """(exit status, timed out). The Engine's wait call blocks until exit: its read timeout is ours."""
        try:
            status = client.wait(container, timeout=self.timeout)
        except (ReadTimeout, RequestsConnectionError):
            state = client.inspect_container(container)["State"]
            if state.get("Status") != "running":  # it ended as the timeout hit: not a timeout
                return int(state.get("ExitCode", -1)), False
            return -1, True
        return int(status.get("StatusCode", -1)), False


def remove_container(client: Any, name: str) -> None:
    """Kill and remove by name: works even when the create call was interrupted mid-way."""
    try:
        client.remove_container(name, force=True, v=True)
    except NotFound:
        pass


def _decode(data: bytes | str) -> str:
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def read_release_tag(root: str, app: str) -> str:
    path = f"{root.rstrip('/')}/{app}/TAG"
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ValidationError(f"no tag given and {path} does not exist: pass tag, or record a release first") from None
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    return parse_tag_file(text, path)


def read_env_file(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ValidationError(f"env file {path} does not exist (set env_file to the app's env file)") from None
    except OSError as exc:
        raise ValidationError(f"cannot read env file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"env file {path} is not UTF-8 text") from None
    return parse_env_file(text, path)


def main() -> None:
    argument_spec = app_argument_spec()
    argument_spec.update({
        "image": {"type": "str", "required": True},
        "tag": {"type": "str"},
        "env_file": {"type": "path"},
        "env": {"type": "dict", "default": {}, "no_log": True},
        "argv": {"type": "list", "elements": "str", "required": True},
        "manage": {"type": "list", "elements": "str", "default": ["python", "manage.py"]},
        "network": {"type": "str", "default": "none"},
        "volumes": {"type": "list", "elements": "str", "default": []},
        "limits": {"type": "dict", "default": {}, "options": {
            "memory": {"type": "str"},
            "cpus": {"type": "float"},
        }},
        "user": {"type": "str"},
        "timeout": {"type": "int", "default": 600},
        "changes": {"type": "bool", "default": True},
        "pull": {"type": "str", "choices": ["missing", "always", "never"], "default": "missing"},
    })
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    try:
        task = DjangoTask.from_params(module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    # Ansible's own masking as a second net, for anything that bypasses ours.
    module.no_log_values.update(task.secrets)

    if module.check_mode and task.check_mode_argv() is None:
        module.exit_json(**redact_all(task.execute(None, check_mode=True), task.secrets))
    client = connect(module)
    try:
        result = task.execute(client, module.check_mode)
    except TaskError as exc:
        module.fail_json(msg=redact(exc.msg, task.secrets), **redact_all(exc.result, task.secrets))
    except Interrupted as exc:
        module.fail_json(msg=f"interrupted by signal {signal.Signals(exc.signum).name}: "
                             "the task's container was removed",
                         **redact_all(task.base_result(task.argv), task.secrets))
    except (DockerException, RequestException) as exc:
        module.fail_json(msg=redact(engine_failure(exc), task.secrets))
    finally:
        client.close()
    module.exit_json(**redact_all(result, task.secrets))


if __name__ == "__main__":
    main()
