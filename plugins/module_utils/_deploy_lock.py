# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-app deploy lock: the lock file's place, content and reader, and what to say about it.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from typing import Any

from ansible_collections.dockyard.django.plugins.module_utils._time import format_utc, parse_utc

RUN_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
DEFAULT_DIR = "/var/lib/dockyard/locks"
_FIELDS = ("app", "holder", "run_id", "since")


class MalformedLock(ValueError):
    """A lock file exists but does not hold a lock this module wrote; the message names it."""


def lock_path(directory: str, app: str) -> str:
    """The lock file of an app: one file per app, so apps never block each other."""
    return os.path.join(directory, f"{app}.lock")


def read_lock(path: str) -> dict[str, Any] | None:
    """The lock a file holds; None when there is no lock file (the reader of deploy_lock and deploy_lock_info)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(4096)
    except FileNotFoundError:
        return None
    return parse_lock(text, path)


def make_lock(app: str, holder: str, run_id: str, since: datetime) -> dict[str, str]:
    return {"app": app, "holder": holder, "run_id": run_id, "since": format_utc(since)}


def format_lock(lock: dict[str, Any]) -> str:
    return json.dumps(lock, sort_keys=True) + "\n"


def parse_lock(text: str, path: str) -> dict[str, Any]:
    """The lock a file holds, else MalformedLock (never quoting the file)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise MalformedLock(f"{path} is not a lock file written by dockyard.django.deploy_lock (not JSON)") from None
    if not isinstance(data, dict) or any(not isinstance(data.get(key), str) for key in _FIELDS):
        raise MalformedLock(f"{path} is not a lock file written by dockyard.django.deploy_lock (missing fields)")
    lock: dict[str, Any] = {key: data[key] for key in _FIELDS}
    if isinstance(data.get("progress"), dict):
        lock["progress"] = data["progress"]
    return lock


def with_progress(lock: dict[str, Any], update: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The lock with the run's journal updated: ``update`` merged into ``progress``; a ``phase``
    in it is also appended to ``progress.phases`` with the time it started."""
    progress = dict(lock.get("progress") or {})
    progress.update({key: value for key, value in update.items() if key != "phase"})
    if update.get("phase"):
        progress["phase"] = update["phase"]
        progress["phases"] = [*progress.get("phases", []), {"phase": update["phase"], "at": format_utc(now)}]
    return {**lock, "progress": progress}


def continue_command(lock: dict[str, Any]) -> str | None:
    """The one command that continues a run whose controller died, from its journal."""
    progress = lock.get("progress") or {}
    if not progress.get("tag"):
        return None
    playbook = "rollback.yml" if progress.get("mode") == "rollback" else "deploy.yml"
    return (f"ansible-playbook playbooks/{playbook} -e app={lock['app']} -e tag={progress['tag']} "
            f"-e takeover={lock['run_id']}")


def age_of(lock: dict[str, Any], now: datetime) -> str:
    """How long a lock has been held, for a person: '3m12s'."""
    try:
        since = parse_utc(lock["since"])
    except ValueError:
        return "an unknown time"
    seconds = max(0, int((now - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


def held_message(lock: dict[str, Any], now: datetime) -> str:
    """Who holds the lock and since when, how far its run got, and how to get past it."""
    progress = lock.get("progress") or {}
    message = (f"the deploy lock of app {lock['app']} is held by {lock['holder']} (run {lock['run_id']}) "
               f"since {lock['since']} ({age_of(lock, now)} ago)")
    if progress.get("tag"):
        message += f", a {progress.get('mode', 'deploy')} to {progress['tag']}"
    phases = [entry.get("phase") for entry in progress.get("phases", []) if isinstance(entry, dict)]
    if phases:
        done = f" (done: {', '.join(phases[:-1])})" if len(phases) > 1 else ""
        message += f", which reached phase '{phases[-1]}'{done}"
    message += (". If that run is still going, wait for it (-e lock_wait=<seconds>). If it died (its "
                "controller was killed or lost), ")
    command = continue_command(lock)
    if command:
        return message + f"continue it with: {command}"
    return message + f"release the lock with: ansible-playbook playbooks/unlock.yml -e app={lock['app']}"
