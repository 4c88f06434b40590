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
