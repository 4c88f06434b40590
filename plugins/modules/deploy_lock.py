#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: deploy_lock
short_description: Take or release an app's deploy lock on one host
version_added: 0.1.0
description:
  - One deploy of an app at a time. The lock is a file C(<dir>/<app>.lock) on one coordination
    host (the deploy playbook uses the first load balancer), created with C(O_EXCL) so that two
    runs racing for it cannot both win. It records who holds it, since when, and the run's id.
  - Deploys of different apps take different files and never block each other.
  - A lock held by the same O(run_id) is already ours, so taking it again changes nothing.
  - The lock also keeps the run's journal (O(progress)), what it deploys and the phases it
    reached. A run whose controller died leaves it behind; the message of the next run names
    the phase it reached and the command that continues it, which takes the lock over
    (O(takeover)).
  - A lock left behind by a run that died is released with O(state=released) and O(force=true).
  - M(dockyard.django.deploy_lock_info) reports who holds the lock.
options:
  state:
    description:
      - V(acquired) takes the lock, waiting up to O(wait) seconds for another run to release it;
        fails at once (O(wait=0)) or after O(wait) naming who holds it and since when.
      - V(released) removes the lock when this O(run_id) holds it (or whoever holds it, with
        O(force=true)); a missing lock is already released.
    type: str
    choices: [acquired, released]
    default: acquired
  run_id:
    description:
      - Identifies one deploy run; the same value must be given to take and release the lock.
      - Letters, digits, V(_), V(.), V(:) and V(-), at most 64 characters.
      - Required with O(state=acquired), and with O(state=released) unless O(force=true).
    type: str
  holder:
    description: Who takes the lock, for the message another run shows (for example V(alice@laptop)).
    type: str
    default: unknown
  wait:
    description: Seconds to wait for a lock another run holds before failing.
    type: int
    default: 0
  force:
    description: With O(state=released), remove the lock whoever holds it (a stale lock).
    type: bool
    default: false
  progress:
    description:
      - With O(state=acquired), merged into the lock's journal (RV(lock.progress)) by the run that
        holds it; a V(phase) key is also appended to the list of phases reached, with its time.
      - The deploy records V(mode), V(tag), each V(phase), and the release files each host had
        before the run (V(before)), so that a run continuing it can put them back after a failure.
    type: dict
  takeover:
    description:
      - With O(state=acquired), the O(run_id) of a run that died holding the lock. The lock is taken
        over from it at once (its journal is returned as RV(taken_over)); a lock held by any other
        run is not taken.
    type: str
  dir:
    description: The directory of the lock files.
    type: path
    default: /var/lib/dockyard/locks
attributes:
  check_mode:
    support: full
    description: Reports whether the lock could be taken or released, and touches no file.
  diff_mode:
    support: none
    description: The lock is not a file a person edits; RV(lock) shows it.
extends_documentation_fragment:
  - dockyard.django.app
  - dockyard.django.attributes
seealso:
  - module: dockyard.django.deploy_lock_info
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Take the deploy lock of shop, waiting up to 5 minutes
  dockyard.django.deploy_lock:
    app: shop
    run_id: "{{ deploy_run_id }}"
    holder: "{{ lookup('ansible.builtin.env', 'USER') }}@{{ lookup('ansible.builtin.pipe', 'hostname') }}"
    wait: 300

- name: Release it
  dockyard.django.deploy_lock:
    app: shop
    run_id: "{{ deploy_run_id }}"
    state: released

- name: Release a lock left by a deploy that died
  dockyard.django.deploy_lock:
    app: shop
    state: released
    force: true
"""

RETURN = r"""
lock:
  description: The lock after the module ran (in check mode, as it would be); null when nobody holds it.
  returned: always
  type: dict
  sample: {app: shop, holder: alice@laptop, run_id: "20261123T130201-4242", since: "2026-11-23T13:02:01Z",
           progress: {mode: deploy, tag: build-43, phase: switch web1, phases: [{phase: pull, at: "2026-11-23T13:02:03Z"}]}}
  contains:
    app:
      description: The app the lock is for.
      type: str
    holder:
      description: Who holds it (the operator of the run).
      type: str
    run_id:
      description: The id of the run that holds it.
      type: str
    since:
      description: When it was taken (UTC, ISO 8601).
      type: str
    progress:
      description: The run's journal, as O(progress) gave it, with the phases it started and when.
      type: dict
      returned: when the run recorded progress
released:
  description: With O(state=released), the lock that was removed; null when there was none.
  returned: when state is released
  type: dict
waited:
  description: Seconds spent waiting for another run's lock.
  returned: when state is acquired
  type: int
taken_over:
  description: With O(takeover), the lock of the run that died, journal included.
  returned: when a lock was taken over
  type: dict
