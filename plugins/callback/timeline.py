# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a JSON timeline of a playbook run: when each task ran on each host."""

from __future__ import annotations

DOCUMENTATION = r"""
name: timeline
type: aggregate
short_description: Write a JSON timeline of a playbook run, every task on every host
description:
  - Records, for every task on every host, the play, the task, its module, when it started
    and ended (UTC epoch seconds) and how it ended, and writes them as one JSON document
    when the playbook ends.
  - A deploy's artifact for CI ("where did the time go, on which host"), and what
    C(make bench) draws its timelines from.
  - Only names and timings are recorded, never a task's arguments or results, so no secret
    reaches the file.
version_added: 0.1.0
requirements:
  - Enabled in C(callbacks_enabled) (C(ANSIBLE_CALLBACKS_ENABLED=dockyard.django.timeline)).
options:
  path:
    description:
      - The file to write (mode 0600, replaced atomically). Nothing is written when unset.
    type: path
    env:
      - name: DOCKYARD_TIMELINE
    ini:
      - section: callback_dockyard_timeline
        key: path
"""

import json
import os
import tempfile
import time
from typing import Any

from ansible.plugins.callback import CallbackBase


def task_record(*, host: str, play: str, task: str, action: str, started: float, ended: float,
                status: str, delegated_to: str | None = None) -> dict[str, Any]:
    """One task on one host. ``where`` is the host the work happened on (the delegate)."""
    return {
        "host": host,
        "where": delegated_to or host,
        "play": play,
        "task": task,
        "action": action,
        "start": round(started, 3),
        "end": round(ended, 3),
        "status": status,
    }


def write_atomically(path: str, document: dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".timeline.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "dockyard.django.timeline"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._path: str | None = None
        self._playbook = ""
        self._play = ""
        self._started = time.time()
        self._running: dict[tuple[str, str], float] = {}
        self._tasks: list[dict[str, Any]] = []

    def set_options(self, *args: Any, **kwargs: Any) -> None:
        super().set_options(*args, **kwargs)
        self._path = self.get_option("path")

    # Where we are

    def v2_playbook_on_start(self, playbook: Any) -> None:
        self._playbook = os.path.basename(getattr(playbook, "_file_name", "") or "")
        self._started = time.time()

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._play = play.get_name().strip()

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        self._running[(host.get_name(), task._uuid)] = time.time()

    # How each task ended on each host

    def _ended(self, result: Any, status: str) -> None:
        host, task = result._host.get_name(), result._task
        started = self._running.pop((host, task._uuid), None)
        ended = time.time()
        delegated = (result._result.get("_ansible_delegated_vars") or {}).get("ansible_delegated_host")
        self._tasks.append(task_record(
            host=host, play=self._play, task=task.get_name().strip(),
            action=getattr(task, "resolved_action", None) or task.action,
            started=ended if started is None else started, ended=ended, status=status,
            delegated_to=delegated,
        ))

    def v2_runner_on_ok(self, result: Any) -> None:
        self._ended(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._ended(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._ended(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._ended(result, "unreachable")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        if not self._path:
            return
        write_atomically(self._path, {
            "playbook": self._playbook,
            "started": round(self._started, 3),
            "ended": round(time.time(), 3),
            "tasks": self._tasks,
        })
