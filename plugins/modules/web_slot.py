#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: web_slot
short_description: Run an app's web release in one of two slots on a host, health-gated
version_added: 0.1.0
description:
  - "An app's C(web) service runs in one of two slots, V(a) on the app's O(port) and V(b) on
    O(port) + 1, each a Compose project C(<app>-<slot>) made from the app's compose file
    (C(<root>/<app>/compose.yml)). C(<root>/<app>/SLOT) names the active slot, and
    C(<root>/<app>/slots/<slot>.env) the tag and port each slot runs."
  - A deploy first stages the new tag in the slot that is not serving (O(state=staged)); the
    release starts beside the running one and the module waits until Docker reports it
    healthy. Then the load balancer is pointed at the staged slot, and O(state=active) records
    it and stops the other slot's container, which is kept, so that going back is a start, not a
    pull or a create.
  - Rolling back is the same two steps with the previous tag, which the stopped slot still has.
  - A release that does not become healthy in time fails the module, naming the tag, slot and
    health check output; its container is stopped and the serving slot is left as it was.
  - Reads and stops containers through the Docker Engine API (the Docker SDK for Python), and
    starts a slot with the C(docker) CLI's Compose v2 plugin, since Compose has no Engine API.
options:
  state:
    description:
      - V(staged) makes a slot serve O(tag), healthy; nothing changes when the active slot
        serves it already.
      - V(active) records O(slot) as the active slot and stops the other slot's web container.
      - V(stopped) stops O(slot)'s web container (for a slot that failed).
    type: str
    choices: [staged, active, stopped]
    default: staged
  tag:
    description: The image tag to stage. Required with O(state=staged).
    type: str
  restart:
    description:
      - With O(state=staged), start O(tag) in the other slot even when the active slot serves it,
        so that the new container reads the app's env file and compose file as they are now (a
        rollout of a changed environment); RV(switch) is then true.
    type: bool
    default: false
    version_added: 0.3.0
  port:
    description:
      - The app's web port on the host; slot V(a) publishes it, slot V(b) the next one.
      - Required with O(state=staged).
    type: int
  slot:
    description: The slot to activate or stop. Required with O(state=active) and O(state=stopped).
    type: str
    choices: [a, b]
  wait_timeout:
    description: Seconds to wait for a staged release to become healthy.
    type: int
    default: 120
  compose_file:
    description: The compose file, relative to the app's directory.
    type: str
    default: compose.yml
  service:
    description: The compose service that serves web traffic.
    type: str
    default: web
attributes:
  check_mode:
    support: full
    description: Reports which slot would start or stop; starts, stops and writes nothing.
  diff_mode:
    support: full
    description: Shows the active slot and what runs in each slot before and after.
requirements:
  - Docker SDK for Python (C(docker), Debian package C(python3-docker)) on the managed host.
  - Docker CLI with the Compose v2 plugin on the host.
extends_documentation_fragment:
  - dockyard.django.app
  - dockyard.django.app.root
  - dockyard.django.attributes
seealso:
  - module: dockyard.django.web_slot_info
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Start build-43 beside the running release and wait until it is healthy
  dockyard.django.web_slot:
    app: shop
    port: 8001
    tag: build-43
  register: staged

- name: Point the load balancer at it (see the proxy role's upstream_set.yml)
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}:{{ staged.port }}"

- name: Make the staged slot the active one and stop the old one
  dockyard.django.web_slot:
    app: shop
    state: active
    slot: "{{ staged.slot }}"
"""

RETURN = r"""
slot:
  description: The slot that serves (or will serve) the tag; with O(state=active) or O(state=stopped), O(slot).
  returned: always
  type: str
  sample: b
port:
  description: The host port of RV(slot).
  returned: when state is staged
  type: int
  sample: 8002
switch:
  description: Whether the load balancer must be pointed at RV(slot) (false when it already serves the tag).
  returned: when state is staged
  type: bool
active:
  description: The active slot after the module ran; null before a first deploy.
  returned: always
  type: str
  sample: b
slots:
  description: What runs in each slot after the module ran (exists, running, health, tag).
  returned: always
  type: dict
  sample: {a: {exists: true, running: false, health: null, tag: build-42}, b: {exists: true, running: true, health: healthy, tag: build-43}}