"""

import os
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._deploy_lock import (
    DEFAULT_DIR,
    RUN_ID_RE,
    MalformedLock,
    format_lock,
    held_message,
    lock_path,
    make_lock,
    read_lock,
    with_progress,
)
from ansible_collections.dockyard.django.plugins.module_utils._time import utc_now
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
)

POLL_SECONDS = 1.0


def check_params(params: dict[str, Any]) -> None:
    """Refuse bad input before any file is touched."""
    check_app(params["app"])
    run_id = params["run_id"]
    needs_run_id = params["state"] == "acquired" or (params["state"] == "released" and not params["force"])
    if run_id is None and needs_run_id:
        raise ValidationError(f"run_id is required with state={params['state']}" +
                              ("" if params["state"] == "acquired" else " (or force=true)"))
    if run_id is not None and not RUN_ID_RE.match(run_id):
        raise ValidationError(f"run_id {run_id!r} is not valid: it must match [A-Za-z0-9_.:-]{{1,64}}")
    takeover = params["takeover"]
    if takeover is not None and (params["state"] != "acquired" or not RUN_ID_RE.match(takeover)):
        raise ValidationError("takeover must be the run id of the run that died (it matches [A-Za-z0-9_.:-]{1,64}), "
                              "with state=acquired")
    if params["wait"] < 0:
        raise ValidationError(f"wait must be 0 or more seconds, got {params['wait']}")
    holder = params["holder"]
    if not holder or len(holder) > 128 or any(ord(ch) < 32 for ch in holder):
        raise ValidationError("holder must be a non-empty single-line string of at most 128 characters")
    check_absolute(params["dir"], "dir")


class DeployLock:
    """Reads the lock file, decides, and creates or removes it."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.path = lock_path(self.params["dir"], self.params["app"])

    def read(self) -> dict[str, str] | None:
        return read_lock(self.path)

    def _write(self, lock: dict[str, Any]) -> None:
        """Replace the lock file this run holds (its journal changed): readers see old or new."""
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(format_lock(lock))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def _create(self, lock: dict[str, Any]) -> bool:
        """Create the lock file atomically; False when another run created it first."""
        os.makedirs(self.params["dir"], mode=0o755, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(format_lock(lock))
            handle.flush()
            os.fsync(handle.fileno())
        return True

    def acquire(self) -> dict[str, Any]:
        p = self.params
        started = time.monotonic()
        while True:
            current = self.read()
            if current is not None and current["run_id"] == p["run_id"]:
                return self._journal(current, started)
            if current is not None and p["takeover"] is not None and current["run_id"] == p["takeover"]:
                mine = make_lock(p["app"], p["holder"], p["run_id"], utc_now())
                mine = with_progress(mine, {**(p["progress"] or {}), "took_over": current["run_id"]}, utc_now())
                if not self.module.check_mode:
                    self._write(mine)
                return {"changed": True, "lock": mine, "taken_over": current, "waited": 0}
            if current is None:
                # Stamped when taken, not when asked: after a wait, "since" is still true.
                mine = make_lock(p["app"], p["holder"], p["run_id"], utc_now())
                if p["progress"]:
                    mine = with_progress(mine, p["progress"], utc_now())
                if self.module.check_mode:
                    return {"changed": True, "lock": mine, "waited": 0}
                if self._create(mine):
                    return {"changed": True, "lock": mine, "waited": int(time.monotonic() - started)}
                continue  # another run won the race: read who it is
            if time.monotonic() - started >= p["wait"] or self.module.check_mode:
                self.module.fail_json(msg=held_message(current, utc_now()), lock=current)
            time.sleep(POLL_SECONDS)

    def _journal(self, current: dict[str, Any], started: float) -> dict[str, Any]:
        """The lock is ours already: record the progress given, if any."""
        if not self.params["progress"]:
            return {"changed": False, "lock": current, "waited": int(time.monotonic() - started)}
        updated = with_progress(current, self.params["progress"], utc_now())
        if not self.module.check_mode:
            self._write(updated)
        return {"changed": True, "lock": updated, "waited": int(time.monotonic() - started)}

    def release(self) -> dict[str, Any]:
        p = self.params
        current = self.read()
        if current is None:
            return {"changed": False, "lock": None, "released": None}
        if current["run_id"] != p["run_id"] and not p["force"]:
            self.module.fail_json(
                msg=f"not releasing: {held_message(current, utc_now())}", lock=current)
        if not self.module.check_mode:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        return {"changed": True, "lock": None, "released": current}

    def run(self) -> dict[str, Any]:
        if self.params["state"] == "acquired":
            return self.acquire()
        return self.release()


def main() -> None:
    argument_spec = app_argument_spec(root=False)
    argument_spec.update(
        state=dict(type="str", default="acquired", choices=["acquired", "released"]),
        run_id=dict(type="str"),
        holder=dict(type="str", default="unknown"),
        wait=dict(type="int", default=0),
        force=dict(type="bool", default=False),
        progress=dict(type="dict"),
        takeover=dict(type="str"),
        dir=dict(type="path", default=DEFAULT_DIR),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        check_params(module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    try:
        result = DeployLock(module).run()
    except MalformedLock as exc:
        module.fail_json(msg=f"{exc}; remove it by hand if it is not a dockyard lock")
    except OSError as exc:
        module.fail_json(msg=f"lock file {module.params['dir']}: {exc.strerror or exc}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
