# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the image module: references, retention, retries, registry errors.

Nothing here talks to Docker, so all of it is unit-tested without an engine.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import re
import time
from calendar import timegm
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar


T = TypeVar("T")

# Kinds of registry/daemon errors. Only the transient ones are worth a retry: a missing
# tag or refused credentials will not fix themselves in a few seconds.
NOT_FOUND = "not_found"
AUTH = "auth"
UNREACHABLE = "unreachable"
TLS = "tls"
TRANSIENT = "transient"
OTHER = "other"
RETRYABLE = frozenset({UNREACHABLE, TRANSIENT})

# Backoff never waits longer than this between two attempts, whatever retry_delay says.
MAX_DELAY = 60.0

DOCKER_HUB = "docker.io"

# Matched against the daemon's message, lower-cased. The daemon reports most registry
# failures as HTTP 500 with the registry's words inside, so the status alone is not enough.
_UNREACHABLE_WORDS = (
    "no such host", "connection refused", "network is unreachable", "no route to host",
    "i/o timeout", "tls handshake timeout", "dial tcp", "server misbehaving",
    "context deadline exceeded", "client.timeout exceeded",
)
_TLS_WORDS = ("x509:", "certificate signed by unknown authority", "tls: ")
_AUTH_WORDS = (
    "unauthorized", "authentication required", "no basic auth credentials",
    "incorrect username or password", "access denied", "access to the resource is denied",
    "pull access denied", "denied: requested access",
)
_NOT_FOUND_WORDS = ("manifest unknown", "name unknown", "not found", "no such image")
_TRANSIENT_WORDS = (
    "toomanyrequests", "too many requests", "unexpected eof", "connection reset",
    "service unavailable", "bad gateway", "gateway timeout", "broken pipe", ": eof",
)

_CREATED_RE = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$"
)

# What TAG and REVERT hold: one line, `export TAG=<tag>` (a bare `TAG=<tag>` is read too,
# since sourcing it still sets $TAG).