"""

import os
import time
from dataclasses import asdict, replace
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._docker import (
    DockerException,
    RequestException,
    connect,
    engine_failure,
)
from ansible_collections.dockyard.django.plugins.module_utils._output import last_error_line
from ansible_collections.dockyard.django.plugins.module_utils._release import atomic_write
from ansible_collections.dockyard.django.plugins.module_utils._web_slot import (
    SLOTS_DIR,
    MalformedSlotFile,
    SlotError,
    SlotReader,
    SlotState,
    describe,
    format_slot_env,
    other,
    plan_stage,
    port_of,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
    check_tag,
)


def check_params(params: dict[str, Any]) -> None:
    check_app(params["app"])
    check_absolute(params["root"])
    state = params["state"]
    if state == "staged":
        if params["tag"] is None or params["port"] is None:
            raise ValidationError("tag and port are required with state=staged")
        check_tag(params["tag"])
    if params["port"] is not None and not 1024 <= params["port"] <= 65534:
        raise ValidationError(f"port {params['port']} is out of range: it must be 1024-65534 (slot b uses port + 1)")
    if state in ("active", "stopped") and params["slot"] is None:
        raise ValidationError(f"slot is required with state={state}")
    if params["wait_timeout"] < 1:
        raise ValidationError(f"wait_timeout must be at least 1 second, got {params['wait_timeout']}")
    if "/" in params["compose_file"] or params["compose_file"].startswith("."):
        raise ValidationError(f"compose_file {params['compose_file']!r} must be a file name in the app's directory")


class WebSlots(SlotReader):
    """Reads the slots of one app on this host, decides, and starts or stops containers.

    Containers are read and stopped through the Engine API; a slot is started with Compose
    (the docker CLI's plugin), which has no API (module_utils/_docker.py).
    """

    def __init__(self, module: AnsibleModule, client: Any) -> None:
        self.module = module
        self.p = module.params
        super().__init__(client, os.path.join(self.p["root"], self.p["app"]), self.p["app"], self.p["service"])

    # Acting

    def _compose(self, slot: str, *argv: str) -> tuple[int, str, str]:
        env_file = os.path.join(self.directory, SLOTS_DIR, f"{slot}.env")
        return self.module.run_command([
            self.module.get_bin_path("docker", required=True), "compose",
            "--project-name", self.project(slot),
            "--project-directory", self.directory,
            "--file", os.path.join(self.directory, self.p["compose_file"]),
            "--env-file", env_file,
            *argv,
        ])

    def _write(self, path: str, text: str) -> None:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        atomic_write(path, text, lambda tmp: os.chmod(tmp, 0o644))

    def _health_output(self, slot: str) -> str:
        container = self.container_of(slot)
        if container is None:
            return "no container was created"
        try:
            log = (self.inspect(container)["State"].get("Health") or {}).get("Log") or []
        except DockerException:
            return "unknown"  # the failure being reported matters more than this detail
        return (log[-1].get("Output") or "").strip()[-300:] if log else "no health check ran"

    def stop(self, slot: str) -> bool:
        container = self.container_of(slot)
        if container is None:
            return False
        info = self.inspect(container)
        if not info["State"]["Running"]:
            return False
        if not self.module.check_mode:
            # The container's own stop timeout (compose's stop_grace_period), so gunicorn finishes
            # the requests in flight; given explicitly, the client waits that long for the answer.
            self.client.stop(container, timeout=info["Config"].get("StopTimeout") or 10)
        return True

    def start(self, slot: str, tag: str) -> None:
        port = port_of(slot, self.p["port"])
        self._write(os.path.join(self.directory, SLOTS_DIR, f"{slot}.env"), format_slot_env(tag, port))
        started = time.monotonic()
        rc, _out, err = self._compose(
            slot, "up", "--detach", "--no-deps", "--wait", "--wait-timeout", str(self.p["wait_timeout"]),
            self.p["service"],
        )
        if rc != 0:
            waited = round(time.monotonic() - started)
            state = self.read_slot(slot)
            health = last_error_line(self._health_output(slot))
            self.stop(slot)
            if state.health == "unhealthy":
                why = f"Docker marked it unhealthy after {waited}s"
            elif state.exists and not state.running:
                why = f"its container exited after {waited}s"
            elif waited >= self.p["wait_timeout"]:
                why = f"it was still {state.health or 'starting'} after {waited}s (wait_timeout)"
            else:
                why = f"compose failed after {waited}s: {last_error_line(err) or 'no output'}"
            raise SlotError(
                f"release {tag} did not become healthy in slot {slot} (port {port}) of {self.p['app']}: {why}; "
                f"its health check said: {health or 'nothing'}; the serving slot was left as it was"
            )

    def run(self) -> dict[str, Any]:
        state = self.p["state"]
        active, before = self.read()
        result: dict[str, Any] = {"changed": False}
        after = dict(before)
        after_active = active
        if state == "staged":
            tag = self.p["tag"]
            plan = plan_stage(active, before, tag, self.p["restart"])
            if plan.start:
                result["changed"] = True
                if not self.module.check_mode:
                    self.start(plan.slot, tag)
                    after[plan.slot] = self.read_slot(plan.slot)
                else:
                    after[plan.slot] = SlotState(exists=True, running=True, health="healthy", tag=tag)
            result.update(slot=plan.slot, port=port_of(plan.slot, self.p["port"]), switch=plan.switch)
        elif state == "active":
            slot = self.p["slot"]
            if active != slot:
                result["changed"] = True
                after_active = slot
                if not self.module.check_mode:
                    self._write(self.slot_path, f"{slot}\n")
            if self.stop(other(slot)):
                result["changed"] = True
                after[other(slot)] = replace(before[other(slot)], running=False, health=None)
            result["slot"] = slot
        elif state == "stopped":
            slot = self.p["slot"]
            if self.stop(slot):
                result["changed"] = True
                after[slot] = replace(before[slot], running=False, health=None)
            result["slot"] = slot
        result["active"] = after_active
        result["slots"] = {name: asdict(value) for name, value in after.items()}
        if self.module._diff and self.p["port"] is not None:
            result["diff"] = {"before": describe(active, before, self.p["port"]),
                              "after": describe(after_active, after, self.p["port"])}
        return result


def main() -> None:
    argument_spec = app_argument_spec()
    argument_spec.update(
        state=dict(type="str", default="staged", choices=["staged", "active", "stopped"]),
        tag=dict(type="str"),
        restart=dict(type="bool", default=False),
        port=dict(type="int"),
        slot=dict(type="str", choices=["a", "b"]),
        wait_timeout=dict(type="int", default=120),
        compose_file=dict(type="str", default="compose.yml"),
        service=dict(type="str", default="web"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        check_params(module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    try:
        result = WebSlots(module, connect(module)).run()
    except (SlotError, MalformedSlotFile) as exc:
        module.fail_json(msg=str(exc))
    except (DockerException, RequestException) as exc:
        module.fail_json(msg=engine_failure(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
