# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the names every dockyard.django module takes: tags, app names, images.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import os
import re

# Docker's tag grammar: https://github.com/distribution/reference (tag = [\w][\w.-]{0,127}).
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

# An app name is a path component, a system user name, a compose project name and part of
# a group name: lower-case letters, digits, '_' and '-', starting with a letter, short.
APP_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")

# A repository as Docker accepts it, with an optional registry host[:port] in front:
# lower-case path components separated by '/', each of [a-z0-9] runs joined by
# '.', '_', '__' or '-'.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?"
REPOSITORY_RE = re.compile(rf"^(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*$")


class ValidationError(ValueError):
    """A value a module was given is not acceptable; the message names it and why."""


def _shown(value: object) -> str:
    """Quote a rejected value for an error message, shortened so a long one stays readable."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_tag(tag: object, what: str = "tag") -> str:
    """Return ``tag`` if it follows Docker's tag grammar, else raise ValidationError."""
    if not isinstance(tag, str) or not tag:
        raise ValidationError(f"{what} must be a non-empty string, got {_shown(tag)}")
    if not TAG_RE.match(tag):
        raise ValidationError(
            f"{what} {_shown(tag)} is not a valid Docker tag: it must match "
            "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (letters, digits, '_', '.', '-'; "
            "at most 128 characters; not starting with '.' or '-')"
        )
    return tag


def check_app(app: object, what: str = "app") -> str:
    """Return ``app`` if it is a safe app name (a single path component), else raise."""
    if not isinstance(app, str) or not app:
        raise ValidationError(f"{what} must be a non-empty string, got {_shown(app)}")
    if not APP_RE.match(app):
        raise ValidationError(
            f"{what} {_shown(app)} is not a valid app name: it must match "
            "[a-z][a-z0-9_-]{0,31} (lower-case letters, digits, '_' and '-', starting with "
            "a letter; no '/', '..', spaces or shell characters)"
        )
    return app


def check_repository(repository: object, what: str = "repository") -> str:
    """Return ``repository`` if Docker accepts it as a repository name (no tag, no digest)."""
    if not isinstance(repository, str) or not repository:
        raise ValidationError(f"{what} must be a non-empty string, got {_shown(repository)}")
    if "@" in repository:
        raise ValidationError(f"{what} {_shown(repository)} must not carry a digest; pass the tag separately")
    last = repository.rsplit("/", 1)[-1]
    if ":" in last:
        raise ValidationError(f"{what} {_shown(repository)} must not carry a tag; pass it as tag")
    if len(repository) > 255 or not REPOSITORY_RE.match(repository):
        raise ValidationError(
            f"{what} {_shown(repository)} is not a valid Docker repository name "
            "(lower-case path components, optionally after a registry host[:port]/)"
        )
    return repository


def check_absolute(path: object, what: str = "root") -> str:
    """Return ``path`` if it is an absolute path, else raise ValidationError."""
    if not isinstance(path, str) or not os.path.isabs(path):
        raise ValidationError(f"{what} {_shown(path)} must be an absolute path")
    return path


# A memory limit as Docker takes it (docker run --memory, Compose mem_limit): a number of bytes
# with an optional unit b, k, m or g. Docker refuses less than 6 MiB.
MEMORY_RE = re.compile(r"^([0-9]+)([bkmgBKMG]?)$")
MEMORY_MIN = 6 * 1024 * 1024
_MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def memory_bytes(memory: object, what: str = "memory") -> int:
    """The bytes of a memory limit such as ``512m``, or ValidationError naming ``what``."""
    match = MEMORY_RE.match(memory) if isinstance(memory, str) else None
    if match is None and isinstance(memory, int) and not isinstance(memory, bool):
        match = MEMORY_RE.match(str(memory))
    if match is None:
        raise ValidationError(f"{what} must be a size such as 512m or 2g (a number with unit b, k, m or g), "
                              f"got {_shown(memory)}")
    size = int(match.group(1)) * _MEMORY_UNITS[match.group(2).lower()]
    if size < MEMORY_MIN:
        raise ValidationError(f"{what} must be at least 6m (Docker's minimum), got {_shown(memory)}")
    return size


def cpu_nanos(cpus: object, what: str = "cpus") -> int:
    """A CPU limit in cores (``1.5``) as Docker's NanoCpus, or ValidationError naming ``what``."""
    try:
        if isinstance(cpus, bool):
            raise ValueError
        cores = float(cpus)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        cores = 0.0
    if not 0.01 <= cores <= 1024 or not isinstance(cpus, (int, float, str)):
        raise ValidationError(f"{what} must be a number of CPUs from 0.01 to 1024, such as 0.5 or 2, "
                              f"got {_shown(cpus)}")
    return int(round(cores * 1e9))