class RetriesExhausted(Exception):
    """The last error of a retried action, with how many attempts were made."""

    def __init__(self, error: BaseException, attempts: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


@dataclass(frozen=True)
class LocalTag:
    """One tag of the repository present in the engine."""

    tag: str
    image_id: str
    created: float


@dataclass(frozen=True)
class Retention:
    """The outcome of a retention selection, newest first in both lists."""

    removed: list[str]
    kept: list[str]


def split_reference(reference: str) -> tuple[str, str | None, str | None]:
    """Split ``repo[:tag][@digest]`` into its parts; a registry port is not a tag."""
    digest: str | None = None
    if "@" in reference:
        reference, digest = reference.split("@", 1)
    name, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:
        return reference, None, digest
    return name, tag, digest


def registry_of(repository: str) -> str:
    """The registry host a repository lives on, as Docker decides it."""
    first, sep, _rest = repository.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


def repo_digest(repo_digests: Iterable[str], repository: str) -> str | None:
    """The ``repository@sha256:...`` entry of an image for this repository, if any."""
    for entry in repo_digests or ():
        name, _tag, digest = split_reference(entry)
        if name == repository and digest:
            return entry
    return None


def tags_of(repo_tags: Iterable[str] | None, repository: str) -> list[str]:
    """The tags among an image's RepoTags that belong to ``repository``."""
    tags = []
    for entry in repo_tags or ():
        name, tag, _digest = split_reference(entry)
        if name == repository and tag:
            tags.append(tag)
    return tags


def parse_created(value: object) -> float:
    """Seconds since the epoch of an image's Created (an int from the list, or RFC 3339)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _CREATED_RE.match(str(value))
    if match is None:
        raise ValueError(f"unrecognised image creation time {value!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    seconds = timegm((int(year), int(month), int(day), int(hour), int(minute), int(second), 0, 0, 0))
    # Docker writes nanoseconds; microseconds are plenty to order builds.
    seconds += float(f"0.{(fraction or '0')[:6]}")
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds


def newest_first(tags: Iterable[LocalTag]) -> list[LocalTag]:
    """Order by creation time, newest first; the tag name breaks ties so runs agree."""
    return sorted(tags, key=lambda item: (item.created, item.tag), reverse=True)


def select_retention(tags: Iterable[LocalTag], keep: int, protect: Iterable[str] = (),
                     in_use_ids: Iterable[str] = (), in_use_tags: Iterable[str] = ()) -> Retention:
    """Decide which local tags of a repository to remove.

    The newest ``keep`` tags stay, counting one per tag (an image with two tags of the
    repository fills two places). Protected tags and tags of images any container uses stay
    on top of those. A tag whose image also carries a tag that stays is kept too: untagging
    it would free nothing, and an image a protected tag shares is never touched.
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    ordered = newest_first(tags)
    protected = set(protect)
    used_ids = set(in_use_ids)
    used_tags = set(in_use_tags)
    staying = {
        item.tag for index, item in enumerate(ordered)
        if index < keep or item.tag in protected or item.tag in used_tags or item.image_id in used_ids
    }
    staying_ids = {item.image_id for item in ordered if item.tag in staying}
    removed = [item.tag for item in ordered if item.image_id not in staying_ids]
    kept = [item.tag for item in ordered if item.image_id in staying_ids]
    return Retention(removed=removed, kept=kept)


def backoff_delays(retries: int, delay: float, factor: float = 2.0, cap: float = MAX_DELAY) -> list[float]:
    """The waits before each retry: delay, delay*factor, ... capped, ``retries`` of them."""
    if retries < 0:
        raise ValueError(f"retries must be at least 0, got {retries}")
    if delay < 0:
        raise ValueError(f"retry_delay must be at least 0, got {delay}")
    return [min(delay * factor ** attempt, cap) for attempt in range(retries)]


def with_retries(action: Callable[[], T], delays: Sequence[float], retryable: Callable[[BaseException], bool],
                 sleep: Callable[[float], None] = time.sleep) -> tuple[T, int]:
    """Run ``action`` until it succeeds, retrying retryable errors after each delay.

    Returns the result and the number of attempts; raises RetriesExhausted otherwise.
    """
    attempts = 0
    while True:
        attempts += 1
        try:
            return action(), attempts
        except Exception as exc:  # noqa: BLE001 - classified by the caller's predicate
            if attempts > len(delays) or not retryable(exc):
                raise RetriesExhausted(exc, attempts) from exc
            sleep(delays[attempts - 1])


def classify_error(status: int | None, message: str) -> str:
    """Sort a daemon/registry error into one of the kinds above."""
    text = (message or "").lower()
    if any(word in text for word in _TLS_WORDS) and "handshake timeout" not in text:
        return TLS
    if any(word in text for word in _AUTH_WORDS) or status in (401, 403):
        return AUTH
    if any(word in text for word in _UNREACHABLE_WORDS):
        return UNREACHABLE
    if status == 404 or any(word in text for word in _NOT_FOUND_WORDS):
        return NOT_FOUND
    if status in (408, 429, 502, 503, 504) or any(word in text for word in _TRANSIENT_WORDS) \
            or text.endswith("eof"):
        return TRANSIENT
    return OTHER


def describe_error(kind: str, repository: str, tag: str, detail: str) -> str:
    """A message saying which of the failures a deploy cares about this is."""
    registry = registry_of(repository)
    if kind == NOT_FOUND:
        return f"tag {tag} not found in repository {repository} ({detail})"
    if kind == AUTH:
        return (f"registry {registry} refused the credentials for {repository}:{tag} "
                f"(check the registry login in the host's Docker config): {detail}")
    if kind in (UNREACHABLE, TLS):
        return f"registry {registry} unreachable for {repository}:{tag}: {detail}"
    return f"registry {registry} failed for {repository}:{tag}: {detail}"


def tag_lines(tags: Iterable[str]) -> str:
    """A tag list as diff text, sorted so that only real changes show."""
    return "".join(f"{tag}\n" for tag in sorted(tags))
