# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two web slots of an app on one host (blue/green on two ports): their logic and reader.

An app's web service runs in one of two slots, ``a`` on the app's port and ``b`` on the port
after it. A deploy starts the new release in the slot that is not serving, waits until it is
healthy, points the load balancer at it, then stops the old one (kept for a fast rollback).

SlotReader reads the slots for web_slot and web_slot_info; everything else here is pure.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

SLOTS = ("a", "b")
SLOT_FILE = "SLOT"
SLOTS_DIR = "slots"
_SLOT_FILE_RE = re.compile(r"^(?P<slot>[ab])\n?\Z")


class MalformedSlotFile(ValueError):
    """The SLOT file holds something else than a slot name; the message names it."""


class SlotError(Exception):
    """A slot could not be started or stopped; the message says which and why."""


@dataclass(frozen=True)
class SlotState:
    """What runs in one slot: the container's state as the engine reports it."""

    exists: bool = False
    running: bool = False
    health: str | None = None  # healthy, unhealthy, starting, or None without a healthcheck
    tag: str | None = None

    @property
    def serving(self) -> bool:
        """Running and healthy (or running with no healthcheck to wait for)."""
        return self.running and self.health in (None, "healthy")


@dataclass(frozen=True)
class StagePlan:
    """What staging a tag needs: the slot that will serve it, and whether to start it."""

    slot: str
    start: bool  # start (or recreate) the slot's container with the tag
    switch: bool  # the load balancer must be pointed at this slot


def other(slot: str) -> str:
    return "b" if slot == "a" else "a"


def port_of(slot: str, base_port: int) -> int:
    return base_port + SLOTS.index(slot)


def parse_slot_file(text: str, path: str) -> str:
    match = _SLOT_FILE_RE.match(text)
    if match is None:
        raise MalformedSlotFile(f"{path} is malformed: expected one line 'a' or 'b'")
    return match.group("slot")


def format_slot_env(tag: str, port: int) -> str:
    """The env file compose interpolates a slot's compose file with."""
    return f"TAG={tag}\nWEB_PORT={port}\n"


def tag_of_image(image: str) -> str | None:
    """The tag of an image reference such as registry:5000/demo:build-2 (None without a tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def plan_stage(active: str | None, slots: dict[str, SlotState], tag: str, restart: bool = False) -> StagePlan:
    """Decide where ``tag`` will serve from.

    - The active slot already serves the tag: nothing to do, unless ``restart`` (a rollout of
      the app's environment): then the tag starts in the other slot, which reads the env file
      as it is now, and the front switches to it.
    - Otherwise the tag goes to the slot that is not active (slot ``a`` on a first deploy),
      started unless it already serves the tag (a rerun after a partial failure).
    """
    if active is not None:
        current = slots[active]
        if current.serving and current.tag == tag:
            if restart:
                return StagePlan(slot=other(active), start=True, switch=True)
            return StagePlan(slot=active, start=False, switch=False)
        target = other(active)
    else:
        # No record of an active slot: a first deploy, or a slot that serves already.
        serving = [name for name in SLOTS if slots[name].serving and slots[name].tag == tag]
        if serving:
            return StagePlan(slot=serving[0], start=False, switch=True)
        target = "a"
    ready = slots[target].serving and slots[target].tag == tag
    return StagePlan(slot=target, start=not ready, switch=True)


def describe(active: str | None, slots: dict[str, SlotState], base_port: int) -> str:
    """The slots as diff text, one line each."""
    lines = [f"active: {active or '-'}"]
    for name in SLOTS:
        state = slots[name]
        what = "absent"
        if state.exists:
            what = f"{state.tag or '?'} {'running' if state.running else 'stopped'}"
            if state.running and state.health:
                what += f" ({state.health})"
        lines.append(f"slot {name} (port {port_of(name, base_port)}): {what}")
    return "\n".join(lines) + "\n"


def read_slot_file(directory: str) -> str | None:
    """The slot the app directory's SLOT file names; None before a first deploy."""
    path = os.path.join(directory, SLOT_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_slot_file(handle.read(16), path)
    except FileNotFoundError:
        return None


class SlotReader:
    """Reads the slots of one app on this host: the SLOT file and each slot's web container.

    ``client`` is the Engine API client (module_utils/_docker.py); reading needs no docker CLI.
    """

    def __init__(self, client: Any, directory: str, app: str, service: str) -> None:
        self.client = client
        self.directory = directory
        self.app = app
        self.service = service
        self.slot_path = os.path.join(directory, SLOT_FILE)

    def project(self, slot: str) -> str:
        return f"{self.app}-{slot}"

    def container_of(self, slot: str) -> str | None:
        """The slot's web container (the newest, should there be several), running or not."""
        found = self.client.containers(all=True, filters={"label": [
            f"com.docker.compose.project={self.project(slot)}",
            f"com.docker.compose.service={self.service}",
        ]})
        return found[0]["Id"] if found else None

    def inspect(self, container: str) -> dict[str, Any]:
        return self.client.inspect_container(container)

    def read_slot(self, slot: str) -> SlotState:
        container = self.container_of(slot)
        if container is None:
            return SlotState()
        info = self.inspect(container)
        health = (info["State"].get("Health") or {}).get("Status")
        return SlotState(exists=True, running=bool(info["State"]["Running"]), health=health,
                         tag=tag_of_image(info["Config"]["Image"]))

    def read_active(self) -> str | None:
        return read_slot_file(self.directory)

    def read(self) -> tuple[str | None, dict[str, SlotState]]:
        """The active slot (None before a first deploy) and what runs in each slot."""
        return self.read_active(), {name: self.read_slot(name) for name in SLOTS}
