# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release files of one app: TAG, REVERT and HISTORY.json, as pure functions.

TAG and REVERT hold one line, ``export TAG=<tag>``, so a shell script can ``. TAG``
(the docker-runner convention). HISTORY.json is a JSON list of release entries,
oldest first, newest last.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.dockyard.django.plugins.module_utils._time import format_utc, utc_now
from ansible_collections.dockyard.django.plugins.module_utils._validation import TAG_RE, ValidationError

TAG_FILE = "TAG"
REVERT_FILE = "REVERT"
HISTORY_FILE = "HISTORY.json"

# The canonical form is what we write; a bare ``TAG=<tag>`` (older hand-written files)
# is read too, since sourcing it still sets $TAG for the script that sources it.
_TAG_LINE_RE = re.compile(r"^(?:export )?TAG=(?P<tag>[^\n]*)\n?\Z")

HISTORY_KEYS = ("tag", "previous", "time", "deployer", "result", "migrations")


class MalformedFile(ValidationError):
    """An existing release file is not in the expected format; the message names it and why.

    The message never quotes the file's content: a garbage file may hold anything.
    """


@dataclass
class Releases:
    """What TAG, REVERT and HISTORY.json say (or should say)."""

    current: str | None = None
    previous: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


def format_tag_file(tag: str) -> str:
    """Return the text of a TAG or REVERT file for ``tag``."""
    return f"export TAG={tag}\n"


def parse_tag_file(text: str, path: str) -> str:
    """Return the tag held by the text of a TAG or REVERT file, else raise MalformedFile.

    The one reader of these files in the collection (release, image retention, manage).
    """
    match = _TAG_LINE_RE.match(text)
    if match is None:
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if lines != 1:
            raise MalformedFile(
                f"{path} is malformed: expected exactly one line 'export TAG=<tag>', found {lines} lines"
            )
        raise MalformedFile(f"{path} is malformed: its line does not have the form 'export TAG=<tag>'")
    tag = match.group("tag")
    if not TAG_RE.match(tag):
        raise MalformedFile(
            f"{path} is malformed: the value after 'TAG=' is not a valid Docker tag "
            f"({len(tag)} characters; expected [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})"
        )
    return tag


def format_history(history: Sequence[dict[str, Any]]) -> str:
    """Return the text of HISTORY.json: stable key order, one key per line, for humans too."""
    return json.dumps(list(history), indent=2, sort_keys=True) + "\n"


def parse_history(text: str, path: str) -> list[dict[str, Any]]:
    """Return the entries of a HISTORY.json text, else raise MalformedFile."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        lineno = getattr(exc, "lineno", None)
        where = f" (line {lineno})" if lineno is not None else ""
        raise MalformedFile(f"{path} is malformed: not valid JSON{where}") from None
    if not isinstance(data, list):
        raise MalformedFile(f"{path} is malformed: expected a JSON list of entries, found a {type(data).__name__}")
    for index, entry in enumerate(data):
        _check_entry(entry, index, path)
    return data


def _check_entry(entry: object, index: int, path: str) -> None:
    if not isinstance(entry, dict):
        raise MalformedFile(f"{path} is malformed: entry {index} is not a JSON object")
    tag = entry.get("tag")
    if not isinstance(tag, str) or not TAG_RE.match(tag):
        raise MalformedFile(f"{path} is malformed: entry {index} has no valid 'tag'")


def read_text(path: str) -> str | None:
    """The text of a release file; None when it does not exist, else MalformedFile."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MalformedFile(f"{path} cannot be read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedFile(f"{path} is malformed: it is not UTF-8 text") from None


def read_releases(directory: str) -> Releases:
    """What an app's release files say, every one parsed (the reader of release and release_info).

    Missing files read as no tag and an empty history; a malformed one raises MalformedFile.
    """
    tags: dict[str, str | None] = {}
    for name in (TAG_FILE, REVERT_FILE):
        path = os.path.join(directory, name)
        text = read_text(path)
        tags[name] = None if text is None else parse_tag_file(text, path)
    history_path = os.path.join(directory, HISTORY_FILE)
    text = read_text(history_path)
    return Releases(
        current=tags[TAG_FILE],
        previous=tags[REVERT_FILE],
        history=[] if text is None else parse_history(text, history_path),
    )


def make_entry(tag: str, previous: str | None, result: str, deployer: str,
               migrations: Sequence[str] | None = None, time: str | None = None) -> dict[str, Any]:
    """Return one history entry; every key is always present so readers need no defaults."""
    return {
        "tag": tag,
        "previous": previous,
        "time": time or format_utc(utc_now()),
        "deployer": deployer,
        "result": result,
        "migrations": list(migrations or []),
    }


def rotate(history: Sequence[dict[str, Any]], entry: dict[str, Any], size: int) -> list[dict[str, Any]]:
    """Append ``entry`` (newest last) and keep only the newest ``size`` entries."""
    if size < 1:
        raise ValueError(f"history size must be at least 1, got {size}")
    return [*history, entry][-size:]


def render_state(current: str | None, previous: str | None) -> str:
    """The TAG/REVERT pair as diff text; '(none)' keeps a missing file visible."""
    return f"TAG: {current or '(none)'}\nREVERT: {previous or '(none)'}\n"


def fsync_dir(directory: str) -> None:
    """Make a rename in ``directory`` durable: the rename lives in the directory's data."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, text: str, prepare: Callable[[str], None] | None = None) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never half.

    The temporary file lives in the target's directory because rename is atomic only within
    one filesystem. ``prepare(tmp_path)`` runs before the rename, so mode and owner are right
    the moment the file appears.
    """
    directory = os.path.dirname(path) or "."
    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if prepare is not None:
            prepare(tmp_path)
        os.rename(tmp_path, path)
    except BaseException:
        _remove_quietly(tmp_path)
        raise
    fsync_dir(directory)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
