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

from ansible_collections.dockyard.django.plugins.module_utils._time import format_utc, parse_utc

RUN_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
DEFAULT_DIR = "/var/lib/dockyard/locks"
_FIELDS = ("app", "holder", "run_id", "since")


class MalformedLock(ValueError):
    """A lock file exists but does not hold a lock this module wrote; the message names it."""


def lock_path(directory: str, app: str) -> str:
    """The lock file of an app: one file per app, so apps never block each other."""
    return os.path.join(directory, f"{app}.lock")


def read_lock(path: str) -> dict[str, str] | None:
    """The lock a file holds; None when there is no lock file (the reader of deploy_lock and deploy_lock_info)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(4096)
    except FileNotFoundError:
        return None
    return parse_lock(text, path)


def make_lock(app: str, holder: str, run_id: str, since: datetime) -> dict[str, str]:
    return {"app": app, "holder": holder, "run_id": run_id, "since": format_utc(since)}


def format_lock(lock: dict[str, str]) -> str:
    return json.dumps(lock, sort_keys=True) + "\n"


def parse_lock(text: str, path: str) -> dict[str, str]:
    """The lock a file holds, else MalformedLock (never quoting the file)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise MalformedLock(f"{path} is not a lock file written by dockyard.django.deploy_lock (not JSON)") from None
    if not isinstance(data, dict) or any(not isinstance(data.get(key), str) for key in _FIELDS):
        raise MalformedLock(f"{path} is not a lock file written by dockyard.django.deploy_lock (missing fields)")
    return {key: data[key] for key in _FIELDS}


def age_of(lock: dict[str, str], now: datetime) -> str:
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


def held_message(lock: dict[str, str], path: str, now: datetime) -> str:
    """Who holds the lock and since when, and how to get past it."""
    return (
        f"the deploy lock of app {lock['app']} is held by {lock['holder']} (run {lock['run_id']}) "
        f"since {lock['since']} ({age_of(lock, now)} ago): another deploy of this app is running. "
        f"Wait for it (deploy_lock_wait), or, if that deploy died, release the stale lock with "
        f"state=released force=true ({path})"
    )
